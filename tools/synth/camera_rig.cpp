// Camera rigs round a building: a main ring near eye level, a high ring (drone) between its
// azimuths, and close-ups at several heights, each framed tightly on the building.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"
#include "tools/synth/building_parts.h"

namespace muta::synth {
namespace {

// cam_from_world looking from `eye` at `target`, world up +z (x right, y down, z forward).
Rigid3d LookAtPose(const V3& eye, const V3& target) {
  const V3 z = (target - eye).normalized();
  V3 x = z.cross(V3::UnitZ());
  if (x.norm() < 1e-9) x = V3::UnitX();
  x.normalize();
  const V3 y = z.cross(x);
  Eigen::Matrix3d r;
  r.row(0) = x;
  r.row(1) = y;
  r.row(2) = z;
  Rigid3d pose;
  pose.rotation = Eigen::Quaterniond(r).normalized();
  pose.translation = -(r * eye);
  return pose;
}

// True if every point projects inside the image shrunk by `margin` (fraction of the size);
// with `width_only` only the horizontal extent counts.
bool Fits(const Camera& cam, const Rigid3d& pose, const std::vector<V3>& pts, double margin,
          bool width_only) {
  const double mx = margin * cam.width, my = margin * cam.height;
  for (const V3& p : pts) {
    const V3 c = pose * p;
    if (c.z() < 0.5) return false;
    const Eigen::Vector2d px = cam.Project(c);
    if (px.x() < mx || px.x() > cam.width - mx) return false;
    if (!width_only && (px.y() < my || px.y() > cam.height - my)) return false;
  }
  return true;
}

// The smallest distance along `dir` (unit, target -> eye) at which `pts` fit.
double FitDistance(const Camera& cam, const V3& target, const V3& dir, const std::vector<V3>& pts,
                   double margin, double far, bool width_only = false) {
  double lo = 0.5, hi = far;
  if (!Fits(cam, LookAtPose(target + dir * hi, target), pts, margin, width_only)) return hi;
  for (int i = 0; i < 40; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (Fits(cam, LookAtPose(target + dir * mid, target), pts, margin, width_only)) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return hi;
}

V3 Direction(double azimuth, double elevation) {
  return V3(std::cos(elevation) * std::cos(azimuth), std::cos(elevation) * std::sin(azimuth),
            std::sin(elevation));
}

}  // namespace

void RigOptions::Check() const {
  MUTA_CHECK(images >= 2 && images <= 10000)
      << "RigOptions.images (--images) must be 2..10000, got " << images;
  MUTA_CHECK(width >= 16 && height >= 16 && width <= 16384 && height <= 16384)
      << "RigOptions.width/height (--size WxH) must be 16..16384 pixels, got " << width << "x"
      << height;
  MUTA_CHECK(!(focal_px && fov_deg)) << "RigOptions: give focal_px (--focal) or fov_deg (--fov), "
                                        "not both";
  MUTA_CHECK(!focal_px || (std::isfinite(*focal_px) && *focal_px > 0))
      << "RigOptions.focal_px (--focal) must be a positive number of pixels, got " << *focal_px;
  MUTA_CHECK(!fov_deg || (std::isfinite(*fov_deg) && *fov_deg >= 10 && *fov_deg <= 150))
      << "RigOptions.fov_deg (--fov) must be 10..150 degrees, got " << *fov_deg;
  MUTA_CHECK(!radial || (std::isfinite(*radial) && std::abs(*radial) <= 0.5))
      << "RigOptions.radial (--radial) must be in -0.5..0.5, got " << *radial;
}

double RigOptions::FocalPixels() const {
  if (focal_px) return *focal_px;
  if (fov_deg) return 0.5 * width / std::tan(0.5 * *fov_deg * M_PI / 180.0);
  return 0.9 * width;
}

namespace {

// What the training rig and the held-out views share: the camera, the framing points and the
// main ring's arc.
struct RigPlan {
  Camera cam;
  std::vector<V3> pts;
  double height = 0, far = 0, plan_r = 0;
  V3 centre = V3::Zero();
  double centre_az = 0, arc = 0;
  bool full_circle = false;
  int n_main = 0, n_high = 0, n_close = 0;

  double AlongArc(double t) const {  // t in [0, 1)
    return full_circle ? centre_az + 2.0 * M_PI * t : centre_az + arc * (t - 0.5);
  }
  // The main ring's azimuth of (fractional) main-ring index `i`.
  double MainAzimuth(double i) const { return AlongArc((i + 0.5) / n_main); }
  // A main-ring eye at azimuth `az`: at half the building's height, close enough that the
  // building's width (and two thirds of its height) fill the frame: a tall building is cut at
  // the top and bottom (the high ring and the close-ups see those), its detail is large enough
  // for feature matching.
  std::pair<V3, V3> MainView(double az) const {
    const V3 target(0, 0, 0.45 * height);
    double elevation = 0.0, d = 0.0;
    for (int iter = 0; iter < 3; ++iter) {
      d = std::max(0.65 * FitDistance(cam, target, Direction(az, elevation), pts, 0.0, far),
                   FitDistance(cam, target, Direction(az, elevation), pts, 0.04, far, true));
      elevation = std::asin(std::clamp((0.5 * height - target.z()) / d, -0.5, 0.5));
    }
    return {target + Direction(az, elevation) * d, target};
  }
};

RigPlan PlanRig(const Building& building, const RigOptions& options, std::uint64_t seed) {
  options.Check();
  RigPlan plan;
  const double f = options.FocalPixels();
  const double cx = 0.5 * options.width, cy = 0.5 * options.height;
  plan.cam = options.radial
                 ? Camera::SimpleRadial(options.width, options.height, f, cx, cy, *options.radial)
                 : Camera::Pinhole(options.width, options.height, f, f, cx, cy);
  plan.cam.id = 1;

  // Framing points: a subsample of the building's vertices.
  const auto& verts = building.mesh.vertices;
  const std::size_t stride = std::max<std::size_t>(1, verts.size() / 4000);
  for (std::size_t i = 0; i < verts.size(); i += stride) {
    plan.pts.push_back(verts[i].cast<double>());
  }
  const Box3f box = BoundingBox(verts);
  plan.height = box.max.z();
  plan.far = 20.0 * (box.Size().norm() + 1.0);
  plan.plan_r = 0.5 * std::max(box.Size().x(), box.Size().y());

  Rng rng(DeriveSeed(seed, "rig"));
  const double seeded_centre = rng.Uniform(0.0, 2.0 * M_PI);
  plan.centre_az = options.center_azimuth.value_or(seeded_centre);
  plan.centre = V3(0, 0, 0.5 * plan.height);
  const int n = options.images;
  plan.n_close = n >= 6 ? static_cast<int>(std::lround(0.25 * n)) : 0;
  plan.n_high = n >= 4 ? static_cast<int>(std::lround(0.25 * n)) : 0;
  plan.n_main = n - plan.n_close - plan.n_high;
  // Neighbouring photographs of the main ring are at most kMaxStep apart (SIFT matches fall
  // off steeply beyond ~20 degrees on this kind of 3D structure), so a small set covers an arc
  // centred on centre_az rather than the whole circle.
  constexpr double kMaxStep = 18.0 * M_PI / 180.0;
  plan.full_circle = plan.n_main * kMaxStep >= 2.0 * M_PI - 1e-9;
  plan.arc = plan.full_circle ? 2.0 * M_PI : plan.n_main * kMaxStep;
  return plan;
}

SparseModel MakeModel(const Camera& cam, const std::vector<std::pair<V3, V3>>& views,
                      const char* prefix) {
  SparseModel model;
  model.cameras[1] = cam;
  for (std::size_t i = 0; i < views.size(); ++i) {
    SparseImage image;
    image.id = static_cast<std::uint32_t>(i + 1);
    char name[48];
    std::snprintf(name, sizeof(name), "%s_%03zu.jpg", prefix, i);
    image.name = name;
    image.camera_id = 1;
    image.cam_from_world = LookAtPose(views[i].first, views[i].second);
    model.images[image.id] = std::move(image);
  }
  model.Check();
  return model;
}

}  // namespace

SparseModel MakeCameraRig(const Building& building, const RigOptions& options, std::uint64_t seed) {
  const RigPlan plan = PlanRig(building, options, seed);
  const int n_main = plan.n_main, n_high = plan.n_high, n_close = plan.n_close;
  std::vector<std::pair<V3, V3>> views;  // eye, target
  constexpr double kDeg = M_PI / 180.0;
  std::vector<double> main_az;
  for (int i = 0; i < n_main; ++i) {
    const double az = plan.MainAzimuth(i);
    main_az.push_back(az);
    views.push_back(plan.MainView(az));
  }
  for (int i = 0; i < n_high; ++i) {
    // Higher up, between the main ring's azimuths, looking down on the roofs.
    const double az = plan.AlongArc((i + 0.5) / n_high) + 0.5 * plan.arc / std::max(1, n_main);
    const V3 dir = Direction(az, 25.0 * kDeg);
    views.emplace_back(plan.centre + dir * (0.8 * FitDistance(plan.cam, plan.centre, dir, plan.pts,
                                                              0.0, plan.far)),
                       plan.centre);
  }
  for (int i = 0; i < n_close; ++i) {
    // Close-ups at several heights, each beside a main-ring photograph.
    const int k = std::min(n_main - 1, static_cast<int>((i + 0.5) * n_main / n_close));
    const double az = main_az[k] + 5.0 * kDeg;
    const double t = n_close > 1 ? static_cast<double>(i) / (n_close - 1) : 0.5;
    const V3 target(0, 0, (0.2 + 0.55 * t) * plan.height);
    const V3 dir = Direction(az, (8.0 + 10.0 * t) * kDeg);
    const double full = FitDistance(plan.cam, target, dir, plan.pts, 0.0, plan.far);
    const double d = std::max(0.5 * full, plan.plan_r + 4.0);
    views.emplace_back(target + dir * d, target);
  }
  return MakeModel(plan.cam, views, "view");
}

SparseModel MakeHoldoutRig(const Building& building, const RigOptions& options, std::uint64_t seed,
                           int count, int close_count) {
  MUTA_CHECK(count >= 0 && count <= 1000 && close_count >= 0 && close_count <= 1000 &&
             count + close_count >= 1)
      << "the number of held-out views (--holdout) must be 1..1000, got " << count
      << (close_count > 0 ? " (and --holdout-close " + std::to_string(close_count) + ", 0..1000)"
                          : std::string());
  const RigPlan plan = PlanRig(building, options, seed);
  // Gaps between neighbouring main-ring views (the arc's ends are no gap; a full circle
  // closes). View j of n goes into gap floor((j + 0.5) * gaps / n); the views sharing a gap
  // split it evenly, so none coincides with a training view.
  const int gaps = plan.full_circle ? plan.n_main : std::max(1, plan.n_main - 1);
  auto gap_azimuths = [&](int n) {
    std::vector<int> gap_of(n), in_gap(gaps, 0), seen(gaps, 0);
    for (int j = 0; j < n; ++j) {
      gap_of[j] = std::min(gaps - 1, static_cast<int>((j + 0.5) * gaps / n));
      ++in_gap[gap_of[j]];
    }
    std::vector<double> az;
    for (int j = 0; j < n; ++j) {
      const int g = gap_of[j];
      const double fraction = double(++seen[g]) / double(in_gap[g] + 1);
      // (The main ring has at least two views: RigOptions.images >= 2.)
      az.push_back(plan.MainAzimuth(g + fraction));
    }
    return az;
  };
  std::vector<std::pair<V3, V3>> views;
  for (const double az : gap_azimuths(count)) views.push_back(plan.MainView(az));
  SparseModel model = MakeModel(plan.cam, views, "holdout");
  // Close-ups: at half the main ring's distance from the building's axis (at least 2 m outside
  // its plan), aimed at heights from a fifth to three quarters of the building, in the main
  // ring's gaps – where people explore a model and a texture's detail shows.
  const std::vector<double> close_az = gap_azimuths(close_count);
  views.clear();
  for (int j = 0; j < close_count; ++j) {
    const double t = close_count > 1 ? double(j) / (close_count - 1) : 0.5;
    const V3 target(0, 0, (0.2 + 0.55 * t) * plan.height);
    const auto [ring_eye, ring_target] = plan.MainView(close_az[std::size_t(j)]);
    const double d = std::max(0.5 * ring_eye.head<2>().norm(), plan.plan_r + 2.0);
    const V3 dir = Direction(close_az[std::size_t(j)], (5.0 + 10.0 * t) * M_PI / 180.0);
    views.emplace_back(target + dir * (d / std::cos((5.0 + 10.0 * t) * M_PI / 180.0)), target);
  }
  const SparseModel close = MakeModel(plan.cam, views, "holdout_close");
  for (const auto& [id, image] : close.images) {
    SparseImage copy = image;
    copy.id = static_cast<std::uint32_t>(count) + id;
    model.images[copy.id] = std::move(copy);
  }
  model.Check();
  return model;
}

Rigid3d OverviewPose(const Building& building, const Camera& camera, double azimuth) {
  const auto& verts = building.mesh.vertices;
  const std::size_t stride = std::max<std::size_t>(1, verts.size() / 4000);
  std::vector<V3> pts;
  for (std::size_t i = 0; i < verts.size(); i += stride) pts.push_back(verts[i].cast<double>());
  const Box3f box = BoundingBox(verts);
  const V3 target(0, 0, 0.45 * box.max.z());
  const V3 dir = Direction(azimuth, 22.0 * M_PI / 180.0);
  const double far = 20.0 * (box.Size().norm() + 1.0);
  return LookAtPose(target + dir * FitDistance(camera, target, dir, pts, 0.05, far), target);
}

}  // namespace muta::synth
