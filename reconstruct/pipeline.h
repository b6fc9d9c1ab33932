#pragma once
// The reconstruction pipeline as workspace stages (DESIGN.md, "Job workspace"):
//   ingest -> sfm -> orient -> undistort -> mvs -> fusion -> mesh -> texture
// Each stage reads and writes files in the workspace only; RunStages (core/workspace.h) skips
// stages that are up to date and resumes interrupted ones.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/workspace.h"

namespace muta::reconstruct {

/// What the user chose (the CLI maps its flags onto this); every stage derives its algorithm
/// options from `quality` plus these overrides.
struct ReconstructOptions {
  /// Folder of photographs; nullopt: the one recorded by an earlier ingest (images.json).
  std::optional<std::filesystem::path> images;
  std::string quality = "standard";  ///< preview | standard | high
  bool recursive = false;
  bool strict = false;
  std::optional<int> max_size;  ///< downscale photographs at ingest (longest side, pixels)
  std::optional<std::filesystem::path> intrinsics;  ///< K.txt
  std::optional<std::filesystem::path> colmap;      ///< COLMAP executable
  std::string matcher = "auto";
  std::optional<std::filesystem::path> control;    ///< camera-centre control points
  std::optional<std::filesystem::path> scale_bar;  ///< scale bar marks (JSON)
  bool use_gps = true;
  std::optional<int> dense_max_size;  ///< undistorted image size for dense matching
  /// Longest side of the images texturing samples (undistort.h): nullopt the photographs' size,
  /// 0 the dense images.
  std::optional<int> texture_max_size;
  std::optional<int> poisson_depth;  ///< Poisson octree depth
  /// Meshing method: "poisson" or "delaunay" (MeshingOptions::method).
  std::string mesher = "poisson";
  /// Photometric refinement rounds at the end of the mesh stage (photo_refine.h); 0: off.
  int refine_rounds = 0;
  /// Texture atlas texel size (mm); nullopt: the images' ground sampling distance.
  std::optional<double> texel_size_mm;
  /// Texture stage: drop photo-inconsistent views per face (TextureOptions).
  bool exclude_outlier_views = true;

  void Check() const;
};

/// The stage names, in order.
const std::vector<std::string>& ReconstructionStageNames();

/// The stages for `options`. The images folder is resolved against `workspace_root` (its
/// images.json) when `options.images` is not given.
std::vector<StageDef> ReconstructionStages(const ReconstructOptions& options,
                                           const std::filesystem::path& workspace_root);

}  // namespace muta::reconstruct
