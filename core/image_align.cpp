#include "core/image_align.h"

#include <algorithm>
#include <cmath>

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#include <Eigen/Dense>

#include "core/error.h"

namespace muta {
namespace {

// A float image (luma) with a validity mask, one pyramid level.
struct Level {
  int w = 0, h = 0;
  std::vector<float> v, gx, gy;
  std::vector<std::uint8_t> mask;  // empty: all valid
  float at(const std::vector<float>& img, int x, int y) const {
    return img[std::size_t(y) * w + x];
  }
  bool Valid(int x, int y) const { return mask.empty() || mask[std::size_t(y) * w + x]; }
};

// Separable binomial blur [1 4 6 4 1] / 16, borders clamped: widens the basin of convergence.
void Smooth(std::vector<float>& v, int w, int h) {
  static constexpr float k[5] = {1.f / 16, 4.f / 16, 6.f / 16, 4.f / 16, 1.f / 16};
  std::vector<float> tmp(v.size());
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      float s = 0;
      for (int i = -2; i <= 2; ++i)
        s += k[i + 2] * v[std::size_t(y) * w + std::clamp(x + i, 0, w - 1)];
      tmp[std::size_t(y) * w + x] = s;
    }
  }
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      float s = 0;
      for (int i = -2; i <= 2; ++i)
        s += k[i + 2] * tmp[std::size_t(std::clamp(y + i, 0, h - 1)) * w + x];
      v[std::size_t(y) * w + x] = s;
    }
  }
}

void Gradients(Level& l) {
  l.gx.assign(l.v.size(), 0.f);
  l.gy.assign(l.v.size(), 0.f);
  for (int y = 1; y + 1 < l.h; ++y) {
    for (int x = 1; x + 1 < l.w; ++x) {
      l.gx[std::size_t(y) * l.w + x] = 0.5f * (l.at(l.v, x + 1, y) - l.at(l.v, x - 1, y));
      l.gy[std::size_t(y) * l.w + x] = 0.5f * (l.at(l.v, x, y + 1) - l.at(l.v, x, y - 1));
    }
  }
}

// The next coarser level: 2 x 2 means; a coarse pixel is valid when its four are.
Level Halve(const Level& f) {
  Level c;
  c.w = f.w / 2, c.h = f.h / 2;
  c.v.resize(std::size_t(c.w) * c.h);
  if (!f.mask.empty()) c.mask.resize(c.v.size());
  for (int y = 0; y < c.h; ++y) {
    for (int x = 0; x < c.w; ++x) {
      const int fx = 2 * x, fy = 2 * y;
      c.v[std::size_t(y) * c.w + x] = 0.25f * (f.at(f.v, fx, fy) + f.at(f.v, fx + 1, fy) +
                                               f.at(f.v, fx, fy + 1) + f.at(f.v, fx + 1, fy + 1));
      if (!f.mask.empty()) {
        c.mask[std::size_t(y) * c.w + x] = f.Valid(fx, fy) && f.Valid(fx + 1, fy) &&
                                           f.Valid(fx, fy + 1) && f.Valid(fx + 1, fy + 1);
      }
    }
  }
  return c;
}

std::vector<Level> Pyramid(const Image& im, const std::vector<std::uint8_t>& mask, int levels) {
  std::vector<Level> out(1);
  out[0].w = im.width, out[0].h = im.height;
  out[0].v = Luma(im);
  out[0].mask = mask;
  for (int i = 1; i < levels; ++i) out.push_back(Halve(out.back()));
  for (Level& l : out) {
    Smooth(l.v, l.w, l.h);
    Gradients(l);
  }
  return out;
}

// Bilinear sample of `img` at pixel position (x, y) (pixel centres at +0.5); false outside or
// where the nearest pixel is masked out.
bool Sample(const Level& l, const std::vector<float>& img, double x, double y, float& out) {
  const double fx = x - 0.5, fy = y - 0.5;
  const int x0 = int(std::floor(fx)), y0 = int(std::floor(fy));
  if (x0 < 1 || y0 < 1 || x0 + 2 >= l.w || y0 + 2 >= l.h) return false;
  if (!l.Valid(int(std::floor(x)), int(std::floor(y)))) return false;
  const float ax = float(fx - x0), ay = float(fy - y0);
  const float top = (1 - ax) * l.at(img, x0, y0) + ax * l.at(img, x0 + 1, y0);
  const float bottom = (1 - ax) * l.at(img, x0, y0 + 1) + ax * l.at(img, x0 + 1, y0 + 1);
  out = (1 - ay) * top + ay * bottom;
  return true;
}

// Pixel coordinates of a level <-> normalised ones (centre 0, half the longer side 1), in which
// the homography is the same at every level.
Eigen::Matrix3d Normaliser(int w, int h) {
  const double s = 0.5 * std::max(w, h);
  Eigen::Matrix3d n;
  n << 1 / s, 0, -0.5 * w / s, 0, 1 / s, -0.5 * h / s, 0, 0, 1;
  return n;
}

struct Normal {
  Eigen::Matrix<double, 8, 8> jtj = Eigen::Matrix<double, 8, 8>::Zero();
  Eigen::Matrix<double, 8, 1> jtr = Eigen::Matrix<double, 8, 1>::Zero();
  double sq = 0;
  std::size_t n = 0;
  void Add(const Normal& o) { jtj += o.jtj, jtr += o.jtr, sq += o.sq, n += o.n; }
};

// Normal equations of the residuals moving(H x) - reference(x) over the level's used pixels,
// H in normalised coordinates (h_norm), parameters the 8 free entries of h_norm.
Normal Accumulate(const Level& ref, const Level& mov, const Eigen::Matrix3d& h_norm,
                  bool with_jacobian) {
  const Eigen::Matrix3d n_ref = Normaliser(ref.w, ref.h);
  const Eigen::Matrix3d n_mov_inv = Normaliser(mov.w, mov.h).inverse();
  const double s = n_mov_inv(0, 0);  // pixels per normalised unit
  return tbb::parallel_reduce(
      tbb::blocked_range<int>(0, ref.h), Normal{},
      [&](const tbb::blocked_range<int>& rows, Normal acc) {
        for (int y = rows.begin(); y < rows.end(); ++y) {
          for (int x = 0; x < ref.w; ++x) {
            if (!ref.Valid(x, y)) continue;
            const Eigen::Vector3d u = n_ref * Eigen::Vector3d(x + 0.5, y + 0.5, 1.0);
            const Eigen::Vector3d q = h_norm * u;
            if (q.z() <= 1e-9) continue;
            const Eigen::Vector3d p = n_mov_inv * Eigen::Vector3d(q.x() / q.z(), q.y() / q.z(), 1);
            float m = 0, gx = 0, gy = 0;
            if (!Sample(mov, mov.v, p.x(), p.y(), m)) continue;
            const double r = double(m) - double(ref.at(ref.v, x, y));
            acc.sq += r * r;
            ++acc.n;
            if (!with_jacobian) continue;
            Sample(mov, mov.gx, p.x(), p.y(), gx);
            Sample(mov, mov.gy, p.x(), p.y(), gy);
            // d(moving pixel)/d(normalised position) = s; d(normalised position)/d(params).
            const double c = q.z(), a = q.x(), b = q.y();
            const double gu = s * gx, gv = s * gy;
            Eigen::Matrix<double, 8, 1> j;
            j << gu * u.x() / c, gu * u.y() / c, gu / c, gv * u.x() / c, gv * u.y() / c, gv / c,
                -(gu * a + gv * b) * u.x() / (c * c), -(gu * a + gv * b) * u.y() / (c * c);
            acc.jtj.selfadjointView<Eigen::Lower>().rankUpdate(j);
            acc.jtr += j * r;
          }
        }
        return acc;
      },
      [](Normal a, const Normal& b) {
        a.Add(b);
        return a;
      });
}

Eigen::Matrix3d Apply(const Eigen::Matrix3d& h_norm, const Eigen::Matrix<double, 8, 1>& d) {
  Eigen::Matrix3d out = h_norm;
  out(0, 0) += d(0), out(0, 1) += d(1), out(0, 2) += d(2);
  out(1, 0) += d(3), out(1, 1) += d(4), out(1, 2) += d(5);
  out(2, 0) += d(6), out(2, 1) += d(7);
  return out;
}

}  // namespace

HomographyFit FitHomography(const Image& reference, const std::vector<std::uint8_t>& reference_mask,
                            const Image& moving, const std::vector<std::uint8_t>& moving_mask) {
  MUTA_CHECK(reference.width == moving.width && reference.height == moving.height &&
             reference.width > 0 && reference.height > 0)
      << "FitHomography: the images must have the same, non-zero size";
  const std::size_t n = std::size_t(reference.width) * reference.height;
  MUTA_CHECK(reference_mask.size() == n && (moving_mask.empty() || moving_mask.size() == n))
      << "FitHomography: a mask does not match its image";
  int levels = 1;
  while (levels < 6 && std::min(reference.width, reference.height) >> levels >= 64) ++levels;
  const std::vector<Level> ref = Pyramid(reference, reference_mask, levels);
  const std::vector<Level> mov = Pyramid(moving, moving_mask, levels);

  HomographyFit fit;
  Eigen::Matrix3d h_norm = Eigen::Matrix3d::Identity();
  {
    const Normal at_identity = Accumulate(ref[0], mov[0], h_norm, false);
    fit.pixels = at_identity.n;
    if (at_identity.n < 100) return fit;
    fit.rms_before = fit.rms_after = std::sqrt(at_identity.sq / double(at_identity.n));
  }
  for (int l = levels - 1; l >= 0; --l) {
    double lambda = 1e-3;  // Levenberg–Marquardt damping, relative to the diagonal
    for (int it = 0; it < 30; ++it) {
      const Normal e = Accumulate(ref[std::size_t(l)], mov[std::size_t(l)], h_norm, true);
      if (e.n < 50) break;
      Eigen::Matrix<double, 8, 8> a = e.jtj.selfadjointView<Eigen::Lower>();
      bool improved = false;
      for (int tries = 0; tries < 6 && !improved; ++tries) {
        Eigen::Matrix<double, 8, 8> damped = a;
        damped.diagonal() *= 1.0 + lambda;
        const Eigen::Matrix<double, 8, 1> d = damped.ldlt().solve(-e.jtr);
        if (!d.allFinite()) break;
        const Eigen::Matrix3d candidate = Apply(h_norm, d);
        const Normal c = Accumulate(ref[std::size_t(l)], mov[std::size_t(l)], candidate, false);
        // Compare mean squared residuals (the overlap changes a little with the warp).
        if (c.n >= e.n / 2 && c.sq / double(c.n) < e.sq / double(e.n)) {
          h_norm = candidate;
          lambda = std::max(1e-6, lambda * 0.3);
          improved = true;
          if (d.norm() < 1e-6) it = 1000;  // converged at this level
        } else {
          lambda *= 10;
        }
      }
      if (!improved) break;
    }
  }
  const Normal end = Accumulate(ref[0], mov[0], h_norm, false);
  const Eigen::Matrix3d n0 = Normaliser(reference.width, reference.height);
  if (end.n >= fit.pixels / 2 && end.n > 0 && std::sqrt(end.sq / double(end.n)) < fit.rms_before) {
    fit.h = n0.inverse() * h_norm * n0;
    fit.h /= fit.h(2, 2);
    fit.rms_after = std::sqrt(end.sq / double(end.n));
    fit.converged = true;
  }
  return fit;
}

Image WarpHomography(const Image& moving, const std::vector<std::uint8_t>& moving_mask,
                     const Eigen::Matrix3d& h, std::uint8_t fill) {
  const int w = moving.width, ht = moving.height, ch = moving.channels;
  MUTA_CHECK(moving_mask.empty() || moving_mask.size() == std::size_t(w) * ht)
      << "WarpHomography: the mask does not match the image";
  Image out(w, ht, ch, fill);
  for (int y = 0; y < ht; ++y) {
    for (int x = 0; x < w; ++x) {
      const Eigen::Vector3d q = h * Eigen::Vector3d(x + 0.5, y + 0.5, 1.0);
      if (q.z() <= 1e-9) continue;
      const double px = q.x() / q.z(), py = q.y() / q.z();
      const int nx = int(std::floor(px)), ny = int(std::floor(py));
      if (nx < 0 || ny < 0 || nx >= w || ny >= ht) continue;
      if (!moving_mask.empty() && !moving_mask[std::size_t(ny) * w + nx]) continue;
      const double fx = std::clamp(px - 0.5, 0.0, double(w - 1));
      const double fy = std::clamp(py - 0.5, 0.0, double(ht - 1));
      const int x0 = std::min(int(fx), std::max(0, w - 2));
      const int y0 = std::min(int(fy), std::max(0, ht - 2));
      const int x1 = std::min(x0 + 1, w - 1), y1 = std::min(y0 + 1, ht - 1);
      const double ax = fx - x0, ay = fy - y0;
      for (int c = 0; c < ch; ++c) {
        const double top = (1 - ax) * moving.at(x0, y0, c) + ax * moving.at(x1, y0, c);
        const double bottom = (1 - ax) * moving.at(x0, y1, c) + ax * moving.at(x1, y1, c);
        out.at(x, y, c) =
            std::uint8_t(std::clamp(std::lround((1 - ay) * top + ay * bottom), 0l, 255l));
      }
    }
  }
  return out;
}

}  // namespace muta
