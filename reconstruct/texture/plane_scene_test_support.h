#pragma once
// Test support for reconstruct/texture's unit tests (photo_refine_test.cpp,
// view_alignment_test.cpp): a textured ground plane z = 0 – value noise (hashed lattice,
// bilinear) at two scales, grey – photographed exactly by cameras looking straight down, and
// grid meshes of it.

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/camera.h"
#include "core/image_io.h"
#include "core/mesh.h"
#include "core/pose.h"
#include "reconstruct/texture/texture.h"

namespace muta::reconstruct::test {

inline double Hash(int x, int y) {
  std::uint32_t h = std::uint32_t(x) * 374761393u + std::uint32_t(y) * 668265263u;
  h = (h ^ (h >> 13)) * 1274126177u;
  return double((h ^ (h >> 16)) & 0xffff) / 65535.0;
}
inline double Noise(double x, double y) {
  const double fx = std::floor(x), fy = std::floor(y);
  const int ix = int(fx), iy = int(fy);
  const double ax = x - fx, ay = y - fy;
  return (1 - ay) * ((1 - ax) * Hash(ix, iy) + ax * Hash(ix + 1, iy)) +
         ay * ((1 - ax) * Hash(ix, iy + 1) + ax * Hash(ix + 1, iy + 1));
}
inline double Albedo(double x, double y) {
  return 40 + 120 * Noise(x / 0.06, y / 0.06) + 60 * Noise(x / 0.25 + 7, y / 0.25 + 3);
}

/// A camera at (cx, 0, 10) looking straight down (f = 500 px: 2 cm per pixel on the plane),
/// `width` x `height` pixels, photographing the plane exactly – its content moved by `shift`
/// pixels (as if the camera's pose were that far off).
inline TextureView PlanePhotograph(double cx, int width = 240, int height = 240,
                                   Eigen::Vector2d shift = Eigen::Vector2d::Zero()) {
  TextureView v;
  v.name = "cam.png";
  const int w = width, h = height;
  v.camera = Camera::Pinhole(w, h, 500, 500, w / 2.0, h / 2.0);
  v.cam_from_world.rotation = Eigen::Quaterniond(0, 1, 0, 0);  // x, -y, -z
  v.cam_from_world.translation = -(v.cam_from_world.rotation * Eigen::Vector3d(cx, 0, 10));
  v.image = Image(w, h, 3);
  const Rigid3d world_from_cam = v.cam_from_world.Inverse();
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const Eigen::Vector3d ray =
          world_from_cam.rotation * Eigen::Vector3d((x + 0.5 - shift.x() - w / 2.0) / 500,
                                                    (y + 0.5 - shift.y() - h / 2.0) / 500, 1);
      const Eigen::Vector3d o = world_from_cam.translation;
      const double t = -o.z() / ray.z();
      const double g = Albedo(o.x() + t * ray.x(), o.y() + t * ray.y());
      for (int c = 0; c < 3; ++c) v.image.at(x, y, c) = std::uint8_t(std::clamp(g, 0.0, 255.0));
    }
  }
  return v;
}

/// An n x n vertex grid over [-half, half]^2 at height z, facing up.
inline Mesh PlaneGrid(double half, int n, double z) {
  Mesh m;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i)
      m.vertices.emplace_back(float(-half + 2 * half * i / (n - 1)),
                              float(-half + 2 * half * j / (n - 1)), float(z));
  for (int j = 0; j + 1 < n; ++j)
    for (int i = 0; i + 1 < n; ++i) {
      const auto a = std::uint32_t(j * n + i), b = a + 1, c = a + std::uint32_t(n), d = c + 1;
      m.faces.emplace_back(a, b, d);
      m.faces.emplace_back(a, d, c);
    }
  m.ComputeVertexNormals();
  return m;
}

}  // namespace muta::reconstruct::test
