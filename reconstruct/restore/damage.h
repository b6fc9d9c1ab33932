#pragma once
// Damage detection on a building mesh (docs/restore.md):
//   - holes: boundary loops of the mesh, after welding vertices that share a position (a mesh
//     of flat-shaded primitives has a separate vertex per face corner). When the building has a
//     rotational symmetry, a loop whose rotated copies are boundaries too is part of the design
//     (the free edge of a roof sheet on every side), marked `regular` and not a hole to fill;
//   - missing regions: surface the building's own rotational counterparts have and this mesh
//     lacks. Observed surface samples are rotated by k * 360/order degrees (k = 1..order-1);
//     a rotated sample with no observed surface within `gap_distance` is a candidate, kept when
//     most of its other rotated copies are observed (so a detail unique to one side, e.g. a
//     door, is not taken for damage elsewhere). Candidates are clustered into regions with a
//     bounding box, an area estimate and the rotation that best supplies them.
// Positions and distances in metres, in the mesh's frame.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/json.h"
#include "core/mesh.h"
#include "reconstruct/restore/support.h"
#include "reconstruct/restore/symmetry.h"

namespace muta::restore {

/// Topology of a mesh with vertices welded by position.
struct WeldedTopology {
  std::vector<std::uint32_t> representative;  ///< per vertex: the welded vertex id
  std::size_t num_welded = 0;
};
/// Welds vertices closer than `tolerance` (grid hashing; metres).
WeldedTopology WeldVertices(const Mesh& mesh, double tolerance);
/// The welding tolerance of damage detection and completion, relative to the mesh's diagonal.
inline constexpr double kWeldTolerance = 1e-6;

struct BoundaryLoop {
  /// Original vertex indices in order; (v[i], v[i+1]) is an edge of one face, in that face's
  /// winding direction.
  std::vector<std::uint32_t> vertices;
  double perimeter = 0;  ///< metres
  Box3f box;
};
/// Closed chains of edges used by exactly one face (after welding).
std::vector<BoundaryLoop> FindBoundaryLoops(const Mesh& mesh, const WeldedTopology& topology);

struct DamageOptions {
  SymmetryOptions symmetry;
  /// Spacing of the surface samples (metres); nullopt: from the area, at most `max_samples`.
  std::optional<double> sample_spacing;
  std::size_t max_samples = 200'000;
  /// A rotated sample farther than this from observed surface is a candidate; nullopt:
  /// max(symmetry inlier distance, 4 x the symmetry residual).
  std::optional<double> gap_distance;
  /// A candidate is kept when at least this share of its other rotated copies is observed.
  double min_support = 0.5;
  /// Regions with a smaller estimated area (m^2) are dropped; nullopt: 40 sample cells.
  std::optional<double> min_region_area;
  /// ... unless their support reaches `strong_support`: then `strong_area_fraction` of that area
  /// is enough (small elements such as a column or a bracket set whose every counterpart is
  /// observed).
  double strong_support = 0.9;
  double strong_area_fraction = 0.25;
  /// A loop is regular (by design) when this share of its edges' rotated copies lies on
  /// boundary edges too.
  double regular_loop_fraction = 0.6;
  /// A loop regular by rotation is a hole all the same when this share of its edge midpoints
  /// lands, one storey up or down, on observed surface without a boundary there – when the
  /// storey repetition holds at least `storey_min_inliers` of the surface.
  double storey_contradict_fraction = 0.6;
  double storey_min_inliers = 0.7;
  /// A loop round the axis is the building's top left open when at least this share of its
  /// membrane has nothing above it.
  double open_above_fraction = 0.9;
  /// A loop whose bounding box spans at least this share of the mesh's extent along x and y is
  /// the outer border of the captured area (the rim of the ground around a reconstructed
  /// building), not a hole.
  double outer_loop_extent = 0.8;
  /// When a ground plane was found: a loop with at least this share of its edges lower than
  /// `ground_loop_height` x the mesh's height above the plane (or 2 inlier distances, if more)
  /// is a gap in the captured ground, not a hole in the building.
  double ground_loop_fraction = 0.7;
  double ground_loop_height = 0.05;
  /// The fused cloud the mesh was made from (a workspace's dense/fused.ply + .vis), not owned;
  /// when given, weakly supported regions are reported too.
  const FusedSupport* fused = nullptr;
  WeakSupportOptions weak;
  void Check() const;
};

struct Hole {
  int id = 0;
  BoundaryLoop loop;
  bool regular = false;  ///< not a hole to fill: by design (its rotated copies are
                         ///< boundaries too) or the capture's outer border (`outer`)
  bool outer = false;    ///< spans the mesh's horizontal footprint: the edge of the captured area
  /// Runs (mostly) along the ground around the building: ground the photographs did not
  /// cover, not damage to the building (left open, like `outer`).
  bool ground = false;
  double regular_fraction = 0;  ///< share of rotated edge midpoints on boundaries
  /// Share of the edge midpoints whose copy one storey up (or down, whichever is larger)
  /// lies on observed surface that is no boundary there: a loop its rotated copies repeat
  /// (all sides damaged alike) that the storey above or below does not is damage, not design.
  double storey_contradicted = 0;
  /// Made a hole by that storey rule (`storey_contradicted` >= `storey_contradict_fraction`,
  /// the storey repetition trusted): the storey above or below holds what is missing here.
  bool by_storeys = false;
  /// Lies on a small box-shaped piece (element_box.h: every face on a side of one box): a
  /// broken board or plate, damage however regular (a designed open edge is a sheet's; a box is
  /// closed) – plaques lost alike on both sides of a gate.
  bool box_piece = false;
  /// Winds around the symmetry axis (all round the building): no membrane spans it without
  /// cutting through the building, so no method fills it; it is reported, left open.
  bool ring = false;
  /// Share of its membrane with nothing of the mesh straight above (along the axis, up): a
  /// loop round the axis open to the sky is the building's top left open – damage (a spire's
  /// lost tip) even though it repeats under the rotation; its membrane crosses nothing, so it
  /// is filled, not left open as a ring.
  double open_above = 0;
  bool open_top = false;      ///< round the axis and open above (`open_above_fraction`): filled
  std::optional<int> region;  ///< the missing region it borders, if any
};

struct MissingRegion {
  int id = 0;
  std::vector<Vec3f> points;  ///< where surface is expected (one per sample cell), metres
  Box3f box;
  double area = 0;                  ///< estimated missing surface, m^2
  int source_rotation = 0;          ///< k: the counterpart rotated by k * 360/order supplies it
  double support = 0;               ///< mean share of the other rotated copies that are observed
  std::vector<int> rotation_votes;  ///< per k = 0..order-1: candidates supplied by rotation k
};

struct Damage {
  Symmetry symmetry;
  double diagonal = 0;      ///< of the mesh's bounding box, metres
  double spacing = 0;       ///< sample spacing used, metres
  double gap_distance = 0;  ///< metres
  std::size_t samples = 0;
  std::vector<Hole> holes;  ///< every boundary loop (regular ones included, flagged)
  /// The mesh's vertices welded as the loops were found (kWeldTolerance x diagonal); the
  /// completion methods use it for pieces and neighbourhoods. Not written to damage.json.
  WeldedTopology topology;
  std::vector<MissingRegion> regions;
  WeakSupport weak;  ///< weakly supported regions (known only with a fused cloud)
  double seconds = 0;

  std::size_t NumHolesToFill() const;
  /// No missing region and no hole (a ring hole, left open, is damage found all the same).
  bool Empty() const {
    return regions.empty() &&
           std::none_of(holes.begin(), holes.end(), [](const Hole& h) { return !h.regular; });
  }
};

/// Detects holes and missing regions of `mesh` (`bvh` built over it). Throws muta::Error for
/// a mesh without area or invalid options.
Damage DetectDamage(const Mesh& mesh, const TriangleBvh& bvh, const DamageOptions& options,
                    Progress* progress = nullptr);

/// damage.json (format "muta.restore.damage", keys in docs/restore.md).
Json ToJson(const Damage& damage, const std::string& input_name);

}  // namespace muta::restore
