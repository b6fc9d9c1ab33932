// Visibility graph-cut meshing over a Delaunay tetrahedralisation (see mesh_delaunay.h). The only
// file of Muta that includes CGAL and Boost.Graph.

#include "reconstruct/mesh_delaunay.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

#include <unistd.h>

#include <CGAL/Delaunay_triangulation_3.h>
#include <CGAL/Delaunay_triangulation_cell_base_3.h>
#include <CGAL/Exact_predicates_inexact_constructions_kernel.h>
#include <CGAL/Triangulation_cell_base_with_info_3.h>
#include <CGAL/Triangulation_vertex_base_with_info_3.h>
#include <Eigen/Geometry>
// Boost.Graph's max-flow trips GCC's -Wmaybe-uninitialized inside its own headers (its edge
// iterators' optional members) when inlined here: silenced for those headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/boykov_kolmogorov_max_flow.hpp>
#pragma GCC diagnostic pop
#include <spdlog/spdlog.h>
#include <tbb/blocked_range.h>
#include <tbb/combinable.h>
#include <tbb/parallel_for.h>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/mesh.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "reconstruct/fusion.h"
#include "reconstruct/mesh_roi.h"

namespace muta::reconstruct {
namespace {

namespace fs = std::filesystem;

using K = CGAL::Exact_predicates_inexact_constructions_kernel;
using Vb = CGAL::Triangulation_vertex_base_with_info_3<std::uint32_t, K>;
using Cb = CGAL::Triangulation_cell_base_with_info_3<std::uint32_t, K,
                                                     CGAL::Delaunay_triangulation_cell_base_3<K>>;
using Tds = CGAL::Triangulation_data_structure_3<Vb, Cb>;
using Delaunay = CGAL::Delaunay_triangulation_3<K, Tds>;
using CgalPoint = K::Point_3;

constexpr std::size_t kMinPoints = 100;
constexpr std::uint32_t kNoVertex = std::numeric_limits<std::uint32_t>::max();
/// Vertex info of the bounding corners (not points).
constexpr std::uint32_t kCorner = std::numeric_limits<std::uint32_t>::max();
/// Weight of one line of sight.
constexpr float kRayWeight = 1.0f;
/// Tie of the cells outside the convex hull to the outside (they are outside by definition).
constexpr float kHullWeight = 1e6f;
/// Peak memory per point meshed (tetrahedra, weights, max-flow graph), and the share of the
/// machine's memory the mesher may plan to use.
constexpr double kBytesPerPoint = 4600;
constexpr double kMaxMemoryFraction = 0.8;
/// Tie of a cell no line of sight crossed to the inside, in lines of sight.
constexpr float kUnseenInsideWeight = 0.5f;

using Clock = std::chrono::steady_clock;
double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Eigen::Vector3d ToEigen(const CgalPoint& p) {
  return {p.x(), p.y(), p.z()};
}
CgalPoint ToCgal(const Eigen::Vector3d& p) {
  return {p.x(), p.y(), p.z()};
}

/// Weights of the s-t graph: per cell, its tie to the outside (source) and the inside (sink), and
/// per facet (cell, 0..3) the cost of cutting it with the cell outside and its neighbour inside.
/// `crossed`: a line of sight passed through the cell on its way to its point: the cell is (at
/// least partly) observed empty space.
struct CutWeights {
  std::vector<float> outside, inside, facet;
  std::vector<std::uint8_t> crossed;
  explicit CutWeights(std::size_t cells)
      : outside(cells), inside(cells), facet(4 * cells), crossed(cells) {}
  void Add(const CutWeights& o) {
    for (std::size_t i = 0; i < crossed.size(); ++i) crossed[i] |= o.crossed[i];
    for (std::size_t i = 0; i < outside.size(); ++i) outside[i] += o.outside[i];
    for (std::size_t i = 0; i < inside.size(); ++i) inside[i] += o.inside[i];
    for (std::size_t i = 0; i < facet.size(); ++i) facet[i] += o.facet[i];
  }
};

/// Median distance of a vertex to its nearest neighbour (its shortest incident edge).
double MedianSpacing(const Delaunay& dt) {
  std::vector<double> nearest;
  nearest.reserve(dt.number_of_vertices());
  std::vector<Delaunay::Vertex_handle> adjacent;
  std::size_t k = 0;
  const std::size_t stride = std::max<std::size_t>(1, dt.number_of_vertices() / 20000);
  for (auto v = dt.finite_vertices_begin(); v != dt.finite_vertices_end(); ++v, ++k) {
    if (k % stride != 0 || v->info() == kCorner) continue;
    adjacent.clear();
    dt.finite_adjacent_vertices(v, std::back_inserter(adjacent));
    double best = std::numeric_limits<double>::infinity();
    for (const auto& a : adjacent)
      best = std::min(best, CGAL::squared_distance(v->point(), a->point()));
    if (std::isfinite(best)) nearest.push_back(std::sqrt(best));
  }
  if (nearest.empty()) return 0;
  std::nth_element(nearest.begin(), nearest.begin() + nearest.size() / 2, nearest.end());
  return nearest[nearest.size() / 2];
}

/// Adds the weights of one line of sight, from camera centre `camera` to the vertex `v`.
/// Facets crossed get kRayWeight x (1 - exp(-d^2 / 2 sigma^2)), d the distance left to the point,
/// so the surface may pass through the point's own noise; the cell the ray enters first is tied
/// to the outside, the one `behind` past the point to the inside.
void AddLineOfSight(const Delaunay& dt, const Eigen::Vector3d& camera, Delaunay::Vertex_handle v,
                    double sigma, double behind, CutWeights& w) {
  const Eigen::Vector3d point = ToEigen(v->point());
  const Eigen::Vector3d ray = point - camera;
  const double length = ray.norm();
  if (!(length > 0)) return;
  const Eigen::Vector3d dir = ray / length;
  const double inv_two_sigma2 = 1.0 / (2 * sigma * sigma);
  auto it = dt.segment_traverser_cells_begin(ToCgal(camera), v->point(), v->cell());
  const auto end = dt.segment_traverser_cells_end();
  Delaunay::Cell_handle previous;
  for (; it != end; ++it) {
    const Delaunay::Cell_handle cell = it;
    int li = 0;
    if (previous == Delaunay::Cell_handle()) {
      w.outside[cell->info()] += kRayWeight;
    } else if (previous->has_neighbor(cell, li)) {
      // Distance left to the point from where the ray crosses the facet (the facet's
      // centroid's projection on the ray: the crossing is within the facet).
      Eigen::Vector3d centroid = Eigen::Vector3d::Zero();
      for (int k = 0; k < 4; ++k)
        if (k != li) centroid += ToEigen(previous->vertex(k)->point());
      centroid /= 3.0;
      const double left = length - (centroid - camera).dot(dir);
      const float weight = kRayWeight * float(1.0 - std::exp(-left * left * inv_two_sigma2));
      w.facet[4 * std::size_t(previous->info()) + li] += weight;
      w.crossed[previous->info()] = 1;
    }  // else the ray passed through an edge or a vertex: no facet crossed
    previous = cell;
  }
  const Delaunay::Cell_handle back = dt.locate(ToCgal(point + behind * dir), v->cell());
  if (!dt.is_infinite(back)) w.inside[back->info()] += kRayWeight;
}

/// Removes the connected pieces (vertex-connected) with fewer faces than `fraction` x the
/// largest, and the vertices no face uses. Returns {pieces before, pieces removed}.
std::pair<std::size_t, std::size_t> RemoveSmallComponents(Mesh& mesh, double fraction) {
  std::vector<std::uint32_t> parent(mesh.NumVertices());
  std::iota(parent.begin(), parent.end(), 0u);
  auto find = [&](std::uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const Face& f : mesh.faces)
    for (int k = 1; k < 3; ++k) parent[find(f[k])] = find(f[0]);
  std::vector<std::size_t> faces_of(mesh.NumVertices());
  for (const Face& f : mesh.faces) ++faces_of[find(f[0])];
  std::size_t pieces = 0, largest = 0;
  for (std::uint32_t v = 0; v < parent.size(); ++v)
    if (faces_of[v] > 0) ++pieces, largest = std::max(largest, faces_of[v]);
  const double min_faces = fraction * double(largest);
  std::size_t removed = 0;
  for (std::uint32_t v = 0; v < parent.size(); ++v)
    if (faces_of[v] > 0 && double(faces_of[v]) < min_faces) ++removed;
  if (removed == 0) return {pieces, 0};
  std::vector<Face> kept;
  for (const Face& f : mesh.faces)
    if (double(faces_of[find(f[0])]) >= min_faces) kept.push_back(f);
  // Compact the vertices.
  std::vector<std::uint32_t> remap(mesh.NumVertices(), kNoVertex);
  Mesh out;
  for (Face& f : kept)
    for (int k = 0; k < 3; ++k) {
      std::uint32_t& m = remap[f[k]];
      if (m == kNoVertex) {
        m = std::uint32_t(out.vertices.size());
        out.vertices.push_back(mesh.vertices[f[k]]);
        out.colors.push_back(mesh.colors[f[k]]);
      }
      f[k] = m;
    }
  out.faces = std::move(kept);
  mesh = std::move(out);
  return {pieces, removed};
}

}  // namespace

Json MeshFromPointsDelaunay(const fs::path& fused_ply, const fs::path& mesh_ply,
                            const MeshingOptions& options, Progress& progress) {
  options.Check();
  const auto start = Clock::now();
  progress.Begin("mesh", 5, "steps");
  const fs::path vis_path = fs::path(fused_ply.string() + ".vis");
  PointCloud cloud = ReadPlyPointCloud(fused_ply);
  const std::size_t points_read = cloud.size();
  MUTA_CHECK(cloud.HasColors()) << fused_ply.string()
                                << ": the point cloud has no colours; run the fusion stage again";
  MUTA_CHECK(fs::exists(vis_path))
      << vis_path.string() << ": missing – the graph-cut mesher needs the points' visibility, "
      << "which the fusion stage writes beside fused.ply; run the fusion stage again";
  std::vector<std::vector<std::uint32_t>> vis = ReadFusedVisibility(vis_path);
  MUTA_CHECK(vis.size() == cloud.size())
      << vis_path.string() << ": " << vis.size() << " visibility lists for " << cloud.size()
      << " points in " << fused_ply.string() << "; run the fusion stage again";

  const fs::path sparse = options.sparse_model.value_or(fused_ply.parent_path() / "sparse");
  MUTA_CHECK(fs::is_directory(sparse))
      << sparse.string() << ": missing – the graph-cut mesher needs the cameras of the dense "
      << "workspace (the sparse model beside fused.ply); run the undistort stage again";
  const SparseModel model = ReadSparseModel(sparse);
  std::vector<Eigen::Vector3d> centers;
  for (const std::uint32_t id : ImageIdsInFileOrder(sparse, model))
    centers.push_back(CameraCenter(model.images.at(id).cam_from_world));

  // Points in the region of interest with a valid visibility list.
  std::optional<RegionOfInterest> roi;
  if (options.crop_to_roi) {
    roi = EstimateRegionOfInterest(model, options.roi_radius_factor);
    std::size_t inside_roi = 0;
    for (std::size_t i = 0; roi && i < cloud.size(); ++i)
      inside_roi += (cloud.points[i].cast<double>() - roi->center).norm() <= roi->radius;
    if (!roi) {
      spdlog::info("mesh: the cameras of {} do not converge on a region; meshing all points",
                   sparse.string());
    } else if (inside_roi < kMinPoints) {
      spdlog::warn("mesh: fewer than {} points lie in the region of interest; meshing all points",
                   kMinPoints);
      roi.reset();
    }
  }
  std::vector<std::pair<CgalPoint, std::uint32_t>> input;
  input.reserve(cloud.size());
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    const Eigen::Vector3d p = cloud.points[i].cast<double>();
    if (!p.allFinite() || vis[i].empty()) continue;
    if (roi && (p - roi->center).norm() > roi->radius) continue;
    bool ok = true;
    for (const std::uint32_t view : vis[i]) ok = ok && view < centers.size();
    MUTA_CHECK(ok) << vis_path.string() << ": point " << i << " names an image index beyond the "
                   << centers.size() << " images of " << sparse.string()
                   << "; run the fusion stage again";
    input.emplace_back(ToCgal(p), std::uint32_t(i));
  }
  // Memory: the tetrahedralisation, the weights and above all the max-flow graph take about
  // kBytesPerPoint per point meshed (measured: 9.1 GB for 2.0 M points). Refuse up front rather
  // than be killed half-way.
  const double need_gb = double(input.size()) * kBytesPerPoint / 1e9;
  const double have_gb = double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGESIZE)) / 1e9;
  MUTA_CHECK(have_gb <= 0 || need_gb <= kMaxMemoryFraction * have_gb)
      << fused_ply.string() << ": " << input.size() << " points to mesh; the graph-cut mesher "
      << "would need about " << std::lround(need_gb) << " GB of memory and this machine has "
      << std::lround(have_gb) << " GB: use --mesher poisson, or fewer points (--quality preview "
      << "or --dense-max-size)";
  MUTA_CHECK(input.size() >= kMinPoints)
      << fused_ply.string() << ": only " << input.size() << " points to mesh; meshing needs at "
      << "least " << kMinPoints << " – check the fusion figures";
  const std::size_t num_points = input.size();
  progress.Advance();
  CheckInterrupted();

  // Tetrahedralisation (duplicate points collapse into one vertex: its first point's index).
  const auto dt_start = Clock::now();
  Eigen::AlignedBox3d box;
  for (const auto& [p, i] : input) box.extend(ToEigen(p));
  Delaunay dt(input.begin(), input.end());
  input = {};
  // The corners of the points' box, enlarged by a tenth of its diagonal: the space behind a
  // surface on the points' convex hull (a wall seen from one side only) is then made of cells
  // that can be inside; the cells beyond the corners stay outside. The corners are no surface
  // vertex: facets touching them are never output.
  const Eigen::Vector3d margin = Eigen::Vector3d::Constant(0.1 * box.diagonal().norm());
  for (int k = 0; k < 8; ++k) {
    const Eigen::Vector3d corner = box.corner(Eigen::AlignedBox3d::CornerType(k));
    const Eigen::Vector3d sign((k & 1) ? 1 : -1, (k & 2) ? 1 : -1, (k & 4) ? 1 : -1);
    dt.insert(ToCgal(corner + sign.cwiseProduct(margin)))->info() = kCorner;
  }
  std::uint32_t cells = 0;
  for (auto c = dt.all_cells_begin(); c != dt.all_cells_end(); ++c) c->info() = cells++;
  const double spacing = MedianSpacing(dt);
  MUTA_CHECK(spacing > 0) << fused_ply.string() << ": the points have no spacing to mesh at";
  const double dt_seconds = SecondsSince(dt_start);
  progress.Advance();
  CheckInterrupted();

  // Lines of sight.
  const auto rays_start = Clock::now();
  const double sigma = options.graph_cut_sigma * spacing;
  const double behind = options.graph_cut_behind * spacing;
  std::vector<Delaunay::Vertex_handle> vertices;
  vertices.reserve(dt.number_of_vertices());
  for (auto v = dt.finite_vertices_begin(); v != dt.finite_vertices_end(); ++v)
    if (v->info() != kCorner) vertices.push_back(v);
  tbb::combinable<CutWeights> partial([cells] { return CutWeights(cells); });
  std::atomic<std::size_t> rays{0};
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, vertices.size(), 4096),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      CheckInterrupted();
                      CutWeights& w = partial.local();
                      std::size_t n = 0;
                      for (std::size_t k = range.begin(); k < range.end(); ++k) {
                        const Delaunay::Vertex_handle v = vertices[k];
                        for (const std::uint32_t view : vis[v->info()]) {
                          AddLineOfSight(dt, centers[view], v, sigma, behind, w);
                          ++n;
                        }
                      }
                      rays += n;
                    });
  CutWeights weights(cells);
  partial.combine_each([&](const CutWeights& w) { weights.Add(w); });
  partial.clear();
  vis = {};
  const double rays_seconds = SecondsSince(rays_start);
  progress.Advance();
  CheckInterrupted();

  // Minimum cut: source = outside, sink = inside.
  const auto cut_start = Clock::now();
  using Traits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
  using Graph = boost::adjacency_list<
      boost::vecS, boost::vecS, boost::directedS, boost::no_property,
      boost::property<
          boost::edge_capacity_t, float,
          boost::property<boost::edge_residual_capacity_t, float,
                          boost::property<boost::edge_reverse_t, Traits::edge_descriptor>>>>;
  Graph graph(cells + 2);
  const std::size_t source = cells, sink = cells + 1;
  auto capacity = boost::get(boost::edge_capacity, graph);
  auto reverse = boost::get(boost::edge_reverse, graph);
  auto add_pair = [&](std::size_t a, std::size_t b, float ab, float ba) {
    const auto e = boost::add_edge(a, b, graph).first;
    const auto r = boost::add_edge(b, a, graph).first;
    capacity[e] = ab;
    capacity[r] = ba;
    reverse[e] = r;
    reverse[r] = e;
  };
  const float lambda = float(options.graph_cut_area_weight);
  for (auto c = dt.all_cells_begin(); c != dt.all_cells_end(); ++c) {
    const std::uint32_t id = c->info();
    const float out = dt.is_infinite(c) ? kHullWeight : weights.outside[id];
    // A cell no line of sight crossed leans inside: nobody saw through it (the inside of a
    // solid, far from the tied cells just behind its surface).
    const float in = weights.inside[id] +
                     (dt.is_infinite(c) || weights.crossed[id] ? 0.0f : kUnseenInsideWeight);
    if (out > 0 || in > 0) {
      add_pair(source, id, out, 0);
      add_pair(id, sink, in, 0);
    }
    for (int i = 0; i < 4; ++i) {
      const Delaunay::Cell_handle n = c->neighbor(i);
      if (n->info() < id) continue;  // each facet once
      const int j = n->index(c);
      add_pair(id, n->info(), weights.facet[4 * std::size_t(id) + i] + lambda,
               weights.facet[4 * std::size_t(n->info()) + j] + lambda);
    }
  }
  weights = CutWeights(0);
  std::vector<boost::default_color_type> color(cells + 2);
  const auto index = boost::get(boost::vertex_index, graph);
  const double flow = boost::boykov_kolmogorov_max_flow(
      graph, capacity, boost::get(boost::edge_residual_capacity, graph), reverse,
      boost::make_iterator_property_map(color.begin(), index), index, source, sink);
  std::vector<bool> inside(cells);
  for (std::uint32_t c = 0; c < cells; ++c)
    inside[c] = color[c] != boost::black_color;  // black: the source's (outside) tree
  {
    std::size_t nb = 0, nw = 0, ng = 0;
    for (std::uint32_t c = 0; c < cells; ++c)
      (color[c] == boost::black_color ? nb : color[c] == boost::white_color ? nw : ng)++;
    spdlog::debug("mesh: cut: flow {}, outside tree {}, inside tree {}, free {}", flow, nb, nw, ng);
  }
  graph = Graph();
  const double cut_seconds = SecondsSince(cut_start);
  progress.Advance();
  CheckInterrupted();

  // The surface: facets between an inside and an outside cell, wound to face out. Facets longer
  // than the trimming length close what nobody saw: dropped.
  const double max_edge = options.graph_cut_max_edge * spacing;
  const double max_edge2 = options.graph_cut_max_edge > 0 ? max_edge * max_edge
                                                          : std::numeric_limits<double>::infinity();
  Mesh mesh;
  std::vector<std::uint32_t> vertex_of(cloud.size(), kNoVertex);
  auto vertex = [&](Delaunay::Vertex_handle v) {
    std::uint32_t& m = vertex_of[v->info()];
    if (m == kNoVertex) {
      m = std::uint32_t(mesh.vertices.size());
      mesh.vertices.push_back(cloud.points[v->info()]);
      mesh.colors.push_back(cloud.colors[v->info()]);
    }
    return m;
  };
  std::size_t long_faces = 0, corner_faces = 0, surface_faces = 0;
  for (auto c = dt.all_cells_begin(); c != dt.all_cells_end(); ++c) {
    if (!inside[c->info()]) continue;
    for (int i = 0; i < 4; ++i) {
      const Delaunay::Cell_handle n = c->neighbor(i);
      if (inside[n->info()]) continue;
      ++surface_faces;
      Delaunay::Vertex_handle t[3];
      for (int k = 0; k < 3; ++k) t[k] = c->vertex(Delaunay::vertex_triple_index(i, k));
      if (t[0]->info() == kCorner || t[1]->info() == kCorner || t[2]->info() == kCorner) {
        ++corner_faces;  // closes space around the points nobody saw
        continue;
      }
      const Eigen::Vector3d a = ToEigen(t[0]->point()), b = ToEigen(t[1]->point()),
                            d = ToEigen(t[2]->point());
      if ((b - a).squaredNorm() > max_edge2 || (d - b).squaredNorm() > max_edge2 ||
          (a - d).squaredNorm() > max_edge2) {
        ++long_faces;
        continue;
      }
      // Wind the triangle so that its normal points away from the inside cell's 4th vertex.
      const Eigen::Vector3d opposite = ToEigen(c->vertex(i)->point());
      const bool flip = (b - a).cross(d - a).dot(opposite - a) > 0;
      Face f{vertex(t[0]), vertex(t[1]), vertex(t[2])};
      if (flip) std::swap(f[1], f[2]);
      mesh.faces.push_back(f);
    }
  }
  progress.Advance();

  const std::size_t before_components = mesh.NumFaces();
  const auto [components, removed_components] =
      RemoveSmallComponents(mesh, options.min_component_fraction);
  const std::size_t removed_faces = before_components - mesh.NumFaces();
  MUTA_CHECK(mesh.NumFaces() > 0) << fused_ply.string() << ": the graph cut left no surface from "
                                  << num_points
                                  << " points; check the fusion figures and the visibility file "
                                  << vis_path.string();
  mesh.ComputeVertexNormals();
  WritePly(mesh_ply, mesh);
  progress.End();

  const double seconds = SecondsSince(start);
  spdlog::info(
      "mesh: {} vertices, {} faces from {} of {} points (graph cut over {} tetrahedra, {} lines "
      "of sight, point spacing {:.3g}) in {:.1f} s",
      mesh.NumVertices(), mesh.NumFaces(), num_points, points_read, cells, rays.load(), spacing,
      seconds);
  return Json{{"method", "delaunay"},
              {"points", points_read},
              {"meshed_points", num_points},
              {"roi", RoiJson(roi)},
              {"point_spacing", spacing},
              {"tetrahedra", cells},
              {"lines_of_sight", rays.load()},
              {"surface_faces", surface_faces},
              {"corner_faces", corner_faces},
              {"long_faces", long_faces},
              {"max_edge", max_edge},
              {"vertices", mesh.NumVertices()},
              {"faces", mesh.NumFaces()},
              {"components", components},
              {"removed_components", removed_components},
              {"removed_component_faces", removed_faces},
              {"delaunay_seconds", dt_seconds},
              {"rays_seconds", rays_seconds},
              {"cut_seconds", cut_seconds},
              {"seconds", seconds},
              {"output", mesh_ply.string()}};
}

}  // namespace muta::reconstruct
