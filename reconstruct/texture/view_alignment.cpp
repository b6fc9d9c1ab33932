#include "reconstruct/texture/view_alignment.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>

#include <spdlog/spdlog.h>
#include <tbb/parallel_for.h>
#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>

#include "core/error.h"
#include "core/pose.h"
#include "core/progress.h"
#include "reconstruct/texture/texel_visibility.h"

namespace muta::reconstruct {
namespace {

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One level of a view's grey pyramid: luminance, pixel i's centre at (i + 0.5) x 2^level in
// full-size pixels.
struct GreyLevel {
  int width = 0, height = 0;
  std::vector<float> g;
  float at(int x, int y) const { return g[std::size_t(y) * width + x]; }
};

// Bilinear at level coordinates (pixel centres at i + 0.5), clamped to the image.
float Sample(const GreyLevel& level, double u, double v) {
  const double x = std::clamp(u - 0.5, 0.0, double(level.width - 1));
  const double y = std::clamp(v - 0.5, 0.0, double(level.height - 1));
  const int x0 = std::min(int(x), std::max(0, level.width - 2));
  const int y0 = std::min(int(y), std::max(0, level.height - 2));
  const int x1 = std::min(x0 + 1, level.width - 1), y1 = std::min(y0 + 1, level.height - 1);
  const float ax = float(x - x0), ay = float(y - y0);
  return (1 - ay) * ((1 - ax) * level.at(x0, y0) + ax * level.at(x1, y0)) +
         ay * ((1 - ax) * level.at(x0, y1) + ax * level.at(x1, y1));
}

// [1 2 1] / 4 in x and y, edges clamped.
void Blur121(GreyLevel& level) {
  const int w = level.width, h = level.height;
  std::vector<float> tmp(level.g.size());
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      tmp[std::size_t(y) * w + x] = 0.25f * level.at(std::max(x - 1, 0), y) +
                                    0.5f * level.at(x, y) +
                                    0.25f * level.at(std::min(x + 1, w - 1), y);
    }
  }
  for (int y = 0; y < h; ++y) {
    const float* up = &tmp[std::size_t(std::max(y - 1, 0)) * w];
    const float* mid = &tmp[std::size_t(y) * w];
    const float* down = &tmp[std::size_t(std::min(y + 1, h - 1)) * w];
    for (int x = 0; x < w; ++x) {
      level.g[std::size_t(y) * w + x] = 0.25f * up[x] + 0.5f * mid[x] + 0.25f * down[x];
    }
  }
}

std::vector<GreyLevel> BuildPyramid(const Image& image, int levels) {
  std::vector<GreyLevel> pyramid(static_cast<std::size_t>(levels));
  GreyLevel& base = pyramid[0];
  base.width = image.width;
  base.height = image.height;
  base.g.resize(std::size_t(image.width) * image.height);
  const int c = image.channels;
  for (std::size_t i = 0; i < base.g.size(); ++i) {
    const std::uint8_t* px = &image.pixels[i * c];
    base.g[i] = c >= 3 ? 0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2] : float(px[0]);
  }
  Blur121(base);
  for (int l = 1; l < levels; ++l) {
    const GreyLevel& fine = pyramid[std::size_t(l - 1)];
    GreyLevel& coarse = pyramid[std::size_t(l)];
    coarse.width = std::max(1, (fine.width + 1) / 2);
    coarse.height = std::max(1, (fine.height + 1) / 2);
    coarse.g.resize(std::size_t(coarse.width) * coarse.height);
    for (int y = 0; y < coarse.height; ++y) {
      for (int x = 0; x < coarse.width; ++x) {
        float sum = 0;
        int n = 0;
        for (int dy = 0; dy < 2; ++dy) {
          for (int dx = 0; dx < 2; ++dx) {
            const int fx = 2 * x + dx, fy = 2 * y + dy;
            if (fx < fine.width && fy < fine.height) {
              sum += fine.at(fx, fy);
              ++n;
            }
          }
        }
        coarse.g[std::size_t(y) * coarse.width + x] = sum / float(n);
      }
    }
    Blur121(coarse);
  }
  return pyramid;
}

// A displacement field over one image: control points on a regular lattice covering [0, W] x
// [0, H] (full-size pixels), bilinear between them.
struct Lattice {
  int nx = 2, ny = 2;
  double sx = 1, sy = 1;
  std::vector<Eigen::Vector2d> d;

  Lattice(int width, int height, double spacing) {
    nx = std::max(2, int(std::ceil(width / spacing)) + 1);
    ny = std::max(2, int(std::ceil(height / spacing)) + 1);
    sx = double(width) / (nx - 1);
    sy = double(height) / (ny - 1);
    d.assign(std::size_t(nx) * ny, Eigen::Vector2d::Zero());
  }
  void Corners(double u, double v, std::array<int, 4>& idx, std::array<double, 4>& w) const {
    const double fx = std::clamp(u / sx, 0.0, double(nx - 1));
    const double fy = std::clamp(v / sy, 0.0, double(ny - 1));
    const int i = std::min(int(fx), nx - 2), j = std::min(int(fy), ny - 2);
    const double ax = fx - i, ay = fy - j;
    idx = {j * nx + i, j * nx + i + 1, (j + 1) * nx + i, (j + 1) * nx + i + 1};
    w = {(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay};
  }
  Eigen::Vector2d At(double u, double v) const {
    std::array<int, 4> idx;
    std::array<double, 4> w;
    Corners(u, v, idx, w);
    return w[0] * d[std::size_t(idx[0])] + w[1] * d[std::size_t(idx[1])] +
           w[2] * d[std::size_t(idx[2])] + w[3] * d[std::size_t(idx[3])];
  }
};

struct Observation {
  float u, v;  ///< the point's projection, full-size pixels
  std::uint32_t view;
};

// Where an observation is read: its projection displaced by its view's field.
Eigen::Vector2d Displaced(const Lattice& lattice, const Observation& ob) {
  return Eigen::Vector2d(ob.u, ob.v) + lattice.At(ob.u, ob.v);
}

// Surface sample points and the views that see them (point-major).
struct Samples {
  std::vector<std::uint32_t> offsets{0};
  std::vector<Observation> obs;
  std::size_t Points() const { return offsets.size() - 1; }
};

std::uint64_t SplitMix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
double Uniform(std::uint64_t& state) {
  state = SplitMix(state);
  return double(state >> 11) * (1.0 / 9007199254740992.0);
}

// Whether `view` sees `point` (on the plane with unit world normal `normal`) well enough to
// align on it; its projection in (u, v).
bool Sees(const TextureView& view, const tex::ViewDepth& depth, const Eigen::Vector3d& point,
          const Eigen::Vector3d& normal, double min_cosine, double margin, double& u, double& v) {
  const Eigen::Vector3d p = view.cam_from_world * point;
  if (!(p.z() > 1e-4)) return false;
  const Eigen::Vector3d n = view.cam_from_world.rotation * normal;
  // Facing: the normal against the direction to the camera (the camera is at the origin).
  if (!(-n.dot(p) > min_cosine * p.norm())) return false;
  const Camera& cam = view.camera;
  const Eigen::Vector2d uv = cam.Project(p);
  u = uv.x();
  v = uv.y();
  if (!(u >= margin && v >= margin && u <= depth.width - margin && v <= depth.height - margin)) {
    return false;
  }
  // No depth step in the 3 x 3 pixels around the projection: each agrees with the plane.
  const tex::PlaneInView plane(cam, n, p);
  const int xi = int(u), yi = int(v);
  for (int dy = -1; dy <= 1; ++dy) {
    for (int dx = -1; dx <= 1; ++dx) {
      const int x = xi + dx, y = yi + dy;
      if (x < 0 || y < 0 || x >= depth.width || y >= depth.height) return false;
      if (!plane.Agrees(depth, x, y)) return false;
    }
  }
  return true;
}

Samples SamplePoints(const Mesh& mesh, const std::vector<TextureView>& views,
                     const std::vector<tex::ViewDepth>& depths, const ViewAlignmentOptions& options,
                     Json& fig) {
  const std::size_t nf = mesh.NumFaces();
  // Per face: area, unit normal, and the finest pixel footprint of any view it is in front of.
  std::vector<double> area(nf, 0), gsd(nf, 0);
  std::vector<Eigen::Vector3d> normal(nf);
  tbb::parallel_for(std::size_t{0}, nf, [&](std::size_t f) {
    const Face& t = mesh.faces[f];
    const Eigen::Vector3d a = mesh.vertices[t[0]].cast<double>();
    const Eigen::Vector3d b = mesh.vertices[t[1]].cast<double>();
    const Eigen::Vector3d c = mesh.vertices[t[2]].cast<double>();
    Eigen::Vector3d n = (b - a).cross(c - a);
    const double len = n.norm();
    if (!(len > 0)) return;
    area[f] = 0.5 * len;
    normal[f] = n / len;
    const Eigen::Vector3d centroid = (a + b + c) / 3.0;
    double best = std::numeric_limits<double>::infinity();
    for (const TextureView& view : views) {
      const Eigen::Vector3d p = view.cam_from_world * centroid;
      if (!(p.z() > 1e-4)) continue;
      const Camera& cam = view.camera;
      const Eigen::Vector2d uv = cam.Project(p);
      if (uv.x() < 0 || uv.y() < 0 || uv.x() > cam.width || uv.y() > cam.height) continue;
      best = std::min(best, 2.0 * p.z() / (cam.FocalX() + cam.FocalY()));
    }
    if (std::isfinite(best)) gsd[f] = best;
  });
  std::vector<double> seen_gsd;
  double seen_area = 0;
  for (std::size_t f = 0; f < nf; ++f) {
    if (gsd[f] > 0) {
      seen_gsd.push_back(gsd[f]);
      seen_area += area[f];
    }
  }
  Samples out;
  if (seen_gsd.empty()) return out;
  std::nth_element(seen_gsd.begin(), seen_gsd.begin() + std::ptrdiff_t(seen_gsd.size() / 2),
                   seen_gsd.end());
  const double pixel = seen_gsd[seen_gsd.size() / 2];
  const double spacing = std::max(2.0 * pixel, std::sqrt(seen_area / options.max_points));
  fig["sample_spacing"] = spacing;
  fig["sample_spacing_pixels"] = spacing / pixel;

  // Points per face: area / spacing^2, the fraction rounded at random (deterministically).
  std::vector<std::uint32_t> first(nf + 1, 0);
  for (std::size_t f = 0; f < nf; ++f) {
    std::uint32_t n = 0;
    if (gsd[f] > 0) {
      const double expected = area[f] / (spacing * spacing);
      std::uint64_t state = SplitMix(f * 2 + 1);
      n = std::uint32_t(expected) + (Uniform(state) < expected - std::floor(expected) ? 1 : 0);
    }
    first[f + 1] = first[f] + n;
  }
  const std::size_t candidates = first[nf];
  const double margin = options.max_shift_pixels + 2;

  // Visibility per point, in chunks of faces whose observations are joined in order.
  constexpr std::size_t kChunk = 4096;
  const std::size_t chunks = (nf + kChunk - 1) / kChunk;
  std::vector<std::vector<Observation>> chunk_obs(chunks);
  std::vector<std::vector<std::uint32_t>> chunk_counts(chunks);
  tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t ch) {
    CheckInterrupted();
    std::vector<Observation> seen;
    for (std::size_t f = ch * kChunk; f < std::min(nf, (ch + 1) * kChunk); ++f) {
      const std::uint32_t n = first[f + 1] - first[f];
      if (n == 0) continue;
      const Face& t = mesh.faces[f];
      const Eigen::Vector3d a = mesh.vertices[t[0]].cast<double>();
      const Eigen::Vector3d b = mesh.vertices[t[1]].cast<double>();
      const Eigen::Vector3d c = mesh.vertices[t[2]].cast<double>();
      std::uint64_t state = SplitMix(f * 2 + 2);
      for (std::uint32_t k = 0; k < n; ++k) {
        // Uniform over the triangle.
        const double r1 = std::sqrt(Uniform(state)), r2 = Uniform(state);
        const Eigen::Vector3d point = (1 - r1) * a + r1 * (1 - r2) * b + r1 * r2 * c;
        seen.clear();
        for (std::size_t vi = 0; vi < views.size(); ++vi) {
          double u = 0, v = 0;
          if (Sees(views[vi], depths[vi], point, normal[f], options.min_view_cosine, margin, u,
                   v)) {
            seen.push_back({float(u), float(v), std::uint32_t(vi)});
          }
        }
        if (seen.size() < 2) continue;
        chunk_obs[ch].insert(chunk_obs[ch].end(), seen.begin(), seen.end());
        chunk_counts[ch].push_back(std::uint32_t(seen.size()));
      }
    }
  });
  for (std::size_t ch = 0; ch < chunks; ++ch) {
    for (std::uint32_t n : chunk_counts[ch]) out.offsets.push_back(out.offsets.back() + n);
    out.obs.insert(out.obs.end(), chunk_obs[ch].begin(), chunk_obs[ch].end());
    std::vector<Observation>().swap(chunk_obs[ch]);
  }
  fig["candidate_points"] = candidates;
  return out;
}

// Per view: its observations (indices into Samples::obs) and the point of each.
struct ViewObservations {
  std::vector<std::uint32_t> obs;
  std::vector<std::uint32_t> point;
};

// Root-mean-square difference between each observation's grey value at `level` (displaced by
// its view's field) and the mean of its point's observations; no gains.
double ConsistencyRms(const Samples& samples, const std::vector<std::vector<GreyLevel>>& pyramids,
                      const std::vector<Lattice>& lattices, int level) {
  const double scale = std::ldexp(1.0, -level);
  const std::size_t np = samples.Points();
  std::vector<double> sums(np, 0.0);
  tbb::parallel_for(std::size_t{0}, np, [&](std::size_t p) {
    double s = 0, s2 = 0;
    const std::uint32_t b = samples.offsets[p], e = samples.offsets[p + 1];
    for (std::uint32_t o = b; o < e; ++o) {
      const Observation& ob = samples.obs[o];
      const Eigen::Vector2d x = Displaced(lattices[ob.view], ob);
      const double g = Sample(pyramids[ob.view][std::size_t(level)], x.x() * scale, x.y() * scale);
      s += g;
      s2 += g * g;
    }
    sums[p] = s2 - s * s / double(e - b);
  });
  double total = 0;
  for (double s : sums) total += s;
  return std::sqrt(total / double(std::max<std::size_t>(1, samples.obs.size())));
}

// One Gauss-Newton step on the lattice of one view.
void StepView(const Samples& samples, const ViewObservations& mine,
              const std::vector<float>& target, const GreyLevel& level, double scale,
              const ViewAlignmentOptions& options, double max_step, double& gain, double& bias,
              Lattice& lattice) {
  const std::size_t n_obs = mine.obs.size();
  if (n_obs < 16) return;
  // Samples at the displaced projections; gain and bias against the targets.
  std::vector<float> g(n_obs);
  double sg = 0, sgg = 0, st = 0, sgt = 0;
  for (std::size_t k = 0; k < n_obs; ++k) {
    const Observation& ob = samples.obs[mine.obs[k]];
    const Eigen::Vector2d x = Displaced(lattice, ob);
    g[k] = Sample(level, x.x() * scale, x.y() * scale);
    const double t = target[mine.point[k]];
    sg += g[k];
    sgg += double(g[k]) * g[k];
    st += t;
    sgt += g[k] * t;
  }
  const double n = double(n_obs);
  const double var = sgg / n - (sg / n) * (sg / n);
  const double cov = sgt / n - (sg / n) * (st / n);
  gain = var > 1e-6 ? std::clamp(cov / var, 0.5, 2.0) : 1.0;
  bias = st / n - gain * sg / n;

  // Normal equations in 2 x 2 blocks: node x its 3 x 3 neighbourhood.
  const std::size_t nodes = lattice.d.size();
  std::vector<std::array<Eigen::Matrix2d, 9>> h(nodes);
  for (auto& blocks : h) {
    for (Eigen::Matrix2d& m : blocks) m.setZero();
  }
  std::vector<Eigen::Vector2d> b(nodes, Eigen::Vector2d::Zero());
  for (std::size_t k = 0; k < n_obs; ++k) {
    const Observation& ob = samples.obs[mine.obs[k]];
    const Eigen::Vector2d x = Displaced(lattice, ob);
    const double lu = x.x() * scale, lv = x.y() * scale;
    // d(grey)/d(full-size pixel), central differences one level pixel apart.
    const Eigen::Vector2d grad(
        0.5 * scale * (Sample(level, lu + 1, lv) - Sample(level, lu - 1, lv)),
        0.5 * scale * (Sample(level, lu, lv + 1) - Sample(level, lu, lv - 1)));
    const double r = gain * g[k] + bias - target[mine.point[k]];
    const double weight =
        std::abs(r) <= options.huber_levels ? 1.0 : options.huber_levels / std::abs(r);
    const Eigen::Vector2d jg = gain * grad;
    std::array<int, 4> idx;
    std::array<double, 4> w;
    lattice.Corners(ob.u, ob.v, idx, w);
    for (int a = 0; a < 4; ++a) {
      if (w[a] <= 0) continue;
      const Eigen::Vector2d ja = w[a] * jg;
      b[std::size_t(idx[a])] += weight * r * ja;
      for (int c = 0; c < 4; ++c) {
        if (w[c] <= 0) continue;
        const int di = idx[c] % lattice.nx - idx[a] % lattice.nx;
        const int dj = idx[c] / lattice.nx - idx[a] / lattice.nx;
        h[std::size_t(idx[a])][std::size_t((dj + 1) * 3 + di + 1)] +=
            weight * ja * (w[c] * jg).transpose();
      }
    }
  }
  double data = 0;
  int with_data = 0;
  for (std::size_t i = 0; i < nodes; ++i) {
    const double tr = h[i][4].trace();
    if (tr > 0) {
      data += 0.5 * tr;
      ++with_data;
    }
  }
  if (with_data == 0 || !(data > 0)) return;
  const double mean = data / with_data;
  const double smooth = options.smoothness * mean, anchor = options.anchor * mean;

  std::vector<Eigen::Triplet<double>> triplets;
  triplets.reserve(nodes * 9 * 4 + nodes * 20);
  Eigen::VectorXd rhs(2 * nodes);
  for (std::size_t i = 0; i < nodes; ++i) {
    const int ix = int(i) % lattice.nx, iy = int(i) / lattice.nx;
    Eigen::Vector2d reg = anchor * lattice.d[i];
    for (int dj = -1; dj <= 1; ++dj) {
      for (int di = -1; di <= 1; ++di) {
        const int jx = ix + di, jy = iy + dj;
        if (jx < 0 || jy < 0 || jx >= lattice.nx || jy >= lattice.ny) continue;
        const std::size_t j = std::size_t(jy * lattice.nx + jx);
        Eigen::Matrix2d block = h[i][std::size_t((dj + 1) * 3 + di + 1)];
        if (di == 0 && dj == 0) {
          block += Eigen::Matrix2d::Identity() * anchor;
        } else if (di == 0 || dj == 0) {  // a lattice edge: smoothness
          block -= Eigen::Matrix2d::Identity() * smooth;
          reg += smooth * (lattice.d[i] - lattice.d[j]);
        }
        for (int r = 0; r < 2; ++r) {
          for (int c = 0; c < 2; ++c) {
            if (block(r, c) != 0) {
              triplets.emplace_back(int(2 * i) + r, int(2 * j) + c, block(r, c));
            }
          }
        }
      }
    }
    const int edges = (ix > 0) + (ix + 1 < lattice.nx) + (iy > 0) + (iy + 1 < lattice.ny);
    triplets.emplace_back(int(2 * i), int(2 * i), smooth * edges);
    triplets.emplace_back(int(2 * i) + 1, int(2 * i) + 1, smooth * edges);
    rhs.segment<2>(Eigen::Index(2 * i)) = -(b[i] + reg);
  }
  Eigen::SparseMatrix<double> a(Eigen::Index(2 * nodes), Eigen::Index(2 * nodes));
  a.setFromTriplets(triplets.begin(), triplets.end());
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> solver(a);
  if (solver.info() != Eigen::Success) return;
  const Eigen::VectorXd delta = solver.solve(rhs);
  if (solver.info() != Eigen::Success || !delta.allFinite()) return;
  for (std::size_t i = 0; i < nodes; ++i) {
    Eigen::Vector2d step = delta.segment<2>(Eigen::Index(2 * i));
    if (step.norm() > max_step) step *= max_step / step.norm();
    Eigen::Vector2d moved = lattice.d[i] + step;
    if (moved.norm() > options.max_shift_pixels) moved *= options.max_shift_pixels / moved.norm();
    lattice.d[i] = moved;
  }
}

// Catmull-Rom weights of the 4 taps around a sample at fraction t in [0, 1).
std::array<double, 4> CubicWeights(double t) {
  const double t2 = t * t, t3 = t2 * t;
  return {0.5 * (-t3 + 2 * t2 - t), 0.5 * (3 * t3 - 5 * t2 + 2), 0.5 * (-3 * t3 + 4 * t2 + t),
          0.5 * (t3 - t2)};
}

// The photograph resampled through its field: pixel x takes the colour at x + d(x), bicubic
// (Catmull-Rom: a bilinear resampling would blur the photograph's finest detail).
Image Warp(const Image& image, const Lattice& lattice) {
  Image out = image;
  const int w = image.width, h = image.height, ch = image.channels;
  tbb::parallel_for(0, h, [&](int y) {
    for (int x = 0; x < w; ++x) {
      const Eigen::Vector2d d = lattice.At(x + 0.5, y + 0.5);
      if (std::abs(d.x()) < 1e-3 && std::abs(d.y()) < 1e-3) continue;
      const double sx = std::clamp(x + d.x(), 0.0, double(w - 1));
      const double sy = std::clamp(y + d.y(), 0.0, double(h - 1));
      const int x0 = int(sx), y0 = int(sy);
      const std::array<double, 4> wx = CubicWeights(sx - x0), wy = CubicWeights(sy - y0);
      for (int c = 0; c < ch; ++c) {
        double value = 0;
        for (int j = 0; j < 4; ++j) {
          const int yy = std::clamp(y0 - 1 + j, 0, h - 1);
          double row = 0;
          for (int i = 0; i < 4; ++i) {
            row += wx[std::size_t(i)] * image.at(std::clamp(x0 - 1 + i, 0, w - 1), yy, c);
          }
          value += wy[std::size_t(j)] * row;
        }
        out.at(x, y, c) = std::uint8_t(std::clamp(std::lround(value), 0L, 255L));
      }
    }
  });
  return out;
}

}  // namespace

void ViewAlignmentOptions::Check() const {
  MUTA_CHECK(levels >= 1 && levels <= 8) << "view alignment: levels must be in [1, 8]";
  MUTA_CHECK(iterations >= 1) << "view alignment: iterations must be >= 1";
  MUTA_CHECK(lattice_pixels >= 8) << "view alignment: the lattice spacing must be >= 8 pixels";
  MUTA_CHECK(smoothness >= 0 && anchor > 0)
      << "view alignment: smoothness must be >= 0 and anchor > 0";
  MUTA_CHECK(max_shift_pixels > 0) << "view alignment: the largest shift must be > 0 pixels";
  MUTA_CHECK(min_view_cosine >= 0 && min_view_cosine < 1)
      << "view alignment: min_view_cosine must be in [0, 1)";
  MUTA_CHECK(huber_levels > 0) << "view alignment: the Huber threshold must be > 0";
  MUTA_CHECK(max_points >= 100) << "view alignment: max_points must be >= 100";
}

double AlignmentBytesPerPixel(const ViewAlignmentOptions& options) {
  double grey = 0, level = 4.0;
  for (int l = 0; l < options.levels; ++l, level /= 4.0) grey += level;
  return 3.0 + grey;
}

Json AlignViews(const Mesh& mesh, std::vector<TextureView>& views,
                const ViewAlignmentOptions& options, Progress& progress) {
  options.Check();
  const auto t_start = std::chrono::steady_clock::now();
  Json fig = Json::object();
  fig["aligned"] = false;
  if (views.size() < 2 || mesh.NumFaces() == 0) return fig;

  auto t0 = std::chrono::steady_clock::now();
  std::vector<tex::ViewDepth> depths =
      tex::RasterizeDepths(mesh, views, std::vector<std::uint8_t>(views.size(), 1), progress);
  const Samples samples = SamplePoints(mesh, views, depths, options, fig);
  std::vector<tex::ViewDepth>().swap(depths);
  fig["points"] = samples.Points();
  fig["observations"] = samples.obs.size();
  fig["seconds_sampling"] = Since(t0);
  if (samples.Points() == 0) return fig;

  t0 = std::chrono::steady_clock::now();
  std::vector<std::vector<GreyLevel>> pyramids(views.size());
  tbb::parallel_for(std::size_t{0}, views.size(), [&](std::size_t v) {
    pyramids[v] = BuildPyramid(views[v].image, options.levels);
  });
  std::vector<ViewObservations> per_view(views.size());
  for (std::size_t p = 0; p < samples.Points(); ++p) {
    for (std::uint32_t o = samples.offsets[p]; o < samples.offsets[p + 1]; ++o) {
      per_view[samples.obs[o].view].obs.push_back(o);
      per_view[samples.obs[o].view].point.push_back(std::uint32_t(p));
    }
  }
  std::vector<Lattice> lattices;
  for (const TextureView& v : views) {
    lattices.emplace_back(v.image.width, v.image.height, options.lattice_pixels);
  }
  fig["seconds_pyramids"] = Since(t0);
  const double rms_before = ConsistencyRms(samples, pyramids, lattices, 0);

  t0 = std::chrono::steady_clock::now();
  std::vector<double> gain(views.size(), 1.0), bias(views.size(), 0.0);
  std::vector<float> target(samples.Points());
  Json per_level = Json::array();
  progress.Begin("texture: aligning views", std::uint64_t(options.levels) * options.iterations,
                 "iterations");
  for (int level = options.levels - 1; level >= 0; --level) {
    const double scale = std::ldexp(1.0, -level);
    for (int it = 0; it < options.iterations; ++it) {
      CheckInterrupted();
      // 1. Targets: the mean of each point's gain-adjusted samples.
      tbb::parallel_for(std::size_t{0}, samples.Points(), [&](std::size_t p) {
        double s = 0;
        const std::uint32_t b = samples.offsets[p], e = samples.offsets[p + 1];
        for (std::uint32_t o = b; o < e; ++o) {
          const Observation& ob = samples.obs[o];
          const Eigen::Vector2d x = Displaced(lattices[ob.view], ob);
          s += gain[ob.view] *
                   Sample(pyramids[ob.view][std::size_t(level)], x.x() * scale, x.y() * scale) +
               bias[ob.view];
        }
        target[p] = float(s / double(e - b));
      });
      // 2. A Gauss-Newton step per view.
      tbb::parallel_for(std::size_t{0}, views.size(), [&](std::size_t v) {
        StepView(samples, per_view[v], target, pyramids[v][std::size_t(level)], scale, options,
                 1.0 / scale, gain[v], bias[v], lattices[v]);
      });
      // The gains' common scale and offset are free: keep their means at 1 and 0.
      double mean_gain = 0, mean_bias = 0;
      for (std::size_t v = 0; v < views.size(); ++v) {
        mean_gain += gain[v];
        mean_bias += bias[v];
      }
      mean_gain /= double(views.size());
      mean_bias /= double(views.size());
      for (std::size_t v = 0; v < views.size(); ++v) {
        gain[v] /= mean_gain;
        bias[v] = (bias[v] - mean_bias) / mean_gain;
      }
      progress.Advance();
    }
    per_level.push_back(ConsistencyRms(samples, pyramids, lattices, level));
  }
  progress.End();
  fig["seconds_optimisation"] = Since(t0);
  fig["rms_per_level"] = per_level;
  const double rms_after = ConsistencyRms(samples, pyramids, lattices, 0);
  fig["consistency_rms_before"] = rms_before;
  fig["consistency_rms_after"] = rms_after;
  std::vector<std::vector<GreyLevel>>().swap(pyramids);

  std::vector<double> shifts;
  for (const Lattice& l : lattices) {
    for (const Eigen::Vector2d& d : l.d) shifts.push_back(d.norm());
  }
  std::sort(shifts.begin(), shifts.end());
  double mean_shift = 0;
  for (double s : shifts) mean_shift += s;
  fig["shift_mean_pixels"] = mean_shift / double(shifts.size());
  fig["shift_p95_pixels"] = shifts[std::min(shifts.size() - 1, shifts.size() * 95 / 100)];
  fig["shift_max_pixels"] = shifts.back();

  t0 = std::chrono::steady_clock::now();
  progress.Begin("texture: resampling aligned views", views.size(), "images");
  for (std::size_t v = 0; v < views.size(); ++v) {
    CheckInterrupted();
    views[v].image = Warp(views[v].image, lattices[v]);
    progress.Advance();
  }
  progress.End();
  fig["seconds_resampling"] = Since(t0);
  fig["aligned"] = true;
  fig["seconds"] = Since(t_start);
  spdlog::info(
      "texture: views aligned on {} points ({} observations): disagreement {:.2f} -> {:.2f} grey "
      "levels RMS, displacement mean {:.2f} px, largest {:.2f} px",
      samples.Points(), samples.obs.size(), rms_before, rms_after,
      fig["shift_mean_pixels"].get<double>(), shifts.back());
  return fig;
}

}  // namespace muta::reconstruct
