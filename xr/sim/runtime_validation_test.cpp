// The simulated headset under the Khronos core validation layer (XR_ENABLE_API_LAYERS). Debian's
// layer (1.0.20) was built without XR_USE_PLATFORM_EGL: it rejects an XrGraphicsBindingEGLMNDX
// as an unknown structure. So this session uses XR_KHR_opengl_enable with a real Xlib/GLX
// binding – a GLFW window on an Xvfb server the test starts – the path `muta xr` takes on
// Monado and SteamVR; the simulator reads the GL images through GLX's getProcAddress then.
// Catch2 first: X11's macros (None, Always, Status, ...) would break it; everything after
// the X11 headers is free of those names.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/image_io.h"
#include "tests/test_util.h"

#define XR_USE_PLATFORM_XLIB
#include <epoxy/glx.h>

#include "xr/sim/sim_test_client.h"

namespace fs = std::filesystem;
using muta::xr::sim::test::Client;
using muta::xr::sim::test::ClientOptions;
using muta::xr::sim::test::EyeColour;
using muta::xr::sim::test::kFullSequence;
using muta::xr::sim::test::ScopedEnv;
using muta::xr::sim::test::UseSimulator;

namespace {

/// Redirects the process's stdout (where the validation layer reports) into a file.
class CaptureStdout {
 public:
  explicit CaptureStdout(const fs::path& path) : path_(path) {
    std::fflush(stdout);
    std::cout.flush();
    saved_ = dup(1);
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    close(fd);
  }
  ~CaptureStdout() { Stop(); }
  /// Everything written so far.
  std::string Text() {
    std::fflush(stdout);
    std::cout.flush();
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  void Stop() {
    if (saved_ < 0) return;
    std::fflush(stdout);
    std::cout.flush();
    dup2(saved_, 1);
    close(saved_);
    saved_ = -1;
  }

 private:
  fs::path path_;
  int saved_ = -1;
};

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

/// An Xvfb server on a free display number (it picks one and reports it via -displayfd),
/// terminated on destruction.
class Xvfb {
 public:
  explicit Xvfb(const fs::path& log) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      close(fds[0]);
      const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out >= 0) {
        dup2(out, 1);
        dup2(out, 2);
      }
      const std::string fd = std::to_string(fds[1]);
      execlp("Xvfb", "Xvfb", "-displayfd", fd.c_str(), "-screen", "0", "320x240x24", "-nolisten",
             "tcp", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    std::string number;
    char c = 0;
    while (read(fds[0], &c, 1) == 1 && c != '\n') number += c;
    close(fds[0]);
    INFO("Xvfb did not start (Debian: xvfb, installed by scripts/install-deps.sh)");
    REQUIRE(!number.empty());
    display_ = ":" + number;
  }
  ~Xvfb() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  Xvfb(const Xvfb&) = delete;
  Xvfb& operator=(const Xvfb&) = delete;
  const std::string& display() const { return display_; }

 private:
  pid_t pid_ = -1;
  std::string display_;
};

/// The Xlib binding of the current GLX context (the GLFW window's).
const void* XlibBinding(muta::render::GlContext&) {
  static XrGraphicsBindingOpenGLXlibKHR binding;
  binding = {XR_TYPE_GRAPHICS_BINDING_OPENGL_XLIB_KHR};
  binding.xDisplay = glXGetCurrentDisplay();
  binding.glxContext = glXGetCurrentContext();
  binding.glxDrawable = glXGetCurrentDrawable();
  int fbconfig_id = 0;
  glXQueryContext(binding.xDisplay, binding.glxContext, GLX_FBCONFIG_ID, &fbconfig_id);
  const int attribs[] = {GLX_FBCONFIG_ID, fbconfig_id, None};
  int count = 0;
  GLXFBConfig* configs =
      glXChooseFBConfig(binding.xDisplay, DefaultScreen(binding.xDisplay), attribs, &count);
  REQUIRE((configs != nullptr && count > 0));
  binding.glxFBConfig = configs[0];
  XVisualInfo* visual = glXGetVisualFromFBConfig(binding.xDisplay, configs[0]);
  binding.visualid = visual != nullptr ? static_cast<uint32_t>(visual->visualid) : 0;
  if (visual != nullptr) XFree(visual);
  XFree(configs);
  return &binding;
}

}  // namespace

TEST_CASE("xr/sim: a whole session passes the Khronos core validation layer", "[xr]") {
  const char* kLayer = "XR_APILAYER_LUNARG_core_validation";
  muta::test::TempDir dir("xr_sim_validation");
  ScopedEnv env;
  UseSimulator(env);
  env.Set("MUTA_XR_SIM_WIDTH", "64");
  env.Set("MUTA_XR_SIM_HEIGHT", "48");
  env.Set("MUTA_XR_SIM_CAPTURE_DIR", (dir / "capture").string());
  {
    std::ofstream controllers(dir / "controllers.json");
    controllers << R"({"left": {"keyframes": [{"t": 0, "position": [-0.2, 1.0, -0.3]}]},
      "inputs": [{"t": 0.05, "path": "/user/hand/right/input/select/click", "value": true}]})";
  }
  env.Set("MUTA_XR_SIM_CONTROLLERS", (dir / "controllers.json").string());

  uint32_t layer_count = 0;
  REQUIRE(xrEnumerateApiLayerProperties(0, &layer_count, nullptr) == XR_SUCCESS);
  std::vector<XrApiLayerProperties> layers(layer_count, {XR_TYPE_API_LAYER_PROPERTIES});
  REQUIRE(xrEnumerateApiLayerProperties(layer_count, &layer_count, layers.data()) == XR_SUCCESS);
  bool installed = false;
  for (const auto& l : layers) installed = installed || std::string(l.layerName) == kLayer;
  INFO("the validation layer is missing (Debian: openxr-layer-corevalidation)");
  REQUIRE(installed);
  env.Set("XR_ENABLE_API_LAYERS", kLayer);

  Xvfb xvfb(dir / "xvfb.log");
  env.Set("DISPLAY", xvfb.display());
  ClientOptions options;
  options.extensions = {XR_KHR_OPENGL_ENABLE_EXTENSION_NAME,
                        XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME};
  options.make_context = [] { return muta::render::CreateWindowContext(64, 48, "xr-sim-test"); };
  options.make_binding = XlibBinding;

  CaptureStdout out(dir / "validation.txt");
  std::string during_session;
  std::vector<XrSessionState> states;
  std::vector<XrActionStateBoolean> select;
  {
    Client client(options);
    client.CreateSession();
    client.RunFocused(5, EyeColour);
    REQUIRE(xrRequestExitSession(client.session()) == XR_SUCCESS);
    client.RunUntilExiting(EyeColour);
    client.DestroySession();
    states = client.states();
    select = client.select_history();
    during_session = out.Text();
    // One deliberate mistake proves the layer is active and its reports are seen here.
    XrSystemGetInfo bad{XR_TYPE_SYSTEM_GET_INFO};
    bad.formFactor = static_cast<XrFormFactor>(0);
    XrSystemId system = 0;
    CHECK(xrGetSystem(client.instance(), &bad, &system) == XR_ERROR_VALIDATION_FAILURE);
  }
  const std::string all = out.Text();
  out.Stop();
  INFO(all);
  CHECK(states == kFullSequence);
  CHECK(!select.empty());
  CHECK(std::all_of(select.begin(), select.end(),
                    [](const XrActionStateBoolean& b) { return b.isActive == XR_TRUE; }));
  CHECK(Count(during_session, "VALID_ERROR") == 0);
  CHECK(Count(all, "VALID_ERROR") >= 1);
  CHECK(all.find("xrGetSystem") != std::string::npos);
  // The images went through the GLX path and were captured.
  const muta::Image left = muta::ReadImage(dir / "capture" / "frame_000004_left.png", 4);
  CHECK(left.width == 64);
}
