// Storey transfer: a hole completed from the storey above or below.
//
// A pagoda's storeys repeat upwards (shrinking in plan and height: StoreyRepetition). Damage
// alike on every side of a storey (a balcony's outer half lost all round) has no rotated
// counterpart, but the storey above or below may hold it. For a hole, the direction whose map
// takes most of the loop's edge midpoints onto observed surface (within the duplicate distance:
// a storey whose element differs but has a wall a few centimetres behind where the loop runs –
// storey 1's windows are not storey 2's – does not count) is the source; the faces there around the
// mapped loop seed a flood over the source surface (welded vertices), which keeps the faces that,
// mapped back, do not double observed surface (three of the centroid and edge midpoints within the
// duplicate distance, as the rotation transfer) and lie within a quarter storey of the loop, and
// stops at those that do.
#include "reconstruct/restore/storey_transfer.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "core/closest_point.h"
#include "reconstruct/restore/damage.h"
#include "reconstruct/restore/transfer_copy.h"

namespace muta::restore {
namespace {

using Eigen::Vector3d;

constexpr double kMinAgreement = 0.6;  ///< share of the loop's midpoints on surface there
constexpr double kNearLoop = 0.5;      ///< metres: the surface around the loop that must repeat
constexpr double kMinRepeated = 0.8;   ///< share of its area

}  // namespace

std::optional<CompletionResult> StoreyTransferHole(const CompletionContext& context, int hole_id,
                                                   RestoredMeshBuilder& out, std::string& why) {
  const Damage& damage = context.damage;
  const Symmetry& sym = damage.symmetry;
  const Hole& hole = damage.holes.at(hole_id);
  if (!sym.found || !sym.storeys) {
    why = "no storey repetition was found";
    return std::nullopt;
  }
  // Only where the storeys are what made the loop a hole (the damage detection's storey rule:
  // its rotated copies are cut alike, the storey above or below is not). Elsewhere a storey
  // may differ by design – storey 1's windows lie in the plane of storey 2's, plates as far
  // proud of their walls, but are larger and set elsewhere.
  if (!hole.by_storeys) {
    why = fmt::format(
        "the loop was not found by the storeys (its copy one storey up or down is surface "
        "without a boundary along {:.0f} % of it)",
        100 * hole.storey_contradicted);
    return std::nullopt;
  }
  const StoreyRepetition& st = *sym.storeys;
  const Mesh& m = context.observed;
  const auto& v = hole.loop.vertices;
  const double duplicate =
      std::max({2.0 * sym.residual_rms, 1e-4 * damage.diagonal, 0.25 * damage.gap_distance});
  auto map = [&](int d, const Vector3d& p) {
    return d > 0 ? st.Up(p, sym.axis_point, sym.axis_direction)
                 : st.Down(p, sym.axis_point, sym.axis_direction);
  };

  // The neighbouring storey where the loop's surface goes on.
  int dir = 0;
  double agreement = 0;
  for (const int d : {1, -1}) {
    std::size_t on = 0;
    for (std::size_t j = 0; j < v.size(); ++j) {
      const Vector3d mid = 0.5 * (m.vertices[v[j]].cast<double>() +
                                  m.vertices[v[(j + 1) % v.size()]].cast<double>());
      on += context.bvh.Closest(map(d, mid)).distance <= duplicate;
    }
    const double a = v.empty() ? 0.0 : double(on) / double(v.size());
    if (a > agreement) {
      agreement = a;
      dir = d;
    }
  }
  if (agreement < kMinAgreement) {
    why = fmt::format(
        "neither storey above nor below has surface where the loop runs ({:.0f} % of its edge "
        "midpoints at most, {:.0f} % needed)",
        100 * agreement, 100 * kMinAgreement);
    return std::nullopt;
  }
  // What is left around the loop must repeat there too, not only the loop's line: storey 1's
  // windows lie in the plane of storey 2's (plates as far proud of their walls) but are
  // larger and set elsewhere. Share of the area of the observed faces within kNearLoop of the
  // loop whose centroid lands, mapped, on surface within the duplicate distance.
  double repeated = 0;
  {
    std::vector<Vec3f> loop_points;
    for (const std::uint32_t k : v) loop_points.push_back(m.vertices[k]);
    const PointIndex loop_index(loop_points);
    Box3f reach = hole.loop.box;
    reach.min.array() -= float(kNearLoop);
    reach.max.array() += float(kNearLoop);
    double near_area = 0, repeated_area = 0;
    for (const Face& f : m.faces) {
      const Vec3f a = m.vertices[f[0]], b = m.vertices[f[1]], c = m.vertices[f[2]];
      const Vec3f centroid = (a + b + c) / 3.0f;
      if ((centroid.array() < reach.min.array()).any() ||
          (centroid.array() > reach.max.array()).any()) {
        continue;
      }
      if (loop_index.Nearest(centroid.cast<double>()).distance > kNearLoop) continue;
      const double face_area = 0.5 * double((b - a).cross(c - a).norm());
      near_area += face_area;
      if (context.bvh.Closest(map(dir, centroid.cast<double>())).distance <= duplicate) {
        repeated_area += face_area;
      }
    }
    repeated = near_area > 0 ? repeated_area / near_area : 0.0;
    if (repeated < kMinRepeated) {
      why = fmt::format(
          "the storey {} has surface where the loop runs ({:.0f} % of its edge midpoints) but "
          "not what is left around it ({:.0f} % of the surface within {:.1f} m repeats there, "
          "{:.0f} % needed)",
          dir > 0 ? "above" : "below", 100 * agreement, 100 * repeated, kNearLoop,
          100 * kMinRepeated);
      return std::nullopt;
    }
  }

  // Source faces by welded vertex.
  const WeldedTopology& topology = damage.topology;
  std::vector<std::uint32_t> start(topology.num_welded + 1, 0), incident;
  for (const Face& f : m.faces) {
    for (const auto k : f) ++start[topology.representative[k] + 1];
  }
  for (std::size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
  incident.resize(start.back());
  {
    std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
    for (std::uint32_t f = 0; f < m.faces.size(); ++f) {
      for (const auto k : m.faces[f]) incident[fill[topology.representative[k]]++] = f;
    }
  }
  auto neighbours = [&](std::uint32_t f, auto&& visit) {
    for (const auto k : m.faces[f]) {
      const std::uint32_t w = topology.representative[k];
      for (std::uint32_t i = start[w]; i < start[w + 1]; ++i) visit(incident[i]);
    }
  };

  // Mapped back onto the hole's storey, within a quarter storey of the loop.
  Box3f near = hole.loop.box;
  near.min.array() -= float(0.25 * std::abs(st.shift));
  near.max.array() += float(0.25 * std::abs(st.shift));
  enum : std::uint8_t { kUnseen, kKept, kDoubled, kFar };
  std::vector<std::uint8_t> state(m.faces.size(), kUnseen);
  std::deque<std::uint32_t> queue;
  std::size_t doubled = 0;
  auto judge = [&](std::uint32_t f) {
    if (state[f] != kUnseen) return;
    Vector3d corner[3];
    for (int c = 0; c < 3; ++c) corner[c] = map(-dir, m.vertices[m.faces[f][c]].cast<double>());
    const Vector3d centroid = (corner[0] + corner[1] + corner[2]) / 3.0;
    const Vec3f cf = centroid.cast<float>();
    if ((cf.array() < near.min.array()).any() || (cf.array() > near.max.array()).any()) {
      state[f] = kFar;
      return;
    }
    if (DoublesObserved(context.bvh, corner, duplicate)) {
      state[f] = kDoubled;
      ++doubled;
      return;
    }
    state[f] = kKept;
    queue.push_back(f);
  };
  // Seeds: the faces around each mapped loop vertex (both sides of where the cut runs).
  for (const std::uint32_t k : v) {
    const ClosestPoint cp = context.bvh.Closest(map(dir, m.vertices[k].cast<double>()));
    if (cp.distance > duplicate || cp.face == kInvalidIndex) continue;
    judge(cp.face);
    neighbours(cp.face, judge);
  }
  while (!queue.empty()) {
    const std::uint32_t f = queue.front();
    queue.pop_front();
    neighbours(f, judge);
  }

  // The kept faces, mapped back.
  Eigen::Matrix3d linear;  // of the map back (affine), for the normals
  const Vector3d origin = map(-dir, Vector3d::Zero());
  for (int c = 0; c < 3; ++c) linear.col(c) = map(-dir, Vector3d::Unit(c)) - origin;
  const Eigen::Matrix3d normal_map = linear.inverse().transpose();
  const double confidence = std::clamp(st.inlier_fraction * agreement, 0.0, 1.0);
  MovedVertices moved(context, out, duplicate, normal_map, true);
  double area = 0;
  std::size_t faces = 0;
  for (std::uint32_t f = 0; f < m.faces.size(); ++f) {
    if (state[f] != kKept) continue;
    const Face& face = m.faces[f];
    std::uint32_t ids[3];
    Vector3d corner[3];
    for (int c = 0; c < 3; ++c) {
      corner[c] = map(-dir, m.vertices[face[c]].cast<double>());
      ids[c] = moved.Add(face[c], corner[c]);
    }
    out.AddFace(ids[0], ids[1], ids[2], Provenance::kInferredRepetition, float(confidence),
                kStoreySource + dir, hole.region.value_or(-1));
    area += 0.5 * (corner[1] - corner[0]).cross(corner[2] - corner[0]).norm();
    ++faces;
  }
  const char* where = dir > 0 ? "above" : "below";
  if (faces == 0) {
    why = fmt::format(
        "the storey {} has surface where the loop runs ({:.0f} % of its edge midpoints) but none "
        "that is not already observed here ({} candidate triangles doubled observed surface)",
        where, 100 * agreement, doubled);
    return std::nullopt;
  }
  CompletionResult r;
  r.target = fmt::format("hole {}", hole_id);
  r.method = "symmetry";
  r.provenance = "inferred:repetition";
  r.faces = faces;
  r.area = area;
  r.confidence = confidence;
  r.source = fmt::format(
      "storey:{:+d} (the storey {}: shift {:.3f} m, plan scale {:.4f}, "
      "height scale {:.4f})",
      dir, where, st.shift, st.scale, st.vertical_scale);
  r.why = fmt::format(
      "the storey {} repeats this one ({:.0f} % of the loop's edge midpoints and {:.0f} % of the "
      "surface within {:.1f} m of it land on its surface; storey map inliers {:.0f} %): {} "
      "triangles transferred, {} dropped as doubling observed surface; confidence = storey "
      "inliers x the loop's share",
      where, 100 * agreement, 100 * repeated, kNearLoop, 100 * st.inlier_fraction, faces, doubled);
  r.holes_closed.push_back(hole_id);
  return r;
}

}  // namespace muta::restore
