#include "reconstruct/texture/view_selection.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/ray_bvh.h"

namespace muta::reconstruct::tex {
namespace {

constexpr float kGradientFloor = 1.0f;     // grey levels per pixel added to the mean gradient
constexpr double kOcclusionMargin = 1e-4;  // shadow rays stop this fraction short of the face
constexpr double kDamping = 0.5;           // weight of the new message in BP updates
constexpr int kIcmSweeps = 2;
// Corner occlusion tests aim at points this fraction of the way from the centroid to each
// corner: exactly at a corner the ray would graze the neighbouring faces.
constexpr double kCornerInset = 0.9;
// Photo-consistency (exclude_outlier_views): mean-shift bandwidth in RGB levels (Euclidean),
// and the distance from the mode, in bandwidths, beyond which a view's colour is an outlier.
constexpr double kColourBandwidth = 20.0;
constexpr double kOutlierBandwidths = 3.0;
constexpr int kMeanShiftIterations = 10;

// What the candidate search needs of a view, precomputed.
struct ViewGeometry {
  Eigen::Matrix3d rotation;
  Eigen::Vector3d translation;
  Eigen::Vector3d center;
  double fx, fy, cx, cy;
  int width, height;
};

ViewGeometry MakeGeometry(const TextureView& v) {
  ViewGeometry g;
  g.rotation = v.cam_from_world.rotation.toRotationMatrix();
  g.translation = v.cam_from_world.translation;
  g.center = CameraCenter(v.cam_from_world);
  g.fx = v.camera.FocalX();
  g.fy = v.camera.FocalY();
  g.cx = v.camera.PrincipalX();
  g.cy = v.camera.PrincipalY();
  g.width = v.camera.width;
  g.height = v.camera.height;
  return g;
}

float SampleFloat(const std::vector<float>& img, int w, int h, double x, double y) {
  const double u = std::clamp(x - 0.5, 0.0, double(w - 1));
  const double v = std::clamp(y - 0.5, 0.0, double(h - 1));
  const int x0 = int(u), y0 = int(v);
  const int x1 = std::min(x0 + 1, w - 1), y1 = std::min(y0 + 1, h - 1);
  const float fx = float(u - x0), fy = float(v - y0);
  const float a = img[std::size_t(y0) * w + x0], b = img[std::size_t(y0) * w + x1];
  const float c = img[std::size_t(y1) * w + x0], d = img[std::size_t(y1) * w + x1];
  return (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * c + fx * d);
}

// Calls fn(pixel index) for every pixel whose centre lies inside the triangle (p0, p1, p2)
// (pixel coordinates) in a w x h image.
template <typename Fn>
void ForPixelsInTriangle(int w, int h, const Eigen::Vector2d p[3], Fn&& fn) {
  const double min_x = std::min({p[0].x(), p[1].x(), p[2].x()});
  const double max_x = std::max({p[0].x(), p[1].x(), p[2].x()});
  const double min_y = std::min({p[0].y(), p[1].y(), p[2].y()});
  const double max_y = std::max({p[0].y(), p[1].y(), p[2].y()});
  const int x0 = std::max(0, int(std::ceil(min_x - 0.5)));
  const int x1 = std::min(w - 1, int(std::floor(max_x - 0.5)));
  const int y0 = std::max(0, int(std::ceil(min_y - 0.5)));
  const int y1 = std::min(h - 1, int(std::floor(max_y - 0.5)));
  if (x0 > x1 || y0 > y1) return;
  const double area2 =
      (p[1] - p[0]).x() * (p[2] - p[0]).y() - (p[1] - p[0]).y() * (p[2] - p[0]).x();
  if (area2 == 0) return;
  const double sign = area2 > 0 ? 1 : -1;
  auto edge = [&](const Eigen::Vector2d& a, const Eigen::Vector2d& b, double x, double y) {
    return sign * ((b.x() - a.x()) * (y - a.y()) - (b.y() - a.y()) * (x - a.x()));
  };
  for (int y = y0; y <= y1; ++y) {
    const double py = y + 0.5;
    for (int x = x0; x <= x1; ++x) {
      const double px = x + 0.5;
      if (edge(p[0], p[1], px, py) >= 0 && edge(p[1], p[2], px, py) >= 0 &&
          edge(p[2], p[0], px, py) >= 0) {
        fn(std::size_t(y) * w + x);
      }
    }
  }
}

// Sum of `img` over the pixel centres inside the triangle and the number of those pixels.
void SumOverTriangle(const std::vector<float>& img, int w, int h, const Eigen::Vector2d p[3],
                     double* sum, int* count) {
  *sum = 0;
  *count = 0;
  ForPixelsInTriangle(w, h, p, [&](std::size_t i) {
    *sum += img[i];
    ++*count;
  });
}

// Mean RGB of `image` over the pixel centres inside the triangle; the bilinear sample at its
// centroid when no pixel centre is inside.
Eigen::Vector3f MeanColour(const Image& image, const Eigen::Vector2d p[3]) {
  Eigen::Vector3d sum = Eigen::Vector3d::Zero();
  int count = 0;
  const int c = image.channels;
  ForPixelsInTriangle(image.width, image.height, p, [&](std::size_t i) {
    for (int k = 0; k < 3; ++k) sum[k] += image.pixels[i * c + std::min(k, c - 1)];
    ++count;
  });
  if (count > 0) return (sum / count).cast<float>();
  const Eigen::Vector2d centre = (p[0] + p[1] + p[2]) / 3.0;
  return SampleBilinear(image, centre.x(), centre.y());
}

}  // namespace

std::vector<std::uint8_t> PhotoConsistentViews(const std::vector<Eigen::Vector3f>& colours) {
  const std::size_t n = colours.size();
  std::vector<std::uint8_t> keep(n, 1);
  if (n < 3) return keep;  // no majority to tell the odd one out
  const double inv = 1.0 / (2.0 * kColourBandwidth * kColourBandwidth);
  // Mean shift from every view's colour; the mode with the largest kernel support wins.
  Eigen::Vector3d best_mode = Eigen::Vector3d::Zero();
  double best_support = -1;
  for (std::size_t s = 0; s < n; ++s) {
    Eigen::Vector3d mode = colours[s].cast<double>();
    for (int it = 0; it < kMeanShiftIterations; ++it) {
      Eigen::Vector3d sum = Eigen::Vector3d::Zero();
      double wsum = 0;
      for (const Eigen::Vector3f& c : colours) {
        const double w = std::exp(-(c.cast<double>() - mode).squaredNorm() * inv);
        sum += w * c.cast<double>();
        wsum += w;
      }
      const Eigen::Vector3d next = sum / wsum;  // wsum >= the start's own weight > 0
      const bool converged = (next - mode).norm() < 0.01;
      mode = next;
      if (converged) break;
    }
    double support = 0;
    for (const Eigen::Vector3f& c : colours) {
      support += std::exp(-(c.cast<double>() - mode).squaredNorm() * inv);
    }
    if (support > best_support) {
      best_support = support;
      best_mode = mode;
    }
  }
  const double limit = kOutlierBandwidths * kColourBandwidth;
  std::size_t inliers = 0;
  for (std::size_t i = 0; i < n; ++i) {
    keep[i] = (colours[i].cast<double>() - best_mode).norm() <= limit ? 1 : 0;
    inliers += keep[i];
  }
  // Only a clear majority outvotes the others: otherwise keep every view. Two thirds, not a
  // half: where the mesh is wrong (a face off the true surface) every view sees something else,
  // and a bare majority of them (on the synthetic gate, views that see something bright behind a
  // broken eave) outvoted the others – 0.8 dB lost there; with two thirds the gate gains 0.2 dB
  // over no check and the tree of sceaux-castle still goes (docs/texture.md, section 1).
  if (inliers < 2 || 3 * inliers < 2 * n) std::fill(keep.begin(), keep.end(), 1);
  return keep;
}

FaceAdjacency BuildFaceAdjacency(const Mesh& mesh) {
  const std::size_t nf = mesh.faces.size();
  struct HalfEdge {
    std::uint64_t key;  // (min vertex << 32) | max vertex
    std::uint32_t face;
  };
  std::vector<HalfEdge> half(3 * nf);
  for (std::size_t f = 0; f < nf; ++f) {
    for (int k = 0; k < 3; ++k) {
      std::uint32_t a = mesh.faces[f][k], b = mesh.faces[f][(k + 1) % 3];
      if (a > b) std::swap(a, b);
      half[3 * f + k] = {(std::uint64_t(a) << 32) | b, std::uint32_t(f)};
    }
  }
  std::sort(half.begin(), half.end(), [](const HalfEdge& x, const HalfEdge& y) {
    return x.key != y.key ? x.key < y.key : x.face < y.face;
  });
  FaceAdjacency adj;
  for (std::size_t i = 0; i < half.size();) {
    std::size_t j = i + 1;
    while (j < half.size() && half[j].key == half[i].key) ++j;
    for (std::size_t k = i; k + 1 < j; ++k) {  // a chain over the faces of the edge
      if (half[k].face == half[k + 1].face) continue;
      adj.edges.push_back({half[k].face, half[k + 1].face, std::uint32_t(half[i].key >> 32),
                           std::uint32_t(half[i].key & 0xFFFFFFFFu)});
    }
    i = j;
  }
  adj.offsets.assign(nf + 1, 0);
  for (const FaceEdge& e : adj.edges) {
    ++adj.offsets[e.f1 + 1];
    ++adj.offsets[e.f2 + 1];
  }
  std::partial_sum(adj.offsets.begin(), adj.offsets.end(), adj.offsets.begin());
  adj.neighbors.resize(adj.offsets.back());
  std::vector<std::uint32_t> fill(adj.offsets.begin(), adj.offsets.end() - 1);
  for (const FaceEdge& e : adj.edges) {
    adj.neighbors[fill[e.f1]++] = e.f2;
    adj.neighbors[fill[e.f2]++] = e.f1;
  }
  return adj;
}

std::vector<float> GradientMagnitude(const Image& image) {
  const int w = image.width, h = image.height;
  const std::vector<float> grey = Luma(image);
  std::vector<float> g(grey.size(), 0.0f);
  tbb::parallel_for(0, h, [&](int y) {
    const int ym = std::max(0, y - 1), yp = std::min(h - 1, y + 1);
    for (int x = 0; x < w; ++x) {
      const int xm = std::max(0, x - 1), xp = std::min(w - 1, x + 1);
      const float gx = (grey[std::size_t(y) * w + xp] - grey[std::size_t(y) * w + xm]) * 0.5f;
      const float gy = (grey[std::size_t(yp) * w + x] - grey[std::size_t(ym) * w + x]) * 0.5f;
      g[std::size_t(y) * w + x] = std::sqrt(gx * gx + gy * gy);
    }
  });
  return g;
}

Eigen::Vector3f SampleBilinear(const Image& image, double x, double y) {
  const int w = image.width, h = image.height, c = image.channels;
  const double u = std::clamp(x - 0.5, 0.0, double(w - 1));
  const double v = std::clamp(y - 0.5, 0.0, double(h - 1));
  const int x0 = int(u), y0 = int(v);
  const int x1 = std::min(x0 + 1, w - 1), y1 = std::min(y0 + 1, h - 1);
  const float fx = float(u - x0), fy = float(v - y0);
  Eigen::Vector3f out;
  for (int k = 0; k < 3; ++k) {
    const int ch = std::min(k, c - 1);
    const float a = image.pixels[(std::size_t(y0) * w + x0) * c + ch];
    const float b = image.pixels[(std::size_t(y0) * w + x1) * c + ch];
    const float cc = image.pixels[(std::size_t(y1) * w + x0) * c + ch];
    const float d = image.pixels[(std::size_t(y1) * w + x1) * c + ch];
    out[k] = (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * cc + fx * d);
  }
  return out;
}

bool ProjectToPixel(const TextureView& view, const Eigen::Vector3d& world, Eigen::Vector2d* pixel,
                    double* depth) {
  const Eigen::Vector3d p = view.cam_from_world * world;
  if (!(p.z() > 0)) return false;
  *pixel = Eigen::Vector2d(view.camera.FocalX() * p.x() / p.z() + view.camera.PrincipalX(),
                           view.camera.FocalY() * p.y() / p.z() + view.camera.PrincipalY());
  if (depth != nullptr) *depth = p.z();
  return true;
}

FaceCandidates ComputeCandidates(const Mesh& mesh, const RayBvh& bvh,
                                 const std::vector<TextureView>& views,
                                 const TextureOptions& options, Progress& progress) {
  const std::size_t nf = mesh.faces.size();
  const std::size_t max_k = std::size_t(options.max_views_per_face);
  std::vector<ViewGeometry> geo;
  std::vector<std::vector<float>> gradients(views.size());
  progress.Begin("texture: gradients", views.size(), "views");
  for (const TextureView& v : views) geo.push_back(MakeGeometry(v));
  tbb::parallel_for(std::size_t{0}, views.size(), [&](std::size_t i) {
    CheckInterrupted();
    gradients[i] = GradientMagnitude(views[i].image);
    progress.Advance();
  });
  progress.End();

  struct Entry {
    std::int32_t view;
    float quality, gsd;
    bool consistent = true;  ///< photo-consistent with the face's other views
  };
  const bool consistency = options.exclude_outlier_views;
  // Fixed max_k slots per face, compacted afterwards; with photo-consistency also the slots of
  // the faces some of whose views were excluded, before the exclusion (for the consensus).
  std::vector<Entry> slots(nf * max_k), slots_all(consistency ? nf * max_k : 0);
  std::vector<std::uint8_t> counts(nf, 0), counts_all(consistency ? nf : 0, 0),
      has_outliers(consistency ? nf : 0, 0);
  std::vector<std::size_t> visible(nf, 0), tests(nf, 0), excluded(nf, 0), partial(nf, 0);
  progress.Begin("texture: visibility and data term", nf, "faces");
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, nf, 1024), [&](const tbb::blocked_range<std::size_t>& r) {
        CheckInterrupted();
        std::vector<Entry> found, kept, hidden_corner;
        std::vector<Eigen::Vector3f> colours;
        std::vector<std::uint8_t> consistent;
        for (std::size_t f = r.begin(); f < r.end(); ++f) {
          found.clear();
          colours.clear();
          const Face& face = mesh.faces[f];
          const Eigen::Vector3d a = mesh.vertices[face[0]].cast<double>();
          const Eigen::Vector3d b = mesh.vertices[face[1]].cast<double>();
          const Eigen::Vector3d c = mesh.vertices[face[2]].cast<double>();
          const Eigen::Vector3d n = (b - a).cross(c - a);
          const double n_len = n.norm();
          if (!(n_len > 0)) continue;  // degenerate: never textured from a view
          const Eigen::Vector3d centroid = (a + b + c) / 3.0;
          const Eigen::Vector3d corners[3] = {a, b, c};
          for (std::size_t vi = 0; vi < views.size(); ++vi) {
            const ViewGeometry& g = geo[vi];
            const Eigen::Vector3d to_cam = g.center - centroid;
            const double dist = to_cam.norm();
            if (!(n.dot(to_cam) > options.min_view_cosine * n_len * dist)) continue;
            Eigen::Vector2d px[3];
            bool inside = true;
            double depth_sum = 0;
            for (int k = 0; k < 3 && inside; ++k) {
              const Eigen::Vector3d p = g.rotation * corners[k] + g.translation;
              if (!(p.z() > 0)) {
                inside = false;
                break;
              }
              px[k] = {g.fx * p.x() / p.z() + g.cx, g.fy * p.y() / p.z() + g.cy};
              depth_sum += p.z();
              inside = px[k].x() >= 0.5 && px[k].y() >= 0.5 && px[k].x() <= g.width - 0.5 &&
                       px[k].y() <= g.height - 0.5;
            }
            if (!inside) continue;
            ++tests[f];
            if (bvh.Occluded(g.center, -to_cam, 0, 1.0 - kOcclusionMargin)) continue;
            ++visible[f];
            const double area = 0.5 * std::abs((px[1] - px[0]).x() * (px[2] - px[0]).y() -
                                               (px[1] - px[0]).y() * (px[2] - px[0]).x());
            double sum = 0;
            int count = 0;
            SumOverTriangle(gradients[vi], g.width, g.height, px, &sum, &count);
            const Eigen::Vector2d pc = (px[0] + px[1] + px[2]) / 3.0;
            const double mean_gradient =
                count > 0 ? sum / count
                          : SampleFloat(gradients[vi], g.width, g.height, pc.x(), pc.y());
            // A face seen obliquely is squeezed in the image, which steepens its gradients by
            // up to 1 / cos: undo that, or edge-on views would look sharp.
            const double cosine = n.dot(to_cam) / (n_len * dist);
            const double q = area * (cosine * mean_gradient + kGradientFloor);
            const double gsd = (depth_sum / 3.0) / (0.5 * (g.fx + g.fy));
            found.push_back({std::int32_t(vi), float(q), float(gsd)});
            if (consistency) colours.push_back(MeanColour(views[vi].image, px));
          }
          // Photo-consistency: views whose colour of the face is far from the views' mode
          // (a passer-by, a tree in front of the wall in some photographs) may not texture it.
          bool outliers = false;
          if (consistency && found.size() >= 3) {
            consistent = PhotoConsistentViews(colours);
            for (std::size_t i = 0; i < found.size(); ++i) {
              found[i].consistent = consistent[i] != 0;
              outliers |= !found[i].consistent;
            }
          }
          std::sort(found.begin(), found.end(),
                    [](const Entry& x, const Entry& y) { return x.quality > y.quality; });
          // The views of `in` that serve the face, best first, into its max_k slots of `out`.
          auto cull = [&](const std::vector<Entry>& in, std::vector<Entry>& out_slots,
                          std::vector<std::uint8_t>& out_counts, std::size_t& n_tests,
                          std::size_t& n_partial) {
            // Corner occlusion, best views first: a view that sees the centroid but not every
            // corner (the face half hidden behind another part) only serves when no view sees
            // the whole face.
            kept.clear();
            hidden_corner.clear();
            for (const Entry& e : in) {
              if (kept.size() >= max_k) break;
              const Eigen::Vector3d& eye = geo[std::size_t(e.view)].center;
              bool all = true;
              for (int k = 0; k < 3 && all; ++k) {
                const Eigen::Vector3d p = centroid + kCornerInset * (corners[k] - centroid);
                ++n_tests;
                all = !bvh.Occluded(eye, p - eye, 0, 1.0 - kOcclusionMargin);
              }
              (all ? kept : hidden_corner).push_back(e);
            }
            n_partial = hidden_corner.size();
            if (kept.empty()) kept.swap(hidden_corner);
            // Views far worse than the face's best (grazing, distant) never compete: without
            // them the smoothness term cannot drag strips of faces into a smeared view.
            std::size_t k = std::min(kept.size(), max_k);
            while (k > 1 && kept[k - 1].quality < options.min_relative_quality * kept[0].quality) {
              --k;
            }
            std::copy(kept.begin(), kept.begin() + std::ptrdiff_t(k),
                      out_slots.begin() + std::ptrdiff_t(f * max_k));
            out_counts[f] = std::uint8_t(k);
          };
          // The outliers still vote in the consensus median (FaceCandidates::consensus_views),
          // which is robust to them where they are the minority they are here; dropping them
          // there too would leave fewer texels with the three views the median needs.
          if (outliers) {
            std::size_t ignored_tests = 0, ignored_partial = 0;
            cull(found, slots_all, counts_all, ignored_tests, ignored_partial);
            has_outliers[f] = 1;
            std::size_t j = 0;
            for (std::size_t i = 0; i < found.size(); ++i) {
              if (found[i].consistent) found[j++] = found[i];
            }
            excluded[f] = found.size() - j;
            found.resize(j);
          }
          cull(found, slots, counts, tests[f], partial[f]);
        }
        progress.Advance(r.size());
      });
  progress.End();

  FaceCandidates out;
  out.offsets.assign(nf + 1, 0);
  for (std::size_t f = 0; f < nf; ++f) out.offsets[f + 1] = out.offsets[f] + counts[f];
  out.views.resize(out.offsets.back());
  out.quality.resize(out.offsets.back());
  out.gsd.resize(out.offsets.back());
  for (std::size_t f = 0; f < nf; ++f) {
    for (std::size_t k = 0; k < counts[f]; ++k) {
      const Entry& e = slots[f * max_k + k];
      out.views[out.offsets[f] + k] = e.view;
      out.quality[out.offsets[f] + k] = e.quality;
      out.gsd[out.offsets[f] + k] = e.gsd;
    }
    out.visible_pairs += visible[f];
    out.occlusion_tests += tests[f];
    out.excluded_pairs += excluded[f];
    out.partly_hidden_pairs += partial[f];
  }
  if (out.excluded_pairs > 0) {
    // The consensus voters: the face's candidates, then the views excluded from them that would
    // have served it.
    auto voters = [&](std::size_t f, auto&& emit) {
      for (std::size_t k = 0; k < counts[f]; ++k) emit(slots[f * max_k + k].view);
      if (!has_outliers[f]) return;
      for (std::size_t k = 0; k < counts_all[f]; ++k) {
        const Entry& e = slots_all[f * max_k + k];
        if (!e.consistent) emit(e.view);
      }
    };
    out.consensus_offsets.assign(nf + 1, 0);
    for (std::size_t f = 0; f < nf; ++f) {
      std::uint32_t n = 0;
      voters(f, [&](std::int32_t) { ++n; });
      out.consensus_offsets[f + 1] = out.consensus_offsets[f] + n;
    }
    out.consensus_views.resize(out.consensus_offsets.back());
    for (std::size_t f = 0; f < nf; ++f) {
      std::uint32_t o = out.consensus_offsets[f];
      voters(f, [&](std::int32_t v) { out.consensus_views[o++] = v; });
    }
  }
  return out;
}

ViewSelection SelectViews(const FaceCandidates& cand, const FaceAdjacency& adj,
                          const TextureOptions& options) {
  const std::size_t nf = cand.offsets.size() - 1;
  const float w = float(options.smoothness);
  // Label sets: a face without candidates has the single label -1 ("none") at cost 0. Labels
  // are kept sorted by view for the merge walks below; costs follow them.
  std::vector<std::uint32_t> lo(nf + 1, 0);
  for (std::size_t f = 0; f < nf; ++f) {
    lo[f + 1] = lo[f] + std::max<std::uint32_t>(1, cand.offsets[f + 1] - cand.offsets[f]);
  }
  std::vector<std::int32_t> label(lo.back());
  std::vector<float> cost(lo.back());
  tbb::parallel_for(std::size_t{0}, nf, [&](std::size_t f) {
    const std::uint32_t b = cand.offsets[f], e = cand.offsets[f + 1];
    if (b == e) {
      label[lo[f]] = -1;
      cost[lo[f]] = 0;
      return;
    }
    float best = 0;
    for (std::uint32_t i = b; i < e; ++i) best = std::max(best, cand.quality[i]);
    std::vector<std::pair<std::int32_t, float>> tmp;
    for (std::uint32_t i = b; i < e; ++i) {
      tmp.push_back({cand.views[i], best > 0 ? 1.0f - cand.quality[i] / best : 0.0f});
    }
    std::sort(tmp.begin(), tmp.end());
    for (std::size_t i = 0; i < tmp.size(); ++i) {
      label[lo[f] + i] = tmp[i].first;
      cost[lo[f] + i] = tmp[i].second;
    }
  });
  auto k_of = [&](std::size_t f) { return lo[f + 1] - lo[f]; };

  auto energy = [&](const std::vector<std::int32_t>& labels) {
    double e = 0;
    for (std::size_t f = 0; f < nf; ++f) {
      for (std::uint32_t i = lo[f]; i < lo[f + 1]; ++i) {
        if (label[i] == labels[f]) e += cost[i];
      }
    }
    for (const FaceEdge& edge : adj.edges) e += labels[edge.f1] != labels[edge.f2] ? w : 0;
    return e;
  };
  ViewSelection out;
  out.labels.resize(nf);
  for (std::size_t f = 0; f < nf; ++f) {
    const auto first = cost.begin() + lo[f];
    out.labels[f] = label[lo[f] + (std::min_element(first, first + k_of(f)) - first)];
  }
  out.energy_best_view = energy(out.labels);

  // Messages into face g from its j-th neighbour: msg[mo[g] + j * k(g) + l], l over g's labels.
  std::vector<std::size_t> mo(nf + 1, 0);
  for (std::size_t f = 0; f < nf; ++f) {
    mo[f + 1] = mo[f] + std::size_t(adj.offsets[f + 1] - adj.offsets[f]) * k_of(f);
  }
  // reverse[e]: the slot of face f in the neighbour list of its neighbour adj.neighbors[e].
  std::vector<std::uint32_t> reverse(adj.neighbors.size(), 0);
  tbb::parallel_for(std::size_t{0}, nf, [&](std::size_t f) {
    for (std::uint32_t e = adj.offsets[f]; e < adj.offsets[f + 1]; ++e) {
      const std::uint32_t g = adj.neighbors[e];
      std::uint32_t slot = 0;
      for (std::uint32_t s = adj.offsets[g]; s < adj.offsets[g + 1]; ++s) {
        if (adj.neighbors[s] == f) {
          slot = s - adj.offsets[g];
          // Duplicate neighbour pairs (two shared edges) pair up in order.
          bool used = false;
          for (std::uint32_t e2 = adj.offsets[f]; e2 < e; ++e2) {
            if (adj.neighbors[e2] == g && reverse[e2] == slot) used = true;
          }
          if (!used) break;
        }
      }
      reverse[e] = slot;
    }
  });
  std::vector<float> msg(mo.back(), 0.0f), next(mo.back(), 0.0f);
  for (int it = 0; it < options.mrf_iterations; ++it) {
    CheckInterrupted();
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, nf, 2048),
        [&](const tbb::blocked_range<std::size_t>& r) {
          std::vector<float> belief, h;
          for (std::size_t f = r.begin(); f < r.end(); ++f) {
            const std::uint32_t kf = k_of(f);
            const std::uint32_t deg = adj.offsets[f + 1] - adj.offsets[f];
            belief.assign(cost.begin() + lo[f], cost.begin() + lo[f + 1]);
            for (std::uint32_t j = 0; j < deg; ++j) {
              const float* m = &msg[mo[f] + std::size_t(j) * kf];
              for (std::uint32_t l = 0; l < kf; ++l) belief[l] += m[l];
            }
            for (std::uint32_t j = 0; j < deg; ++j) {
              const std::uint32_t g = adj.neighbors[adj.offsets[f] + j];
              const std::uint32_t kg = k_of(g);
              const float* back = &msg[mo[f] + std::size_t(j) * kf];
              h.resize(kf);
              float hmin = std::numeric_limits<float>::max();
              for (std::uint32_t l = 0; l < kf; ++l) {
                h[l] = belief[l] - back[l];
                hmin = std::min(hmin, h[l]);
              }
              float* out_msg = &next[mo[g] + std::size_t(reverse[adj.offsets[f] + j]) * kg];
              const float* old_msg = &msg[mo[g] + std::size_t(reverse[adj.offsets[f] + j]) * kg];
              // Merge walk over the two sorted label lists.
              std::uint32_t i = 0;
              float out_min = std::numeric_limits<float>::max();
              for (std::uint32_t l = 0; l < kg; ++l) {
                const std::int32_t want = label[lo[g] + l];
                while (i < kf && label[lo[f] + i] < want) ++i;
                float v = hmin + w;
                if (i < kf && label[lo[f] + i] == want) v = std::min(v, h[i]);
                out_msg[l] = v;
                out_min = std::min(out_min, v);
              }
              for (std::uint32_t l = 0; l < kg; ++l) {
                out_msg[l] =
                    float(kDamping) * (out_msg[l] - out_min) + float(1 - kDamping) * old_msg[l];
              }
            }
          }
        });
    msg.swap(next);
    ++out.iterations;
  }
  std::vector<std::int32_t> labels(nf);
  if (options.mrf_iterations > 0) {
    tbb::parallel_for(std::size_t{0}, nf, [&](std::size_t f) {
      const std::uint32_t kf = k_of(f);
      const std::uint32_t deg = adj.offsets[f + 1] - adj.offsets[f];
      std::uint32_t best = 0;
      float best_v = std::numeric_limits<float>::max();
      for (std::uint32_t l = 0; l < kf; ++l) {
        float b = cost[lo[f] + l];
        for (std::uint32_t j = 0; j < deg; ++j) b += msg[mo[f] + std::size_t(j) * kf + l];
        if (b < best_v) {
          best_v = b;
          best = l;
        }
      }
      labels[f] = label[lo[f] + best];
    });
    // ICM sweeps: each face takes the label minimising its own data cost plus the Potts cost
    // to its current neighbours (never increases the energy).
    for (int sweep = 0; sweep < kIcmSweeps; ++sweep) {
      for (std::size_t f = 0; f < nf; ++f) {
        float best_v = std::numeric_limits<float>::max();
        std::int32_t best = labels[f];
        for (std::uint32_t l = lo[f]; l < lo[f + 1]; ++l) {
          float v = cost[l];
          for (std::uint32_t e = adj.offsets[f]; e < adj.offsets[f + 1]; ++e) {
            if (labels[adj.neighbors[e]] != label[l]) v += w;
          }
          if (v < best_v) {
            best_v = v;
            best = label[l];
          }
        }
        labels[f] = best;
      }
    }
    const double e = energy(labels);
    if (e <= out.energy_best_view) {
      out.labels = std::move(labels);
      out.energy = e;
    } else {
      out.energy = out.energy_best_view;
    }
  } else {
    out.energy = out.energy_best_view;
  }
  return out;
}

}  // namespace muta::reconstruct::tex
