#include "reconstruct/texture/texel_visibility.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>

#include <tbb/parallel_for.h>

#include "core/pose.h"
#include "core/progress.h"

namespace muta::reconstruct::tex {
namespace {

// Camera-frame points closer than this (scene units) are clipped away.
constexpr double kNearPlane = 1e-4;

struct ScreenVertex {
  double u, v, inv_z;
};

// Draws one triangle (camera-frame corners, all in front of the near plane) into `out`.
void DrawTriangle(const std::array<Eigen::Vector3d, 3>& p, const Camera& camera, ViewDepth& out) {
  const double fx = camera.FocalX(), fy = camera.FocalY();
  const double cx = camera.PrincipalX(), cy = camera.PrincipalY();
  std::array<ScreenVertex, 3> s;
  for (int k = 0; k < 3; ++k) {
    s[k] = {fx * p[k].x() / p[k].z() + cx, fy * p[k].y() / p[k].z() + cy, 1.0 / p[k].z()};
  }
  const double area = (s[1].u - s[0].u) * (s[2].v - s[0].v) - (s[1].v - s[0].v) * (s[2].u - s[0].u);
  if (!(std::abs(area) > 1e-12)) return;
  const double inv_area = 1.0 / area;
  // Pixel centres (x + 0.5, y + 0.5) inside the bounding box.
  const double umin = std::min({s[0].u, s[1].u, s[2].u}), umax = std::max({s[0].u, s[1].u, s[2].u});
  const double vmin = std::min({s[0].v, s[1].v, s[2].v}), vmax = std::max({s[0].v, s[1].v, s[2].v});
  if (umax < 0 || vmax < 0 || umin > out.width || vmin > out.height) return;
  const int x0 = std::max(0, int(std::ceil(umin - 0.5)));
  const int x1 = std::min(out.width - 1, int(std::floor(umax - 0.5)));
  const int y0 = std::max(0, int(std::ceil(vmin - 0.5)));
  const int y1 = std::min(out.height - 1, int(std::floor(vmax - 0.5)));
  for (int y = y0; y <= y1; ++y) {
    const double qv = y + 0.5;
    for (int x = x0; x <= x1; ++x) {
      const double qu = x + 0.5;
      // Barycentric weight of corner k: the signed area opposite it, over the whole.
      double w[3];
      bool inside = true;
      for (int k = 0; k < 3 && inside; ++k) {
        const ScreenVertex& a = s[(k + 1) % 3];
        const ScreenVertex& b = s[(k + 2) % 3];
        w[k] = ((b.u - a.u) * (qv - a.v) - (b.v - a.v) * (qu - a.u)) * inv_area;
        inside = w[k] >= -1e-9;
      }
      if (!inside) continue;
      const double inv_z = w[0] * s[0].inv_z + w[1] * s[1].inv_z + w[2] * s[2].inv_z;
      if (!(inv_z > 0)) continue;
      float& d = out.depth[std::size_t(y) * out.width + x];
      d = std::min(d, float(1.0 / inv_z));
    }
  }
}

ViewDepth RasterizeView(const Mesh& mesh, const TextureView& view) {
  ViewDepth out;
  out.width = view.camera.width;
  out.height = view.camera.height;
  out.depth.assign(std::size_t(out.width) * out.height, std::numeric_limits<float>::infinity());
  std::vector<Eigen::Vector3d> cam(mesh.vertices.size());
  for (std::size_t i = 0; i < cam.size(); ++i) {
    cam[i] = view.cam_from_world * mesh.vertices[i].cast<double>();
  }
  for (const Face& f : mesh.faces) {
    const std::array<Eigen::Vector3d, 3> p = {cam[f[0]], cam[f[1]], cam[f[2]]};
    const int behind = (p[0].z() < kNearPlane) + (p[1].z() < kNearPlane) + (p[2].z() < kNearPlane);
    if (behind == 3) continue;
    if (behind == 0) {
      DrawTriangle(p, view.camera, out);
      continue;
    }
    // Clip the polygon at z = kNearPlane (Sutherland-Hodgman): 3 or 4 corners, drawn as a fan.
    Eigen::Vector3d poly[4];
    int n = 0;
    for (int k = 0; k < 3; ++k) {
      const Eigen::Vector3d& a = p[std::size_t(k)];
      const Eigen::Vector3d& b = p[std::size_t((k + 1) % 3)];
      const bool a_in = a.z() >= kNearPlane, b_in = b.z() >= kNearPlane;
      if (a_in) poly[n++] = a;
      if (a_in != b_in) {
        const double t = (kNearPlane - a.z()) / (b.z() - a.z());
        poly[n++] = a + t * (b - a);
      }
    }
    for (int k = 1; k + 1 < n; ++k) DrawTriangle({poly[0], poly[k], poly[k + 1]}, view.camera, out);
  }
  return out;
}

}  // namespace

std::vector<ViewDepth> RasterizeDepths(const Mesh& mesh, const std::vector<TextureView>& views,
                                       const std::vector<std::uint8_t>& needed,
                                       Progress& progress) {
  std::vector<ViewDepth> out(views.size());
  progress.Begin("texture: depth maps", views.size(), "views");
  tbb::parallel_for(std::size_t{0}, views.size(), [&](std::size_t v) {
    CheckInterrupted();
    if (v < needed.size() && needed[v]) out[v] = RasterizeView(mesh, views[v]);
    progress.Advance();
  });
  progress.End();
  return out;
}

VisibleSample SampleVisible(const TextureView& view, const ViewDepth& depth,
                            const Eigen::Vector3d& point, const Eigen::Vector3d& normal) {
  VisibleSample out;
  if (depth.Empty()) return out;
  const Eigen::Vector3d p = view.cam_from_world * point;
  if (!(p.z() > kNearPlane)) return out;
  const Camera& cam = view.camera;
  const double fx = cam.FocalX(), fy = cam.FocalY(), cx = cam.PrincipalX(), cy = cam.PrincipalY();
  const double u = fx * p.x() / p.z() + cx, v = fy * p.y() / p.z() + cy;
  const int w = depth.width, h = depth.height;
  if (!(u >= 0 && v >= 0 && u <= w && v <= h)) return out;
  const PlaneInView plane(cam, view.cam_from_world.rotation * normal, p);
  const double uu = u - 0.5, vv = v - 0.5;
  const int x0 = int(std::floor(uu)), y0 = int(std::floor(vv));
  const double ax = uu - x0, ay = vv - y0;
  const Image& image = view.image;
  const int channels = image.channels;
  Eigen::Vector3f sum = Eigen::Vector3f::Zero();
  float wsum = 0;
  for (int dy = 0; dy <= 1; ++dy) {
    for (int dx = 0; dx <= 1; ++dx) {
      const int x = x0 + dx, y = y0 + dy;
      if (x < 0 || y < 0 || x >= w || y >= h) continue;
      const float weight = float((dx ? ax : 1 - ax) * (dy ? ay : 1 - ay));
      if (weight <= 0) continue;
      if (!plane.Agrees(depth, x, y)) continue;
      const std::uint8_t* px = &image.pixels[(std::size_t(y) * image.width + x) * channels];
      for (int k = 0; k < 3; ++k) sum[k] += weight * float(px[std::min(k, channels - 1)]);
      wsum += weight;
    }
  }
  if (wsum > 0) {
    out.rgb = sum / wsum;
    out.weight = wsum;
  }
  return out;
}

namespace {

/// How much of one face one view sees (RescueHiddenFaces).
struct SeenBy {
  std::int32_t view;
  int seen;         ///< of the face's 4 sample points
  float area, gsd;  ///< projected area (pixels^2), ground sampling distance
};

bool SeenMoreFirst(const SeenBy& x, const SeenBy& y) {
  return x.seen != y.seen ? x.seen > y.seen : x.area > y.area;
}

/// Four points of face `f` (the centroid and the points 80 % of the way to each corner) tested
/// with SampleVisible in view `v`: nullopt when fewer than `min_seen` are seen, the face is
/// degenerate, a corner lies behind the camera or – with `require_facing` – the face does not
/// face the camera (cosine at most `min_view_cosine`).
std::optional<SeenBy> SeenByView(const Mesh& mesh, std::size_t f,
                                 const std::vector<TextureView>& views,
                                 const std::vector<ViewDepth>& depths, std::size_t v,
                                 bool require_facing, double min_view_cosine, int min_seen) {
  if (depths[v].Empty()) return std::nullopt;
  const Face& face = mesh.faces[f];
  const Eigen::Vector3d a = mesh.vertices[face[0]].cast<double>();
  const Eigen::Vector3d b = mesh.vertices[face[1]].cast<double>();
  const Eigen::Vector3d c = mesh.vertices[face[2]].cast<double>();
  Eigen::Vector3d n = (b - a).cross(c - a);
  const double n_len = n.norm();
  if (!(n_len > 0)) return std::nullopt;
  n /= n_len;
  const Eigen::Vector3d centroid = (a + b + c) / 3.0;
  const Eigen::Vector3d to_cam = CameraCenter(views[v].cam_from_world) - centroid;
  if (require_facing && !(n.dot(to_cam) > min_view_cosine * to_cam.norm())) return std::nullopt;
  const Eigen::Vector3d points[4] = {centroid, centroid + 0.8 * (a - centroid),
                                     centroid + 0.8 * (b - centroid),
                                     centroid + 0.8 * (c - centroid)};
  int seen = 0;
  for (const Eigen::Vector3d& p : points) {
    seen += SampleVisible(views[v], depths[v], p, n).weight >= kSeenWeight;
  }
  if (seen < min_seen) return std::nullopt;
  Eigen::Vector2d px[3];
  double depth_sum = 0, d = 0;
  for (int k = 0; k < 3; ++k) {
    if (!ProjectToPixel(views[v], mesh.vertices[face[k]].cast<double>(), &px[k], &d)) {
      return std::nullopt;
    }
    depth_sum += d;
  }
  const double area = 0.5 * std::abs((px[1] - px[0]).x() * (px[2] - px[0]).y() -
                                     (px[1] - px[0]).y() * (px[2] - px[0]).x());
  const Camera& cam = views[v].camera;
  return SeenBy{std::int32_t(v), seen, float(area),
                float(depth_sum / 3.0 / (0.5 * (cam.FocalX() + cam.FocalY())))};
}

}  // namespace

RescuedFaces RescueHiddenFaces(const Mesh& mesh, const std::vector<TextureView>& views,
                               const std::vector<ViewDepth>& depths, const FaceAdjacency& adjacency,
                               double min_view_cosine, int max_views,
                               std::vector<std::int32_t>& labels, FaceCandidates& candidates) {
  const std::size_t nf = mesh.faces.size();
  const std::size_t max_k = std::size_t(std::max(max_views, 1));
  std::vector<std::vector<SeenBy>> found(nf);
  auto keep_best = [&](std::vector<SeenBy>& list) {
    std::sort(list.begin(), list.end(), SeenMoreFirst);
    if (list.size() > max_k) list.resize(max_k);
  };
  // 1. Every view the face faces.
  tbb::parallel_for(std::size_t{0}, nf, [&](std::size_t f) {
    if (labels[f] >= 0) return;
    for (std::size_t v = 0; v < views.size(); ++v) {
      if (auto s = SeenByView(mesh, f, views, depths, v, true, min_view_cosine, 1)) {
        found[f].push_back(*s);
      }
    }
    keep_best(found[f]);
  });
  RescuedFaces out;
  for (std::size_t f = 0; f < nf; ++f) {
    if (labels[f] < 0 && !found[f].empty()) {
      labels[f] = found[f].front().view;
      ++out.rescued;
    }
  }
  // 2. Faces turned away from every view that sees them (a surface's noise tilts small faces
  // past the cameras' lines of sight) take a view of an edge neighbour in which they are the
  // nearest surface at one of their points (kAdoptMinSeen), facing it or not: a face truly on the
  // far side of something fails that depth test. A few rounds, so that a patch fills from its rim.
  for (int round = 0; round < kAdoptRounds; ++round) {
    const std::vector<std::int32_t> before = labels;
    tbb::parallel_for(std::size_t{0}, nf, [&](std::size_t f) {
      if (before[f] >= 0) return;
      std::int32_t tried[8];
      int num_tried = 0;
      for (std::uint32_t i = adjacency.offsets[f]; i < adjacency.offsets[f + 1]; ++i) {
        const std::int32_t v = before[adjacency.neighbors[i]];
        if (v < 0 || num_tried == 8 ||
            std::find(tried, tried + num_tried, v) != tried + num_tried) {
          continue;
        }
        tried[num_tried++] = v;
        if (auto s = SeenByView(mesh, f, views, depths, std::size_t(v), false, min_view_cosine,
                                kAdoptMinSeen)) {
          found[f].push_back(*s);
        }
      }
      keep_best(found[f]);
    });
    std::size_t adopted = 0;
    for (std::size_t f = 0; f < nf; ++f) {
      if (labels[f] < 0 && !found[f].empty()) {
        labels[f] = found[f].front().view;
        ++adopted;
      }
    }
    out.adopted += adopted;
    if (adopted == 0) break;
  }
  // The candidate lists of the faces given a view are replaced by the views that see them.
  FaceCandidates rebuilt;
  rebuilt.visible_pairs = candidates.visible_pairs;
  rebuilt.occlusion_tests = candidates.occlusion_tests;
  rebuilt.excluded_pairs = candidates.excluded_pairs;
  rebuilt.partly_hidden_pairs = candidates.partly_hidden_pairs;
  rebuilt.offsets.assign(nf + 1, 0);
  for (std::size_t f = 0; f < nf; ++f) {
    std::size_t n = found[f].size();
    if (n == 0) n = candidates.offsets[f + 1] - candidates.offsets[f];
    rebuilt.offsets[f + 1] = rebuilt.offsets[f] + std::uint32_t(n);
  }
  rebuilt.views.resize(rebuilt.offsets[nf]);
  rebuilt.quality.resize(rebuilt.offsets[nf]);
  rebuilt.gsd.resize(rebuilt.offsets[nf]);
  for (std::size_t f = 0; f < nf; ++f) {
    std::uint32_t o = rebuilt.offsets[f];
    if (!found[f].empty()) {
      for (const SeenBy& e : found[f]) {
        rebuilt.views[o] = e.view, rebuilt.quality[o] = e.area, rebuilt.gsd[o] = e.gsd;
        ++o;
      }
      continue;
    }
    for (std::uint32_t i = candidates.offsets[f]; i < candidates.offsets[f + 1]; ++i, ++o) {
      rebuilt.views[o] = candidates.views[i];
      rebuilt.quality[o] = candidates.quality[i];
      rebuilt.gsd[o] = candidates.gsd[i];
    }
  }
  // So are their consensus voters, where photo-consistency kept those apart.
  if (!candidates.consensus_offsets.empty()) {
    rebuilt.consensus_offsets.assign(nf + 1, 0);
    for (std::size_t f = 0; f < nf; ++f) {
      const std::size_t n =
          found[f].empty() ? candidates.consensus_offsets[f + 1] - candidates.consensus_offsets[f]
                           : found[f].size();
      rebuilt.consensus_offsets[f + 1] = rebuilt.consensus_offsets[f] + std::uint32_t(n);
    }
    rebuilt.consensus_views.resize(rebuilt.consensus_offsets[nf]);
    for (std::size_t f = 0; f < nf; ++f) {
      std::uint32_t o = rebuilt.consensus_offsets[f];
      for (const SeenBy& e : found[f]) rebuilt.consensus_views[o++] = e.view;
      if (!found[f].empty()) continue;
      for (std::uint32_t i = candidates.consensus_offsets[f];
           i < candidates.consensus_offsets[f + 1]; ++i) {
        rebuilt.consensus_views[o++] = candidates.consensus_views[i];
      }
    }
  }
  candidates = std::move(rebuilt);
  return out;
}

}  // namespace muta::reconstruct::tex
