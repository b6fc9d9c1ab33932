#include "reconstruct/texture/photo_refine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <utility>

#include <tbb/parallel_for.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/ply_io.h"
#include "core/pose.h"
#include "core/progress.h"
#include "core/vertex_rings.h"
#include "reconstruct/texture/texel_visibility.h"
#include "reconstruct/texture/view_selection.h"

namespace muta::reconstruct {
namespace fs = std::filesystem;
namespace {

using tex::kDepthRelative;
using tex::ProjectToPixel;
using tex::RasterizeDepths;
using tex::ViewDepth;

struct Grey {
  int width = 0, height = 0;
  std::vector<float> v;
  // Bilinear at COLMAP pixel coordinates (centre of the top-left pixel at 0.5, 0.5); false
  // outside the image.
  bool Sample(double x, double y, float* out) const {
    const double fx = x - 0.5, fy = y - 0.5;
    if (!(fx >= 0 && fy >= 0 && fx < width - 1 && fy < height - 1)) return false;
    const int x0 = int(fx), y0 = int(fy);
    const float ax = float(fx - x0), ay = float(fy - y0);
    const float* r0 = &v[std::size_t(y0) * width + x0];
    const float* r1 = r0 + width;
    *out = (1 - ay) * ((1 - ax) * r0[0] + ax * r0[1]) + ay * ((1 - ax) * r1[0] + ax * r1[1]);
    return true;
  }
};

Grey ToGrey(const Image& image) {
  Grey g;
  g.width = image.width;
  g.height = image.height;
  g.v = Luma(image);
  return g;
}

double Ncc(const std::vector<float>& a, const std::vector<float>& b) {
  const double n = double(a.size());
  double sa = 0, sb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sa += a[i];
    sb += b[i];
  }
  const double ma = sa / n, mb = sb / n;
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double da = a[i] - ma, db = b[i] - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  if (aa <= 1e-6 || bb <= 1e-6) return -1;
  return ab / std::sqrt(aa * bb);
}

constexpr int kFoldHalvings = 4;
constexpr float kNoScore = -2.0f;

struct SeenBy {
  int view;
  double resolution;  // cosine x focal / depth: pixels per scene unit, facing
};

}  // namespace

void PhotoRefineOptions::Check() const {
  MUTA_CHECK(rounds >= 0) << "photometric refinement: rounds must be >= 0";
  MUTA_CHECK(sweep_pixels > 0 && steps >= 1) << "photometric refinement: sweep must be > 0";
  MUTA_CHECK(patch >= 3 && patch % 2 == 1) << "photometric refinement: patch must be odd, >= 3";
}

Json PhotoRefine(Mesh& mesh, const std::vector<TextureView>& views,
                 const PhotoRefineOptions& options, Progress& progress) {
  options.Check();
  const auto start = std::chrono::steady_clock::now();
  const std::size_t nv = mesh.vertices.size();
  std::vector<Grey> grey(views.size());
  tbb::parallel_for(std::size_t{0}, views.size(),
                    [&](std::size_t v) { grey[v] = ToGrey(views[v].image); });
  std::vector<Eigen::Vector3d> centres(views.size());
  for (std::size_t v = 0; v < views.size(); ++v) {
    centres[v] = views[v].cam_from_world.Inverse().translation;
  }
  // Vertex neighbours for the smoothing.
  const std::vector<std::vector<std::uint32_t>> neighbours =
      VertexRings<std::uint32_t>(nv, mesh.faces);

  Json rounds = Json::array();
  const int r = options.patch / 2;
  const std::size_t patch_n = std::size_t(options.patch) * options.patch;
  for (int round = 0; round < options.rounds; ++round) {
    CheckInterrupted();
    mesh.ComputeVertexNormals();
    const std::vector<ViewDepth> depths =
        RasterizeDepths(mesh, views, std::vector<std::uint8_t>(views.size(), 1), progress);
    std::vector<double> offset(nv, 0.0), weight(nv, 0.0);
    const std::size_t span = std::size_t(2 * options.steps + 1);
    // Per vertex the score of every offset (kNoScore: not measured) and the offset step.
    std::vector<float> curve(nv * span, kNoScore);
    std::vector<double> step(nv, 0.0);
    std::atomic<std::size_t> matched{0};
    const double sweep = options.sweep_pixels / double(1 << round);
    progress.Begin(
        fmt::format("mesh: photometric refinement, round {} of {}", round + 1, options.rounds), nv,
        "vertices");
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, nv, 512), [&](const auto& range) {
      std::vector<SeenBy> seen;
      std::vector<float> ref(patch_n), other(patch_n);
      std::vector<Eigen::Vector3d> pts(patch_n);
      std::vector<double> scores(2 * options.steps + 1);
      for (std::size_t i = range.begin(); i < range.end(); ++i) {
        const Eigen::Vector3d p = mesh.vertices[i].cast<double>();
        Eigen::Vector3d n = mesh.normals[i].cast<double>();
        if (!(n.squaredNorm() > 0.5)) continue;
        n.normalize();
        seen.clear();
        for (std::size_t v = 0; v < views.size(); ++v) {
          const Eigen::Vector3d to_cam = (centres[v] - p).normalized();
          const double cosine = n.dot(to_cam);
          if (cosine < options.min_view_cosine) continue;
          Eigen::Vector2d px;
          double depth = 0;
          if (!ProjectToPixel(views[v], p, &px, &depth)) continue;
          const int x = int(std::floor(px.x())), y = int(std::floor(px.y()));
          if (x < r + 2 || y < r + 2 || x >= grey[v].width - r - 2 || y >= grey[v].height - r - 2)
            continue;
          const double f = views[v].camera.FocalX();
          const float dm = depths[v].at(x, y);
          if (depth > dm + kDepthRelative * depth + 2 * depth / f) continue;  // hidden
          seen.push_back({int(v), cosine * f / depth});
        }
        if (seen.size() < 2) continue;
        std::sort(seen.begin(), seen.end(),
                  [](const SeenBy& a, const SeenBy& b) { return a.resolution > b.resolution; });
        Eigen::Vector3d t1 = n.unitOrthogonal(), t2 = n.cross(t1);
        // Only views that see the whole patch (its corners pass the depth test): near a depth
        // step the patch would straddle the surface in front.
        {
          const double reach = r / seen[0].resolution;
          std::erase_if(seen, [&](const SeenBy& s) {
            const double f = views[s.view].camera.FocalX();
            for (const double a : {-reach, reach})
              for (const double b : {-reach, reach}) {
                Eigen::Vector2d px;
                double depth = 0;
                if (!ProjectToPixel(views[s.view], p + a * t1 + b * t2, &px, &depth)) return true;
                const int x = int(std::floor(px.x())), y = int(std::floor(px.y()));
                if (x < 0 || y < 0 || x >= grey[s.view].width || y >= grey[s.view].height)
                  return true;
                if (depth > depths[s.view].at(x, y) + kDepthRelative * depth + 2 * depth / f)
                  return true;
              }
            return false;
          });
        }
        if (seen.size() < 2) continue;
        const TextureView& rv = views[seen[0].view];
        const double pixel = 1.0 / seen[0].resolution;  // scene units per reference pixel
        // The patch in the tangent plane, one reference pixel apart (projected footprint).
        const double h = sweep * pixel / options.steps;
        double best = kNoScore;
        double ref_sd = 0;
        for (int j = -options.steps; j <= options.steps; ++j) {
          const Eigen::Vector3d c = p + (j * h) * n;
          std::size_t k = 0;
          for (int b = -r; b <= r; ++b)
            for (int a = -r; a <= r; ++a) pts[k++] = c + (a * pixel) * t1 + (b * pixel) * t2;
          bool ok = true;
          for (std::size_t q = 0; q < patch_n && ok; ++q) {
            Eigen::Vector2d px;
            ok = ProjectToPixel(rv, pts[q], &px, nullptr) &&
                 grey[seen[0].view].Sample(px.x(), px.y(), &ref[q]);
          }
          double score = kNoScore;
          if (ok) {
            double sum = 0;
            int count = 0;
            for (std::size_t s = 1; s < seen.size(); ++s) {
              bool in = true;
              for (std::size_t q = 0; q < patch_n && in; ++q) {
                Eigen::Vector2d px;
                in = ProjectToPixel(views[seen[s].view], pts[q], &px, nullptr) &&
                     grey[seen[s].view].Sample(px.x(), px.y(), &other[q]);
              }
              if (!in) continue;
              sum += Ncc(ref, other);
              ++count;
            }
            if (count > 0) score = sum / count;
            if (j == 0) {
              double m = 0, m2 = 0;
              for (float g : ref) {
                m += g;
                m2 += double(g) * g;
              }
              m /= double(patch_n);
              ref_sd = std::sqrt(std::max(0.0, m2 / double(patch_n) - m * m));
            }
          }
          scores[std::size_t(j + options.steps)] = score;
          best = std::max(best, score);
        }
        if (best <= kNoScore || ref_sd < options.min_contrast) continue;
        step[i] = h;
        for (std::size_t k = 0; k < span; ++k) curve[i * span + k] = float(scores[k]);
      }
      progress.Advance(range.size());
    });
    progress.End();
    // Cost aggregation over the mesh: each vertex's curve averaged with its neighbours' (a
    // ring per pass) – a 5 x 5 patch alone matches noisily.
    for (int pass = 0; pass < options.aggregation_rings; ++pass) {
      std::vector<float> next(curve.size(), kNoScore);
      tbb::parallel_for(std::size_t{0}, nv, [&](std::size_t i) {
        if (step[i] <= 0) return;
        for (std::size_t k = 0; k < span; ++k) {
          double sum = 0;
          int count = 0;
          auto add = [&](std::size_t v) {
            const float c = curve[v * span + k];
            if (c > kNoScore) {
              sum += c;
              ++count;
            }
          };
          add(i);
          for (const std::uint32_t n : neighbours[i]) add(n);
          if (count > 0) next[i * span + k] = float(sum / count);
        }
      });
      curve.swap(next);
    }
    tbb::parallel_for(std::size_t{0}, nv, [&](std::size_t i) {
      if (step[i] <= 0) return;
      const float* c = &curve[i * span];
      const std::size_t best_k = std::size_t(std::max_element(c, c + span) - c);
      const double best = c[best_k];
      if (best < options.min_ncc) return;
      if (best_k == 0 || best_k + 1 == span) return;  // no peak inside the sweep
      const double s0 = c[best_k - 1], s1 = c[best_k], s2 = c[best_k + 1];
      if (s0 <= kNoScore || s2 <= kNoScore) return;
      double sub = 0;
      const double denom = s0 - 2 * s1 + s2;
      if (denom < 0) sub = std::clamp(0.5 * (s0 - s2) / denom, -0.5, 0.5);
      offset[i] = (double(best_k) - options.steps + sub) * step[i];
      weight[i] = (best - options.min_ncc) / (1 - options.min_ncc);
      matched.fetch_add(1, std::memory_order_relaxed);
    });
    // Confidence-weighted smoothing of the offsets (Jacobi).
    std::vector<double> d(nv), next(nv);
    for (std::size_t i = 0; i < nv; ++i) d[i] = weight[i] > 0 ? offset[i] : 0.0;
    for (int it = 0; it < options.smoothing_iterations; ++it) {
      tbb::parallel_for(std::size_t{0}, nv, [&](std::size_t i) {
        double sum = weight[i] * offset[i], w = weight[i];
        for (const std::uint32_t j : neighbours[i]) {
          sum += options.smoothing * d[j];
          w += options.smoothing;
        }
        next[i] = w > 0 ? sum / w : 0.0;
      });
      d.swap(next);
    }
    // No fold: a face the moves would turn over halves its corners' moves (up to
    // kFoldHalvings times, then they stay).
    const std::vector<Vec3f> from = mesh.vertices;
    auto moved_to = [&](std::uint32_t v) {
      return Vec3f(from[v] + (d[v] * mesh.normals[v].cast<double>()).cast<float>());
    };
    // A face's (area-weighted) normal before and after the moves.
    auto normals_of = [&](const Face& f) {
      const Vec3f a = moved_to(f[0]);
      return std::pair<Vec3f, Vec3f>((from[f[1]] - from[f[0]]).cross(from[f[2]] - from[f[0]]),
                                     (moved_to(f[1]) - a).cross(moved_to(f[2]) - a));
    };
    std::size_t held = 0;
    for (int pass = 0; pass <= kFoldHalvings; ++pass) {
      std::vector<std::uint8_t> shrink(nv, 0);
      std::size_t folds = 0;
      for (const Face& f : mesh.faces) {
        const auto [before, after] = normals_of(f);
        if (before.squaredNorm() == 0 || after.dot(before) > 0) continue;  // degenerate: none
        ++folds;
        for (const std::uint32_t v : f) shrink[v] = 1;
      }
      if (folds == 0) break;
      for (std::size_t i = 0; i < nv; ++i) {
        if (!shrink[i]) continue;
        d[i] = pass < kFoldHalvings ? 0.5 * d[i] : 0.0;
        held += pass == kFoldHalvings;
      }
    }
    // Faces turned by more than 45 degrees: the roughness the moves added.
    std::size_t turned = 0;
    for (const Face& f : mesh.faces) {
      const auto [before, after] = normals_of(f);
      turned += after.dot(before) < std::cos(0.25 * M_PI) * after.norm() * before.norm();
    }
    double moved = 0;
    for (std::size_t i = 0; i < nv; ++i) {
      mesh.vertices[i] = moved_to(std::uint32_t(i));
      moved += std::abs(d[i]);
    }
    rounds.push_back({{"matched", matched.load()},
                      {"mean_offset", nv ? moved / nv : 0.0},
                      {"held_vertices", held},
                      {"turned_faces", turned}});
  }
  mesh.ComputeVertexNormals();
  return {
      {"rounds", rounds},
      {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}};
}

Json RefineMeshPhotometric(const fs::path& dense_dir, const PhotoRefineOptions& options,
                           Progress& progress) {
  options.Check();
  const fs::path mesh_path = dense_dir / "mesh.ply";
  Mesh mesh = ReadPlyMesh(mesh_path);
  const std::vector<TextureView> views = LoadTextureViews(dense_dir, progress);
  Json figures = PhotoRefine(mesh, views, options, progress);
  WritePly(mesh_path, mesh);
  const Json& rounds = figures["rounds"];
  spdlog::info(
      "mesh: photometric refinement of {} vertices from {} views, {} rounds: {} matched in the "
      "first, mean move {:.3g} then {:.3g} (scene units), {:.1f} s",
      mesh.NumVertices(), views.size(), options.rounds,
      rounds.empty() ? 0 : rounds[0]["matched"].get<std::size_t>(),
      rounds.empty() ? 0.0 : rounds[0]["mean_offset"].get<double>(),
      rounds.empty() ? 0.0 : rounds.back()["mean_offset"].get<double>(),
      figures["seconds"].get<double>());
  return figures;
}

}  // namespace muta::reconstruct
