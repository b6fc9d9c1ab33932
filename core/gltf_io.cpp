// Reading .glb files: container validation, tinygltf parsing, accessor validation and merging of
// the default scene's triangle primitives. Writing is in gltf_io_write.cpp.

#include "core/gltf_io.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>

#include <spdlog/spdlog.h>
#include <tiny_gltf.h>
#include <Eigen/Geometry>

#include "core/error.h"
#include "core/file_io.h"
#include "core/gltf_meshopt.h"

namespace muta {
namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kGlbMagic = 0x46546C67;   // "glTF"
constexpr std::uint32_t kChunkJson = 0x4E4F534A;  // "JSON"
constexpr std::uint32_t kChunkBin = 0x004E4942;   // "BIN\0"
// Deepest JSON nesting accepted. glTF itself needs about 6 levels; tinygltf converts "extras"
// recursively, so a forged file nested thousands deep would overflow the stack.
constexpr int kMaxJsonDepth = 64;
// Merged meshes are indexed with uint32.
constexpr std::size_t kMaxVertices = std::numeric_limits<std::uint32_t>::max();

std::uint32_t LittleEndian32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

std::string OneLine(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  std::string out;
  for (char c : text) out += c == '\n' ? std::string("; ") : std::string(1, c);
  return out.empty() ? "no details" : out;
}

// Checks the GLB header and chunk layout (glTF 2.0 section 4.4) before any parser sees the data.
void ValidateContainer(std::span<const std::uint8_t> b, const std::string& name) {
  MUTA_CHECK(b.size() >= 12) << name << ": not a glTF binary (.glb) file: " << b.size()
                             << " bytes is shorter than the 12-byte header";
  MUTA_CHECK(LittleEndian32(&b[0]) == kGlbMagic)
      << name << ": not a glTF binary (.glb) file (the file does not start with \"glTF\")";
  const std::uint32_t version = LittleEndian32(&b[4]);
  MUTA_CHECK(version == 2) << name << ": GLB container version " << version
                           << " is not supported (Muta reads glTF 2.0)";
  const std::uint64_t length = LittleEndian32(&b[8]);
  MUTA_CHECK(length == b.size()) << name << ": the GLB header gives a length of " << length
                                 << " bytes but the file has " << b.size()
                                 << " bytes; the file is truncated or damaged";
  MUTA_CHECK(b.size() >= 20) << name << ": truncated GLB: no JSON chunk after the header";

  std::size_t pos = 12;
  int index = 0;
  bool have_bin = false;
  while (pos < b.size()) {
    MUTA_CHECK(b.size() - pos >= 8) << name << ": truncated GLB: chunk " << index
                                    << " header at byte " << pos << " is incomplete";
    const std::uint64_t chunk_length = LittleEndian32(&b[pos]);
    const std::uint32_t type = LittleEndian32(&b[pos + 4]);
    MUTA_CHECK(chunk_length <= b.size() - pos - 8)
        << name << ": GLB chunk " << index << " at byte " << pos << " claims " << chunk_length
        << " bytes, past the end of the file; the file is truncated or damaged";
    MUTA_CHECK(chunk_length % 4 == 0) << name << ": GLB chunk " << index << " length "
                                      << chunk_length << " is not a multiple of 4";
    if (index == 0) {
      MUTA_CHECK(type == kChunkJson) << name << ": the first GLB chunk is not JSON";
      MUTA_CHECK(chunk_length > 0) << name << ": the GLB JSON chunk is empty";
    } else {
      MUTA_CHECK(type != kChunkJson) << name << ": GLB has more than one JSON chunk";
      if (type == kChunkBin) {
        MUTA_CHECK(index == 1 && !have_bin)
            << name << ": GLB BIN chunk must directly follow the JSON chunk";
        have_bin = true;
      } else {
        // Unknown chunks must be ignored, but tinygltf only accepts BIN in second place.
        MUTA_CHECK(index != 1) << name << ": GLB chunk 1 has unknown type 0x" << std::hex << type
                               << std::dec << "; Muta expects the BIN chunk there";
      }
    }
    pos += 8 + static_cast<std::size_t>(chunk_length);
    ++index;
  }
}

// Rejects JSON nested deeper than kMaxJsonDepth (strings are skipped so brackets in them do not
// count). The JSON itself is parsed by tinygltf.
void CheckJsonDepth(std::span<const std::uint8_t> json, const std::string& name) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const std::uint8_t c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      MUTA_CHECK(++depth <= kMaxJsonDepth)
          << name << ": glTF JSON is nested more than " << kMaxJsonDepth << " levels deep";
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

// tinygltf file-system callbacks that refuse every external file: a .glb must be self-contained
// and a file must not make Muta read other paths.
bool NoFileExists(const std::string&, void*) {
  return false;
}
std::string SamePath(const std::string& path, void*) {
  return path;
}
bool NoReadFile(std::vector<unsigned char>*, std::string* err, const std::string& path, void*) {
  if (err != nullptr) *err = "external file '" + path + "' not loaded";
  return false;
}
bool NoWriteFile(std::string*, const std::string&, const std::vector<unsigned char>&, void*) {
  return false;
}

// tinygltf image callback that decodes nothing. Images in a bufferView are fetched (with range
// checks tinygltf does not make) after parsing; images in data URIs are kept encoded here.
bool KeepEncodedImage(tinygltf::Image* image, const int, std::string*, std::string*, int, int,
                      const unsigned char* bytes, int size, void*) {
  image->as_is = true;
  if (image->bufferView < 0 && bytes != nullptr && size > 0) {
    image->image.assign(bytes, bytes + size);
  }
  return true;
}

tinygltf::Model ParseModel(std::span<const std::uint8_t> bytes, const std::string& name) {
  tinygltf::TinyGLTF loader;
  loader.SetImageLoader(KeepEncodedImage, nullptr);
  loader.SetFsCallbacks({NoFileExists, SamePath, NoReadFile, NoWriteFile, nullptr});
  tinygltf::Model model;
  std::string err, warn;
  bool ok = false;
  try {
    ok = loader.LoadBinaryFromMemory(&model, &err, &warn, bytes.data(),
                                     static_cast<unsigned int>(bytes.size()), "",
                                     tinygltf::REQUIRE_VERSION);
  } catch (const std::exception& e) {  // tinygltf lets e.g. std::out_of_range escape
    ok = false;
    err = e.what();
  }
  MUTA_CHECK(ok) << name << ": invalid glTF (" << OneLine(err) << ")";
  if (!warn.empty()) spdlog::debug("{}: tinygltf: {}", name, OneLine(warn));
  return model;
}

// ---------------------------------------------------------------------------------------------
// Accessors.

struct ComponentRule {
  int component_type;
  bool normalized;
};

// What an attribute may hold: component counts (1..4) and component types (glTF 2.0 section
// 3.7.2.1, widened by KHR_mesh_quantization when the file uses it).
struct AccessorRule {
  const char* usage;  // "POSITION", "indices", ...
  std::vector<int> components;
  std::vector<ComponentRule> types;
};

constexpr int kByte = TINYGLTF_COMPONENT_TYPE_BYTE;
constexpr int kUByte = TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE;
constexpr int kShort = TINYGLTF_COMPONENT_TYPE_SHORT;
constexpr int kUShort = TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT;
constexpr int kUInt = TINYGLTF_COMPONENT_TYPE_UNSIGNED_INT;
constexpr int kFloat = TINYGLTF_COMPONENT_TYPE_FLOAT;

AccessorRule PositionRule(bool quantized) {
  AccessorRule rule{"POSITION", {3}, {{kFloat, false}}};
  if (quantized) {
    for (int t : {kByte, kUByte, kShort, kUShort}) {
      rule.types.push_back({t, false});
      rule.types.push_back({t, true});
    }
  }
  return rule;
}

AccessorRule NormalRule(bool quantized) {
  AccessorRule rule{"NORMAL", {3}, {{kFloat, false}}};
  if (quantized) rule.types.insert(rule.types.end(), {{kByte, true}, {kShort, true}});
  return rule;
}

AccessorRule TexcoordRule(bool quantized) {
  AccessorRule rule{"TEXCOORD_0", {2}, {{kFloat, false}, {kUByte, true}, {kUShort, true}}};
  if (quantized) {
    rule.types.insert(rule.types.end(), {{kByte, true},
                                         {kByte, false},
                                         {kShort, true},
                                         {kShort, false},
                                         {kUByte, false},
                                         {kUShort, false}});
  }
  return rule;
}

AccessorRule ColorRule() {
  return {"COLOR_0", {3, 4}, {{kFloat, false}, {kUByte, true}, {kUShort, true}}};
}

AccessorRule IndexRule() {
  return {"indices", {1}, {{kUByte, false}, {kUShort, false}, {kUInt, false}}};
}

// EXT_mesh_features: SCALAR, not normalized, any component type.
AccessorRule FeatureIdRule() {
  return {"_FEATURE_ID_n",
          {1},
          {{kByte, false},
           {kUByte, false},
           {kShort, false},
           {kUShort, false},
           {kUInt, false},
           {kFloat, false}}};
}

std::string ComponentTypeName(int type) {
  switch (type) {
    case kByte:
      return "BYTE";
    case kUByte:
      return "UNSIGNED_BYTE";
    case kShort:
      return "SHORT";
    case kUShort:
      return "UNSIGNED_SHORT";
    case kUInt:
      return "UNSIGNED_INT";
    case kFloat:
      return "FLOAT";
    default:
      return "component type " + std::to_string(type);
  }
}

int ComponentSize(int type) {
  switch (type) {
    case kByte:
    case kUByte:
      return 1;
    case kShort:
    case kUShort:
      return 2;
    case kUInt:
    case kFloat:
      return 4;
    default:
      return 0;
  }
}

int ComponentCount(int type) {
  switch (type) {
    case TINYGLTF_TYPE_SCALAR:
      return 1;
    case TINYGLTF_TYPE_VEC2:
      return 2;
    case TINYGLTF_TYPE_VEC3:
      return 3;
    case TINYGLTF_TYPE_VEC4:
      return 4;
    default:
      return 0;  // matrices: never valid for what Muta reads
  }
}

// A validated accessor: every element lies inside its buffer.
struct AccessorView {
  const std::uint8_t* data = nullptr;  // first element
  std::size_t count = 0;
  std::size_t stride = 0;
  int component_type = 0;
  int components = 0;
  bool normalized = false;

  double Component(std::size_t i, int c) const {
    const std::uint8_t* p = data + i * stride + std::size_t(c) * ComponentSize(component_type);
    switch (component_type) {
      case kByte: {
        std::int8_t v;
        std::memcpy(&v, p, 1);
        return normalized ? std::max(v / 127.0, -1.0) : v;
      }
      case kUByte:
        return normalized ? *p / 255.0 : *p;
      case kShort: {
        std::int16_t v;
        std::memcpy(&v, p, 2);
        return normalized ? std::max(v / 32767.0, -1.0) : v;
      }
      case kUShort: {
        std::uint16_t v;
        std::memcpy(&v, p, 2);
        return normalized ? v / 65535.0 : v;
      }
      case kUInt: {
        std::uint32_t v;
        std::memcpy(&v, p, 4);
        return v;
      }
      default: {
        float v;
        std::memcpy(&v, p, 4);
        return v;
      }
    }
  }
  std::uint32_t Index(std::size_t i) const {
    const std::uint8_t* p = data + i * stride;
    if (component_type == kUByte) return *p;
    if (component_type == kUShort) {
      std::uint16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
};

// The bytes of buffer view `index`, checked against its buffer.
std::span<const std::uint8_t> ViewBytes(const tinygltf::Model& model, int index,
                                        const std::string& what, const std::string& name) {
  MUTA_CHECK(index >= 0 && std::size_t(index) < model.bufferViews.size())
      << name << ": " << what << " refers to bufferView " << index << ", which does not exist ("
      << model.bufferViews.size() << " bufferViews)";
  const tinygltf::BufferView& view = model.bufferViews[std::size_t(index)];
  MUTA_CHECK(view.buffer >= 0 && std::size_t(view.buffer) < model.buffers.size())
      << name << ": bufferView " << index << " refers to buffer " << view.buffer
      << ", which does not exist (" << model.buffers.size() << " buffers)";
  const std::vector<unsigned char>& data = model.buffers[std::size_t(view.buffer)].data;
  MUTA_CHECK(view.byteOffset <= data.size() && view.byteLength <= data.size() - view.byteOffset)
      << name << ": bufferView " << index << " (bytes " << view.byteOffset << " to "
      << view.byteOffset + view.byteLength << ") lies outside buffer " << view.buffer << " ("
      << data.size() << " bytes)";
  return std::span<const std::uint8_t>(data.data() + view.byteOffset, view.byteLength);
}

// Validates accessor `index` for `rule` and returns a view of its elements.
AccessorView CheckedAccessor(const tinygltf::Model& model, int index, const AccessorRule& rule,
                             const std::string& name) {
  MUTA_CHECK(index >= 0 && std::size_t(index) < model.accessors.size())
      << name << ": " << rule.usage << " refers to accessor " << index << ", which does not exist ("
      << model.accessors.size() << " accessors)";
  const tinygltf::Accessor& a = model.accessors[std::size_t(index)];
  const std::string what = "accessor " + std::to_string(index) + " (" + rule.usage + ")";
  MUTA_CHECK(!a.sparse.isSparse) << name << ": " << what
                                 << " is sparse; sparse accessors are not supported, re-export "
                                    "the model without them";
  AccessorView v;
  v.components = ComponentCount(a.type);
  MUTA_CHECK(std::find(rule.components.begin(), rule.components.end(), v.components) !=
             rule.components.end())
      << name << ": " << what << " has the wrong type (" << v.components
      << " components per element, type code " << a.type << ")";
  const bool legal = std::any_of(rule.types.begin(), rule.types.end(), [&](ComponentRule r) {
    return r.component_type == a.componentType && r.normalized == a.normalized;
  });
  MUTA_CHECK(legal) << name << ": " << what << " has component type "
                    << (a.normalized ? "normalized " : "") << ComponentTypeName(a.componentType)
                    << ", which glTF does not allow for " << rule.usage;
  v.component_type = a.componentType;
  v.normalized = a.normalized;
  MUTA_CHECK(a.bufferView >= 0) << name << ": " << what << " has no bufferView";
  const std::span<const std::uint8_t> bytes = ViewBytes(model, a.bufferView, what, name);
  const tinygltf::BufferView& view = model.bufferViews[std::size_t(a.bufferView)];

  const std::size_t element = std::size_t(ComponentSize(v.component_type)) * v.components;
  v.stride = view.byteStride != 0 ? view.byteStride : element;
  MUTA_CHECK(view.byteStride == 0 ||
             (view.byteStride >= element && view.byteStride <= 252 &&
              view.byteStride % std::size_t(ComponentSize(v.component_type)) == 0))
      << name << ": bufferView " << a.bufferView << " has byteStride " << view.byteStride
      << ", invalid for " << what << " (elements of " << element << " bytes)";
  MUTA_CHECK(a.count >= 1) << name << ": " << what << " has no elements";
  v.count = a.count;
  // byteOffset + stride * (count - 1) + element <= view length, without overflow.
  const bool fits = a.byteOffset <= bytes.size() && element <= bytes.size() - a.byteOffset &&
                    (a.count - 1) <= (bytes.size() - a.byteOffset - element) / v.stride;
  MUTA_CHECK(fits) << name << ": " << what << " (" << a.count << " elements of " << element
                   << " bytes, stride " << v.stride << ", offset " << a.byteOffset
                   << ") runs past the end of bufferView " << a.bufferView << " (" << bytes.size()
                   << " bytes)";
  v.data = bytes.data() + a.byteOffset;
  return v;
}

// ---------------------------------------------------------------------------------------------
// Scene traversal.

struct ReadContext {
  const tinygltf::Model& model;
  const std::string& name;
  bool quantized = false;                               // KHR_mesh_quantization
  Eigen::Matrix4d frame = Eigen::Matrix4d::Identity();  // applied after the node transforms
  Mesh mesh;
  bool read_feature_ids = false;                // GlbReadOptions::read_feature_ids
  std::vector<std::uint32_t> face_feature_ids;  // per face of `mesh` when read_feature_ids
  std::vector<std::int32_t> face_property_tables;
};

Eigen::Matrix4d NodeTransform(const tinygltf::Node& node, int index, const std::string& name) {
  auto finite = [](const std::vector<double>& v) {
    return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
  };
  MUTA_CHECK(finite(node.matrix) && finite(node.translation) && finite(node.rotation) &&
             finite(node.scale))
      << name << ": node " << index << " has a non-finite transform";
  Eigen::Matrix4d m = Eigen::Matrix4d::Identity();
  if (!node.matrix.empty()) {
    MUTA_CHECK(node.matrix.size() == 16) << name << ": node " << index << " matrix has "
                                         << node.matrix.size() << " values, expected 16";
    for (int i = 0; i < 16; ++i) m(i % 4, i / 4) = node.matrix[std::size_t(i)];  // column-major
    return m;
  }
  MUTA_CHECK(node.translation.empty() || node.translation.size() == 3)
      << name << ": node " << index << " translation must have 3 values";
  MUTA_CHECK(node.rotation.empty() || node.rotation.size() == 4)
      << name << ": node " << index << " rotation must have 4 values";
  MUTA_CHECK(node.scale.empty() || node.scale.size() == 3)
      << name << ": node " << index << " scale must have 3 values";
  Eigen::Affine3d t = Eigen::Affine3d::Identity();
  if (!node.translation.empty()) {
    t.translate(Eigen::Vector3d(node.translation[0], node.translation[1], node.translation[2]));
  }
  if (!node.rotation.empty()) {
    Eigen::Quaterniond q(node.rotation[3], node.rotation[0], node.rotation[1], node.rotation[2]);
    MUTA_CHECK(q.norm() > 1e-12) << name << ": node " << index << " rotation is a zero quaternion";
    t.rotate(q.normalized());
  }
  if (!node.scale.empty()) t.scale(Eigen::Vector3d(node.scale[0], node.scale[1], node.scale[2]));
  return t.matrix();
}

// glTF vertex colours are linear; Muta's are 8-bit sRGB.
std::uint8_t ToSrgb8(double linear) {
  const double c = std::isfinite(linear) ? std::clamp(linear, 0.0, 1.0) : 0.0;
  const double s = c <= 0.0031308 ? 12.92 * c : 1.055 * std::pow(c, 1.0 / 2.4) - 0.055;
  return static_cast<std::uint8_t>(std::lround(std::clamp(s, 0.0, 1.0) * 255.0));
}

// Appends one feature ID and property table per face of a primitive (`faces` index its `n`
// vertices) from the primitive's first EXT_mesh_features feature ID set.
void ReadFaceFeatureIds(ReadContext& ctx, const tinygltf::Primitive& prim,
                        const std::vector<Face>& faces, std::size_t n, const std::string& where) {
  const std::string& name = ctx.name;
  auto none = [&] {
    ctx.face_feature_ids.insert(ctx.face_feature_ids.end(), faces.size(), kNoFeatureId);
    ctx.face_property_tables.insert(ctx.face_property_tables.end(), faces.size(), -1);
  };
  const auto ext = prim.extensions.find("EXT_mesh_features");
  if (ext == prim.extensions.end()) return none();
  const tinygltf::Value& sets = ext->second.Get("featureIds");
  MUTA_CHECK(ext->second.IsObject() && sets.IsArray() && sets.ArrayLen() >= 1)
      << name << ": " << where << ": EXT_mesh_features needs a non-empty featureIds array";
  const tinygltf::Value& set = sets.Get(0);
  auto integer = [&](const char* key, bool required,
                     std::int64_t min) -> std::optional<std::int64_t> {
    if (!set.Has(key)) {
      MUTA_CHECK(!required) << name << ": " << where << ": EXT_mesh_features featureIds[0] has no "
                            << key;
      return std::nullopt;
    }
    const tinygltf::Value& v = set.Get(key);
    const double d = v.IsNumber() ? v.GetNumberAsDouble() : std::nan("");
    MUTA_CHECK(std::isfinite(d) && d == std::floor(d) && d >= double(min) && d <= 4294967295.0)
        << name << ": " << where << ": EXT_mesh_features featureIds[0]." << key
        << " must be an integer >= " << min;
    return static_cast<std::int64_t>(d);
  };
  const std::int64_t count = *integer("featureCount", true, 1);
  const std::optional<std::int64_t> null_id = integer("nullFeatureId", false, 0);
  const std::optional<std::int64_t> table = integer("propertyTable", false, 0);
  MUTA_CHECK(!table || *table <= std::numeric_limits<std::int32_t>::max())
      << name << ": " << where << ": propertyTable index out of range";
  if (set.Has("texture") && !set.Has("attribute")) {
    spdlog::warn("{}: {}: feature ID textures are not read; the faces get no feature", name, where);
    return none();
  }
  std::optional<AccessorView> ids;
  if (const std::optional<std::int64_t> attribute = integer("attribute", false, 0)) {
    const std::string semantic = "_FEATURE_ID_" + std::to_string(*attribute);
    const auto it = prim.attributes.find(semantic);
    MUTA_CHECK(it != prim.attributes.end())
        << name << ": " << where << ": EXT_mesh_features refers to attribute " << semantic
        << ", which the primitive does not have";
    ids = CheckedAccessor(ctx.model, it->second, FeatureIdRule(), name);
    MUTA_CHECK(ids->count == n) << name << ": " << where << " " << semantic << " has " << ids->count
                                << " elements but POSITION has " << n;
  }
  for (std::size_t f = 0; f < faces.size(); ++f) {
    const std::uint32_t v = faces[f][0];
    const double value = ids ? ids->Component(v, 0) : double(v);
    MUTA_CHECK(std::isfinite(value) && value >= 0 && value == std::floor(value))
        << name << ": " << where << ": feature ID of vertex " << v << " is " << value
        << ", not a non-negative integer";
    const auto id = static_cast<std::int64_t>(value);
    if (null_id && id == *null_id) {
      ctx.face_feature_ids.push_back(kNoFeatureId);
      ctx.face_property_tables.push_back(-1);
      continue;
    }
    MUTA_CHECK(id < count) << name << ": " << where << ": feature ID " << id << " of vertex " << v
                           << " is not below featureCount " << count;
    ctx.face_feature_ids.push_back(static_cast<std::uint32_t>(id));
    ctx.face_property_tables.push_back(table ? static_cast<std::int32_t>(*table) : -1);
  }
}

void ReadPrimitive(ReadContext& ctx, const tinygltf::Primitive& prim, int mesh_index,
                   int prim_index, const Eigen::Matrix4d& world) {
  const std::string& name = ctx.name;
  const std::string where =
      "mesh " + std::to_string(mesh_index) + " primitive " + std::to_string(prim_index);
  if (prim.mode != TINYGLTF_MODE_TRIANGLES && prim.mode != -1) {
    spdlog::warn("{}: {} has mode {} (not TRIANGLES); skipped", name, where, prim.mode);
    return;
  }
  const auto position_it = prim.attributes.find("POSITION");
  if (position_it == prim.attributes.end()) {
    spdlog::warn("{}: {} has no POSITION attribute; skipped", name, where);
    return;
  }
  const AccessorView positions =
      CheckedAccessor(ctx.model, position_it->second, PositionRule(ctx.quantized), name);
  const std::size_t n = positions.count;
  MUTA_CHECK(n <= kMaxVertices - ctx.mesh.vertices.size())
      << name << ": more than " << kMaxVertices << " vertices in total";

  auto optional_accessor = [&](const char* attribute, const AccessorRule& rule) {
    std::optional<AccessorView> view;
    const auto it = prim.attributes.find(attribute);
    if (it == prim.attributes.end()) return view;
    view = CheckedAccessor(ctx.model, it->second, rule, name);
    MUTA_CHECK(view->count == n) << name << ": " << where << " " << attribute << " has "
                                 << view->count << " elements but POSITION has " << n;
    return view;
  };
  const auto normals = optional_accessor("NORMAL", NormalRule(ctx.quantized));
  const auto colors = optional_accessor("COLOR_0", ColorRule());
  const auto uvs = optional_accessor("TEXCOORD_0", TexcoordRule(ctx.quantized));

  const Eigen::Matrix4d m = ctx.frame * world;
  const Eigen::Matrix3d linear = m.topLeftCorner<3, 3>();
  const double det = linear.determinant();
  const Eigen::Matrix3d normal_matrix =
      std::abs(det) > 1e-300 ? Eigen::Matrix3d(linear.inverse().transpose()) : linear;

  Mesh part;
  part.vertices.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Eigen::Vector3d p(positions.Component(i, 0), positions.Component(i, 1),
                            positions.Component(i, 2));
    const Eigen::Vector3d q = linear * p + m.topRightCorner<3, 1>();
    MUTA_CHECK(q.allFinite()) << name << ": " << where << " vertex " << i
                              << " has a non-finite position";
    part.vertices[i] = q.cast<float>();
  }
  if (normals) {
    part.normals.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      Eigen::Vector3d v =
          normal_matrix * Eigen::Vector3d(normals->Component(i, 0), normals->Component(i, 1),
                                          normals->Component(i, 2));
      const double len = v.norm();
      v = len > 0 && std::isfinite(len) ? Eigen::Vector3d(v / len) : Eigen::Vector3d::Zero();
      part.normals[i] = v.cast<float>();
    }
  }
  if (colors) {
    part.colors.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      part.colors[i] = Color3u8(ToSrgb8(colors->Component(i, 0)), ToSrgb8(colors->Component(i, 1)),
                                ToSrgb8(colors->Component(i, 2)));
    }
  }
  if (uvs) {
    part.uvs.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      // glTF's v runs down from the top of the image; Muta's runs up from the bottom.
      part.uvs[i] = Vec2f(static_cast<float>(uvs->Component(i, 0)),
                          static_cast<float>(1.0 - uvs->Component(i, 1)));
    }
  }

  std::size_t index_count = n;
  std::optional<AccessorView> indices;
  if (prim.indices >= 0) {
    indices = CheckedAccessor(ctx.model, prim.indices, IndexRule(), name);
    index_count = indices->count;
  }
  MUTA_CHECK(index_count % 3 == 0)
      << name << ": " << where << " has " << index_count << " indices, not a multiple of 3";
  part.faces.resize(index_count / 3);
  const bool flip = det < 0;  // a mirroring transform turns the winding around
  for (std::size_t f = 0; f < part.faces.size(); ++f) {
    Face face;
    for (int k = 0; k < 3; ++k) {
      const std::size_t i = 3 * f + std::size_t(k);
      const std::uint32_t v = indices ? indices->Index(i) : static_cast<std::uint32_t>(i);
      MUTA_CHECK(v < n) << name << ": " << where << " index " << i << " is " << v
                        << ", out of range (" << n << " vertices)";
      face[k] = v;
    }
    if (flip) std::swap(face[1], face[2]);
    part.faces[f] = face;
  }
  if (ctx.read_feature_ids) ReadFaceFeatureIds(ctx, prim, part.faces, n, where);
  ctx.mesh.Append(part);
}

void ReadMesh(ReadContext& ctx, int mesh_index, const Eigen::Matrix4d& world) {
  MUTA_CHECK(mesh_index >= 0 && std::size_t(mesh_index) < ctx.model.meshes.size())
      << ctx.name << ": node refers to mesh " << mesh_index << ", which does not exist ("
      << ctx.model.meshes.size() << " meshes)";
  const tinygltf::Mesh& mesh = ctx.model.meshes[std::size_t(mesh_index)];
  for (std::size_t p = 0; p < mesh.primitives.size(); ++p) {
    ReadPrimitive(ctx, mesh.primitives[p], mesh_index, static_cast<int>(p), world);
  }
}

// Visits the node trees under `roots`, depth first, applying transforms.
void ReadNodes(ReadContext& ctx, const std::vector<int>& roots) {
  const auto& nodes = ctx.model.nodes;
  std::vector<bool> visited(nodes.size(), false);
  struct Item {
    int node;
    Eigen::Matrix4d parent;
  };
  std::vector<Item> stack;
  for (auto it = roots.rbegin(); it != roots.rend(); ++it) {
    stack.push_back({*it, Eigen::Matrix4d::Identity()});
  }
  while (!stack.empty()) {
    const Item item = stack.back();
    stack.pop_back();
    MUTA_CHECK(item.node >= 0 && std::size_t(item.node) < nodes.size())
        << ctx.name << ": reference to node " << item.node << ", which does not exist ("
        << nodes.size() << " nodes)";
    MUTA_CHECK(!visited[std::size_t(item.node)])
        << ctx.name << ": node " << item.node
        << " is reached twice; the node hierarchy must be a tree";
    visited[std::size_t(item.node)] = true;
    const tinygltf::Node& node = nodes[std::size_t(item.node)];
    const Eigen::Matrix4d world = item.parent * NodeTransform(node, item.node, ctx.name);
    if (node.mesh >= 0) ReadMesh(ctx, node.mesh, world);
    for (auto it = node.children.rbegin(); it != node.children.rend(); ++it) {
      stack.push_back({*it, world});
    }
  }
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void CheckExtensions(const tinygltf::Model& model, const std::string& name) {
  for (const std::string& ext : model.extensionsRequired) {
    // Material extensions change shading only, which Muta does not read.
    const bool supported = ext == "KHR_mesh_quantization" || ext.rfind("KHR_materials_", 0) == 0;
    MUTA_CHECK(supported) << name << ": the file requires the glTF extension " << ext
                          << ", which Muta does not support; re-export it without " << ext;
  }
}

std::optional<Image> ReadBaseColorTexture(const tinygltf::Model& model, const std::string& name) {
  for (std::size_t m = 0; m < model.materials.size(); ++m) {
    const tinygltf::TextureInfo& info = model.materials[m].pbrMetallicRoughness.baseColorTexture;
    if (info.index < 0) continue;
    MUTA_CHECK(std::size_t(info.index) < model.textures.size())
        << name << ": material " << m << " refers to texture " << info.index
        << ", which does not exist (" << model.textures.size() << " textures)";
    if (info.texCoord != 0) {
      spdlog::warn("{}: material {} uses TEXCOORD_{}; Muta reads TEXCOORD_0 only", name, m,
                   info.texCoord);
    }
    const int source = model.textures[std::size_t(info.index)].source;
    if (source < 0) {
      spdlog::warn("{}: texture {} has no core image source (WebP/KTX2 textures are not read)",
                   name, info.index);
      continue;
    }
    MUTA_CHECK(std::size_t(source) < model.images.size())
        << name << ": texture " << info.index << " refers to image " << source
        << ", which does not exist (" << model.images.size() << " images)";
    const tinygltf::Image& image = model.images[std::size_t(source)];
    const std::string image_name = name + " (image " + std::to_string(source) + ")";
    std::vector<std::uint8_t> encoded;
    if (image.bufferView >= 0) {
      const auto bytes =
          ViewBytes(model, image.bufferView, "image " + std::to_string(source), name);
      encoded.assign(bytes.begin(), bytes.end());
    } else if (!image.image.empty()) {
      encoded = image.image;  // from a data URI
    } else {
      spdlog::warn("{}: image {} is an external file ('{}'), not loaded", name, source, image.uri);
      continue;
    }
    return DecodeImage(encoded, image_name, 3);
  }
  return std::nullopt;
}

}  // namespace

GlbContent ParseGlb(std::span<const std::uint8_t> bytes, const std::string& name,
                    const GlbReadOptions& options) {
  ValidateContainer(bytes, name);
  CheckJsonDepth(bytes.subspan(20, LittleEndian32(&bytes[12])), name);
  // EXT_meshopt_compression: decoded into a plain .glb first, which is then validated as any.
  std::vector<std::uint8_t> decoded;
  if (detail::DecodeMeshoptGlb(bytes, name, decoded)) bytes = decoded;
  const tinygltf::Model model = ParseModel(bytes, name);
  MUTA_CHECK(model.asset.version.rfind("2.", 0) == 0)
      << name << ": glTF version '" << model.asset.version << "' is not supported (expected 2.x)";
  CheckExtensions(model, name);

  ReadContext ctx{model, name};
  ctx.quantized = Contains(model.extensionsUsed, "KHR_mesh_quantization");
  ctx.read_feature_ids = options.read_feature_ids;
  if (options.to_z_up) {
    // y-up (x, y, z) -> z-up (x, -z, y)
    ctx.frame << 1, 0, 0, 0,  //
        0, 0, -1, 0,          //
        0, 1, 0, 0,           //
        0, 0, 0, 1;
  }
  if (!model.scenes.empty()) {
    const int scene = model.defaultScene >= 0 ? model.defaultScene : 0;
    MUTA_CHECK(std::size_t(scene) < model.scenes.size())
        << name << ": default scene " << scene << " does not exist (" << model.scenes.size()
        << " scenes)";
    ReadNodes(ctx, model.scenes[std::size_t(scene)].nodes);
  } else {
    for (std::size_t m = 0; m < model.meshes.size(); ++m) {
      ReadMesh(ctx, static_cast<int>(m), Eigen::Matrix4d::Identity());
    }
  }

  GlbContent content;
  content.mesh = std::move(ctx.mesh);
  content.face_feature_ids = std::move(ctx.face_feature_ids);
  content.face_property_tables = std::move(ctx.face_property_tables);
  content.base_color_texture = ReadBaseColorTexture(model, name);
  return content;
}

GlbContent ReadGlb(const fs::path& path, const GlbReadOptions& options) {
  const std::vector<std::uint8_t> bytes = ReadFileBytes(path);
  return ParseGlb(bytes, path.string(), options);
}

}  // namespace muta
