#pragma once
// The viewer's cameras, free of any window: orbit (around a centre), fly (free, WASD + mouse)
// and walk (eye height above the floor, gravity, collision with walls through ray casts).
//
// Frames: world is z-up metres. The view direction is given by yaw (radians about +z, 0 = +x)
// and pitch (radians above the horizon). Poses come out as COLMAP cam_from_world (x right,
// y down, z forward), as the renderer takes them.

#include <functional>
#include <optional>
#include <string_view>

#include <Eigen/Core>

#include "core/pose.h"
#include "render/viewer/ray_picker.h"

namespace muta::render::viewer {

enum class NavMode { kOrbit, kFly, kWalk };
std::string_view NavModeName(NavMode mode);
/// "orbit", "fly", "walk"; throws muta::Error otherwise.
NavMode ParseNavMode(std::string_view name);

/// The first surface along a ray (unit direction), or nullopt: the model's picker.
using RayCast = std::function<std::optional<RayHit>(const Eigen::Vector3d& origin,
                                                    const Eigen::Vector3d& direction)>;

/// One frame of user input, already in device-independent units.
struct NavInput {
  double dt = 1.0 / 60;           ///< seconds since the last frame
  Eigen::Vector2d drag = {0, 0};  ///< pixels the mouse moved with the left button held
  Eigen::Vector2d pan = {0, 0};   ///< pixels moved with the right/middle button (orbit pan)
  double scroll = 0;              ///< wheel steps (+ = towards the model)
  double forward = 0;             ///< -1..1 (W/S)
  double right = 0;               ///< -1..1 (D/A)
  double up = 0;                  ///< -1..1 (E/Q; fly only)
  bool fast = false;              ///< Shift
  bool jump = false;              ///< Space (walk)
};

struct NavOptions {
  double eye_height_m = 1.6;    ///< walk: eye above the floor
  double step_height_m = 0.45;  ///< walk: the highest step climbed without jumping
  double body_radius_m = 0.3;   ///< walk: closest approach to a wall
  double gravity_mps2 = 9.81;   ///< walk
  double jump_speed_mps = 3.5;  ///< walk
  double walk_speed_mps = 1.4;  ///< walk (x3 with Shift)
  double fly_speed_mps = 0;     ///< fly; 0 = a tenth of the model's size per second
  double rotate_rad_per_px = 0.005;
  void Check() const;
};

class Navigator {
 public:
  /// Frames a model whose bounding box is [lo, hi]: orbit around its centre from a
  /// three-quarter view that shows all of it with vertical field of view `fov_y_rad`.
  void Frame(const Eigen::Vector3d& lo, const Eigen::Vector3d& hi, double fov_y_rad);
  /// Looks from `eye` at `target` (orbit centre = target).
  void LookAt(const Eigen::Vector3d& eye, const Eigen::Vector3d& target);
  /// Switches mode keeping the view; walk drops the eye onto the floor below it on the next
  /// Update.
  void SetMode(NavMode mode);
  NavMode mode() const { return mode_; }
  /// Puts the eye `eye_height_m` above the floor at height `floor_z` (storeys), at `xy` when
  /// given (else keeping x, y), looking level, and switches to walk.
  void GoToFloor(double floor_z, const NavOptions& options,
                 const std::optional<Eigen::Vector2d>& xy = std::nullopt);

  /// Advances one frame. `cast` is used by walk (gravity, collision); may be empty otherwise.
  void Update(const NavInput& input, const NavOptions& options, const RayCast& cast);

  Eigen::Vector3d Eye() const { return eye_; }
  Eigen::Vector3d Forward() const;  ///< unit view direction
  Eigen::Vector3d Target() const { return eye_ + distance_ * Forward(); }
  double yaw() const { return yaw_; }
  double pitch() const { return pitch_; }
  bool on_ground() const { return on_ground_; }
  double model_size() const { return model_size_; }
  Rigid3d CamFromWorld() const;

 private:
  void Walk(const NavInput& input, const NavOptions& options, const RayCast& cast);

  NavMode mode_ = NavMode::kOrbit;
  Eigen::Vector3d eye_ = {0, -10, 2};
  double yaw_ = 1.5707963267948966;  // looking along +y
  double pitch_ = 0;
  double distance_ = 10;       // orbit: eye to centre
  double model_size_ = 10;     // bounding box diagonal, metres
  double ground_z_ = 0;        // walk: the floor where the model has none (its lowest z)
  double vertical_speed_ = 0;  // walk
  bool on_ground_ = false;
  bool snap_to_floor_ = false;  // walk: land at once (mode switch, storey jump)
};

}  // namespace muta::render::viewer
