// Spaces of the simulated headset and xrLocateViews. STAGE is the world frame (origin on the
// floor, y up); LOCAL is the head's pose at the start of the timeline with pitch and roll
// removed; VIEW follows the scripted head. Action spaces exist but are never tracked.
#include <cmath>

#include "xr/sim/runtime.h"

namespace muta::xr::sim {
namespace {

bool KnownReferenceSpace(XrReferenceSpaceType type) {
  return type == XR_REFERENCE_SPACE_TYPE_VIEW || type == XR_REFERENCE_SPACE_TYPE_LOCAL ||
         type == XR_REFERENCE_SPACE_TYPE_STAGE;
}

/// LOCAL in STAGE: the first keyframe's position, its yaw only (gravity-aligned).
Eigen::Isometry3d LocalPose(const InstanceObj& instance) {
  const PoseKeyframe start =
      instance.config.head.Sample(instance.config.head.keyframes()[0].time_s);
  const Eigen::Vector3d forward = start.orientation * Eigen::Vector3d(0, 0, -1);
  const double yaw = std::atan2(-forward.x(), -forward.z());
  Eigen::Isometry3d local = Eigen::Isometry3d::Identity();
  local.translate(start.position);
  local.rotate(Eigen::AngleAxisd(yaw, Eigen::Vector3d::UnitY()));
  return local;
}

const XrSpaceLocationFlags kTracked =
    XR_SPACE_LOCATION_ORIENTATION_VALID_BIT | XR_SPACE_LOCATION_POSITION_VALID_BIT |
    XR_SPACE_LOCATION_ORIENTATION_TRACKED_BIT | XR_SPACE_LOCATION_POSITION_TRACKED_BIT;

}  // namespace

Eigen::Isometry3d ToIsometry(const XrPosef& pose) {
  Eigen::Isometry3d out = Eigen::Isometry3d::Identity();
  out.translate(Eigen::Vector3d(pose.position.x, pose.position.y, pose.position.z));
  out.rotate(Eigen::Quaterniond(pose.orientation.w, pose.orientation.x, pose.orientation.y,
                                pose.orientation.z)
                 .normalized());
  return out;
}

XrPosef ToPose(const Eigen::Isometry3d& pose) {
  const Eigen::Quaterniond q(pose.rotation());
  const Eigen::Vector3d t = pose.translation();
  XrPosef out;
  out.orientation = {static_cast<float>(q.x()), static_cast<float>(q.y()),
                     static_cast<float>(q.z()), static_cast<float>(q.w())};
  out.position = {static_cast<float>(t.x()), static_cast<float>(t.y()), static_cast<float>(t.z())};
  return out;
}

bool PoseValid(const XrPosef& pose) {
  const XrQuaternionf& q = pose.orientation;
  const double norm =
      std::sqrt(double(q.x) * q.x + double(q.y) * q.y + double(q.z) * q.z + double(q.w) * q.w);
  return std::abs(norm - 1.0) < 1e-3 && std::isfinite(pose.position.x) &&
         std::isfinite(pose.position.y) && std::isfinite(pose.position.z);
}

Eigen::Isometry3d HeadPose(const InstanceObj& instance, const SessionObj* session, XrTime time) {
  const double t = session != nullptr && session->begin_time != 0
                       ? double(time - session->begin_time) * 1e-9
                       : instance.config.head.keyframes()[0].time_s;
  const PoseKeyframe key = instance.config.head.Sample(t);
  Eigen::Isometry3d head = Eigen::Isometry3d::Identity();
  head.translate(key.position);
  head.rotate(key.orientation);
  return head;
}

std::optional<Eigen::Isometry3d> SpacePose(const InstanceObj& instance, const SpaceObj& space,
                                           XrTime time) {
  if (space.action) {
    const SessionObj* session = Find<SessionObj>(space.parent);
    if (session == nullptr) return std::nullopt;
    return ActionSpacePose(instance, *session, space, time);
  }
  Eigen::Isometry3d base = Eigen::Isometry3d::Identity();
  if (space.type == XR_REFERENCE_SPACE_TYPE_LOCAL) {
    base = LocalPose(instance);
  } else if (space.type == XR_REFERENCE_SPACE_TYPE_VIEW) {
    base = HeadPose(instance, Find<SessionObj>(space.parent), time);
  }
  return base * space.offset;
}

XRAPI_ATTR XrResult XRAPI_CALL EnumerateReferenceSpaces(XrSession session, uint32_t capacity,
                                                        uint32_t* count,
                                                        XrReferenceSpaceType* spaces) {
  return Guarded("xrEnumerateReferenceSpaces", [&](auto&) {
    if (Find<SessionObj>(session) == nullptr) return XR_ERROR_HANDLE_INVALID;
    static constexpr XrReferenceSpaceType kSpaces[] = {
        XR_REFERENCE_SPACE_TYPE_VIEW, XR_REFERENCE_SPACE_TYPE_LOCAL, XR_REFERENCE_SPACE_TYPE_STAGE};
    return Enumerate(capacity, count, spaces, 3,
                     [](XrReferenceSpaceType& t, std::size_t i) { t = kSpaces[i]; });
  });
}

XRAPI_ATTR XrResult XRAPI_CALL CreateReferenceSpace(XrSession session,
                                                    const XrReferenceSpaceCreateInfo* info,
                                                    XrSpace* out) {
  return Guarded("xrCreateReferenceSpace", [&](auto&) {
    if (Find<SessionObj>(session) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || out == nullptr || info->type != XR_TYPE_REFERENCE_SPACE_CREATE_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (!KnownReferenceSpace(info->referenceSpaceType)) {
      return XR_ERROR_REFERENCE_SPACE_UNSUPPORTED;
    }
    if (!PoseValid(info->poseInReferenceSpace)) return XR_ERROR_POSE_INVALID;
    auto space = std::make_unique<SpaceObj>();
    space->type = info->referenceSpaceType;
    space->offset = ToIsometry(info->poseInReferenceSpace);
    *out = Handle<XrSpace>(Add(std::move(space), Kind::kSpace, Id(session))->id);
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL GetReferenceSpaceBoundsRect(XrSession session,
                                                           XrReferenceSpaceType type,
                                                           XrExtent2Df* bounds) {
  return Guarded("xrGetReferenceSpaceBoundsRect", [&](auto&) {
    const SessionObj* s = Find<SessionObj>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (bounds == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    if (!KnownReferenceSpace(type)) return XR_ERROR_REFERENCE_SPACE_UNSUPPORTED;
    if (type != XR_REFERENCE_SPACE_TYPE_STAGE) {
      *bounds = {0, 0};
      return XR_SPACE_BOUNDS_UNAVAILABLE;
    }
    const InstanceObj* inst = OwningInstance(s->id);
    *bounds = {static_cast<float>(inst->config.stage_size.x()),
               static_cast<float>(inst->config.stage_size.y())};
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL CreateActionSpace(XrSession session,
                                                 const XrActionSpaceCreateInfo* info,
                                                 XrSpace* out) {
  return Guarded("xrCreateActionSpace", [&](auto&) {
    if (Find<SessionObj>(session) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || out == nullptr || info->type != XR_TYPE_ACTION_SPACE_CREATE_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    const ActionObj* action = Find<ActionObj>(info->action);
    if (action == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (action->type != XR_ACTION_TYPE_POSE_INPUT) return XR_ERROR_ACTION_TYPE_MISMATCH;
    if (!PoseValid(info->poseInActionSpace)) return XR_ERROR_POSE_INVALID;
    auto space = std::make_unique<SpaceObj>();
    space->action = true;
    space->offset = ToIsometry(info->poseInActionSpace);
    space->action_id = action->id;
    space->subaction = info->subactionPath;
    *out = Handle<XrSpace>(Add(std::move(space), Kind::kSpace, Id(session))->id);
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL LocateSpace(XrSpace space, XrSpace base, XrTime time,
                                           XrSpaceLocation* location) {
  return Guarded("xrLocateSpace", [&](auto&) {
    const SpaceObj* s = Find<SpaceObj>(space);
    const SpaceObj* b = Find<SpaceObj>(base);
    if (s == nullptr || b == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (location == nullptr || location->type != XR_TYPE_SPACE_LOCATION) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (time <= 0) return XR_ERROR_TIME_INVALID;
    const InstanceObj* inst = OwningInstance(s->id);
    for (auto* next = static_cast<XrBaseOutStructure*>(location->next); next != nullptr;
         next = next->next) {
      if (next->type == XR_TYPE_SPACE_VELOCITY) {
        reinterpret_cast<XrSpaceVelocity*>(next)->velocityFlags = 0;
      }
    }
    const auto space_pose = SpacePose(*inst, *s, time);
    const auto base_pose = SpacePose(*inst, *b, time);
    if (!space_pose || !base_pose) {
      location->locationFlags = 0;
      location->pose = ToPose(Eigen::Isometry3d::Identity());
      return XR_SUCCESS;
    }
    location->locationFlags = kTracked;
    location->pose = ToPose(base_pose->inverse() * *space_pose);
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL DestroySpace(XrSpace space) {
  return Guarded("xrDestroySpace", [&](auto&) {
    if (Find<SpaceObj>(space) == nullptr) return XR_ERROR_HANDLE_INVALID;
    DestroyTree(Id(space));
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL LocateViews(XrSession session, const XrViewLocateInfo* info,
                                           XrViewState* state, uint32_t capacity, uint32_t* count,
                                           XrView* views) {
  return Guarded("xrLocateViews", [&](auto&) {
    const SessionObj* s = Find<SessionObj>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || state == nullptr || info->type != XR_TYPE_VIEW_LOCATE_INFO ||
        state->type != XR_TYPE_VIEW_STATE) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (info->viewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) {
      return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    }
    if (info->displayTime <= 0) return XR_ERROR_TIME_INVALID;
    const SpaceObj* base = Find<SpaceObj>(info->space);
    if (base == nullptr || base->parent != s->id) return XR_ERROR_HANDLE_INVALID;
    for (uint32_t i = 0; views != nullptr && i < std::min<uint32_t>(capacity, 2); ++i) {
      if (views[i].type != XR_TYPE_VIEW) return XR_ERROR_VALIDATION_FAILURE;
    }
    const InstanceObj* inst = OwningInstance(s->id);
    const SimConfig& c = inst->config;
    const auto base_pose = SpacePose(*inst, *base, info->displayTime);
    const Eigen::Isometry3d head = HeadPose(*inst, s, info->displayTime);
    const double tan_x = std::tan(c.fov_x_deg * 0.5 * 3.14159265358979323846 / 180.0);
    const float angle_x = static_cast<float>(std::atan(tan_x));
    const float angle_y = static_cast<float>(std::atan(tan_x * c.height / c.width));
    const XrResult r = Enumerate(capacity, count, views, 2, [&](XrView& view, std::size_t i) {
      Eigen::Isometry3d eye = head;
      eye.translate(Eigen::Vector3d((i == 0 ? -0.5 : 0.5) * c.ipd_m, 0, 0));
      view.pose = ToPose(base_pose ? base_pose->inverse() * eye : eye);
      view.fov = {-angle_x, angle_x, angle_y, -angle_y};
    });
    if (r == XR_SUCCESS) state->viewStateFlags = base_pose ? kTracked : 0;
    return r;
  });
}

}  // namespace muta::xr::sim
