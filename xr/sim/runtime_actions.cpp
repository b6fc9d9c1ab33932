// Paths and the action system of the simulated headset. Without scripted controllers every
// action is inactive. With them (SimConfig::controllers), the suggested bindings for the
// scripted interaction profile bind actions to the script's input sources when the app
// attaches its action sets; xrSyncActions samples the script at the last predicted display
// time, and pose actions' spaces follow the scripted hands.
#include <cstring>

#include "xr/sim/runtime.h"

namespace muta::xr::sim {
namespace {

/// OpenXR path syntax: "/" then components of [a-z0-9-_.], separated by single "/", no
/// trailing "/", and not a component of only dots.
bool WellFormedPath(const char* text) {
  const std::size_t n = std::strlen(text);
  if (n < 2 || n >= XR_MAX_PATH_LENGTH || text[0] != '/' || text[n - 1] == '/') return false;
  std::size_t component_start = 1;
  for (std::size_t i = 1; i <= n; ++i) {
    const char c = text[i];
    if (c == '/' || c == '\0') {
      const std::string component(text + component_start, i - component_start);
      if (component.empty() || component.find_first_not_of('.') == std::string::npos) {
        return false;
      }
      component_start = i + 1;
    } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                 c == '.')) {
      return false;
    }
  }
  return true;
}

/// Action and action-set names: non-empty, lowercase letters, digits, '-', '_', '.'.
bool WellFormedName(const char* name) {
  if (name == nullptr || *name == '\0') return false;
  for (const char* p = name; *p != '\0'; ++p) {
    const char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

bool ValidPath(const InstanceObj& instance, XrPath path) {
  return path != XR_NULL_PATH && path <= instance.paths.size();
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0 && (text.size() == prefix.size() || text[prefix.size()] == '/');
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// 0 for a source of /user/hand/left, 1 for /user/hand/right, else -1.
int HandOf(const std::string& path) {
  if (StartsWith(path, "/user/hand/left")) return 0;
  if (StartsWith(path, "/user/hand/right")) return 1;
  return -1;
}

double ScriptTime(const SessionObj& session, XrTime time) {
  return session.begin_time != 0 ? double(time - session.begin_time) * 1e-9 : 0.0;
}

/// A scripted hand is connected when it has a pose timeline or any scripted input.
bool HandConnected(const ControllerScript& script, int hand) {
  if (hand < 0) return false;
  if (script.hands[hand]) return true;
  for (const InputEvent& e : script.inputs) {
    if (HandOf(e.path) == hand) return true;
  }
  return false;
}

/// The scripted value of a bound input source: the path itself, its /value or /click
/// component, or the x or y of a 2D source; zero for a connected hand's unscripted source.
Eigen::Vector2d SourceValue(const ControllerScript& script, const std::string& source, double t) {
  for (const char* suffix : {"", "/value", "/click"}) {
    if (auto v = script.Value(source + suffix, t)) return *v;
  }
  if (EndsWith(source, "/x") || EndsWith(source, "/y")) {
    if (auto v = script.Value(source.substr(0, source.size() - 2), t)) {
      return {EndsWith(source, "/x") ? v->x() : v->y(), 0.0};
    }
  }
  return {0.0, 0.0};
}

/// The state of an action over the sources bound to it (restricted to a subaction path):
/// booleans are true if any source is, floats take the largest magnitude, vectors the
/// longest; pose actions are active if a bound pose source's hand has a timeline.
SessionObj::ActionState Evaluate(const InstanceObj& instance, const SessionObj& session,
                                 const ActionObj& action, XrPath subaction, double t) {
  SessionObj::ActionState state;
  const auto bound = session.bindings.find(action.id);
  if (!instance.config.controllers || bound == session.bindings.end()) return state;
  const ControllerScript& script = *instance.config.controllers;
  for (const std::string& source : bound->second) {
    if (subaction != XR_NULL_PATH && !StartsWith(source, instance.paths[subaction - 1])) {
      continue;
    }
    const int hand = HandOf(source);
    if (!HandConnected(script, hand)) continue;
    if (action.type == XR_ACTION_TYPE_POSE_INPUT) {
      state.active = state.active || (EndsWith(source, "/pose") && script.hands[hand]);
      continue;
    }
    state.active = true;
    Eigen::Vector2d v = SourceValue(script, source, t);
    if (action.type == XR_ACTION_TYPE_BOOLEAN_INPUT) v = {v.x() > 0.5 ? 1.0 : 0.0, 0.0};
    if (v.norm() > state.value.norm()) state.value = v;
  }
  return state;
}

/// The state an xrGetActionState* call reads, after checking the call.
XrResult StateFor(XrSession session, const XrActionStateGetInfo* info, XrActionType type,
                  const void* out, XrStructureType out_type, SessionObj::ActionState* state) {
  const SessionObj* s = Find<SessionObj>(session);
  if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
  if (info == nullptr || info->type != XR_TYPE_ACTION_STATE_GET_INFO || out == nullptr ||
      static_cast<const XrBaseInStructure*>(out)->type != out_type) {
    return XR_ERROR_VALIDATION_FAILURE;
  }
  const ActionObj* action = Find<ActionObj>(info->action);
  if (action == nullptr) return XR_ERROR_HANDLE_INVALID;
  const auto* set = Find<ActionSetObj>(action->parent);
  if (set == nullptr || !set->attached || !s->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
  if (action->type != type) return XR_ERROR_ACTION_TYPE_MISMATCH;
  if (info->subactionPath != XR_NULL_PATH) {
    bool declared = false;
    for (XrPath p : action->subaction_paths) declared = declared || p == info->subactionPath;
    if (!declared) return XR_ERROR_PATH_UNSUPPORTED;
  }
  const auto it = s->action_states.find({action->id, info->subactionPath});
  *state = it == s->action_states.end() ? SessionObj::ActionState{} : it->second;
  return XR_SUCCESS;
}

XrPath FindPath(const InstanceObj& instance, const std::string& text) {
  for (std::size_t i = 0; i < instance.paths.size(); ++i) {
    if (instance.paths[i] == text) return i + 1;
  }
  return XR_NULL_PATH;
}

}  // namespace

std::optional<Eigen::Isometry3d> ActionSpacePose(const InstanceObj& instance,
                                                 const SessionObj& session, const SpaceObj& space,
                                                 XrTime time) {
  const auto bound = session.bindings.find(space.action_id);
  if (!instance.config.controllers || bound == session.bindings.end()) return std::nullopt;
  const ControllerScript& script = *instance.config.controllers;
  for (const std::string& source : bound->second) {
    if (space.subaction != XR_NULL_PATH &&
        !StartsWith(source, instance.paths[space.subaction - 1])) {
      continue;
    }
    const int hand = HandOf(source);
    if (hand < 0 || !script.hands[hand] || !EndsWith(source, "/pose")) continue;
    // Grip and aim poses are both the scripted hand pose.
    const PoseKeyframe key = script.hands[hand]->Sample(ScriptTime(session, time));
    Eigen::Isometry3d pose = Eigen::Isometry3d::Identity();
    pose.translate(key.position);
    pose.rotate(key.orientation);
    return pose * space.offset;
  }
  return std::nullopt;
}

XRAPI_ATTR XrResult XRAPI_CALL StringToPath(XrInstance instance, const char* text, XrPath* path) {
  return Guarded("xrStringToPath", [&](auto&) {
    InstanceObj* inst = Find<InstanceObj>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (text == nullptr || path == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    if (!WellFormedPath(text)) return XR_ERROR_PATH_FORMAT_INVALID;
    *path = FindPath(*inst, text);
    if (*path == XR_NULL_PATH) {
      inst->paths.emplace_back(text);
      *path = inst->paths.size();
    }
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL PathToString(XrInstance instance, XrPath path, uint32_t capacity,
                                            uint32_t* count, char* buffer) {
  return Guarded("xrPathToString", [&](auto&) {
    InstanceObj* inst = Find<InstanceObj>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (!ValidPath(*inst, path)) return XR_ERROR_PATH_INVALID;
    const std::string& text = inst->paths[path - 1];
    return Enumerate(capacity, count, buffer, text.size() + 1,
                     [&](char& c, std::size_t i) { c = i < text.size() ? text[i] : '\0'; });
  });
}

XRAPI_ATTR XrResult XRAPI_CALL CreateActionSet(XrInstance instance,
                                               const XrActionSetCreateInfo* info,
                                               XrActionSet* out) {
  return Guarded("xrCreateActionSet", [&](auto&) {
    if (Find<InstanceObj>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || out == nullptr || info->type != XR_TYPE_ACTION_SET_CREATE_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (!WellFormedName(info->actionSetName)) return XR_ERROR_PATH_FORMAT_INVALID;
    if (info->localizedActionSetName[0] == '\0') return XR_ERROR_LOCALIZED_NAME_INVALID;
    for (const auto& [id, object] : Rt().objects) {
      const auto* set = dynamic_cast<const ActionSetObj*>(object.get());
      if (set != nullptr && set->parent == Id(instance) && set->name == info->actionSetName) {
        return XR_ERROR_NAME_DUPLICATED;
      }
    }
    auto set = std::make_unique<ActionSetObj>();
    set->name = info->actionSetName;
    *out = Handle<XrActionSet>(Add(std::move(set), Kind::kActionSet, Id(instance))->id);
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL DestroyActionSet(XrActionSet set) {
  return Guarded("xrDestroyActionSet", [&](auto&) {
    if (Find<ActionSetObj>(set) == nullptr) return XR_ERROR_HANDLE_INVALID;
    DestroyTree(Id(set));
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL CreateAction(XrActionSet set, const XrActionCreateInfo* info,
                                            XrAction* out) {
  return Guarded("xrCreateAction", [&](auto&) {
    const ActionSetObj* s = Find<ActionSetObj>(set);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || out == nullptr || info->type != XR_TYPE_ACTION_CREATE_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (s->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    if (!WellFormedName(info->actionName)) return XR_ERROR_PATH_FORMAT_INVALID;
    if (info->localizedActionName[0] == '\0') return XR_ERROR_LOCALIZED_NAME_INVALID;
    for (const auto& [id, object] : Rt().objects) {
      const auto* action = dynamic_cast<const ActionObj*>(object.get());
      if (action != nullptr && action->parent == s->id && action->name == info->actionName) {
        return XR_ERROR_NAME_DUPLICATED;
      }
    }
    const InstanceObj* inst = OwningInstance(s->id);
    auto action = std::make_unique<ActionObj>();
    for (uint32_t i = 0; i < info->countSubactionPaths; ++i) {
      if (!ValidPath(*inst, info->subactionPaths[i])) return XR_ERROR_PATH_INVALID;
      action->subaction_paths.push_back(info->subactionPaths[i]);
    }
    action->name = info->actionName;
    action->type = info->actionType;
    *out = Handle<XrAction>(Add(std::move(action), Kind::kAction, s->id)->id);
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL DestroyAction(XrAction action) {
  return Guarded("xrDestroyAction", [&](auto&) {
    if (Find<ActionObj>(action) == nullptr) return XR_ERROR_HANDLE_INVALID;
    DestroyTree(Id(action));
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL SuggestInteractionProfileBindings(
    XrInstance instance, const XrInteractionProfileSuggestedBinding* suggested) {
  return Guarded("xrSuggestInteractionProfileBindings", [&](auto&) {
    InstanceObj* inst = Find<InstanceObj>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (suggested == nullptr || suggested->type != XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING ||
        suggested->countSuggestedBindings == 0 || suggested->suggestedBindings == nullptr) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (!ValidPath(*inst, suggested->interactionProfile)) return XR_ERROR_PATH_INVALID;
    if (inst->paths[suggested->interactionProfile - 1].rfind("/interaction_profiles/", 0) != 0) {
      return XR_ERROR_PATH_UNSUPPORTED;
    }
    std::vector<std::pair<std::uint64_t, XrPath>> bindings;
    for (uint32_t i = 0; i < suggested->countSuggestedBindings; ++i) {
      const XrActionSuggestedBinding& b = suggested->suggestedBindings[i];
      const ActionObj* action = Find<ActionObj>(b.action);
      if (action == nullptr) return XR_ERROR_HANDLE_INVALID;
      const auto* set = Find<ActionSetObj>(action->parent);
      if (set != nullptr && set->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
      if (!ValidPath(*inst, b.binding)) return XR_ERROR_PATH_INVALID;
      if (inst->paths[b.binding - 1].rfind("/user/", 0) != 0) return XR_ERROR_PATH_UNSUPPORTED;
      bindings.emplace_back(action->id, b.binding);
    }
    // A later suggestion for the same profile replaces the earlier one.
    inst->suggested[suggested->interactionProfile] = std::move(bindings);
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL AttachSessionActionSets(XrSession session,
                                                       const XrSessionActionSetsAttachInfo* info) {
  return Guarded("xrAttachSessionActionSets", [&](auto&) {
    SessionObj* s = Find<SessionObj>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || info->type != XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO ||
        info->countActionSets == 0 || info->actionSets == nullptr) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (s->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    for (uint32_t i = 0; i < info->countActionSets; ++i) {
      if (Find<ActionSetObj>(info->actionSets[i]) == nullptr) return XR_ERROR_HANDLE_INVALID;
    }
    for (uint32_t i = 0; i < info->countActionSets; ++i) {
      Find<ActionSetObj>(info->actionSets[i])->attached = true;
    }
    s->attached = true;
    // Bind the scripted controllers through the app's suggestions for their profile.
    InstanceObj* inst = OwningInstance(s->id);
    if (inst->config.controllers) {
      const XrPath profile = FindPath(*inst, inst->config.controllers->profile);
      const auto suggested = inst->suggested.find(profile);
      if (profile != XR_NULL_PATH && suggested != inst->suggested.end()) {
        for (const auto& [action_id, binding] : suggested->second) {
          const ActionObj* action = Find<ActionObj>(action_id);
          const ActionSetObj* set = action ? Find<ActionSetObj>(action->parent) : nullptr;
          if (set != nullptr && set->attached) {
            s->bindings[action_id].push_back(inst->paths[binding - 1]);
          }
        }
        s->profile = profile;
        XrEventDataInteractionProfileChanged event{XR_TYPE_EVENT_DATA_INTERACTION_PROFILE_CHANGED};
        event.session = session;
        PushEvent(*inst, &event, sizeof(event));
      } else {
        Log("the app suggested no bindings for the scripted controllers' profile " +
            inst->config.controllers->profile + ": their input is not bound");
      }
    }
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL GetCurrentInteractionProfile(XrSession session, XrPath top_level,
                                                            XrInteractionProfileState* profile) {
  return Guarded("xrGetCurrentInteractionProfile", [&](auto&) {
    const SessionObj* s = Find<SessionObj>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (profile == nullptr || profile->type != XR_TYPE_INTERACTION_PROFILE_STATE) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    const InstanceObj* inst = OwningInstance(s->id);
    if (!ValidPath(*inst, top_level)) return XR_ERROR_PATH_INVALID;
    if (!s->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    const std::string& user = inst->paths[top_level - 1];
    const bool connected = inst->config.controllers &&
                           (user == "/user/hand/left" || user == "/user/hand/right") &&
                           HandConnected(*inst->config.controllers, HandOf(user));
    profile->interactionProfile = connected ? s->profile : XR_NULL_PATH;
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL SyncActions(XrSession session, const XrActionsSyncInfo* info) {
  return Guarded("xrSyncActions", [&](auto&) {
    SessionObj* s = Find<SessionObj>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || info->type != XR_TYPE_ACTIONS_SYNC_INFO ||
        (info->countActiveActionSets > 0 && info->activeActionSets == nullptr)) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (s->lost) return XR_ERROR_SESSION_LOST;
    for (uint32_t i = 0; i < info->countActiveActionSets; ++i) {
      const auto* set = Find<ActionSetObj>(info->activeActionSets[i].actionSet);
      if (set == nullptr) return XR_ERROR_HANDLE_INVALID;
      if (!set->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    }
    const InstanceObj* inst = OwningInstance(s->id);
    const bool focused = s->state == XR_SESSION_STATE_FOCUSED;
    const double t = ScriptTime(*s, s->last_predicted);
    for (const auto& [id, object] : Rt().objects) {
      const auto* action = dynamic_cast<const ActionObj*>(object.get());
      if (action == nullptr) continue;
      const auto* set = Find<ActionSetObj>(action->parent);
      if (set == nullptr || !set->attached || OwningInstance(set->id) != inst) continue;
      bool in_active_set = false;
      for (uint32_t i = 0; i < info->countActiveActionSets; ++i) {
        in_active_set = in_active_set || Id(info->activeActionSets[i].actionSet) == action->parent;
      }
      std::vector<XrPath> subactions{XR_NULL_PATH};
      subactions.insert(subactions.end(), action->subaction_paths.begin(),
                        action->subaction_paths.end());
      for (XrPath subaction : subactions) {
        SessionObj::ActionState& state = s->action_states[{action->id, subaction}];
        // Not focused, or the action's set not synced: the action is inactive (OpenXR 1.0,
        // 11.7 and 11.10).
        const SessionObj::ActionState now = focused && in_active_set
                                                ? Evaluate(*inst, *s, *action, subaction, t)
                                                : SessionObj::ActionState{};
        const bool changed = now.active && state.active && now.value != state.value;
        if (changed || (now.active && !state.active)) state.last_change = s->last_predicted;
        state.changed = changed;
        state.active = now.active;
        state.value = now.value;
      }
    }
    return focused ? XR_SUCCESS : XR_SESSION_NOT_FOCUSED;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL GetActionStateBoolean(XrSession session,
                                                     const XrActionStateGetInfo* info,
                                                     XrActionStateBoolean* out) {
  return Guarded("xrGetActionStateBoolean", [&](auto&) {
    SessionObj::ActionState state;
    if (XrResult r = StateFor(session, info, XR_ACTION_TYPE_BOOLEAN_INPUT, out,
                              XR_TYPE_ACTION_STATE_BOOLEAN, &state);
        r != XR_SUCCESS) {
      return r;
    }
    out->currentState = state.value.x() > 0.5 ? XR_TRUE : XR_FALSE;
    out->changedSinceLastSync = state.changed ? XR_TRUE : XR_FALSE;
    out->lastChangeTime = state.last_change;
    out->isActive = state.active ? XR_TRUE : XR_FALSE;
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL GetActionStateFloat(XrSession session,
                                                   const XrActionStateGetInfo* info,
                                                   XrActionStateFloat* out) {
  return Guarded("xrGetActionStateFloat", [&](auto&) {
    SessionObj::ActionState state;
    if (XrResult r = StateFor(session, info, XR_ACTION_TYPE_FLOAT_INPUT, out,
                              XR_TYPE_ACTION_STATE_FLOAT, &state);
        r != XR_SUCCESS) {
      return r;
    }
    out->currentState = static_cast<float>(state.value.x());
    out->changedSinceLastSync = state.changed ? XR_TRUE : XR_FALSE;
    out->lastChangeTime = state.last_change;
    out->isActive = state.active ? XR_TRUE : XR_FALSE;
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL GetActionStateVector2f(XrSession session,
                                                      const XrActionStateGetInfo* info,
                                                      XrActionStateVector2f* out) {
  return Guarded("xrGetActionStateVector2f", [&](auto&) {
    SessionObj::ActionState state;
    if (XrResult r = StateFor(session, info, XR_ACTION_TYPE_VECTOR2F_INPUT, out,
                              XR_TYPE_ACTION_STATE_VECTOR2F, &state);
        r != XR_SUCCESS) {
      return r;
    }
    out->currentState = {static_cast<float>(state.value.x()), static_cast<float>(state.value.y())};
    out->changedSinceLastSync = state.changed ? XR_TRUE : XR_FALSE;
    out->lastChangeTime = state.last_change;
    out->isActive = state.active ? XR_TRUE : XR_FALSE;
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL GetActionStatePose(XrSession session,
                                                  const XrActionStateGetInfo* info,
                                                  XrActionStatePose* out) {
  return Guarded("xrGetActionStatePose", [&](auto&) {
    SessionObj::ActionState state;
    if (XrResult r = StateFor(session, info, XR_ACTION_TYPE_POSE_INPUT, out,
                              XR_TYPE_ACTION_STATE_POSE, &state);
        r != XR_SUCCESS) {
      return r;
    }
    out->isActive = state.active ? XR_TRUE : XR_FALSE;
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL
EnumerateBoundSourcesForAction(XrSession session, const XrBoundSourcesForActionEnumerateInfo* info,
                               uint32_t capacity, uint32_t* count, XrPath* sources) {
  return Guarded("xrEnumerateBoundSourcesForAction", [&](auto&) {
    const SessionObj* s = Find<SessionObj>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || info->type != XR_TYPE_BOUND_SOURCES_FOR_ACTION_ENUMERATE_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (Find<ActionObj>(info->action) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (!s->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    const InstanceObj* inst = OwningInstance(s->id);
    std::vector<XrPath> bound;
    const auto it = s->bindings.find(Id(info->action));
    if (it != s->bindings.end()) {
      for (const std::string& source : it->second) bound.push_back(FindPath(*inst, source));
    }
    return Enumerate(capacity, count, sources, bound.size(),
                     [&](XrPath& p, std::size_t i) { p = bound[i]; });
  });
}

XRAPI_ATTR XrResult XRAPI_CALL
GetInputSourceLocalizedName(XrSession session, const XrInputSourceLocalizedNameGetInfo* info,
                            uint32_t capacity, uint32_t* count, char* buffer) {
  return Guarded("xrGetInputSourceLocalizedName", [&](auto&) {
    const SessionObj* s = Find<SessionObj>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || info->type != XR_TYPE_INPUT_SOURCE_LOCALIZED_NAME_GET_INFO ||
        info->whichComponents == 0) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    const InstanceObj* inst = OwningInstance(s->id);
    if (!ValidPath(*inst, info->sourcePath)) return XR_ERROR_PATH_INVALID;
    if (!s->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    // The source path itself is the simulator's "localized" name.
    const std::string& text = inst->paths[info->sourcePath - 1];
    return Enumerate(capacity, count, buffer, text.size() + 1,
                     [&](char& c, std::size_t i) { c = i < text.size() ? text[i] : '\0'; });
  });
}

XRAPI_ATTR XrResult XRAPI_CALL ApplyHapticFeedback(XrSession session,
                                                   const XrHapticActionInfo* info,
                                                   const XrHapticBaseHeader* haptic) {
  return Guarded("xrApplyHapticFeedback", [&](auto&) {
    const SessionObj* s = Find<SessionObj>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || haptic == nullptr || info->type != XR_TYPE_HAPTIC_ACTION_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    const ActionObj* action = Find<ActionObj>(info->action);
    if (action == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (action->type != XR_ACTION_TYPE_VIBRATION_OUTPUT) return XR_ERROR_ACTION_TYPE_MISMATCH;
    if (!s->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    return s->state == XR_SESSION_STATE_FOCUSED ? XR_SUCCESS : XR_SESSION_NOT_FOCUSED;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL StopHapticFeedback(XrSession session,
                                                  const XrHapticActionInfo* info) {
  return ApplyHapticFeedback(session, info, reinterpret_cast<const XrHapticBaseHeader*>(info));
}

}  // namespace muta::xr::sim
