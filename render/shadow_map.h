#pragma once
// The sun's shadow map (private to muta::render; includes GL declarations through gl_util.h):
// an orthographic depth map along the sun direction, fitted to the bounds of the shadow
// casters, sampled with hardware depth comparison (PCF in mesh.frag).

#include <Eigen/Core>

#include "core/mesh.h"
#include "render/gl_util.h"

namespace muta::render {

/// Orthographic light projection fitted around a box.
struct ShadowFit {
  Eigen::Matrix4f clip_from_world;    ///< for the shadow pass (x, y in [-1, 1], depth in [0, 1])
  Eigen::Matrix4f shadow_from_world;  ///< for lookups: texture coordinates and depth in [0, 1]
  float texel_metres = 0;             ///< size of one texel on a surface facing the sun
};

/// Fits the light's view volume to `bounds` (world, metres) seen along -`sun_direction`
/// (`sun_direction` points towards the sun), for a `size` x `size` map.
ShadowFit FitShadow(const Box3f& bounds, const Eigen::Vector3f& sun_direction, int size);

/// A depth texture with comparison sampling, and the framebuffer to render into it.
class ShadowMap {
 public:
  /// (Re)allocates for `size` x `size` texels if the size changed.
  void Allocate(int size);
  int size() const { return size_; }
  GLuint texture() const { return texture_.get(); }
  GLuint framebuffer() const { return framebuffer_.get(); }

 private:
  int size_ = 0;
  gl::Texture texture_;
  gl::Framebuffer framebuffer_;
};

}  // namespace muta::render
