#include "render/viewer/site_meta.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <set>

#include "core/error.h"
#include "core/site_io.h"

namespace muta::render::viewer {
namespace {

Eigen::Vector3d Vec3(const Json& value, const std::string& what, const std::string& file) {
  MUTA_CHECK(value.is_array() && value.size() == 3)
      << file << ": " << what << " must be an array of 3 numbers (metres)";
  Eigen::Vector3d v;
  for (int i = 0; i < 3; ++i) {
    MUTA_CHECK(value[i].is_number() && std::isfinite(value[i].get<double>()))
        << file << ": " << what << " must hold finite numbers";
    v[i] = value[i].get<double>();
  }
  return v;
}

const Json& List(const Json& site, const char* key, const std::string& file) {
  static const Json empty = Json::array();
  if (!site.contains(key)) return empty;
  MUTA_CHECK(site[key].is_array()) << file << ": \"" << key << "\" must be an array";
  return site[key];
}

std::string Text(const Json& entry, const char* key, const std::string& what,
                 const std::string& file, bool required) {
  if (!entry.contains(key)) {
    MUTA_CHECK(!required) << file << ": " << what << " has no \"" << key << "\"";
    return {};
  }
  MUTA_CHECK(entry[key].is_string()) << file << ": " << what << ".\"" << key << "\" must be text";
  return entry[key].get<std::string>();
}

}  // namespace

std::vector<Viewpoint> ParseViewpoints(const Json& site, const std::string& file) {
  std::vector<Viewpoint> out;
  const Json& list = List(site, "viewpoints", file);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Json& e = list[i];
    const std::string what = "viewpoints[" + std::to_string(i) + "]";
    MUTA_CHECK(e.is_object()) << file << ": " << what << " must be an object";
    Viewpoint v;
    v.name = Text(e, "name", what, file, true);
    v.description = Text(e, "description", what, file, false);
    MUTA_CHECK(e.contains("eye") && e.contains("target"))
        << file << ": " << what << " needs \"eye\" and \"target\"";
    v.eye = Vec3(e["eye"], what + ".eye", file);
    v.target = Vec3(e["target"], what + ".target", file);
    if (e.contains("up")) v.up = Vec3(e["up"], what + ".up", file);
    if (e.contains("fov_deg")) {
      MUTA_CHECK(e["fov_deg"].is_number() && e["fov_deg"].get<double>() > 1 &&
                 e["fov_deg"].get<double>() < 170)
          << file << ": " << what << ".fov_deg must be a number in (1, 170) degrees";
      v.fov_deg = e["fov_deg"].get<double>();
    }
    MUTA_CHECK((v.target - v.eye).norm() > 1e-9)
        << file << ": " << what << " has the same eye and target";
    out.push_back(v);
  }
  return out;
}

std::vector<Level> ParseLevels(const Json& site, const std::string& file) {
  std::vector<Level> out;
  const Json& list = List(site, "levels", file);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Json& e = list[i];
    const std::string what = "levels[" + std::to_string(i) + "]";
    MUTA_CHECK(e.is_object()) << file << ": " << what << " must be an object";
    Level level;
    level.name = Text(e, "name", what, file, false);
    if (level.name.empty()) level.name = "level " + std::to_string(i);
    const char* key = e.contains("elevation_m") ? "elevation_m" : "z";
    MUTA_CHECK(e.contains(key) && e[key].is_number() && std::isfinite(e[key].get<double>()))
        << file << ": " << what << " needs \"elevation_m\": the floor height in metres";
    level.elevation_m = e[key].get<double>();
    if (e.contains("bounding_box")) {
      const Json& box = e["bounding_box"];
      MUTA_CHECK(box.is_object() && box.contains("min") && box.contains("max"))
          << file << ": " << what << ".bounding_box needs \"min\" and \"max\"";
      const Eigen::Vector3d lo = Vec3(box["min"], what + ".bounding_box.min", file);
      const Eigen::Vector3d hi = Vec3(box["max"], what + ".bounding_box.max", file);
      level.centre_xy = (0.5 * (lo + hi)).head<2>();
    }
    out.push_back(level);
  }
  return out;
}

std::vector<Annotation> ParseAnnotations(const Json& site, const std::string& file) {
  std::vector<Annotation> out;
  std::set<std::string> ids;
  const Json& list = List(site, "annotations", file);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Json& e = list[i];
    const std::string what = "annotations[" + std::to_string(i) + "]";
    MUTA_CHECK(e.is_object()) << file << ": " << what << " must be an object";
    Annotation a;
    a.id = Text(e, "id", what, file, true);
    MUTA_CHECK(ids.insert(a.id).second) << file << ": annotation id \"" << a.id << "\" repeats";
    a.text = Text(e, "text", what, file, false);
    MUTA_CHECK(e.contains("position")) << file << ": " << what << " has no \"position\"";
    a.position = Vec3(e["position"], what + ".position", file);
    if (e.contains("normal")) a.normal = Vec3(e["normal"], what + ".normal", file);
    a.created = Text(e, "created", what, file, false);
    a.modified = Text(e, "modified", what, file, false);
    out.push_back(a);
  }
  return out;
}

Json AnnotationToJson(const Annotation& a) {
  Json j = {{"id", a.id},
            {"text", a.text},
            {"position", {a.position.x(), a.position.y(), a.position.z()}}};
  if (a.normal) j["normal"] = {a.normal->x(), a.normal->y(), a.normal->z()};
  if (!a.created.empty()) j["created"] = a.created;
  if (!a.modified.empty()) j["modified"] = a.modified;
  return j;
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

AnnotationStore::AnnotationStore(std::filesystem::path site_json) : path_(std::move(site_json)) {
  annotations_ = ParseAnnotations(ReadSiteJson(path_), path_.string());
}

const Annotation* AnnotationStore::Find(const std::string& id) const {
  for (const Annotation& a : annotations_) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

std::string AnnotationStore::Add(const Eigen::Vector3d& position, const std::string& text,
                                 const std::optional<Eigen::Vector3d>& normal) {
  MUTA_CHECK(position.allFinite()) << "an annotation's position must be finite";
  int n = 1;
  while (Find("a" + std::to_string(n)) != nullptr) ++n;
  Annotation a;
  a.id = "a" + std::to_string(n);
  a.text = text;
  a.position = position;
  a.normal = normal;
  a.created = a.modified = UtcNow();
  annotations_.push_back(a);
  Save();
  return a.id;
}

void AnnotationStore::Edit(const std::string& id, const std::string& text) {
  for (Annotation& a : annotations_) {
    if (a.id != id) continue;
    a.text = text;
    a.modified = UtcNow();
    Save();
    return;
  }
  MUTA_FAIL << path_.string() << ": no annotation \"" << id << "\" to edit";
}

void AnnotationStore::Remove(const std::string& id) {
  const auto it = std::find_if(annotations_.begin(), annotations_.end(),
                               [&](const Annotation& a) { return a.id == id; });
  MUTA_CHECK(it != annotations_.end())
      << path_.string() << ": no annotation \"" << id << "\" to delete";
  annotations_.erase(it);
  Save();
}

void AnnotationStore::Save() {
  // Re-read the file so that keys written by others since we opened it are kept.
  Json site = ReadJsonFile(path_);
  Json list = Json::array();
  for (const Annotation& a : annotations_) list.push_back(AnnotationToJson(a));
  site["annotations"] = std::move(list);
  WriteJsonFile(path_, site);
}

}  // namespace muta::render::viewer
