#pragma once
// A small OpenXR app for the xr/sim tests: goes through the real Khronos loader to the
// simulated headset (XR_RUNTIME_JSON = the generated manifest), on a headless EGL context,
// and runs the session state machine and stereo frame loop the way `muta xr` does. Header
// only, for test executables (a .cpp here would be compiled into the runtime).

#define EGL_NO_X11
#include <epoxy/egl.h>
#include <epoxy/gl.h>
#define XR_USE_GRAPHICS_API_OPENGL
#define XR_USE_PLATFORM_EGL
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>
#include <openxr/openxr_reflection.h>

#include <array>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "render/gl_context.h"

namespace muta::xr::sim::test {

inline std::string ResultName(XrResult result) {
  switch (result) {
#define MUTA_XR_SIM_TEST_CASE(name, value) \
  case name:                               \
    return #name;
    XR_LIST_ENUM_XrResult(MUTA_XR_SIM_TEST_CASE)
#undef MUTA_XR_SIM_TEST_CASE
            default : return "XrResult " +
                      std::to_string(static_cast<int>(result));
  }
}

/// Throws std::runtime_error naming the call and its XrResult unless it succeeded.
#define SIM_XR_CHECK(call)                                                                    \
  do {                                                                                        \
    const XrResult sim_result_ = (call);                                                      \
    if (XR_FAILED(sim_result_)) {                                                             \
      throw std::runtime_error(std::string(#call) +                                           \
                               " failed: " + ::muta::xr::sim::test::ResultName(sim_result_)); \
    }                                                                                         \
  } while (false)

/// Sets environment variables for its lifetime, restoring the previous values after.
class ScopedEnv {
 public:
  ScopedEnv() = default;
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    for (auto& [name, old] : saved_) {
      if (old) {
        setenv(name.c_str(), old->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }
  void Set(const std::string& name, const std::string& value) {
    if (saved_.count(name) == 0) {
      const char* old = std::getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    setenv(name.c_str(), value.c_str(), 1);
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

/// The environment for one test: the runtime chosen by manifest, every MUTA_XR_SIM_* variable
/// cleared, layers off unless a test turns them on.
inline void UseSimulator(ScopedEnv& env) {
  env.Set("XR_RUNTIME_JSON", MUTA_XR_SIM_MANIFEST);
  env.Set("XR_ENABLE_API_LAYERS", "");
  for (const char* name :
       {"MUTA_XR_SIM_CONFIG", "MUTA_XR_SIM_WIDTH", "MUTA_XR_SIM_HEIGHT", "MUTA_XR_SIM_REFRESH_HZ",
        "MUTA_XR_SIM_FOV_X_DEG", "MUTA_XR_SIM_IPD_M", "MUTA_XR_SIM_BLEND_MODES",
        "MUTA_XR_SIM_TIMING", "MUTA_XR_SIM_TIMELINE", "MUTA_XR_SIM_CAPTURE_DIR",
        "MUTA_XR_SIM_CAPTURE_EVERY", "MUTA_XR_SIM_EXIT_AFTER_FRAMES"}) {
    env.Set(name, "");
  }
}

/// Eye colours that change every frame, so a capture can be matched to its frame.
inline std::array<std::uint8_t, 4> EyeColour(int frame, int eye) {
  const auto g = static_cast<std::uint8_t>(10 + 20 * (frame % 12));
  return eye == 0 ? std::array<std::uint8_t, 4>{200, g, 30, 255}
                  : std::array<std::uint8_t, 4>{20, g, 220, 255};
}

/// The session states of a whole session, from creation to exit.
inline const std::vector<XrSessionState> kFullSequence = {
    XR_SESSION_STATE_IDLE,         XR_SESSION_STATE_READY,    XR_SESSION_STATE_SYNCHRONIZED,
    XR_SESSION_STATE_VISIBLE,      XR_SESSION_STATE_FOCUSED,  XR_SESSION_STATE_VISIBLE,
    XR_SESSION_STATE_SYNCHRONIZED, XR_SESSION_STATE_STOPPING, XR_SESSION_STATE_IDLE,
    XR_SESSION_STATE_EXITING};

struct ClientOptions {
  std::vector<const char*> extensions{XR_KHR_OPENGL_ENABLE_EXTENSION_NAME,
                                      XR_MNDX_EGL_ENABLE_EXTENSION_NAME,
                                      XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME};
  bool depth = true;    ///< submit depth with XR_KHR_composition_layer_depth
  bool actions = true;  ///< set up an action set and sync it every frame
  XrReferenceSpaceType space = XR_REFERENCE_SPACE_TYPE_LOCAL;  ///< the layer's space
  XrEnvironmentBlendMode blend = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
  /// The GL context; default: headless EGL (render::CreateHeadlessContext).
  std::function<std::unique_ptr<render::GlContext>()> make_context;
  /// The graphics binding chained to XrSessionCreateInfo, built with the context current;
  /// default: XrGraphicsBindingEGLMNDX for the headless context. The pointer must stay valid
  /// until xrCreateSession returns.
  std::function<const void*(render::GlContext&)> make_binding;
  /// Layers submitted after the projection layer in every rendered frame (e.g. a quad); they
  /// must stay valid while frames are submitted.
  std::vector<const XrCompositionLayerBaseHeader*> extra_layers;
};

/// What one rendered frame submitted.
struct SubmittedFrame {
  XrTime predicted_display_time = 0;
  std::array<XrView, 2> views{};
  std::array<std::array<std::uint8_t, 4>, 2> colour{};  ///< RGBA bytes cleared per eye
};

class Client {
 public:
  explicit Client(ClientOptions options = {}) : options_(std::move(options)) {
    gl_ = options_.make_context ? options_.make_context() : render::CreateHeadlessContext();
    XrInstanceCreateInfo create{XR_TYPE_INSTANCE_CREATE_INFO};
    std::snprintf(create.applicationInfo.applicationName, XR_MAX_APPLICATION_NAME_SIZE, "%s",
                  "muta-xr-sim-test");
    create.applicationInfo.apiVersion = XR_MAKE_VERSION(1, 0, 0);
    create.enabledExtensionCount = static_cast<uint32_t>(options_.extensions.size());
    create.enabledExtensionNames = options_.extensions.data();
    SIM_XR_CHECK(xrCreateInstance(&create, &instance_));
    XrSystemGetInfo system_info{XR_TYPE_SYSTEM_GET_INFO};
    system_info.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
    SIM_XR_CHECK(xrGetSystem(instance_, &system_info, &system_));
    uint32_t count = 0;
    SIM_XR_CHECK(xrEnumerateViewConfigurationViews(
        instance_, system_, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 0, &count, nullptr));
    config_views_.assign(count, {XR_TYPE_VIEW_CONFIGURATION_VIEW});
    SIM_XR_CHECK(xrEnumerateViewConfigurationViews(instance_, system_,
                                                   XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, count,
                                                   &count, config_views_.data()));
  }

  ~Client() {
    if (instance_ != XR_NULL_HANDLE) xrDestroyInstance(instance_);
    if (fbo_ != 0) glDeleteFramebuffers(1, &fbo_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  XrInstance instance() const { return instance_; }
  XrSystemId system() const { return system_; }
  XrSession session() const { return session_; }
  const std::vector<XrViewConfigurationView>& config_views() const { return config_views_; }
  /// Session states in the order the events reported them.
  const std::vector<XrSessionState>& states() const { return states_; }
  const std::vector<SubmittedFrame>& submitted() const { return submitted_; }
  XrSpace stage() const { return stage_; }
  XrSpace local() const { return local_; }
  XrSpace view() const { return view_; }

  template <class F>
  F Proc(const char* name) {
    PFN_xrVoidFunction f = nullptr;
    SIM_XR_CHECK(xrGetInstanceProcAddr(instance_, name, &f));
    return reinterpret_cast<F>(f);
  }

  /// Creates the session on the headless context, its spaces, swapchains and actions.
  void CreateSession() {
    auto get_requirements =
        Proc<PFN_xrGetOpenGLGraphicsRequirementsKHR>("xrGetOpenGLGraphicsRequirementsKHR");
    XrGraphicsRequirementsOpenGLKHR requirements{XR_TYPE_GRAPHICS_REQUIREMENTS_OPENGL_KHR};
    SIM_XR_CHECK(get_requirements(instance_, system_, &requirements));
    XrGraphicsBindingEGLMNDX binding{XR_TYPE_GRAPHICS_BINDING_EGL_MNDX};
    binding.getProcAddress = eglGetProcAddress;
    binding.display = static_cast<EGLDisplay>(gl_->NativeDisplay());
    binding.config = static_cast<EGLConfig>(gl_->NativeConfig());
    binding.context = static_cast<EGLContext>(gl_->NativeContext());
    XrSessionCreateInfo create{XR_TYPE_SESSION_CREATE_INFO};
    create.next = options_.make_binding ? options_.make_binding(*gl_) : &binding;
    create.systemId = system_;
    SIM_XR_CHECK(xrCreateSession(instance_, &create, &session_));

    XrReferenceSpaceCreateInfo space{XR_TYPE_REFERENCE_SPACE_CREATE_INFO};
    space.poseInReferenceSpace.orientation.w = 1;
    space.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_STAGE;
    SIM_XR_CHECK(xrCreateReferenceSpace(session_, &space, &stage_));
    space.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_LOCAL;
    SIM_XR_CHECK(xrCreateReferenceSpace(session_, &space, &local_));
    space.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_VIEW;
    SIM_XR_CHECK(xrCreateReferenceSpace(session_, &space, &view_));

    for (int eye = 0; eye < 2; ++eye) {
      colour_[eye] = MakeSwapchain(GL_SRGB8_ALPHA8, XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT,
                                   config_views_[eye]);
      if (options_.depth) {
        depth_[eye] =
            MakeSwapchain(GL_DEPTH_COMPONENT32F, XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT,
                          config_views_[eye]);
      }
    }
    if (fbo_ == 0) glCreateFramebuffers(1, &fbo_);
    if (options_.actions) CreateActions();
  }

  /// Polls every pending event; session state changes are recorded, READY begins the
  /// session, STOPPING ends it.
  void PollEvents() {
    XrEventDataBuffer event{XR_TYPE_EVENT_DATA_BUFFER};
    while (true) {
      event = {XR_TYPE_EVENT_DATA_BUFFER};
      const XrResult r = xrPollEvent(instance_, &event);
      SIM_XR_CHECK(r);
      if (r == XR_EVENT_UNAVAILABLE) break;
      if (event.type != XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED) continue;
      const auto& changed = reinterpret_cast<const XrEventDataSessionStateChanged&>(event);
      state_ = changed.state;
      states_.push_back(changed.state);
      if (state_ == XR_SESSION_STATE_READY) {
        XrSessionBeginInfo begin{XR_TYPE_SESSION_BEGIN_INFO};
        begin.primaryViewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
        SIM_XR_CHECK(xrBeginSession(session_, &begin));
        running_ = true;
      } else if (state_ == XR_SESSION_STATE_STOPPING) {
        SIM_XR_CHECK(xrEndSession(session_));
        running_ = false;
      }
    }
  }

  XrSessionState state() const { return state_; }
  bool running() const { return running_; }

  /// One frame: wait, begin, and – when the runtime says to render – clear each eye to
  /// `colour(frame, eye)` (RGBA bytes), submit a projection layer (with depth), end.
  void Frame(const std::function<std::array<std::uint8_t, 4>(int, int)>& colour) {
    XrFrameState frame_state{XR_TYPE_FRAME_STATE};
    SIM_XR_CHECK(xrWaitFrame(session_, nullptr, &frame_state));
    SIM_XR_CHECK(xrBeginFrame(session_, nullptr));
    if (options_.actions && state_ == XR_SESSION_STATE_FOCUSED) SyncActions();
    std::vector<const XrCompositionLayerBaseHeader*> layers;
    XrCompositionLayerProjection layer{XR_TYPE_COMPOSITION_LAYER_PROJECTION};
    std::array<XrCompositionLayerProjectionView, 2> proj{};
    std::array<XrCompositionLayerDepthInfoKHR, 2> depth{};
    if (frame_state.shouldRender) {
      SubmittedFrame submitted;
      submitted.predicted_display_time = frame_state.predictedDisplayTime;
      XrViewLocateInfo locate{XR_TYPE_VIEW_LOCATE_INFO};
      locate.viewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
      locate.displayTime = frame_state.predictedDisplayTime;
      locate.space = LayerSpace();
      XrViewState view_state{XR_TYPE_VIEW_STATE};
      std::array<XrView, 2> views{XrView{XR_TYPE_VIEW}, XrView{XR_TYPE_VIEW}};
      uint32_t count = 0;
      SIM_XR_CHECK(xrLocateViews(session_, &locate, &view_state, 2, &count, views.data()));
      const int frame = static_cast<int>(submitted_.size());
      for (int eye = 0; eye < 2; ++eye) {
        const auto c = colour(frame, eye);
        submitted.colour[eye] = c;
        submitted.views[eye] = views[eye];
        const GLuint image = Acquire(colour_[eye]);
        glNamedFramebufferTexture(fbo_, GL_COLOR_ATTACHMENT0, image, 0);
        GLuint depth_image = 0;
        if (options_.depth) {
          depth_image = Acquire(depth_[eye]);
          glNamedFramebufferTexture(fbo_, GL_DEPTH_ATTACHMENT, depth_image, 0);
        }
        // The bytes are written as given (no sRGB encoding on clear without
        // GL_FRAMEBUFFER_SRGB), so the capture must hold exactly them.
        glDisable(GL_FRAMEBUFFER_SRGB);
        const GLfloat rgba[4] = {c[0] / 255.0f, c[1] / 255.0f, c[2] / 255.0f, c[3] / 255.0f};
        glClearNamedFramebufferfv(fbo_, GL_COLOR, 0, rgba);
        if (options_.depth) {
          const GLfloat far_depth = 1.0f;
          glClearNamedFramebufferfv(fbo_, GL_DEPTH, 0, &far_depth);
        }
        glNamedFramebufferTexture(fbo_, GL_COLOR_ATTACHMENT0, 0, 0);
        glNamedFramebufferTexture(fbo_, GL_DEPTH_ATTACHMENT, 0, 0);
        Release(colour_[eye]);
        if (options_.depth) Release(depth_[eye]);

        const XrRect2Di rect{{0, 0},
                             {static_cast<int32_t>(config_views_[eye].recommendedImageRectWidth),
                              static_cast<int32_t>(config_views_[eye].recommendedImageRectHeight)}};
        proj[eye] = {XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW};
        proj[eye].pose = views[eye].pose;
        proj[eye].fov = views[eye].fov;
        proj[eye].subImage = {colour_[eye], rect, 0};
        if (options_.depth) {
          depth[eye] = {XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR};
          depth[eye].subImage = {depth_[eye], rect, 0};
          depth[eye].minDepth = 0;
          depth[eye].maxDepth = 1;
          depth[eye].nearZ = 0.05f;
          depth[eye].farZ = 100.0f;
          proj[eye].next = &depth[eye];
        }
      }
      layer.space = LayerSpace();
      layer.viewCount = 2;
      layer.views = proj.data();
      layers.push_back(reinterpret_cast<const XrCompositionLayerBaseHeader*>(&layer));
      layers.insert(layers.end(), options_.extra_layers.begin(), options_.extra_layers.end());
      submitted_.push_back(submitted);
    }
    XrFrameEndInfo end{XR_TYPE_FRAME_END_INFO};
    end.displayTime = frame_state.predictedDisplayTime;
    end.environmentBlendMode = options_.blend;
    end.layerCount = static_cast<uint32_t>(layers.size());
    end.layers = layers.data();
    SIM_XR_CHECK(xrEndFrame(session_, &end));
  }

  /// Runs the loop until the session is focused, then `frames` rendered frames.
  void RunFocused(int frames, const std::function<std::array<std::uint8_t, 4>(int, int)>& colour) {
    for (int guard = 0;; ++guard) {
      if (guard > 100) throw std::runtime_error("the session never became focused");
      PollEvents();
      if (state_ == XR_SESSION_STATE_FOCUSED) break;
      if (running_) Frame(colour);
    }
    const std::size_t target = submitted_.size() + static_cast<std::size_t>(frames);
    while (submitted_.size() < target) {
      PollEvents();
      if (!running_) throw std::runtime_error("the session stopped while rendering");
      Frame(colour);
    }
  }

  /// Keeps the frame loop going until the runtime reports EXITING (after xrRequestExitSession
  /// or a simulated quit), ending the session on STOPPING.
  void RunUntilExiting(const std::function<std::array<std::uint8_t, 4>(int, int)>& colour) {
    for (int guard = 0; state_ != XR_SESSION_STATE_EXITING; ++guard) {
      if (guard > 1000) throw std::runtime_error("the session never reached EXITING");
      PollEvents();
      if (running_) Frame(colour);
    }
  }

  void DestroySession() {
    SIM_XR_CHECK(xrDestroySession(session_));
    session_ = XR_NULL_HANDLE;
  }

  /// The action set: a boolean, a float, a vector and a pose, suggested for
  /// khr/simple_controller; their states are read each focused frame.
  void CreateActions() {
    XrActionSetCreateInfo set_info{XR_TYPE_ACTION_SET_CREATE_INFO};
    std::snprintf(set_info.actionSetName, sizeof(set_info.actionSetName), "gameplay");
    std::snprintf(set_info.localizedActionSetName, sizeof(set_info.localizedActionSetName),
                  "Gameplay");
    SIM_XR_CHECK(xrCreateActionSet(instance_, &set_info, &action_set_));
    const XrPath hands[2] = {Path("/user/hand/left"), Path("/user/hand/right")};
    const auto make = [&](const char* name, XrActionType type, XrAction* out) {
      XrActionCreateInfo info{XR_TYPE_ACTION_CREATE_INFO};
      std::snprintf(info.actionName, sizeof(info.actionName), "%s", name);
      std::snprintf(info.localizedActionName, sizeof(info.localizedActionName), "%s", name);
      info.actionType = type;
      info.countSubactionPaths = 2;
      info.subactionPaths = hands;
      SIM_XR_CHECK(xrCreateAction(action_set_, &info, out));
    };
    make("select", XR_ACTION_TYPE_BOOLEAN_INPUT, &select_);
    make("squeeze", XR_ACTION_TYPE_FLOAT_INPUT, &squeeze_);
    make("pose", XR_ACTION_TYPE_POSE_INPUT, &pose_);
    make("haptic", XR_ACTION_TYPE_VIBRATION_OUTPUT, &haptic_);
    const XrActionSuggestedBinding bindings[] = {
        {select_, Path("/user/hand/left/input/select/click")},
        {select_, Path("/user/hand/right/input/select/click")},
        {pose_, Path("/user/hand/left/input/grip/pose")},
        {haptic_, Path("/user/hand/left/output/haptic")},
    };
    XrInteractionProfileSuggestedBinding suggested{XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING};
    suggested.interactionProfile = Path("/interaction_profiles/khr/simple_controller");
    suggested.countSuggestedBindings = 4;
    suggested.suggestedBindings = bindings;
    SIM_XR_CHECK(xrSuggestInteractionProfileBindings(instance_, &suggested));
    XrActionSpaceCreateInfo space_info{XR_TYPE_ACTION_SPACE_CREATE_INFO};
    space_info.action = pose_;
    space_info.subactionPath = hands[0];
    space_info.poseInActionSpace.orientation.w = 1;
    SIM_XR_CHECK(xrCreateActionSpace(session_, &space_info, &hand_space_));
    XrSessionActionSetsAttachInfo attach{XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO};
    attach.countActionSets = 1;
    attach.actionSets = &action_set_;
    SIM_XR_CHECK(xrAttachSessionActionSets(session_, &attach));
  }

  /// Syncs and reads every action; returns how many reported isActive.
  int SyncActions() {
    XrActiveActionSet active{action_set_, XR_NULL_PATH};
    XrActionsSyncInfo sync{XR_TYPE_ACTIONS_SYNC_INFO};
    sync.countActiveActionSets = 1;
    sync.activeActionSets = &active;
    SIM_XR_CHECK(xrSyncActions(session_, &sync));
    XrActionStateGetInfo get{XR_TYPE_ACTION_STATE_GET_INFO};
    int active_count = 0;
    get.action = select_;
    XrActionStateBoolean b{XR_TYPE_ACTION_STATE_BOOLEAN};
    SIM_XR_CHECK(xrGetActionStateBoolean(session_, &get, &b));
    active_count += b.isActive;
    select_history_.push_back(b);
    get.action = squeeze_;
    XrActionStateFloat f{XR_TYPE_ACTION_STATE_FLOAT};
    SIM_XR_CHECK(xrGetActionStateFloat(session_, &get, &f));
    active_count += f.isActive;
    get.action = pose_;
    XrActionStatePose p{XR_TYPE_ACTION_STATE_POSE};
    SIM_XR_CHECK(xrGetActionStatePose(session_, &get, &p));
    active_count += p.isActive;
    return active_count;
  }

  XrPath Path(const char* text) {
    XrPath path = XR_NULL_PATH;
    SIM_XR_CHECK(xrStringToPath(instance_, text, &path));
    return path;
  }

  XrSpace hand_space() const { return hand_space_; }
  /// The "select" action's state at every xrSyncActions (one per focused frame).
  const std::vector<XrActionStateBoolean>& select_history() const { return select_history_; }

 private:
  XrSpace LayerSpace() const {
    return options_.space == XR_REFERENCE_SPACE_TYPE_STAGE  ? stage_
           : options_.space == XR_REFERENCE_SPACE_TYPE_VIEW ? view_
                                                            : local_;
  }

  struct Swapchain {
    XrSwapchain handle = XR_NULL_HANDLE;
    std::vector<GLuint> images;
    operator XrSwapchain() const { return handle; }
  };

  Swapchain MakeSwapchain(int64_t format, XrSwapchainUsageFlags usage,
                          const XrViewConfigurationView& view) {
    XrSwapchainCreateInfo info{XR_TYPE_SWAPCHAIN_CREATE_INFO};
    info.usageFlags = usage | XR_SWAPCHAIN_USAGE_SAMPLED_BIT;
    info.format = format;
    info.sampleCount = 1;
    info.width = view.recommendedImageRectWidth;
    info.height = view.recommendedImageRectHeight;
    info.faceCount = 1;
    info.arraySize = 1;
    info.mipCount = 1;
    Swapchain swapchain;
    SIM_XR_CHECK(xrCreateSwapchain(session_, &info, &swapchain.handle));
    uint32_t count = 0;
    SIM_XR_CHECK(xrEnumerateSwapchainImages(swapchain.handle, 0, &count, nullptr));
    std::vector<XrSwapchainImageOpenGLKHR> images(count, {XR_TYPE_SWAPCHAIN_IMAGE_OPENGL_KHR});
    SIM_XR_CHECK(
        xrEnumerateSwapchainImages(swapchain.handle, count, &count,
                                   reinterpret_cast<XrSwapchainImageBaseHeader*>(images.data())));
    for (const auto& image : images) swapchain.images.push_back(image.image);
    return swapchain;
  }

  GLuint Acquire(const Swapchain& swapchain) {
    uint32_t index = 0;
    SIM_XR_CHECK(xrAcquireSwapchainImage(swapchain.handle, nullptr, &index));
    XrSwapchainImageWaitInfo wait{XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO};
    wait.timeout = XR_INFINITE_DURATION;
    SIM_XR_CHECK(xrWaitSwapchainImage(swapchain.handle, &wait));
    return swapchain.images.at(index);
  }

  void Release(const Swapchain& swapchain) {
    SIM_XR_CHECK(xrReleaseSwapchainImage(swapchain.handle, nullptr));
  }

  ClientOptions options_;
  std::unique_ptr<render::GlContext> gl_;
  XrInstance instance_ = XR_NULL_HANDLE;
  XrSystemId system_ = XR_NULL_SYSTEM_ID;
  XrSession session_ = XR_NULL_HANDLE;
  XrSpace stage_ = XR_NULL_HANDLE, local_ = XR_NULL_HANDLE, view_ = XR_NULL_HANDLE;
  XrSpace hand_space_ = XR_NULL_HANDLE;
  std::vector<XrViewConfigurationView> config_views_;
  std::array<Swapchain, 2> colour_{}, depth_{};
  GLuint fbo_ = 0;
  XrSessionState state_ = XR_SESSION_STATE_UNKNOWN;
  bool running_ = false;
  std::vector<XrSessionState> states_;
  std::vector<SubmittedFrame> submitted_;
  std::vector<XrActionStateBoolean> select_history_;
  XrActionSet action_set_ = XR_NULL_HANDLE;
  XrAction select_ = XR_NULL_HANDLE, squeeze_ = XR_NULL_HANDLE, pose_ = XR_NULL_HANDLE,
           haptic_ = XR_NULL_HANDLE;
};

}  // namespace muta::xr::sim::test
