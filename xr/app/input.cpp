#include "xr/app/input.h"

#include <cstdio>
#include <string>
#include <vector>

namespace muta::xr {
namespace {

struct Binding {
  XrAction action;
  std::string path;
};

}  // namespace

XrPath XrInput::Path(const char* text) const {
  XrPath path = XR_NULL_PATH;
  MUTA_XR_CHECK(xrStringToPath(instance_, text, &path));
  return path;
}

XrInput::XrInput(XrInstance instance) : instance_(instance) {
  XrActionSetCreateInfo set_info{XR_TYPE_ACTION_SET_CREATE_INFO};
  std::snprintf(set_info.actionSetName, sizeof(set_info.actionSetName), "muta");
  std::snprintf(set_info.localizedActionSetName, sizeof(set_info.localizedActionSetName),
                "Muta viewer");
  MUTA_XR_CHECK(xrCreateActionSet(instance_, &set_info, &set_));
  hand_paths_ = {Path("/user/hand/left"), Path("/user/hand/right")};
  const auto make = [&](const char* name, const char* label, XrActionType type, XrAction* out) {
    XrActionCreateInfo info{XR_TYPE_ACTION_CREATE_INFO};
    std::snprintf(info.actionName, sizeof(info.actionName), "%s", name);
    std::snprintf(info.localizedActionName, sizeof(info.localizedActionName), "%s", label);
    info.actionType = type;
    info.countSubactionPaths = 2;
    info.subactionPaths = hand_paths_.data();
    MUTA_XR_CHECK(xrCreateAction(set_, &info, out));
  };
  make("aim", "Aim", XR_ACTION_TYPE_POSE_INPUT, &aim_);
  make("grip", "Grip", XR_ACTION_TYPE_POSE_INPUT, &grip_);
  make("teleport", "Teleport", XR_ACTION_TYPE_FLOAT_INPUT, &teleport_);
  make("turn", "Snap turn", XR_ACTION_TYPE_FLOAT_INPUT, &turn_);
  make("grab", "Grab the model", XR_ACTION_TYPE_FLOAT_INPUT, &grab_);
  make("toggle_inferred", "Show or hide inferred parts", XR_ACTION_TYPE_BOOLEAN_INPUT, &toggle_);

  const auto both = [&](std::vector<Binding>& out, XrAction action, const std::string& input) {
    for (const char* hand : {"left", "right"}) {
      out.push_back({action, std::string("/user/hand/") + hand + "/input/" + input});
    }
  };
  const auto poses = [&](std::vector<Binding>& out) {
    both(out, aim_, "aim/pose");
    both(out, grip_, "grip/pose");
  };
  struct Profile {
    const char* path;
    std::vector<Binding> bindings;
  };
  std::vector<Profile> profiles;
  {
    Profile p{"/interaction_profiles/khr/simple_controller", {}};
    poses(p.bindings);
    both(p.bindings, teleport_, "select/click");
    both(p.bindings, toggle_, "menu/click");
    profiles.push_back(std::move(p));
  }
  {
    Profile p{"/interaction_profiles/oculus/touch_controller", {}};
    poses(p.bindings);
    both(p.bindings, teleport_, "thumbstick/y");
    both(p.bindings, turn_, "thumbstick/x");
    both(p.bindings, grab_, "squeeze/value");
    p.bindings.push_back({toggle_, "/user/hand/right/input/a/click"});
    p.bindings.push_back({toggle_, "/user/hand/left/input/x/click"});
    profiles.push_back(std::move(p));
  }
  {
    Profile p{"/interaction_profiles/valve/index_controller", {}};
    poses(p.bindings);
    both(p.bindings, teleport_, "thumbstick/y");
    both(p.bindings, turn_, "thumbstick/x");
    both(p.bindings, grab_, "squeeze/value");
    both(p.bindings, toggle_, "a/click");
    profiles.push_back(std::move(p));
  }
  {
    Profile p{"/interaction_profiles/htc/vive_controller", {}};
    poses(p.bindings);
    both(p.bindings, teleport_, "trackpad/click");
    both(p.bindings, turn_, "trackpad/x");
    both(p.bindings, grab_, "squeeze/click");
    both(p.bindings, toggle_, "menu/click");
    profiles.push_back(std::move(p));
  }
  {
    Profile p{"/interaction_profiles/microsoft/motion_controller", {}};
    poses(p.bindings);
    both(p.bindings, teleport_, "thumbstick/y");
    both(p.bindings, turn_, "thumbstick/x");
    both(p.bindings, grab_, "squeeze/click");
    both(p.bindings, toggle_, "menu/click");
    profiles.push_back(std::move(p));
  }
  for (const Profile& profile : profiles) {
    std::vector<XrActionSuggestedBinding> suggested;
    for (const Binding& b : profile.bindings) suggested.push_back({b.action, Path(b.path.c_str())});
    XrInteractionProfileSuggestedBinding info{XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING};
    info.interactionProfile = Path(profile.path);
    info.countSuggestedBindings = static_cast<uint32_t>(suggested.size());
    info.suggestedBindings = suggested.data();
    MUTA_XR_CHECK(xrSuggestInteractionProfileBindings(instance_, &info));
  }
}

XrInput::~XrInput() {
  Detach();
  // Destroying the action set destroys its actions.
  if (set_ != XR_NULL_HANDLE) xrDestroyActionSet(set_);
}

void XrInput::Attach(XrSession session) {
  session_ = session;
  XrSessionActionSetsAttachInfo attach{XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO};
  attach.countActionSets = 1;
  attach.actionSets = &set_;
  MUTA_XR_CHECK(xrAttachSessionActionSets(session_, &attach));
  for (int hand = 0; hand < 2; ++hand) {
    XrActionSpaceCreateInfo info{XR_TYPE_ACTION_SPACE_CREATE_INFO};
    info.subactionPath = hand_paths_[hand];
    info.poseInActionSpace.orientation.w = 1;
    info.action = aim_;
    MUTA_XR_CHECK(xrCreateActionSpace(session_, &info, &aim_spaces_[hand]));
    info.action = grip_;
    MUTA_XR_CHECK(xrCreateActionSpace(session_, &info, &grip_spaces_[hand]));
  }
}

void XrInput::Detach() {
  for (auto* spaces : {&aim_spaces_, &grip_spaces_}) {
    for (XrSpace& space : *spaces) {
      if (space != XR_NULL_HANDLE) xrDestroySpace(space);
      space = XR_NULL_HANDLE;
    }
  }
  session_ = XR_NULL_HANDLE;
}

InputFrame XrInput::Sync(XrSpace base, XrTime time) {
  InputFrame frame;
  XrActiveActionSet active_set{set_, XR_NULL_PATH};
  XrActionsSyncInfo sync{XR_TYPE_ACTIONS_SYNC_INFO};
  sync.countActiveActionSets = 1;
  sync.activeActionSets = &active_set;
  if (MUTA_XR_CHECK(xrSyncActions(session_, &sync)) == XR_SESSION_NOT_FOCUSED) return frame;

  const auto locate = [&](XrSpace space, XrAction action,
                          XrPath hand) -> std::optional<TrackedPose> {
    XrActionStateGetInfo get{XR_TYPE_ACTION_STATE_GET_INFO};
    get.action = action;
    get.subactionPath = hand;
    XrActionStatePose state{XR_TYPE_ACTION_STATE_POSE};
    MUTA_XR_CHECK(xrGetActionStatePose(session_, &get, &state));
    if (!state.isActive) return std::nullopt;
    XrSpaceLocation location{XR_TYPE_SPACE_LOCATION};
    MUTA_XR_CHECK(xrLocateSpace(space, base, time, &location));
    const XrSpaceLocationFlags need =
        XR_SPACE_LOCATION_POSITION_VALID_BIT | XR_SPACE_LOCATION_ORIENTATION_VALID_BIT;
    if ((location.locationFlags & need) != need) return std::nullopt;
    const XrPosef& p = location.pose;
    TrackedPose pose;
    pose.position = {p.position.x, p.position.y, p.position.z};
    pose.orientation =
        Eigen::Quaterniond(p.orientation.w, p.orientation.x, p.orientation.y, p.orientation.z)
            .normalized();
    return pose;
  };
  const auto value = [&](XrAction action, XrPath hand, bool* active) {
    XrActionStateGetInfo get{XR_TYPE_ACTION_STATE_GET_INFO};
    get.action = action;
    get.subactionPath = hand;
    XrActionStateFloat state{XR_TYPE_ACTION_STATE_FLOAT};
    MUTA_XR_CHECK(xrGetActionStateFloat(session_, &get, &state));
    if (state.isActive) *active = true;
    return state.isActive ? state.currentState : 0.0f;
  };
  for (int hand = 0; hand < 2; ++hand) {
    HandInput& h = frame.hands[hand];
    h.aim = locate(aim_spaces_[hand], aim_, hand_paths_[hand]);
    h.grip = locate(grip_spaces_[hand], grip_, hand_paths_[hand]);
    h.active = h.aim.has_value() || h.grip.has_value();
    h.teleport = value(teleport_, hand_paths_[hand], &h.active);
    h.turn = value(turn_, hand_paths_[hand], &h.active);
    h.grab = value(grab_, hand_paths_[hand], &h.active);
  }
  XrActionStateGetInfo get{XR_TYPE_ACTION_STATE_GET_INFO};
  get.action = toggle_;
  XrActionStateBoolean toggle{XR_TYPE_ACTION_STATE_BOOLEAN};
  MUTA_XR_CHECK(xrGetActionStateBoolean(session_, &get, &toggle));
  frame.toggle_inferred = toggle.isActive && toggle.changedSinceLastSync && toggle.currentState;
  return frame;
}

}  // namespace muta::xr
