// Similarity alignment of corresponding 3D points: Umeyama's closed form and a
// least-median-of-squares wrapper that tolerates gross outliers (declared in core/metrics.h).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <vector>

#include <Eigen/SVD>

#include "core/error.h"
#include "core/metrics.h"

namespace muta {
namespace {

// A point set whose second-largest spread is below this fraction of its largest one (in
// squared units, i.e. an extent ratio of 1e-7) counts as collinear.
constexpr double kCollinearRatio = 1e-14;

// Relative floor of the robust residual scale, as a fraction of the target points' RMS
// spread: residuals this small are rounding noise, so exactly fitting points stay inliers.
constexpr double kSigmaFloor = 1e-9;

// Spread of a point set: the singular values (descending) of its covariance.
Eigen::Vector3d Spread(const Eigen::Matrix3Xd& centered) {
  const Eigen::Matrix3d cov = centered * centered.transpose() / double(centered.cols());
  return Eigen::JacobiSVD<Eigen::Matrix3d>(cov).singularValues();
}

bool Degenerate(const Eigen::Vector3d& spread) {
  return !(spread[0] > 0) || !std::isfinite(spread[0]) || spread[1] <= kCollinearRatio * spread[0];
}

// Umeyama (1991) on the columns of `src` and `dst`; nullopt when either set is collinear
// (or coincident), where rotation and scale are not determined.
std::optional<Sim3d> Umeyama(const Eigen::Matrix3Xd& src, const Eigen::Matrix3Xd& dst) {
  const double n = double(src.cols());
  const Eigen::Vector3d src_mean = src.rowwise().mean();
  const Eigen::Vector3d dst_mean = dst.rowwise().mean();
  const Eigen::Matrix3Xd src_c = src.colwise() - src_mean;
  const Eigen::Matrix3Xd dst_c = dst.colwise() - dst_mean;
  if (Degenerate(Spread(src_c)) || Degenerate(Spread(dst_c))) return std::nullopt;

  const double src_var = src_c.squaredNorm() / n;
  const Eigen::Matrix3d sigma = dst_c * src_c.transpose() / n;
  const Eigen::JacobiSVD<Eigen::Matrix3d> svd(sigma, Eigen::ComputeFullU | Eigen::ComputeFullV);
  // Reflection fix: flip the weakest axis when U V^T would be a reflection.
  Eigen::Vector3d s = Eigen::Vector3d::Ones();
  if (svd.matrixU().determinant() * svd.matrixV().determinant() < 0) s[2] = -1;
  const Eigen::Matrix3d rotation = svd.matrixU() * s.asDiagonal() * svd.matrixV().transpose();

  Sim3d out;
  out.scale = svd.singularValues().dot(s) / src_var;
  if (!(out.scale > 0) || !std::isfinite(out.scale)) return std::nullopt;
  out.rotation = Eigen::Quaterniond(rotation).normalized();
  out.translation = dst_mean - out.scale * (out.rotation * src_mean);
  return out;
}

Eigen::Matrix3Xd ToMatrix(std::span<const Eigen::Vector3d> points) {
  Eigen::Matrix3Xd m(3, Eigen::Index(points.size()));
  for (std::size_t i = 0; i < points.size(); ++i) m.col(Eigen::Index(i)) = points[i];
  return m;
}

Eigen::Matrix3Xd Select(const Eigen::Matrix3Xd& m, const std::vector<std::size_t>& indices) {
  Eigen::Matrix3Xd out(3, Eigen::Index(indices.size()));
  for (std::size_t i = 0; i < indices.size(); ++i) {
    out.col(Eigen::Index(i)) = m.col(Eigen::Index(indices[i]));
  }
  return out;
}

void CheckInput(std::span<const Eigen::Vector3d> src, std::span<const Eigen::Vector3d> dst) {
  MUTA_CHECK(src.size() == dst.size()) << "similarity estimation: " << src.size()
                                       << " source points but " << dst.size() << " target points";
  MUTA_CHECK(src.size() >= 3) << "similarity estimation needs at least 3 corresponding points, got "
                              << src.size();
  for (std::size_t i = 0; i < src.size(); ++i) {
    MUTA_CHECK(src[i].allFinite() && dst[i].allFinite())
        << "similarity estimation: point pair " << i << " is not finite";
  }
}

// Distances |transform * src_i - dst_i|.
std::vector<double> Residuals(const Sim3d& transform, const Eigen::Matrix3Xd& src,
                              const Eigen::Matrix3Xd& dst) {
  std::vector<double> r(std::size_t(src.cols()));
  const Eigen::Matrix3d sr = transform.scale * transform.rotation.toRotationMatrix();
  for (Eigen::Index i = 0; i < src.cols(); ++i) {
    r[std::size_t(i)] = (sr * src.col(i) + transform.translation - dst.col(i)).norm();
  }
  return r;
}

// Lower median (the LMedS criterion); `values` is reordered.
double LowerMedian(std::vector<double>& values) {
  const auto mid = values.begin() + std::ptrdiff_t((values.size() - 1) / 2);
  std::nth_element(values.begin(), mid, values.end());
  return *mid;
}

// Uniform integer in [0, n) from a 64-bit generator by rejection (the same on every platform,
// unlike std::uniform_int_distribution).
std::size_t UniformIndex(std::mt19937_64& rng, std::size_t n) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t limit = kMax - kMax % n;  // a multiple of n
  std::uint64_t x = rng();
  while (x >= limit) x = rng();
  return std::size_t(x % n);
}

// Number of 3-subsets of n elements, saturating at `cap` + 1.
std::uint64_t TriplesCapped(std::uint64_t n, std::uint64_t cap) {
  if (n < 3) return 0;
  if (n > 2'000'000) return cap + 1;  // n^3 / 2 below would overflow
  const std::uint64_t c = n * (n - 1) / 2 * (n - 2) / 3;
  return std::min(c, cap + 1);
}

}  // namespace

void RobustSimilarityOptions::Check() const {
  MUTA_CHECK(max_samples >= 1) << "robust similarity: max_samples must be at least 1, got "
                               << max_samples;
  MUTA_CHECK(std::isfinite(inlier_sigmas) && inlier_sigmas > 0)
      << "robust similarity: inlier_sigmas must be positive and finite, got " << inlier_sigmas;
}

Sim3d EstimateSimilarity(std::span<const Eigen::Vector3d> src,
                         std::span<const Eigen::Vector3d> dst) {
  CheckInput(src, dst);
  const auto result = Umeyama(ToMatrix(src), ToMatrix(dst));
  MUTA_CHECK(result.has_value())
      << "similarity estimation: the " << src.size()
      << " points are collinear or coincident, so rotation and scale are undetermined";
  return *result;
}

RobustSimilarity EstimateSimilarityRobust(std::span<const Eigen::Vector3d> src,
                                          std::span<const Eigen::Vector3d> dst,
                                          const RobustSimilarityOptions& options) {
  options.Check();
  CheckInput(src, dst);
  const Eigen::Matrix3Xd src_m = ToMatrix(src), dst_m = ToMatrix(dst);
  const std::size_t n = src.size();

  // Least median of squares over minimal samples.
  std::optional<Sim3d> best;
  double best_median = std::numeric_limits<double>::infinity();
  std::vector<std::size_t> sample(3);
  auto try_sample = [&] {
    const auto model = Umeyama(Select(src_m, sample), Select(dst_m, sample));
    if (!model) return;
    std::vector<double> r = Residuals(*model, src_m, dst_m);
    const double median = LowerMedian(r);
    if (median < best_median) {
      best_median = median;
      best = model;
    }
  };
  const auto max_samples = std::uint64_t(options.max_samples);
  if (TriplesCapped(n, max_samples) <= max_samples) {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) {
        for (std::size_t k = j + 1; k < n; ++k) {
          sample = {i, j, k};
          try_sample();
        }
      }
    }
  } else {
    std::mt19937_64 rng(options.seed);
    for (std::uint64_t s = 0; s < max_samples; ++s) {
      sample[0] = UniformIndex(rng, n);
      do {
        sample[1] = UniformIndex(rng, n);
      } while (sample[1] == sample[0]);
      do {
        sample[2] = UniformIndex(rng, n);
      } while (sample[2] == sample[0] || sample[2] == sample[1]);
      try_sample();
    }
  }
  MUTA_CHECK(best.has_value())
      << "robust similarity estimation: every sample of the " << n
      << " points is collinear or coincident, so rotation and scale are undetermined";

  // Residual scale floor: relative to the spread of the target points.
  const Eigen::Matrix3Xd dst_c = dst_m.colwise() - dst_m.rowwise().mean();
  const double sigma_floor = kSigmaFloor * std::sqrt(dst_c.squaredNorm() / double(n));

  // Inlier selection from the robust scale, Umeyama refit, once more.
  RobustSimilarity out;
  out.transform = *best;
  out.inliers.assign(n, true);
  for (int iteration = 0; iteration < 2; ++iteration) {
    const std::vector<double> r = Residuals(out.transform, src_m, dst_m);
    std::vector<double> sorted = r;
    const double sigma = std::max(1.4826 * LowerMedian(sorted), sigma_floor);
    const double threshold = options.inlier_sigmas * sigma;
    std::vector<std::size_t> inlier_indices;
    std::vector<bool> inliers(n, false);
    for (std::size_t i = 0; i < n; ++i) {
      if (r[i] <= threshold) {
        inliers[i] = true;
        inlier_indices.push_back(i);
      }
    }
    out.inliers = std::move(inliers);
    if (inlier_indices.size() < 3) break;
    const auto refit = Umeyama(Select(src_m, inlier_indices), Select(dst_m, inlier_indices));
    if (!refit) break;  // the inliers alone are degenerate: keep the sample's model
    out.transform = *refit;
  }
  return out;
}

}  // namespace muta
