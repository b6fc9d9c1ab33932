#pragma once
// Internal state of the simulated-headset OpenXR runtime (xr/sim): the objects behind the
// handles, the instance's event queue, and the entry points each runtime_*.cpp implements.
// A backend header: OpenXR, EGL and GL headers are allowed here (DESIGN.md), X11 is not (its
// macros break Eigen) – the Xlib binding is recognised by its structure type alone.

#define EGL_NO_X11
#define XR_USE_GRAPHICS_API_OPENGL
#define XR_USE_PLATFORM_EGL
#define XR_USE_TIMESPEC
#include <EGL/egl.h>
#include <GL/glcorearb.h>
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Geometry>

#include "xr/sim/sim_config.h"

namespace muta::xr::sim {

// ---- objects --------------------------------------------------------------------------

enum class Kind { kInstance, kSession, kSpace, kSwapchain, kActionSet, kAction };

struct Object {
  virtual ~Object() = default;
  std::uint64_t id = 0;      ///< the handle value (unique, never 0, never reused)
  std::uint64_t parent = 0;  ///< owning object (0 for an instance); destroyed with it
  Kind kind = Kind::kInstance;
};

struct InstanceObj : Object {
  SimConfig config;
  std::string app_name;
  bool ext_opengl = false;  ///< XR_KHR_opengl_enable enabled
  bool ext_egl = false;     ///< XR_MNDX_egl_enable enabled
  bool ext_depth = false;   ///< XR_KHR_composition_layer_depth enabled
  bool ext_timespec = false;
  bool graphics_requirements_queried = false;
  std::uint64_t session = 0;  ///< the (only) session, 0 if none
  std::deque<XrEventDataBuffer> events;
  std::vector<std::string> paths;  ///< XrPath n is paths[n - 1]
  /// Suggested bindings per interaction profile: (action id, input source path).
  std::map<XrPath, std::vector<std::pair<std::uint64_t, XrPath>>> suggested;
};

/// GL entry points the runtime uses, loaded through the app's binding (its getProcAddress).
struct GlApi {
  PFNGLCREATETEXTURESPROC CreateTextures = nullptr;
  PFNGLTEXTURESTORAGE2DPROC TextureStorage2D = nullptr;
  PFNGLTEXTURESTORAGE3DPROC TextureStorage3D = nullptr;
  PFNGLTEXTUREPARAMETERIPROC TextureParameteri = nullptr;
  PFNGLDELETETEXTURESPROC DeleteTextures = nullptr;
  PFNGLGETTEXTURESUBIMAGEPROC GetTextureSubImage = nullptr;
  PFNGLGETINTEGERVPROC GetIntegerv = nullptr;
  PFNGLPIXELSTOREIPROC PixelStorei = nullptr;
  PFNGLBINDBUFFERPROC BindBuffer = nullptr;
  PFNGLGETERRORPROC GetError = nullptr;
};

struct SessionObj : Object {
  XrSessionState state = XR_SESSION_STATE_IDLE;
  bool running = false;         ///< between xrBeginSession and xrEndSession
  bool exit_requested = false;  ///< by the app (xrRequestExitSession) or the simulated user
  bool lost = false;            ///< LOSS_PENDING was reported: only destruction is left
  GlApi gl;
  std::string graphics;  ///< "egl" or "xlib"
  // Frame loop. Display refreshes happen at begin_time + n * period_ns.
  XrTime begin_time = 0;  ///< xrBeginSession; the head-pose timeline starts here
  XrDuration period_ns = 0;
  XrTime last_vsync = 0;                     ///< the refresh the last xrWaitFrame returned at
  std::int64_t frames_waited = 0;            ///< xrWaitFrame calls since xrBeginSession
  std::optional<std::int64_t> waited;        ///< frame index waited for, not yet begun
  std::optional<std::int64_t> begun;         ///< frame index begun, not yet ended
  std::map<std::int64_t, XrTime> predicted;  ///< predicted display time per frame index
  std::int64_t frames_ended = 0;
  bool attached = false;          ///< action sets attached
  XrPath profile = XR_NULL_PATH;  ///< the scripted controllers' profile, once bound
  /// Input source paths bound to each action (the suggested bindings for that profile).
  std::map<std::uint64_t, std::vector<std::string>> bindings;
  struct ActionState {
    Eigen::Vector2d value{0.0, 0.0};
    bool active = false;
    bool changed = false;
    XrTime last_change = 0;
  };
  /// State per (action, subaction path) as of the last xrSyncActions.
  std::map<std::pair<std::uint64_t, XrPath>, ActionState> action_states;
  XrTime last_predicted = 0;       ///< the last predicted display time (xrSyncActions samples it)
  std::FILE* frame_log = nullptr;  ///< capture_dir/frames.jsonl, if capturing
  ~SessionObj() override;
};

struct SpaceObj : Object {
  bool action = false;  ///< an action space (never tracked here)
  XrReferenceSpaceType type = XR_REFERENCE_SPACE_TYPE_LOCAL;
  Eigen::Isometry3d offset = Eigen::Isometry3d::Identity();  ///< poseIn{Reference,Action}Space
  std::uint64_t action_id = 0;                               ///< an action space's action
  XrPath subaction = XR_NULL_PATH;                           ///< an action space's subaction path
};

struct SwapchainObj : Object {
  std::int64_t format = 0;
  std::uint32_t width = 0, height = 0, array_size = 1, mip_count = 1;
  XrSwapchainUsageFlags usage = 0;
  bool depth = false;
  std::vector<GLuint> images;
  GlApi gl;
  std::uint32_t next = 0;                 ///< the image the next acquire returns
  std::deque<std::uint32_t> acquired;     ///< acquired, not yet waited (oldest first)
  std::optional<std::uint32_t> waited;    ///< waited, not yet released
  std::optional<std::uint32_t> released;  ///< the image last released (what layers show)
  ~SwapchainObj() override;
};

struct ActionSetObj : Object {
  std::string name;
  bool attached = false;
};

struct ActionObj : Object {
  std::string name;
  XrActionType type = XR_ACTION_TYPE_BOOLEAN_INPUT;
  std::vector<XrPath> subaction_paths;
};

// ---- the runtime's global state -------------------------------------------------------

struct Runtime {
  std::mutex mutex;  ///< every entry point holds it (xrWaitFrame drops it while sleeping)
  std::map<std::uint64_t, std::unique_ptr<Object>> objects;
  std::uint64_t next_id = 0x5100;
};
Runtime& Rt();

template <class T>
std::uint64_t Id(T handle) {
  return reinterpret_cast<std::uint64_t>(handle);
}
template <class H>
H Handle(std::uint64_t id) {
  return reinterpret_cast<H>(id);
}

/// The live object of type T behind a handle, or null (XR_ERROR_HANDLE_INVALID).
template <class T>
T* Find(std::uint64_t id) {
  auto it = Rt().objects.find(id);
  return it == Rt().objects.end() ? nullptr : dynamic_cast<T*>(it->second.get());
}
template <class T>
T* Find(const void* handle) {
  return Find<T>(reinterpret_cast<std::uint64_t>(handle));
}

/// Adds an object (owned by the runtime) and returns it with its new id.
template <class T>
T* Add(std::unique_ptr<T> object, Kind kind, std::uint64_t parent) {
  T* raw = object.get();
  raw->id = Rt().next_id++;
  raw->kind = kind;
  raw->parent = parent;
  Rt().objects[raw->id] = std::move(object);
  return raw;
}

/// Destroys an object and everything it owns.
void DestroyTree(std::uint64_t id);

/// The instance that (transitively) owns an object.
InstanceObj* OwningInstance(std::uint64_t id);

/// CLOCK_MONOTONIC in nanoseconds (XrTime's clock).
XrTime NowNs();

void PushEvent(InstanceObj& instance, const void* event, std::size_t size);
/// Moves the session to `state` and queues the XrEventDataSessionStateChanged.
void SetSessionState(InstanceObj& instance, SessionObj& session, XrSessionState state);

/// The head (VIEW) pose in STAGE space at `time`.
Eigen::Isometry3d HeadPose(const InstanceObj& instance, const SessionObj* session, XrTime time);
/// A space's pose in STAGE space at `time`; nullopt for an untracked (action) space.
std::optional<Eigen::Isometry3d> SpacePose(const InstanceObj& instance, const SpaceObj& space,
                                           XrTime time);
Eigen::Isometry3d ToIsometry(const XrPosef& pose);
XrPosef ToPose(const Eigen::Isometry3d& pose);
bool PoseValid(const XrPosef& pose);

/// Writes a message to stderr, prefixed "muta-xr-sim: ".
void Log(const std::string& message);
/// "XR_ERROR_LAYER_INVALID" etc.; "XrResult N" for values OpenXR 1.0.20 does not name.
std::string ResultName(XrResult result);

/// Runs an entry point's body with the runtime lock held, turning exceptions into results.
template <class F>
XrResult Guarded(const char* function, F&& body) {
  try {
    std::unique_lock<std::mutex> lock(Rt().mutex);
    return body(lock);
  } catch (const std::bad_alloc&) {
    return XR_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    Log(std::string(function) + ": " + e.what());
    return XR_ERROR_RUNTIME_FAILURE;
  }
}

/// The two-call idiom: `*count = n`; fills `out` when capacity > 0.
template <class T, class Fill>
XrResult Enumerate(std::uint32_t capacity, std::uint32_t* count, T* out, std::size_t n, Fill fill) {
  if (count == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  *count = static_cast<std::uint32_t>(n);
  if (capacity == 0) return XR_SUCCESS;
  if (out == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  if (capacity < n) return XR_ERROR_SIZE_INSUFFICIENT;
  for (std::size_t i = 0; i < n; ++i) fill(out[i], i);
  return XR_SUCCESS;
}

// ---- entry points (each in the runtime_*.cpp of its topic) -----------------------------

#define MUTA_XR_SIM_ENTRY XRAPI_ATTR XrResult XRAPI_CALL

// runtime_instance.cpp
MUTA_XR_SIM_ENTRY GetInstanceProcAddr(XrInstance, const char*, PFN_xrVoidFunction*);

// runtime_session.cpp
MUTA_XR_SIM_ENTRY CreateSession(XrInstance, const XrSessionCreateInfo*, XrSession*);
MUTA_XR_SIM_ENTRY DestroySession(XrSession);
MUTA_XR_SIM_ENTRY BeginSession(XrSession, const XrSessionBeginInfo*);
MUTA_XR_SIM_ENTRY EndSession(XrSession);
MUTA_XR_SIM_ENTRY RequestExitSession(XrSession);
MUTA_XR_SIM_ENTRY WaitFrame(XrSession, const XrFrameWaitInfo*, XrFrameState*);
MUTA_XR_SIM_ENTRY BeginFrame(XrSession, const XrFrameBeginInfo*);
MUTA_XR_SIM_ENTRY EndFrame(XrSession, const XrFrameEndInfo*);

// runtime_space.cpp
MUTA_XR_SIM_ENTRY EnumerateReferenceSpaces(XrSession, uint32_t, uint32_t*, XrReferenceSpaceType*);
MUTA_XR_SIM_ENTRY CreateReferenceSpace(XrSession, const XrReferenceSpaceCreateInfo*, XrSpace*);
MUTA_XR_SIM_ENTRY GetReferenceSpaceBoundsRect(XrSession, XrReferenceSpaceType, XrExtent2Df*);
MUTA_XR_SIM_ENTRY CreateActionSpace(XrSession, const XrActionSpaceCreateInfo*, XrSpace*);
MUTA_XR_SIM_ENTRY LocateSpace(XrSpace, XrSpace, XrTime, XrSpaceLocation*);
MUTA_XR_SIM_ENTRY DestroySpace(XrSpace);
MUTA_XR_SIM_ENTRY LocateViews(XrSession, const XrViewLocateInfo*, XrViewState*, uint32_t, uint32_t*,
                              XrView*);

// runtime_swapchain.cpp
MUTA_XR_SIM_ENTRY EnumerateSwapchainFormats(XrSession, uint32_t, uint32_t*, int64_t*);
MUTA_XR_SIM_ENTRY CreateSwapchain(XrSession, const XrSwapchainCreateInfo*, XrSwapchain*);
MUTA_XR_SIM_ENTRY DestroySwapchain(XrSwapchain);
MUTA_XR_SIM_ENTRY EnumerateSwapchainImages(XrSwapchain, uint32_t, uint32_t*,
                                           XrSwapchainImageBaseHeader*);
MUTA_XR_SIM_ENTRY AcquireSwapchainImage(XrSwapchain, const XrSwapchainImageAcquireInfo*, uint32_t*);
MUTA_XR_SIM_ENTRY WaitSwapchainImage(XrSwapchain, const XrSwapchainImageWaitInfo*);
MUTA_XR_SIM_ENTRY ReleaseSwapchainImage(XrSwapchain, const XrSwapchainImageReleaseInfo*);

// runtime_actions.cpp
MUTA_XR_SIM_ENTRY StringToPath(XrInstance, const char*, XrPath*);
MUTA_XR_SIM_ENTRY PathToString(XrInstance, XrPath, uint32_t, uint32_t*, char*);
MUTA_XR_SIM_ENTRY CreateActionSet(XrInstance, const XrActionSetCreateInfo*, XrActionSet*);
MUTA_XR_SIM_ENTRY DestroyActionSet(XrActionSet);
MUTA_XR_SIM_ENTRY CreateAction(XrActionSet, const XrActionCreateInfo*, XrAction*);
MUTA_XR_SIM_ENTRY DestroyAction(XrAction);
MUTA_XR_SIM_ENTRY SuggestInteractionProfileBindings(XrInstance,
                                                    const XrInteractionProfileSuggestedBinding*);
MUTA_XR_SIM_ENTRY AttachSessionActionSets(XrSession, const XrSessionActionSetsAttachInfo*);
MUTA_XR_SIM_ENTRY GetCurrentInteractionProfile(XrSession, XrPath, XrInteractionProfileState*);
MUTA_XR_SIM_ENTRY SyncActions(XrSession, const XrActionsSyncInfo*);
MUTA_XR_SIM_ENTRY GetActionStateBoolean(XrSession, const XrActionStateGetInfo*,
                                        XrActionStateBoolean*);
MUTA_XR_SIM_ENTRY GetActionStateFloat(XrSession, const XrActionStateGetInfo*, XrActionStateFloat*);
MUTA_XR_SIM_ENTRY GetActionStateVector2f(XrSession, const XrActionStateGetInfo*,
                                         XrActionStateVector2f*);
MUTA_XR_SIM_ENTRY GetActionStatePose(XrSession, const XrActionStateGetInfo*, XrActionStatePose*);
MUTA_XR_SIM_ENTRY EnumerateBoundSourcesForAction(XrSession,
                                                 const XrBoundSourcesForActionEnumerateInfo*,
                                                 uint32_t, uint32_t*, XrPath*);
MUTA_XR_SIM_ENTRY GetInputSourceLocalizedName(XrSession, const XrInputSourceLocalizedNameGetInfo*,
                                              uint32_t, uint32_t*, char*);
MUTA_XR_SIM_ENTRY ApplyHapticFeedback(XrSession, const XrHapticActionInfo*,
                                      const XrHapticBaseHeader*);
MUTA_XR_SIM_ENTRY StopHapticFeedback(XrSession, const XrHapticActionInfo*);

/// The pose of a scripted hand's input source bound to an action space, in STAGE, at `time`;
/// nullopt when no tracked hand is bound to it (runtime_actions.cpp).
std::optional<Eigen::Isometry3d> ActionSpacePose(const InstanceObj& instance,
                                                 const SessionObj& session, const SpaceObj& space,
                                                 XrTime time);

// runtime_capture.cpp
/// Opens capture_dir/frames.jsonl for a new session (creating the folder).
void OpenFrameLog(const InstanceObj& instance, SessionObj& session);
/// Records an ended frame in frames.jsonl and, when it is due, writes its eye images as PNG
/// (read back from the swapchain images the layers name). `info` was validated.
void CaptureFrame(const InstanceObj& instance, SessionObj& session, std::int64_t frame,
                  XrTime predicted, const XrFrameEndInfo& info);

}  // namespace muta::xr::sim
