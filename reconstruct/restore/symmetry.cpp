#include "reconstruct/restore/symmetry.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numbers>
#include <tuple>

#include <spdlog/spdlog.h>
#include <Eigen/Eigenvalues>

#include "core/closest_point.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/sampling.h"
#include "reconstruct/restore/symmetry_search.h"

namespace muta::restore {

using Eigen::Vector3d;
using namespace symmetry_search;

namespace {

Json Vec(const Vector3d& v) {
  return Json::array({v.x(), v.y(), v.z()});
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

bool Symmetry::Covers(const Eigen::Vector3d& p) const {
  if (sectors_covered.empty()) return true;
  Sectors s;
  s.point = axis_point;
  s.axis = axis_direction.normalized();
  std::tie(s.e1, s.e2) = Frame(s.axis);
  return sectors_covered[std::size_t(s.Of(p))];
}

bool Symmetry::OnOrBelowGround(const Eigen::Vector3d& p, double band) const {
  return ground_plane && ground_plane->head<3>().dot(p) + ground_plane->w() <= band;
}

double Symmetry::Coverage() const {
  if (sectors_covered.empty()) return 1.0;
  return double(std::count(sectors_covered.begin(), sectors_covered.end(), true)) /
         double(sectors_covered.size());
}

Eigen::Isometry3d Symmetry::Rotation(int k) const {
  return RotationAbout(axis_point, axis_direction,
                       2.0 * std::numbers::pi * double(k) / double(std::max(order, 1)));
}

Vector3d StoreyRepetition::Up(const Vector3d& p, const Vector3d& axis_point,
                              const Vector3d& axis_direction) const {
  const Vector3d rel = p - axis_point;
  const double h = rel.dot(axis_direction);
  const Vector3d horizontal = rel - h * axis_direction;
  return axis_point + scale * horizontal +
         (base + vertical_scale * (h - base) + shift) * axis_direction;
}

Vector3d StoreyRepetition::Down(const Vector3d& p, const Vector3d& axis_point,
                                const Vector3d& axis_direction) const {
  const Vector3d rel = p - axis_point;
  const double h = rel.dot(axis_direction);
  const Vector3d horizontal = rel - h * axis_direction;
  return axis_point + horizontal / scale +
         (base + (h - shift - base) / vertical_scale) * axis_direction;
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
  std::vector<std::uint32_t> sample_faces;
  for (const Vec3f& p : SampleSurface(mesh, options.samples, options.seed, &sample_faces)) {
    samples.push_back(p.cast<double>());
  }
  // The unit normal of each sample's face (zero for a degenerate face).
  std::vector<Vector3d> normals;
  normals.reserve(samples.size());
  for (const std::uint32_t f : sample_faces) {
    const auto& face = mesh.faces[f];
    const Vector3d a = mesh.vertices[face[0]].cast<double>();
    const Vector3d n = (mesh.vertices[face[1]].cast<double>() - a)
                           .cross(mesh.vertices[face[2]].cast<double>() - a);
    normals.push_back(n.norm() > 0 ? Vector3d(n.normalized()) : Vector3d::Zero());
  }
  // A reconstruction usually stands on a patch of ground whose irregular outline tilts the
  // principal axes, moves the centroid off the building's axis and dilutes every score: when a
  // near-horizontal plane holds a large share of the surface, leave it (and what lies below it)
  // out and look for the symmetry of what stands on it.
  const GroundPlane ground = FindGroundPlane(samples, d, options.seed);
  std::optional<Vector3d> ground_axis;
  if (ground.fraction >= options.ground_min_fraction) {
    // A reconstructed ground is not flat: away from the building it bulges and curls (grazing
    // views, the mesher's closure) a few bands above the plane, and a rotation about the
    // plane's normal maps that remnant onto itself about almost any point, which outscores the
    // building. Near-horizontal surface in the lowest tenth of the height above the ground is
    // therefore left out too (a platform's top goes with it; its walls stay).
    std::vector<double> heights;
    for (const auto& p : samples) {
      const double h = ground.normal.dot(p) + ground.offset;
      if (h > 2.0 * d) heights.push_back(h);
    }
    double low = 2.0 * d;
    if (!heights.empty()) {
      auto top = heights.begin() + std::ptrdiff_t(0.98 * double(heights.size() - 1));
      std::nth_element(heights.begin(), top, heights.end());
      low = std::max(low, 0.1 * *top);
    }
    std::vector<Vector3d> above, above_normals;
    std::size_t remnant = 0;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const Vector3d& p = samples[i];
      const double h = ground.normal.dot(p) + ground.offset;
      if (h <= 2.0 * d) continue;
      if (h < low && std::abs(normals[i].dot(ground.normal)) >= kCosAlong) {
        ++remnant;
        continue;
      }
      above.push_back(p);
      above_normals.push_back(normals[i]);
    }
    spdlog::debug("symmetry: {} near-horizontal samples less than {:.3g} above the ground left out",
                  remnant, low);
    if (above.size() >= 1000) {
      spdlog::info("symmetry: left out a ground plane holding {:.0f} % of the surface",
                   100 * ground.fraction);
      sym.ground_fraction = ground.fraction;
      sym.ground_plane =
          Eigen::Vector4d(ground.normal.x(), ground.normal.y(), ground.normal.z(), ground.offset);
      samples = std::move(above);
      normals = std::move(above_normals);
      ground_axis = ground.normal;
    }
  }
  const std::vector<Vector3d> search = Subsample(samples, 4000);
  // Surface facing along a rotation axis (floors, a platform's top, what is left of an uneven
  // ground for an upright axis) maps onto itself under every rotation about it and every
  // mirror through it: it raises all orders' scores alike and blurs which order fits. Rotations
  // and mirrors are scored on the samples facing sideways (normal more than 30 degrees off the
  // axis), unless too few do.
  auto facing_sideways = [&](const Vector3d& axis) {
    std::vector<Vector3d> out;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      if (std::abs(normals[i].dot(axis)) < kCosAlong) out.push_back(samples[i]);
    }
    return out.size() < 1000 ? search : Subsample(out, 4000);
  };

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
    progress->Begin("symmetry: rotation search", std::uint64_t(ground_axis ? 9 : 6) * num_orders,
                    "hypotheses");
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
  std::optional<Vector3d> searched_point;
  if (ground_axis) {
    // Surface facing up or down (ground, floors, a platform's top) maps onto itself under a
    // rotation about the ground's normal through almost any point: it cannot tell where the
    // axis is, and a wide, uneven ground outweighs the building. The search for the axis's
    // point looks at what faces sideways (walls, columns, roofs).
    searched_point = SearchAxisPoint(bvh, facing_sideways(*ground_axis), *ground_axis,
                                     options.min_order, options.max_order, d);
  }
  for (std::size_t a = 0; a < axes.size(); ++a) {
    Vector3d axis = axes[a];
    if (axis.z() < 0) axis = -axis;
    // Through the centroid, and through the box centre (less moved by one-sided damage); the
    // ground's normal also through the point found by searching.
    std::vector<Vector3d> points = {centroid, box_centre};
    if (searched_point && a == 3) points.push_back(*searched_point);
    for (const Vector3d& point : points) {
      Hypothesis h{point, axis, {}, 1, 0};
      const std::vector<Vector3d> scored = facing_sideways(axis);
      const Sectors sectors = AzimuthSectors(scored, point, axis);
      for (int n = options.min_order; n <= options.max_order; ++n) {
        CheckInterrupted();
        const Eigen::Isometry3d r = RotationAbout(point, axis, 2.0 * std::numbers::pi / n);
        const Score s = ScoreMap(
            bvh, scored, [&](const Vector3d& p) { return r * p; }, d, &sectors);
        h.scores.push_back({n, s.inlier_fraction, s.judged});
        if (progress) progress->Advance();
      }
      // A slightly tilted axis (damage, a unique door) spoils large rotations more than small
      // ones: refine the axis by the best single order before choosing the order.
      const auto top = std::max_element(h.scores.begin(), h.scores.end(), [](auto& x, auto& y) {
        return x.inlier_fraction < y.inlier_fraction;
      });
      // ICP on a partial or noisy capture can also drift: the refinement is kept only when
      // it does not lower the best score by more than the scores' noise.
      Vector3d refined_point = h.point, refined_axis = h.axis;
      if (top->inlier_fraction >= 0.5 * options.min_inlier_fraction &&
          RefineAxis(bvh, Subsample(samples, 5000), top->order, d, refined_point, refined_axis)) {
        const Sectors refined_sectors = AzimuthSectors(scored, refined_point, refined_axis);
        std::vector<OrderScore> refined_scores = h.scores;
        for (auto& o : refined_scores) {
          const Eigen::Isometry3d rr =
              RotationAbout(refined_point, refined_axis, 2.0 * std::numbers::pi / o.order);
          const Score rs = ScoreMap(
              bvh, scored, [&](const Vector3d& p) { return rr * p; }, d, &refined_sectors);
          o.inlier_fraction = rs.inlier_fraction;
          o.judged = rs.judged;
        }
        auto best_of = [](const std::vector<OrderScore>& v) {
          double b = -1;
          for (const auto& o : v) b = std::max(b, o.inlier_fraction);
          return b;
        };
        if (best_of(refined_scores) >= best_of(h.scores) - kRefineTolerance) {
          h.point = refined_point;
          h.axis = refined_axis;
          h.scores = std::move(refined_scores);
        }
      }
      h.order = ChooseOrder(h.scores, options.order_tolerance, options.min_inlier_fraction);
      spdlog::debug(
          "symmetry: axis ({:.3f} {:.3f} {:.3f}) through ({:.3f} {:.3f} {:.3f}), refined "
          "({:.3f} {:.3f} {:.3f}) through ({:.3f} {:.3f} {:.3f}): order {}, scores {}",
          axis.x(), axis.y(), axis.z(), point.x(), point.y(), point.z(), h.axis.x(), h.axis.y(),
          h.axis.z(), h.point.x(), h.point.y(), h.point.z(), h.order, [&] {
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
    if (ground_axis) {
      sym.axis_direction = *ground_axis;
      if (searched_point) sym.axis_point = *searched_point;
    }
    const Sectors sectors = AzimuthSectors(search, sym.axis_point, sym.axis_direction);
    sym.sectors_covered = sectors.covered;
    const std::vector<Vector3d> scored = facing_sideways(sym.axis_direction);
    for (int n = options.min_order; n <= options.max_order; ++n) {
      const Eigen::Isometry3d r =
          RotationAbout(sym.axis_point, sym.axis_direction, 2.0 * std::numbers::pi / n);
      const Score s = ScoreMap(
          bvh, scored, [&](const Vector3d& p) { return r * p; }, d, &sectors);
      sym.order_scores.push_back({n, s.inlier_fraction, s.judged});
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
  {
    // Kept only when it does not lower the chosen order's score by more than its noise (ICP
    // may drift on a partial capture).
    Vector3d point = sym.axis_point, axis = sym.axis_direction;
    if (RefineAxis(bvh, Subsample(samples, 20'000), sym.order, d, point, axis)) {
      const std::vector<Vector3d> scored = facing_sideways(sym.axis_direction);
      auto score = [&](const Vector3d& c, const Vector3d& u) {
        const Sectors sec = AzimuthSectors(scored, c, u);
        const Eigen::Isometry3d r = RotationAbout(c, u, 2.0 * std::numbers::pi / sym.order);
        return ScoreMap(
                   bvh, scored, [&](const Vector3d& p) { return r * p; }, d, &sec)
            .inlier_fraction;
      };
      if (score(point, axis) >= score(sym.axis_point, sym.axis_direction) - kRefineTolerance) {
        sym.axis_point = point;
        sym.axis_direction = axis;
      }
    }
  }

  // Final figures about the refined axis.
  const Sectors sectors = AzimuthSectors(search, sym.axis_point, sym.axis_direction);
  sym.sectors_covered = sectors.covered;
  const Eigen::Isometry3d r1 = sym.Rotation(1);
  const Score full = ScoreMap(
      bvh, samples, [&](const Vector3d& p) { return r1 * p; }, d, &sectors);
  sym.inlier_fraction = full.inlier_fraction;
  sym.residual_rms = full.rms;
  const std::vector<Vector3d> scored = facing_sideways(sym.axis_direction);
  for (int n = options.min_order; n <= options.max_order; ++n) {
    const Eigen::Isometry3d r =
        RotationAbout(sym.axis_point, sym.axis_direction, 2.0 * std::numbers::pi / n);
    const Score s = ScoreMap(
        bvh, scored, [&](const Vector3d& p) { return r * p; }, d, &sectors);
    sym.order_scores.push_back({n, s.inlier_fraction, s.judged});
  }

  if (options.detect_mirrors) {
    CheckInterrupted();
    const auto [e1, e2] = Frame(sym.axis_direction);
    const std::vector<Vector3d> few = Subsample(scored, 1000);
    auto mirror_score = [&](double phi, const std::vector<Vector3d>& pts) {
      const Vector3d normal = std::cos(phi) * e1 + std::sin(phi) * e2;
      const Eigen::Isometry3d m = Reflection(sym.axis_point, normal);
      return ScoreMap(
                 bvh, pts, [&](const Vector3d& p) { return m * p; }, d, &sectors)
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
    // An n-fold building has n mirror planes 180/n degrees apart; a nearly round one (roofs,
    // platforms) scores well at every angle, with small bumps between the true planes. A peak
    // must be the best within (almost) half that spacing either side (at least 3 degrees).
    const int window = std::max(3, kSteps / (2 * sym.order) - 1);
    for (int i = 0; i < kSteps; ++i) {
      if (scores[i] < options.min_inlier_fraction) continue;
      bool peak = true;
      for (int j = 1; j <= window && peak; ++j) {
        peak =
            scores[i] >= scores[(i + kSteps - j) % kSteps] && scores[i] > scores[(i + j) % kSteps];
      }
      if (!peak) continue;
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
      plane.inlier_fraction =
          ScoreMap(
              bvh, scored, [&](const Vector3d& p) { return m * p; }, d, &sectors)
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
    StoreyRepetition best_rep =
        EstimateStoreys(bvh, samples, sym.axis_point, sym.axis_direction, lo, hi, d, progress);
    best_rep.inlier_fraction =
        ScoreMap(
            bvh, search,
            [&](const Vector3d& p) { return best_rep.Up(p, sym.axis_point, sym.axis_direction); },
            d)
            .inlier_fraction;
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
      sym.storeys ? fmt::format(", storey shift {:.3f} m scale {:.3f} (vertical {:.3f}), {:.1f} %",
                                sym.storeys->shift, sym.storeys->scale, sym.storeys->vertical_scale,
                                100 * sym.storeys->inlier_fraction)
                  : std::string(),
      sym.seconds);
  return sym;
}

Json ToJson(const Symmetry& s) {
  Json orders = Json::array();
  for (const auto& o : s.order_scores) {
    // null: the rotation carries too little of the surface into what the capture covered
    orders.push_back(
        {{"order", o.order},
         {"inlier_fraction", o.inlier_fraction >= 0 ? Json(o.inlier_fraction) : Json(nullptr)},
         {"judged", o.judged}});
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
               {"vertical_scale", s.storeys->vertical_scale},
               {"base_m", s.storeys->base},
               {"top_m", s.storeys->top},
               {"inlier_fraction", s.storeys->inlier_fraction}};
  }
  return {{"found", s.found},
          {"axis", {{"point", Vec(s.axis_point)}, {"direction", Vec(s.axis_direction)}}},
          {"rotation_order", s.order},
          {"inlier_fraction", s.inlier_fraction},
          {"residual_rms_m", s.residual_rms},
          {"inlier_distance_m", s.inlier_distance},
          {"ground_fraction", s.ground_fraction},
          {"azimuth_coverage", s.Coverage()},
          {"orders_tested", orders},
          {"mirror_planes", mirrors},
          {"storey_repetition", storeys},
          {"seconds", s.seconds}};
}

}  // namespace muta::restore
