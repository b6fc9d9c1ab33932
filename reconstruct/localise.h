#pragma once
// Localising photographs in a workspace's structure-from-motion model, the model left as it is:
// the protocol of novel-view-synthesis benchmarks, where the test views are posed by the same
// SfM as the training views (in its frame, with its calibration) instead of through a fit onto
// a ground truth. `muta eval texture --localise` scores held-out photographs posed this way.
//
// Steps (COLMAP 3.8 CLI, in a scratch folder; the workspace is only read): a copy of
// SPARSE/database.db gets the photographs' SIFT features (sharing the model's camera), our
// descriptor matcher matches each against every registered image, COLMAP verifies the matches
// (matches_importer) and registers the photographs into a copy of the model
// (image_registrator: PnP + pose refinement, no bundle adjustment, so the model's cameras and
// points do not move).

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/camera.h"
#include "core/json.h"
#include "core/pose.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct {

struct LocaliseOptions {
  /// COLMAP executable; nullopt: `colmap` on PATH.
  std::optional<std::filesystem::path> colmap;
  int sift_max_features = 8192;
  /// Longest side the photographs' features are extracted at; 0: their own size.
  int sift_max_image_size = 0;
  int num_threads = -1;  ///< -1: all cores
};

struct LocalisedPhoto {
  Camera camera;  ///< the model's camera (with its lens distortion), at the photograph's size
  Rigid3d cam_from_world;  ///< in the model's frame
  std::size_t points = 0;  ///< its observations of 3D points (the registration's and new ones)
};

struct Localisation {
  std::map<std::string, LocalisedPhoto> photos;  ///< by name; photographs that failed are absent
  Json figures;                                  ///< photos, localised, seconds
};

/// Registers `names` (photographs in `photo_dir`) into the model in `sparse_dir` (cameras.bin
/// etc., with database.db beside it, as the sfm stage writes). The photographs must have the
/// size of the model's camera (one camera: the model's). Throws muta::Error naming the folder
/// and the fix when the database or model is missing, the model has several cameras of other
/// sizes, or COLMAP fails. Photographs COLMAP cannot register are left out of the result.
Localisation LocalisePhotos(const std::filesystem::path& sparse_dir,
                            const std::filesystem::path& photo_dir,
                            const std::vector<std::string>& names, const LocaliseOptions& options,
                            Progress& progress);

}  // namespace muta::reconstruct
