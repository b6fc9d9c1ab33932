// Headless GL: an EGL context on Mesa's surfaceless platform (no display, no GPU needed –
// llvmpipe renders on the CPU), current with no surface; rendering goes into FBOs.
// EGL and GL entry points come through libepoxy, which also checks what is available, so a
// missing libEGL or extension is a muta::Error instead of an abort.
#include <epoxy/egl.h>
#include <epoxy/gl.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "core/error.h"
#include "render/gl_context.h"

namespace muta::render {
namespace {

constexpr const char* kInstallHint =
    "install Mesa's EGL and GL drivers (Debian: libegl1 libegl-mesa0 libgl1-mesa-dri; "
    "scripts/install-deps.sh does it)";

bool HasExtension(const char* list, const char* name) {
  if (list == nullptr) return false;
  const std::size_t n = std::strlen(name);
  for (const char* p = list; (p = std::strstr(p, name)) != nullptr; p += n) {
    const bool starts = p == list || p[-1] == ' ';
    const bool ends = p[n] == '\0' || p[n] == ' ';
    if (starts && ends) return true;
  }
  return false;
}

std::string EglErrorName(EGLint error) {
  switch (error) {
    case EGL_SUCCESS:
      return "EGL_SUCCESS";
    case EGL_NOT_INITIALIZED:
      return "EGL_NOT_INITIALIZED";
    case EGL_BAD_ACCESS:
      return "EGL_BAD_ACCESS";
    case EGL_BAD_ALLOC:
      return "EGL_BAD_ALLOC";
    case EGL_BAD_ATTRIBUTE:
      return "EGL_BAD_ATTRIBUTE";
    case EGL_BAD_CONFIG:
      return "EGL_BAD_CONFIG";
    case EGL_BAD_CONTEXT:
      return "EGL_BAD_CONTEXT";
    case EGL_BAD_DISPLAY:
      return "EGL_BAD_DISPLAY";
    case EGL_BAD_MATCH:
      return "EGL_BAD_MATCH";
    case EGL_BAD_PARAMETER:
      return "EGL_BAD_PARAMETER";
    default:
      return "EGL error " + std::to_string(error);
  }
}

// EGL displays are per-process singletons: the display is terminated only when the last
// context on it goes away.
std::mutex& DisplayMutex() {
  static std::mutex mutex;
  return mutex;
}
int& DisplayUsers() {
  static int users = 0;
  return users;
}

EGLDisplay OpenDisplay() {
  MUTA_CHECK(epoxy_has_egl()) << "cannot load libEGL for headless rendering: " << kInstallHint;
  const char* client_ext = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  EGLDisplay display = EGL_NO_DISPLAY;
  if (HasExtension(client_ext, "EGL_EXT_platform_base") &&
      HasExtension(client_ext, "EGL_MESA_platform_surfaceless")) {
    display = eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr);
  }
  if (display == EGL_NO_DISPLAY) {
    // Not Mesa (e.g. a proprietary driver): its default display usually works headless too.
    display = eglGetDisplay(EGL_DEFAULT_DISPLAY);
  }
  MUTA_CHECK(display != EGL_NO_DISPLAY)
      << "no EGL display for headless rendering (EGL_MESA_platform_surfaceless missing): "
      << kInstallHint;
  return display;
}

class EglContext final : public GlContext {
 public:
  EglContext() {
    std::lock_guard<std::mutex> lock(DisplayMutex());
    display_ = OpenDisplay();
    EGLint major = 0, minor = 0;
    MUTA_CHECK(eglInitialize(display_, &major, &minor))
        << "cannot initialise EGL (" << EglErrorName(eglGetError()) << "): " << kInstallHint;
    ++DisplayUsers();
    try {
      Create(major, minor);
    } catch (...) {
      Release();
      throw;
    }
  }

  ~EglContext() override {
    std::lock_guard<std::mutex> lock(DisplayMutex());
    Release();
  }

  void MakeCurrent() override {
    MUTA_CHECK(eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, context_))
        << "eglMakeCurrent failed: " << EglErrorName(eglGetError());
  }

  std::string Describe() const override { return description_; }
  void* NativeDisplay() const override { return display_; }
  void* NativeConfig() const override { return config_; }
  void* NativeContext() const override { return context_; }

 private:
  void Create(EGLint major, EGLint minor) {
    const char* ext = eglQueryString(display_, EGL_EXTENSIONS);
    MUTA_CHECK(major > 1 || minor >= 5 || HasExtension(ext, "EGL_KHR_create_context"))
        << "EGL " << major << "." << minor
        << " cannot create a core-profile OpenGL context (needs EGL 1.5 or "
           "EGL_KHR_create_context): "
        << kInstallHint;
    const bool surfaceless = HasExtension(ext, "EGL_KHR_surfaceless_context");
    MUTA_CHECK(surfaceless) << "the EGL driver has no EGL_KHR_surfaceless_context: "
                            << kInstallHint;
    MUTA_CHECK(eglBindAPI(EGL_OPENGL_API)) << "the EGL driver has no desktop OpenGL ("
                                           << EglErrorName(eglGetError()) << "): " << kInstallHint;

    const EGLint config_attribs[] = {EGL_RENDERABLE_TYPE,
                                     EGL_OPENGL_BIT,
                                     EGL_RED_SIZE,
                                     8,
                                     EGL_GREEN_SIZE,
                                     8,
                                     EGL_BLUE_SIZE,
                                     8,
                                     EGL_ALPHA_SIZE,
                                     8,
                                     EGL_SURFACE_TYPE,
                                     EGL_PBUFFER_BIT,
                                     EGL_NONE};
    EGLint num_configs = 0;
    if (!eglChooseConfig(display_, config_attribs, &config_, 1, &num_configs) || num_configs < 1) {
      // Some drivers offer no pbuffer configs; the context renders into FBOs anyway.
      const EGLint any_attribs[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
      MUTA_CHECK(eglChooseConfig(display_, any_attribs, &config_, 1, &num_configs) &&
                 num_configs >= 1)
          << "no EGL configuration supports OpenGL: " << kInstallHint;
    }

    const EGLint context_attribs[] = {EGL_CONTEXT_MAJOR_VERSION,
                                      4,
                                      EGL_CONTEXT_MINOR_VERSION,
                                      5,
                                      EGL_CONTEXT_OPENGL_PROFILE_MASK,
                                      EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
                                      EGL_NONE};
    context_ = eglCreateContext(display_, config_, EGL_NO_CONTEXT, context_attribs);
    MUTA_CHECK(context_ != EGL_NO_CONTEXT)
        << "cannot create an OpenGL 4.5 core context with EGL (" << EglErrorName(eglGetError())
        << "); Mesa 20 or newer (llvmpipe) provides one: " << kInstallHint;
    MakeCurrent();
    const int version = epoxy_gl_version();
    MUTA_CHECK(version >= 45) << "the EGL context offers OpenGL " << version / 10 << "."
                              << version % 10 << ", Muta needs 4.5 core: " << kInstallHint;
    const auto* gl_version = reinterpret_cast<const char*>(glGetString(GL_VERSION));
    const auto* gl_renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    description_ = std::string(gl_version ? gl_version : "?") + ", " +
                   std::string(gl_renderer ? gl_renderer : "?");
  }

  // Needs DisplayMutex held.
  void Release() {
    if (context_ != EGL_NO_CONTEXT) {
      if (eglGetCurrentContext() == context_) {
        eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
      }
      eglDestroyContext(display_, context_);
      context_ = EGL_NO_CONTEXT;
    }
    if (display_ != EGL_NO_DISPLAY && --DisplayUsers() == 0) eglTerminate(display_);
    display_ = EGL_NO_DISPLAY;
  }

  EGLDisplay display_ = EGL_NO_DISPLAY;
  EGLConfig config_ = nullptr;
  EGLContext context_ = EGL_NO_CONTEXT;
  std::string description_;
};

}  // namespace

std::unique_ptr<GlContext> CreateHeadlessContext() {
  return std::make_unique<EglContext>();
}

}  // namespace muta::render
