// Helpers of the symmetry search (symmetry_search.h): scoring a map of the surface onto
// itself, covered azimuth sectors, order choice, ICP refinement of an axis, the ground plane
// and the search for the point where the axis pierces the building.
#include "reconstruct/restore/symmetry_search.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <random>
#include <tuple>

#include <spdlog/spdlog.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#include <Eigen/Eigenvalues>
#include <Eigen/SVD>

#include "core/closest_point.h"
#include "core/error.h"
#include "core/icp.h"
#include "core/progress.h"

namespace muta::restore::symmetry_search {

using Eigen::Vector3d;

std::pair<Vector3d, Vector3d> Frame(const Vector3d& axis) {
  const Vector3d helper = std::abs(axis.x()) < 0.9 ? Vector3d::UnitX() : Vector3d::UnitY();
  const Vector3d e1 = (helper - helper.dot(axis) * axis).normalized();
  return {e1, axis.cross(e1)};
}

// A sector is covered when it holds at least a fifth of the samples of a well-filled sector
// (the 80th percentile of the counts).
Sectors AzimuthSectors(const std::vector<Vector3d>& samples, const Vector3d& point,
                       const Vector3d& axis) {
  Sectors s;
  s.point = point;
  s.axis = axis.normalized();
  std::tie(s.e1, s.e2) = Frame(s.axis);
  constexpr int kN = Symmetry::kAzimuthSectors;
  std::vector<std::size_t> count(kN, 0);
  for (const auto& p : samples) ++count[s.Of(p)];
  std::vector<std::size_t> sorted = count;
  std::sort(sorted.begin(), sorted.end());
  const double reference = double(sorted[std::size_t(0.8 * kN)]);
  if (reference <= 0) return s;
  s.covered.resize(kN);
  bool all = true;
  for (int i = 0; i < kN; ++i) {
    s.covered[i] = double(count[i]) >= 0.2 * reference;
    all = all && s.covered[i];
  }
  if (all) s.covered.clear();
  return s;
}

Score ScoreMap(const TriangleBvh& bvh, const std::vector<Vector3d>& samples, const PointMap& map,
               double d, const Sectors* sectors) {
  struct Acc {
    std::size_t inliers = 0, considered = 0;
    double sq = 0;
  };
  const Acc acc = tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, samples.size(), 256), Acc{},
      [&](const tbb::blocked_range<std::size_t>& r, Acc a) {
        for (std::size_t i = r.begin(); i != r.end(); ++i) {
          const Vector3d q = map(samples[i]);
          if (sectors && !sectors->Covers(q)) continue;
          ++a.considered;
          const ClosestPoint c = bvh.Closest(q);
          if (c.distance <= d) {
            ++a.inliers;
            a.sq += c.distance * c.distance;
          }
        }
        return a;
      },
      [](Acc a, const Acc& b) {
        a.inliers += b.inliers;
        a.considered += b.considered;
        a.sq += b.sq;
        return a;
      });
  Score s;
  if (acc.considered > 0 && double(acc.considered) >= 0.25 * double(samples.size())) {
    s.inlier_fraction = double(acc.inliers) / double(acc.considered);
  } else if (!samples.empty()) {
    s.inlier_fraction = -1;
  }
  if (acc.inliers > 0) s.rms = std::sqrt(acc.sq / double(acc.inliers));
  if (!samples.empty()) s.judged = double(acc.considered) / double(samples.size());
  return s;
}

std::vector<Vector3d> Subsample(const std::vector<Vector3d>& points, std::size_t count) {
  if (points.size() <= count) return points;
  std::vector<Vector3d> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(points[i * points.size() / count]);
  return out;
}

Eigen::Isometry3d Reflection(const Vector3d& point, const Vector3d& normal) {
  Eigen::Isometry3d t = Eigen::Isometry3d::Identity();
  t.linear() = Eigen::Matrix3d::Identity() - 2.0 * normal * normal.transpose();
  t.translation() = 2.0 * point.dot(normal) * normal;
  return t;
}

int ChooseOrder(const std::vector<OrderScore>& scores, double tolerance, double min_fraction) {
  double best = 0;
  for (const auto& s : scores) best = std::max(best, s.inlier_fraction);
  const double good = std::max(min_fraction, (1.0 - tolerance) * best);
  // A divisor judged on less than half of the samples (a large rotation of a partial capture
  // lands mostly where nothing was seen, the rest on its grazing edges) is no witness.
  auto score_of = [&](int n) {
    for (const auto& s : scores) {
      if (s.order == n) return s.judged >= 0.5 ? s.inlier_fraction : -1.0;
    }
    return -1.0;  // not tested
  };
  const double divisor_good = std::max(min_fraction, 0.75 * best);
  int chosen = 1;
  for (const auto& s : scores) {
    if (s.inlier_fraction < good) continue;
    bool divisors_ok = true;
    for (int d = 2; d < s.order; ++d) {
      if (s.order % d == 0) {
        const double f = score_of(d);
        if (f >= 0 && f < divisor_good) divisors_ok = false;
      }
    }
    if (divisors_ok) chosen = std::max(chosen, s.order);
  }
  return chosen;
}

bool RefineAxis(const TriangleBvh& bvh, const std::vector<Vector3d>& source, int order, double d,
                Vector3d& point, Vector3d& direction) {
  for (int pass = 0; pass < 2; ++pass) {
    const Eigen::Isometry3d r = RotationAbout(point, direction, 2.0 * std::numbers::pi / order);
    std::vector<Vec3f> rotated;
    rotated.reserve(source.size());
    for (const auto& p : source) rotated.push_back((r * p).cast<float>());
    IcpOptions icp;
    icp.max_distance = pass == 0 ? 4.0 * d : 1.5 * d;
    icp.estimate_scale = false;
    icp.max_iterations = 30;
    IcpResult refined;
    try {
      refined = RefineAlignmentIcp(bvh, rotated, icp);
    } catch (const Error& e) {
      spdlog::debug("symmetry: ICP refinement skipped ({})", e.what());
      return false;
    }
    Eigen::Isometry3d icp_t = Eigen::Isometry3d::Identity();
    icp_t.linear() = refined.transform.rotation.toRotationMatrix();
    icp_t.translation() = refined.transform.translation;
    const Eigen::Isometry3d full = icp_t * r;
    Vector3d axis = Eigen::AngleAxisd(full.linear()).axis().normalized();
    if (axis.dot(direction) < 0) axis = -axis;
    if (axis.dot(direction) < std::cos(10.0 * std::numbers::pi / 180.0)) return false;
    // A point on the axis: (I - R) c = t, least squares (the component along the axis is free).
    const Eigen::Matrix3d a = Eigen::Matrix3d::Identity() - full.linear();
    Vector3d c = a.jacobiSvd(Eigen::ComputeFullU | Eigen::ComputeFullV).solve(full.translation());
    c += (point - c).dot(axis) * axis;  // nearest to the previous point
    direction = axis;
    point = c;
  }
  return true;
}

GroundPlane FindGroundPlane(const std::vector<Vector3d>& samples, double d, std::uint64_t seed) {
  GroundPlane best;
  if (samples.size() < 3) return best;
  const std::vector<Vector3d> few = Subsample(samples, 4000);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, few.size() - 1);
  const double cos_max_tilt = std::cos(30.0 * std::numbers::pi / 180.0);
  // Share of the subsample within the band of the plane n . p + offset = 0.
  auto fraction_on = [&](const Vector3d& n, double offset) {
    std::size_t inliers = 0;
    for (const auto& p : few) inliers += std::abs(n.dot(p) + offset) <= 2.0 * d;
    return double(inliers) / double(few.size());
  };
  for (int iteration = 0; iteration < 400; ++iteration) {
    const Vector3d& a = few[pick(rng)];
    Vector3d n = (few[pick(rng)] - a).cross(few[pick(rng)] - a);
    if (n.norm() < 1e-12) continue;
    n.normalize();
    if (n.z() < 0) n = -n;
    if (n.z() < cos_max_tilt) continue;
    const double offset = -n.dot(a);
    const double fraction = fraction_on(n, offset);
    if (fraction > best.fraction) best = {n, offset, fraction};
  }
  if (best.fraction == 0) return best;
  // A plane through three samples tilts by up to the band over the ground's extent, and its
  // normal becomes the rotation axis tried first: refit it by least squares (the smallest
  // principal direction of its inliers), a few rounds, so the axis does not depend on which
  // three samples the RANSAC happened to draw.
  for (int round = 0; round < 3; ++round) {
    std::vector<Vector3d> on;
    for (const auto& p : samples) {
      if (std::abs(best.normal.dot(p) + best.offset) <= 2.0 * d) on.push_back(p);
    }
    if (on.size() < 3) break;
    Vector3d centroid = Vector3d::Zero();
    for (const auto& p : on) centroid += p;
    centroid /= double(on.size());
    Eigen::Matrix3d cov = Eigen::Matrix3d::Zero();
    for (const auto& p : on) cov += (p - centroid) * (p - centroid).transpose();
    Vector3d n = Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d>(cov).eigenvectors().col(0);
    if (n.z() < 0) n = -n;
    if (n.z() < cos_max_tilt) break;
    const double offset = -n.dot(centroid);
    const double fraction = fraction_on(n, offset);
    if (fraction < 0.95 * best.fraction) break;  // the refit left the ground: keep the fit
    best = {n, offset, fraction};
  }
  return best;
}

namespace {

// The best rotation score over the orders for an axis along `axis` through `point`, judged in
// the covered sectors.
double BestOrderScore(const TriangleBvh& bvh, const std::vector<Vector3d>& few,
                      const std::vector<Vector3d>& coverage_samples, const Vector3d& point,
                      const Vector3d& axis, int min_order, int max_order, double d) {
  const Sectors sectors = AzimuthSectors(coverage_samples, point, axis);
  double best = 0;
  for (int n = std::max(min_order, 3); n <= max_order; ++n) {
    const Eigen::Isometry3d r = RotationAbout(point, axis, 2.0 * std::numbers::pi / n);
    best = std::max(best, ScoreMap(
                              bvh, few, [&](const Vector3d& p) { return r * p; }, d, &sectors)
                              .inlier_fraction);
  }
  return best;
}

}  // namespace

Vector3d SearchAxisPoint(const TriangleBvh& bvh, const std::vector<Vector3d>& samples,
                         const Vector3d& axis, int min_order, int max_order, double d) {
  const auto [e1, e2] = Frame(axis);
  const std::vector<Vector3d> few = Subsample(samples, 500);
  const std::vector<Vector3d> coverage = Subsample(samples, 2000);
  // The footprint between the 2nd and 98th percentiles: a few stray pieces of ground far out
  // would otherwise stretch the grid beyond the building's size.
  std::vector<double> c1, c2;
  double h = 0;
  for (const auto& p : samples) {
    c1.push_back(p.dot(e1));
    c2.push_back(p.dot(e2));
    h += p.dot(axis);
  }
  h /= double(std::max<std::size_t>(samples.size(), 1));
  auto percentile = [](std::vector<double>& v, double q) {
    if (v.empty()) return 0.0;
    auto it = v.begin() + std::ptrdiff_t(q * double(v.size() - 1));
    std::nth_element(v.begin(), it, v.end());
    return *it;
  };
  const double lo1 = percentile(c1, 0.02), hi1 = percentile(c1, 0.98);
  const double lo2 = percentile(c2, 0.02), hi2 = percentile(c2, 0.98);
  const double size = std::max(hi1 - lo1, hi2 - lo2);
  constexpr int kGrid = 13;
  double step = 1.5 * size / (kGrid - 1);
  double best_u = 0.5 * (lo1 + hi1), best_v = 0.5 * (lo2 + hi2), best = -1;
  auto at = [&](double u, double v) { return Vector3d(u * e1 + v * e2 + h * axis); };
  auto try_point = [&](double u, double v) {
    const double s = BestOrderScore(bvh, few, coverage, at(u, v), axis, min_order, max_order, d);
    if (s > best) best = s, best_u = u, best_v = v;
  };
  const double u0 = best_u - 0.5 * (kGrid - 1) * step, v0 = best_v - 0.5 * (kGrid - 1) * step;
  for (int i = 0; i < kGrid; ++i) {
    for (int j = 0; j < kGrid; ++j) {
      CheckInterrupted();
      try_point(u0 + i * step, v0 + j * step);
    }
  }
  for (int level = 0; level < 4; ++level) {
    step *= 0.5;
    const double cu = best_u, cv = best_v;
    for (int i = -2; i <= 2; ++i) {
      for (int j = -2; j <= 2; ++j) {
        if (i != 0 || j != 0) try_point(cu + i * step, cv + j * step);
      }
    }
  }
  spdlog::debug("symmetry: axis point search: best score {:.3f}", best);
  return at(best_u, best_v);
}

StoreyRepetition EstimateStoreys(const TriangleBvh& bvh, const std::vector<Vector3d>& samples,
                                 const Vector3d& point, const Vector3d& axis, double lo, double hi,
                                 double d, Progress* progress) {
  const double height = hi - lo;
  const std::vector<Vector3d> few = Subsample(samples, 800);
  const std::vector<Vector3d> many = Subsample(samples, 2000);
  auto score = [&](StoreyRepetition& rep, const std::vector<Vector3d>& on) {
    rep.inlier_fraction = ScoreMap(
                              bvh, on, [&](const Vector3d& p) { return rep.Up(p, point, axis); }, d)
                              .inlier_fraction;
    return rep.inlier_fraction;
  };
  StoreyRepetition start;
  start.base = lo;
  start.top = hi;
  // Coarse: the best hypothesis per shift.
  constexpr int kShifts = 40, kScales = 11;
  // The vertical scale: 1, or the horizontal one plus 0 or 0.05 (storeys tend to shrink less
  // in height than in plan; adding -0.04 made seed 3 converge to a wrong map).
  constexpr std::array<double, 3> kVertical = {0.0, 0.0, 0.05};  // [0]: 1
  if (progress) {
    progress->Begin("symmetry: storey repetition", kShifts * kScales * kVertical.size(),
                    "hypotheses");
  }
  std::vector<StoreyRepetition> per_shift(kShifts, start);
  for (int i = 0; i < kShifts; ++i) {
    for (int j = 0; j < kScales; ++j) {
      for (std::size_t v = 0; v < kVertical.size(); ++v) {
        CheckInterrupted();
        StoreyRepetition rep = start;
        rep.shift = height * (0.08 + 0.42 * i / (kShifts - 1));
        rep.scale = 0.7 + 0.3 * j / (kScales - 1);
        rep.vertical_scale = v == 0 ? 1.0 : rep.scale + kVertical[v];
        if (score(rep, few) > per_shift[i].inlier_fraction) per_shift[i] = rep;
        if (progress) progress->Advance();
      }
    }
  }
  if (progress) progress->End();
  std::sort(per_shift.begin(), per_shift.end(),
            [](const StoreyRepetition& a, const StoreyRepetition& b) {
              return a.inlier_fraction > b.inlier_fraction;
            });
  // The best, and the best at under 0.6 of its shift (a jump of two storeys can score best
  // on the coarse grid, whose vertical scale is only roughly right).
  std::vector<StoreyRepetition> candidates;
  if (per_shift[0].inlier_fraction > 0) candidates.push_back(per_shift[0]);
  for (const StoreyRepetition& c : per_shift) {
    if (!candidates.empty() && c.inlier_fraction > 0 && c.shift < 0.6 * candidates[0].shift) {
      candidates.push_back(c);
      break;
    }
  }
  StoreyRepetition best = start;
  for (StoreyRepetition rep : candidates) {
    // Local grid over all three.
    for (double step_h = height * 0.42 / (kShifts - 1) / 2, step_s = 0.01; step_h > 0.25 * d;
         step_h /= 2, step_s /= 2) {
      const StoreyRepetition centre = rep;
      for (int i = -1; i <= 1; ++i) {
        for (int j = -1; j <= 1; ++j) {
          for (int k = -1; k <= 1; ++k) {
            StoreyRepetition r = centre;
            r.shift += i * step_h;
            r.scale += j * step_s;
            r.vertical_scale += k * step_s;
            if (score(r, few) > rep.inlier_fraction) rep = r;
          }
        }
      }
    }
    // The grid's optimum is only as sharp as the inlier test (within d); least squares over
    // the inlier pairs (a mapped sample and its closest surface point) sharpens it: the map is
    // linear in the scale horizontally and in (vertical scale, shift) along the axis.
    score(rep, many);
    for (int iteration = 0; iteration < 10; ++iteration) {
      double hh = 0, hc = 0, n = 0, su = 0, sz = 0, suu = 0, suz = 0;
      for (const Vector3d& p : many) {
        const ClosestPoint c = bvh.Closest(rep.Up(p, point, axis));
        if (c.distance > d) continue;
        const Vector3d rel = p - point, target = c.point - point;
        const double h = rel.dot(axis), ht = target.dot(axis);
        const Vector3d xh = rel - h * axis, th = target - ht * axis;
        hh += xh.squaredNorm();
        hc += xh.dot(th);
        const double u = h - rep.base;
        n += 1, su += u, sz += ht, suu += u * u, suz += u * ht;
      }
      const double det = n * suu - su * su;
      if (n < 100 || hh <= 0 || std::abs(det) < 1e-12) break;
      StoreyRepetition next = rep;
      next.scale = hc / hh;
      next.vertical_scale = (n * suz - su * sz) / det;
      next.shift = (sz - next.vertical_scale * su) / n - rep.base;
      if (next.scale < 0.5 || next.scale > 1.2 || next.vertical_scale < 0.5 ||
          next.vertical_scale > 1.2 || score(next, many) < rep.inlier_fraction - kRefineTolerance) {
        break;
      }
      const bool moved = std::abs(next.shift - rep.shift) > 1e-4 * d;
      rep = next;
      if (!moved) break;
    }
    spdlog::debug("symmetry: storey candidate shift {:.3f} scale {:.4f} vertical {:.4f}: {:.3f}",
                  rep.shift, rep.scale, rep.vertical_scale, rep.inlier_fraction);
    if (rep.inlier_fraction > best.inlier_fraction) best = rep;
  }
  return best;
}

}  // namespace muta::restore::symmetry_search
