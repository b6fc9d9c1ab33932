#include "reconstruct/restore/symmetry.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <numbers>
#include <numeric>
#include <random>

#include <spdlog/spdlog.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#include <Eigen/Eigenvalues>
#include <Eigen/SVD>

#include "core/closest_point.h"
#include "core/error.h"
#include "core/icp.h"
#include "core/progress.h"
#include "core/sampling.h"

namespace muta::restore {
namespace {

using Eigen::Vector3d;
using PointMap = std::function<Vector3d(const Vector3d&)>;

struct Score {
  double inlier_fraction = 0;
  double rms = 0;  ///< of inlier distances
};

// Share of mapped samples within `d` of the surface, and the rms of those distances.
Score ScoreMap(const TriangleBvh& bvh, const std::vector<Vector3d>& samples, const PointMap& map,
               double d) {
  struct Acc {
    std::size_t inliers = 0;
    double sq = 0;
  };
  const Acc acc = tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, samples.size(), 256), Acc{},
      [&](const tbb::blocked_range<std::size_t>& r, Acc a) {
        for (std::size_t i = r.begin(); i != r.end(); ++i) {
          const ClosestPoint c = bvh.Closest(map(samples[i]));
          if (c.distance <= d) {
            ++a.inliers;
            a.sq += c.distance * c.distance;
          }
        }
        return a;
      },
      [](Acc a, const Acc& b) {
        a.inliers += b.inliers;
        a.sq += b.sq;
        return a;
      });
  Score s;
  if (!samples.empty()) s.inlier_fraction = double(acc.inliers) / double(samples.size());
  if (acc.inliers > 0) s.rms = std::sqrt(acc.sq / double(acc.inliers));
  return s;
}

std::vector<Vector3d> Subsample(const std::vector<Vector3d>& points, std::size_t count) {
  if (points.size() <= count) return points;
  std::vector<Vector3d> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(points[i * points.size() / count]);
  return out;
}

// Two unit vectors completing `axis` to an orthonormal frame.
std::pair<Vector3d, Vector3d> Frame(const Vector3d& axis) {
  const Vector3d helper = std::abs(axis.x()) < 0.9 ? Vector3d::UnitX() : Vector3d::UnitY();
  const Vector3d e1 = (helper - helper.dot(axis) * axis).normalized();
  return {e1, axis.cross(e1)};
}

Eigen::Isometry3d Reflection(const Vector3d& point, const Vector3d& normal) {
  Eigen::Isometry3d t = Eigen::Isometry3d::Identity();
  t.linear() = Eigen::Matrix3d::Identity() - 2.0 * normal * normal.transpose();
  t.translation() = 2.0 * point.dot(normal) * normal;
  return t;
}

// The largest order scoring within `tolerance` of the best and above `min_fraction`, whose
// tested divisors score within `tolerance` of the best too (an exact n-fold symmetry is also an
// exact d-fold one for every divisor d; a near-miss order such as 9 on an 8-fold building is
// not); 1 if none.
int ChooseOrder(const std::vector<OrderScore>& scores, double tolerance, double min_fraction) {
  double best = 0;
  for (const auto& s : scores) best = std::max(best, s.inlier_fraction);
  const double good = std::max(min_fraction, (1.0 - tolerance) * best);
  auto score_of = [&](int n) {
    for (const auto& s : scores) {
      if (s.order == n) return s.inlier_fraction;
    }
    return -1.0;  // not tested
  };
  int chosen = 1;
  for (const auto& s : scores) {
    if (s.inlier_fraction < good) continue;
    bool divisors_ok = true;
    for (int d = 2; d < s.order; ++d) {
      if (s.order % d == 0) {
        const double f = score_of(d);
        if (f >= 0 && f < good) divisors_ok = false;
      }
    }
    if (divisors_ok) chosen = std::max(chosen, s.order);
  }
  return chosen;
}

// Rigid ICP of the samples rotated by one step (360/order degrees) onto the surface; the axis
// and a point on it are read off the refined motion. Returns false when ICP fails or the axis
// moves by more than 10 degrees.
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

Json Vec(const Vector3d& v) {
  return Json::array({v.x(), v.y(), v.z()});
}

// The ground around a reconstructed building: the near-horizontal plane (normal within 30
// degrees of +z) holding the most samples within 2 d, found by RANSAC over sample triples.
struct GroundPlane {
  Vector3d normal = Vector3d::UnitZ();  ///< pointing up
  double offset = 0;                    ///< normal . p + offset = 0 on the plane
  double fraction = 0;                  ///< of the samples within 2 d
};

GroundPlane FindGroundPlane(const std::vector<Vector3d>& samples, double d, std::uint64_t seed) {
  GroundPlane best;
  if (samples.size() < 3) return best;
  const std::vector<Vector3d> few = Subsample(samples, 4000);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, few.size() - 1);
  const double cos_max_tilt = std::cos(30.0 * std::numbers::pi / 180.0);
  for (int iteration = 0; iteration < 400; ++iteration) {
    const Vector3d& a = few[pick(rng)];
    Vector3d n = (few[pick(rng)] - a).cross(few[pick(rng)] - a);
    if (n.norm() < 1e-12) continue;
    n.normalize();
    if (n.z() < 0) n = -n;
    if (n.z() < cos_max_tilt) continue;
    const double offset = -n.dot(a);
    std::size_t inliers = 0;
    for (const auto& p : few) inliers += std::abs(n.dot(p) + offset) <= 2.0 * d;
    const double fraction = double(inliers) / double(few.size());
    if (fraction > best.fraction) best = {n, offset, fraction};
  }
  return best;
}

}  // namespace

void SymmetryOptions::Check() const {
  MUTA_CHECK(min_order >= 2 && max_order >= min_order && max_order <= 64)
      << "SymmetryOptions.min_order/max_order must satisfy 2 <= min <= max <= 64 (got " << min_order
      << ", " << max_order << ")";
  MUTA_CHECK(samples >= 100) << "SymmetryOptions.samples must be at least 100";
  MUTA_CHECK(!inlier_distance || *inlier_distance > 0)
      << "SymmetryOptions.inlier_distance must be positive";
  MUTA_CHECK(min_inlier_fraction > 0 && min_inlier_fraction <= 1)
      << "SymmetryOptions.min_inlier_fraction must be in (0, 1]";
  MUTA_CHECK(order_tolerance >= 0 && order_tolerance < 1)
      << "SymmetryOptions.order_tolerance must be in [0, 1)";
  MUTA_CHECK(ground_min_fraction > 0 && ground_min_fraction <= 1)
      << "SymmetryOptions.ground_min_fraction must be in (0, 1]";
}

Eigen::Isometry3d RotationAbout(const Vector3d& point, const Vector3d& direction, double angle) {
  Eigen::Isometry3d t = Eigen::Isometry3d::Identity();
  t.linear() = Eigen::AngleAxisd(angle, direction.normalized()).toRotationMatrix();
  t.translation() = point - t.linear() * point;
  return t;
}

Eigen::Isometry3d Symmetry::Rotation(int k) const {
  return RotationAbout(axis_point, axis_direction,
                       2.0 * std::numbers::pi * double(k) / double(std::max(order, 1)));
}

Symmetry EstimateSymmetry(const Mesh& mesh, const TriangleBvh& bvh, const SymmetryOptions& options,
                          Progress* progress) {
  options.Check();
  const auto start = std::chrono::steady_clock::now();
  const double area = mesh.Area();
  MUTA_CHECK(mesh.NumFaces() > 0 && std::isfinite(area) && area > 0)
      << "symmetry: the mesh has no surface area (" << mesh.NumFaces() << " faces)";
  const Box3f box = BoundingBox(mesh.vertices);
  const double diagonal = box.Size().cast<double>().norm();

  Symmetry sym;
  sym.inlier_distance = options.inlier_distance.value_or(0.0025 * diagonal);
  const double d = sym.inlier_distance;

  std::vector<Vector3d> samples;
  for (const Vec3f& p : SampleSurface(mesh, options.samples, options.seed)) {
    samples.push_back(p.cast<double>());
  }
  // A reconstruction usually stands on a patch of ground whose irregular outline tilts the
  // principal axes, moves the centroid off the building's axis and dilutes every score: when a
  // near-horizontal plane holds a large share of the surface, leave it (and what lies below it)
  // out and look for the symmetry of what stands on it.
  const GroundPlane ground = FindGroundPlane(samples, d, options.seed);
  std::optional<Vector3d> ground_axis;
  if (ground.fraction >= options.ground_min_fraction) {
    std::vector<Vector3d> above;
    for (const auto& p : samples) {
      if (ground.normal.dot(p) + ground.offset > 2.0 * d) above.push_back(p);
    }
    if (above.size() >= 1000) {
      spdlog::info("symmetry: left out a ground plane holding {:.0f} % of the surface",
                   100 * ground.fraction);
      sym.ground_fraction = ground.fraction;
      samples = std::move(above);
      ground_axis = ground.normal;
    }
  }
  const std::vector<Vector3d> search = Subsample(samples, 4000);

  // Principal axes of the samples.
  Vector3d centroid = Vector3d::Zero();
  for (const auto& p : samples) centroid += p;
  centroid /= double(samples.size());
  Eigen::Matrix3d cov = Eigen::Matrix3d::Zero();
  for (const auto& p : samples) cov += (p - centroid) * (p - centroid).transpose();
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig(cov);
  Vector3d sample_lo = samples.front(), sample_hi = samples.front();
  for (const auto& p : samples) {
    sample_lo = sample_lo.cwiseMin(p);
    sample_hi = sample_hi.cwiseMax(p);
  }
  const Vector3d box_centre =
      0.5 * (sample_lo + sample_hi);  // of the samples (the ground left out)

  const int num_orders = options.max_order - options.min_order + 1;
  if (progress) {
    progress->Begin("symmetry: rotation search",
                    std::uint64_t(ground_axis ? 4 : 3) * 2 * num_orders, "hypotheses");
  }
  struct Hypothesis {
    Vector3d point, axis;
    std::vector<OrderScore> scores;
    int order = 1;
    double score = 0;
  };
  Hypothesis best;
  std::vector<Vector3d> axes;
  for (int a = 0; a < 3; ++a) axes.push_back(eig.eigenvectors().col(a).normalized());
  if (ground_axis) axes.push_back(*ground_axis);  // buildings stand upright on the ground
  for (Vector3d axis : axes) {
    if (axis.z() < 0) axis = -axis;
    // Through the centroid, and through the box centre (less moved by one-sided damage).
    for (const Vector3d& point : {centroid, box_centre}) {
      Hypothesis h{point, axis, {}, 1, 0};
      for (int n = options.min_order; n <= options.max_order; ++n) {
        CheckInterrupted();
        const Eigen::Isometry3d r = RotationAbout(point, axis, 2.0 * std::numbers::pi / n);
        const Score s = ScoreMap(
            bvh, search, [&](const Vector3d& p) { return r * p; }, d);
        h.scores.push_back({n, s.inlier_fraction});
        if (progress) progress->Advance();
      }
      // A slightly tilted axis (damage, a unique door) spoils large rotations more than small
      // ones: refine the axis by the best single order before choosing the order.
      const auto top = std::max_element(h.scores.begin(), h.scores.end(), [](auto& x, auto& y) {
        return x.inlier_fraction < y.inlier_fraction;
      });
      if (top->inlier_fraction >= 0.5 * options.min_inlier_fraction &&
          RefineAxis(bvh, Subsample(samples, 5000), top->order, d, h.point, h.axis)) {
        for (auto& o : h.scores) {
          const Eigen::Isometry3d rr =
              RotationAbout(h.point, h.axis, 2.0 * std::numbers::pi / o.order);
          o.inlier_fraction = ScoreMap(
                                  bvh, search, [&](const Vector3d& p) { return rr * p; }, d)
                                  .inlier_fraction;
        }
      }
      h.order = ChooseOrder(h.scores, options.order_tolerance, options.min_inlier_fraction);
      spdlog::debug("symmetry: axis ({:.3f} {:.3f} {:.3f}): order {}, scores {}", axis.x(),
                    axis.y(), axis.z(), h.order, [&] {
                      std::string t;
                      for (const auto& s : h.scores)
                        t += fmt::format(" {}:{:.3f}", s.order, s.inlier_fraction);
                      return t;
                    }());
      for (const auto& s : h.scores) {
        if (s.order == h.order) h.score = s.inlier_fraction;
      }
      if (h.order > 1 && (best.order == 1 || h.score > best.score)) best = h;
    }
  }
  if (progress) progress->End();

  if (best.order == 1) {
    // Report the best scores found so that the user sees how far from symmetric it is.
    sym.found = false;
    double best_any = 0;
    sym.axis_point = centroid;
    sym.axis_direction = eig.eigenvectors().col(2).normalized();
    if (sym.axis_direction.z() < 0) sym.axis_direction = -sym.axis_direction;
    for (int n = options.min_order; n <= options.max_order; ++n) {
      const Eigen::Isometry3d r =
          RotationAbout(sym.axis_point, sym.axis_direction, 2.0 * std::numbers::pi / n);
      const Score s = ScoreMap(
          bvh, search, [&](const Vector3d& p) { return r * p; }, d);
      sym.order_scores.push_back({n, s.inlier_fraction});
      best_any = std::max(best_any, s.inlier_fraction);
    }
    sym.inlier_fraction = best_any;
    sym.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    spdlog::info("symmetry: no rotational symmetry (best inlier fraction {:.2f} < {:.2f})",
                 best_any, options.min_inlier_fraction);
    return sym;
  }

  // ICP refinement of the rotation by one step, twice; the axis and point are read off the
  // refined rigid motion.
  sym.found = true;
  sym.order = best.order;
  sym.axis_point = best.point;
  sym.axis_direction = best.axis;
  RefineAxis(bvh, Subsample(samples, 20'000), sym.order, d, sym.axis_point, sym.axis_direction);

  // Final figures about the refined axis.
  const Eigen::Isometry3d r1 = sym.Rotation(1);
  const Score full = ScoreMap(
      bvh, samples, [&](const Vector3d& p) { return r1 * p; }, d);
  sym.inlier_fraction = full.inlier_fraction;
  sym.residual_rms = full.rms;
  for (int n = options.min_order; n <= options.max_order; ++n) {
    const Eigen::Isometry3d r =
        RotationAbout(sym.axis_point, sym.axis_direction, 2.0 * std::numbers::pi / n);
    sym.order_scores.push_back({n, ScoreMap(
                                       bvh, search, [&](const Vector3d& p) { return r * p; }, d)
                                       .inlier_fraction});
  }

  if (options.detect_mirrors) {
    CheckInterrupted();
    const auto [e1, e2] = Frame(sym.axis_direction);
    const std::vector<Vector3d> few = Subsample(samples, 1000);
    auto mirror_score = [&](double phi, const std::vector<Vector3d>& pts) {
      const Vector3d normal = std::cos(phi) * e1 + std::sin(phi) * e2;
      const Eigen::Isometry3d m = Reflection(sym.axis_point, normal);
      return ScoreMap(
                 bvh, pts, [&](const Vector3d& p) { return m * p; }, d)
          .inlier_fraction;
    };
    constexpr int kSteps = 180;  // one-degree steps over 180 degrees
    if (progress) progress->Begin("symmetry: mirror planes", kSteps, "hypotheses");
    std::vector<double> scores(kSteps);
    for (int i = 0; i < kSteps; ++i) {
      scores[i] = mirror_score(std::numbers::pi * i / kSteps, few);
      if (progress) progress->Advance();
    }
    if (progress) progress->End();
    for (int i = 0; i < kSteps; ++i) {
      const double prev = scores[(i + kSteps - 1) % kSteps], next = scores[(i + 1) % kSteps];
      if (scores[i] < options.min_inlier_fraction || scores[i] < prev || scores[i] <= next) {
        continue;
      }
      // Refine in 0.05-degree steps around the peak.
      double best_phi = std::numbers::pi * i / kSteps, best_score = scores[i];
      for (int j = -5; j <= 5; ++j) {
        const double phi = std::numbers::pi * (i + 0.2 * j) / kSteps;
        const double s = mirror_score(phi, few);
        if (s > best_score) best_score = s, best_phi = phi;
      }
      MirrorPlane plane;
      plane.point = sym.axis_point;
      plane.normal = std::cos(best_phi) * e1 + std::sin(best_phi) * e2;
      const Eigen::Isometry3d m = Reflection(plane.point, plane.normal);
      plane.inlier_fraction = ScoreMap(
                                  bvh, search, [&](const Vector3d& p) { return m * p; }, d)
                                  .inlier_fraction;
      if (plane.inlier_fraction >= options.min_inlier_fraction) sym.mirrors.push_back(plane);
    }
  }

  if (options.detect_storeys) {
    CheckInterrupted();
    // Heights along the axis.
    double lo = std::numeric_limits<double>::max(), hi = std::numeric_limits<double>::lowest();
    for (const auto& p : samples) {
      const double h = (p - sym.axis_point).dot(sym.axis_direction);
      lo = std::min(lo, h);
      hi = std::max(hi, h);
    }
    const double height = hi - lo;
    const std::vector<Vector3d> few = Subsample(samples, 800);
    auto storey_map = [&](double shift, double scale) {
      return [&, shift, scale](const Vector3d& p) {
        const Vector3d rel = p - sym.axis_point;
        const double h = rel.dot(sym.axis_direction);
        const Vector3d horizontal = rel - h * sym.axis_direction;
        return Vector3d(sym.axis_point + scale * horizontal + (h + shift) * sym.axis_direction);
      };
    };
    constexpr int kShifts = 40, kScales = 11;
    if (progress) progress->Begin("symmetry: storey repetition", kShifts * kScales, "hypotheses");
    StoreyRepetition best_rep;
    for (int i = 0; i < kShifts; ++i) {
      const double shift = height * (0.08 + 0.42 * i / (kShifts - 1));
      for (int j = 0; j < kScales; ++j) {
        CheckInterrupted();
        const double scale = 0.7 + 0.3 * j / (kScales - 1);
        const double s = ScoreMap(bvh, few, storey_map(shift, scale), d).inlier_fraction;
        if (s > best_rep.inlier_fraction) best_rep = {shift, scale, s};
        if (progress) progress->Advance();
      }
    }
    if (progress) progress->End();
    // Local refinement.
    for (double step_h = height * 0.42 / (kShifts - 1) / 2, step_s = 0.01; step_h > 1e-3 * d;
         step_h /= 2, step_s /= 2) {
      const StoreyRepetition centre = best_rep;
      for (int i = -2; i <= 2; ++i) {
        for (int j = -2; j <= 2; ++j) {
          const double shift = centre.shift + i * step_h, scale = centre.scale + j * step_s;
          const double s = ScoreMap(bvh, few, storey_map(shift, scale), d).inlier_fraction;
          if (s > best_rep.inlier_fraction) best_rep = {shift, scale, s};
        }
      }
      if (step_h < 0.05 * d) break;
    }
    best_rep.inlier_fraction =
        ScoreMap(bvh, search, storey_map(best_rep.shift, best_rep.scale), d).inlier_fraction;
    // Vertical surfaces match any small shift; a storey repetition must also carry a good
    // part of the rest.
    if (best_rep.inlier_fraction >= 0.25) sym.storeys = best_rep;
  }

  sym.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info(
      "symmetry: order {} about axis ({:.3f} {:.3f} {:.3f}) through ({:.3f} {:.3f} {:.3f}), "
      "inliers {:.1f} %, residual {:.2g} m, {} mirror planes{}, {:.1f} s",
      sym.order, sym.axis_direction.x(), sym.axis_direction.y(), sym.axis_direction.z(),
      sym.axis_point.x(), sym.axis_point.y(), sym.axis_point.z(), 100 * sym.inlier_fraction,
      sym.residual_rms, sym.mirrors.size(),
      sym.storeys ? fmt::format(", storey shift {:.3f} m scale {:.3f}", sym.storeys->shift,
                                sym.storeys->scale)
                  : std::string(),
      sym.seconds);
  return sym;
}

Json ToJson(const Symmetry& s) {
  Json orders = Json::array();
  for (const auto& o : s.order_scores) {
    orders.push_back({{"order", o.order}, {"inlier_fraction", o.inlier_fraction}});
  }
  Json mirrors = Json::array();
  for (const auto& m : s.mirrors) {
    mirrors.push_back({{"point", Vec(m.point)},
                       {"normal", Vec(m.normal)},
                       {"inlier_fraction", m.inlier_fraction}});
  }
  Json storeys = nullptr;
  if (s.storeys) {
    storeys = {{"shift_m", s.storeys->shift},
               {"horizontal_scale", s.storeys->scale},
               {"inlier_fraction", s.storeys->inlier_fraction}};
  }
  return {{"found", s.found},
          {"axis", {{"point", Vec(s.axis_point)}, {"direction", Vec(s.axis_direction)}}},
          {"rotation_order", s.order},
          {"inlier_fraction", s.inlier_fraction},
          {"residual_rms_m", s.residual_rms},
          {"inlier_distance_m", s.inlier_distance},
          {"ground_fraction", s.ground_fraction},
          {"orders_tested", orders},
          {"mirror_planes", mirrors},
          {"storey_repetition", storeys},
          {"seconds", s.seconds}};
}

}  // namespace muta::restore
