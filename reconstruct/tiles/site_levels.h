#pragma once
// Levels (storeys) and default viewpoints of a site, for site.json's `levels` and `viewpoints`
// (docs/formats.md, "Site bundle"), so that sites from real photographs are as navigable as
// synthetic ones.
//
// Levels: floors are large, horizontal, upward-facing surfaces. A histogram over height of the
// area of upward-facing triangles (normal within max_tilt_deg of +z) has a peak at each floor;
// a peak is kept when its band of triangles is big (min_area_m2, min_area_fraction of the
// largest), wide in both plan directions (min_width_m) and fills its plan bounding box
// (min_fill) – which tells a floor slab from the tops of beams, bracket rings, ridges and
// steps. Peaks closer than min_separation_m keep the larger one. A level's elevation is the
// area-weighted median height of its band.
//
// Viewpoints: front (-y), right (+x), back (+y), left (-x) and above frame the bounding sphere;
// the close-up frames the most detailed region (the grid cell holding the most triangles) from
// outside the model.
//
// Units and frames: metres, z-up (Muta's world frame, the frame of site.json). The thresholds
// are in metres, so ExportSite detects no levels in unscaled models (no metric scale).

#include <string>
#include <vector>

#include <Eigen/Core>

#include "core/json.h"
#include "core/mesh.h"

namespace muta::reconstruct {

struct SiteLevelOptions {
  /// Height of a histogram bin, metres. > 0.
  double bin_m = 0.05;
  /// Half-height of the band of triangles around a peak that makes up one floor, metres. > 0.
  double band_m = 0.15;
  /// Largest tilt of a floor triangle from horizontal, degrees, in [0, 60].
  double max_tilt_deg = 18;
  /// Two floors closer than this (metres) are one; the larger is kept. > 0.
  double min_separation_m = 1.8;
  /// Smallest floor area, m^2. >= 0.
  double min_area_m2 = 2;
  /// Smallest floor area as a fraction of the largest floor's, [0, 1].
  double min_area_fraction = 0.03;
  /// Smallest extent of a floor along x and along y, metres (a ridge or beam top is narrower).
  double min_width_m = 1.5;
  /// Smallest ratio of a floor's area to the area of its plan bounding box, [0, 1].
  double min_fill = 0.5;
  /// Throws muta::Error naming the field.
  void Check() const;
};

/// One floor level, lowest first.
struct SiteLevel {
  std::string name;        ///< "Level 1" (the lowest), "Level 2", ...
  double elevation_m = 0;  ///< floor height (area-weighted median of its triangles), z-up
  double area_m2 = 0;      ///< area of its floor triangles
  double height_m = 0;     ///< up to the next level, or to the top of the model
  Box3f box;               ///< of its floor triangles
  Json ToJson() const;
};

/// Detects the floor levels of `mesh` (z-up, metres). Empty when there is no floor (e.g. no
/// upward-facing surfaces).
std::vector<SiteLevel> DetectLevels(const Mesh& mesh, const SiteLevelOptions& options = {});

struct SiteViewpointOptions {
  /// Vertical field of view of every viewpoint, degrees, in (5, 120).
  double fov_deg = 40;
  /// Elevation of the side views above the horizontal, degrees, in [0, 60].
  double side_elevation_deg = 10;
  /// Elevation of the close-up view, degrees, in [0, 80].
  double close_up_elevation_deg = 20;
  /// The close-up's region: the model's longest side is cut into this many grid cells. >= 2.
  int detail_grid = 8;
  /// Throws muta::Error naming the field.
  void Check() const;
};

/// A saved view in site.json's format: eye and target points and the up direction (z-up
/// metres), the vertical field of view.
struct SiteViewpoint {
  std::string name;
  std::string description;
  Eigen::Vector3d eye = Eigen::Vector3d::Zero();
  Eigen::Vector3d target = Eigen::Vector3d::Zero();
  Eigen::Vector3d up = Eigen::Vector3d::UnitZ();
  double fov_deg = 40;
  Json ToJson() const;
};

/// front, right, back, left, above, close-up. The mesh must have faces.
std::vector<SiteViewpoint> DefaultViewpoints(const Mesh& mesh,
                                             const SiteViewpointOptions& options = {});

}  // namespace muta::reconstruct
