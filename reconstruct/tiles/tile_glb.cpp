// Tile .glb encoding: vertex compaction, quantisation, feature IDs and the provenance property
// table, assembled into a GLB container by hand (JSON with nlohmann::ordered_json).

#include "reconstruct/tiles/tile_glb.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include <meshoptimizer.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/site_io.h"

namespace muta::reconstruct {
namespace {

using OJson = nlohmann::ordered_json;

constexpr std::uint32_t kGlbMagic = 0x46546C67;   // "glTF"
constexpr std::uint32_t kChunkJson = 0x4E4F534A;  // "JSON"
constexpr std::uint32_t kChunkBin = 0x004E4942;   // "BIN\0"
constexpr int kArrayBuffer = 34962;
constexpr int kElementArrayBuffer = 34963;
constexpr int kByte = 5120;
constexpr int kUnsignedByte = 5121;
constexpr int kUnsignedShort = 5123;
constexpr int kUnsignedInt = 5125;
constexpr int kFloat = 5126;

// Linear value of each 8-bit sRGB level as a normalized uint16 (the same mapping as
// core/gltf_io_write.cpp, so ReadGlb gives the original 8-bit colours back).
const std::array<std::uint16_t, 256>& SrgbToLinear16() {
  static const std::array<std::uint16_t, 256> table = [] {
    std::array<std::uint16_t, 256> t{};
    for (int i = 0; i < 256; ++i) {
      const double s = i / 255.0;
      const double linear = s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
      t[std::size_t(i)] = static_cast<std::uint16_t>(std::lround(linear * 65535.0));
    }
    return t;
  }();
  return table;
}

// The BIN chunk: every block starts 8-byte aligned and gets a bufferView.
class Bin {
 public:
  explicit Bin(OJson& views) : views_(views) {}
  int Add(const void* data, std::size_t size, int target, std::size_t stride = 0) {
    bytes_.resize((bytes_.size() + 7) & ~std::size_t{7}, 0);
    const std::size_t offset = bytes_.size();
    bytes_.resize(offset + size);
    if (size > 0) std::memcpy(bytes_.data() + offset, data, size);
    OJson view = {{"buffer", 0}, {"byteOffset", offset}, {"byteLength", size}};
    if (stride != 0) view["byteStride"] = stride;
    if (target != 0) view["target"] = target;
    views_.push_back(std::move(view));
    return static_cast<int>(views_.size()) - 1;
  }
  template <typename T>
  int Add(const std::vector<T>& v, int target, std::size_t stride = 0) {
    return Add(v.data(), v.size() * sizeof(T), target, stride);
  }
  // EXT_meshopt_compression: `count` vertices of `stride` bytes (ATTRIBUTES), compressed into
  // the BIN chunk; the view itself lies in the fallback buffer 1.
  int AddCompressedVertices(const void* data, std::size_t count, std::size_t stride) {
    std::vector<std::uint8_t> encoded(meshopt_encodeVertexBufferBound(count, stride));
    encoded.resize(meshopt_encodeVertexBuffer(encoded.data(), encoded.size(), data, count, stride));
    MUTA_INTERNAL_CHECK(!encoded.empty());
    return AddCompressed(encoded, count, stride, kArrayBuffer, "ATTRIBUTES", true);
  }
  template <typename T>
  int AddCompressedVertices(const std::vector<T>& v, std::size_t stride) {
    return AddCompressedVertices(v.data(), v.size() * sizeof(T) / stride, stride);
  }
  // Triangle list indices (TRIANGLES), stored as `index_size` (2 or 4) bytes each.
  int AddCompressedTriangles(const std::vector<std::uint32_t>& indices, std::size_t vertices,
                             std::size_t index_size) {
    std::vector<std::uint8_t> encoded(meshopt_encodeIndexBufferBound(indices.size(), vertices));
    encoded.resize(
        meshopt_encodeIndexBuffer(encoded.data(), encoded.size(), indices.data(), indices.size()));
    MUTA_INTERNAL_CHECK(!encoded.empty());
    return AddCompressed(encoded, indices.size(), index_size, kElementArrayBuffer, "TRIANGLES",
                         false);
  }
  std::vector<std::uint8_t>& bytes() { return bytes_; }
  std::size_t fallback_bytes() const { return fallback_; }

 private:
  int AddCompressed(const std::vector<std::uint8_t>& encoded, std::size_t count, std::size_t stride,
                    int target, const char* mode, bool with_stride) {
    bytes_.resize((bytes_.size() + 7) & ~std::size_t{7}, 0);
    const std::size_t offset = bytes_.size();
    bytes_.insert(bytes_.end(), encoded.begin(), encoded.end());
    fallback_ = (fallback_ + 7) & ~std::size_t{7};
    OJson view = {{"buffer", 1}, {"byteOffset", fallback_}, {"byteLength", count * stride}};
    if (with_stride) view["byteStride"] = stride;
    view["target"] = target;
    view["extensions"]["EXT_meshopt_compression"] = {
        {"buffer", 0},          {"byteOffset", offset}, {"byteLength", encoded.size()},
        {"byteStride", stride}, {"mode", mode},         {"count", count}};
    fallback_ += count * stride;
    views_.push_back(std::move(view));
    return static_cast<int>(views_.size()) - 1;
  }

  OJson& views_;
  std::vector<std::uint8_t> bytes_;
  std::size_t fallback_ = 0;  // byteLength of the fallback buffer
};

void AppendLE32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::vector<std::uint8_t> Assemble(const OJson& root, std::vector<std::uint8_t>& bin) {
  std::string json = root.dump(-1, ' ', false, OJson::error_handler_t::replace);
  json.resize((json.size() + 3) & ~std::size_t{3}, ' ');
  bin.resize((bin.size() + 3) & ~std::size_t{3}, 0);
  const std::uint64_t total = 12 + 8 + std::uint64_t(json.size()) + 8 + std::uint64_t(bin.size());
  MUTA_CHECK(total <= std::numeric_limits<std::uint32_t>::max())
      << "a tile needs " << total << " bytes, more than a .glb can hold (4 GiB); lower "
      << "--tile-triangles";
  std::vector<std::uint8_t> out;
  out.reserve(static_cast<std::size_t>(total));
  AppendLE32(out, kGlbMagic);
  AppendLE32(out, 2);
  AppendLE32(out, static_cast<std::uint32_t>(total));
  AppendLE32(out, static_cast<std::uint32_t>(json.size()));
  AppendLE32(out, kChunkJson);
  out.insert(out.end(), json.begin(), json.end());
  AppendLE32(out, static_cast<std::uint32_t>(bin.size()));
  AppendLE32(out, kChunkBin);
  out.insert(out.end(), bin.begin(), bin.end());
  return out;
}

OJson Accessor(int view, int component_type, std::size_t count, const char* type) {
  return {
      {"bufferView", view}, {"componentType", component_type}, {"count", count}, {"type", type}};
}

// The metadata schema: one class, one enum (core/site_io.h has the ids).
OJson ProvenanceSchema() {
  OJson values = OJson::array();
  for (int p = 0; p <= static_cast<int>(Provenance::kInferredSmooth); ++p) {
    values.push_back(
        {{"name", std::string(ProvenanceName(static_cast<Provenance>(p)))}, {"value", p}});
  }
  OJson properties = OJson::object();
  properties[std::string(kProvenanceProperty)] = {
      {"description", "Where the triangle comes from: observed in photographs or inferred."},
      {"type", "ENUM"},
      {"enumType", std::string(kProvenanceEnumId)},
      {"required", true}};
  properties[std::string(kConfidenceProperty)] = {
      {"description", "Confidence in the geometry, 0 (none) to 1 (certain)."},
      {"type", "SCALAR"},
      {"componentType", "FLOAT32"},
      {"required", true}};
  properties[std::string(kSourceProperty)] = {
      {"description",
       "Part id the inferred geometry was derived from (e.g. its symmetric counterpart)."},
      {"type", "SCALAR"},
      {"componentType", "INT32"},
      {"noData", kNoSource}};
  OJson schema = {{"id", std::string(kProvenanceSchemaId)}};
  schema["classes"][std::string(kProvenanceClassId)] = {
      {"name", "Triangle provenance"},
      {"description", "London Charter / Seville Principles provenance of a group of triangles."},
      {"properties", properties}};
  schema["enums"][std::string(kProvenanceEnumId)] = {{"valueType", "UINT8"}, {"values", values}};
  return schema;
}

}  // namespace

double QuantizationStep(double extent_m) {
  MUTA_INTERNAL_CHECK(std::isfinite(extent_m) && extent_m >= 0);
  const double wanted = std::max(extent_m, 1e-6) / 65000.0;
  return std::ldexp(1.0, static_cast<int>(std::ceil(std::log2(wanted))));
}

std::vector<std::uint8_t> EncodeTileGlb(const LodTree& tree, std::span<const Face> faces,
                                        const TileGlbOptions& options) {
  const Mesh& mesh = tree.mesh;
  MUTA_INTERNAL_CHECK(!faces.empty());

  // Local vertices (sorted by global index) and local indices.
  std::vector<std::uint32_t> used;
  used.reserve(faces.size() * 3);
  for (const Face& f : faces) used.insert(used.end(), {f[0], f[1], f[2]});
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  const std::size_t n = used.size();
  auto local = [&](std::uint32_t g) {
    return static_cast<std::uint32_t>(std::lower_bound(used.begin(), used.end(), g) - used.begin());
  };
  std::vector<std::uint32_t> indices;
  indices.reserve(faces.size() * 3);
  for (const Face& f : faces)
    indices.insert(indices.end(), {local(f[0]), local(f[1]), local(f[2])});
  meshopt_optimizeVertexCache(indices.data(), indices.data(), indices.size(), n);
  {  // vertices in first-use order (compresses better, fetches faster)
    std::vector<std::uint32_t> remap(n);
    meshopt_optimizeVertexFetchRemap(remap.data(), indices.data(), indices.size(), n);
    std::vector<std::uint32_t> reordered(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (remap[i] != ~0u) reordered[remap[i]] = used[i];
    }
    used = std::move(reordered);
    meshopt_remapIndexBuffer(indices.data(), indices.data(), indices.size(), remap.data());
  }

  // Feature IDs: one row per group present in the tile.
  std::vector<std::uint32_t> rows;  // group ids, sorted
  for (std::uint32_t v : used) rows.push_back(tree.vertex_group[v]);
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  MUTA_INTERNAL_CHECK(rows.size() <= 65535);

  OJson root;
  root["asset"] = {{"version", "2.0"}, {"generator", options.generator}};
  OJson used_ext = OJson::array();
  OJson required_ext = OJson::array();
  if (options.quantize_positions) used_ext.push_back("KHR_mesh_quantization");
  if (options.meshopt) used_ext.push_back("EXT_meshopt_compression");
  used_ext.push_back("EXT_mesh_features");
  used_ext.push_back("EXT_structural_metadata");
  root["extensionsUsed"] = used_ext;
  if (options.quantize_positions) required_ext.push_back("KHR_mesh_quantization");
  if (options.meshopt) required_ext.push_back("EXT_meshopt_compression");
  if (!required_ext.empty()) root["extensionsRequired"] = required_ext;
  root["scene"] = 0;
  root["scenes"] = OJson::array({{{"nodes", {0}}}});

  OJson views = OJson::array();
  OJson accessors = OJson::array();
  OJson attributes = OJson::object();
  Bin bin(views);

  // y-up file frame: (x, y, z) -> (x, z, -y), in double (exact for float input).
  auto to_file = [](const Vec3f& v) {
    return Eigen::Vector3d(double(v.x()), double(v.z()), -double(v.y()));
  };

  // Vertex attributes: `stride` bytes per vertex, tightly packed in `v`.
  auto add_vertices = [&](const auto& v, std::size_t stride) {
    if (options.meshopt) return bin.AddCompressedVertices(v, stride);
    return bin.Add(v, kArrayBuffer, stride);
  };

  OJson node = {{"mesh", 0}};
  {  // POSITION
    Eigen::Vector3d lo = Eigen::Vector3d::Constant(std::numeric_limits<double>::max());
    Eigen::Vector3d hi = -lo;
    for (std::uint32_t g : used) {
      const Eigen::Vector3d p = to_file(mesh.vertices[g]);
      MUTA_CHECK(p.allFinite()) << "vertex " << g << " has a non-finite position";
      lo = lo.cwiseMin(p);
      hi = hi.cwiseMax(p);
    }
    if (options.quantize_positions) {
      const double step = options.position_step_m;
      int exponent = 0;
      MUTA_INTERNAL_CHECK(step > 0 && std::frexp(step, &exponent) == 0.5);  // a power of two
      const Eigen::Vector3d origin = (lo / step).array().floor().matrix() * step;
      std::vector<std::uint16_t> q(n * 4, 0);  // stride 8: x y z + padding
      std::array<int, 3> qmin = {65535, 65535, 65535}, qmax = {0, 0, 0};
      for (std::size_t i = 0; i < n; ++i) {
        const Eigen::Vector3d p = to_file(mesh.vertices[used[i]]);
        for (int a = 0; a < 3; ++a) {
          const double k = std::round((p[a] - origin[a]) / step);
          MUTA_INTERNAL_CHECK(k >= 0 && k <= 65535);
          const int ki = static_cast<int>(k);
          q[4 * i + std::size_t(a)] = static_cast<std::uint16_t>(ki);
          qmin[std::size_t(a)] = std::min(qmin[std::size_t(a)], ki);
          qmax[std::size_t(a)] = std::max(qmax[std::size_t(a)], ki);
        }
      }
      const int view = add_vertices(q, 8);
      OJson a = Accessor(view, kUnsignedShort, n, "VEC3");
      a["min"] = {qmin[0], qmin[1], qmin[2]};
      a["max"] = {qmax[0], qmax[1], qmax[2]};
      attributes["POSITION"] = accessors.size();
      accessors.push_back(std::move(a));
      node["translation"] = {origin.x(), origin.y(), origin.z()};
      node["scale"] = {step, step, step};
    } else {
      std::vector<float> values;
      values.reserve(n * 3);
      Eigen::Vector3f flo = Eigen::Vector3f::Constant(std::numeric_limits<float>::max());
      Eigen::Vector3f fhi = -flo;
      for (std::uint32_t g : used) {
        const Eigen::Vector3f p = to_file(mesh.vertices[g]).cast<float>();
        flo = flo.cwiseMin(p);
        fhi = fhi.cwiseMax(p);
        values.insert(values.end(), {p.x(), p.y(), p.z()});
      }
      const int view = add_vertices(values, 12);
      OJson a = Accessor(view, kFloat, n, "VEC3");
      a["min"] = {double(flo.x()), double(flo.y()), double(flo.z())};
      a["max"] = {double(fhi.x()), double(fhi.y()), double(fhi.z())};
      attributes["POSITION"] = accessors.size();
      accessors.push_back(std::move(a));
    }
  }
  if (!mesh.normals.empty()) {  // unit length; unusable normals point up
    auto unit = [&](std::uint32_t g) {
      Eigen::Vector3d v = to_file(mesh.normals[g]);
      const double len = v.norm();
      return len > 1e-20 && std::isfinite(len) ? Eigen::Vector3d(v / len)
                                               : Eigen::Vector3d(0, 1, 0);
    };
    if (options.quantize_positions) {
      std::vector<std::int8_t> values(n * 4, 0);  // stride 4: x y z + padding
      for (std::size_t i = 0; i < n; ++i) {
        const Eigen::Vector3d v = unit(used[i]);
        for (int a = 0; a < 3; ++a) {
          values[4 * i + std::size_t(a)] = static_cast<std::int8_t>(std::lround(v[a] * 127.0));
        }
      }
      const int view = add_vertices(values, 4);
      OJson a = Accessor(view, kByte, n, "VEC3");
      a["normalized"] = true;
      attributes["NORMAL"] = accessors.size();
      accessors.push_back(std::move(a));
    } else {
      std::vector<float> values;
      values.reserve(n * 3);
      for (std::uint32_t g : used) {
        const Eigen::Vector3d v = unit(g);
        values.insert(values.end(), {float(v.x()), float(v.y()), float(v.z())});
      }
      const int view = add_vertices(values, 12);
      attributes["NORMAL"] = accessors.size();
      accessors.push_back(Accessor(view, kFloat, n, "VEC3"));
    }
  }
  if (!mesh.colors.empty()) {
    const auto& table = SrgbToLinear16();
    std::vector<std::uint16_t> values;
    values.reserve(n * 4);
    for (std::uint32_t g : used) {
      const Color3u8& c = mesh.colors[g];
      values.insert(values.end(), {table[c[0]], table[c[1]], table[c[2]], std::uint16_t{65535}});
    }
    const int view = add_vertices(values, 8);
    OJson a = Accessor(view, kUnsignedShort, n, "VEC4");
    a["normalized"] = true;
    attributes["COLOR_0"] = accessors.size();
    accessors.push_back(std::move(a));
  }
  const bool textured = !options.texture.empty() && !mesh.uvs.empty();
  if (!mesh.uvs.empty()) {  // glTF's v runs down from the top of the image
    std::vector<float> values;
    values.reserve(n * 2);
    MUTA_INTERNAL_CHECK(options.uv_vertices.size() == options.uvs.size());
    for (std::uint32_t g : used) {
      Vec2f uv = mesh.uvs[g];
      if (!options.uv_vertices.empty()) {
        const auto it = std::lower_bound(options.uv_vertices.begin(), options.uv_vertices.end(), g);
        MUTA_INTERNAL_CHECK(it != options.uv_vertices.end() && *it == g);
        uv = options.uvs[std::size_t(it - options.uv_vertices.begin())];
      }
      values.insert(values.end(), {uv.x(), 1.0f - uv.y()});
    }
    const int view = add_vertices(values, 8);
    attributes["TEXCOORD_0"] = accessors.size();
    accessors.push_back(Accessor(view, kFloat, n, "VEC2"));
  }
  {  // _FEATURE_ID_0: the row of each vertex's group; elements 4-byte aligned (stride 4)
    const bool small = rows.size() <= 256;
    std::vector<std::uint8_t> values(n * 4, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const auto row = static_cast<std::uint16_t>(
          std::lower_bound(rows.begin(), rows.end(), tree.vertex_group[used[i]]) - rows.begin());
      if (small) {
        values[4 * i] = static_cast<std::uint8_t>(row);
      } else {
        std::memcpy(&values[4 * i], &row, 2);
      }
    }
    const int view = add_vertices(values, 4);
    attributes["_FEATURE_ID_0"] = accessors.size();
    accessors.push_back(Accessor(view, small ? kUnsignedByte : kUnsignedShort, n, "SCALAR"));
  }
  std::size_t indices_accessor = accessors.size();
  if (n <= 65536) {
    std::vector<std::uint16_t> small(indices.begin(), indices.end());
    const int view = options.meshopt ? bin.AddCompressedTriangles(indices, n, 2)
                                     : bin.Add(small, kElementArrayBuffer);
    accessors.push_back(Accessor(view, kUnsignedShort, small.size(), "SCALAR"));
  } else {
    const int view = options.meshopt ? bin.AddCompressedTriangles(indices, n, 4)
                                     : bin.Add(indices, kElementArrayBuffer);
    accessors.push_back(Accessor(view, kUnsignedInt, indices.size(), "SCALAR"));
  }

  // The provenance property table.
  {
    std::vector<std::uint8_t> provenance;
    std::vector<float> confidence;
    std::vector<std::int32_t> source;
    for (std::uint32_t g : rows) {
      const ProvenanceGroup& group = tree.groups[g];
      provenance.push_back(static_cast<std::uint8_t>(group.provenance));
      confidence.push_back(group.confidence);
      source.push_back(group.source);
    }
    OJson props = OJson::object();
    props[std::string(kProvenanceProperty)] = {{"values", bin.Add(provenance, 0)}};
    props[std::string(kConfidenceProperty)] = {{"values", bin.Add(confidence, 0)}};
    props[std::string(kSourceProperty)] = {{"values", bin.Add(source, 0)}};
    OJson table = {{"name", "provenance"},
                   {"class", std::string(kProvenanceClassId)},
                   {"count", rows.size()},
                   {"properties", props}};
    root["extensions"]["EXT_structural_metadata"] = {{"schema", ProvenanceSchema()},
                                                     {"propertyTables", OJson::array({table})}};
  }

  OJson pbr = {{"metallicFactor", 0.0}, {"roughnessFactor", 1.0}};
  if (textured) {
    const int view = bin.Add(options.texture.data(), options.texture.size(), 0);
    root["images"] = OJson::array({{{"bufferView", view}, {"mimeType", options.texture_mime}}});
    root["samplers"] = OJson::array({{{"magFilter", 9729},  // LINEAR
                                      {"minFilter", 9987},  // LINEAR_MIPMAP_LINEAR
                                      {"wrapS", 10497},     // REPEAT
                                      {"wrapT", 10497}}});
    root["textures"] = OJson::array({{{"sampler", 0}, {"source", 0}}});
    pbr["baseColorTexture"] = {{"index", 0}};
  }
  root["nodes"] = OJson::array({node});
  root["materials"] = OJson::array({{{"pbrMetallicRoughness", pbr}}});
  OJson primitive = {
      {"attributes", attributes}, {"indices", indices_accessor}, {"material", 0}, {"mode", 4}};
  primitive["extensions"]["EXT_mesh_features"] = {
      {"featureIds", OJson::array({{{"featureCount", rows.size()},
                                    {"attribute", 0},
                                    {"propertyTable", 0},
                                    {"label", "provenance"}}})}};
  root["meshes"] = OJson::array({{{"primitives", OJson::array({primitive})}}});
  root["accessors"] = std::move(accessors);
  root["bufferViews"] = std::move(views);
  std::vector<std::uint8_t>& bytes = bin.bytes();
  bytes.resize((bytes.size() + 3) & ~std::size_t{3}, 0);
  root["buffers"] = OJson::array({{{"byteLength", bytes.size()}}});
  if (options.meshopt) {  // the data-less fallback buffer of the compressed views
    root["buffers"].push_back(
        {{"byteLength", std::max<std::size_t>(bin.fallback_bytes(), 4)},
         {"extensions", {{"EXT_meshopt_compression", {{"fallback", true}}}}}});
  }
  return Assemble(root, bytes);
}

}  // namespace muta::reconstruct
