// muta xr: options, instance and system, graphics binding and scene, log and summary; the
// Viewer's other parts are listed in xr/app/viewer_app.h.
#include "xr/app/xr_viewer.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/progress.h"
#include "xr/app/viewer_app.h"

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
  MUTA_CHECK(move_speed_mps > 0 && move_speed_mps <= 10)
      << "--move-speed " << move_speed_mps << ": expected (0, 10] metres per second";
  MUTA_CHECK(surface_height_m >= 0 && surface_height_m <= 2)
      << "--surface-height " << surface_height_m << ": expected 0 (the floor) to 2 metres";
  MUTA_CHECK(vignette >= 0 && vignette <= 1)
      << "--vignette " << vignette << ": expected 0 (off) to 1 (periphery black)";
}

namespace detail {

namespace fs = std::filesystem;

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

Json Vec(const Eigen::Vector3d& v) {
  return Json::array({v.x(), v.y(), v.z()});
}

namespace {

bool HaveDisplay() {
  const char* x11 = std::getenv("DISPLAY");
  return x11 != nullptr && x11[0] != '\0';
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

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

Viewer::Viewer(const fs::path& path, const XrViewerOptions& options)
    : path_(path), options_(options) {
  options_.Check();
  if (!options_.log_path.empty()) {
    log_.open(options_.log_path);
    MUTA_CHECK(log_.good()) << "cannot write the log " << options_.log_path;
  }
}

Viewer::~Viewer() {
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
    overlays_.reset();
    panel_ui_.reset();
    scene_.reset();
  }
  if (instance_ != XR_NULL_HANDLE) xrDestroyInstance(instance_);
}

XrRunSummary Viewer::Run() {
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

void Viewer::CreateInstance() {
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

void Viewer::GetSystem() {
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
                                                  XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, count,
                                                  &count, config_views_.data()));
  MUTA_CHECK(count == 2) << "the stereo view configuration has " << count << " views, not 2";

  MUTA_XR_CHECK(xrEnumerateEnvironmentBlendModes(
      instance_, system_, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 0, &count, nullptr));
  std::vector<XrEnvironmentBlendMode> modes(count);
  MUTA_XR_CHECK(xrEnumerateEnvironmentBlendModes(
      instance_, system_, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, count, &count, modes.data()));
  MUTA_CHECK(!modes.empty()) << "the OpenXR system offers no environment blend mode";
  blend_ = modes.front();  // the runtime's preference: opaque (VR) or additive/alpha (AR)
  summary_.blend_mode = blend_ == XR_ENVIRONMENT_BLEND_MODE_OPAQUE     ? "opaque"
                        : blend_ == XR_ENVIRONMENT_BLEND_MODE_ADDITIVE ? "additive"
                                                                       : "alpha_blend";
}

void Viewer::CreateGraphicsAndScene() {
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
        << XR_VERSION_MINOR(gl_requirements_.minApiVersionSupported) << ", the context is " << major
        << "." << minor;
  }
  spdlog::info("muta xr: {} ({}), {} binding, GL {}", summary_.runtime, system_name_,
               graphics_->Name(), graphics_->Context().Describe());
  if (model_.site_json) {
    pins_ = render::viewer::ParseAnnotations(*model_.site_json,
                                             (model_.site_dir / "site.json").string());
  }
  scene_ = render::viewer::CreateScene(std::move(model_));
  glCreateFramebuffers(1, &fbo_);
  overlays_ = std::make_unique<EyeOverlays>();
  panel_ui_ = std::make_unique<PanelUi>(kPanelWidthPx, kPanelHeightPx);
  panel_open_ = options_.panel;

  const Box3f b = scene_->Bounds();
  const Eigen::Vector3d lo = b.min.cast<double>(), hi = b.max.cast<double>();
  ground_z_ = lo.z();
  section_z_ = static_cast<float>(0.5 * (lo.z() + hi.z()));
  size_m_ = std::max(1.0, (hi - lo).norm());
  settings_.render.layers.highlight_inferred = options_.highlight_inferred;
  settings_.render.layers.show_inferred = options_.show_inferred;
  settings_.render.lighting.shadow_map_size = 2048;
  const double yaw = options_.start_yaw_deg * kDegToRad;
  // AR (additive / alpha blend): the model stands on a real surface – a table (or the floor)
  // `surface_height_m` above the STAGE floor – as a dollhouse that fits in about a metre,
  // unless --scale or --start say otherwise.
  const bool ar = blend_ != XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
  const double footprint = std::max(hi.x() - lo.x(), hi.y() - lo.y());
  const double ar_scale = std::clamp(footprint / kArFootprintM, Rig::kMinScale, Rig::kMaxScale);
  if (options_.start) {
    rig_ = Rig(*options_.start, yaw, options_.scale);
  } else if (options_.scale > 1 || ar) {
    // Dollhouse: the model's foot in front of the user at table height.
    const double k = options_.scale > 1 ? options_.scale : ar_scale;
    const double height = ar ? options_.surface_height_m : kTableHeightM;
    const Eigen::Vector3d anchor(0.5 * (lo.x() + hi.x()), 0.5 * (lo.y() + hi.y()), lo.z());
    const Eigen::Vector3d table(0, height, -(0.3 + 0.5 * (hi.y() - lo.y()) / k));
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
       {"surface_height_m", ar && !options_.start ? Json(options_.surface_height_m) : Json()},
       {"rig", RigJson()},
       {"teleport",
        {{"speed_mps", teleport_.speed_mps},
         {"gravity_mps2", teleport_.gravity_mps2},
         {"max_slope_deg", teleport_.max_slope_deg}}}});
}

Json Viewer::RigJson() const {
  return {{"scale", rig_.scale()},
          {"yaw_deg", rig_.yaw() / kDegToRad},
          {"translation", Vec(rig_.translation())}};
}

void Viewer::Log(const Json& line) {
  if (!log_.is_open()) return;
  log_ << line.dump() << '\n';
  log_.flush();
}

void Viewer::Finish() {
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

}  // namespace detail

XrRunSummary RunXrViewer(const std::filesystem::path& path, const XrViewerOptions& options) {
  detail::Viewer viewer(path, options);
  return viewer.Run();
}

}  // namespace muta::xr
