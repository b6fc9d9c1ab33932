#include "xr/app/graphics.h"
#include "xr/app/xr_check.h"

namespace muta::xr {
namespace {

class EglGraphics final : public XrGraphics {
 public:
  EglGraphics() : context_(render::CreateHeadlessContext()) {}
  std::string Name() const override { return "egl"; }
  render::GlContext& Context() override { return *context_; }
  const void* Binding() override {
    context_->MakeCurrent();
    binding_ = {XR_TYPE_GRAPHICS_BINDING_EGL_MNDX};
    binding_.getProcAddress = eglGetProcAddress;
    binding_.display = static_cast<EGLDisplay>(context_->NativeDisplay());
    binding_.config = static_cast<EGLConfig>(context_->NativeConfig());
    binding_.context = static_cast<EGLContext>(context_->NativeContext());
    MUTA_INTERNAL_CHECK(binding_.display != nullptr && binding_.context != nullptr)
        << "the headless EGL context has no native display or context";
    return &binding_;
  }

 private:
  std::unique_ptr<render::GlContext> context_;
  XrGraphicsBindingEGLMNDX binding_{XR_TYPE_GRAPHICS_BINDING_EGL_MNDX};
};

}  // namespace

std::unique_ptr<XrGraphics> CreateEglGraphics() {
  return std::make_unique<EglGraphics>();
}

}  // namespace muta::xr
