#pragma once
// Internal to tools/synth: the building blocks the pagoda, hall and gate are made of – a mesh
// builder that tags faces with parts and maps UVs at real scale, boxes, prisms, surfaces of
// revolution, sweeps, bracket sets and curved tiled roofs with upturned eaves.
//
// Geometry is given in a local frame (metres) that SetTransform maps into the world (z-up);
// UVs are computed from world positions in metres, offset randomly per primitive and divided by
// MaterialTileMetres of the current part's material. Faces are wound counter-clockwise seen
// from outside (as long as the transform has a positive determinant).

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Geometry>

#include "tools/synth/synth.h"

namespace muta::synth {

using V2 = Eigen::Vector2d;
using V3 = Eigen::Vector3d;

/// SplitMix64-based generator: the same numbers on every platform (unlike std distributions).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next();
  double Uniform(double lo, double hi);  ///< in [lo, hi)
  int UniformInt(int lo, int hi);        ///< in [lo, hi]

 private:
  std::uint64_t state_;
};

/// A seed derived from `seed` and a label (independent streams for parameters, damage, ...).
std::uint64_t DeriveSeed(std::uint64_t seed, std::string_view label);

class MeshBuilder {
 public:
  explicit MeshBuilder(std::uint64_t uv_seed) : rng_(uv_seed) {}

  /// Starts a part: subsequent faces belong to it. Returns its id.
  int BeginPart(Part part);
  int current_part() const { return current_; }
  /// Makes an existing part current again (its material sets the UV tile size).
  void SetCurrentPart(int id) { current_ = id; }
  std::vector<Part>& parts() { return parts_; }

  /// world = transform * local for everything added from now on.
  void SetTransform(const Eigen::Affine3d& world_from_local) { xf_ = world_from_local; }
  const Eigen::Affine3d& transform() const { return xf_; }
  V3 World(const V3& local) const { return xf_ * local; }
  V3 WorldDir(const V3& local) const { return (xf_.linear() * local).normalized(); }

  /// Low level: a vertex at a world position with UV in metres (offset and tile applied here).
  std::uint32_t AddVertex(const V3& world, const V2& uv_metres);
  void AddFace(std::uint32_t a, std::uint32_t b, std::uint32_t c, int part = -1);
  /// Draws a fresh random UV offset (BeginPart does; call again to vary within a part).
  /// A non-zero `u_quantum` rounds the u offset to a multiple of it (keeps roof tile lines
  /// on the geometry's tile channels).
  void NewUvOffset(double u_quantum = 0.0);

  /// A planar quad (local corners, counter-clockwise seen from outside); UV axes: v along
  /// `v_dir` (local), u perpendicular to it in the quad's plane.
  void AddQuad(const V3& a, const V3& b, const V3& c, const V3& d, const V3& v_dir);
  /// An oriented box: centre, orthonormal local axes (columns), half extents along them;
  /// textures run with v along axis `grain` on the four faces parallel to it.
  void AddBox(const V3& centre, const Eigen::Matrix3d& axes, const V3& half, int grain = 2);
  /// Axis-aligned (in the local frame) box from min to max corner.
  void AddAabb(const V3& lo, const V3& hi, int grain = 2);
  /// A box along the segment a -> b with the given width (horizontal) and height (vertical),
  /// v along the segment (the grain).
  void AddBeam(const V3& a, const V3& b, double width, double height, bool grain_along = true);
  /// A vertical prism over a counter-clockwise polygon (local xy) from z0 to z1. Sides flat
  /// shaded (u along the side, v up); optional caps.
  void AddPrism(const std::vector<V2>& polygon, double z0, double z1, bool top, bool bottom);
  /// A surface of revolution about the local vertical through `centre`: profile points
  /// (radius, z) from bottom to top, `segments` around starting at angle `start` (radians).
  /// Closed by fans where the profile ends at a non-zero radius.
  void AddRevolved(const V3& centre, const std::vector<V2>& profile, int segments, double start);
  /// A grid surface (rows x cols local points, row-major); UVs by arc length along rows (u)
  /// and columns (v). Quads (r,c),(r,c+1),(r+1,c+1),(r+1,c); `flip` reverses the winding.
  /// `cell_part(r, c)` gives each cell's part (default: the current part); `uv_metres`, when
  /// given, replaces the arc-length UVs (one per point).
  void AddGrid(const std::vector<V3>& points, int rows, int cols, bool flip,
               const std::function<int(int, int)>& cell_part = {},
               const std::vector<V2>* uv_metres = nullptr);
  /// A rectangular tube of width x height swept along a polyline (local), bottom face on the
  /// polyline, `up` the local up direction for every point. Ends capped.
  void AddSweep(const std::vector<V3>& path, double width, double height, const V3& up);

  /// The finished mesh (vertex normals computed) and parts with face counts.
  Mesh TakeMesh();

 private:
  Rng rng_;
  Eigen::Affine3d xf_ = Eigen::Affine3d::Identity();
  Mesh mesh_;
  std::vector<Part> parts_;
  int current_ = -1;
  V2 uv_offset_ = V2::Zero();
};

/// A tiled roof over a convex plan polygon. Side k runs from eave corner k to k+1 (counter-
/// clockwise seen from above) and rises from its eave edge to the top polygon's edge k.
struct RoofSpec {
  std::vector<V3> eave;        ///< eave corners (local; z = eave height)
  std::vector<V3> top;         ///< top polygon corners, same count (z = top height)
  std::vector<V3> soffit;      ///< inner corners of the underside, same count
  double gamma = 1.7;          ///< profile exponent: height ~ v^gamma from eave to top
  double corner_lift = 0.8;    ///< upturn of the eave at the corners, m
  double lift_length = 2.5;    ///< distance from a corner over which the eave rises, m
  double plan_sag = 0.25;      ///< eave line pulled inward at mid-side, m
  double thickness = 0.28;     ///< slab thickness at the eave, m
  double tile_pitch = 0.32;    ///< spacing of tile channels, m
  double tile_height = 0.07;   ///< channel depth, m
  double corner_length = 1.6;  ///< eave length per side belonging to a corner part, m
  int rows = 10;               ///< grid rows from eave to top
  double hip_width = 0.22;     ///< hip ridge cross-section, m
  double hip_height = 0.2;
  std::function<Part(int side)> side_part;      ///< part for the middle of side k (0-based)
  std::function<Part(int corner)> corner_part;  ///< part for corner k (0-based)
};

/// Adds the roof (top surface with tile ridges, eave fascia, soffit, hip ridges) and returns
/// the created part ids: sides first, then corners.
std::vector<int> AddRoof(MeshBuilder& builder, const RoofSpec& spec);

/// A dougong bracket set standing at local `base` (top of the architrave) pointing `out`
/// (horizontal unit): a bearing block then `layers` of crossed arms stepping out to `reach`
/// metres. `both_ways` makes it project in +out and -out (gate brackets). Returns its height.
double AddBracketSet(MeshBuilder& builder, const V3& base, const V3& out, int layers, double reach,
                     bool both_ways = false);
/// Height of a bracket set with `layers` layers.
double BracketHeight(int layers);

/// A regular polygon (counter-clockwise) of circumradius r, corner k at angle start + k*2pi/n.
std::vector<V2> RegularPolygon(int n, double r, double start);

// The three building types (pagoda.cpp, hall.cpp, gate.cpp). `options` is Check()ed.
Building BuildPagoda(const BuildingOptions& options);
Building BuildHall(const BuildingOptions& options);
Building BuildGate(const BuildingOptions& options);

}  // namespace muta::synth
