#pragma once
// What the viewer reads from and writes to a bundle's site.json (docs/formats.md, "site.json";
// docs/viewer.md): saved viewpoints, storeys ("levels") and annotations.
//
// Annotations are written back atomically (temp + rename, core/json.h) into the file as it is
// on disk at that moment: only the "annotations" key changes, every other key is kept.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "core/json.h"

namespace muta::render::viewer {

struct Viewpoint {
  std::string name;
  std::string description;
  Eigen::Vector3d eye = Eigen::Vector3d::Zero();     ///< z-up metres
  Eigen::Vector3d target = Eigen::Vector3d::Zero();  ///< z-up metres
  Eigen::Vector3d up = Eigen::Vector3d::UnitZ();
  double fov_deg = 40;  ///< vertical field of view
};

/// A storey: its name and the height of its floor (z, metres). site.json's "levels" entries
/// give it as "elevation_m" (or "z"), and the floor's extent as "bounding_box" {min, max}.
struct Level {
  std::string name;
  double elevation_m = 0;
  /// Centre (x, y) of the floor's "bounding_box" when given: where a storey jump lands.
  std::optional<Eigen::Vector2d> centre_xy;
};

struct Annotation {
  std::string id;  ///< "a1", "a2", ... unique in the file
  std::string text;
  Eigen::Vector3d position = Eigen::Vector3d::Zero();  ///< z-up metres, on the surface
  std::optional<Eigen::Vector3d> normal;               ///< of the surface there, when known
  std::string created;                                 ///< UTC, ISO 8601
  std::string modified;                                ///< UTC, ISO 8601
};

/// Parsers of site.json's lists; `file` names the file in errors (bad types, missing or
/// non-finite numbers).
std::vector<Viewpoint> ParseViewpoints(const Json& site, const std::string& file);
std::vector<Level> ParseLevels(const Json& site, const std::string& file);
std::vector<Annotation> ParseAnnotations(const Json& site, const std::string& file);
Json AnnotationToJson(const Annotation& annotation);

/// The annotations of one site.json, edited in memory and saved on every change.
class AnnotationStore {
 public:
  /// Reads `site_json` (which must exist and be a valid site.json).
  explicit AnnotationStore(std::filesystem::path site_json);

  const std::vector<Annotation>& annotations() const { return annotations_; }
  const Annotation* Find(const std::string& id) const;
  /// Adds a note and saves; returns its id.
  std::string Add(const Eigen::Vector3d& position, const std::string& text,
                  const std::optional<Eigen::Vector3d>& normal = std::nullopt);
  /// Replaces the text and saves; throws muta::Error for an unknown id.
  void Edit(const std::string& id, const std::string& text);
  /// Removes and saves; throws muta::Error for an unknown id.
  void Remove(const std::string& id);
  const std::filesystem::path& path() const { return path_; }

 private:
  void Save();
  std::filesystem::path path_;
  std::vector<Annotation> annotations_;
};

/// Current UTC time as "2026-11-25T18:00:00Z".
std::string UtcNow();

}  // namespace muta::render::viewer
