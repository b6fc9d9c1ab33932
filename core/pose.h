#pragma once
// Rigid and similarity transforms (double precision, Eigen).
//
// Conventions (as COLMAP): a camera's pose is `cam_from_world`, mapping world points into the
// camera frame (x right, y down, z forward). The camera centre in world coordinates is
// -R^T t. Units are those of the scene (metres once scaled).

#include <Eigen/Core>
#include <Eigen/Geometry>

namespace muta {

struct Rigid3d {
  Eigen::Quaterniond rotation = Eigen::Quaterniond::Identity();
  Eigen::Vector3d translation = Eigen::Vector3d::Zero();

  Eigen::Vector3d operator*(const Eigen::Vector3d& p) const { return rotation * p + translation; }
  Rigid3d Inverse() const {
    Rigid3d inv;
    inv.rotation = rotation.conjugate();
    inv.translation = -(inv.rotation * translation);
    return inv;
  }
  Eigen::Matrix<double, 3, 4> ToMatrix() const {
    Eigen::Matrix<double, 3, 4> m;
    m.leftCols<3>() = rotation.toRotationMatrix();
    m.col(3) = translation;
    return m;
  }
};

inline Rigid3d operator*(const Rigid3d& a, const Rigid3d& b) {
  Rigid3d c;
  c.rotation = (a.rotation * b.rotation).normalized();
  c.translation = a.rotation * b.translation + a.translation;
  return c;
}

/// x -> scale * R x + t
struct Sim3d {
  double scale = 1.0;
  Eigen::Quaterniond rotation = Eigen::Quaterniond::Identity();
  Eigen::Vector3d translation = Eigen::Vector3d::Zero();

  Eigen::Vector3d operator*(const Eigen::Vector3d& p) const {
    return scale * (rotation * p) + translation;
  }
  Sim3d Inverse() const {
    Sim3d inv;
    inv.scale = 1.0 / scale;
    inv.rotation = rotation.conjugate();
    inv.translation = -(inv.scale * (inv.rotation * translation));
    return inv;
  }
  Eigen::Matrix4d ToMatrix() const {
    Eigen::Matrix4d m = Eigen::Matrix4d::Identity();
    m.topLeftCorner<3, 3>() = scale * rotation.toRotationMatrix();
    m.topRightCorner<3, 1>() = translation;
    return m;
  }
};

/// The camera pose after the world is moved by `world2_from_world1`:
/// cam_from_world2 = cam_from_world1 * world2_from_world1^-1 (scale applied to translation).
inline Rigid3d TransformPose(const Sim3d& world2_from_world1, const Rigid3d& cam_from_world1) {
  Rigid3d out;
  out.rotation = (cam_from_world1.rotation * world2_from_world1.rotation.conjugate()).normalized();
  out.translation = world2_from_world1.scale * cam_from_world1.translation -
                    out.rotation * world2_from_world1.translation;
  return out;
}

/// Camera centre in world coordinates.
inline Eigen::Vector3d CameraCenter(const Rigid3d& cam_from_world) {
  return cam_from_world.rotation.conjugate() * (-cam_from_world.translation);
}

/// A camera pose (cam_from_world, COLMAP axes: x right, y down, z forward) looking from `eye`
/// at `target` with `up` pointing up in the image. Throws muta::Error if eye == target.
Rigid3d LookAt(const Eigen::Vector3d& eye, const Eigen::Vector3d& target,
               const Eigen::Vector3d& up = Eigen::Vector3d::UnitZ());

/// Angle of the relative rotation between two orientations, in degrees.
double RotationAngleDeg(const Eigen::Quaterniond& a, const Eigen::Quaterniond& b);

}  // namespace muta
