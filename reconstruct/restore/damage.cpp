#include "reconstruct/restore/damage.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <numbers>
#include <numeric>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <Eigen/Eigenvalues>

#include "core/closest_point.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/ray_bvh.h"
#include "core/sampling.h"
#include "reconstruct/restore/element_box.h"

namespace muta::restore {
namespace {

using Eigen::Vector3d;

struct CellKey {
  std::int64_t x, y, z;
  bool operator==(const CellKey& o) const { return x == o.x && y == o.y && z == o.z; }
};
struct CellHash {
  std::size_t operator()(const CellKey& k) const {
    return std::size_t(k.x * 73856093LL) ^ std::size_t(k.y * 19349663LL) ^
           std::size_t(k.z * 83492791LL);
  }
};
CellKey CellOf(const Vector3d& p, double cell) {
  return {std::int64_t(std::floor(p.x() / cell)), std::int64_t(std::floor(p.y() / cell)),
          std::int64_t(std::floor(p.z() / cell))};
}

Json Vec(const Vec3f& v) {
  return Json::array({v.x(), v.y(), v.z()});
}
Json BoxJson(const Box3f& b) {
  if (b.Empty()) return nullptr;
  return {{"min", Vec(b.min)}, {"max", Vec(b.max)}};
}

// Union-find.
struct Dsu {
  std::vector<std::uint32_t> parent;
  explicit Dsu(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0u); }
  std::uint32_t Find(std::uint32_t a) {
    while (parent[a] != a) a = parent[a] = parent[parent[a]];
    return a;
  }
  void Unite(std::uint32_t a, std::uint32_t b) { parent[Find(a)] = Find(b); }
};

}  // namespace

void DamageOptions::Check() const {
  symmetry.Check();
  weak.Check();
  MUTA_CHECK(!sample_spacing || *sample_spacing > 0)
      << "DamageOptions.sample_spacing must be positive";
  MUTA_CHECK(max_samples >= 1000) << "DamageOptions.max_samples must be at least 1000";
  MUTA_CHECK(outer_loop_extent > 0 && outer_loop_extent <= 1)
      << "DamageOptions.outer_loop_extent must be in (0, 1]";
  MUTA_CHECK(ground_loop_fraction > 0 && ground_loop_fraction <= 1)
      << "DamageOptions.ground_loop_fraction must be in (0, 1]";
  MUTA_CHECK(ground_loop_height >= 0 && ground_loop_height < 1)
      << "DamageOptions.ground_loop_height must be in [0, 1)";
  MUTA_CHECK(!gap_distance || *gap_distance > 0) << "DamageOptions.gap_distance must be positive";
  MUTA_CHECK(min_support > 0 && min_support <= 1) << "DamageOptions.min_support must be in (0, 1]";
  MUTA_CHECK(storey_contradict_fraction > 0 && storey_contradict_fraction <= 1)
      << "DamageOptions.storey_contradict_fraction must be in (0, 1]";
  MUTA_CHECK(storey_min_inliers >= 0 && storey_min_inliers <= 1)
      << "DamageOptions.storey_min_inliers must be in [0, 1]";
  MUTA_CHECK(open_above_fraction > 0 && open_above_fraction <= 1)
      << "DamageOptions.open_above_fraction must be in (0, 1]";
  MUTA_CHECK(strong_support > 0 && strong_support <= 1)
      << "DamageOptions.strong_support must be in (0, 1]";
  MUTA_CHECK(strong_area_fraction > 0 && strong_area_fraction <= 1)
      << "DamageOptions.strong_area_fraction must be in (0, 1]";
  MUTA_CHECK(!min_region_area || *min_region_area >= 0)
      << "DamageOptions.min_region_area must not be negative";
}

WeldedTopology WeldVertices(const Mesh& mesh, double tolerance) {
  MUTA_INTERNAL_CHECK(tolerance > 0);
  WeldedTopology t;
  t.representative.resize(mesh.vertices.size());
  std::unordered_map<CellKey, std::uint32_t, CellHash> ids;
  ids.reserve(mesh.vertices.size());
  for (std::size_t v = 0; v < mesh.vertices.size(); ++v) {
    const Vector3d p = mesh.vertices[v].cast<double>() / tolerance;
    const CellKey key{std::llround(p.x()), std::llround(p.y()), std::llround(p.z())};
    const auto [it, inserted] = ids.emplace(key, std::uint32_t(ids.size()));
    t.representative[v] = it->second;
  }
  t.num_welded = ids.size();
  return t;
}

std::vector<BoundaryLoop> FindBoundaryLoops(const Mesh& mesh, const WeldedTopology& topology) {
  const auto& rep = topology.representative;
  // Count undirected welded edges.
  auto key = [](std::uint32_t a, std::uint32_t b) {
    return (std::uint64_t(std::min(a, b)) << 32) | std::max(a, b);
  };
  std::unordered_map<std::uint64_t, int> count;
  count.reserve(mesh.faces.size() * 3);
  for (const Face& f : mesh.faces) {
    const std::uint32_t a = rep[f[0]], b = rep[f[1]], c = rep[f[2]];
    if (a == b || b == c || a == c) continue;
    ++count[key(a, b)];
    ++count[key(b, c)];
    ++count[key(c, a)];
  }
  // Boundary half-edges (welded from -> original from/to), in face winding.
  struct HalfEdge {
    std::uint32_t from_orig, to_orig, to_welded;
    bool used = false;
  };
  std::vector<HalfEdge> edges;
  std::unordered_multimap<std::uint32_t, std::size_t> outgoing;
  for (const Face& f : mesh.faces) {
    const std::uint32_t w[3] = {rep[f[0]], rep[f[1]], rep[f[2]]};
    if (w[0] == w[1] || w[1] == w[2] || w[0] == w[2]) continue;
    for (int k = 0; k < 3; ++k) {
      const std::uint32_t a = w[k], b = w[(k + 1) % 3];
      if (count[key(a, b)] != 1) continue;
      outgoing.emplace(a, edges.size());
      edges.push_back({f[k], f[(k + 1) % 3], b});
    }
  }
  std::vector<BoundaryLoop> loops;
  for (std::size_t start = 0; start < edges.size(); ++start) {
    if (edges[start].used) continue;
    BoundaryLoop loop;
    const std::uint32_t start_welded = rep[edges[start].from_orig];
    std::size_t e = start;
    bool closed = false;
    for (std::size_t steps = 0; steps <= edges.size(); ++steps) {
      edges[e].used = true;
      loop.vertices.push_back(edges[e].from_orig);
      const Vec3f& a = mesh.vertices[edges[e].from_orig];
      const Vec3f& b = mesh.vertices[edges[e].to_orig];
      loop.perimeter += (b - a).cast<double>().norm();
      loop.box.Extend(a);
      if (edges[e].to_welded == start_welded) {
        closed = true;
        break;
      }
      std::size_t next = edges.size();
      auto [lo, hi] = outgoing.equal_range(edges[e].to_welded);
      for (auto it = lo; it != hi; ++it) {
        if (!edges[it->second].used) {
          next = it->second;
          break;
        }
      }
      if (next == edges.size()) break;  // open chain (non-manifold vertex): dropped
      e = next;
    }
    if (closed && loop.vertices.size() >= 3) loops.push_back(std::move(loop));
  }
  return loops;
}

std::size_t Damage::NumHolesToFill() const {
  return std::size_t(std::count_if(holes.begin(), holes.end(),
                                   [](const Hole& h) { return !h.regular && !h.ring; }));
}

namespace {

// Whether the loop winds around the symmetry axis: its projection onto the plane perpendicular
// to the axis turns by (nearly) a full circle about it.
bool EncirclesAxis(const Mesh& m, const BoundaryLoop& loop, const Symmetry& s) {
  if (!s.found || loop.vertices.size() < 3) return false;
  const Vector3d axis = s.axis_direction.normalized();
  const Vector3d e1 = axis.unitOrthogonal(), e2 = axis.cross(e1);
  double turn = 0, previous = 0;
  for (std::size_t j = 0; j <= loop.vertices.size(); ++j) {
    const Vector3d r =
        m.vertices[loop.vertices[j % loop.vertices.size()]].cast<double>() - s.axis_point;
    const double a = std::atan2(r.dot(e2), r.dot(e1));
    if (j > 0) turn += std::remainder(a - previous, 2 * std::numbers::pi);
    previous = a;
  }
  return std::abs(turn) > 1.5 * std::numbers::pi;
}

// Share of points spread over the flat membrane spanning the loop (a fan about its centroid)
// from which nothing of the mesh is seen straight up: a loop round the axis with sky above
// it is the top of the building left open – a spire's lost tip; a designed building is
// closed at the top (the roof over each storey, the finial over the top roof's opening).
double OpenAbove(const Mesh& m, const BoundaryLoop& loop, const RayBvh& rays, const Vector3d& up) {
  const auto& v = loop.vertices;
  if (v.size() < 3) return 0.0;
  Vector3d c = Vector3d::Zero();
  for (std::uint32_t i : v) c += m.vertices[i].cast<double>();
  c /= double(v.size());
  // Hits just above the membrane are the loop's own ragged rim, not cover.
  const double skip = 0.1 * loop.perimeter / (2 * std::numbers::pi);
  // Only a loop with a real, compact footprint seen from above counts: not a seam folded back
  // on itself (no membrane), nor a long slot (a hall's roof sheets stopping short of the
  // ridge, by design) – the loop's spread across the axis is at least a quarter of its length.
  Vector3d vector_area = Vector3d::Zero();
  Eigen::Matrix2d spread = Eigen::Matrix2d::Zero();
  const Vector3d e1 = up.unitOrthogonal(), e2 = up.cross(e1);
  for (std::size_t j = 0; j < v.size(); ++j) {
    const Vector3d a = m.vertices[v[j]].cast<double>() - c;
    const Vector3d b = m.vertices[v[(j + 1) % v.size()]].cast<double>() - c;
    vector_area += 0.5 * a.cross(b);
    const Eigen::Vector2d q(a.dot(e1), a.dot(e2));
    spread += (b - a).norm() * q * q.transpose();
  }
  const Eigen::Vector2d lambda =
      Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d>(spread).eigenvalues();
  if (std::abs(vector_area.dot(up)) < 0.002 * loop.perimeter * loop.perimeter ||
      lambda(0) < 0.0625 * lambda(1)) {
    return 0.0;
  }
  std::size_t open = 0, total = 0;
  for (std::size_t j = 0; j < v.size(); ++j) {
    const Vector3d a = m.vertices[v[j]].cast<double>();
    const Vector3d b = m.vertices[v[(j + 1) % v.size()]].cast<double>();
    const Vector3d rim = 0.5 * (a + b);
    for (double t : {0.0, 0.3, 0.6, 0.9}) {
      ++total;
      open += !rays.Occluded(c + t * (rim - c), up, skip, std::numeric_limits<double>::infinity());
    }
  }
  return double(open) / double(total);
}

}  // namespace

Damage DetectDamage(const Mesh& mesh, const TriangleBvh& bvh, const DamageOptions& options,
                    Progress* progress) {
  options.Check();
  const auto start = std::chrono::steady_clock::now();
  Damage damage;
  const Box3f box = BoundingBox(mesh.vertices);
  damage.diagonal = box.Size().cast<double>().norm();
  const double area = mesh.Area();
  MUTA_CHECK(std::isfinite(area) && area > 0) << "damage detection: the mesh has no surface area";

  damage.symmetry = EstimateSymmetry(mesh, bvh, options.symmetry, progress);
  const Symmetry& sym = damage.symmetry;
  damage.gap_distance =
      options.gap_distance.value_or(std::max(sym.inlier_distance, 4.0 * sym.residual_rms));
  const double gap = damage.gap_distance;

  // ---- holes ----
  damage.topology = WeldVertices(mesh, kWeldTolerance * damage.diagonal);
  const WeldedTopology& topology = damage.topology;
  std::vector<BoundaryLoop> loops = FindBoundaryLoops(mesh, topology);
  std::vector<Vec3f> boundary_points;  // edge midpoints and quarter points
  for (const auto& l : loops) {
    for (std::size_t i = 0; i < l.vertices.size(); ++i) {
      const Vec3f& a = mesh.vertices[l.vertices[i]];
      const Vec3f& b = mesh.vertices[l.vertices[(i + 1) % l.vertices.size()]];
      for (float t : {0.25f, 0.5f, 0.75f}) boundary_points.push_back(a + t * (b - a));
    }
  }
  std::optional<PointIndex> boundary_index;
  if (!boundary_points.empty()) boundary_index.emplace(boundary_points);
  // Height above the ground plane (when one was found) below which a loop runs along the
  // ground: a share of the mesh's height above it, and no less than the plane's band.
  std::optional<double> ground_low;
  if (sym.ground_plane) {
    double top = 0;
    for (const Vec3f& v : mesh.vertices) {
      top =
          std::max(top, sym.ground_plane->head<3>().dot(v.cast<double>()) + sym.ground_plane->w());
    }
    ground_low = std::max(2.0 * sym.inlier_distance, options.ground_loop_height * top);
  }
  std::optional<RayBvh> rays;                 // built when a loop winds round the axis
  std::optional<WeldedFaceIndex> face_index;  // built when a loop is regular
  if (progress) progress->Begin("damage: boundary loops", loops.size(), "loops");
  for (std::size_t i = 0; i < loops.size(); ++i) {
    Hole hole;
    hole.id = int(i);
    hole.loop = std::move(loops[i]);
    if (sym.found && boundary_index) {
      std::size_t on = 0, total = 0;
      const auto& v = hole.loop.vertices;
      for (int k = 1; k < sym.order; ++k) {
        const Eigen::Isometry3d r = sym.Rotation(k);
        for (std::size_t j = 0; j < v.size(); ++j) {
          const Vector3d mid = 0.5 * (mesh.vertices[v[j]].cast<double>() +
                                      mesh.vertices[v[(j + 1) % v.size()]].cast<double>());
          if (!sym.Covers(r * mid)) continue;  // the capture never reached there
          ++total;
          if (boundary_index->Nearest(r * mid).distance <= gap) ++on;
        }
      }
      hole.regular_fraction = total ? double(on) / double(total) : 0.0;
      hole.regular = hole.regular_fraction >= options.regular_loop_fraction;
      // Damage alike on every side (a balcony's outer half lost all round) repeats under the
      // rotation like a designed edge; the storeys above or below tell them apart.
      if (hole.regular && sym.storeys &&
          sym.storeys->inlier_fraction >= options.storey_min_inliers) {
        for (const bool up : {true, false}) {
          std::size_t contradicted = 0;
          for (std::size_t j = 0; j < v.size(); ++j) {
            const Vector3d mid = 0.5 * (mesh.vertices[v[j]].cast<double>() +
                                        mesh.vertices[v[(j + 1) % v.size()]].cast<double>());
            const StoreyRepetition& st = *sym.storeys;
            const Vector3d q = up ? st.Up(mid, sym.axis_point, sym.axis_direction)
                                  : st.Down(mid, sym.axis_point, sym.axis_direction);
            // Only between storeys: the lowest storey (or what stands below it, a platform)
            // need not have what the ones above have, nor the top what those below have.
            const Vector3d other = up ? st.Down(mid, sym.axis_point, sym.axis_direction)
                                      : st.Up(mid, sym.axis_point, sym.axis_direction);
            const double h_other = (other - sym.axis_point).dot(sym.axis_direction);
            if (up ? h_other < st.base : h_other > st.top) continue;
            if (bvh.Closest(q).distance <= gap && boundary_index->Nearest(q).distance > gap) {
              ++contradicted;
            }
          }
          hole.storey_contradicted = std::max(
              hole.storey_contradicted, v.empty() ? 0.0 : double(contradicted) / double(v.size()));
        }
        if (hole.storey_contradicted >= options.storey_contradict_fraction) {
          spdlog::debug(
              "damage: loop {} ({} vertices, perimeter {:.2f} m) repeats on every side "
              "but not one storey up or down ({:.0f} % of it): a hole (z {:.2f}..{:.2f})",
              i, v.size(), hole.loop.perimeter, 100 * hole.storey_contradicted,
              hole.loop.box.min.z(), hole.loop.box.max.z());
          hole.regular = false;
          hole.by_storeys = true;
        }
      }
      if (hole.regular) {
        if (!face_index) face_index.emplace(mesh, topology);
        if (FitElementBox(mesh, topology, *face_index, hole.loop,
                          ElementBoxOptions::ForMesh(damage.diagonal))) {
          hole.regular = false;
          hole.box_piece = true;
          spdlog::debug(
              "damage: loop {} ({} vertices, perimeter {:.2f} m) repeats under the rotation "
              "but lies on a box-shaped piece: a broken board or plate, a hole",
              i, hole.loop.vertices.size(), hole.loop.perimeter);
        }
      }
    }
    if (ground_low) {
      std::size_t low = 0;
      const auto& v = hole.loop.vertices;
      for (std::size_t j = 0; j < v.size(); ++j) {
        const Vector3d mid = 0.5 * (mesh.vertices[v[j]].cast<double>() +
                                    mesh.vertices[v[(j + 1) % v.size()]].cast<double>());
        low += sym.OnOrBelowGround(mid, *ground_low);
      }
      if (!v.empty() && double(low) >= options.ground_loop_fraction * double(v.size())) {
        hole.ground = true;
        hole.regular = true;
      }
    }
    const bool round = EncirclesAxis(mesh, hole.loop, sym);
    if (round && !hole.ground) {
      if (!rays) rays.emplace(mesh);
      hole.open_above = OpenAbove(mesh, hole.loop, *rays, sym.axis_direction.normalized());
      if (hole.open_above > 0)
        spdlog::debug(
            "damage: loop {} ({} vertices, perimeter {:.2f} m, z {:.2f}..{:.2f}) winds "
            "round the axis, regular {}, open above {:.0f} %",
            i, hole.loop.vertices.size(), hole.loop.perimeter, hole.loop.box.min.z(),
            hole.loop.box.max.z(), hole.regular, 100 * hole.open_above);
      if (hole.open_above >= options.open_above_fraction) {
        hole.regular = false;  // the top of the building left open: damage however regular
        hole.open_top = true;
      }
    }
    // A box-shaped piece's box stays within the piece, however the loop winds (a gate's central
    // plaque stands across the axis).
    if (!hole.regular) hole.ring = round && !hole.open_top && !hole.box_piece;
    const Eigen::Vector3f loop_size = hole.loop.box.Size(), mesh_size = box.Size();
    if (loop_size.x() >= options.outer_loop_extent * mesh_size.x() &&
        loop_size.y() >= options.outer_loop_extent * mesh_size.y()) {
      hole.outer = true;
      hole.regular = true;
    }
    damage.holes.push_back(std::move(hole));
    if (progress) progress->Advance();
  }
  if (progress) progress->End();

  // ---- missing regions ----
  damage.spacing = options.sample_spacing.value_or(std::sqrt(area / double(options.max_samples)));
  const double spacing = damage.spacing;
  if (sym.found) {
    const std::size_t count =
        std::min<std::size_t>(options.max_samples * 4,
                              std::max<std::size_t>(1000, std::size_t(area / (spacing * spacing))));
    std::vector<Vector3d> samples;
    for (const Vec3f& p : SampleSurface(mesh, count, options.symmetry.seed + 1)) {
      samples.push_back(p.cast<double>());
    }
    damage.samples = samples.size();
    const int n = sym.order;
    std::vector<Eigen::Isometry3d> rot(n);
    for (int k = 0; k < n; ++k) rot[k] = sym.Rotation(k);

    struct Candidate {
      Vector3d point;
      int k;
      double support;
    };
    std::vector<Candidate> candidates;
    std::mutex mutex;
    const double ground_band = 2.0 * sym.inlier_distance;
    if (progress) progress->Begin("damage: counterpart check", samples.size(), "samples");
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, samples.size(), 512),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                        CheckInterrupted();
                        std::vector<Candidate> local;
                        for (std::size_t i = r.begin(); i != r.end(); ++i) {
                          // The ground around the building is not part of its symmetry.
                          if (sym.OnOrBelowGround(samples[i], ground_band)) continue;
                          for (int k = 1; k < n; ++k) {
                            const Vector3d q = rot[k] * samples[i];
                            // Where the capture never reached nothing is known to be missing.
                            if (!sym.Covers(q)) continue;
                            if (bvh.Closest(q).distance <= gap) continue;
                            // Support: the other rotated copies of q that are observed, among
                            // those the capture covered.
                            int observed = 0, covered = 0;
                            for (int j = 1; j < n; ++j) {
                              const Vector3d c = rot[j] * q;
                              if (!sym.Covers(c)) continue;
                              ++covered;
                              if (bvh.Closest(c).distance <= gap) ++observed;
                            }
                            if (covered < std::min(2, n - 1)) continue;
                            const double support = double(observed) / double(covered);
                            if (support >= options.min_support) local.push_back({q, k, support});
                          }
                        }
                        if (progress) progress->Advance(r.size());
                        if (!local.empty()) {
                          std::lock_guard lock(mutex);
                          candidates.insert(candidates.end(), local.begin(), local.end());
                        }
                      });
    if (progress) progress->End();

    // One cell per `spacing`: keep the first candidate, count votes per rotation.
    struct Cell {
      Vector3d point;
      double support_sum = 0;
      std::vector<int> votes;
    };
    std::unordered_map<CellKey, std::uint32_t, CellHash> cell_of;
    std::vector<Cell> cells;
    std::vector<CellKey> keys;
    for (const Candidate& c : candidates) {
      const CellKey key = CellOf(c.point, spacing);
      auto [it, inserted] = cell_of.emplace(key, std::uint32_t(cells.size()));
      if (inserted) {
        cells.push_back({c.point, 0, std::vector<int>(n, 0)});
        keys.push_back(key);
      }
      Cell& cell = cells[it->second];
      cell.support_sum += c.support;
      ++cell.votes[c.k];
    }
    // Connected components of cells within 2 cells of each other.
    Dsu dsu(cells.size());
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const CellKey& k = keys[i];
      for (int dx = -2; dx <= 2; ++dx) {
        for (int dy = -2; dy <= 2; ++dy) {
          for (int dz = -2; dz <= 2; ++dz) {
            const auto it = cell_of.find({k.x + dx, k.y + dy, k.z + dz});
            if (it != cell_of.end()) dsu.Unite(std::uint32_t(i), it->second);
          }
        }
      }
    }
    std::map<std::uint32_t, std::vector<std::uint32_t>> groups;
    for (std::size_t i = 0; i < cells.size(); ++i) groups[dsu.Find(std::uint32_t(i))].push_back(i);
    const double min_area = options.min_region_area.value_or(40.0 * spacing * spacing);
    std::size_t ground_regions = 0;
    for (auto& [root, members] : groups) {
      MissingRegion region;
      region.area = double(members.size()) * spacing * spacing;
      if (region.area < options.strong_area_fraction * min_area) continue;
      // Entirely along the ground (the reconstructed ground bends up away from the building,
      // above the plane's band): a gap between the captured pieces of ground, not damage.
      if (ground_low && std::all_of(members.begin(), members.end(), [&](std::uint32_t m) {
            return sym.OnOrBelowGround(cells[m].point, *ground_low);
          })) {
        ++ground_regions;
        continue;
      }
      region.rotation_votes.assign(n, 0);
      double support = 0, votes_total = 0;
      for (const auto m : members) {
        const Cell& c = cells[m];
        region.points.push_back(c.point.cast<float>());
        region.box.Extend(c.point.cast<float>());
        for (int k = 0; k < n; ++k) region.rotation_votes[k] += c.votes[k];
        const double cell_votes = std::accumulate(c.votes.begin(), c.votes.end(), 0.0);
        support += c.support_sum;
        votes_total += cell_votes;
      }
      region.support = votes_total > 0 ? support / votes_total : 0.0;
      // A small region counts when nearly all the other rotated copies of its points are
      // observed (a column's front or a bracket set high up, whose sides lie within the gap
      // distance of the wall behind); noise on a reconstruction gathers less support.
      if (region.area < min_area && region.support < options.strong_support) {
        spdlog::debug(
            "damage: a region of {} cells near ({:.2f}, {:.2f}, {:.2f}) with support "
            "{:.2f} is too small ({:.3f} < {:.3f} m2)",
            members.size(), region.points[0].x(), region.points[0].y(), region.points[0].z(),
            region.support, region.area, min_area);
        continue;
      }
      // The source: among rotations with at least 90 % of the most votes, the smallest angle.
      const int most =
          *std::max_element(region.rotation_votes.begin(), region.rotation_votes.end());
      int best_k = 0;
      for (int k = 1; k < n; ++k) {
        if (region.rotation_votes[k] < 0.9 * most) continue;
        if (best_k == 0 || std::min(k, n - k) < std::min(best_k, n - best_k)) best_k = k;
      }
      region.source_rotation = best_k;
      damage.regions.push_back(std::move(region));
    }
    if (ground_regions > 0) {
      spdlog::info("damage: {} candidate regions along the ground left out (not the building's)",
                   ground_regions);
    }
    std::sort(damage.regions.begin(), damage.regions.end(),
              [](const MissingRegion& a, const MissingRegion& b) { return a.area > b.area; });
    for (std::size_t i = 0; i < damage.regions.size(); ++i) damage.regions[i].id = int(i);

    // Holes bordering a region.
    for (Hole& hole : damage.holes) {
      if (hole.regular || hole.ring) continue;
      for (const MissingRegion& region : damage.regions) {
        Box3f grown = region.box;
        grown.min.array() -= float(3 * spacing + gap);
        grown.max.array() += float(3 * spacing + gap);
        bool inside = false;
        for (const auto v : hole.loop.vertices) {
          const Vec3f& p = mesh.vertices[v];
          if ((p.array() >= grown.min.array()).all() && (p.array() <= grown.max.array()).all()) {
            inside = true;
            break;
          }
        }
        if (inside) {
          hole.region = region.id;
          break;
        }
      }
    }
  }
  if (options.fused) {
    CheckInterrupted();
    damage.weak = FindWeakRegions(mesh, *options.fused, options.weak, progress);
  }
  damage.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto open_tops = std::count_if(damage.holes.begin(), damage.holes.end(),
                                       [](const Hole& h) { return h.open_top; });
  spdlog::info(
      "damage: {} boundary loops ({} holes to fill{}, {} round the building's axis – no membrane, "
      "only repetition completes them – the rest regular), {} missing regions, {:.1f} s",
      damage.holes.size(), damage.NumHolesToFill(),
      open_tops ? fmt::format(" – {} of them the building's top left open", open_tops) : "",
      std::count_if(damage.holes.begin(), damage.holes.end(),
                    [](const Hole& h) { return !h.regular && h.ring; }),
      damage.regions.size(), damage.seconds);
  return damage;
}

Json ToJson(const Damage& damage, const std::string& input_name) {
  Json holes = Json::array();
  for (const Hole& h : damage.holes) {
    if (h.regular) continue;
    holes.push_back({{"id", h.id},
                     {"vertices", h.loop.vertices.size()},
                     {"perimeter_m", h.loop.perimeter},
                     {"bounding_box", BoxJson(h.loop.box)},
                     {"regular_fraction", h.regular_fraction},
                     {"storey_contradicted", h.storey_contradicted},
                     {"by_storeys", h.by_storeys},
                     {"box_piece", h.box_piece},
                     {"ring", h.ring},
                     {"open_above", h.open_above},
                     {"open_top", h.open_top},
                     {"region", h.region ? Json(*h.region) : Json(nullptr)}});
  }
  Json regions = Json::array();
  const Symmetry& s = damage.symmetry;
  for (const MissingRegion& r : damage.regions) {
    const double angle = 360.0 * r.source_rotation / std::max(1, s.order);
    regions.push_back({{"id", r.id},
                       {"kind", "missing"},
                       {"bounding_box", BoxJson(r.box)},
                       {"area_m2", r.area},
                       {"cells", r.points.size()},
                       {"support", r.support},
                       {"counterpart",
                        {{"transform", "rotation"},
                         {"k", r.source_rotation},
                         {"angle_deg", angle},
                         {"source_id", "rotation:" + std::to_string(r.source_rotation)}}},
                       {"rotation_votes", r.rotation_votes}});
  }
  std::size_t regular = damage.holes.size() - damage.NumHolesToFill();
  return {
      {"format", "muta.restore.damage"},
      {"version", 1},
      {"input", input_name},
      {"diagonal_m", damage.diagonal},
      {"sample_spacing_m", damage.spacing},
      {"gap_distance_m", damage.gap_distance},
      {"samples", damage.samples},
      {"symmetry", ToJson(damage.symmetry)},
      {"boundary_loops", damage.holes.size()},
      {"regular_boundary_loops", regular},
      {"outer_boundary_loops", std::count_if(damage.holes.begin(), damage.holes.end(),
                                             [](const Hole& h) { return h.outer; })},
      {"ground_boundary_loops", std::count_if(damage.holes.begin(), damage.holes.end(),
                                              [](const Hole& h) { return h.ground && !h.outer; })},
      {"holes", holes},
      {"regions", regions},
      {"weak_support", ToJson(damage.weak)},
      {"damage_found", !damage.Empty()},
      {"seconds", damage.seconds}};
}

}  // namespace muta::restore
