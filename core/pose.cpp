#include "core/pose.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace muta {

double RotationAngleDeg(const Eigen::Quaterniond& a, const Eigen::Quaterniond& b) {
  const double dot = std::abs(a.normalized().dot(b.normalized()));
  return 2.0 * std::acos(std::clamp(dot, 0.0, 1.0)) * 180.0 / M_PI;
}

Rigid3d LookAt(const Eigen::Vector3d& eye, const Eigen::Vector3d& target,
               const Eigen::Vector3d& up) {
  const Eigen::Vector3d forward_raw = target - eye;
  MUTA_CHECK(forward_raw.allFinite() && forward_raw.norm() > 0)
      << "LookAt: eye and target must differ";
  const Eigen::Vector3d forward = forward_raw.normalized();
  Eigen::Vector3d right = forward.cross(up);
  if (right.norm() < 1e-9 * std::max(1.0, up.norm())) {
    // Looking along `up`: any right angle will do; keep it stable.
    right = forward.cross(std::abs(forward.x()) < 0.9 ? Eigen::Vector3d::UnitX()
                                                      : Eigen::Vector3d::UnitY());
  }
  right.normalize();
  const Eigen::Vector3d down = forward.cross(right);
  Eigen::Matrix3d cam_from_world;
  cam_from_world.row(0) = right;
  cam_from_world.row(1) = down;
  cam_from_world.row(2) = forward;
  Rigid3d pose;
  pose.rotation = Eigen::Quaterniond(cam_from_world).normalized();
  pose.translation = -(pose.rotation * eye);
  return pose;
}

}  // namespace muta
