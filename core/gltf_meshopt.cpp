// EXT_meshopt_compression decoding: compressed bufferViews -> plain bufferViews in a rebuilt
// GLB (see gltf_meshopt.h).

#include "core/gltf_meshopt.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

#include <meshoptimizer.h>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace muta::detail {
namespace {

using json = nlohmann::json;

constexpr char kExtension[] = "EXT_meshopt_compression";
constexpr std::uint32_t kGlbMagic = 0x46546C67;   // "glTF"
constexpr std::uint32_t kChunkJson = 0x4E4F534A;  // "JSON"
constexpr std::uint32_t kChunkBin = 0x004E4942;   // "BIN\0"
// Largest decompressed bufferView accepted (the whole .glb must stay below 4 GiB anyway).
constexpr std::uint64_t kMaxDecodedView = std::uint64_t{1} << 31;

std::uint32_t Le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

void AppendLe32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

bool ListsExtension(const json& root, const char* key) {
  const auto it = root.find(key);
  if (it == root.end() || !it->is_array()) return false;
  return std::any_of(it->begin(), it->end(), [](const json& e) {
    return e.is_string() && e.get<std::string>() == kExtension;
  });
}

void EraseExtension(json& root, const char* key) {
  const auto it = root.find(key);
  if (it == root.end() || !it->is_array()) return;
  json kept = json::array();
  for (const json& e : *it) {
    if (!(e.is_string() && e.get<std::string>() == kExtension)) kept.push_back(e);
  }
  if (kept.empty()) {
    root.erase(key);
  } else {
    *it = std::move(kept);
  }
}

// A non-negative integer property (JSON numbers are doubles in glTF; integers up to 2^53).
std::uint64_t UInt(const json& object, const char* key, const std::string& where,
                   std::optional<std::uint64_t> fallback = std::nullopt) {
  const auto it = object.find(key);
  if (it == object.end()) {
    MUTA_CHECK(fallback.has_value()) << where << " has no " << key;
    return *fallback;
  }
  if (it->is_number_unsigned()) return it->get<std::uint64_t>();
  const double d = it->is_number() ? it->get<double>() : std::nan("");
  MUTA_CHECK(std::isfinite(d) && d >= 0 && d == std::floor(d) && d <= 9007199254740992.0)
      << where << "." << key << " must be a non-negative integer";
  return static_cast<std::uint64_t>(d);
}

std::string String(const json& object, const char* key, const std::string& where,
                   const char* fallback) {
  const auto it = object.find(key);
  if (it == object.end() && fallback != nullptr) return fallback;
  MUTA_CHECK(it != object.end() && it->is_string()) << where << "." << key << " must be a string";
  return it->get<std::string>();
}

// Decodes one compressed bufferView into `out` (count * stride bytes).
void DecodeView(const json& ext, std::span<const std::uint8_t> bin, std::size_t view_index,
                std::uint64_t view_length, const json& view, std::vector<std::uint8_t>& out,
                const std::string& name) {
  const std::string where =
      name + ": bufferViews[" + std::to_string(view_index) + "].extensions." + kExtension;
  MUTA_CHECK(ext.is_object()) << where << " must be an object";
  const std::uint64_t buffer = UInt(ext, "buffer", where);
  MUTA_CHECK(buffer == 0) << where << " keeps its compressed data in buffer " << buffer
                          << "; Muta reads compressed data from the GLB BIN chunk (buffer 0) only";
  const std::uint64_t offset = UInt(ext, "byteOffset", where, 0);
  const std::uint64_t length = UInt(ext, "byteLength", where);
  const std::uint64_t stride = UInt(ext, "byteStride", where);
  const std::uint64_t count = UInt(ext, "count", where);
  const std::string mode = String(ext, "mode", where, nullptr);
  const std::string filter = String(ext, "filter", where, "NONE");
  MUTA_CHECK(offset <= bin.size() && length <= bin.size() - offset)
      << where << ": compressed bytes " << offset << " to " << offset + length
      << " lie outside the BIN chunk (" << bin.size()
      << " bytes); the file is truncated or damaged";
  MUTA_CHECK(count >= 1 && stride >= 1) << where << ": count and byteStride must be at least 1";
  if (mode == "ATTRIBUTES") {
    MUTA_CHECK(stride % 4 == 0 && stride <= 256)
        << where << ": byteStride " << stride << " must be a multiple of 4 and at most 256";
  } else if (mode == "TRIANGLES" || mode == "INDICES") {
    MUTA_CHECK(stride == 2 || stride == 4)
        << where << ": byteStride " << stride << " must be 2 or 4 for mode " << mode;
    MUTA_CHECK(mode != "TRIANGLES" || count % 3 == 0)
        << where << ": count " << count << " is not a multiple of 3 (mode TRIANGLES)";
    MUTA_CHECK(filter == "NONE") << where << ": filter " << filter << " is not allowed with mode "
                                 << mode;
  } else {
    MUTA_FAIL << where << ": unknown mode \"" << mode
              << "\" (expected ATTRIBUTES, TRIANGLES or INDICES)";
  }
  if (filter == "OCTAHEDRAL") {
    MUTA_CHECK(stride == 4 || stride == 8)
        << where << ": filter OCTAHEDRAL needs byteStride 4 or 8";
  } else if (filter == "QUATERNION") {
    MUTA_CHECK(stride == 8) << where << ": filter QUATERNION needs byteStride 8";
  } else if (filter == "EXPONENTIAL") {
    MUTA_CHECK(stride % 4 == 0) << where << ": filter EXPONENTIAL needs a byteStride multiple of 4";
  } else {
    MUTA_CHECK(filter == "NONE") << where << ": unknown filter \"" << filter
                                 << "\" (expected NONE, OCTAHEDRAL, QUATERNION or EXPONENTIAL)";
  }
  MUTA_CHECK(count <= kMaxDecodedView / stride)
      << where << ": " << count << " elements of " << stride << " bytes exceed the "
      << kMaxDecodedView << "-byte limit for one bufferView";
  const std::uint64_t size = count * stride;
  MUTA_CHECK(view_length == size) << where << ": the bufferView's byteLength " << view_length
                                  << " is not byteStride x count = " << size;
  if (const auto it = view.find("byteStride"); it != view.end()) {
    MUTA_CHECK(UInt(view, "byteStride", where) == stride)
        << where << ": byteStride differs from the bufferView's byteStride";
  }
  // What the compressed bytes can expand to at most (before allocating): the attribute codec
  // spends at least 2 bits per 16 bytes, the triangle codec a byte per triangle, the index codec
  // a byte per index; anything claiming more is damaged.
  const std::uint64_t most = mode == "ATTRIBUTES"  ? 64 * length + 256 * stride
                             : mode == "TRIANGLES" ? 3 * length * stride
                                                   : length * stride;
  MUTA_CHECK(size <= most) << where << ": " << length << " compressed bytes cannot hold " << count
                           << " elements of " << stride
                           << " bytes; the file is truncated or damaged";

  const std::uint8_t* src = bin.data() + offset;
  const std::size_t start = out.size();
  out.resize(start + static_cast<std::size_t>(size));
  void* dst = out.data() + start;
  const std::size_t n = static_cast<std::size_t>(count), s = static_cast<std::size_t>(stride);
  const std::size_t len = static_cast<std::size_t>(length);
  int rc = 0;
  if (mode == "ATTRIBUTES") {
    rc = meshopt_decodeVertexBuffer(dst, n, s, src, len);
  } else if (mode == "TRIANGLES") {
    rc = meshopt_decodeIndexBuffer(dst, n, s, src, len);
  } else {
    rc = meshopt_decodeIndexSequence(dst, n, s, src, len);
  }
  MUTA_CHECK(rc == 0) << where << ": the compressed " << mode
                      << " data is corrupt (meshoptimizer decoder error " << rc
                      << "); the file is truncated or damaged";
  if (filter == "OCTAHEDRAL") {
    meshopt_decodeFilterOct(dst, n, s);
  } else if (filter == "QUATERNION") {
    meshopt_decodeFilterQuat(dst, n, s);
  } else if (filter == "EXPONENTIAL") {
    meshopt_decodeFilterExp(dst, n, s);
  }
}

}  // namespace

bool DecodeMeshoptGlb(std::span<const std::uint8_t> glb, const std::string& name,
                      std::vector<std::uint8_t>& out) {
  // The container is validated: header, JSON chunk at 12, optional BIN chunk right after.
  const std::size_t json_length = Le32(&glb[12]);
  const auto* json_begin = reinterpret_cast<const char*>(glb.data() + 20);
  const std::string_view json_text(json_begin, json_length);
  if (json_text.find(kExtension) == std::string_view::npos) return false;
  json root = json::parse(json_text.begin(), json_text.end(), nullptr, false);
  MUTA_CHECK(!root.is_discarded() && root.is_object())
      << name << ": invalid glTF (the JSON chunk does not parse as a JSON object)";
  if (!ListsExtension(root, "extensionsUsed") && !ListsExtension(root, "extensionsRequired")) {
    return false;
  }
  std::span<const std::uint8_t> bin;
  const std::size_t bin_header = 20 + json_length;
  if (glb.size() >= bin_header + 8 && Le32(&glb[bin_header + 4]) == kChunkBin) {
    bin = glb.subspan(bin_header + 8, Le32(&glb[bin_header]));
  }

  json& buffers = root["buffers"];
  json& views = root["bufferViews"];
  MUTA_CHECK(buffers.is_array() && views.is_array())
      << name << ": a file using " << kExtension << " needs buffers and bufferViews arrays";
  const std::size_t nbuffers = buffers.size();
  // Buffer 0 is the BIN chunk when it has no uri; its byteLength bounds the compressed data.
  const bool bin_buffer =
      nbuffers > 0 && buffers[0].is_object() && !buffers[0].contains("uri") && !bin.empty();
  if (bin_buffer) {
    const std::uint64_t length = UInt(buffers[0], "byteLength", name + ": buffers[0]");
    MUTA_CHECK(length <= bin.size()) << name << ": buffers[0].byteLength " << length
                                     << " exceeds the BIN chunk (" << bin.size() << " bytes)";
    bin = bin.first(static_cast<std::size_t>(length));
  }
  // Placeholder buffers: no uri and not the BIN chunk (their data exists only compressed).
  std::vector<bool> placeholder(nbuffers, false);
  for (std::size_t b = 0; b < nbuffers; ++b) {
    MUTA_CHECK(buffers[b].is_object()) << name << ": buffers[" << b << "] is not an object";
    placeholder[b] = !buffers[b].contains("uri") && !(b == 0 && bin_buffer);
  }

  std::vector<std::uint8_t> new_bin(bin.begin(), bin.end());
  for (std::size_t v = 0; v < views.size(); ++v) {
    json& view = views[v];
    MUTA_CHECK(view.is_object()) << name << ": bufferViews[" << v << "] is not an object";
    auto exts = view.find("extensions");
    if (exts == view.end() || !exts->is_object() || !exts->contains(kExtension)) continue;
    MUTA_CHECK(bin_buffer) << name << ": bufferViews[" << v << "] is compressed with " << kExtension
                           << " but the file has no GLB BIN chunk (buffer 0) holding the data";
    const std::uint64_t view_length =
        UInt(view, "byteLength", name + ": bufferViews[" + std::to_string(v) + "]");
    new_bin.resize((new_bin.size() + 7) & ~std::size_t{7}, 0);
    const std::size_t offset = new_bin.size();
    DecodeView((*exts)[kExtension], bin, v, view_length, view, new_bin, name);
    view["buffer"] = 0;
    view["byteOffset"] = offset;
    exts->erase(kExtension);
    if (exts->empty()) view.erase("extensions");
  }
  MUTA_CHECK(new_bin.size() < std::numeric_limits<std::uint32_t>::max() - 4096)
      << name << ": the decompressed data exceeds 4 GiB";

  // Drop the placeholder buffers and renumber the rest.
  std::vector<std::int64_t> new_index(nbuffers, -1);
  json new_buffers = json::array();
  for (std::size_t b = 0; b < nbuffers; ++b) {
    if (placeholder[b]) continue;
    new_index[b] = static_cast<std::int64_t>(new_buffers.size());
    new_buffers.push_back(buffers[b]);
  }
  for (std::size_t v = 0; v < views.size(); ++v) {
    const std::uint64_t b =
        UInt(views[v], "buffer", name + ": bufferViews[" + std::to_string(v) + "]");
    MUTA_CHECK(b < nbuffers) << name << ": bufferViews[" << v << "] refers to buffer " << b
                             << ", which does not exist (" << nbuffers << " buffers)";
    MUTA_CHECK(new_index[b] >= 0) << name << ": bufferViews[" << v
                                  << "] is not compressed but refers to buffer " << b
                                  << ", which holds no data (an " << kExtension
                                  << " fallback buffer)";
    views[v]["buffer"] = new_index[b];
  }
  new_bin.resize((new_bin.size() + 3) & ~std::size_t{3}, 0);
  if (bin_buffer) new_buffers[0]["byteLength"] = new_bin.size();
  if (new_buffers.empty())
    root.erase("buffers");
  else
    buffers = std::move(new_buffers);
  EraseExtension(root, "extensionsUsed");
  EraseExtension(root, "extensionsRequired");

  std::string text = root.dump();
  text.resize((text.size() + 3) & ~std::size_t{3}, ' ');
  const std::uint64_t total = 12 + 8 + text.size() + (bin_buffer ? 8 + new_bin.size() : 0);
  MUTA_CHECK(total <= std::numeric_limits<std::uint32_t>::max())
      << name << ": the decompressed file exceeds 4 GiB";
  out.clear();
  out.reserve(static_cast<std::size_t>(total));
  AppendLe32(out, kGlbMagic);
  AppendLe32(out, 2);
  AppendLe32(out, static_cast<std::uint32_t>(total));
  AppendLe32(out, static_cast<std::uint32_t>(text.size()));
  AppendLe32(out, kChunkJson);
  out.insert(out.end(), text.begin(), text.end());
  if (bin_buffer) {
    AppendLe32(out, static_cast<std::uint32_t>(new_bin.size()));
    AppendLe32(out, kChunkBin);
    out.insert(out.end(), new_bin.begin(), new_bin.end());
  }
  return true;
}

}  // namespace muta::detail
