#pragma once
// Where the tracked play space sits in the site, and the locomotion that moves it: teleport
// along a parabolic arc, snap turn, and the two-handed grab that moves, turns and scales the
// model ("dollhouse", 1:1 down to 1:100). Free of OpenXR and GL, so it is unit-tested alone.
//
// Frames:
//   - STAGE: OpenXR's tracking space – metres, origin on the floor, y up, x right, -z forward.
//   - world: the site bundle's frame – metres, z up (as render/ and the site bundle).
// The rig maps STAGE to world: world = translation + scale * Rz(yaw) * A * stage, where
// A = (x, y, z) -> (x, -z, y) turns y-up into z-up (STAGE's -z, "forward", becomes world +y).
// `scale` is how many world metres one tracked metre spans: 1 at 1:1, 100 at 1:100.
// Cameras come out as COLMAP's cam_from_world (x right, y down, z forward), as render/ takes.

#include <functional>
#include <optional>
#include <vector>

#include <Eigen/Core>
#include <Eigen/Geometry>

#include "core/camera.h"
#include "core/pose.h"

namespace muta::xr {

/// A pose in STAGE (tracking space): position (metres) and orientation.
struct TrackedPose {
  Eigen::Vector3d position = Eigen::Vector3d::Zero();
  Eigen::Quaterniond orientation = Eigen::Quaterniond::Identity();
};

/// An OpenXR field of view: angles of the four sides from the view axis, radians (left and
/// down are negative for a symmetric view).
struct FovAngles {
  double left = -0.785, right = 0.785, up = 0.785, down = -0.785;
};

/// A pinhole camera of `width` x `height` pixels with an (asymmetric) OpenXR field of view.
Camera EyeCamera(const FovAngles& fov, int width, int height);

class Rig {
 public:
  static constexpr double kMinScale = 1;    ///< 1:1
  static constexpr double kMaxScale = 100;  ///< 1:100

  Rig() = default;
  /// Standing with feet at `feet_world` (the STAGE origin lands there), facing the world
  /// direction `yaw_rad` (0 = +y, positive turns left, i.e. towards -x), at `scale`.
  Rig(const Eigen::Vector3d& feet_world, double yaw_rad, double scale = 1);

  Eigen::Vector3d ToWorld(const Eigen::Vector3d& stage_point) const;
  /// A STAGE direction in world (unit in, unit out; the scale does not apply).
  Eigen::Vector3d DirectionToWorld(const Eigen::Vector3d& stage_direction) const;
  /// The world orientation of a STAGE orientation (the view looks along its -z as in OpenXR).
  Eigen::Quaterniond OrientationToWorld(const Eigen::Quaterniond& stage_orientation) const;
  /// COLMAP cam_from_world for an eye at `eye` (STAGE). With scale != 1 the camera sits at the
  /// scaled position, i.e. the world is seen at 1:scale (the renderer's near/far planes must be
  /// multiplied by scale()).
  Rigid3d CamFromWorld(const TrackedPose& eye) const;

  /// Moves the rig so that the point on the floor below `head` (STAGE) lands on
  /// `target_world`, back at 1:1.
  void Teleport(const TrackedPose& head, const Eigen::Vector3d& target_world);
  /// Turns the world about the vertical through `head` by `angle_rad` (positive = the user
  /// turns left); the head keeps its world position.
  void Turn(const TrackedPose& head, double angle_rad);
  /// Moves the tracked space by `world_offset` (world metres; smooth locomotion).
  void Move(const Eigen::Vector3d& world_offset) { translation_ += world_offset; }

  double scale() const { return scale_; }
  double yaw() const { return yaw_; }
  const Eigen::Vector3d& translation() const { return translation_; }

 private:
  Eigen::Matrix3d Rotation() const;  ///< Rz(yaw) * A
  Eigen::Vector3d translation_ = Eigen::Vector3d::Zero();
  double yaw_ = 0;
  double scale_ = 1;
  friend class TwoHandGrab;
};

/// Smooth locomotion: the world offset of one frame of thumbstick motion – stick y along the
/// head's heading on the floor, x to its right – at `speed_mps` tracked metres per second
/// (full deflection; the world scale applies) for `dt_s` seconds. Zero inside `dead_zone`.
Eigen::Vector3d SmoothMoveOffset(const Rig& rig, const TrackedPose& head,
                                 const Eigen::Vector2d& stick, double speed_mps, double dt_s,
                                 double dead_zone = 0.15);

/// Two-handed grab: while both hands hold, the model follows them – the world point between
/// the hands at the start stays between them, turning the hands about the vertical turns the
/// model, and bringing them together shrinks it (down to 1:100; apart, up to 1:1).
class TwoHandGrab {
 public:
  /// Starts a grab with the hands at `left`, `right` (STAGE positions).
  void Begin(const Rig& rig, const Eigen::Vector3d& left, const Eigen::Vector3d& right);
  /// The rig for the hands' current positions (the rig given to Begin, moved).
  Rig Update(const Eigen::Vector3d& left, const Eigen::Vector3d& right) const;
  bool active() const { return active_; }
  void End() { active_ = false; }

 private:
  bool active_ = false;
  Rig start_;
  Eigen::Vector3d left0_ = Eigen::Vector3d::Zero(), right0_ = Eigen::Vector3d::Zero();
};

/// The first surface along a world ray segment [origin, origin + direction * length]
/// (direction unit): a hit point and its unit normal, or nullopt.
struct SurfaceHit {
  Eigen::Vector3d point = Eigen::Vector3d::Zero();
  Eigen::Vector3d normal = Eigen::Vector3d::UnitZ();
};
using SegmentCast = std::function<std::optional<SurfaceHit>(
    const Eigen::Vector3d& origin, const Eigen::Vector3d& direction, double length)>;

struct TeleportOptions {
  double speed_mps = 7.0;       ///< launch speed of the arc, tracked metres per second
  double gravity_mps2 = 9.81;   ///< downwards (world -z)
  double step_s = 0.02;         ///< arc segment duration
  double max_time_s = 2.5;      ///< longest arc
  double max_slope_deg = 30.0;  ///< walkable: the floor's normal within this of vertical
  /// The ground where the model has none (world z; e.g. the site's lowest point); walkable.
  std::optional<double> ground_z;
  void Check() const;
};

struct TeleportArc {
  std::vector<Eigen::Vector3d> points;    ///< world, from the hand to where the arc ended
  std::optional<Eigen::Vector3d> target;  ///< where the user would land; nullopt = not walkable
  Eigen::Vector3d hit_normal = Eigen::Vector3d::UnitZ();
  bool hit = false;  ///< the arc met a surface (walkable or not) or the ground
};

/// The arc thrown from `origin` along `direction` (world, unit) – at 1:1 in tracked metres; at
/// another scale the arc is scaled with the world. The first surface it meets is the target
/// when it is walkable (normal within max_slope_deg of +z), else there is no target.
TeleportArc CastTeleportArc(const Eigen::Vector3d& origin, const Eigen::Vector3d& direction,
                            double scale, const SegmentCast& cast, const TeleportOptions& options);

}  // namespace muta::xr
