#include "render/shadow_map.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <Eigen/Geometry>

#include "core/error.h"

namespace muta::render {

ShadowFit FitShadow(const Box3f& bounds, const Eigen::Vector3f& sun_direction, int size) {
  // Light frame: `forward` is the way light travels; `right` and `up` span the map.
  const Eigen::Vector3d forward = -sun_direction.cast<double>().normalized();
  const Eigen::Vector3d helper =
      std::abs(forward.z()) < 0.9 ? Eigen::Vector3d::UnitZ() : Eigen::Vector3d::UnitX();
  const Eigen::Vector3d right = forward.cross(helper).normalized();
  const Eigen::Vector3d up = right.cross(forward);

  Eigen::Vector3d lo = Eigen::Vector3d::Constant(1e300), hi = Eigen::Vector3d::Constant(-1e300);
  for (int corner = 0; corner < 8; ++corner) {
    const Eigen::Vector3d p((corner & 1) ? bounds.max.x() : bounds.min.x(),
                            (corner & 2) ? bounds.max.y() : bounds.min.y(),
                            (corner & 4) ? bounds.max.z() : bounds.min.z());
    const Eigen::Vector3d l(right.dot(p), up.dot(p), forward.dot(p));
    lo = lo.cwiseMin(l);
    hi = hi.cwiseMax(l);
  }
  // A little room so that casters on the boundary are inside, and never an empty range.
  const double pad = 0.01 * (hi - lo).maxCoeff() + 1e-3;
  lo.array() -= pad;
  hi.array() += pad;
  // Square texels: the same extent in x and y.
  const double extent = std::max(hi.x() - lo.x(), hi.y() - lo.y());
  const Eigen::Vector2d centre = 0.5 * (lo.head<2>() + hi.head<2>());
  lo.head<2>() = centre.array() - extent / 2;
  hi.head<2>() = centre.array() + extent / 2;

  // world -> [0,1]^3 (texture u, v and depth).
  Eigen::Matrix4d light_from_world = Eigen::Matrix4d::Identity();
  light_from_world.row(0).head<3>() = right;
  light_from_world.row(1).head<3>() = up;
  light_from_world.row(2).head<3>() = forward;
  Eigen::Matrix4d unit_from_light = Eigen::Matrix4d::Identity();
  for (int i = 0; i < 3; ++i) {
    unit_from_light(i, i) = 1.0 / (hi[i] - lo[i]);
    unit_from_light(i, 3) = -lo[i] / (hi[i] - lo[i]);
  }
  const Eigen::Matrix4d shadow_from_world = unit_from_light * light_from_world;
  // Clip space: x, y from [0, 1] to [-1, 1]; depth stays in [0, 1] (glClipControl zero-to-one).
  Eigen::Matrix4d clip_from_unit = Eigen::Matrix4d::Identity();
  clip_from_unit(0, 0) = clip_from_unit(1, 1) = 2;
  clip_from_unit(0, 3) = clip_from_unit(1, 3) = -1;

  ShadowFit fit;
  fit.shadow_from_world = shadow_from_world.cast<float>();
  fit.clip_from_world = (clip_from_unit * shadow_from_world).cast<float>();
  fit.texel_metres = static_cast<float>(extent / size);
  return fit;
}

void ShadowMap::Allocate(int size) {
  if (size == size_) return;
  texture_ = gl::CreateTexture(GL_TEXTURE_2D);
  const GLuint tex = texture_.get();
  glTextureStorage2D(tex, 1, GL_DEPTH_COMPONENT32F, size, size);
  glTextureParameteri(tex, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTextureParameteri(tex, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTextureParameteri(tex, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTextureParameteri(tex, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTextureParameteri(tex, GL_TEXTURE_COMPARE_MODE, GL_COMPARE_REF_TO_TEXTURE);
  glTextureParameteri(tex, GL_TEXTURE_COMPARE_FUNC, GL_LEQUAL);
  framebuffer_ = gl::CreateFramebuffer();
  glNamedFramebufferTexture(framebuffer_.get(), GL_DEPTH_ATTACHMENT, tex, 0);
  glNamedFramebufferDrawBuffer(framebuffer_.get(), GL_NONE);
  glNamedFramebufferReadBuffer(framebuffer_.get(), GL_NONE);
  gl::CheckFramebuffer(framebuffer_.get(), "shadow map");
  gl::CheckError("allocating the shadow map");
  size_ = size;
}

}  // namespace muta::render
