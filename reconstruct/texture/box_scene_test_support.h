#pragma once
// Test support for reconstruct/texture's unit tests (texture_test.cpp,
// texture_visibility_test.cpp): a 2 m box whose surface colour is a smooth function of position,
// photographed exactly by ray casting from cameras around it.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/camera.h"
#include "core/image_io.h"
#include "core/mesh.h"
#include "core/pose.h"
#include "core/ray_bvh.h"
#include "reconstruct/texture/atlas.h"
#include "reconstruct/texture/texture.h"

namespace muta::reconstruct::box_test {

using Eigen::Vector3d;

// The scene's true colour at a surface point: smooth, so resampling changes it little.
inline Eigen::Vector3f TrueColour(const Vector3d& p) {
  return {float(128 + 90 * std::sin(2.1 * p.x() + 0.5)),
          float(128 + 90 * std::sin(1.7 * p.y() + 1.3 * p.z())),
          float(128 + 90 * std::cos(1.3 * p.z() - 0.9 * p.x()))};
}

// An axis-aligned box [lo, hi], each side an n x n grid of quads, outward winding.
inline Mesh GridBox(const Vector3d& lo, const Vector3d& hi, int n) {
  Mesh m;
  const Vector3d size = hi - lo;
  for (int axis = 0; axis < 3; ++axis) {
    for (int side = 0; side < 2; ++side) {
      const int u_axis = (axis + 1) % 3, v_axis = (axis + 2) % 3;
      const auto base = std::uint32_t(m.vertices.size());
      for (int j = 0; j <= n; ++j) {
        for (int i = 0; i <= n; ++i) {
          Vector3d p = lo;
          p[axis] = side ? hi[axis] : lo[axis];
          p[u_axis] += size[u_axis] * i / n;
          p[v_axis] += size[v_axis] * j / n;
          m.vertices.push_back(p.cast<float>());
        }
      }
      for (int j = 0; j < n; ++j) {
        for (int i = 0; i < n; ++i) {
          const std::uint32_t a = base + j * (n + 1) + i, b = a + 1, c = a + n + 1, d = c + 1;
          // u x v points along +axis: keep that winding on the high side, flip on the low one.
          if (side) {
            m.faces.emplace_back(a, b, d);
            m.faces.emplace_back(a, d, c);
          } else {
            m.faces.emplace_back(a, d, b);
            m.faces.emplace_back(a, c, d);
          }
        }
      }
    }
  }
  return m;
}

// A photograph by ray casting with the colour `colour(point)` of the surface hit; background
// black.
template <class ColourFn>
TextureView PhotographOf(const RayBvh& bvh, const Vector3d& eye, const Vector3d& target,
                         ColourFn colour, const std::string& name, int width, int height,
                         double focal) {
  TextureView v;
  v.name = name;
  v.camera = Camera::Pinhole(width, height, focal, focal, width / 2.0, height / 2.0);
  v.cam_from_world = LookAt(eye, target);
  v.image = Image(width, height, 3, 0);
  const Rigid3d world_from_cam = v.cam_from_world.Inverse();
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const Vector3d dir = world_from_cam.rotation * v.camera.Unproject({x + 0.5, y + 0.5});
      const auto hit = bvh.Closest(eye, dir);
      if (!hit) continue;
      const Eigen::Vector3f c = colour(eye + hit->t * dir);
      for (int k = 0; k < 3; ++k) {
        v.image.at(x, y, k) = std::uint8_t(std::clamp(std::lround(c[k]), 0L, 255L));
      }
    }
  }
  return v;
}

// A photograph of `scene` by ray casting: the true colour times `gain`, background black.
inline TextureView Photograph(const RayBvh& bvh, const Vector3d& eye, const Vector3d& target,
                              double gain, const std::string& name, int width = 240,
                              int height = 180, double focal = 200) {
  return PhotographOf(
      bvh, eye, target,
      [&](const Vector3d& p) { return Eigen::Vector3f(float(gain) * TrueColour(p)); }, name, width,
      height, focal);
}

struct Scene {
  Mesh mesh;
  std::vector<TextureView> views;
};

// A 2 m box on the ground seen by 8 cameras around it from above (its bottom is unseen).
inline Scene BoxScene(const std::vector<double>& gains) {
  Scene s;
  s.mesh = GridBox({-1, -1, -1}, {1, 1, 1}, 10);
  const RayBvh bvh(s.mesh);
  for (int i = 0; i < 8; ++i) {
    const double a = 2 * M_PI * i / 8 + 0.3;
    const Vector3d eye(4.5 * std::cos(a), 4.5 * std::sin(a), i % 2 ? 2.5 : 1.5);
    s.views.push_back(Photograph(bvh, eye, {0, 0, 0}, gains[std::size_t(i) % gains.size()],
                                 "view_" + std::to_string(i) + ".png"));
  }
  return s;
}

// Atlas colour at the surface point with barycentrics (1-u-v, u, v) of face f.
inline Eigen::Vector3f AtlasColour(const TexturedMesh& t, std::size_t f, double u, double v) {
  const Face& face = t.mesh.faces[f];
  const Eigen::Vector2f uv = float(1 - u - v) * t.mesh.uvs[face[0]] +
                             float(u) * t.mesh.uvs[face[1]] + float(v) * t.mesh.uvs[face[2]];
  return tex::SampleBilinear(t.atlas, double(uv.x()) * t.atlas.width,
                             (1.0 - double(uv.y())) * t.atlas.height);
}

}  // namespace muta::reconstruct::box_test
