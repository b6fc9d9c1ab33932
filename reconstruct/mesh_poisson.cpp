// Screened Poisson meshing with region of interest, automatic depth, density and distance
// trimming and component clean-up (see mesh_poisson.h). The only file of Muta that includes
// Open3D's geometry headers.

#include "reconstruct/mesh_poisson.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include <open3d/geometry/KDTreeFlann.h>
#include <open3d/geometry/PointCloud.h>
#include <open3d/geometry/TriangleMesh.h>
#include <open3d/utility/Logging.h>
#include <spdlog/spdlog.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/mesh.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "reconstruct/mesh_roi.h"

namespace muta::reconstruct {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMinPoints = 100;
constexpr int kMinDepth = 5;
/// Points sampled for the median nearest-neighbour spacing.
constexpr std::size_t kSpacingSamples = 20000;

using Clock = std::chrono::steady_clock;
double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Muta's cloud -> Open3D's, dropping points without a usable normal.
open3d::geometry::PointCloud ToOpen3D(const PointCloud& cloud) {
  open3d::geometry::PointCloud pcd;
  pcd.points_.reserve(cloud.size());
  pcd.normals_.reserve(cloud.size());
  if (cloud.HasColors()) pcd.colors_.reserve(cloud.size());
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    const Vec3f& n = cloud.normals[i];
    const float len = n.norm();
    if (!std::isfinite(len) || len < 1e-6f || !cloud.points[i].allFinite()) continue;
    pcd.points_.push_back(cloud.points[i].cast<double>());
    pcd.normals_.push_back((n / len).cast<double>());
    if (cloud.HasColors()) pcd.colors_.push_back(cloud.colors[i].cast<double>() / 255.0);
  }
  return pcd;
}

/// Keeps the points inside `roi`; returns false (and keeps all) when fewer than kMinPoints would
/// remain.
bool CropToSphere(open3d::geometry::PointCloud& pcd, const RegionOfInterest& roi) {
  std::vector<std::size_t> inside;
  const double r2 = roi.radius * roi.radius;
  for (std::size_t i = 0; i < pcd.points_.size(); ++i) {
    if ((pcd.points_[i] - roi.center).squaredNorm() <= r2) inside.push_back(i);
  }
  if (inside.size() < kMinPoints) return false;
  if (inside.size() < pcd.points_.size()) pcd = *pcd.SelectByIndex(inside);
  return true;
}

/// Median distance from a point to its nearest neighbour, over an even sample of the points.
double MedianSpacing(const open3d::geometry::PointCloud& pcd,
                     const open3d::geometry::KDTreeFlann& tree) {
  const std::size_t n = pcd.points_.size();
  const std::size_t step = std::max<std::size_t>(1, n / kSpacingSamples);
  std::vector<double> d((n + step - 1) / step, 0.0);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, d.size()), [&](const auto& range) {
    std::vector<int> idx;
    std::vector<double> dist2;
    for (std::size_t k = range.begin(); k < range.end(); ++k) {
      if (tree.SearchKNN(pcd.points_[k * step], 2, idx, dist2) == 2) d[k] = std::sqrt(dist2[1]);
    }
  });
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  return d[d.size() / 2];
}

/// Removes the mesh vertices farther than `max_distance` from every point; returns how many.
std::size_t TrimFarVertices(open3d::geometry::TriangleMesh& mesh,
                            const open3d::geometry::KDTreeFlann& tree, double max_distance) {
  const std::size_t n = mesh.vertices_.size();
  std::vector<char> far(n, 0);
  const double max2 = max_distance * max_distance;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n), [&](const auto& range) {
    std::vector<int> idx;
    std::vector<double> dist2;
    for (std::size_t v = range.begin(); v < range.end(); ++v) {
      far[v] = tree.SearchKNN(mesh.vertices_[v], 1, idx, dist2) < 1 || dist2[0] > max2;
    }
  });
  const std::vector<bool> remove(far.begin(), far.end());
  const auto count = static_cast<std::size_t>(std::count(far.begin(), far.end(), 1));
  if (count > 0) mesh.RemoveVerticesByMask(remove);
  return count;
}

Mesh FromOpen3D(const open3d::geometry::TriangleMesh& o3d) {
  Mesh mesh;
  mesh.vertices.reserve(o3d.vertices_.size());
  for (const Eigen::Vector3d& v : o3d.vertices_) mesh.vertices.push_back(v.cast<float>());
  if (o3d.HasVertexColors()) {
    mesh.colors.reserve(o3d.vertex_colors_.size());
    for (const Eigen::Vector3d& c : o3d.vertex_colors_) {
      const Eigen::Vector3d s = (c * 255.0).array().round().max(0.0).min(255.0);
      mesh.colors.push_back(s.cast<std::uint8_t>());
    }
  }
  mesh.faces.reserve(o3d.triangles_.size());
  for (const Eigen::Vector3i& t : o3d.triangles_) mesh.faces.push_back(t.cast<std::uint32_t>());
  mesh.ComputeVertexNormals();
  return mesh;
}

}  // namespace

void MeshingOptions::Check() const {
  MUTA_CHECK(depth >= kMinDepth && depth <= 13)
      << "meshing option depth must be in 5..13, not " << depth;
  MUTA_CHECK(cell_spacing_ratio > 0)
      << "meshing option cell_spacing_ratio must be > 0, not " << cell_spacing_ratio;
  MUTA_CHECK(roi_radius_factor > 0)
      << "meshing option roi_radius_factor must be > 0, not " << roi_radius_factor;
  MUTA_CHECK(max_distance_cells == 0 || max_distance_cells >= 0.5)
      << "meshing option max_distance_cells must be 0 (off) or at least 0.5, not "
      << max_distance_cells;
  MUTA_CHECK(scale >= 1.0 && scale <= 4.0)
      << "meshing option scale must be in [1, 4], not " << scale;
  MUTA_CHECK(density_quantile >= 0 && density_quantile < 1)
      << "meshing option density_quantile must be in [0, 1), not " << density_quantile;
  MUTA_CHECK(min_component_fraction >= 0 && min_component_fraction <= 1)
      << "meshing option min_component_fraction must be in [0, 1], not " << min_component_fraction;
  MUTA_CHECK(method == "poisson" || method == "delaunay")
      << "meshing method must be poisson or delaunay, not \"" << method << "\"";
  MUTA_CHECK(graph_cut_sigma > 0 && graph_cut_behind > 0 && graph_cut_area_weight >= 0 &&
             (graph_cut_max_edge == 0 || graph_cut_max_edge >= 2))
      << "meshing options graph_cut_sigma and graph_cut_behind must be > 0, "
      << "graph_cut_area_weight >= 0 and graph_cut_max_edge 0 (off) or >= 2";
  MUTA_CHECK(!threads || *threads >= 1)
      << "meshing option threads must be at least 1 (or unset for all cores), not " << *threads;
}

MeshingOptions MeshingPreset(std::string_view quality) {
  MeshingOptions o;
  if (quality == "preview") {
    o.depth = 9;
  } else if (quality == "standard") {
    o.depth = 10;
  } else if (quality == "high") {
    o.depth = 11;
  } else {
    MUTA_FAIL << "unknown quality \"" << quality << "\": use preview, standard or high";
  }
  return o;
}

Json MeshFromPoints(const fs::path& fused_ply, const fs::path& mesh_ply,
                    const MeshingOptions& options, Progress& progress) {
  options.Check();
  const auto start = Clock::now();
  progress.Begin("mesh", 5, "steps");
  open3d::geometry::PointCloud pcd;
  std::size_t points_read = 0;
  {
    const PointCloud cloud = ReadPlyPointCloud(fused_ply);
    MUTA_CHECK(cloud.HasNormals())
        << fused_ply.string() << ": the point cloud has no normals (nx ny nz); Poisson meshing "
        << "needs oriented points – run the fusion stage again";
    pcd = ToOpen3D(cloud);
    MUTA_CHECK(pcd.points_.size() >= kMinPoints)
        << fused_ply.string() << ": only " << pcd.points_.size() << " of " << cloud.size()
        << " points have a usable normal; meshing needs at least " << kMinPoints
        << " – check the fusion figures (too few consistent views?)";
    points_read = pcd.points_.size();
  }

  // Region of interest from the cameras.
  Json roi_json = nullptr;
  if (options.crop_to_roi) {
    const fs::path sparse = options.sparse_model.value_or(fused_ply.parent_path() / "sparse");
    std::optional<SparseModel> model;
    if (options.sparse_model) {
      model = ReadSparseModel(sparse);  // named explicitly: must be readable
    } else if (fs::is_directory(sparse)) {
      try {
        model = ReadSparseModel(sparse);
      } catch (const Error& e) {
        spdlog::warn("mesh: no region of interest ({}); meshing all points", e.what());
      }
    }
    if (model) {
      const std::optional<RegionOfInterest> roi =
          EstimateRegionOfInterest(*model, options.roi_radius_factor);
      if (!roi) {
        spdlog::info("mesh: the cameras of {} do not converge on a region; meshing all points",
                     sparse.string());
      } else if (!CropToSphere(pcd, *roi)) {
        spdlog::warn(
            "mesh: fewer than {} points lie in the region of interest (centre {} {} {}, "
            "radius {}); meshing all points",
            kMinPoints, roi->center.x(), roi->center.y(), roi->center.z(), roi->radius);
      } else {
        roi_json = RoiJson(roi);
      }
    }
  }
  const std::size_t num_points = pcd.points_.size();
  progress.Advance();
  CheckInterrupted();

  // Depth from the spacing of the points and the extent of what is meshed.
  open3d::geometry::KDTreeFlann tree(pcd);
  const double spacing = MedianSpacing(pcd, tree);
  const double cube = options.scale * (pcd.GetMaxBound() - pcd.GetMinBound()).maxCoeff();
  int depth = options.depth;
  if (options.auto_depth && spacing > 0 && cube > 0) {
    const double cells = cube / (options.cell_spacing_ratio * spacing);
    depth = std::clamp(static_cast<int>(std::ceil(std::log2(cells))), kMinDepth, options.depth);
  }
  const double cell = cube / double(1 << depth);
  progress.Advance();
  CheckInterrupted();

  // Poisson: Open3D logs every step at debug level (and prints its solver's cycles): silence.
  const auto poisson_start = Clock::now();
  open3d::utility::VerbosityContextManager quiet(open3d::utility::VerbosityLevel::Warning);
  quiet.Enter();
  auto [o3d, densities] = open3d::geometry::TriangleMesh::CreateFromPointCloudPoisson(
      pcd, static_cast<std::size_t>(depth), 0.0f, static_cast<float>(options.scale),
      options.linear_fit, options.threads.value_or(-1));
  quiet.Exit();
  const double poisson_seconds = SecondsSince(poisson_start);
  MUTA_CHECK(o3d && !o3d->triangles_.empty() && densities.size() == o3d->vertices_.size())
      << fused_ply.string() << ": Poisson reconstruction produced no surface from " << num_points
      << " points; check that the points' normals face outwards";
  const std::size_t poisson_vertices = o3d->vertices_.size();
  const std::size_t poisson_faces = o3d->triangles_.size();
  progress.Advance();
  CheckInterrupted();

  // Density trimming: drop the least supported vertices (and their triangles).
  double threshold = 0;
  std::size_t trimmed = 0;
  if (options.density_quantile > 0) {
    std::vector<double> sorted = densities;
    const auto k = static_cast<std::size_t>(options.density_quantile * double(sorted.size()));
    std::nth_element(sorted.begin(), sorted.begin() + k, sorted.end());
    threshold = sorted[k];
    std::vector<bool> remove(densities.size());
    for (std::size_t i = 0; i < densities.size(); ++i) {
      remove[i] = densities[i] < threshold;
      trimmed += remove[i];
    }
    o3d->RemoveVerticesByMask(remove);
  }
  // Distance trimming: drop vertices far from every point.
  const double max_distance = options.max_distance_cells * std::max(cell, spacing);
  std::size_t far_vertices = 0;
  if (options.max_distance_cells > 0) far_vertices = TrimFarVertices(*o3d, tree, max_distance);
  pcd = open3d::geometry::PointCloud();  // free the points
  progress.Advance();

  // Small connected pieces.
  std::size_t removed_components = 0, removed_faces = 0, components = 0;
  if (options.min_component_fraction > 0 && !o3d->triangles_.empty()) {
    const auto [cluster_of, cluster_faces, cluster_area] = o3d->ClusterConnectedTriangles();
    components = cluster_faces.size();
    const std::size_t largest = *std::max_element(cluster_faces.begin(), cluster_faces.end());
    const double min_faces = options.min_component_fraction * double(largest);
    std::vector<bool> small(cluster_faces.size());
    for (std::size_t c = 0; c < cluster_faces.size(); ++c) {
      small[c] = double(cluster_faces[c]) < min_faces;
      removed_components += small[c];
      if (small[c]) removed_faces += cluster_faces[c];
    }
    if (removed_components > 0) {
      std::vector<bool> remove(cluster_of.size());
      for (std::size_t t = 0; t < cluster_of.size(); ++t) remove[t] = small[cluster_of[t]];
      o3d->RemoveTrianglesByMask(remove);
      o3d->RemoveUnreferencedVertices();
    }
  }
  const Mesh mesh = FromOpen3D(*o3d);
  o3d.reset();
  MUTA_CHECK(mesh.NumFaces() > 0)
      << fused_ply.string() << ": nothing is left of the Poisson surface after trimming (density "
      << "quantile " << options.density_quantile << ", max_distance_cells "
      << options.max_distance_cells << "); lower them";
  WritePly(mesh_ply, mesh);
  progress.Advance();
  progress.End();

  const double seconds = SecondsSince(start);
  spdlog::info(
      "mesh: {} vertices, {} faces from {} of {} points (Poisson depth {}, cells {:.3g}, point "
      "spacing {:.3g}) in {:.1f} s",
      mesh.NumVertices(), mesh.NumFaces(), num_points, points_read, depth, cell, spacing, seconds);
  return Json{{"points", points_read},
              {"meshed_points", num_points},
              {"roi", roi_json},
              {"point_spacing", spacing},
              {"depth", depth},
              {"cell_size", cell},
              {"vertices", mesh.NumVertices()},
              {"faces", mesh.NumFaces()},
              {"poisson_vertices", poisson_vertices},
              {"poisson_faces", poisson_faces},
              {"trimmed_vertices", trimmed},
              {"density_threshold", threshold},
              {"max_distance", max_distance},
              {"far_vertices", far_vertices},
              {"components", components},
              {"removed_components", removed_components},
              {"removed_component_faces", removed_faces},
              {"poisson_seconds", poisson_seconds},
              {"seconds", seconds},
              {"output", mesh_ply.string()}};
}

}  // namespace muta::reconstruct
