// The naive baseline: close each hole with a smooth membrane. The loop is joined to its centroid
// by concentric rings (one ring per mean boundary-edge length, at most 40), and the ring
// vertices are then relaxed by umbrella (uniform Laplacian) smoothing with the boundary fixed,
// which converges to a discrete minimal-area (harmonic) surface spanning the loop.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "core/closest_point.h"
#include "core/vertex_rings.h"
#include "reconstruct/restore/completion.h"

namespace muta::restore {
namespace {

constexpr int kMaxRings = 40;
constexpr int kSmoothingIterations = 200;

}  // namespace

Membrane SpanHole(const Mesh& m, const Hole& hole) {
  const auto& loop = hole.loop.vertices;
  const std::size_t n = loop.size();
  Membrane out;
  if (n < 3) return out;
  std::vector<Eigen::Vector3d> boundary(n);
  Eigen::Vector3d centre = Eigen::Vector3d::Zero();
  for (std::size_t i = 0; i < n; ++i) {
    boundary[i] = m.vertices[loop[i]].cast<double>();
    centre += boundary[i];
  }
  centre /= double(n);
  double radius = 0;
  for (const auto& b : boundary) radius += (b - centre).norm();
  radius /= double(n);
  const double edge = hole.loop.perimeter / double(n);
  const int rings = std::clamp(int(std::lround(radius / std::max(edge, 1e-9))), 1, kMaxRings);

  // Vertices: ring 0 = boundary copy, rings 1..rings-1, then the centre.
  std::vector<Eigen::Vector3d>& pos = out.positions;
  for (int j = 0; j < rings; ++j) {
    const double t = double(j) / rings;
    for (std::size_t i = 0; i < n; ++i) pos.push_back(boundary[i] + t * (centre - boundary[i]));
  }
  pos.push_back(centre);
  const std::size_t centre_id = pos.size() - 1;
  auto id = [&](int ring, std::size_t i) { return std::size_t(ring) * n + (i % n); };
  auto& tris = out.triangles;
  for (int j = 0; j + 1 < rings; ++j) {
    for (std::size_t i = 0; i < n; ++i) {
      tris.push_back({id(j, i + 1), id(j, i), id(j + 1, i)});
      tris.push_back({id(j, i + 1), id(j + 1, i), id(j + 1, i + 1)});
    }
  }
  for (std::size_t i = 0; i < n; ++i)
    tris.push_back({id(rings - 1, i + 1), id(rings - 1, i), centre_id});

  // Umbrella smoothing of the interior (rings >= 1 and the centre).
  const std::vector<std::vector<std::size_t>> neighbours =
      VertexRings<std::size_t>(pos.size(), tris);
  std::vector<Eigen::Vector3d> next = pos;
  for (int it = 0; it < kSmoothingIterations; ++it) {
    for (std::size_t v = n; v < pos.size(); ++v) {
      Eigen::Vector3d sum = Eigen::Vector3d::Zero();
      for (const auto w : neighbours[v]) sum += pos[w];
      next[v] = sum / double(neighbours[v].size());
    }
    std::swap(pos, next);
  }
  return out;
}

namespace {

class SmoothCompletion final : public CompletionMethod {
 public:
  std::string_view Name() const override { return "smooth"; }
  Provenance Label() const override { return Provenance::kInferredSmooth; }

  std::optional<CompletionResult> CompleteRegion(const CompletionContext& context, int region,
                                                 RestoredMeshBuilder& out,
                                                 std::string& why) override {
    // A smooth fill closes the holes bordering the region; a wholly missing element leaves
    // no hole and gets nothing.
    CompletionResult result;
    result.target = fmt::format("region {}", region);
    result.method = "smooth";
    for (const Hole& hole : context.damage.holes) {
      if (hole.regular || hole.region != region) continue;
      std::string unused;
      if (auto r = CompleteHole(context, hole.id, out, unused)) {
        result.faces += r->faces;
        result.area += r->area;
        result.confidence = std::max(result.confidence, r->confidence);
        result.holes_closed.push_back(hole.id);
      }
    }
    if (result.holes_closed.empty()) {
      why =
          "no boundary loop borders it (a whole element is missing): a smooth fill has no "
          "hole to close";
      return std::nullopt;
    }
    result.why = fmt::format("smooth membrane over the {} hole(s) bordering the region",
                             result.holes_closed.size());
    return result;
  }

  std::optional<CompletionResult> CompleteHole(const CompletionContext& context, int hole_id,
                                               RestoredMeshBuilder& out,
                                               std::string& why) override {
    const Hole& hole = context.damage.holes.at(hole_id);
    const Mesh& m = context.observed;
    const auto& loop = hole.loop.vertices;
    const std::size_t n = loop.size();
    if (n < 3) {
      why = "degenerate loop";
      return std::nullopt;
    }
    const Membrane membrane = SpanHole(m, hole);
    const auto& pos = membrane.positions;
    const auto& tris = membrane.triangles;

    const double diagonal = context.damage.diagonal;
    const double confidence =
        0.3 * std::min(1.0, 0.05 * diagonal / std::max(hole.loop.perimeter, 1e-12));
    const bool colours = !m.colors.empty();
    Eigen::Vector3d mean_colour = Eigen::Vector3d::Zero();
    if (colours) {
      for (const auto v : loop) mean_colour += m.colors[v].cast<double>();
      mean_colour /= double(n);
    }
    std::vector<std::uint32_t> ids(pos.size());
    for (std::size_t v = 0; v < pos.size(); ++v) {
      // Boundary copies sit exactly on the observed vertices.
      const Vec3f p = v < n ? m.vertices[loop[v]] : pos[v].cast<float>();
      Color3u8 colour = v < n && colours
                            ? m.colors[loop[v]]
                            : Color3u8(mean_colour.array().round().cast<std::uint8_t>().matrix());
      ids[v] = out.AddVertex(p, nullptr, colours ? &colour : nullptr, nullptr);
    }
    double area = 0;
    for (const auto& t : tris) {
      area += 0.5 * (pos[t[1]] - pos[t[0]]).cross(pos[t[2]] - pos[t[0]]).norm();
      out.AddFace(ids[t[0]], ids[t[1]], ids[t[2]], Provenance::kInferredSmooth, float(confidence),
                  -1, hole.region.value_or(-1));
    }
    CompletionResult r;
    r.target = fmt::format("hole {}", hole_id);
    r.method = "smooth";
    r.faces = tris.size();
    r.area = area;
    r.confidence = confidence;
    r.why = fmt::format(
        "smooth membrane over a boundary loop of {} vertices, perimeter {:.3f} m (confidence "
        "0.3, lower for loops longer than 5 % of the scene diagonal)",
        n, hole.loop.perimeter);
    r.holes_closed.push_back(hole_id);
    return r;
  }
};

}  // namespace

std::unique_ptr<CompletionMethod> MakeSmoothCompletion() {
  return std::make_unique<SmoothCompletion>();
}

}  // namespace muta::restore
