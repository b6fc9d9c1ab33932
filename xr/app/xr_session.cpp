// muta xr: the session – reference spaces, swapchains, events and the OpenXR session state
// machine (including loss and re-creation).
#include <algorithm>
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/progress.h"
#include "xr/app/viewer_app.h"

namespace muta::xr::detail {

void Viewer::CreateSession() {
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
    const int w = static_cast<int>(config_views_[eye].recommendedImageRectWidth);
    const int h = static_cast<int>(config_views_[eye].recommendedImageRectHeight);
    colour_[eye] = MakeSwapchain(colour, XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT, w, h);
    if (depth != 0) {
      depth_[eye] = MakeSwapchain(depth, XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT, w, h);
    }
  }
  // The panel's image (a quad layer), in the eyes' colour format.
  panel_swapchain_ =
      MakeSwapchain(colour, XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT, kPanelWidthPx, kPanelHeightPx);
  if (depth == 0 && depth_rb_ == 0) {
    // Our own depth buffer (not submitted) when the runtime takes no depth.
    glCreateRenderbuffers(1, &depth_rb_);
    glNamedRenderbufferStorage(depth_rb_, GL_DEPTH_COMPONENT32F, colour_[0].width,
                               colour_[0].height);
  }
  input_->Attach(session_);
}

Swapchain Viewer::MakeSwapchain(std::int64_t format, XrSwapchainUsageFlags usage, int width,
                                int height) {
  Swapchain s;
  s.width = width;
  s.height = height;
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

void Viewer::DestroySession() {
  graphics_->Context().MakeCurrent();
  input_->Detach();
  for (int eye = 0; eye < 2; ++eye) {
    for (Swapchain* s : {&colour_[eye], &depth_[eye]}) {
      if (s->handle != XR_NULL_HANDLE) MUTA_XR_CHECK(xrDestroySwapchain(s->handle));
      *s = {};
    }
  }
  if (panel_swapchain_.handle != XR_NULL_HANDLE) {
    MUTA_XR_CHECK(xrDestroySwapchain(panel_swapchain_.handle));
  }
  panel_swapchain_ = {};
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
void Viewer::LoseSession() {
  if (session_ != XR_NULL_HANDLE) DestroySession();
  if (options_.frames && summary_.frames_rendered >= *options_.frames) done_ = true;
}

void Viewer::RecreateSession() {
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

void Viewer::RequestExit() {
  MUTA_XR_CHECK(xrRequestExitSession(session_));
  exit_requested_ = true;
}

void Viewer::PollEvents() {
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

void Viewer::OnStateChanged(const XrEventDataSessionStateChanged& changed) {
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

void Viewer::LogProfiles() {
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

}  // namespace muta::xr::detail
