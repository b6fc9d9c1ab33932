#pragma once
// Shared by the GL tests (render/*_test.cpp, tests/site_stream_test.cpp): one headless context
// per test process, flat lighting for pixel checks and a closed box. Header-only; tests only.
#include <memory>

#include "core/mesh.h"
#include "render/gl_context.h"
#include "render/renderer.h"

namespace muta::render::test {

/// A headless EGL context made once per process and made current on every call.
inline GlContext& SharedHeadlessContext() {
  static std::unique_ptr<GlContext> context = CreateHeadlessContext();
  context->MakeCurrent();
  return *context;
}

/// A closed box [lo, hi]: 8 shared vertices, 12 outward counter-clockwise triangles, no normals
/// (the renderer splits the corners).
inline Mesh ClosedBox(const Vec3f& lo, const Vec3f& hi) {
  Mesh box;
  for (int i = 0; i < 8; ++i) {
    box.vertices.push_back(
        Vec3f(i & 1 ? hi.x() : lo.x(), i & 2 ? hi.y() : lo.y(), i & 4 ? hi.z() : lo.z()));
  }
  const int quads[6][4] = {{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4},
                           {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}};
  for (const auto& q : quads) {
    box.faces.push_back(Face(q[0], q[1], q[2]));
    box.faces.push_back(Face(q[0], q[2], q[3]));
  }
  return box;
}

/// Flat, even light: a lit pixel shows its albedo exactly; the background is black; one sample
/// per pixel unless `samples` says otherwise.
inline RenderOptions FlatLighting(int samples = 1) {
  RenderOptions options;
  options.samples = samples;
  options.lighting.sun_intensity = 0;
  options.lighting.ambient_intensity = 1;
  options.lighting.sky_color = options.lighting.ground_color = Eigen::Vector3f::Ones();
  options.lighting.background = Eigen::Vector3f::Zero();
  options.lighting.shadows = false;
  return options;
}

}  // namespace muta::render::test
