#include "reconstruct/texture/seam_blending.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>

#include "core/error.h"
#include "reconstruct/texture/texel_visibility.h"

namespace muta::reconstruct::tex {
namespace {

constexpr double kSampleT[3] = {1.0 / 6, 0.5, 5.0 / 6};

// The output vertex of face f (in `layout`) whose source is `source`.
std::uint32_t CornerOf(const ChartLayout& layout, std::uint32_t f, std::uint32_t source) {
  for (int k = 0; k < 3; ++k) {
    if (layout.vertex_source[layout.faces[f][k]] == source) return layout.faces[f][k];
  }
  MUTA_INTERNAL_CHECK(false) << "face " << f << " has no corner at vertex " << source;
  return 0;
}

// Distance from p to the segment (a, b); *t receives the parameter of the closest point.
double SegmentDistance(const Eigen::Vector3d& p, const Eigen::Vector3d& a, const Eigen::Vector3d& b,
                       double* t) {
  const Eigen::Vector3d ab = b - a;
  const double len2 = ab.squaredNorm();
  const double s = len2 > 0 ? std::clamp((p - a).dot(ab) / len2, 0.0, 1.0) : 0.0;
  if (t) *t = s;
  return (p - (a + s * ab)).norm();
}

Eigen::Vector3d Position(const Mesh& mesh, std::uint32_t v) {
  return mesh.vertices[v].cast<double>();
}

// Up to kMaxEdgesPerFace (edge, distance) pairs, nearest kept.
struct NearEdges {
  std::array<std::uint32_t, kMaxEdgesPerFace> edge{};
  std::array<float, kMaxEdgesPerFace> dist{};
  int n = 0;
  // Adds (e, d) unless present or farther than all kept ones of a full list; true if changed.
  bool Insert(std::uint32_t e, float d) {
    for (int i = 0; i < n; ++i) {
      if (edge[i] == e) return false;
    }
    if (n < kMaxEdgesPerFace) {
      edge[n] = e, dist[n] = d, ++n;
      return true;
    }
    const int worst = int(std::max_element(dist.begin(), dist.end()) - dist.begin());
    if (d >= dist[worst]) return false;
    edge[worst] = e, dist[worst] = d;
    return true;
  }
};

}  // namespace

SeamBlend PlanSeamBlend(const Mesh& mesh, const ChartLayout& layout, const FaceAdjacency& adjacency,
                        double band) {
  SeamBlend out;
  out.mesh = &mesh;
  out.band = band;
  const std::size_t nf = layout.faces.size();
  out.offsets.assign(nf + 1, 0);
  if (!(band > 0)) return out;

  std::vector<Eigen::Vector3d> centroid(nf);
  std::vector<double> radius(nf);
  for (std::size_t f = 0; f < nf; ++f) {
    const Face& face = mesh.faces[f];
    centroid[f] = (Position(mesh, face[0]) + Position(mesh, face[1]) + Position(mesh, face[2])) / 3;
    radius[f] = 0;
    for (int k = 0; k < 3; ++k) {
      radius[f] = std::max(radius[f], (Position(mesh, face[k]) - centroid[f]).norm());
    }
  }

  std::vector<NearEdges> near(nf);
  std::deque<std::uint32_t> queue;
  for (const FaceEdge& e : adjacency.edges) {
    const std::uint32_t c1 = layout.face_chart[e.f1], c2 = layout.face_chart[e.f2];
    if (c1 == c2 || layout.charts[c1].view < 0 || layout.charts[c2].view < 0) continue;
    for (int side = 0; side < 2; ++side) {
      const std::uint32_t f = side == 0 ? e.f1 : e.f2, g = side == 0 ? e.f2 : e.f1;
      BorderEdge be;
      be.a = e.a;
      be.b = e.b;
      be.other_chart = layout.face_chart[g];
      be.other_a = CornerOf(layout, g, e.a);
      be.other_b = CornerOf(layout, g, e.b);
      const auto index = std::uint32_t(out.edges.size());
      out.edges.push_back(be);
      const double d =
          SegmentDistance(centroid[f], Position(mesh, e.a), Position(mesh, e.b), nullptr);
      if (near[f].Insert(index, float(d))) queue.push_back(f);
    }
  }
  // Breadth-first through each chart: a face takes its neighbour's edges while it is within
  // reach of them.
  while (!queue.empty()) {
    const std::uint32_t f = queue.front();
    queue.pop_front();
    const NearEdges list = near[f];
    for (std::uint32_t i = adjacency.offsets[f]; i < adjacency.offsets[f + 1]; ++i) {
      const std::uint32_t g = adjacency.neighbors[i];
      if (layout.face_chart[g] != layout.face_chart[f]) continue;
      bool changed = false;
      for (int k = 0; k < list.n; ++k) {
        const BorderEdge& be = out.edges[list.edge[k]];
        const double d =
            SegmentDistance(centroid[g], Position(mesh, be.a), Position(mesh, be.b), nullptr);
        if (d - radius[g] > band) continue;
        changed |= near[g].Insert(list.edge[k], float(d));
      }
      if (changed) queue.push_back(g);
    }
  }
  for (std::size_t f = 0; f < nf; ++f) {
    out.offsets[f + 1] = out.offsets[f] + std::uint32_t(near[f].n);
    out.blended_faces += near[f].n > 0;
  }
  out.face_edges.resize(out.offsets[nf]);
  for (std::size_t f = 0; f < nf; ++f) {
    for (int k = 0; k < near[f].n; ++k) out.face_edges[out.offsets[f] + k] = near[f].edge[k];
  }
  return out;
}

Eigen::Vector3f BlendAtPoint(const SeamBlend& blend, const ChartLayout& layout,
                             const std::vector<TextureView>& views,
                             const std::vector<Eigen::Vector3f>& offsets, std::uint32_t face,
                             const Eigen::Vector3d& point, const Eigen::Vector3f& own,
                             const TexelVisibility* visibility) {
  double best = blend.band, best_t = 0;
  const BorderEdge* nearest = nullptr;
  for (std::uint32_t i = blend.offsets[face]; i < blend.offsets[face + 1]; ++i) {
    const BorderEdge& be = blend.edges[blend.face_edges[i]];
    double t = 0;
    const double d =
        SegmentDistance(point, Position(*blend.mesh, be.a), Position(*blend.mesh, be.b), &t);
    if (d < best) best = d, best_t = t, nearest = &be;
  }
  if (!nearest) return own;
  const std::size_t other_view = std::size_t(layout.charts[nearest->other_chart].view);
  const TextureView& view = views[other_view];
  Eigen::Vector3f other;
  if (visibility) {
    const Mesh& mesh = *visibility->mesh;
    const Face& fc = mesh.faces[face];
    const Eigen::Vector3d a = mesh.vertices[fc[0]].cast<double>();
    const Eigen::Vector3d n =
        (mesh.vertices[fc[1]].cast<double>() - a).cross(mesh.vertices[fc[2]].cast<double>() - a);
    if (!(n.norm() > 0)) return own;
    const VisibleSample s =
        SampleVisible(view, visibility->depths[other_view], point, n.normalized());
    if (s.weight < kSeenWeight) return own;
    other = s.rgb;
  } else {
    Eigen::Vector2d pixel;
    double depth = 0;
    if (!ProjectToPixel(view, point, &pixel, &depth)) return own;
    if (pixel.x() < 0 || pixel.y() < 0 || pixel.x() > view.image.width ||
        pixel.y() > view.image.height) {
      return own;
    }
    other = SampleBilinear(view.image, pixel.x(), pixel.y());
  }
  if (!offsets.empty()) {
    other +=
        float(1 - best_t) * offsets[nearest->other_a] + float(best_t) * offsets[nearest->other_b];
  }
  const float w = float(0.5 * (1.0 - best / blend.band));
  return (1 - w) * own + w * other;
}

double AtlasSeamStep(const ChartLayout& layout, const FaceAdjacency& adjacency, const Image& atlas,
                     int padding) {
  double sum = 0;
  std::size_t n = 0;
  for (const FaceEdge& e : adjacency.edges) {
    const std::uint32_t c1 = layout.face_chart[e.f1], c2 = layout.face_chart[e.f2];
    if (c1 == c2 || layout.charts[c1].view < 0 || layout.charts[c2].view < 0) continue;
    const Eigen::Vector2d a1 = AtlasPosition(layout, CornerOf(layout, e.f1, e.a), padding);
    const Eigen::Vector2d b1 = AtlasPosition(layout, CornerOf(layout, e.f1, e.b), padding);
    const Eigen::Vector2d a2 = AtlasPosition(layout, CornerOf(layout, e.f2, e.a), padding);
    const Eigen::Vector2d b2 = AtlasPosition(layout, CornerOf(layout, e.f2, e.b), padding);
    for (const double t : kSampleT) {
      const Eigen::Vector2d p1 = (1 - t) * a1 + t * b1, p2 = (1 - t) * a2 + t * b2;
      sum += (SampleBilinear(atlas, p1.x(), p1.y()) - SampleBilinear(atlas, p2.x(), p2.y()))
                 .cwiseAbs()
                 .mean();
      ++n;
    }
  }
  return n ? sum / double(n) : 0.0;
}

}  // namespace muta::reconstruct::tex
