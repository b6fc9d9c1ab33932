#include "core/icp.h"

#include <cmath>
#include <vector>

#include <tbb/parallel_for.h>

#include "core/closest_point.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/sampling.h"

namespace muta {

void IcpOptions::Check() const {
  MUTA_CHECK(max_distance > 0 && std::isfinite(max_distance))
      << "IcpOptions.max_distance must be positive, not " << max_distance;
  MUTA_CHECK(max_iterations >= 1) << "IcpOptions.max_iterations must be at least 1";
  MUTA_CHECK(max_points >= 3) << "IcpOptions.max_points must be at least 3";
}

IcpResult RefineAlignmentIcp(const TriangleBvh& target, std::span<const Vec3f> source,
                             const IcpOptions& options) {
  options.Check();
  // An even subsample of the source.
  std::vector<Eigen::Vector3d> points;
  const std::size_t step = std::max<std::size_t>(1, source.size() / options.max_points);
  for (std::size_t i = 0; i < source.size(); i += step) points.push_back(source[i].cast<double>());
  MUTA_CHECK(points.size() >= 3) << "ICP needs at least 3 points, got " << points.size();

  IcpResult result;
  std::vector<Eigen::Vector3d> moved(points.size()), closest(points.size());
  std::vector<double> dist(points.size());
  for (int it = 0; it < options.max_iterations; ++it) {
    tbb::parallel_for(std::size_t(0), points.size(), [&](std::size_t i) {
      moved[i] = result.transform * points[i];
      const ClosestPoint c = target.Closest(moved[i]);
      closest[i] = c.point;
      dist[i] = c.distance;
    });
    std::vector<Eigen::Vector3d> src, dst;
    double sum = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (!(dist[i] <= options.max_distance)) continue;
      src.push_back(moved[i]);
      dst.push_back(closest[i]);
      sum += dist[i] * dist[i];
    }
    MUTA_CHECK(src.size() >= 3) << "ICP: only " << src.size() << " points are within "
                                << options.max_distance
                                << " of the target surface; the initial alignment is too far off";
    const double rms = std::sqrt(sum / double(src.size()));
    if (it == 0) result.rms_before = rms;
    result.rms_after = rms;
    result.pairs = src.size();
    result.iterations = it + 1;
    Sim3d delta = EstimateSimilarity(src, dst);
    if (!options.estimate_scale) {
      delta.scale = 1.0;
      // Re-fit the translation for the rigid case: centroids must coincide.
      Eigen::Vector3d cs = Eigen::Vector3d::Zero(), cd = Eigen::Vector3d::Zero();
      for (std::size_t i = 0; i < src.size(); ++i) {
        cs += src[i];
        cd += dst[i];
      }
      cs /= double(src.size());
      cd /= double(src.size());
      delta.translation = cd - delta.rotation * cs;
    }
    // How far did the points move?
    double change = 0;
    for (const auto& p : src) change = std::max(change, (delta * p - p).norm());
    Sim3d next;
    next.scale = delta.scale * result.transform.scale;
    next.rotation = (delta.rotation * result.transform.rotation).normalized();
    next.translation =
        delta.scale * (delta.rotation * result.transform.translation) + delta.translation;
    result.transform = next;
    if (change < options.min_change * options.max_distance) break;
  }
  return result;
}

std::size_t CropToGroundTruthBox(const Mesh& gt, double tau, Mesh& reconstruction) {
  MUTA_CHECK(!gt.vertices.empty()) << "cannot crop to an empty ground truth";
  Eigen::Vector3f lo = gt.vertices.front(), hi = lo;
  for (const Vec3f& v : gt.vertices) {
    lo = lo.cwiseMin(v);
    hi = hi.cwiseMax(v);
  }
  const float floor_z = lo.z() + float(tau);
  lo.array() -= float(2 * tau);
  hi.array() += float(2 * tau);
  lo.z() = floor_z;
  auto inside = [&](const Vec3f& v) {
    return (v.array() >= lo.array()).all() && (v.array() <= hi.array()).all();
  };
  Mesh& m = reconstruction;
  if (m.faces.empty()) {
    std::vector<Vec3f> points;
    for (const Vec3f& v : m.vertices) {
      if (inside(v)) points.push_back(v);
    }
    m = Mesh();
    m.vertices = std::move(points);
    return m.vertices.size();
  }
  std::vector<Face> kept;
  for (const Face& f : m.faces) {
    if (inside(m.vertices[f[0]]) && inside(m.vertices[f[1]]) && inside(m.vertices[f[2]])) {
      kept.push_back(f);
    }
  }
  m.faces = std::move(kept);
  m.provenance.clear();
  m.confidence.clear();
  m.part_ids.clear();
  m.face_extra.clear();
  return m.faces.size();
}

IcpResult RefineOntoGroundTruth(const Mesh& gt, double tau, Mesh& reconstruction,
                                std::uint64_t seed) {
  const TriangleBvh bvh(gt);
  std::vector<Vec3f> points = reconstruction.faces.empty()
                                  ? reconstruction.vertices
                                  : SampleSurface(reconstruction, 100'000, seed);
  IcpResult total;
  bool first = true;
  for (double factor : {8.0, 3.0}) {
    IcpOptions icp;
    icp.max_distance = factor * tau;
    const IcpResult r = RefineAlignmentIcp(bvh, points, icp);
    for (Vec3f& v : points) v = (r.transform * v.cast<double>()).cast<float>();
    for (Vec3f& v : reconstruction.vertices) v = (r.transform * v.cast<double>()).cast<float>();
    if (first) total.rms_before = r.rms_before;
    first = false;
    total.rms_after = r.rms_after;
    total.pairs = r.pairs;
    total.iterations += r.iterations;
    Sim3d next;
    next.scale = r.transform.scale * total.transform.scale;
    next.rotation = (r.transform.rotation * total.transform.rotation).normalized();
    next.translation = r.transform.scale * (r.transform.rotation * total.transform.translation) +
                       r.transform.translation;
    total.transform = next;
  }
  return total;
}

}  // namespace muta
