#pragma once
// Stage `ingest`: from a folder of photographs to validated copies in WORKSPACE/images and a
// manifest, WORKSPACE/images.json (schema in docs/formats.md).
//
// Every JPEG/PNG/TIFF file is decoded in full: a corrupt or truncated one is reported by name
// and skipped (or stops the job with `strict`). Other files are skipped with a warning.
// Byte-identical duplicates are kept once. EXIF focal length, camera make/model and GPS are
// recorded as priors; images sharing make, model, size and focal length form one camera group.
// With `max_size`, larger images are downscaled (longest side, pixels) and their EXIF focal
// fields kept, so focal-length priors stay right.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct {

struct IngestOptions {
  /// Also take images from sub-folders (names keep their relative path, '/'-separated).
  bool recursive = false;
  /// A corrupt or truncated image stops the job instead of being skipped.
  bool strict = false;
  /// Downscale images whose longer side exceeds this many pixels; nullopt keeps full size.
  std::optional<int> max_size;
  /// Fewest usable images for a reconstruction.
  int min_images = 3;

  void Check() const;
};

/// One accepted photograph (an entry of images.json).
struct IngestedImage {
  std::string name;              ///< path under WORKSPACE/images, '/'-separated
  std::filesystem::path source;  ///< the original file
  int width = 0;                 ///< as stored in WORKSPACE/images
  int height = 0;
  int original_width = 0;
  int original_height = 0;
  double scale = 1.0;  ///< width / original_width
  std::string camera_make;
  std::string camera_model;
  std::optional<double> focal_px;  ///< EXIF focal length in pixels at `width`
  std::optional<double> gps_latitude_deg, gps_longitude_deg, gps_altitude_m;
  int group = 0;  ///< camera group (same make, model, size and focal length)
  std::string hash;
};

struct IngestResult {
  std::vector<IngestedImage> images;
  Json figures;  ///< counts of images, skipped files, duplicates, groups (for muta.job.json)
};

/// Validates and copies the photographs of `input_dir` into `images_dir` (created; files there
/// that are not part of the new set are removed) and writes the manifest `manifest_path`.
/// Throws muta::Error naming the folder when fewer than `min_images` usable images remain.
IngestResult IngestImages(const std::filesystem::path& input_dir,
                          const std::filesystem::path& images_dir,
                          const std::filesystem::path& manifest_path, const IngestOptions& options,
                          Progress& progress);

/// Reads images.json back; throws muta::Error naming the file if it is malformed.
std::vector<IngestedImage> ReadIngestManifest(const std::filesystem::path& manifest_path);

/// True for the file extensions ingest treats as images (.jpg .jpeg .png .tif .tiff, any case).
bool HasImageExtension(const std::filesystem::path& path);

}  // namespace muta::reconstruct
