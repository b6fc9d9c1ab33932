#pragma once
// Internal to the symmetry estimate (symmetry.cpp): scoring a map of the surface onto itself,
// the azimuth sectors a capture covered, the choice of a rotation order, ICP refinement of an
// axis, the ground plane around a reconstruction and the search for the point where a rotation
// axis pierces the building. Not part of the library's interface.

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <Eigen/Geometry>

#include "reconstruct/restore/symmetry.h"

namespace muta {
class Progress;
class TriangleBvh;
}  // namespace muta

namespace muta::restore::symmetry_search {

using Eigen::Vector3d;
using PointMap = std::function<Vector3d(const Vector3d&)>;

/// A surface faces along a direction when its normal is within 30 degrees of it (cos 30).
constexpr double kCosAlong = 0.8660254037844386;

/// ICP's refinement of an axis is judged by the inlier fraction at the inlier distance, which is
/// coarse: a 0.3-degree tilt of a 28 m pagoda's axis (14 cm at the top) moves it by a few
/// thousandths either way. A refinement that loses no more than this is kept (it was drift that
/// cost 0.1 and more on partial captures).
constexpr double kRefineTolerance = 0.005;

struct Score {
  double inlier_fraction = 0;  ///< of the considered samples; -1 when too few were considered
  double rms = 0;              ///< of inlier distances
  double judged = 0;           ///< share of the samples considered
};

// Azimuth sectors about an axis and which of them hold observed surface: a capture along an arc
// sees only part of a building, and a sample mapped into a sector it never saw says nothing.
struct Sectors {
  Vector3d point = Vector3d::Zero(), axis = Vector3d::UnitZ(), e1 = Vector3d::UnitX(),
           e2 = Vector3d::UnitY();
  std::vector<bool> covered;  ///< empty: all covered

  int Of(const Vector3d& p) const {
    const Vector3d r = p - point;
    const double a = std::atan2(r.dot(e2), r.dot(e1));
    const int k = int(
        std::floor((a + std::numbers::pi) / (2.0 * std::numbers::pi) * Symmetry::kAzimuthSectors));
    return std::clamp(k, 0, Symmetry::kAzimuthSectors - 1);
  }
  bool Covers(const Vector3d& p) const { return covered.empty() || covered[Of(p)]; }
};

// Two unit vectors completing `axis` to an orthonormal frame.
std::pair<Vector3d, Vector3d> Frame(const Vector3d& axis);

// The covered sectors of `samples` about the axis through `point` along `axis`.
Sectors AzimuthSectors(const std::vector<Vector3d>& samples, const Vector3d& point,
                       const Vector3d& axis);

// Share of mapped samples within `d` of the surface, and the rms of those distances. With
// `sectors`, only samples mapped into covered sectors count, and when fewer than a quarter of
// them do, the map cannot be judged (inlier fraction -1).
Score ScoreMap(const TriangleBvh& bvh, const std::vector<Vector3d>& samples, const PointMap& map,
               double d, const Sectors* sectors = nullptr);

// `count` of the points, evenly spaced in their order (all when there are no more).
std::vector<Vector3d> Subsample(const std::vector<Vector3d>& points, std::size_t count);

// The reflection in the plane through `point` with unit `normal`.
Eigen::Isometry3d Reflection(const Vector3d& point, const Vector3d& normal);

// The largest order scoring within `tolerance` of the best and above `min_fraction`, whose
// tested (and well judged) divisors score at least 3/4 of the best and above `min_fraction` too (an
// exact n-fold symmetry is also an exact d-fold one for every divisor d; a near-miss order such as
// 9 on an 8-fold building is not). The divisors' margin is wider than `tolerance`: on a capture
// that covers an arc, a larger rotation is judged on less and noisier overlap. 1 if none.
int ChooseOrder(const std::vector<OrderScore>& scores, double tolerance, double min_fraction);

// Rigid ICP of the samples rotated by one step (360/order degrees) onto the surface; the axis
// and a point on it are read off the refined motion. Returns false when ICP fails or the axis
// moves by more than 10 degrees.
bool RefineAxis(const TriangleBvh& bvh, const std::vector<Vector3d>& source, int order, double d,
                Vector3d& point, Vector3d& direction);

// The ground around a reconstructed building: the near-horizontal plane (normal within 30
// degrees of +z) holding the most samples within 2 d, found by RANSAC over sample triples.
struct GroundPlane {
  Vector3d normal = Vector3d::UnitZ();  ///< pointing up
  double offset = 0;                    ///< normal . p + offset = 0 on the plane
  double fraction = 0;                  ///< of the samples within 2 d
};
GroundPlane FindGroundPlane(const std::vector<Vector3d>& samples, double d, std::uint64_t seed);

// Where a vertical axis pierces the building: the centroid of a building photographed from one
// side lies off its axis, towards the cameras, so search a grid over (and around) the
// footprint of the samples for the point about which some rotation order scores best, then
// refine the grid around it. Orders from 3 on: a half turn of a partial capture lands in what
// was not seen.
Vector3d SearchAxisPoint(const TriangleBvh& bvh, const std::vector<Vector3d>& samples,
                         const Vector3d& axis, int min_order, int max_order, double d);

// The map of a storey onto the one above (symmetry.h, StoreyRepetition) about the axis through
// `point` along `axis`, the samples spanning heights lo..hi along it: a coarse grid over
// (shift, horizontal scale, vertical scale near the horizontal one or 1), then, for the best
// few shifts (a jump of two storeys also scores), a local grid and least squares over the
// inlier pairs; the best refined map (its inlier fraction over a subsample).
StoreyRepetition EstimateStoreys(const TriangleBvh& bvh, const std::vector<Vector3d>& samples,
                                 const Vector3d& point, const Vector3d& axis, double lo, double hi,
                                 double d, Progress* progress);

}  // namespace muta::restore::symmetry_search
