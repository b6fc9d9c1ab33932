#pragma once
// The OpenXR graphics binding of muta xr, behind one interface (DESIGN.md: interface +
// factory, like hello_xr's graphics plugins): a GL 4.5 context and the XrGraphicsBinding*
// structure that hands it to the runtime. Backend header: no X11 here (graphics_xlib.cpp keeps
// its macros to itself).

#include <memory>
#include <string>

#include "render/gl_context.h"

namespace muta::xr {

class XrGraphics {
 public:
  virtual ~XrGraphics() = default;
  /// "xlib" or "egl".
  virtual std::string Name() const = 0;
  virtual render::GlContext& Context() = 0;
  /// The binding to chain to XrSessionCreateInfo::next (valid while this object lives); the
  /// context is made current first.
  virtual const void* Binding() = 0;
};

/// Headless EGL (surfaceless Mesa): XrGraphicsBindingEGLMNDX. No display needed.
std::unique_ptr<XrGraphics> CreateEglGraphics();
/// A small GLFW/GLX window: XrGraphicsBindingOpenGLXlibKHR. Throws muta::Error without a
/// display.
std::unique_ptr<XrGraphics> CreateXlibGraphics();

}  // namespace muta::xr
