#pragma once
// Shared by the GL tests (render/*_test.cpp, tests/site_stream_test.cpp): one headless context
// per test process and flat lighting for pixel checks. Header-only; tests only.
#include <memory>

#include "render/gl_context.h"
#include "render/renderer.h"

namespace muta::render::test {

/// A headless EGL context made once per process and made current on every call.
inline GlContext& SharedHeadlessContext() {
  static std::unique_ptr<GlContext> context = CreateHeadlessContext();
  context->MakeCurrent();
  return *context;
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
