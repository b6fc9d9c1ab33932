#pragma once
// muta xr's controller input (backend header: OpenXR types): one action set with suggested
// bindings for the five common interaction profiles, synced once per focused frame.
//
//   action           simple      oculus touch /       htc vive          microsoft motion
//                                valve index
//   teleport (aim,   select      thumbstick up        trackpad click    thumbstick up
//     release)
//   turn             –           thumbstick x         trackpad x        thumbstick x
//   grab (2 hands)   –           squeeze              squeeze           squeeze
//   toggle inferred  menu        A / X (touch), A     menu              menu
//   move (smooth     –           left thumbstick      left trackpad     left thumbstick
//     locomotion)
//   click (laser)    select      trigger              trigger           trigger
//   summon panel     –           B / Y (touch), B     –                 thumbstick click
//   aim, grip pose   aim/grip    aim/grip             aim/grip          aim/grip

#include <array>
#include <optional>

#include "xr/app/rig.h"
#include "xr/app/xr_check.h"

namespace muta::xr {

/// One hand's input after a sync (STAGE poses; nullopt where not tracked).
struct HandInput {
  bool active = false;  ///< some action of this hand is bound and active
  std::optional<TrackedPose> aim;
  std::optional<TrackedPose> grip;
  float teleport = 0;                              ///< 0..1 (thumbstick up, or a click)
  float turn = 0;                                  ///< -1..1 (thumbstick or trackpad x; + = right)
  float grab = 0;                                  ///< 0..1 (squeeze)
  Eigen::Vector2f move = Eigen::Vector2f::Zero();  ///< -1..1 (x right, y forward); left hand
  float click = 0;  ///< 0..1: the laser's click (trigger; select on the simple controller)
};

struct InputFrame {
  std::array<HandInput, 2> hands;  ///< 0 left, 1 right
  bool toggle_inferred = false;    ///< the toggle was pressed since the last sync
  bool summon_panel = false;       ///< the panel button was pressed since the last sync
};

class XrInput {
 public:
  /// Creates the action set and actions and suggests the bindings (instance level).
  explicit XrInput(XrInstance instance);
  ~XrInput();
  XrInput(const XrInput&) = delete;
  XrInput& operator=(const XrInput&) = delete;

  /// Attaches the action set to a new session and creates its hand spaces.
  void Attach(XrSession session);
  /// Destroys the session's hand spaces (before the session is destroyed).
  void Detach();
  /// Syncs the actions (the session must be focused) and reads them, locating the hand poses
  /// in `base` at `time`.
  InputFrame Sync(XrSpace base, XrTime time);

 private:
  XrPath Path(const char* text) const;
  /// One hand's poses and values (after xrSyncActions).
  HandInput ReadHand(int hand, XrSpace base, XrTime time) const;
  std::optional<TrackedPose> Locate(XrSpace space, XrAction action, XrPath hand, XrSpace base,
                                    XrTime time) const;
  float Value(XrAction action, XrPath hand, bool* active) const;
  XrInstance instance_;
  XrSession session_ = XR_NULL_HANDLE;
  XrActionSet set_ = XR_NULL_HANDLE;
  XrAction aim_ = XR_NULL_HANDLE, grip_ = XR_NULL_HANDLE, teleport_ = XR_NULL_HANDLE,
           turn_ = XR_NULL_HANDLE, grab_ = XR_NULL_HANDLE, toggle_ = XR_NULL_HANDLE,
           move_ = XR_NULL_HANDLE, click_ = XR_NULL_HANDLE, panel_ = XR_NULL_HANDLE;
  std::array<XrPath, 2> hand_paths_{};
  std::array<XrSpace, 2> aim_spaces_{}, grip_spaces_{};
};

/// An OpenXR pose as a TrackedPose (orientation normalised).
TrackedPose ToTracked(const XrPosef& p);

}  // namespace muta::xr
