#pragma once
// Box-shaped broken elements. Much of a timber building is boards and plates – plaques, window
// and door leaves, panels – whose surface is an oriented box's six sides. When a boundary loop
// lies on a small connected piece of the observed mesh whose every face lies on one of the six
// sides of one box, that box is a proposal for the intact element: the learned method
// (learned_completion.cpp) keeps its unobserved sides where the network predicts surface,
// placing a plate's faces exactly where a 0.12 m voxel cannot. The box spans what is left of
// the piece: a board cut clean across is closed flat at the cut, not lengthened (the network's
// occupancy did not say reliably how far it went on; docs/restore.md).

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include <Eigen/Core>

#include "core/mesh.h"
#include "reconstruct/restore/damage.h"

namespace muta::restore {

struct ElementBox {
  Eigen::Matrix3d axes = Eigen::Matrix3d::Identity();  ///< columns: orthonormal, right-handed
  Eigen::Vector3d lo = Eigen::Vector3d::Zero();        ///< extent along each axis (axes^T x)
  Eigen::Vector3d hi = Eigen::Vector3d::Zero();
  std::vector<std::uint32_t> faces;  ///< the element's observed faces (indices into the mesh)
  /// Per side 2k + s (axis k; s = 0 the lo side, 1 the hi side): observed area on that side.
  std::array<double, 6> side_observed_area{};

  /// The outward unit normal of side 2k + s.
  Eigen::Vector3d SideNormal(int side) const;
  double SideArea(int side) const;
};

/// The faces around each welded vertex (compressed rows), built once per mesh.
struct WeldedFaceIndex {
  WeldedFaceIndex(const Mesh& mesh, const WeldedTopology& topology);
  std::vector<std::uint32_t> start;     ///< per welded vertex, into `incident`; one more at the end
  std::vector<std::uint32_t> incident;  ///< face indices
};

struct ElementBoxOptions {
  double plane_tolerance = 0.002;  ///< metres: a face lies on a side within this
  double normal_tolerance_deg = 2.0;
  double max_extent = 5.0;       ///< metres across: a larger piece is not an element
  std::size_t max_faces = 5000;  ///< a piece with more faces is not an element
  /// The defaults for a mesh whose bounding box has this diagonal: an element is at most 0.2
  /// of it across.
  static ElementBoxOptions ForMesh(double diagonal) {
    ElementBoxOptions o;
    o.max_extent = 0.2 * diagonal;
    return o;
  }
};

/// The box of the connected piece (faces sharing welded vertices) that `loop` lies on, when the
/// piece is small (`max_extent`, `max_faces`), every face's normal is within the tolerance of one
/// of three orthogonal axes and every face lies on a side of the pieces' bounding box along them
/// (a board broken anywhere, not an L or a step), and the box has thickness along all three
/// axes. nullopt otherwise.
std::optional<ElementBox> FitElementBox(const Mesh& mesh, const WeldedTopology& topology,
                                        const WeldedFaceIndex& faces, const BoundaryLoop& loop,
                                        const ElementBoxOptions& options);

/// A triangle of a box side that the observed faces do not cover, outward winding.
struct BoxCell {
  std::array<Eigen::Vector3d, 3> corners;
  int side = 0;
};
/// The sides of `box` cut into cells of about `cell` metres (two triangles each), less the
/// cells whose centre lies on one of the element's observed faces (within `tolerance`).
std::vector<BoxCell> UnobservedBoxCells(const ElementBox& box, const Mesh& mesh, double cell,
                                        double tolerance);

}  // namespace muta::restore
