// Reading site bundles: tile metadata (EXT_structural_metadata property tables addressed by
// EXT_mesh_features feature IDs), tileset.json and site.json.

#include "core/site_io.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "core/error.h"
#include "core/file_io.h"
#include "core/gltf_io.h"

namespace muta {
namespace fs = std::filesystem;

namespace {

// Limits that keep a forged tileset from exhausting memory.
constexpr std::size_t kMaxTiles = 4'000'000;
constexpr int kMaxTileDepth = 64;

std::uint32_t LittleEndian32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

// The JSON and BIN chunks of a GLB whose container ParseGlb has already validated.
struct GlbChunks {
  Json json;
  std::span<const std::uint8_t> bin;
};

GlbChunks SplitGlb(std::span<const std::uint8_t> bytes, const std::string& name) {
  GlbChunks chunks;
  const std::size_t json_length = LittleEndian32(&bytes[12]);
  const auto* json_begin = reinterpret_cast<const char*>(bytes.data() + 20);
  chunks.json = ParseJson(std::string_view(json_begin, json_length), name + " (glTF JSON)");
  const std::size_t bin_header = 20 + json_length;
  if (bytes.size() >= bin_header + 8 && LittleEndian32(&bytes[bin_header + 4]) == 0x004E4942) {
    chunks.bin = bytes.subspan(bin_header + 8, LittleEndian32(&bytes[bin_header]));
  }
  return chunks;
}

// Reads an unsigned integer member; throws naming `what` if present but invalid.
std::optional<std::uint64_t> OptionalIndex(const Json& object, const char* key,
                                           const std::string& what, const std::string& name) {
  const auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  MUTA_CHECK(it->is_number_unsigned() || (it->is_number_integer() && it->get<std::int64_t>() >= 0))
      << name << ": " << what << "." << key << " must be a non-negative integer";
  return it->get<std::uint64_t>();
}

std::uint64_t RequiredIndex(const Json& object, const char* key, const std::string& what,
                            const std::string& name) {
  const std::optional<std::uint64_t> v = OptionalIndex(object, key, what, name);
  MUTA_CHECK(v.has_value()) << name << ": " << what << " has no " << key;
  return *v;
}

// The bytes of bufferView `index` inside the GLB's BIN chunk.
std::span<const std::uint8_t> BufferViewBytes(const GlbChunks& glb, std::uint64_t index,
                                              const std::string& what, const std::string& name) {
  const Json& views = glb.json.contains("bufferViews") ? glb.json["bufferViews"] : Json();
  MUTA_CHECK(views.is_array() && index < views.size())
      << name << ": " << what << " refers to bufferView " << index << ", which does not exist";
  const Json& view = views[index];
  const std::string view_name = "bufferView " + std::to_string(index);
  MUTA_CHECK(view.is_object()) << name << ": " << view_name << " is not an object";
  const std::uint64_t buffer = RequiredIndex(view, "buffer", view_name, name);
  const Json& buffers = glb.json.contains("buffers") ? glb.json["buffers"] : Json();
  MUTA_CHECK(buffer == 0 && buffers.is_array() && !buffers.empty() && buffers[0].is_object() &&
             !buffers[0].contains("uri"))
      << name << ": " << what << " must be stored in the GLB's binary chunk (buffer 0)";
  const std::uint64_t offset = OptionalIndex(view, "byteOffset", view_name, name).value_or(0);
  const std::uint64_t length = RequiredIndex(view, "byteLength", view_name, name);
  MUTA_CHECK(offset <= glb.bin.size() && length <= glb.bin.size() - offset)
      << name << ": " << view_name << " (bytes " << offset << " to " << offset + length
      << ") lies outside the binary chunk (" << glb.bin.size() << " bytes); the file is damaged";
  return glb.bin.subspan(offset, length);
}

// One decoded property table of the provenance class.
struct ProvenanceTable {
  std::vector<Provenance> provenance;
  std::vector<float> confidence;
  std::vector<std::int32_t> source;
};

class MetadataReader {
 public:
  MetadataReader(const GlbChunks& glb, const std::string& name) : glb_(glb), name_(name) {}

  const ProvenanceTable& Table(std::int32_t index) {
    auto it = tables_.find(index);
    if (it == tables_.end()) it = tables_.emplace(index, Decode(index)).first;
    return it->second;
  }

 private:
  const Json& Extension() {
    const Json& root = glb_.json;
    MUTA_CHECK(root.contains("extensions") && root["extensions"].is_object() &&
               root["extensions"].contains("EXT_structural_metadata") &&
               root["extensions"]["EXT_structural_metadata"].is_object())
        << name_ << ": feature IDs refer to property tables but the file has no "
        << "EXT_structural_metadata extension";
    return root["extensions"]["EXT_structural_metadata"];
  }

  // enum value -> provenance, from the schema's provenance enum.
  std::map<std::int64_t, Provenance> EnumValues(const Json& ext) {
    MUTA_CHECK(!ext.contains("schemaUri"))
        << name_ << ": external metadata schemas (schemaUri) are not supported";
    const Json* e = nullptr;
    if (ext.contains("schema") && ext["schema"].is_object() && ext["schema"].contains("enums") &&
        ext["schema"]["enums"].is_object()) {
      const auto it = ext["schema"]["enums"].find(std::string(kProvenanceEnumId));
      if (it != ext["schema"]["enums"].end()) e = &*it;
    }
    MUTA_CHECK(e != nullptr && e->is_object() && e->contains("values") && (*e)["values"].is_array())
        << name_ << ": the metadata schema has no enum '" << kProvenanceEnumId << "'";
    const std::string value_type = e->value("valueType", std::string("UINT16"));
    MUTA_CHECK(value_type == "UINT8")
        << name_ << ": enum " << kProvenanceEnumId << " has valueType " << value_type
        << "; Muta writes and reads UINT8";
    std::map<std::int64_t, Provenance> values;
    for (const Json& v : (*e)["values"]) {
      MUTA_CHECK(v.is_object() && v.contains("name") && v["name"].is_string() &&
                 v.contains("value") && v["value"].is_number_integer())
          << name_ << ": enum " << kProvenanceEnumId << " has a malformed value";
      const std::string value_name = v["name"].get<std::string>();
      const std::optional<Provenance> p = ParseProvenance(value_name);
      MUTA_CHECK(p.has_value()) << name_ << ": unknown provenance class '" << value_name
                                << "' in enum " << kProvenanceEnumId;
      values[v["value"].get<std::int64_t>()] = *p;
    }
    return values;
  }

  template <typename T>
  std::vector<T> Column(const Json& table, std::string_view property, std::size_t count,
                        const std::string& what, bool required) {
    const Json& props = table["properties"];
    const auto it = props.find(std::string(property));
    if (it == props.end()) {
      MUTA_CHECK(!required) << name_ << ": " << what << " has no '" << property << "' column";
      return {};
    }
    const std::string column = what + " column '" + std::string(property) + "'";
    MUTA_CHECK(it->is_object()) << name_ << ": " << column << " is not an object";
    const std::uint64_t view = RequiredIndex(*it, "values", column, name_);
    const std::span<const std::uint8_t> bytes = BufferViewBytes(glb_, view, column, name_);
    MUTA_CHECK(bytes.size() / sizeof(T) >= count)
        << name_ << ": " << column << " holds " << bytes.size() << " bytes, too few for " << count
        << " values";
    std::vector<T> values(count);
    if (count > 0) std::memcpy(values.data(), bytes.data(), count * sizeof(T));
    return values;
  }

  ProvenanceTable Decode(std::int32_t index) {
    const Json& ext = Extension();
    const std::string what = "property table " + std::to_string(index);
    MUTA_CHECK(ext.contains("propertyTables") && ext["propertyTables"].is_array() &&
               std::size_t(index) < ext["propertyTables"].size())
        << name_ << ": feature IDs refer to " << what << ", which does not exist";
    const Json& table = ext["propertyTables"][std::size_t(index)];
    MUTA_CHECK(table.is_object() && table.value("class", std::string()) == kProvenanceClassId)
        << name_ << ": " << what << " is not of class '" << kProvenanceClassId << "'";
    MUTA_CHECK(table.contains("properties") && table["properties"].is_object())
        << name_ << ": " << what << " has no properties";
    const std::uint64_t count = RequiredIndex(table, "count", what, name_);
    MUTA_CHECK(count <= (std::uint64_t{1} << 32))
        << name_ << ": " << what << " count " << count << " is implausible";
    const std::map<std::int64_t, Provenance> enum_values = EnumValues(ext);

    ProvenanceTable t;
    const auto raw = Column<std::uint8_t>(table, kProvenanceProperty, count, what, true);
    t.provenance.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      const auto it = enum_values.find(raw[i]);
      MUTA_CHECK(it != enum_values.end())
          << name_ << ": " << what << " row " << i << " has provenance value " << int(raw[i])
          << ", which the enum does not define";
      t.provenance.push_back(it->second);
    }
    t.confidence = Column<float>(table, kConfidenceProperty, count, what, true);
    for (std::size_t i = 0; i < t.confidence.size(); ++i) {
      MUTA_CHECK(std::isfinite(t.confidence[i]) && t.confidence[i] >= 0 && t.confidence[i] <= 1)
          << name_ << ": " << what << " row " << i << " has confidence " << t.confidence[i]
          << ", outside [0, 1]";
    }
    t.source = Column<std::int32_t>(table, kSourceProperty, count, what, false);
    if (t.source.empty()) t.source.assign(count, kNoSource);
    return t;
  }

  const GlbChunks& glb_;
  const std::string& name_;
  std::map<std::int32_t, ProvenanceTable> tables_;
};

// Axis-aligned bounds of a 3D Tiles bounding volume.
Box3f VolumeBox(const Json& volume, const std::string& what, const std::string& name) {
  MUTA_CHECK(volume.is_object()) << name << ": " << what << " has no boundingVolume";
  auto numbers = [&](const char* key, std::size_t n) {
    const Json& a = volume[key];
    MUTA_CHECK(a.is_array() && a.size() == n)
        << name << ": " << what << " boundingVolume." << key << " must hold " << n << " numbers";
    std::vector<double> v;
    for (const Json& x : a) {
      MUTA_CHECK(x.is_number() && std::isfinite(x.get<double>()))
          << name << ": " << what << " boundingVolume." << key << " has a non-number";
      v.push_back(x.get<double>());
    }
    return v;
  };
  Box3f box;
  if (volume.contains("box")) {
    const std::vector<double> b = numbers("box", 12);
    for (int axis = 0; axis < 3; ++axis) {
      const double half = std::abs(b[3 + axis]) + std::abs(b[6 + axis]) + std::abs(b[9 + axis]);
      box.min[axis] = static_cast<float>(b[axis] - half);
      box.max[axis] = static_cast<float>(b[axis] + half);
    }
  } else if (volume.contains("sphere")) {
    const std::vector<double> s = numbers("sphere", 4);
    MUTA_CHECK(s[3] >= 0) << name << ": " << what << " bounding sphere has a negative radius";
    for (int axis = 0; axis < 3; ++axis) {
      box.min[axis] = static_cast<float>(s[std::size_t(axis)] - s[3]);
      box.max[axis] = static_cast<float>(s[std::size_t(axis)] + s[3]);
    }
  } else {
    MUTA_FAIL << name << ": " << what
              << " boundingVolume must be a box or a sphere (geographic regions are not "
                 "supported)";
  }
  return box;
}

double GeometricError(const Json& object, const std::string& what, const std::string& name) {
  MUTA_CHECK(object.contains("geometricError") && object["geometricError"].is_number())
      << name << ": " << what << " has no geometricError";
  const double e = object["geometricError"].get<double>();
  MUTA_CHECK(std::isfinite(e) && e >= 0)
      << name << ": " << what << " geometricError " << e << " must be finite and >= 0";
  return e;
}

void CheckContentUri(const std::string& uri, const std::string& what, const std::string& name) {
  MUTA_CHECK(!uri.empty()) << name << ": " << what << " content has an empty uri";
  MUTA_CHECK(uri.find("://") == std::string::npos && uri.rfind("data:", 0) != 0 &&
             uri.front() != '/' && uri.find('\\') == std::string::npos)
      << name << ": " << what << " content uri '" << uri
      << "' is not a relative path; a site bundle must be self-contained";
  for (const auto& part : fs::path(uri)) {
    MUTA_CHECK(part != "..") << name << ": " << what << " content uri '" << uri
                             << "' leaves the bundle's folder";
  }
}

bool IsIdentityTransform(const Json& t) {
  if (!t.is_array() || t.size() != 16) return false;
  for (std::size_t i = 0; i < 16; ++i) {
    if (!t[i].is_number() || t[i].get<double>() != ((i % 5 == 0) ? 1.0 : 0.0)) return false;
  }
  return true;
}

}  // namespace

// ---- tiles ----------------------------------------------------------------------------------

TileContent ParseTileGlb(std::span<const std::uint8_t> bytes, const std::string& name,
                         const TileReadOptions& options) {
  GlbReadOptions glb_options;
  glb_options.read_feature_ids = true;
  GlbContent glb = ParseGlb(bytes, name, glb_options);
  const GlbChunks chunks = SplitGlb(bytes, name);
  MetadataReader metadata(chunks, name);

  TileContent content;
  Mesh& mesh = content.mesh;
  mesh = std::move(glb.mesh);
  content.base_color_texture = std::move(glb.base_color_texture);
  const std::size_t nf = mesh.NumFaces();
  MUTA_INTERNAL_CHECK(glb.face_feature_ids.size() == nf && glb.face_property_tables.size() == nf);
  mesh.provenance.assign(nf, Provenance::kObserved);
  mesh.confidence.assign(nf, 1.0f);
  ExtraProperty source{std::string(kSourceFaceExtra), "int", std::vector<double>(nf, kNoSource)};
  for (std::size_t f = 0; f < nf; ++f) {
    const std::uint32_t id = glb.face_feature_ids[f];
    const std::int32_t table = glb.face_property_tables[f];
    if (id == kNoFeatureId || table < 0) {
      MUTA_CHECK(!options.require_provenance)
          << name << ": triangle " << f
          << " has no provenance (no EXT_mesh_features feature ID with a property table); "
             "this is not a Muta site tile, or it is damaged – export the site again";
      continue;
    }
    const ProvenanceTable& t = metadata.Table(table);
    MUTA_CHECK(id < t.provenance.size())
        << name << ": triangle " << f << " has feature ID " << id << " but property table " << table
        << " has " << t.provenance.size() << " rows";
    mesh.provenance[f] = t.provenance[id];
    mesh.confidence[f] = t.confidence[id];
    source.values[f] = t.source[id];
  }
  mesh.face_extra.push_back(std::move(source));
  return content;
}

TileContent ReadTileGlb(const fs::path& path, const TileReadOptions& options) {
  const std::vector<std::uint8_t> bytes = ReadFileBytes(path);
  return ParseTileGlb(bytes, path.string(), options);
}

// ---- tileset.json ----------------------------------------------------------------------------

int Tileset::MaxDepth() const {
  int depth = 0;
  for (const TilesetTile& t : tiles) depth = std::max(depth, t.depth);
  return depth;
}

std::vector<int> Tileset::Cut(int depth) const {
  std::vector<int> cut;
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const TilesetTile& t = tiles[i];
    if (t.depth == depth || (t.depth < depth && t.children.empty())) {
      cut.push_back(static_cast<int>(i));
    }
  }
  return cut;
}

Tileset ParseTileset(std::string_view text, const std::string& name) {
  const Json root_json = ParseJson(text, name);
  MUTA_CHECK(root_json.is_object()) << name << ": a tileset must be a JSON object";
  Tileset tileset;
  const Json& asset = root_json.contains("asset") ? root_json["asset"] : Json();
  MUTA_CHECK(asset.is_object() && asset.contains("version") && asset["version"].is_string())
      << name << ": not a 3D Tiles tileset (no asset.version)";
  tileset.version = asset["version"].get<std::string>();
  MUTA_CHECK(tileset.version == "1.0" || tileset.version == "1.1")
      << name << ": 3D Tiles version '" << tileset.version
      << "' is not supported (Muta reads 1.0 and 1.1)";
  tileset.geometric_error = GeometricError(root_json, "the tileset", name);
  MUTA_CHECK(root_json.contains("root") && root_json["root"].is_object())
      << name << ": the tileset has no root tile";
  if (root_json["root"].contains("extras")) tileset.extras = root_json["root"]["extras"];

  struct Item {
    const Json* json;
    int parent;
    int depth;
    std::string refine;
  };
  std::vector<Item> stack = {{&root_json["root"], -1, 0, ""}};
  while (!stack.empty()) {
    const Item item = stack.back();
    stack.pop_back();
    const Json& j = *item.json;
    const std::string what = "tile " + std::to_string(tileset.tiles.size()) + " (depth " +
                             std::to_string(item.depth) + ")";
    MUTA_CHECK(j.is_object()) << name << ": " << what << " is not an object";
    MUTA_CHECK(tileset.tiles.size() < kMaxTiles) << name << ": more than " << kMaxTiles << " tiles";
    MUTA_CHECK(item.depth <= kMaxTileDepth)
        << name << ": tiles nested deeper than " << kMaxTileDepth << " levels";
    TilesetTile tile;
    tile.parent = item.parent;
    tile.depth = item.depth;
    tile.box = VolumeBox(j.contains("boundingVolume") ? j["boundingVolume"] : Json(), what, name);
    tile.geometric_error = GeometricError(j, what, name);
    tile.refine = item.refine;
    if (j.contains("refine")) {
      MUTA_CHECK(j["refine"].is_string() && (j["refine"] == "REPLACE" || j["refine"] == "ADD"))
          << name << ": " << what << " refine must be \"REPLACE\" or \"ADD\"";
      tile.refine = j["refine"].get<std::string>();
    }
    MUTA_CHECK(!tile.refine.empty()) << name << ": the root tile has no refine";
    MUTA_CHECK(!j.contains("transform") || IsIdentityTransform(j["transform"]))
        << name << ": " << what
        << " has a transform; Muta reads tilesets in the site's own frame only";
    MUTA_CHECK(!j.contains("contents"))
        << name << ": " << what << " has multiple contents, which Muta does not read";
    if (j.contains("content")) {
      const Json& content = j["content"];
      MUTA_CHECK(content.is_object() && content.contains("uri") && content["uri"].is_string())
          << name << ": " << what << " content has no uri";
      tile.content_uri = content["uri"].get<std::string>();
      CheckContentUri(tile.content_uri, what, name);
    }
    const int index = static_cast<int>(tileset.tiles.size());
    if (item.parent >= 0) tileset.tiles[std::size_t(item.parent)].children.push_back(index);
    if (j.contains("children")) {
      const Json& children = j["children"];
      MUTA_CHECK(children.is_array()) << name << ": " << what << " children is not an array";
      for (auto it = children.rbegin(); it != children.rend(); ++it) {
        stack.push_back({&*it, index, item.depth + 1, tile.refine});
      }
    }
    tileset.tiles.push_back(std::move(tile));
  }
  return tileset;
}

Tileset ReadTileset(const fs::path& path) {
  return ParseTileset(ReadFileText(path), path.string());
}

fs::path TileContentPath(const fs::path& tileset_path, const TilesetTile& tile) {
  return tileset_path.parent_path() / fs::path(tile.content_uri);
}

Mesh ReadTilesetLevel(const fs::path& tileset_path, const Tileset& tileset, int depth) {
  Mesh merged;
  bool first = true;
  for (int index : tileset.Cut(depth)) {
    const TilesetTile& tile = tileset.tiles[std::size_t(index)];
    if (tile.content_uri.empty()) continue;
    TileContent content = ReadTileGlb(TileContentPath(tileset_path, tile));
    if (first) {
      merged = std::move(content.mesh);  // keeps face_extra, which Append onto empty drops
      first = false;
    } else {
      merged.Append(content.mesh);
    }
  }
  return merged;
}

// ---- site.json -------------------------------------------------------------------------------

Json ReadSiteJson(const fs::path& path) {
  const std::string name = path.string();
  Json site = ReadJsonFile(path);
  MUTA_CHECK(site.value("format", std::string()) == "muta.site")
      << name << ": not a Muta site description (format is not \"muta.site\")";
  MUTA_CHECK(site.contains("version") && site["version"].is_number_integer())
      << name << ": site.json has no version";
  const int version = site["version"].get<int>();
  MUTA_CHECK(version == 1) << name << ": site.json version " << version
                           << " is newer than this Muta reads (1); upgrade Muta";
  for (const char* key : {"name", "units", "up_axis", "tileset"}) {
    MUTA_CHECK(site.contains(key) && site[key].is_string())
        << name << ": site.json has no \"" << key << "\" string";
  }
  for (const char* key : {"layers", "viewpoints", "annotations", "levels"}) {
    MUTA_CHECK(site.contains(key) && site[key].is_array())
        << name << ": site.json has no \"" << key << "\" array";
  }
  MUTA_CHECK(site.contains("bounding_box") && site["bounding_box"].is_object())
      << name << ": site.json has no \"bounding_box\"";
  MUTA_CHECK(site["units"] == "metres")
      << name << ": site.json units must be \"metres\", not " << site["units"].dump();
  return site;
}

}  // namespace muta
