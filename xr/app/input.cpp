#include "xr/app/input.h"

#include <array>
#include <cstdio>
#include <string>
#include <vector>

namespace muta::xr {
namespace {

/// The inputs (below /user/hand/<hand>/input/) one interaction profile offers for each action;
/// nullptr where it has none. Poses (aim/pose, grip/pose) are bound for every profile.
struct ProfileInputs {
  const char* profile;
  const char* teleport;
  const char* turn;
  const char* grab;
  std::array<const char*, 2> toggle;  ///< left, right
  const char* move;                   ///< left hand only
  const char* click;                  ///< the laser's click
  std::array<const char*, 2> panel;   ///< summon the panel: left, right
};

constexpr std::array<ProfileInputs, 5> kProfiles = {{
    {"/interaction_profiles/khr/simple_controller",
     "select/click",
     nullptr,
     nullptr,
     {"menu/click", "menu/click"},
     nullptr,
     "select/click",
     {nullptr, nullptr}},
    {"/interaction_profiles/oculus/touch_controller",
     "thumbstick/y",
     "thumbstick/x",
     "squeeze/value",
     {"x/click", "a/click"},
     "thumbstick",
     "trigger/value",
     {"y/click", "b/click"}},
    {"/interaction_profiles/valve/index_controller",
     "thumbstick/y",
     "thumbstick/x",
     "squeeze/value",
     {"a/click", "a/click"},
     "thumbstick",
     "trigger/value",
     {"b/click", "b/click"}},
    {"/interaction_profiles/htc/vive_controller",
     "trackpad/click",
     "trackpad/x",
     "squeeze/click",
     {"menu/click", "menu/click"},
     "trackpad",
     "trigger/value",
     {nullptr, nullptr}},
    {"/interaction_profiles/microsoft/motion_controller",
     "thumbstick/y",
     "thumbstick/x",
     "squeeze/click",
     {"menu/click", "menu/click"},
     "thumbstick",
     "trigger/value",
     {"thumbstick/click", "thumbstick/click"}},
}};

constexpr std::array<const char*, 2> kHands = {"left", "right"};

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
  make("move", "Move (smooth locomotion)", XR_ACTION_TYPE_VECTOR2F_INPUT, &move_);
  make("click", "Click with the laser", XR_ACTION_TYPE_FLOAT_INPUT, &click_);
  make("summon_panel", "Bring the panel in front of you", XR_ACTION_TYPE_BOOLEAN_INPUT, &panel_);

  for (const ProfileInputs& profile : kProfiles) {
    std::vector<XrActionSuggestedBinding> suggested;
    for (int hand = 0; hand < 2; ++hand) {
      const auto bind = [&](XrAction action, const char* input) {
        if (input == nullptr) return;
        const std::string path = std::string("/user/hand/") + kHands[hand] + "/input/" + input;
        suggested.push_back({action, Path(path.c_str())});
      };
      bind(aim_, "aim/pose");
      bind(grip_, "grip/pose");
      bind(teleport_, profile.teleport);
      bind(turn_, profile.turn);
      bind(grab_, profile.grab);
      bind(toggle_, profile.toggle[hand]);
      if (hand == 0) bind(move_, profile.move);
      bind(click_, profile.click);
      bind(panel_, profile.panel[hand]);
    }
    XrInteractionProfileSuggestedBinding info{XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING};
    info.interactionProfile = Path(profile.profile);
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

std::optional<TrackedPose> XrInput::Locate(XrSpace space, XrAction action, XrPath hand,
                                           XrSpace base, XrTime time) const {
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
  return ToTracked(location.pose);
}

float XrInput::Value(XrAction action, XrPath hand, bool* active) const {
  XrActionStateGetInfo get{XR_TYPE_ACTION_STATE_GET_INFO};
  get.action = action;
  get.subactionPath = hand;
  XrActionStateFloat state{XR_TYPE_ACTION_STATE_FLOAT};
  MUTA_XR_CHECK(xrGetActionStateFloat(session_, &get, &state));
  if (state.isActive) *active = true;
  return state.isActive ? state.currentState : 0.0f;
}

HandInput XrInput::ReadHand(int hand, XrSpace base, XrTime time) const {
  HandInput h;
  const XrPath path = hand_paths_[hand];
  h.aim = Locate(aim_spaces_[hand], aim_, path, base, time);
  h.grip = Locate(grip_spaces_[hand], grip_, path, base, time);
  h.active = h.aim.has_value() || h.grip.has_value();
  h.teleport = Value(teleport_, path, &h.active);
  h.turn = Value(turn_, path, &h.active);
  h.grab = Value(grab_, path, &h.active);
  h.click = Value(click_, path, &h.active);
  if (hand == 0) {
    XrActionStateGetInfo get{XR_TYPE_ACTION_STATE_GET_INFO};
    get.action = move_;
    get.subactionPath = path;
    XrActionStateVector2f move{XR_TYPE_ACTION_STATE_VECTOR2F};
    MUTA_XR_CHECK(xrGetActionStateVector2f(session_, &get, &move));
    if (move.isActive) h.move = {move.currentState.x, move.currentState.y};
  }
  return h;
}

InputFrame XrInput::Sync(XrSpace base, XrTime time) {
  InputFrame frame;
  XrActiveActionSet active_set{set_, XR_NULL_PATH};
  XrActionsSyncInfo sync{XR_TYPE_ACTIONS_SYNC_INFO};
  sync.countActiveActionSets = 1;
  sync.activeActionSets = &active_set;
  if (MUTA_XR_CHECK(xrSyncActions(session_, &sync)) == XR_SESSION_NOT_FOCUSED) return frame;
  for (int hand = 0; hand < 2; ++hand) frame.hands[hand] = ReadHand(hand, base, time);
  XrActionStateGetInfo get{XR_TYPE_ACTION_STATE_GET_INFO};
  get.action = toggle_;
  XrActionStateBoolean toggle{XR_TYPE_ACTION_STATE_BOOLEAN};
  MUTA_XR_CHECK(xrGetActionStateBoolean(session_, &get, &toggle));
  frame.toggle_inferred = toggle.isActive && toggle.changedSinceLastSync && toggle.currentState;
  get.action = panel_;
  XrActionStateBoolean panel{XR_TYPE_ACTION_STATE_BOOLEAN};
  MUTA_XR_CHECK(xrGetActionStateBoolean(session_, &get, &panel));
  frame.summon_panel = panel.isActive && panel.changedSinceLastSync && panel.currentState;
  return frame;
}

TrackedPose ToTracked(const XrPosef& p) {
  TrackedPose pose;
  pose.position = {p.position.x, p.position.y, p.position.z};
  pose.orientation =
      Eigen::Quaterniond(p.orientation.w, p.orientation.x, p.orientation.y, p.orientation.z)
          .normalized();
  return pose;
}

}  // namespace muta::xr
