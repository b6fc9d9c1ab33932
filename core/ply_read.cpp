// PLY reading (see core/ply_io.h).
//
// Parsing is defensive throughout: the header is capped at kMaxHeaderBytes, every element's
// count is checked against the bytes that remain before anything is reserved, every value read
// is bounds-checked, and every failure throws muta::Error starting with the file's name.

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/file_io.h"
#include "core/ply_format.h"
#include "core/ply_io.h"

namespace muta {
namespace {

using namespace ply_internal;

namespace fs = std::filesystem;

template <typename T>
T LoadScalar(const std::uint8_t* p, bool swap) {
  std::array<std::uint8_t, sizeof(T)> raw;
  std::memcpy(raw.data(), p, sizeof(T));
  if (swap) std::reverse(raw.begin(), raw.end());
  T value;
  std::memcpy(&value, raw.data(), sizeof(T));
  return value;
}

/// Reads the data section value by value, as binary (either byte order) or ASCII tokens. Every
/// read is bounds-checked; an error names the element and entry being read.
class DataReader {
 public:
  DataReader(std::span<const std::uint8_t> bytes, const Header& header, const std::string& name)
      : bytes_(bytes),
        pos_(header.data_offset),
        ascii_(header.encoding == Encoding::kAscii),
        swap_((header.encoding == Encoding::kBinaryBigEndian) !=
              (std::endian::native == std::endian::big)),
        name_(name) {}

  bool ascii() const { return ascii_; }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  const std::string& name() const { return name_; }

  /// Sets what is being read, for error messages.
  void SetContext(const Element* element, std::uint64_t index, const Property* property) {
    element_ = element;
    index_ = index;
    property_ = property;
  }

  /// Where the reader is, e.g. "vertex 12 of 100, property \"x\"".
  std::string Where() const {
    std::string where;
    if (element_ != nullptr) {
      where = "element \"" + Printable(element_->name) + "\" entry " + std::to_string(index_) +
              " of " + std::to_string(element_->count);
    }
    if (property_ != nullptr) where += ", property \"" + Printable(property_->name) + "\"";
    return where;
  }

  /// Reads one value of `type`. Integer types give integral values within the type's range.
  double Read(Type type) {
    if (ascii_) return ReadAscii(type);
    const TypeInfo& info = Info(type);
    MUTA_CHECK(info.size <= remaining())
        << name_ << ": truncated: the file ends inside " << Where() << "; " << kReexport;
    const std::uint8_t* p = bytes_.data() + pos_;
    pos_ += info.size;
    switch (type) {
      case Type::kInt8:
        return LoadScalar<std::int8_t>(p, false);
      case Type::kUint8:
        return LoadScalar<std::uint8_t>(p, false);
      case Type::kInt16:
        return LoadScalar<std::int16_t>(p, swap_);
      case Type::kUint16:
        return LoadScalar<std::uint16_t>(p, swap_);
      case Type::kInt32:
        return LoadScalar<std::int32_t>(p, swap_);
      case Type::kUint32:
        return LoadScalar<std::uint32_t>(p, swap_);
      case Type::kFloat32:
        return LoadScalar<float>(p, swap_);
      case Type::kFloat64:
        return LoadScalar<double>(p, swap_);
    }
    return 0.0;
  }

  /// Reads a list's item count (a non-negative integer) and checks that that many items can
  /// still be present in the data.
  std::size_t ReadListCount(const Property& property) {
    const double value = Read(property.count_type);
    MUTA_CHECK(value >= 0) << name_ << ": negative list length " << value << " at " << Where()
                           << "; " << kReexport;
    const auto count = static_cast<std::size_t>(value);
    // ASCII items take at least two bytes each (digit and separator), except the last.
    const std::size_t max_items =
        ascii_ ? remaining() / 2 + 1 : remaining() / Info(property.type).size;
    MUTA_CHECK(count <= max_items)
        << name_ << ": truncated or corrupt: a list of " << count << " items at " << Where()
        << " does not fit in the " << remaining() << " bytes left; " << kReexport;
    return count;
  }

  /// Reads and discards a whole list property.
  void SkipList(const Property& property) {
    const std::size_t count = ReadListCount(property);
    if (ascii_) {
      for (std::size_t i = 0; i < count; ++i) Read(property.type);
    } else {
      pos_ += count * Info(property.type).size;  // ReadListCount checked the bytes exist
    }
  }

  /// Skips `n` bytes of binary data (the caller has checked they exist).
  void SkipBytes(std::size_t n) { pos_ += n; }

 private:
  static bool IsSpace(std::uint8_t c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
  }

  double ReadAscii(Type type) {
    while (pos_ < bytes_.size() && IsSpace(bytes_[pos_])) ++pos_;
    const std::size_t start = pos_;
    while (pos_ < bytes_.size() && !IsSpace(bytes_[pos_])) ++pos_;
    MUTA_CHECK(pos_ > start) << name_ << ": truncated: the file ends inside " << Where() << "; "
                             << kReexport;
    const std::string_view token(reinterpret_cast<const char*>(bytes_.data()) + start,
                                 pos_ - start);
    std::string_view digits = token;
    if (digits.size() > 1 && digits[0] == '+') digits.remove_prefix(1);
    double value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    // Out of double's range (e.g. 1e400) is an error too: from_chars leaves `value` unset.
    const bool parsed = end == digits.data() + digits.size() && ec == std::errc();
    MUTA_CHECK(parsed) << name_ << ": \"" << Printable(token) << "\" at " << Where()
                       << " is not a number (or is out of range); " << kReexport;
    // A float property holds what a binary file would: the value rounded to float.
    if (type == Type::kFloat32) return ToFloat(value);
    const TypeInfo& info = Info(type);
    if (info.is_integer) {
      MUTA_CHECK(std::isfinite(value) && value == std::floor(value) && value >= info.min &&
                 value <= info.max)
          << name_ << ": \"" << Printable(token) << "\" at " << Where() << " is not a valid "
          << info.name << " value; " << kReexport;
    }
    return value;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t pos_;
  bool ascii_;
  bool swap_;
  const std::string& name_;
  const Element* element_ = nullptr;
  std::uint64_t index_ = 0;
  const Property* property_ = nullptr;
};

/// Checks that `element.count` entries can fit in the remaining data, so that reserving
/// `element.count` entries is safe and reading them cannot run for long on a lying header.
void CheckCountFits(const Element& element, const DataReader& reader) {
  std::size_t min_entry = 0;  // bytes (binary) or tokens (ASCII) per entry, at least
  for (const auto& p : element.properties) {
    min_entry += reader.ascii() ? 1 : Info(p.is_list ? p.count_type : p.type).size;
  }
  if (min_entry == 0 || element.count == 0) return;
  // ASCII tokens take at least two bytes each (a character and a separator), except the last.
  const std::size_t available = reader.ascii() ? reader.remaining() / 2 + 1 : reader.remaining();
  MUTA_CHECK(element.count <= available / min_entry)
      << reader.name() << ": truncated or corrupt: the header announces " << element.count << " \""
      << Printable(element.name) << "\" entries (at least " << min_entry
      << (reader.ascii() ? " values" : " bytes") << " each) but only " << reader.remaining()
      << " bytes of data follow; " << kReexport;
}

/// Reads and discards every entry of `element`.
void SkipElement(const Element& element, DataReader& reader) {
  CheckCountFits(element, reader);
  if (element.properties.empty() || element.count == 0) return;
  const bool has_list = std::any_of(element.properties.begin(), element.properties.end(),
                                    [](const Property& p) { return p.is_list; });
  if (!reader.ascii() && !has_list) {
    std::size_t entry = 0;
    for (const auto& p : element.properties) entry += Info(p.type).size;
    reader.SkipBytes(entry * element.count);  // CheckCountFits checked the bytes exist
    return;
  }
  spdlog::debug("{}: skipping {} \"{}\" entries", reader.name(), element.count, element.name);
  for (std::uint64_t i = 0; i < element.count; ++i) {
    for (const auto& p : element.properties) {
      reader.SetContext(&element, i, &p);
      if (p.is_list) {
        reader.SkipList(p);
      } else {
        reader.Read(p.type);
      }
    }
  }
}

/// Where each vertex property goes: a field of the vertex being read, or an extra property.
enum VertexField : std::uint8_t {
  kX,
  kY,
  kZ,
  kNx,
  kNy,
  kNz,
  kRed,
  kGreen,
  kBlue,
  kU,
  kV,
  kNumFields
};
constexpr std::uint8_t kExtraField = kNumFields;
constexpr std::uint8_t kSkipField = kNumFields + 1;  ///< a list property

/// The destination of a vertex element: a mesh's or a point cloud's arrays.
struct VertexTarget {
  std::vector<Vec3f>* positions;
  std::vector<Vec3f>* normals;
  std::vector<Color3u8>* colors;
  std::vector<Vec2f>* uvs;  ///< null for point clouds (u/v become extra properties)
  std::vector<ExtraProperty>* extra;
};

/// An 8-bit colour channel from an integer (0-255) or a float (0-1) property.
std::uint8_t ToColor(double value, bool is_integer) {
  if (!is_integer) value *= 255.0;
  if (!(value > 0)) return 0;  // also NaN
  if (value >= 255) return 255;
  return static_cast<std::uint8_t>(is_integer ? value : std::lround(value));
}

void ReadVertices(const Element& element, DataReader& reader, const VertexTarget& target) {
  const std::string& name = reader.name();
  std::vector<std::uint8_t> fields(element.properties.size(), kExtraField);
  // Assigns a group of properties (e.g. nx ny nz) to fields if all are present as scalars.
  auto assign = [&](std::initializer_list<std::pair<const char*, VertexField>> group) {
    for (const auto& [prop, field] : group) {
      const int i = element.FindScalar(prop);
      if (i < 0 || fields[i] != kExtraField) return false;
    }
    for (const auto& [prop, field] : group) fields[element.FindScalar(prop)] = field;
    return true;
  };
  MUTA_CHECK(assign({{"x", kX}, {"y", kY}, {"z", kZ}}))
      << name << ": the vertex element has no scalar x, y and z properties; a PLY mesh or point "
      << "cloud needs vertex positions – re-export it with positions";
  const bool has_normals = assign({{"nx", kNx}, {"ny", kNy}, {"nz", kNz}});
  const bool has_colors = assign({{"red", kRed}, {"green", kGreen}, {"blue", kBlue}});
  bool has_uvs = false;
  if (target.uvs != nullptr) {
    // s t first: Muta writes them (as Blender does), so that extras called u and v survive.
    has_uvs = assign({{"s", kU}, {"t", kV}}) || assign({{"u", kU}, {"v", kV}}) ||
              assign({{"texture_u", kU}, {"texture_v", kV}});
  }
  // Colour channels are 0-255 integers or 0-1 floats, each according to its own type.
  std::array<bool, 3> integer_color{};
  if (has_colors) {
    constexpr std::array<const char*, 3> kChannels = {"red", "green", "blue"};
    for (int c = 0; c < 3; ++c) {
      integer_color[c] = Info(element.properties[element.FindScalar(kChannels[c])].type).is_integer;
    }
  }
  std::vector<std::size_t> extra_index(element.properties.size(), 0);
  const std::size_t first_extra = target.extra->size();
  for (std::size_t k = 0; k < element.properties.size(); ++k) {
    const Property& p = element.properties[k];
    if (p.is_list) {
      fields[k] = kSkipField;
      spdlog::debug("{}: skipping list property \"{}\" of the vertices", name, p.name);
    } else if (fields[k] == kExtraField) {
      extra_index[k] = target.extra->size();
      target.extra->push_back({p.name, std::string(Info(p.type).name), {}});
    }
  }

  CheckCountFits(element, reader);
  const auto n = static_cast<std::size_t>(element.count);
  target.positions->reserve(n);
  if (has_normals) target.normals->reserve(n);
  if (has_colors) target.colors->reserve(n);
  if (has_uvs) target.uvs->reserve(n);
  for (std::size_t e = first_extra; e < target.extra->size(); ++e) {
    (*target.extra)[e].values.reserve(n);
  }

  std::size_t bad_normals = 0;
  std::size_t bad_uvs = 0;
  std::array<double, kNumFields> v{};
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < element.properties.size(); ++k) {
      const Property& p = element.properties[k];
      reader.SetContext(&element, i, &p);
      if (fields[k] == kSkipField) {
        reader.SkipList(p);
      } else if (fields[k] == kExtraField) {
        (*target.extra)[extra_index[k]].values.push_back(reader.Read(p.type));
      } else {
        v[fields[k]] = reader.Read(p.type);
      }
    }
    const Vec3f position(ToFloat(v[kX]), ToFloat(v[kY]), ToFloat(v[kZ]));
    MUTA_CHECK(position.allFinite())
        << name << ": vertex " << i << " has a non-finite position (" << position.x() << ", "
        << position.y() << ", " << position.z() << "); remove such vertices with a mesh "
        << "editor or re-export the file";
    target.positions->push_back(position);
    if (has_normals) {
      Vec3f normal(ToFloat(v[kNx]), ToFloat(v[kNy]), ToFloat(v[kNz]));
      if (!normal.allFinite()) {
        normal.setZero();
        ++bad_normals;
      }
      target.normals->push_back(normal);
    }
    if (has_colors) {
      target.colors->emplace_back(ToColor(v[kRed], integer_color[0]),
                                  ToColor(v[kGreen], integer_color[1]),
                                  ToColor(v[kBlue], integer_color[2]));
    }
    if (has_uvs) {
      Vec2f uv(ToFloat(v[kU]), ToFloat(v[kV]));
      if (!uv.allFinite()) {
        uv.setZero();
        ++bad_uvs;
      }
      target.uvs->push_back(uv);
    }
  }
  if (bad_normals > 0) {
    spdlog::warn("{}: {} vertices have non-finite normals; set to zero", name, bad_normals);
  }
  if (bad_uvs > 0) {
    spdlog::warn("{}: {} vertices have non-finite texture coordinates; set to (0, 0)", name,
                 bad_uvs);
  }
}

/// Where each face property goes.
enum class FaceSlot : std::uint8_t {
  kIndices,
  kSkipList,
  kPartId,
  kProvenance,
  kConfidence,
  kExtra
};

/// Reads the face element into `mesh`; indices must be below `num_vertices`, the count the
/// header announces (the vertices may come later in the file).
void ReadFaces(const Element& element, DataReader& reader, std::uint64_t num_vertices, Mesh& mesh) {
  const std::string& name = reader.name();
  int index_list = element.Find("vertex_indices");
  if (index_list < 0) index_list = element.Find("vertex_index");
  if (element.count > 0) {
    MUTA_CHECK(index_list >= 0 && element.properties[index_list].is_list &&
               Info(element.properties[index_list].type).is_integer)
        << name << ": the face element has no vertex_indices list of integers; re-export the "
        << "mesh with standard PLY faces";
  }
  std::vector<FaceSlot> slots(element.properties.size(), FaceSlot::kExtra);
  std::vector<std::size_t> extra_index(element.properties.size(), 0);
  const int part_id = element.FindScalar("part_id");
  const int provenance = element.FindScalar("provenance");
  const int confidence = element.FindScalar("confidence");
  if (part_id >= 0) slots[part_id] = FaceSlot::kPartId;
  if (provenance >= 0) slots[provenance] = FaceSlot::kProvenance;
  if (confidence >= 0) slots[confidence] = FaceSlot::kConfidence;
  for (std::size_t k = 0; k < element.properties.size(); ++k) {
    const Property& p = element.properties[k];
    if (static_cast<int>(k) == index_list) {
      slots[k] = FaceSlot::kIndices;
    } else if (p.is_list) {
      slots[k] = FaceSlot::kSkipList;
      spdlog::debug("{}: skipping list property \"{}\" of the faces", name, p.name);
    } else if (slots[k] == FaceSlot::kExtra) {
      extra_index[k] = mesh.face_extra.size();
      mesh.face_extra.push_back({p.name, std::string(Info(p.type).name), {}});
    }
  }

  CheckCountFits(element, reader);
  const auto n = static_cast<std::size_t>(element.count);
  // A triangle takes at least 4 bytes (binary) or 8 characters (ASCII): reserve no more than
  // the data can hold, even if most entries turn out to be empty polygons.
  mesh.faces.reserve(std::min(n, reader.remaining() / 4));
  if (part_id >= 0) mesh.part_ids.reserve(n);
  if (provenance >= 0) mesh.provenance.reserve(n);
  if (confidence >= 0) mesh.confidence.reserve(n);
  for (auto& e : mesh.face_extra) e.values.reserve(n);

  std::vector<std::uint32_t> polygon;
  std::vector<double> extra_values(mesh.face_extra.size());
  std::size_t degenerate = 0;
  std::size_t polygons = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::int32_t face_part = -1;
    auto face_provenance = Provenance::kObserved;
    float face_confidence = 1.0f;
    polygon.clear();
    for (std::size_t k = 0; k < element.properties.size(); ++k) {
      const Property& p = element.properties[k];
      reader.SetContext(&element, i, &p);
      switch (slots[k]) {
        case FaceSlot::kIndices: {
          const std::size_t count = reader.ReadListCount(p);
          for (std::size_t j = 0; j < count; ++j) {
            const double index = reader.Read(p.type);
            MUTA_CHECK(index >= 0 && index < static_cast<double>(num_vertices))
                << name << ": face " << i << " refers to vertex " << index << " but the file has "
                << num_vertices << " vertices; " << kReexport;
            polygon.push_back(static_cast<std::uint32_t>(index));
          }
          break;
        }
        case FaceSlot::kSkipList:
          reader.SkipList(p);
          break;
        case FaceSlot::kPartId: {
          const double value = reader.Read(p.type);
          MUTA_CHECK(value == std::floor(value) && value >= -2147483648.0 && value <= 2147483647.0)
              << name << ": face " << i << " has an invalid part_id " << value << "; " << kReexport;
          face_part = static_cast<std::int32_t>(value);
          break;
        }
        case FaceSlot::kProvenance: {
          const double value = reader.Read(p.type);
          MUTA_CHECK(value >= 0 && value <= 4 && value == std::floor(value))
              << name << ": face " << i << " has an unknown provenance class " << value
              << " (expected 0 to 4); " << kReexport;
          face_provenance = static_cast<Provenance>(static_cast<int>(value));
          break;
        }
        case FaceSlot::kConfidence: {
          const double value = reader.Read(p.type);
          MUTA_CHECK(std::isfinite(value))
              << name << ": face " << i << " has a non-finite confidence; " << kReexport;
          face_confidence = static_cast<float>(std::clamp(value, 0.0, 1.0));
          break;
        }
        case FaceSlot::kExtra:
          extra_values[extra_index[k]] = reader.Read(p.type);
          break;
      }
    }
    if (polygon.size() < 3) {
      ++degenerate;
      continue;
    }
    if (polygon.size() > 3) ++polygons;
    for (std::size_t j = 1; j + 1 < polygon.size(); ++j) {  // fan triangulation
      mesh.faces.emplace_back(polygon[0], polygon[j], polygon[j + 1]);
      if (part_id >= 0) mesh.part_ids.push_back(face_part);
      if (provenance >= 0) mesh.provenance.push_back(face_provenance);
      if (confidence >= 0) mesh.confidence.push_back(face_confidence);
      for (std::size_t e = 0; e < extra_values.size(); ++e) {
        mesh.face_extra[e].values.push_back(extra_values[e]);
      }
    }
  }
  if (degenerate > 0) {
    spdlog::warn("{}: skipped {} faces with fewer than 3 vertices", name, degenerate);
  }
  if (polygons > 0) {
    spdlog::debug("{}: fan-triangulated {} polygons with more than 3 vertices", name, polygons);
  }
}

enum class Target { kMesh, kPointCloud };

/// Reads a whole PLY file into `mesh` (Target::kMesh) or `cloud`.
void ParsePly(std::span<const std::uint8_t> bytes, const std::string& name, Target target,
              Mesh* mesh, PointCloud* cloud) {
  const Header header = ParseHeader(bytes, name);
  MUTA_CHECK(header.Find("vertex") != nullptr)
      << name << ": the PLY file has no vertex element; it is not a mesh or point cloud";
  DataReader reader(bytes, header, name);
  VertexTarget vertices;
  if (target == Target::kMesh) {
    vertices = {&mesh->vertices, &mesh->normals, &mesh->colors, &mesh->uvs, &mesh->vertex_extra};
  } else {
    vertices = {&cloud->points, &cloud->normals, &cloud->colors, nullptr, &cloud->extra};
  }
  // Faces may come before vertices in a (strange) file: indices are checked against the count
  // the header announces, and the vertices are read when their element comes.
  const std::uint64_t num_vertices = header.Find("vertex")->count;
  for (const Element& element : header.elements) {
    if (element.name == "vertex") {
      ReadVertices(element, reader, vertices);
    } else if (element.name == "face" && target == Target::kMesh) {
      ReadFaces(element, reader, num_vertices, *mesh);
    } else {
      SkipElement(element, reader);
    }
  }
  if (reader.remaining() > 0 && !reader.ascii()) {
    spdlog::debug("{}: ignoring {} bytes after the last element", name, reader.remaining());
  }
}

}  // namespace

Mesh ParsePlyMesh(std::span<const std::uint8_t> bytes, const std::string& name) {
  Mesh mesh;
  ParsePly(bytes, name, Target::kMesh, &mesh, nullptr);
  return mesh;
}

PointCloud ParsePlyPointCloud(std::span<const std::uint8_t> bytes, const std::string& name) {
  PointCloud cloud;
  ParsePly(bytes, name, Target::kPointCloud, nullptr, &cloud);
  return cloud;
}

Mesh ReadPlyMesh(const fs::path& path) {
  return ParsePlyMesh(ReadFileBytes(path), path.string());
}

PointCloud ReadPlyPointCloud(const fs::path& path) {
  return ParsePlyPointCloud(ReadFileBytes(path), path.string());
}

}  // namespace muta
