// Writing .glb files: one mesh, one triangle primitive, built directly (JSON with
// nlohmann::json, binary chunk by hand) so that the layout is exactly what glTF 2.0 asks for.

#include "core/gltf_io.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"

namespace muta {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::uint32_t kGlbMagic = 0x46546C67;   // "glTF"
constexpr std::uint32_t kChunkJson = 0x4E4F534A;  // "JSON"
constexpr std::uint32_t kChunkBin = 0x004E4942;   // "BIN\0"
constexpr int kArrayBuffer = 34962;
constexpr int kElementArrayBuffer = 34963;
constexpr int kUnsignedShort = 5123;
constexpr int kUnsignedInt = 5125;
constexpr int kFloat = 5126;

// Linear value of each 8-bit sRGB level, as a normalized uint16 (exact round trip through
// ReadGlb's conversion back to sRGB).
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

// The BIN chunk under construction: each block starts 4-byte aligned and gets a bufferView.
class BinBuilder {
 public:
  explicit BinBuilder(Json& views) : views_(views) {}

  // Appends `size` bytes and returns the index of their new bufferView (target 0 = none).
  int Add(const void* data, std::size_t size, int target) {
    bytes_.resize((bytes_.size() + 3) & ~std::size_t{3}, 0);
    const std::size_t offset = bytes_.size();
    bytes_.resize(offset + size);
    if (size > 0) std::memcpy(bytes_.data() + offset, data, size);
    Json view = {{"buffer", 0}, {"byteOffset", offset}, {"byteLength", size}};
    if (target != 0) view["target"] = target;
    views_.push_back(std::move(view));
    return static_cast<int>(views_.size()) - 1;
  }
  template <typename T>
  int Add(const std::vector<T>& values, int target) {
    return Add(values.data(), values.size() * sizeof(T), target);
  }

  std::vector<std::uint8_t>& bytes() { return bytes_; }

 private:
  Json& views_;
  std::vector<std::uint8_t> bytes_;
};

Json MakeAccessor(int view, int component_type, std::size_t count, const char* type) {
  return {
      {"bufferView", view}, {"componentType", component_type}, {"count", count}, {"type", type}};
}

// Compact JSON; invalid UTF-8 in user strings (e.g. the generator) becomes U+FFFD.
std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void AppendLE32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::vector<std::uint8_t> AssembleGlb(const std::string& json_text,
                                      const std::vector<std::uint8_t>& bin,
                                      const std::string& name) {
  std::string json = json_text;
  json.resize((json.size() + 3) & ~std::size_t{3}, ' ');  // JSON chunk padding is spaces
  const std::size_t bin_padded = (bin.size() + 3) & ~std::size_t{3};
  const std::uint64_t total =
      12 + 8 + std::uint64_t(json.size()) + (bin.empty() ? 0 : 8 + std::uint64_t(bin_padded));
  MUTA_CHECK(total <= std::numeric_limits<std::uint32_t>::max())
      << name << ": the model needs " << total << " bytes, more than a .glb can hold (4 GiB)";
  std::vector<std::uint8_t> out;
  out.reserve(static_cast<std::size_t>(total));
  AppendLE32(out, kGlbMagic);
  AppendLE32(out, 2);
  AppendLE32(out, static_cast<std::uint32_t>(total));
  AppendLE32(out, static_cast<std::uint32_t>(json.size()));
  AppendLE32(out, kChunkJson);
  out.insert(out.end(), json.begin(), json.end());
  if (!bin.empty()) {
    AppendLE32(out, static_cast<std::uint32_t>(bin_padded));
    AppendLE32(out, kChunkBin);
    out.insert(out.end(), bin.begin(), bin.end());
    out.resize(out.size() + (bin_padded - bin.size()), 0);
  }
  return out;
}

std::vector<std::uint8_t> Encode(const Mesh& mesh, const GlbWriteOptions& options,
                                 const std::string& name) {
  mesh.Check();
  MUTA_CHECK(options.texture_format == "jpeg" || options.texture_format == "png")
      << name << ": texture format must be \"jpeg\" or \"png\", not \"" << options.texture_format
      << "\"";
  MUTA_CHECK(!options.base_color_texture || mesh.faces.empty() || !mesh.uvs.empty())
      << name << ": a base colour texture needs texture coordinates, and the mesh has none";
  MUTA_CHECK(mesh.vertices.size() <= std::numeric_limits<std::uint32_t>::max())
      << name << ": too many vertices for a .glb (" << mesh.vertices.size() << ")";

  Json root;
  root["asset"] = {{"version", "2.0"}, {"generator", options.generator}};
  root["scene"] = 0;
  if (mesh.faces.empty()) {  // nothing to draw: a valid file with an empty scene
    root["scenes"] = Json::array({Json::object()});
    return AssembleGlb(Dump(root), {}, name);
  }
  root["scenes"] = Json::array({{{"nodes", {0}}}});
  root["nodes"] = Json::array({{{"mesh", 0}}});

  // z-up (x, y, z) -> glTF's y-up (x, z, -y).
  auto to_file = [&](const Vec3f& v) {
    return options.z_up_input ? Vec3f(v.x(), v.z(), -v.y()) : v;
  };

  Json views = Json::array();
  Json accessors = Json::array();
  Json attributes = Json::object();
  BinBuilder bin(views);
  const std::size_t n = mesh.vertices.size();

  {  // indices
    std::vector<std::uint32_t> indices;
    indices.reserve(mesh.faces.size() * 3);
    for (const Face& f : mesh.faces) indices.insert(indices.end(), {f[0], f[1], f[2]});
    const int view = bin.Add(indices, kElementArrayBuffer);
    accessors.push_back(MakeAccessor(view, kUnsignedInt, indices.size(), "SCALAR"));
  }
  {  // POSITION, with the min/max glTF requires
    std::vector<float> values;
    values.reserve(n * 3);
    Vec3f lo = Vec3f::Constant(std::numeric_limits<float>::max());
    Vec3f hi = Vec3f::Constant(std::numeric_limits<float>::lowest());
    for (std::size_t i = 0; i < n; ++i) {
      const Vec3f p = to_file(mesh.vertices[i]);
      MUTA_CHECK(p.allFinite()) << name << ": vertex " << i << " has a non-finite position";
      lo = lo.cwiseMin(p);
      hi = hi.cwiseMax(p);
      values.insert(values.end(), {p.x(), p.y(), p.z()});
    }
    const int view = bin.Add(values, kArrayBuffer);
    Json accessor = MakeAccessor(view, kFloat, n, "VEC3");
    accessor["min"] = {double(lo.x()), double(lo.y()), double(lo.z())};
    accessor["max"] = {double(hi.x()), double(hi.y()), double(hi.z())};
    attributes["POSITION"] = accessors.size();
    accessors.push_back(std::move(accessor));
  }
  if (!mesh.normals.empty()) {  // unit length, as glTF requires; unusable normals point up
    std::vector<float> values;
    values.reserve(n * 3);
    for (const Vec3f& normal : mesh.normals) {
      Vec3f v = to_file(normal);
      const float len = v.norm();
      v = len > 1e-20f && std::isfinite(len) ? Vec3f(v / len) : Vec3f(0, 1, 0);
      values.insert(values.end(), {v.x(), v.y(), v.z()});
    }
    const int view = bin.Add(values, kArrayBuffer);
    attributes["NORMAL"] = accessors.size();
    accessors.push_back(MakeAccessor(view, kFloat, n, "VEC3"));
  }
  if (!mesh.colors.empty()) {  // linear, normalized uint16 RGBA (8-byte aligned elements)
    const auto& table = SrgbToLinear16();
    std::vector<std::uint16_t> values;
    values.reserve(n * 4);
    for (const Color3u8& c : mesh.colors) {
      values.insert(values.end(), {table[c[0]], table[c[1]], table[c[2]], std::uint16_t{65535}});
    }
    const int view = bin.Add(values, kArrayBuffer);
    Json accessor = MakeAccessor(view, kUnsignedShort, n, "VEC4");
    accessor["normalized"] = true;
    attributes["COLOR_0"] = accessors.size();
    accessors.push_back(std::move(accessor));
  }
  if (!mesh.uvs.empty()) {  // glTF's v runs down from the top of the image
    std::vector<float> values;
    values.reserve(n * 2);
    for (const Vec2f& uv : mesh.uvs) values.insert(values.end(), {uv.x(), 1.0f - uv.y()});
    const int view = bin.Add(values, kArrayBuffer);
    attributes["TEXCOORD_0"] = accessors.size();
    accessors.push_back(MakeAccessor(view, kFloat, n, "VEC2"));
  }

  Json pbr = {{"metallicFactor", 0.0}, {"roughnessFactor", 1.0}};
  if (options.base_color_texture) {
    const std::vector<std::uint8_t> encoded =
        EncodeImage(*options.base_color_texture, options.texture_format);
    const int view = bin.Add(encoded, 0);
    const char* mime = options.texture_format == "jpeg" ? "image/jpeg" : "image/png";
    root["images"] = Json::array({{{"bufferView", view}, {"mimeType", mime}}});
    root["samplers"] = Json::array({{{"magFilter", 9729},  // LINEAR
                                     {"minFilter", 9987},  // LINEAR_MIPMAP_LINEAR
                                     {"wrapS", 33071},     // CLAMP_TO_EDGE
                                     {"wrapT", 33071}}});
    root["textures"] = Json::array({{{"sampler", 0}, {"source", 0}}});
    pbr["baseColorTexture"] = {{"index", 0}};
  }
  root["materials"] = Json::array({{{"pbrMetallicRoughness", pbr}}});
  root["meshes"] = Json::array(
      {{{"primitives",
         Json::array(
             {{{"attributes", attributes}, {"indices", 0}, {"material", 0}, {"mode", 4}}})}}});
  root["accessors"] = std::move(accessors);
  root["bufferViews"] = std::move(views);
  std::vector<std::uint8_t>& bin_bytes = bin.bytes();
  bin_bytes.resize((bin_bytes.size() + 3) & ~std::size_t{3}, 0);
  root["buffers"] = Json::array({{{"byteLength", bin_bytes.size()}}});
  return AssembleGlb(Dump(root), bin_bytes, name);
}

}  // namespace

std::vector<std::uint8_t> EncodeGlb(const Mesh& mesh, const GlbWriteOptions& options) {
  return Encode(mesh, options, "EncodeGlb");
}

void WriteGlb(const std::filesystem::path& path, const Mesh& mesh, const GlbWriteOptions& options) {
  WriteFileAtomic(path, Encode(mesh, options, path.string()));
}

}  // namespace muta
