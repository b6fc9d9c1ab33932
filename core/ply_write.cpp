// PLY writing (see core/ply_io.h).
//
// Layout written for a mesh (optional parts only when the mesh has them):
//   element vertex N: float x y z, float nx ny nz, uchar red green blue, float s t, extras
//   element face M:   list uchar int vertex_indices, int part_id, uchar provenance,
//                     float confidence, extras
// ASCII numbers use the shortest text that reads back to the same float.

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <string_view>

#include "core/error.h"
#include "core/file_io.h"
#include "core/ply_format.h"
#include "core/ply_io.h"

namespace muta {
namespace {

namespace fs = std::filesystem;

using ply_internal::ParseType;
using ply_internal::ToFloat;
using ply_internal::Type;

/// Rounds and clamps `value` into T's range (NaN becomes 0).
template <typename T>
T ClampToInt(double value) {
  if (std::isnan(value)) return 0;
  value = std::round(value);
  if (value <= static_cast<double>(std::numeric_limits<T>::min())) {
    return std::numeric_limits<T>::min();
  }
  if (value >= static_cast<double>(std::numeric_limits<T>::max())) {
    return std::numeric_limits<T>::max();
  }
  return static_cast<T>(value);
}

/// Writes PLY data rows, binary little-endian or ASCII, through a buffer into an AtomicFile.
class RowWriter {
 public:
  RowWriter(AtomicFile& file, PlyFormat format) : file_(file), ascii_(format == PlyFormat::kAscii) {
    buffer_.reserve(kFlushBytes + 256);
  }
  ~RowWriter() = default;
  RowWriter(const RowWriter&) = delete;
  RowWriter& operator=(const RowWriter&) = delete;

  void Text(std::string_view text) {
    buffer_.append(text);
    MaybeFlush();
  }

  void Float(float value) { Value(value); }
  void Uint8(std::uint8_t value) { Value(value); }
  void Int32(std::int32_t value) { Value(value); }
  void Uint32(std::uint32_t value) { Value(value); }

  /// Writes `value` as a property of type `type` (rounded and clamped for integer types).
  void Typed(Type type, double value) {
    switch (type) {
      case Type::kInt8:
        Value(ClampToInt<std::int8_t>(value));
        break;
      case Type::kUint8:
        Value(ClampToInt<std::uint8_t>(value));
        break;
      case Type::kInt16:
        Value(ClampToInt<std::int16_t>(value));
        break;
      case Type::kUint16:
        Value(ClampToInt<std::uint16_t>(value));
        break;
      case Type::kInt32:
        Value(ClampToInt<std::int32_t>(value));
        break;
      case Type::kUint32:
        Value(ClampToInt<std::uint32_t>(value));
        break;
      case Type::kFloat32:
        Value(ToFloat(value));
        break;
      case Type::kFloat64:
        Value(value);
        break;
    }
  }

  /// Ends a row (a newline in ASCII).
  void EndRow() {
    if (ascii_) {
      if (!buffer_.empty() && buffer_.back() == ' ') buffer_.back() = '\n';
    }
    MaybeFlush();
  }

  void Flush() {
    file_.stream().write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }

 private:
  static constexpr std::size_t kFlushBytes = 1 << 20;

  template <typename T>
  void Value(T value) {
    if (ascii_) {
      std::array<char, 64> text;
      const auto result = std::to_chars(text.data(), text.data() + text.size(), value);
      buffer_.append(text.data(), result.ptr);
      buffer_ += ' ';
      return;
    }
    std::array<char, sizeof(T)> raw;
    std::memcpy(raw.data(), &value, sizeof(T));
    if constexpr (std::endian::native == std::endian::big) std::reverse(raw.begin(), raw.end());
    buffer_.append(raw.data(), raw.size());
  }

  void MaybeFlush() {
    if (buffer_.size() >= kFlushBytes) Flush();
  }

  AtomicFile& file_;
  bool ascii_;
  std::string buffer_;
};

/// Checks the extra properties' names and types and returns their types. `used` holds the
/// element's other property names.
std::vector<Type> CheckExtras(const fs::path& path, const std::vector<ExtraProperty>& extra,
                              std::set<std::string> used, const char* element) {
  std::vector<Type> types;
  for (const auto& e : extra) {
    const bool valid_name =
        !e.name.empty() && std::all_of(e.name.begin(), e.name.end(), [](char c) {
          return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
        });
    MUTA_CHECK(valid_name) << path.string() << ": cannot write the " << element << " property \""
                           << e.name
                           << "\": PLY property names must be non-empty printable ASCII without "
                           << "spaces";
    MUTA_CHECK(used.insert(e.name).second)
        << path.string() << ": cannot write the " << element << " property \"" << e.name
        << "\": the name is used twice (or by a standard property)";
    const auto type = ParseType(e.type);
    MUTA_CHECK(type.has_value()) << path.string() << ": cannot write the " << element
                                 << " property \"" << e.name << "\": unknown PLY type \"" << e.type
                                 << "\" (expected char uchar short ushort int uint float double)";
    types.push_back(*type);
  }
  return types;
}

/// The names of the standard vertex properties written.
std::set<std::string> StandardNames(bool normals, bool colors, bool uvs) {
  std::set<std::string> names = {"x", "y", "z"};
  if (normals) names.insert({"nx", "ny", "nz"});
  if (colors) names.insert({"red", "green", "blue"});
  if (uvs) names.insert({"s", "t"});
  return names;
}

const char* FormatName(PlyFormat format) {
  return format == PlyFormat::kAscii ? "ascii" : "binary_little_endian";
}

void WriteExtraHeader(std::string& header, const std::vector<ExtraProperty>& extra) {
  for (const auto& e : extra) header += "property " + e.type + " " + e.name + "\n";
}

void CheckFinitePositions(const fs::path& path, const std::vector<Vec3f>& positions) {
  for (std::size_t i = 0; i < positions.size(); ++i) {
    MUTA_CHECK(positions[i].allFinite())
        << path.string() << ": cannot write vertex " << i << ": its position is not finite";
  }
}

/// Runs `check`, prefixing any muta::Error it throws with the path being written.
template <typename F>
void CheckFor(const fs::path& path, F check) {
  try {
    check();
  } catch (const Error& e) {
    MUTA_FAIL << path.string() << ": cannot write: " << e.what();
  }
}

}  // namespace

void WritePly(const fs::path& path, const Mesh& mesh, PlyFormat format) {
  CheckFor(path, [&] { mesh.Check(); });
  CheckFinitePositions(path, mesh.vertices);
  const std::size_t nv = mesh.NumVertices();
  const std::size_t nf = mesh.NumFaces();
  MUTA_CHECK(nv <= std::numeric_limits<std::uint32_t>::max())
      << path.string() << ": cannot write " << nv << " vertices: PLY indices are 32-bit";
  const std::vector<Type> vertex_types = CheckExtras(
      path, mesh.vertex_extra,
      StandardNames(!mesh.normals.empty(), !mesh.colors.empty(), !mesh.uvs.empty()), "vertex");
  std::set<std::string> face_names = {"vertex_indices"};
  if (!mesh.part_ids.empty()) face_names.insert("part_id");
  if (!mesh.provenance.empty()) face_names.insert("provenance");
  if (!mesh.confidence.empty()) face_names.insert("confidence");
  const std::vector<Type> face_types = CheckExtras(path, mesh.face_extra, face_names, "face");
  const bool large = nv > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());

  std::string header = "ply\nformat ";
  header += FormatName(format);
  header += " 1.0\ncomment written by Muta\n";
  header += "element vertex " + std::to_string(nv) + "\n";
  header += "property float x\nproperty float y\nproperty float z\n";
  if (!mesh.normals.empty()) header += "property float nx\nproperty float ny\nproperty float nz\n";
  if (!mesh.colors.empty()) {
    header += "property uchar red\nproperty uchar green\nproperty uchar blue\n";
  }
  if (!mesh.uvs.empty()) header += "property float s\nproperty float t\n";
  WriteExtraHeader(header, mesh.vertex_extra);
  header += "element face " + std::to_string(nf) + "\n";
  header += large ? "property list uchar uint vertex_indices\n"
                  : "property list uchar int vertex_indices\n";
  if (!mesh.part_ids.empty()) header += "property int part_id\n";
  if (!mesh.provenance.empty()) header += "property uchar provenance\n";
  if (!mesh.confidence.empty()) header += "property float confidence\n";
  WriteExtraHeader(header, mesh.face_extra);
  header += "end_header\n";

  AtomicFile file(path, /*binary=*/true);
  RowWriter out(file, format);
  out.Text(header);
  for (std::size_t i = 0; i < nv; ++i) {
    for (int k = 0; k < 3; ++k) out.Float(mesh.vertices[i][k]);
    if (!mesh.normals.empty()) {
      for (int k = 0; k < 3; ++k) out.Float(mesh.normals[i][k]);
    }
    if (!mesh.colors.empty()) {
      for (int k = 0; k < 3; ++k) out.Uint8(mesh.colors[i][k]);
    }
    if (!mesh.uvs.empty()) {
      for (int k = 0; k < 2; ++k) out.Float(mesh.uvs[i][k]);
    }
    for (std::size_t e = 0; e < vertex_types.size(); ++e) {
      out.Typed(vertex_types[e], mesh.vertex_extra[e].values[i]);
    }
    out.EndRow();
  }
  for (std::size_t i = 0; i < nf; ++i) {
    out.Uint8(3);
    for (int k = 0; k < 3; ++k) {
      if (large) {
        out.Uint32(mesh.faces[i][k]);
      } else {
        out.Int32(static_cast<std::int32_t>(mesh.faces[i][k]));
      }
    }
    if (!mesh.part_ids.empty()) out.Int32(mesh.part_ids[i]);
    if (!mesh.provenance.empty()) out.Uint8(static_cast<std::uint8_t>(mesh.provenance[i]));
    if (!mesh.confidence.empty()) out.Float(mesh.confidence[i]);
    for (std::size_t e = 0; e < face_types.size(); ++e) {
      out.Typed(face_types[e], mesh.face_extra[e].values[i]);
    }
    out.EndRow();
  }
  out.Flush();
  file.Commit();
}

void WritePly(const fs::path& path, const PointCloud& cloud, PlyFormat format) {
  CheckFor(path, [&] { cloud.Check(); });
  CheckFinitePositions(path, cloud.points);
  const std::vector<Type> types = CheckExtras(
      path, cloud.extra, StandardNames(cloud.HasNormals(), cloud.HasColors(), false), "vertex");
  const std::size_t n = cloud.size();

  std::string header = "ply\nformat ";
  header += FormatName(format);
  header += " 1.0\ncomment written by Muta\n";
  header += "element vertex " + std::to_string(n) + "\n";
  header += "property float x\nproperty float y\nproperty float z\n";
  if (cloud.HasNormals()) header += "property float nx\nproperty float ny\nproperty float nz\n";
  if (cloud.HasColors())
    header += "property uchar red\nproperty uchar green\nproperty uchar blue\n";
  WriteExtraHeader(header, cloud.extra);
  header += "end_header\n";

  AtomicFile file(path, /*binary=*/true);
  RowWriter out(file, format);
  out.Text(header);
  for (std::size_t i = 0; i < n; ++i) {
    for (int k = 0; k < 3; ++k) out.Float(cloud.points[i][k]);
    if (cloud.HasNormals()) {
      for (int k = 0; k < 3; ++k) out.Float(cloud.normals[i][k]);
    }
    if (cloud.HasColors()) {
      for (int k = 0; k < 3; ++k) out.Uint8(cloud.colors[i][k]);
    }
    for (std::size_t e = 0; e < types.size(); ++e) out.Typed(types[e], cloud.extra[e].values[i]);
    out.EndRow();
  }
  out.Flush();
  file.Commit();
}

}  // namespace muta
