// Symmetry completion: the counterpart's triangles, rotated into a missing region.
//
// For region R supplied by rotation T (k steps), every observed triangle whose rotated centroid
// lies within (gap + 2 spacing) of R's expected-surface points is a candidate. A candidate is
// dropped when it would double observed surface: at least three of its four test points (the
// centroid and the edge midpoints, rotated) lie within `duplicate_distance` of the observed
// mesh (corners are not used: a wall face between a floor and a beam has all its corners on
// observed surface). A
// kept triangle brings its vertex colours, UVs and normals along; a rotated corner within
// `duplicate_distance` of an observed vertex is put exactly on it, so the transfer meets the
// observed surface without a crack (the observed triangles are not touched).
#include <algorithm>
#include <cmath>
#include <numbers>
#include <unordered_map>

#include <fmt/format.h>

#include "core/closest_point.h"
#include "reconstruct/restore/completion.h"
#include "reconstruct/restore/storey_transfer.h"
#include "reconstruct/restore/transfer_copy.h"

namespace muta::restore {
namespace {

class SymmetryCompletion final : public CompletionMethod {
 public:
  std::string_view Name() const override { return "symmetry"; }
  Provenance Label() const override { return Provenance::kInferredSymmetry; }

  std::optional<CompletionResult> CompleteRegion(const CompletionContext& context, int region_id,
                                                 RestoredMeshBuilder& out,
                                                 std::string& why) override {
    const Damage& damage = context.damage;
    const Symmetry& sym = damage.symmetry;
    const MissingRegion& region = damage.regions.at(region_id);
    if (!sym.found || region.source_rotation == 0) {
      why = "no rotational counterpart";
      return std::nullopt;
    }
    const Mesh& m = context.observed;
    const Eigen::Isometry3d t = sym.Rotation(region.source_rotation);
    const Eigen::Matrix3d rot = t.linear();
    const double keep = damage.gap_distance + 2.0 * damage.spacing;
    const double duplicate =
        std::max({2.0 * sym.residual_rms, 1e-4 * damage.diagonal, 0.25 * damage.gap_distance});
    const PointIndex region_index(region.points);

    // Source candidates: faces whose rotated centroid falls in R's box grown by `keep`.
    Box3f grown = region.box;
    grown.min.array() -= float(keep);
    grown.max.array() += float(keep);
    const double confidence = std::clamp(sym.inlier_fraction * region.support, 0.0, 1.0);
    MovedVertices moved(context, out, duplicate, rot, false);
    double area = 0;
    std::size_t faces = 0, duplicates = 0;
    for (std::size_t f = 0; f < m.faces.size(); ++f) {
      const Face& face = m.faces[f];
      Eigen::Vector3d corner[3];
      for (int c = 0; c < 3; ++c) corner[c] = t * m.vertices[face[c]].cast<double>();
      const Eigen::Vector3d centroid = (corner[0] + corner[1] + corner[2]) / 3.0;
      const Vec3f cf = centroid.cast<float>();
      if ((cf.array() < grown.min.array()).any() || (cf.array() > grown.max.array()).any()) {
        continue;
      }
      if (region_index.Nearest(centroid).distance > keep) continue;
      if (DoublesObserved(context.bvh, corner, duplicate)) {
        ++duplicates;
        continue;
      }
      std::uint32_t ids[3];
      for (int c = 0; c < 3; ++c) ids[c] = moved.Add(face[c], corner[c]);
      out.AddFace(ids[0], ids[1], ids[2], Provenance::kInferredSymmetry, float(confidence),
                  region.source_rotation, region_id);
      area += 0.5 * (corner[1] - corner[0]).cross(corner[2] - corner[0]).norm();
      ++faces;
    }
    const double angle = 360.0 * region.source_rotation / sym.order;
    if (faces == 0) {
      why = fmt::format(
          "the counterpart (rotation by {:.1f} deg) has no surface there that is "
          "not already observed ({} candidate triangles doubled observed surface)",
          angle, duplicates);
      return std::nullopt;
    }
    CompletionResult r;
    r.target = fmt::format("region {}", region_id);
    r.method = "symmetry";
    r.faces = faces;
    r.area = area;
    r.confidence = confidence;
    r.source = fmt::format("rotation:{} ({:.1f} deg about the {}-fold axis)",
                           region.source_rotation, angle, sym.order);
    r.why = fmt::format(
        "the building's {}-fold rotational counterpart is observed there ({:.0f} % of the other "
        "rotated copies present, symmetry inliers {:.0f} %): {} triangles transferred, {} "
        "dropped as doubling observed surface; confidence = inlier fraction x support",
        sym.order, 100 * region.support, 100 * sym.inlier_fraction, faces, duplicates);
    for (const Hole& hole : context.damage.holes) {
      if (!hole.regular && hole.region == region_id) r.holes_closed.push_back(hole.id);
    }
    return r;
  }

  // A hole no rotated counterpart closes (no missing region borders it): the storey above or
  // below may hold what it lost (storey_transfer.cpp).
  std::optional<CompletionResult> CompleteHole(const CompletionContext& context, int hole_id,
                                               RestoredMeshBuilder& out,
                                               std::string& why) override {
    std::string why_storey;
    auto r = StoreyTransferHole(context, hole_id, out, why_storey);
    if (!r) {
      why =
          "no rotated counterpart surface is missing around this hole (damage detection found "
          "no missing region there), and by storey: " +
          why_storey;
    }
    return r;
  }
};

}  // namespace

std::unique_ptr<CompletionMethod> MakeSymmetryCompletion() {
  return std::make_unique<SymmetryCompletion>();
}

}  // namespace muta::restore
