#pragma once
// OpenGL 4.5 core contexts: an interface with two backends (DESIGN.md: interface + factory,
// concrete classes private to their .cpp files).
//   - headless: EGL on Mesa's surfaceless platform – no display, no GPU needed (llvmpipe);
//   - window:   a GLFW window (desktop viewer; needs a display, e.g. Xvfb).
// GL headers stay out of this header.

#include <memory>
#include <string>

namespace muta::render {

class GlContext {
 public:
  virtual ~GlContext() = default;
  /// Makes the context current on the calling thread.
  virtual void MakeCurrent() = 0;
  /// "4.5 (Core Profile) Mesa 22.3.6, llvmpipe (...)" – GL_VERSION and GL_RENDERER.
  virtual std::string Describe() const = 0;
  /// Window contexts: swap buffers / poll events / should close. Headless: no-ops / false.
  virtual void SwapBuffers() {}
  virtual void PollEvents() {}
  virtual bool ShouldClose() const { return false; }
  /// Native handles for backends that need them (e.g. the OpenXR EGL binding); may be null.
  virtual void* NativeDisplay() const { return nullptr; }
  virtual void* NativeConfig() const { return nullptr; }
  virtual void* NativeContext() const { return nullptr; }
};

/// EGL surfaceless context, current on return. Throws muta::Error with what to install when
/// EGL or a 4.5 core context is unavailable.
std::unique_ptr<GlContext> CreateHeadlessContext();

/// A GLFW window with a 4.5 core context, current on return. Throws muta::Error when there is
/// no display ("run under xvfb-run or use the headless backend").
std::unique_ptr<GlContext> CreateWindowContext(int width, int height, const std::string& title);

/// Whether CreateWindowContext would succeed here: a display is set and GLFW opens a window
/// with a 4.5 core context (a hidden one, closed again at once). When not, `reason` (if given)
/// gets the error CreateWindowContext would throw.
bool CanOpenWindow(std::string* reason = nullptr);

}  // namespace muta::render
