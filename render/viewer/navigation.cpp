#include "render/viewer/navigation.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <Eigen/Geometry>

#include "core/error.h"

namespace muta::render::viewer {
namespace {

constexpr double kMaxPitch = 89.0 * std::numbers::pi / 180;

Eigen::Vector3d Right(double yaw) {
  return {std::sin(yaw), -std::cos(yaw), 0};
}

}  // namespace

std::string_view NavModeName(NavMode mode) {
  switch (mode) {
    case NavMode::kOrbit:
      return "orbit";
    case NavMode::kFly:
      return "fly";
    case NavMode::kWalk:
      return "walk";
  }
  return "orbit";
}

NavMode ParseNavMode(std::string_view name) {
  for (NavMode m : {NavMode::kOrbit, NavMode::kFly, NavMode::kWalk}) {
    if (name == NavModeName(m)) return m;
  }
  MUTA_FAIL << "unknown camera mode '" << name << "'; use orbit, fly or walk";
  return NavMode::kOrbit;
}

void NavOptions::Check() const {
  MUTA_CHECK(eye_height_m > 0 && eye_height_m < 100)
      << "NavOptions.eye_height_m must be in (0, 100)";
  MUTA_CHECK(step_height_m >= 0 && step_height_m < eye_height_m)
      << "NavOptions.step_height_m must be in [0, eye_height_m)";
  MUTA_CHECK(body_radius_m > 0) << "NavOptions.body_radius_m must be > 0";
  MUTA_CHECK(gravity_mps2 >= 0 && walk_speed_mps > 0 && fly_speed_mps >= 0)
      << "NavOptions: gravity and speeds must be >= 0 (walk speed > 0)";
}

Eigen::Vector3d Navigator::Forward() const {
  return {std::cos(pitch_) * std::cos(yaw_), std::cos(pitch_) * std::sin(yaw_), std::sin(pitch_)};
}

Rigid3d Navigator::CamFromWorld() const {
  const Eigen::Vector3d f = Forward();
  // Up in the image: world z tilted with the pitch (never parallel to f: |pitch| <= 89 deg).
  const Eigen::Vector3d up = Right(yaw_).cross(f).normalized();
  return muta::LookAt(eye_, eye_ + f, up);
}

void Navigator::Frame(const Eigen::Vector3d& lo, const Eigen::Vector3d& hi, double fov_y_rad) {
  const Eigen::Vector3d centre = 0.5 * (lo + hi);
  model_size_ = std::max((hi - lo).norm(), 1e-3);
  ground_z_ = lo.z();
  const double radius = 0.5 * model_size_;
  distance_ = 1.05 * radius / std::sin(0.5 * fov_y_rad);
  const double a = 35 * std::numbers::pi / 180, e = 25 * std::numbers::pi / 180;
  const Eigen::Vector3d to_eye(std::cos(e) * std::sin(a), -std::cos(e) * std::cos(a), std::sin(e));
  yaw_ = std::atan2(-to_eye.y(), -to_eye.x());
  pitch_ = -e;
  eye_ = centre - distance_ * Forward();
}

void Navigator::LookAt(const Eigen::Vector3d& eye, const Eigen::Vector3d& target) {
  const Eigen::Vector3d d = target - eye;
  MUTA_CHECK(d.allFinite() && d.norm() > 1e-9) << "camera eye and target must differ";
  eye_ = eye;
  distance_ = d.norm();
  yaw_ = std::atan2(d.y(), d.x());
  pitch_ = std::clamp(std::asin(std::clamp(d.z() / distance_, -1.0, 1.0)), -kMaxPitch, kMaxPitch);
  on_ground_ = false;
  vertical_speed_ = 0;
  snap_to_floor_ = mode_ == NavMode::kWalk;
}

void Navigator::SetMode(NavMode mode) {
  if (mode == NavMode::kWalk && mode_ != NavMode::kWalk) {
    snap_to_floor_ = true;
    vertical_speed_ = 0;
    pitch_ = std::clamp(pitch_, -0.5, 0.5);  // look ahead, not down at the roof
  }
  mode_ = mode;
}

void Navigator::GoToFloor(double floor_z, const NavOptions& options,
                          const std::optional<Eigen::Vector2d>& xy) {
  mode_ = NavMode::kWalk;
  if (xy) eye_.head<2>() = *xy;
  eye_.z() = floor_z + options.eye_height_m;
  pitch_ = 0;
  vertical_speed_ = 0;
  on_ground_ = true;
  snap_to_floor_ = false;
}

void Navigator::Update(const NavInput& input, const NavOptions& options, const RayCast& cast) {
  const double k = options.rotate_rad_per_px;
  const double dt = std::clamp(input.dt, 0.0, 0.25);
  if (mode_ == NavMode::kOrbit) {
    const Eigen::Vector3d target = Target();
    yaw_ -= input.drag.x() * k;
    pitch_ = std::clamp(pitch_ - input.drag.y() * k, -kMaxPitch, kMaxPitch);
    distance_ = std::max(distance_ * std::pow(0.85, input.scroll), 1e-3 * model_size_);
    const Eigen::Vector3d f = Forward();
    const Eigen::Vector3d r = Right(yaw_), u = r.cross(f);
    const double per_px = distance_ * 0.0015;
    Eigen::Vector3d centre = target + (-input.pan.x() * r + input.pan.y() * u) * per_px;
    const double speed = 0.25 * distance_ * (input.fast ? 3 : 1);
    centre += (input.forward * Eigen::Vector3d(f.x(), f.y(), 0).normalized() + input.right * r +
               input.up * Eigen::Vector3d::UnitZ()) *
              speed * dt;
    eye_ = centre - distance_ * f;
    return;
  }
  yaw_ -= input.drag.x() * k;
  pitch_ = std::clamp(pitch_ - input.drag.y() * k, -kMaxPitch, kMaxPitch);
  if (mode_ == NavMode::kFly) {
    const double speed = (options.fly_speed_mps > 0 ? options.fly_speed_mps : 0.1 * model_size_) *
                         (input.fast ? 4 : 1);
    const Eigen::Vector3d f = Forward();
    eye_ += (input.forward * f + input.right * Right(yaw_) + input.up * Eigen::Vector3d::UnitZ()) *
                speed * dt +
            f * (input.scroll * 0.05 * model_size_);
    return;
  }
  Walk(input, options, cast);
}

void Navigator::Walk(const NavInput& input, const NavOptions& options, const RayCast& cast) {
  const double dt = std::clamp(input.dt, 0.0, 0.25);
  const Eigen::Vector3d z = Eigen::Vector3d::UnitZ();
  const Eigen::Vector3d heading(std::cos(yaw_), std::sin(yaw_), 0);
  const double speed = options.walk_speed_mps * (input.fast ? 3 : 1);
  Eigen::Vector3d move = (input.forward * heading + input.right * Right(yaw_)) * speed * dt;
  double feet = eye_.z() - options.eye_height_m;

  // Collision: rays along the move at knee (just above a climbable step), chest and eye
  // height; a blocked move slides along the wall once.
  const auto blocked_at = [&](const Eigen::Vector3d& m) -> std::optional<RayHit> {
    const double length = m.norm();
    if (length <= 0 || !cast) return std::nullopt;
    const Eigen::Vector3d dir = m / length;
    std::optional<RayHit> nearest;
    for (const double h :
         {options.step_height_m + 0.05, 0.6 * options.eye_height_m, options.eye_height_m}) {
      const Eigen::Vector3d origin(eye_.x(), eye_.y(), feet + h);
      const auto hit = cast(origin, dir);
      if (hit && hit->distance < length + options.body_radius_m &&
          (!nearest || hit->distance < nearest->distance)) {
        nearest = hit;
      }
    }
    return nearest;
  };
  if (move.squaredNorm() > 0) {
    if (const auto wall = blocked_at(move)) {
      Eigen::Vector3d n(wall->normal.x(), wall->normal.y(), 0);
      if (n.squaredNorm() > 1e-12) {
        n.normalize();
        const Eigen::Vector3d slide = move - move.dot(n) * n;
        move = blocked_at(slide) ? Eigen::Vector3d::Zero() : slide;
      } else {
        move.setZero();
      }
    }
    eye_.x() += move.x();
    eye_.y() += move.y();
  }

  // The floor below: the first surface under the knee (so steps up to step_height are
  // climbed). With nothing below (outside the model, or a streamed tile not loaded yet) the
  // eye keeps its height – a missing tile never drops the walker through a storey – except
  // when entering walk, which lands on the model's lowest level.
  double floor_z = std::min(feet, ground_z_);
  if (!snap_to_floor_) floor_z = feet;
  if (cast) {
    const double start = snap_to_floor_ ? eye_.z() : feet + options.step_height_m;
    const Eigen::Vector3d origin(eye_.x(), eye_.y(), start);
    if (const auto hit = cast(origin, -z)) floor_z = start - hit->distance;
  }
  if (snap_to_floor_) {
    feet = floor_z;
    vertical_speed_ = 0;
    snap_to_floor_ = false;
    on_ground_ = true;
  } else {
    if (on_ground_ && input.jump) {
      vertical_speed_ = options.jump_speed_mps;
      on_ground_ = false;
    }
    if (feet > floor_z + 1e-4 || vertical_speed_ != 0) {
      vertical_speed_ -= options.gravity_mps2 * dt;
      feet += vertical_speed_ * dt;
      on_ground_ = false;
    }
    if (feet <= floor_z) {
      feet = floor_z;
      vertical_speed_ = 0;
      on_ground_ = true;
    }
  }
  eye_.z() = feet + options.eye_height_m;
}

}  // namespace muta::render::viewer
