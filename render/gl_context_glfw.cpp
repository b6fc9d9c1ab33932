// Window GL: a GLFW window with an OpenGL 4.5 core context (desktop viewer). Needs a display;
// without one the error says to use xvfb-run or the headless backend.
#include <epoxy/gl.h>
// GLFW after epoxy: epoxy provides the GL declarations, GLFW must not include its own.
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

#include "core/error.h"
#include "render/gl_context.h"

namespace muta::render {
namespace {

std::mutex& GlfwMutex() {
  static std::mutex mutex;
  return mutex;
}
int& GlfwUsers() {
  static int users = 0;
  return users;
}
std::string& LastGlfwError() {
  static std::string message;
  return message;
}

void OnGlfwError(int code, const char* description) {
  LastGlfwError() = "GLFW error " + std::to_string(code) + ": " + (description ? description : "");
}

bool HaveDisplay() {
  const char* x11 = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  return (x11 != nullptr && x11[0] != '\0') || (wayland != nullptr && wayland[0] != '\0');
}

class GlfwContext final : public GlContext {
 public:
  GlfwContext(int width, int height, const std::string& title, bool visible = true) {
    MUTA_CHECK(width > 0 && height > 0)
        << "window size " << width << "x" << height << " is not positive";
    std::lock_guard<std::mutex> lock(GlfwMutex());
    MUTA_CHECK(HaveDisplay())
        << "no display for a window (DISPLAY and WAYLAND_DISPLAY are unset): run under "
           "xvfb-run, or use the headless backend";
    glfwSetErrorCallback(OnGlfwError);
    if (GlfwUsers() == 0) {
      LastGlfwError().clear();
      MUTA_CHECK(glfwInit() == GLFW_TRUE)
          << "cannot open a window (" << LastGlfwError()
          << "); check DISPLAY, run under xvfb-run, or use the headless backend";
    }
    ++GlfwUsers();
    glfwDefaultWindowHints();
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 4);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 5);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    glfwWindowHint(GLFW_SRGB_CAPABLE, GLFW_TRUE);
    glfwWindowHint(GLFW_STENCIL_BITS, 8);  // section caps (Renderer::Draw)
    glfwWindowHint(GLFW_VISIBLE, visible ? GLFW_TRUE : GLFW_FALSE);
    LastGlfwError().clear();
    window_ = glfwCreateWindow(width, height, title.c_str(), nullptr, nullptr);
    if (window_ == nullptr) {
      const std::string reason = LastGlfwError();
      ReleaseLocked();
      MUTA_FAIL << "cannot create a window with an OpenGL 4.5 core context (" << reason
                << "); the driver may be too old – Mesa 20 or newer provides 4.5 – or use the "
                   "headless backend";
    }
    glfwMakeContextCurrent(window_);
    glfwSwapInterval(1);
    const int version = epoxy_gl_version();
    const auto* gl_version = reinterpret_cast<const char*>(glGetString(GL_VERSION));
    const auto* gl_renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    description_ = std::string(gl_version ? gl_version : "?") + ", " +
                   std::string(gl_renderer ? gl_renderer : "?");
    if (version < 45) {
      ReleaseLocked();
      MUTA_FAIL << "the window's context offers OpenGL " << version / 10 << "." << version % 10
                << ", Muta needs 4.5 core (" << description_ << ")";
    }
  }

  ~GlfwContext() override {
    std::lock_guard<std::mutex> lock(GlfwMutex());
    ReleaseLocked();
  }

  void MakeCurrent() override { glfwMakeContextCurrent(window_); }
  std::string Describe() const override { return description_; }
  void SwapBuffers() override { glfwSwapBuffers(window_); }
  void PollEvents() override { glfwPollEvents(); }
  bool ShouldClose() const override { return glfwWindowShouldClose(window_) == GLFW_TRUE; }
  void* NativeContext() const override { return window_; }

 private:
  // Needs GlfwMutex held.
  void ReleaseLocked() {
    if (window_ != nullptr) {
      if (glfwGetCurrentContext() == window_) glfwMakeContextCurrent(nullptr);
      glfwDestroyWindow(window_);
      window_ = nullptr;
    }
    if (--GlfwUsers() == 0) glfwTerminate();
  }

  GLFWwindow* window_ = nullptr;
  std::string description_;
};

}  // namespace

std::unique_ptr<GlContext> CreateWindowContext(int width, int height, const std::string& title) {
  return std::make_unique<GlfwContext>(width, height, title);
}

bool CanOpenWindow(std::string* reason) {
  try {
    GlfwContext probe(64, 64, "muta", /*visible=*/false);
    return true;
  } catch (const std::exception& e) {
    if (reason != nullptr) *reason = e.what();
    return false;
  }
}

}  // namespace muta::render
