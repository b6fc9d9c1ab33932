#include "reconstruct/restore/support.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <spdlog/spdlog.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <Eigen/Geometry>

#include "core/closest_point.h"
#include "core/error.h"
#include "core/ply_io.h"
#include "core/progress.h"

namespace muta::restore {
namespace {

std::uint32_t Find(std::vector<std::uint32_t>& parent, std::uint32_t x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

Json BoxJson(const Box3f& b) {
  return {{"min", Json::array({b.min.x(), b.min.y(), b.min.z()})},
          {"max", Json::array({b.max.x(), b.max.y(), b.max.z()})}};
}

}  // namespace

std::optional<FusedSupport> ReadFusedSupport(const std::filesystem::path& dense_dir) {
  const auto ply = dense_dir / "fused.ply", vis = dense_dir / "fused.ply.vis";
  if (!std::filesystem::is_regular_file(ply) || !std::filesystem::is_regular_file(vis)) {
    return std::nullopt;
  }
  FusedSupport s;
  s.points = ReadPlyPointCloud(ply).points;
  const auto visibility = ReadFusedVisibility(vis);
  MUTA_CHECK(visibility.size() == s.points.size())
      << vis.string() << ": visibility for " << visibility.size() << " points but " << ply.string()
      << " holds " << s.points.size() << "; the two were written by different runs – run the "
      << "fusion stage again (`muta reconstruct ... --from fusion`)";
  s.views.reserve(visibility.size());
  for (const auto& v : visibility) s.views.push_back(std::uint32_t(v.size()));
  return s;
}

void WeakSupportOptions::Check() const {
  MUTA_CHECK(min_views >= 1) << "WeakSupportOptions.min_views must be at least 1";
  MUTA_CHECK(!max_distance || (std::isfinite(*max_distance) && *max_distance > 0))
      << "WeakSupportOptions.max_distance must be positive";
  MUTA_CHECK(min_region_fraction >= 0 && min_region_fraction < 1)
      << "WeakSupportOptions.min_region_fraction must be in [0, 1)";
}

WeakSupport FindWeakRegions(const Mesh& mesh, const FusedSupport& support,
                            const WeakSupportOptions& options, Progress* progress) {
  options.Check();
  MUTA_CHECK(!support.points.empty() && support.views.size() == support.points.size())
      << "weak support: the fused cloud is empty or its visibility does not match it";
  const std::size_t nf = mesh.NumFaces();
  const PointIndex index(support.points);
  std::vector<double> distance(nf), area(nf);
  std::vector<std::uint32_t> views(nf);
  if (progress) progress->Begin("damage: fused support", nf, "faces");
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, nf, 4096),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      for (std::size_t f = r.begin(); f != r.end(); ++f) {
                        const auto& face = mesh.faces[f];
                        const Vec3f a = mesh.vertices[face[0]], b = mesh.vertices[face[1]],
                                    c = mesh.vertices[face[2]];
                        area[f] = 0.5 * double((b - a).cross(c - a).norm());
                        const NearestPoint n = index.Nearest(((a + b + c) / 3.0f).cast<double>());
                        distance[f] = n.distance;
                        views[f] = support.views[n.index];
                      }
                      if (progress) progress->Advance(r.size());
                    });
  if (progress) progress->End();

  WeakSupport weak;
  weak.known = true;
  weak.min_views = options.min_views;
  if (options.max_distance) {
    weak.max_distance = *options.max_distance;
  } else {
    std::vector<double> sorted = distance;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    weak.max_distance = std::max(4.0 * sorted[sorted.size() / 2], 1e-9);
  }
  auto unsupported = [&](std::size_t f) { return distance[f] > weak.max_distance; };
  auto is_weak = [&](std::size_t f) {
    return unsupported(f) || views[f] < std::uint32_t(options.min_views);
  };

  // Regions: weak faces sharing a vertex.
  std::vector<std::uint32_t> parent(mesh.NumVertices());
  std::iota(parent.begin(), parent.end(), 0u);
  const double total_area = std::accumulate(area.begin(), area.end(), 0.0);
  double weak_area = 0;
  for (std::size_t f = 0; f < nf; ++f) {
    if (!is_weak(f)) continue;
    weak_area += area[f];
    const auto& face = mesh.faces[f];
    const std::uint32_t r0 = Find(parent, face[0]);
    for (int k = 1; k < 3; ++k) {
      const std::uint32_t rk = Find(parent, face[k]);
      if (rk != r0) parent[rk] = r0;
    }
  }
  weak.weak_fraction = total_area > 0 ? weak_area / total_area : 0.0;
  struct Acc {
    WeakRegion region;
    double views_area = 0, unsupported_area = 0;
  };
  std::unordered_map<std::uint32_t, Acc> by_root;
  for (std::size_t f = 0; f < nf; ++f) {
    if (!is_weak(f)) continue;
    Acc& acc = by_root[Find(parent, mesh.faces[f][0])];
    ++acc.region.faces;
    acc.region.area += area[f];
    for (int k = 0; k < 3; ++k) acc.region.box.Extend(mesh.vertices[mesh.faces[f][k]]);
    if (unsupported(f)) {
      acc.unsupported_area += area[f];
    } else {
      acc.views_area += area[f] * views[f];
    }
  }
  for (auto& [root, acc] : by_root) {
    if (acc.region.area < options.min_region_fraction * total_area) continue;
    acc.region.mean_views = acc.views_area / acc.region.area;
    acc.region.unsupported_fraction = acc.unsupported_area / acc.region.area;
    weak.regions.push_back(acc.region);
  }
  std::sort(weak.regions.begin(), weak.regions.end(),
            [](const WeakRegion& a, const WeakRegion& b) { return a.area > b.area; });
  for (std::size_t i = 0; i < weak.regions.size(); ++i) weak.regions[i].id = int(i);
  spdlog::info(
      "damage: {:.1f} % of the surface weakly supported (fewer than {} views, or no fused point "
      "within {:.3g} m), {} regions",
      100 * weak.weak_fraction, options.min_views, weak.max_distance, weak.regions.size());
  return weak;
}

Json ToJson(const WeakSupport& weak) {
  if (!weak.known) return {{"known", false}};
  Json regions = Json::array();
  for (const auto& r : weak.regions) {
    regions.push_back({{"id", r.id},
                       {"faces", r.faces},
                       {"area_m2", r.area},
                       {"bounding_box", BoxJson(r.box)},
                       {"mean_views", r.mean_views},
                       {"unsupported_fraction", r.unsupported_fraction}});
  }
  return {{"known", true},
          {"min_views", weak.min_views},
          {"max_distance_m", weak.max_distance},
          {"weak_area_fraction", weak.weak_fraction},
          {"regions", regions}};
}

}  // namespace muta::restore
