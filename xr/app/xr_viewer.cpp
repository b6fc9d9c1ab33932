// muta xr: instance, system, session lifecycle, stereo frame loop and rendering through
// render/viewer's ViewScene (tile streaming per eye). Input: xr/app/input.cpp; locomotion
// math: xr/app/rig.cpp; graphics bindings: xr/app/graphics_*.cpp.
#include "xr/app/xr_viewer.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/json.h"
#include "core/progress.h"
#include "render/viewer/view_scene.h"
#include "xr/app/graphics.h"
#include "xr/app/input.h"
#include "xr/app/rig.h"
#include "xr/app/xr_check.h"

namespace muta::xr {

GraphicsApi ParseGraphicsApi(const std::string& name) {
  if (name == "auto") return GraphicsApi::kAuto;
  if (name == "xlib") return GraphicsApi::kXlib;
  if (name == "egl") return GraphicsApi::kEgl;
  MUTA_CHECK(false) << "--graphics " << name << ": expected auto, xlib or egl";
  return GraphicsApi::kAuto;
}

void XrViewerOptions::Check() const {
  MUTA_CHECK(!frames || *frames >= 1) << "--frames must be at least 1";
  MUTA_CHECK(!start || start->allFinite()) << "--start must be finite (world metres)";
  MUTA_CHECK(std::isfinite(start_yaw_deg)) << "--yaw must be finite (degrees)";
  MUTA_CHECK(scale >= Rig::kMinScale && scale <= Rig::kMaxScale)
      << "--scale " << scale << ": the model scale is 1:1 (1) up to 1:100 (100)";
  MUTA_CHECK(snap_turn_deg > 0 && snap_turn_deg <= 180)
      << "--snap-turn must be in (0, 180] degrees";
}

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr double kNearM = 0.05;           // near plane, tracked metres
constexpr double kLocalEyeHeightM = 1.6;  // without a STAGE space: LOCAL's origin is the eyes
constexpr double kDegToRad = M_PI / 180;

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

bool HaveDisplay() {
  const char* x11 = std::getenv("DISPLAY");
  return x11 != nullptr && x11[0] != '\0';
}

Json Vec(const Eigen::Vector3d& v) {
  return Json::array({v.x(), v.y(), v.z()});
}

/// The simulated headset's manifest next to this build of muta, if there is one.
fs::path SimulatorManifest() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (const fs::path& candidate : {exe.parent_path().parent_path() / "xr/sim/muta_xr_sim.json"}) {
    if (fs::exists(candidate, ec)) return candidate;
  }
  return {};
}

std::string NoRuntimeMessage(XrResult result) {
  std::string text = "no OpenXR runtime is available (xrEnumerateInstanceExtensionProperties: " +
                     XrResultName(result) + ").";
  const char* chosen = std::getenv("XR_RUNTIME_JSON");
  if (chosen != nullptr && chosen[0] != '\0') {
    text += std::string(" XR_RUNTIME_JSON=") + chosen +
            " names a manifest the loader could not use: check the file and its library_path.";
  }
  text +=
      " Install and start one: Monado (https://monado.freedesktop.org – run monado-service; it "
      "registers itself as the active runtime) or SteamVR (Steam > SteamVR, then in its "
      "settings: Developer > Set SteamVR as OpenXR Runtime). Without a headset, use Muta's "
      "simulated headset: XR_RUNTIME_JSON=";
  const fs::path sim = SimulatorManifest();
  text += sim.empty() ? "<build>/xr/sim/muta_xr_sim.json" : sim.string();
  text += " muta xr SITE (docs/xr.md).";
  return text;
}

struct Swapchain {
  XrSwapchain handle = XR_NULL_HANDLE;
  int width = 0, height = 0;
  std::int64_t format = 0;
  std::vector<GLuint> images;
};

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

class Viewer {
 public:
  Viewer(const fs::path& path, const XrViewerOptions& options) : path_(path), options_(options) {
    options_.Check();
    if (!options_.log_path.empty()) {
      log_.open(options_.log_path);
      MUTA_CHECK(log_.good()) << "cannot write the log " << options_.log_path;
    }
  }

  ~Viewer() {
    // Session objects first, then the instance (destroying it frees what is left).
    try {
      if (session_ != XR_NULL_HANDLE) DestroySession();
    } catch (const std::exception& e) {
      spdlog::warn("muta xr: while shutting down: {}", e.what());
    }
    input_.reset();
    if (graphics_) {
      graphics_->Context().MakeCurrent();
      if (fbo_ != 0) glDeleteFramebuffers(1, &fbo_);
      if (depth_rb_ != 0) glDeleteRenderbuffers(1, &depth_rb_);
      if (clear_program_ != 0) glDeleteProgram(clear_program_);
      if (clear_vao_ != 0) glDeleteVertexArrays(1, &clear_vao_);
      scene_.reset();
    }
    if (instance_ != XR_NULL_HANDLE) xrDestroyInstance(instance_);
  }

  XrRunSummary Run() {
    InstallInterruptHandler();
    // The runtime first: without one nothing else matters (and the message says what to do).
    CreateInstance();
    model_ = render::viewer::LoadModel(path_);
    spdlog::info("{}", model_.Describe());
    CreateGraphicsAndScene();
    input_ = std::make_unique<XrInput>(instance_);
    CreateSession();
    while (!done_) {
      if (InterruptRequested() && running_ && !exit_requested_) RequestExit();
      PollEvents();
      if (done_) break;
      if (session_ == XR_NULL_HANDLE) {
        RecreateSession();
        continue;
      }
      if (!running_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      try {
        Frame();
      } catch (const XrError& e) {
        if (e.result() != XR_ERROR_SESSION_LOST) throw;
        spdlog::warn("muta xr: {}: the session was lost", e.what());
        LoseSession();
      }
      if (options_.frames && summary_.frames_rendered >= *options_.frames && running_ &&
          !exit_requested_) {
        RequestExit();
      }
    }
    Finish();
    return summary_;
  }

 private:
  // ---- instance and system -------------------------------------------------------------

  void CreateInstance() {
    uint32_t count = 0;
    const XrResult r = xrEnumerateInstanceExtensionProperties(nullptr, 0, &count, nullptr);
    MUTA_CHECK(XR_SUCCEEDED(r)) << NoRuntimeMessage(r);
    std::vector<XrExtensionProperties> offered(count, {XR_TYPE_EXTENSION_PROPERTIES});
    MUTA_XR_CHECK(xrEnumerateInstanceExtensionProperties(nullptr, count, &count, offered.data()));
    const auto has = [&](const char* name) {
      return std::any_of(offered.begin(), offered.end(), [&](const XrExtensionProperties& e) {
        return std::string(e.extensionName) == name;
      });
    };
    const bool opengl = has(XR_KHR_OPENGL_ENABLE_EXTENSION_NAME);
    const bool egl = has(XR_MNDX_EGL_ENABLE_EXTENSION_NAME);
    depth_ext_ = has(XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME);
    switch (options_.graphics) {
      case GraphicsApi::kXlib:
        MUTA_CHECK(opengl) << "--graphics xlib: the OpenXR runtime does not offer "
                              "XR_KHR_opengl_enable; try --graphics egl";
        MUTA_CHECK(HaveDisplay()) << "--graphics xlib needs an X display (DISPLAY is unset)";
        use_egl_ = false;
        break;
      case GraphicsApi::kEgl:
        MUTA_CHECK(egl) << "--graphics egl: the OpenXR runtime does not offer "
                           "XR_MNDX_egl_enable (Monado and Muta's simulator do); try --graphics "
                           "xlib on a desktop";
        use_egl_ = true;
        break;
      case GraphicsApi::kAuto:
        MUTA_CHECK(opengl || egl)
            << "the OpenXR runtime offers no OpenGL binding (neither XR_KHR_opengl_enable nor "
               "XR_MNDX_egl_enable); muta xr renders with OpenGL – use a runtime that offers it "
               "(Monado, SteamVR)";
        use_egl_ = !(opengl && HaveDisplay());
        MUTA_CHECK(!use_egl_ || egl)
            << "the OpenXR runtime offers only XR_KHR_opengl_enable (Xlib/GLX), which needs an "
               "X display: run muta xr on the desktop (DISPLAY is unset)";
        break;
    }
    std::vector<const char*> enabled;
    if (opengl) enabled.push_back(XR_KHR_OPENGL_ENABLE_EXTENSION_NAME);
    if (use_egl_) enabled.push_back(XR_MNDX_EGL_ENABLE_EXTENSION_NAME);
    if (depth_ext_) enabled.push_back(XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME);
    opengl_ext_ = opengl;

    XrInstanceCreateInfo create{XR_TYPE_INSTANCE_CREATE_INFO};
    std::snprintf(create.applicationInfo.applicationName, XR_MAX_APPLICATION_NAME_SIZE, "muta");
    std::snprintf(create.applicationInfo.engineName, XR_MAX_ENGINE_NAME_SIZE, "muta");
    create.applicationInfo.applicationVersion = 1;
    create.applicationInfo.apiVersion = XR_MAKE_VERSION(1, 0, 0);
    create.enabledExtensionCount = static_cast<uint32_t>(enabled.size());
    create.enabledExtensionNames = enabled.data();
    const XrResult created = xrCreateInstance(&create, &instance_);
    MUTA_CHECK(XR_SUCCEEDED(created) && instance_ != XR_NULL_HANDLE)
        << (created == XR_ERROR_RUNTIME_FAILURE || created == XR_ERROR_INSTANCE_LOST
                ? NoRuntimeMessage(created)
                : "xrCreateInstance failed: " + XrResultName(created) +
                      " (XR_LOADER_DEBUG=all shows why; an API layer named in "
                      "XR_ENABLE_API_LAYERS that is not installed also fails here)");
    XrInstanceProperties props{XR_TYPE_INSTANCE_PROPERTIES};
    MUTA_XR_CHECK(xrGetInstanceProperties(instance_, &props));
    summary_.runtime = std::string(props.runtimeName) + " " +
                       std::to_string(XR_VERSION_MAJOR(props.runtimeVersion)) + "." +
                       std::to_string(XR_VERSION_MINOR(props.runtimeVersion)) + "." +
                       std::to_string(XR_VERSION_PATCH(props.runtimeVersion));
    GetSystem();
  }

  void GetSystem() {
    XrSystemGetInfo info{XR_TYPE_SYSTEM_GET_INFO};
    info.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
    const XrResult r = xrGetSystem(instance_, &info, &system_);
    MUTA_CHECK(r != XR_ERROR_FORM_FACTOR_UNAVAILABLE)
        << "the OpenXR runtime (" << summary_.runtime
        << ") has no headset right now (XR_ERROR_FORM_FACTOR_UNAVAILABLE): connect and switch "
           "on the headset, then start muta xr again";
    MUTA_XR_CHECK(r);
    XrSystemProperties props{XR_TYPE_SYSTEM_PROPERTIES};
    MUTA_XR_CHECK(xrGetSystemProperties(instance_, system_, &props));
    system_name_ = props.systemName;

    uint32_t count = 0;
    MUTA_XR_CHECK(xrEnumerateViewConfigurations(instance_, system_, 0, &count, nullptr));
    std::vector<XrViewConfigurationType> types(count);
    MUTA_XR_CHECK(xrEnumerateViewConfigurations(instance_, system_, count, &count, types.data()));
    MUTA_CHECK(std::find(types.begin(), types.end(), XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) !=
               types.end())
        << "the OpenXR system " << system_name_ << " has no stereo view configuration";
    MUTA_XR_CHECK(xrEnumerateViewConfigurationViews(
        instance_, system_, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 0, &count, nullptr));
    config_views_.assign(count, {XR_TYPE_VIEW_CONFIGURATION_VIEW});
    MUTA_XR_CHECK(xrEnumerateViewConfigurationViews(instance_, system_,
                                                    XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO,
                                                    count, &count, config_views_.data()));
    MUTA_CHECK(count == 2) << "the stereo view configuration has " << count << " views, not 2";

    MUTA_XR_CHECK(xrEnumerateEnvironmentBlendModes(
        instance_, system_, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 0, &count, nullptr));
    std::vector<XrEnvironmentBlendMode> modes(count);
    MUTA_XR_CHECK(xrEnumerateEnvironmentBlendModes(instance_, system_,
                                                   XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, count,
                                                   &count, modes.data()));
    MUTA_CHECK(!modes.empty()) << "the OpenXR system offers no environment blend mode";
    blend_ = modes.front();  // the runtime's preference: opaque (VR) or additive/alpha (AR)
    summary_.blend_mode = blend_ == XR_ENVIRONMENT_BLEND_MODE_OPAQUE     ? "opaque"
                          : blend_ == XR_ENVIRONMENT_BLEND_MODE_ADDITIVE ? "additive"
                                                                         : "alpha_blend";
  }

  void CreateGraphicsAndScene() {
    if (opengl_ext_) {
      PFN_xrGetOpenGLGraphicsRequirementsKHR get = nullptr;
      MUTA_XR_CHECK(xrGetInstanceProcAddr(instance_, "xrGetOpenGLGraphicsRequirementsKHR",
                                          reinterpret_cast<PFN_xrVoidFunction*>(&get)));
      MUTA_INTERNAL_CHECK(get != nullptr) << "xrGetOpenGLGraphicsRequirementsKHR is null";
      MUTA_XR_CHECK(get(instance_, system_, &gl_requirements_));
    }
    graphics_ = use_egl_ ? CreateEglGraphics() : CreateXlibGraphics();
    summary_.graphics = graphics_->Name();
    graphics_->Context().MakeCurrent();
    GLint major = 0, minor = 0;
    glGetIntegerv(GL_MAJOR_VERSION, &major);
    glGetIntegerv(GL_MINOR_VERSION, &minor);
    if (opengl_ext_) {
      const XrVersion have = XR_MAKE_VERSION(major, minor, 0);
      MUTA_CHECK(have >= gl_requirements_.minApiVersionSupported)
          << "the OpenXR runtime needs OpenGL "
          << XR_VERSION_MAJOR(gl_requirements_.minApiVersionSupported) << "."
          << XR_VERSION_MINOR(gl_requirements_.minApiVersionSupported) << ", the context is "
          << major << "." << minor;
    }
    spdlog::info("muta xr: {} ({}), {} binding, GL {}", summary_.runtime, system_name_,
                 graphics_->Name(), graphics_->Context().Describe());
    scene_ = render::viewer::CreateScene(std::move(model_));
    glCreateFramebuffers(1, &fbo_);

    const Box3f b = scene_->Bounds();
    const Eigen::Vector3d lo = b.min.cast<double>(), hi = b.max.cast<double>();
    ground_z_ = lo.z();
    size_m_ = std::max(1.0, (hi - lo).norm());
    settings_.render.layers.highlight_inferred = options_.highlight_inferred;
    settings_.render.layers.show_inferred = options_.show_inferred;
    settings_.render.lighting.shadow_map_size = 2048;
    const double yaw = options_.start_yaw_deg * kDegToRad;
    if (options_.start) {
      rig_ = Rig(*options_.start, yaw, options_.scale);
    } else if (options_.scale > 1) {
      // Dollhouse: the model's foot in front of the user at table height.
      const double k = options_.scale;
      const Eigen::Vector3d anchor(0.5 * (lo.x() + hi.x()), 0.5 * (lo.y() + hi.y()), lo.z());
      const Eigen::Vector3d table(0, 0.9, -(0.3 + 0.5 * (hi.y() - lo.y()) / k));
      rig_ = Rig(Eigen::Vector3d::Zero(), yaw, k);
      rig_ = Rig(anchor - (rig_.ToWorld(table) - rig_.translation()), yaw, k);
    } else {
      rig_ = Rig(Eigen::Vector3d(0.5 * (lo.x() + hi.x()), lo.y() - 2.0, lo.z()), yaw, 1);
    }
    teleport_.ground_z = ground_z_;
    Log({{"type", "start"},
         {"runtime", summary_.runtime},
         {"system", system_name_},
         {"graphics", summary_.graphics},
         {"blend_mode", summary_.blend_mode},
         {"bounds", {Vec(lo), Vec(hi)}},
         {"ground_z", ground_z_},
         {"rig", RigJson()},
         {"teleport",
          {{"speed_mps", teleport_.speed_mps},
           {"gravity_mps2", teleport_.gravity_mps2},
           {"max_slope_deg", teleport_.max_slope_deg}}}});
  }

  // ---- session ---------------------------------------------------------------------------

  void CreateSession() {
    graphics_->Context().MakeCurrent();
    XrSessionCreateInfo create{XR_TYPE_SESSION_CREATE_INFO};
    create.next = graphics_->Binding();
    create.systemId = system_;
    const XrResult created = xrCreateSession(instance_, &create, &session_);
    MUTA_CHECK(!(created == XR_ERROR_VALIDATION_FAILURE && use_egl_))
        << "xrCreateSession failed: XR_ERROR_VALIDATION_FAILURE with the headless EGL binding. "
           "Debian's Khronos validation layer (XR_ENABLE_API_LAYERS) does not know "
           "XrGraphicsBindingEGLMNDX: under the layer use --graphics xlib on a display (e.g. "
           "xvfb-run -a muta xr ...)";
    MUTA_XR_CHECK(created);
    ++summary_.sessions;
    state_ = XR_SESSION_STATE_UNKNOWN;
    first_frame_ = true;

    uint32_t count = 0;
    MUTA_XR_CHECK(xrEnumerateReferenceSpaces(session_, 0, &count, nullptr));
    std::vector<XrReferenceSpaceType> spaces(count);
    MUTA_XR_CHECK(xrEnumerateReferenceSpaces(session_, count, &count, spaces.data()));
    const bool stage =
        std::find(spaces.begin(), spaces.end(), XR_REFERENCE_SPACE_TYPE_STAGE) != spaces.end();
    XrReferenceSpaceCreateInfo info{XR_TYPE_REFERENCE_SPACE_CREATE_INFO};
    info.poseInReferenceSpace.orientation.w = 1;
    if (stage) {
      info.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_STAGE;
    } else {
      // No floor-level space: LOCAL's origin is at the eyes; put ours on an assumed floor.
      info.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_LOCAL;
      info.poseInReferenceSpace.position.y = static_cast<float>(-kLocalEyeHeightM);
      spdlog::warn("muta xr: the runtime has no STAGE space; assuming eyes {} m above the floor",
                   kLocalEyeHeightM);
    }
    MUTA_XR_CHECK(xrCreateReferenceSpace(session_, &info, &base_space_));
    info = {XR_TYPE_REFERENCE_SPACE_CREATE_INFO};
    info.poseInReferenceSpace.orientation.w = 1;
    info.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_VIEW;
    MUTA_XR_CHECK(xrCreateReferenceSpace(session_, &info, &view_space_));

    MUTA_XR_CHECK(xrEnumerateSwapchainFormats(session_, 0, &count, nullptr));
    std::vector<std::int64_t> formats(count);
    MUTA_XR_CHECK(xrEnumerateSwapchainFormats(session_, count, &count, formats.data()));
    const auto pick = [&](std::initializer_list<std::int64_t> wanted) -> std::int64_t {
      for (const std::int64_t f : wanted) {
        if (std::find(formats.begin(), formats.end(), f) != formats.end()) return f;
      }
      return 0;
    };
    std::int64_t colour = pick({GL_SRGB8_ALPHA8, GL_SRGB8});
    if (colour == 0) {
      colour = pick({GL_RGBA8, GL_RGBA16F, GL_RGB10_A2});
      MUTA_CHECK(colour != 0) << "the OpenXR runtime offers no colour swapchain format muta xr "
                                 "can render to (sRGB or RGBA8)";
      spdlog::warn("muta xr: no sRGB swapchain format offered; colours will look too dark");
    }
    const std::int64_t depth = depth_ext_ ? pick({GL_DEPTH_COMPONENT32F, GL_DEPTH_COMPONENT24,
                                                  GL_DEPTH24_STENCIL8, GL_DEPTH_COMPONENT16})
                                          : 0;
    for (int eye = 0; eye < 2; ++eye) {
      colour_[eye] = MakeSwapchain(colour, XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT, eye);
      if (depth != 0) {
        depth_[eye] = MakeSwapchain(depth, XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT, eye);
      }
    }
    if (depth == 0 && depth_rb_ == 0) {
      // Our own depth buffer (not submitted) when the runtime takes no depth.
      glCreateRenderbuffers(1, &depth_rb_);
      glNamedRenderbufferStorage(depth_rb_, GL_DEPTH_COMPONENT32F, colour_[0].width,
                                 colour_[0].height);
    }
    input_->Attach(session_);
  }

  Swapchain MakeSwapchain(std::int64_t format, XrSwapchainUsageFlags usage, int eye) {
    Swapchain s;
    s.width = static_cast<int>(config_views_[eye].recommendedImageRectWidth);
    s.height = static_cast<int>(config_views_[eye].recommendedImageRectHeight);
    s.format = format;
    XrSwapchainCreateInfo info{XR_TYPE_SWAPCHAIN_CREATE_INFO};
    info.usageFlags = usage;
    info.format = format;
    info.sampleCount = 1;
    info.width = static_cast<uint32_t>(s.width);
    info.height = static_cast<uint32_t>(s.height);
    info.faceCount = 1;
    info.arraySize = 1;
    info.mipCount = 1;
    MUTA_XR_CHECK(xrCreateSwapchain(session_, &info, &s.handle));
    uint32_t count = 0;
    MUTA_XR_CHECK(xrEnumerateSwapchainImages(s.handle, 0, &count, nullptr));
    std::vector<XrSwapchainImageOpenGLKHR> images(count, {XR_TYPE_SWAPCHAIN_IMAGE_OPENGL_KHR});
    MUTA_XR_CHECK(xrEnumerateSwapchainImages(
        s.handle, count, &count, reinterpret_cast<XrSwapchainImageBaseHeader*>(images.data())));
    for (const auto& image : images) s.images.push_back(image.image);
    return s;
  }

  void DestroySession() {
    graphics_->Context().MakeCurrent();
    input_->Detach();
    for (int eye = 0; eye < 2; ++eye) {
      for (Swapchain* s : {&colour_[eye], &depth_[eye]}) {
        if (s->handle != XR_NULL_HANDLE) MUTA_XR_CHECK(xrDestroySwapchain(s->handle));
        *s = {};
      }
    }
    for (XrSpace* space : {&base_space_, &view_space_}) {
      if (*space != XR_NULL_HANDLE) MUTA_XR_CHECK(xrDestroySpace(*space));
      *space = XR_NULL_HANDLE;
    }
    MUTA_XR_CHECK(xrDestroySession(session_));
    session_ = XR_NULL_HANDLE;
    running_ = false;
    exit_requested_ = false;
  }

  /// LOSS_PENDING (or XR_ERROR_SESSION_LOST): the session is gone; a new one is made once the
  /// system is back (OpenXR 1.0 §9.3: destroy, then xrGetSystem until it succeeds).
  void LoseSession() {
    if (session_ != XR_NULL_HANDLE) DestroySession();
    if (options_.frames && summary_.frames_rendered >= *options_.frames) done_ = true;
  }

  void RecreateSession() {
    for (int attempt = 0;; ++attempt) {
      XrSystemGetInfo info{XR_TYPE_SYSTEM_GET_INFO};
      info.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
      const XrResult r = xrGetSystem(instance_, &info, &system_);
      if (XR_SUCCEEDED(r)) break;
      MUTA_CHECK(r == XR_ERROR_FORM_FACTOR_UNAVAILABLE && attempt < 600 && !InterruptRequested())
          << "after losing the session, the headset did not come back (xrGetSystem: "
          << XrResultName(r) << ")";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    spdlog::info("muta xr: the session was lost; starting a new one");
    CreateSession();
  }

  void RequestExit() {
    MUTA_XR_CHECK(xrRequestExitSession(session_));
    exit_requested_ = true;
  }

  void PollEvents() {
    while (true) {
      XrEventDataBuffer event{XR_TYPE_EVENT_DATA_BUFFER};
      const XrResult r = MUTA_XR_CHECK(xrPollEvent(instance_, &event));
      if (r == XR_EVENT_UNAVAILABLE) return;
      switch (event.type) {
        case XR_TYPE_EVENT_DATA_INSTANCE_LOSS_PENDING:
          Log({{"type", "instance_loss_pending"}});
          MUTA_CHECK(false) << "the OpenXR runtime is going away (instance loss pending: it "
                               "was stopped or is updating); muta xr closed its session – start "
                               "it again once the runtime is back";
          break;
        case XR_TYPE_EVENT_DATA_EVENTS_LOST:
          spdlog::warn("muta xr: the runtime dropped {} events",
                       reinterpret_cast<const XrEventDataEventsLost&>(event).lostEventCount);
          break;
        case XR_TYPE_EVENT_DATA_INTERACTION_PROFILE_CHANGED:
          LogProfiles();
          break;
        case XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED:
          OnStateChanged(reinterpret_cast<const XrEventDataSessionStateChanged&>(event));
          if (done_) return;
          break;
        default:
          break;
      }
    }
  }

  void OnStateChanged(const XrEventDataSessionStateChanged& changed) {
    if (changed.session != session_ || session_ == XR_NULL_HANDLE) return;  // a lost session's
    state_ = changed.state;
    summary_.states.push_back(XrSessionStateName(state_));
    Log({{"type", "state"},
         {"session", summary_.sessions - 1},
         {"state", XrSessionStateName(state_)},
         {"time", changed.time}});
    spdlog::debug("muta xr: {}", XrSessionStateName(state_));
    switch (state_) {
      case XR_SESSION_STATE_READY: {
        XrSessionBeginInfo begin{XR_TYPE_SESSION_BEGIN_INFO};
        begin.primaryViewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
        MUTA_XR_CHECK(xrBeginSession(session_, &begin));
        running_ = true;
        break;
      }
      case XR_SESSION_STATE_STOPPING:
        MUTA_XR_CHECK(xrEndSession(session_));
        running_ = false;
        break;
      case XR_SESSION_STATE_EXITING:
        DestroySession();
        done_ = true;
        break;
      case XR_SESSION_STATE_LOSS_PENDING:
        LoseSession();
        break;
      default:
        break;
    }
  }

  void LogProfiles() {
    if (session_ == XR_NULL_HANDLE) return;
    Json profiles = Json::object();
    for (const char* hand : {"/user/hand/left", "/user/hand/right"}) {
      XrPath path = XR_NULL_PATH;
      MUTA_XR_CHECK(xrStringToPath(instance_, hand, &path));
      XrInteractionProfileState state{XR_TYPE_INTERACTION_PROFILE_STATE};
      MUTA_XR_CHECK(xrGetCurrentInteractionProfile(session_, path, &state));
      std::string name;
      if (state.interactionProfile != XR_NULL_PATH) {
        uint32_t n = 0;
        MUTA_XR_CHECK(xrPathToString(instance_, state.interactionProfile, 0, &n, nullptr));
        std::string text(n, '\0');
        MUTA_XR_CHECK(xrPathToString(instance_, state.interactionProfile, n, &n, text.data()));
        name = text.c_str();
      }
      profiles[hand] = name;
    }
    spdlog::info("muta xr: controllers: {}", profiles.dump());
    Log({{"type", "interaction_profile"}, {"profiles", profiles}});
  }

  // ---- frames ----------------------------------------------------------------------------

  void Frame() {
    XrFrameState frame_state{XR_TYPE_FRAME_STATE};
    MUTA_XR_CHECK(xrWaitFrame(session_, nullptr, &frame_state));
    const double cpu0 = ThreadCpuMs();
    MUTA_XR_CHECK(xrBeginFrame(session_, nullptr));
    const XrTime time = frame_state.predictedDisplayTime;

    std::optional<TrackedPose> head;
    {
      XrSpaceLocation location{XR_TYPE_SPACE_LOCATION};
      MUTA_XR_CHECK(xrLocateSpace(view_space_, base_space_, time, &location));
      const XrSpaceLocationFlags need =
          XR_SPACE_LOCATION_POSITION_VALID_BIT | XR_SPACE_LOCATION_ORIENTATION_VALID_BIT;
      if ((location.locationFlags & need) == need) head = ToTracked(location.pose);
    }
    if (state_ == XR_SESSION_STATE_FOCUSED) {
      const InputFrame input = input_->Sync(base_space_, time);
      if (head) HandleInput(input, *head);
    }

    std::vector<const XrCompositionLayerBaseHeader*> layers;
    XrCompositionLayerProjection layer{XR_TYPE_COMPOSITION_LAYER_PROJECTION};
    std::array<XrCompositionLayerProjectionView, 2> proj{};
    std::array<XrCompositionLayerDepthInfoKHR, 2> depth{};
    std::array<double, 2> eye_ms{0, 0};
    std::array<Eigen::Vector3d, 2> eye_world;
    std::array<Eigen::Vector3d, 2> eye_forward;
    bool rendered = false;
    if (frame_state.shouldRender) {
      XrViewLocateInfo locate{XR_TYPE_VIEW_LOCATE_INFO};
      locate.viewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
      locate.displayTime = time;
      locate.space = base_space_;
      XrViewState view_state{XR_TYPE_VIEW_STATE};
      std::array<XrView, 2> views{XrView{XR_TYPE_VIEW}, XrView{XR_TYPE_VIEW}};
      uint32_t count = 0;
      MUTA_XR_CHECK(xrLocateViews(session_, &locate, &view_state, 2, &count, views.data()));
      const XrViewStateFlags need =
          XR_VIEW_STATE_POSITION_VALID_BIT | XR_VIEW_STATE_ORIENTATION_VALID_BIT;
      if (count == 2 && (view_state.viewStateFlags & need) == need) {
        for (int eye = 0; eye < 2; ++eye) {
          const double t0 = ThreadCpuMs();
          const TrackedPose pose = ToTracked(views[eye].pose);
          RenderEye(eye, pose, views[eye].fov);
          eye_ms[eye] = ThreadCpuMs() - t0;
          eye_world[eye] = rig_.ToWorld(pose.position);
          eye_forward[eye] = rig_.DirectionToWorld(pose.orientation * -Eigen::Vector3d::UnitZ());
          const XrRect2Di rect{{0, 0}, {colour_[eye].width, colour_[eye].height}};
          proj[eye] = {XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW};
          proj[eye].pose = views[eye].pose;
          proj[eye].fov = views[eye].fov;
          proj[eye].subImage = {colour_[eye].handle, rect, 0};
          if (depth_[eye].handle != XR_NULL_HANDLE) {
            // Reversed depth (render/renderer.cpp): 1 at the near plane, 0 at the far one.
            depth[eye] = {XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR};
            depth[eye].subImage = {depth_[eye].handle, rect, 0};
            depth[eye].minDepth = 0;
            depth[eye].maxDepth = 1;
            depth[eye].nearZ = static_cast<float>(FarM());
            depth[eye].farZ = static_cast<float>(kNearM);
            proj[eye].next = &depth[eye];
          }
        }
        layer.space = base_space_;
        layer.viewCount = 2;
        layer.views = proj.data();
        if (blend_ != XR_ENVIRONMENT_BLEND_MODE_OPAQUE) {
          layer.layerFlags = XR_COMPOSITION_LAYER_BLEND_TEXTURE_SOURCE_ALPHA_BIT;
        }
        layers.push_back(reinterpret_cast<const XrCompositionLayerBaseHeader*>(&layer));
        rendered = true;
      }
    }
    const double cpu_ms = ThreadCpuMs() - cpu0;
    XrFrameEndInfo end{XR_TYPE_FRAME_END_INFO};
    end.displayTime = time;
    end.environmentBlendMode = blend_;
    end.layerCount = static_cast<uint32_t>(layers.size());
    end.layers = layers.data();
    MUTA_XR_CHECK(xrEndFrame(session_, &end));
    if (!rendered) return;

    ++summary_.frames_rendered;
    frame_cpu_ms_.push_back(cpu_ms);
    eye_cpu_ms_.push_back(eye_ms[0]);
    eye_cpu_ms_.push_back(eye_ms[1]);
    const render::viewer::SceneStats stats = scene_->Stats();
    Json eyes = Json::array();
    for (int eye = 0; eye < 2; ++eye) {
      eyes.push_back({{"position", Vec(eye_world[eye])}, {"forward", Vec(eye_forward[eye])}});
    }
    Log({{"type", "frame"},
         {"frame", summary_.frames_rendered - 1},
         {"session", summary_.sessions - 1},
         {"predicted_display_time", time},
         {"head", head ? Vec(rig_.ToWorld(head->position)) : Json()},
         {"eyes", eyes},
         {"rig", RigJson()},
         {"show_inferred", settings_.render.layers.show_inferred},
         {"triangles", stats.triangles_drawn},
         {"tiles_resident", stats.tiles_resident},
         {"cpu_ms", cpu_ms},
         {"eye_cpu_ms", {eye_ms[0], eye_ms[1]}}});
  }

  double FarM() const { return std::max(100.0, 4 * size_m_); }

  static TrackedPose ToTracked(const XrPosef& p) {
    TrackedPose pose;
    pose.position = {p.position.x, p.position.y, p.position.z};
    pose.orientation =
        Eigen::Quaterniond(p.orientation.w, p.orientation.x, p.orientation.y, p.orientation.z)
            .normalized();
    return pose;
  }

  GLuint Acquire(const Swapchain& s) {
    uint32_t index = 0;
    MUTA_XR_CHECK(xrAcquireSwapchainImage(s.handle, nullptr, &index));
    XrSwapchainImageWaitInfo wait{XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO};
    wait.timeout = XR_INFINITE_DURATION;
    MUTA_XR_CHECK(xrWaitSwapchainImage(s.handle, &wait));
    MUTA_INTERNAL_CHECK(index < s.images.size()) << "swapchain image index out of range";
    return s.images[index];
  }

  void RenderEye(int eye, const TrackedPose& pose, const XrFovf& fov) {
    const Swapchain& colour = colour_[eye];
    const Camera camera = EyeCamera({fov.angleLeft, fov.angleRight, fov.angleUp, fov.angleDown},
                                    colour.width, colour.height);
    const Rigid3d cam_from_world = rig_.CamFromWorld(pose);
    settings_.render.near_m = kNearM * rig_.scale();
    settings_.render.far_m = FarM() * rig_.scale();
    if (first_frame_ || options_.complete_tiles) {
      // The first frame waits for the tiles (the headset shows the runtime's own scene until
      // then); later frames never wait.
      scene_->UpdateComplete(camera, cam_from_world);
    } else {
      scene_->Update(camera, cam_from_world);
    }
    const GLuint image = Acquire(colour);
    glNamedFramebufferTexture(fbo_, GL_COLOR_ATTACHMENT0, image, 0);
    const bool own_depth = depth_[eye].handle == XR_NULL_HANDLE;
    if (own_depth) {
      glNamedFramebufferRenderbuffer(fbo_, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, depth_rb_);
    } else {
      glNamedFramebufferTexture(fbo_, GL_DEPTH_ATTACHMENT, Acquire(depth_[eye]), 0);
    }
    const GLenum status = glCheckNamedFramebufferStatus(fbo_, GL_DRAW_FRAMEBUFFER);
    MUTA_INTERNAL_CHECK(status == GL_FRAMEBUFFER_COMPLETE)
        << "the swapchain framebuffer is incomplete (status 0x" << std::hex << status << ")";
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, fbo_);
    scene_->Draw(camera, cam_from_world, settings_, colour.width, colour.height);
    if (blend_ != XR_ENVIRONMENT_BLEND_MODE_OPAQUE) ClearBackground();
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    glNamedFramebufferTexture(fbo_, GL_COLOR_ATTACHMENT0, 0, 0);
    if (own_depth) {
      glNamedFramebufferRenderbuffer(fbo_, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, 0);
    } else {
      glNamedFramebufferTexture(fbo_, GL_DEPTH_ATTACHMENT, 0, 0);
      MUTA_XR_CHECK(xrReleaseSwapchainImage(depth_[eye].handle, nullptr));
    }
    MUTA_XR_CHECK(xrReleaseSwapchainImage(colour.handle, nullptr));
    if (eye == 1) first_frame_ = false;
  }

  /// AR (additive / alpha blend): where nothing was drawn (depth still at the cleared 0 of the
  /// reversed depth buffer) the colour becomes transparent black, so the real world shows.
  void ClearBackground();

  // ---- input -----------------------------------------------------------------------------

  void HandleInput(const InputFrame& input, const TrackedPose& head) {
    // Snap turn: a flick of either stick past 0.7, again only after it came back below 0.3.
    const float turn = std::abs(input.hands[0].turn) > std::abs(input.hands[1].turn)
                           ? input.hands[0].turn
                           : input.hands[1].turn;
    if (std::abs(turn) > 0.7f && !turn_latched_) {
      const double angle = (turn > 0 ? -1 : 1) * options_.snap_turn_deg * kDegToRad;
      const Eigen::Vector3d before = rig_.ToWorld(head.position);
      rig_.Turn(head, angle);
      turn_latched_ = true;
      ++summary_.turns;
      Log({{"type", "turn"},
           {"frame", summary_.frames_rendered},
           {"angle_deg", angle / kDegToRad},
           {"head", Vec(before)}});
    } else if (std::abs(turn) < 0.3f) {
      turn_latched_ = false;
    }

    // Teleport: hold to aim the arc, release to go (if the arc ends on walkable floor).
    int aiming = -1;
    for (int hand = 1; hand >= 0; --hand) {
      if (input.hands[hand].teleport > 0.6f && input.hands[hand].aim) aiming = hand;
    }
    if (aiming >= 0) {
      const TrackedPose& aim = *input.hands[aiming].aim;
      const SegmentCast cast = [&](const Eigen::Vector3d& origin, const Eigen::Vector3d& dir,
                                   double length) -> std::optional<SurfaceHit> {
        const auto hit = scene_->Pick(origin, dir, settings_, 0);
        if (!hit || hit->distance > length) return std::nullopt;
        return SurfaceHit{hit->point, hit->normal};
      };
      arc_ = CastTeleportArc(rig_.ToWorld(aim.position),
                             rig_.DirectionToWorld(aim.orientation * -Eigen::Vector3d::UnitZ()),
                             rig_.scale(), cast, teleport_);
      teleport_hand_ = aiming;
    } else if (teleport_hand_ >= 0 && input.hands[teleport_hand_].teleport < 0.3f) {
      const Eigen::Vector3d before = rig_.ToWorld(head.position);
      if (arc_.target) {
        rig_.Teleport(head, *arc_.target);
        ++summary_.teleports;
      }
      Log({{"type", "teleport"},
           {"frame", summary_.frames_rendered},
           {"valid", arc_.target.has_value()},
           {"target", arc_.target ? Vec(*arc_.target) : Json()},
           {"arc_end", Vec(arc_.points.back())},
           {"head_before", Vec(before)},
           {"head_after", Vec(rig_.ToWorld(head.position))}});
      teleport_hand_ = -1;
      arc_ = {};
    }

    // Two-handed grab: move, turn and scale the model (1:1 .. 1:100).
    const HandInput& l = input.hands[0];
    const HandInput& r = input.hands[1];
    if (l.grab > 0.5f && r.grab > 0.5f && l.grip && r.grip) {
      if (!grab_.active()) {
        grab_.Begin(rig_, l.grip->position, r.grip->position);
      } else {
        rig_ = grab_.Update(l.grip->position, r.grip->position);
      }
    } else if (grab_.active()) {
      grab_.End();
      Log({{"type", "grab"}, {"frame", summary_.frames_rendered}, {"rig", RigJson()}});
    }

    if (input.toggle_inferred) {
      settings_.render.layers.show_inferred = !settings_.render.layers.show_inferred;
      Log({{"type", "toggle_inferred"},
           {"frame", summary_.frames_rendered},
           {"show_inferred", settings_.render.layers.show_inferred}});
    }
  }

  // ---- log and summary -------------------------------------------------------------------

  Json RigJson() const {
    return {{"scale", rig_.scale()},
            {"yaw_deg", rig_.yaw() / kDegToRad},
            {"translation", Vec(rig_.translation())}};
  }

  void Log(const Json& line) {
    if (!log_.is_open()) return;
    log_ << line.dump() << '\n';
    log_.flush();
  }

  void Finish() {
    summary_.frame_cpu_ms_median = Percentile(frame_cpu_ms_, 0.5);
    summary_.frame_cpu_ms_p99 = Percentile(frame_cpu_ms_, 0.99);
    summary_.eye_cpu_ms_median = Percentile(eye_cpu_ms_, 0.5);
    summary_.eye_cpu_ms_p99 = Percentile(eye_cpu_ms_, 0.99);
    Log({{"type", "summary"},
         {"frames", summary_.frames_rendered},
         {"sessions", summary_.sessions},
         {"states", summary_.states},
         {"frame_cpu_ms",
          {{"median", summary_.frame_cpu_ms_median}, {"p99", summary_.frame_cpu_ms_p99}}},
         {"eye_cpu_ms", {{"median", summary_.eye_cpu_ms_median}, {"p99", summary_.eye_cpu_ms_p99}}},
         {"teleports", summary_.teleports},
         {"turns", summary_.turns}});
  }

  fs::path path_;
  XrViewerOptions options_;
  render::viewer::LoadedModel model_;
  std::ofstream log_;
  XrRunSummary summary_;

  XrInstance instance_ = XR_NULL_HANDLE;
  XrSystemId system_ = XR_NULL_SYSTEM_ID;
  std::string system_name_;
  bool use_egl_ = false, opengl_ext_ = false, depth_ext_ = false;
  XrGraphicsRequirementsOpenGLKHR gl_requirements_{XR_TYPE_GRAPHICS_REQUIREMENTS_OPENGL_KHR};
  std::vector<XrViewConfigurationView> config_views_;
  XrEnvironmentBlendMode blend_ = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;

  std::unique_ptr<XrGraphics> graphics_;
  std::unique_ptr<render::viewer::ViewScene> scene_;
  render::viewer::ViewSettings settings_;
  std::unique_ptr<XrInput> input_;
  GLuint fbo_ = 0, depth_rb_ = 0;
  GLuint clear_program_ = 0, clear_vao_ = 0;

  XrSession session_ = XR_NULL_HANDLE;
  XrSpace base_space_ = XR_NULL_HANDLE, view_space_ = XR_NULL_HANDLE;
  std::array<Swapchain, 2> colour_{}, depth_{};
  XrSessionState state_ = XR_SESSION_STATE_UNKNOWN;
  bool running_ = false, exit_requested_ = false, done_ = false, first_frame_ = true;

  Rig rig_;
  double ground_z_ = 0, size_m_ = 1;
  TeleportOptions teleport_;
  TeleportArc arc_;
  int teleport_hand_ = -1;
  bool turn_latched_ = false;
  TwoHandGrab grab_;

  std::vector<double> frame_cpu_ms_, eye_cpu_ms_;
};

void Viewer::ClearBackground() {
  if (clear_program_ == 0) {
    // A full-screen triangle at depth 0 passing only where the depth is still 0 (GL_EQUAL).
    const char* vs =
        "#version 450 core\n"
        "void main() {\n"
        "  vec2 p = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);\n"
        "  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);\n"
        "}\n";
    const char* fs =
        "#version 450 core\n"
        "out vec4 colour;\n"
        "void main() { colour = vec4(0.0); }\n";
    const auto compile = [](GLenum type, const char* source) {
      const GLuint shader = glCreateShader(type);
      glShaderSource(shader, 1, &source, nullptr);
      glCompileShader(shader);
      GLint ok = 0;
      glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
      MUTA_INTERNAL_CHECK(ok) << "the AR background shader does not compile";
      return shader;
    };
    const GLuint v = compile(GL_VERTEX_SHADER, vs), f = compile(GL_FRAGMENT_SHADER, fs);
    clear_program_ = glCreateProgram();
    glAttachShader(clear_program_, v);
    glAttachShader(clear_program_, f);
    glLinkProgram(clear_program_);
    glDeleteShader(v);
    glDeleteShader(f);
    glCreateVertexArrays(1, &clear_vao_);
  }
  // Clip z 0 maps to depth 0 with the zero-to-one clip range the renderer uses.
  glClipControl(GL_LOWER_LEFT, GL_ZERO_TO_ONE);
  glEnable(GL_DEPTH_TEST);
  glDepthFunc(GL_EQUAL);
  glDepthMask(GL_FALSE);
  glDisable(GL_BLEND);
  glUseProgram(clear_program_);
  glBindVertexArray(clear_vao_);
  glDrawArrays(GL_TRIANGLES, 0, 3);
  glBindVertexArray(0);
  glUseProgram(0);
  glDepthMask(GL_TRUE);
  glDepthFunc(GL_LESS);
  glClipControl(GL_LOWER_LEFT, GL_NEGATIVE_ONE_TO_ONE);
}

}  // namespace

XrRunSummary RunXrViewer(const std::filesystem::path& path, const XrViewerOptions& options) {
  Viewer viewer(path, options);
  return viewer.Run();
}

}  // namespace muta::xr
