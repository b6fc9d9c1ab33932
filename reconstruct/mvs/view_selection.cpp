// Source views and depth ranges from a sparse model.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <Eigen/Dense>

#include "core/error.h"
#include "reconstruct/mvs/patch_match.h"

namespace muta::reconstruct {

namespace {

constexpr double kRadToDeg = 180.0 / 3.14159265358979323846;

const SparseImage& FindRef(const SparseModel& model, std::uint32_t ref_id) {
  const auto it = model.images.find(ref_id);
  MUTA_CHECK(it != model.images.end()) << "image id " << ref_id << " is not in the sparse model";
  return it->second;
}

Eigen::Vector3d ViewDirection(const Rigid3d& cam_from_world) {
  return cam_from_world.rotation.conjugate() * Eigen::Vector3d::UnitZ();
}

double AngleDeg(const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
  const double c = a.normalized().dot(b.normalized());
  return std::acos(std::clamp(c, -1.0, 1.0)) * kRadToDeg;
}

// How useful a triangulation angle is for matching: small angles give poor depth, large ones
// strong foreshortening and occlusion.
double AngleWeight(double angle_deg) {
  constexpr double kIdealLow = 8.0, kIdealHigh = 30.0, kFalloff = 15.0;
  if (angle_deg < kIdealLow) return (angle_deg / kIdealLow) * (angle_deg / kIdealLow);
  if (angle_deg <= kIdealHigh) return 1.0;
  const double d = (angle_deg - kIdealHigh) / kFalloff;
  return std::exp(-0.5 * d * d);
}

double Percentile(std::vector<double> v, double q) {
  const std::size_t k = std::min(v.size() - 1, std::size_t(q * double(v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
  return v[k];
}

// The point nearest (least squares) to all cameras' optical axes.
std::optional<Eigen::Vector3d> AxesConvergence(const SparseModel& model) {
  Eigen::Matrix3d A = Eigen::Matrix3d::Zero();
  Eigen::Vector3d b = Eigen::Vector3d::Zero();
  for (const auto& [id, image] : model.images) {
    const Eigen::Vector3d c = CameraCenter(image.cam_from_world);
    const Eigen::Vector3d d = ViewDirection(image.cam_from_world);
    const Eigen::Matrix3d P = Eigen::Matrix3d::Identity() - d * d.transpose();
    A += P;
    b += P * c;
  }
  const Eigen::JacobiSVD<Eigen::Matrix3d> svd(A, Eigen::ComputeFullU | Eigen::ComputeFullV);
  if (model.images.size() < 2 || svd.singularValues()(2) < 1e-6 * svd.singularValues()(0)) {
    return std::nullopt;
  }
  return svd.solve(b);
}

}  // namespace

std::pair<double, double> EstimateDepthRange(const SparseModel& model, std::uint32_t ref_id,
                                             const PatchMatchOptions& options) {
  const SparseImage& ref = FindRef(model, ref_id);
  if (options.depth_min && options.depth_max) return {*options.depth_min, *options.depth_max};
  std::vector<double> depths;
  for (const std::uint64_t pid : ref.point3d_ids) {
    if (pid == kInvalidPoint3DId) continue;
    const auto it = model.points.find(pid);
    if (it == model.points.end()) continue;
    const double z = (ref.cam_from_world * it->second.xyz).z();
    if (z > 0) depths.push_back(z);
  }
  if (depths.size() < 10) {
    // Few observations: every point in front of the camera that projects into the image.
    depths.clear();
    const Camera& camera = model.cameras.at(ref.camera_id);
    for (const auto& [id, point] : model.points) {
      const Eigen::Vector3d X = ref.cam_from_world * point.xyz;
      if (X.z() <= 0) continue;
      const Eigen::Vector2d p = camera.Project(X);
      if (p.x() >= 0 && p.y() >= 0 && p.x() <= camera.width && p.y() <= camera.height) {
        depths.push_back(X.z());
      }
    }
  }
  if (depths.size() >= 10) {
    const double lo = Percentile(depths, 0.01), hi = Percentile(depths, 0.99);
    const double m = options.depth_range_margin;
    const double dmin = std::max(lo * (1.0 - m), lo * 0.1), dmax = hi * (1.0 + m);
    if (dmax > dmin && dmin > 0) return {dmin, dmax};
  }
  const std::optional<Eigen::Vector3d> centre = AxesConvergence(model);
  MUTA_CHECK(centre.has_value())
      << "image " << ref.name
      << ": cannot estimate a depth range – the sparse model has no points it sees and the "
         "cameras' optical axes do not converge; give the depth range explicitly";
  const double z = (ref.cam_from_world * *centre).z();
  MUTA_CHECK(z > 0) << "image " << ref.name
                    << ": cannot estimate a depth range – the scene centre lies behind the "
                       "camera; give the depth range explicitly";
  return {0.25 * z, 4.0 * z};
}

std::vector<std::uint32_t> SelectSourceViews(const SparseModel& model, std::uint32_t ref_id,
                                             const PatchMatchOptions& options) {
  const SparseImage& ref = FindRef(model, ref_id);
  const Eigen::Vector3d ref_centre = CameraCenter(ref.cam_from_world);
  const Eigen::Vector3d ref_dir = ViewDirection(ref.cam_from_world);

  // Shared sparse points, each scored by its triangulation angle.
  struct Shared {
    double score = 0;
    std::vector<double> angles;
  };
  std::map<std::uint32_t, Shared> shared;
  for (const std::uint64_t pid : ref.point3d_ids) {
    if (pid == kInvalidPoint3DId) continue;
    const auto it = model.points.find(pid);
    if (it == model.points.end()) continue;
    const Eigen::Vector3d& X = it->second.xyz;
    for (const TrackElement& t : it->second.track) {
      if (t.image_id == ref_id) continue;
      const auto other = model.images.find(t.image_id);
      if (other == model.images.end()) continue;
      const double angle = AngleDeg(X - ref_centre, X - CameraCenter(other->second.cam_from_world));
      Shared& s = shared[t.image_id];
      s.score += AngleWeight(angle);
      s.angles.push_back(angle);
    }
  }

  std::vector<std::pair<double, std::uint32_t>> by_points, by_geometry;
  std::pair<double, double> range{0, 0};
  bool have_range = false;
  for (const auto& [id, image] : model.images) {
    if (id == ref_id) continue;
    if (AngleDeg(ref_dir, ViewDirection(image.cam_from_world)) > options.max_view_angle) continue;
    const auto s = shared.find(id);
    if (s != shared.end() && s->second.angles.size() >= 3) {
      if (Percentile(s->second.angles, 0.5) < options.min_triangulation_angle) continue;
      by_points.emplace_back(s->second.score, id);
      continue;
    }
    // No shared points: overlap of the view frusta at the reference's depth range, weighted by
    // the triangulation angle at the middle depth.
    if (!have_range) {
      range = EstimateDepthRange(model, ref_id, options);
      have_range = true;
    }
    const Camera& rc = model.cameras.at(ref.camera_id);
    const Camera& sc = model.cameras.at(image.camera_id);
    const Rigid3d world_from_ref = ref.cam_from_world.Inverse();
    const double depths[3] = {range.first, std::sqrt(range.first * range.second), range.second};
    int inside = 0, total = 0;
    double angle_sum = 0;
    for (int gy = 0; gy < 5; ++gy) {
      for (int gx = 0; gx < 5; ++gx) {
        const Eigen::Vector2d px((gx + 0.5) / 5 * rc.width, (gy + 0.5) / 5 * rc.height);
        const Eigen::Vector3d ray = rc.Unproject(px);
        for (const double d : depths) {
          const Eigen::Vector3d X = world_from_ref * (d * ray);
          const Eigen::Vector3d Xs = image.cam_from_world * X;
          ++total;
          if (Xs.z() <= 0) continue;
          const Eigen::Vector2d q = sc.Project(Xs);
          if (q.x() < 0 || q.y() < 0 || q.x() > sc.width || q.y() > sc.height) continue;
          ++inside;
          if (d == depths[1])
            angle_sum += AngleDeg(X - ref_centre, X - CameraCenter(image.cam_from_world));
        }
      }
    }
    if (inside == 0) continue;
    const double mean_angle = angle_sum / std::max(1, inside / 3);
    if (mean_angle < options.min_triangulation_angle) continue;
    by_geometry.emplace_back(double(inside) / total * AngleWeight(mean_angle), id);
  }
  const auto by_score = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  std::sort(by_points.begin(), by_points.end(), by_score);
  std::sort(by_geometry.begin(), by_geometry.end(), by_score);
  std::vector<std::uint32_t> out;
  for (const auto* list : {&by_points, &by_geometry}) {
    for (const auto& [score, id] : *list) {
      if (int(out.size()) >= options.num_source_images) break;
      if (score > 0) out.push_back(id);
    }
  }
  return out;
}

}  // namespace muta::reconstruct
