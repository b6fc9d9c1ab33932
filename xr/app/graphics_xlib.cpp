// The Xlib/GLX binding: a small GLFW window whose GLX context the runtime renders with.
// X11's macros (None, Status, ...) are confined to this file; nothing after the X11 headers
// includes Eigen.
#include <memory>
#include <string>

#include "core/error.h"
#include "xr/app/graphics.h"

#define EGL_NO_X11
#include <epoxy/gl.h>
#include <epoxy/glx.h>
#define XR_USE_GRAPHICS_API_OPENGL
#define XR_USE_PLATFORM_XLIB
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>

namespace muta::xr {
namespace {

class XlibGraphics final : public XrGraphics {
 public:
  XlibGraphics() : context_(render::CreateWindowContext(256, 256, "muta xr")) {}
  std::string Name() const override { return "xlib"; }
  render::GlContext& Context() override { return *context_; }
  const void* Binding() override {
    context_->MakeCurrent();
    binding_ = {XR_TYPE_GRAPHICS_BINDING_OPENGL_XLIB_KHR};
    binding_.xDisplay = glXGetCurrentDisplay();
    binding_.glxContext = glXGetCurrentContext();
    binding_.glxDrawable = glXGetCurrentDrawable();
    MUTA_CHECK(binding_.xDisplay != nullptr && binding_.glxContext != nullptr)
        << "the window's GL context is not a GLX context (GLFW on Wayland?): run muta xr on "
           "X11 (or XWayland), or use --graphics egl";
    int fbconfig_id = 0;
    glXQueryContext(binding_.xDisplay, binding_.glxContext, GLX_FBCONFIG_ID, &fbconfig_id);
    const int attribs[] = {GLX_FBCONFIG_ID, fbconfig_id, None};
    int count = 0;
    GLXFBConfig* configs =
        glXChooseFBConfig(binding_.xDisplay, DefaultScreen(binding_.xDisplay), attribs, &count);
    MUTA_CHECK(configs != nullptr && count > 0)
        << "the GLX framebuffer configuration of the window's context was not found";
    binding_.glxFBConfig = configs[0];
    XVisualInfo* visual = glXGetVisualFromFBConfig(binding_.xDisplay, configs[0]);
    binding_.visualid = visual != nullptr ? static_cast<uint32_t>(visual->visualid) : 0;
    if (visual != nullptr) XFree(visual);
    XFree(configs);
    return &binding_;
  }

 private:
  std::unique_ptr<render::GlContext> context_;
  XrGraphicsBindingOpenGLXlibKHR binding_{XR_TYPE_GRAPHICS_BINDING_OPENGL_XLIB_KHR};
};

}  // namespace

std::unique_ptr<XrGraphics> CreateXlibGraphics() {
  return std::make_unique<XlibGraphics>();
}

}  // namespace muta::xr
