#include "xr/app/rig.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace muta::xr {
namespace {

// y-up STAGE to z-up world: (x, y, z) -> (x, -z, y).
Eigen::Matrix3d YUpToZUp() {
  Eigen::Matrix3d a;
  a << 1, 0, 0, 0, 0, -1, 0, 1, 0;
  return a;
}

Eigen::Matrix3d RotZ(double angle) {
  return Eigen::AngleAxisd(angle, Eigen::Vector3d::UnitZ()).toRotationMatrix();
}

// Heading of a STAGE vector about the world vertical (radians; x axis 0, counter-clockwise).
double Heading(const Eigen::Vector3d& stage_vector) {
  const Eigen::Vector3d w = YUpToZUp() * stage_vector;
  return std::atan2(w.y(), w.x());
}

}  // namespace

Camera EyeCamera(const FovAngles& fov, int width, int height) {
  const double tl = std::tan(fov.left), tr = std::tan(fov.right);
  const double tu = std::tan(fov.up), td = std::tan(fov.down);
  MUTA_CHECK(width > 0 && height > 0 && tr > tl && tu > td && std::isfinite(tr - tl) &&
             std::isfinite(tu - td))
      << "the runtime's field of view (left " << fov.left << ", right " << fov.right << ", up "
      << fov.up << ", down " << fov.down << " rad) or image size " << width << "x" << height
      << " cannot be rendered";
  const double fx = width / (tr - tl), fy = height / (tu - td);
  return Camera::Pinhole(width, height, fx, fy, -tl * fx, tu * fy);
}

Rig::Rig(const Eigen::Vector3d& feet_world, double yaw_rad, double scale)
    : translation_(feet_world), yaw_(yaw_rad), scale_(scale) {
  MUTA_CHECK(feet_world.allFinite() && std::isfinite(yaw_rad))
      << "the start position and heading must be finite";
  MUTA_CHECK(scale >= kMinScale && scale <= kMaxScale)
      << "the model scale 1:" << scale << " is outside 1:" << kMinScale << " .. 1:" << kMaxScale;
}

Eigen::Matrix3d Rig::Rotation() const {
  return RotZ(yaw_) * YUpToZUp();
}

Eigen::Vector3d Rig::ToWorld(const Eigen::Vector3d& stage_point) const {
  return translation_ + scale_ * (Rotation() * stage_point);
}

Eigen::Vector3d Rig::DirectionToWorld(const Eigen::Vector3d& stage_direction) const {
  return Rotation() * stage_direction;
}

Eigen::Quaterniond Rig::OrientationToWorld(const Eigen::Quaterniond& stage_orientation) const {
  return (Eigen::Quaterniond(Rotation()) * stage_orientation).normalized();
}

Rigid3d Rig::CamFromWorld(const TrackedPose& eye) const {
  // COLMAP camera axes in OpenXR view axes: x right, y down (-y), z forward (-z).
  const Eigen::Matrix3d cam_from_view = Eigen::Vector3d(1, -1, -1).asDiagonal();
  const Eigen::Matrix3d world_from_view =
      OrientationToWorld(eye.orientation.normalized()).toRotationMatrix();
  Rigid3d pose;
  const Eigen::Matrix3d r = cam_from_view * world_from_view.transpose();
  pose.rotation = Eigen::Quaterniond(r).normalized();
  pose.translation = -(r * ToWorld(eye.position));
  return pose;
}

void Rig::Teleport(const TrackedPose& head, const Eigen::Vector3d& target_world) {
  scale_ = 1;
  const Eigen::Vector3d floor(head.position.x(), 0, head.position.z());
  translation_ = target_world - Rotation() * floor;
}

void Rig::Turn(const TrackedPose& head, double angle_rad) {
  const Eigen::Vector3d head_world = ToWorld(head.position);
  yaw_ = std::remainder(yaw_ + angle_rad, 2 * M_PI);
  translation_ = head_world - scale_ * (Rotation() * head.position);
}

Eigen::Vector3d SmoothMoveOffset(const Rig& rig, const TrackedPose& head,
                                 const Eigen::Vector2d& stick, double speed_mps, double dt_s,
                                 double dead_zone) {
  const double deflection = stick.norm();
  if (!(deflection > dead_zone) || !(dt_s > 0)) return Eigen::Vector3d::Zero();
  const Eigen::Vector2d s = deflection > 1 ? Eigen::Vector2d(stick / deflection) : stick;
  // The heading: where the head looks, on the floor; looking straight down or up, where the
  // top of the head points instead.
  Eigen::Vector3d forward = rig.DirectionToWorld(head.orientation * -Eigen::Vector3d::UnitZ());
  forward.z() = 0;
  if (forward.norm() < 1e-3) {
    forward = rig.DirectionToWorld(head.orientation * Eigen::Vector3d::UnitY());
    forward.z() = 0;
  }
  if (forward.norm() < 1e-9) return Eigen::Vector3d::Zero();
  forward.normalize();
  const Eigen::Vector3d right(forward.y(), -forward.x(), 0);
  return (s.y() * forward + s.x() * right) * (speed_mps * dt_s * rig.scale());
}

void TwoHandGrab::Begin(const Rig& rig, const Eigen::Vector3d& left, const Eigen::Vector3d& right) {
  start_ = rig;
  left0_ = left;
  right0_ = right;
  active_ = true;
}

Rig TwoHandGrab::Update(const Eigen::Vector3d& left, const Eigen::Vector3d& right) const {
  Rig rig = start_;
  const Eigen::Vector3d d0 = right0_ - left0_, d = right - left;
  if (d.norm() > 1e-3 && d0.norm() > 1e-3) {
    rig.scale_ = std::clamp(start_.scale_ * d0.norm() / d.norm(), Rig::kMinScale, Rig::kMaxScale);
  }
  // Turning the hands about the vertical turns the model with them; a near-vertical pair of
  // hands has no heading and turns nothing.
  const Eigen::Vector3d h0(d0.x(), 0, d0.z()), h(d.x(), 0, d.z());
  if (h0.norm() > 1e-2 && h.norm() > 1e-2) {
    rig.yaw_ = std::remainder(start_.yaw_ - (Heading(h) - Heading(h0)), 2 * M_PI);
  }
  const Eigen::Vector3d anchor = start_.ToWorld(0.5 * (left0_ + right0_));
  rig.translation_ = anchor - rig.scale_ * (rig.Rotation() * (0.5 * (left + right)));
  return rig;
}

void TeleportOptions::Check() const {
  MUTA_CHECK(speed_mps > 0 && std::isfinite(speed_mps)) << "TeleportOptions.speed_mps must be > 0";
  MUTA_CHECK(gravity_mps2 > 0 && std::isfinite(gravity_mps2))
      << "TeleportOptions.gravity_mps2 must be > 0";
  MUTA_CHECK(step_s > 0 && max_time_s >= step_s) << "TeleportOptions: step_s must be in (0, "
                                                    "max_time_s]";
  MUTA_CHECK(max_slope_deg >= 0 && max_slope_deg < 90)
      << "TeleportOptions.max_slope_deg must be in [0, 90)";
}

TeleportArc CastTeleportArc(const Eigen::Vector3d& origin, const Eigen::Vector3d& direction,
                            double scale, const SegmentCast& cast, const TeleportOptions& options) {
  options.Check();
  TeleportArc arc;
  arc.points.push_back(origin);
  const Eigen::Vector3d velocity = options.speed_mps * scale * direction.normalized();
  const double g = options.gravity_mps2 * scale;
  const double min_up = std::cos(options.max_slope_deg * M_PI / 180);
  const int steps = static_cast<int>(std::ceil(options.max_time_s / options.step_s));
  Eigen::Vector3d p = origin;
  for (int i = 1; i <= steps; ++i) {
    const double t = i * options.step_s;
    const Eigen::Vector3d q = origin + velocity * t - Eigen::Vector3d(0, 0, 0.5 * g * t * t);
    const double length = (q - p).norm();
    if (length <= 0) continue;
    const Eigen::Vector3d dir = (q - p) / length;
    std::optional<SurfaceHit> hit = cast ? cast(p, dir, length) : std::nullopt;
    // The ground plane where the model has none, if the segment crosses it first.
    if (options.ground_z && p.z() > *options.ground_z && q.z() <= *options.ground_z) {
      const double f = (p.z() - *options.ground_z) / (p.z() - q.z());
      const Eigen::Vector3d g_point = p + f * (q - p);
      if (!hit || (g_point - p).norm() < (hit->point - p).norm()) {
        hit = SurfaceHit{g_point, Eigen::Vector3d::UnitZ()};
      }
    }
    if (hit) {
      arc.points.push_back(hit->point);
      arc.hit = true;
      arc.hit_normal = hit->normal;
      if (hit->normal.normalized().z() >= min_up) arc.target = hit->point;
      return arc;
    }
    arc.points.push_back(q);
    p = q;
  }
  return arc;
}

}  // namespace muta::xr
