#pragma once
// PLY format internals shared by the reader and the writer (not a public header: include it
// only from core/ply_*.cpp).

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace muta::ply_internal {

/// The header must end within this many bytes; real headers are a few hundred bytes.
inline constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

inline constexpr const char* kReexport =
    "the file is damaged or incomplete – re-export or re-copy it";

enum class Type : std::uint8_t {
  kInt8,
  kUint8,
  kInt16,
  kUint16,
  kInt32,
  kUint32,
  kFloat32,
  kFloat64
};

struct TypeInfo {
  std::string_view name;   ///< canonical PLY name, written back for extra properties
  std::string_view alias;  ///< the sized spelling (int8, float32, ...)
  std::size_t size;
  bool is_integer;
  double min;
  double max;
};

inline constexpr std::array<TypeInfo, 8> kTypes = {{
    {"char", "int8", 1, true, -128.0, 127.0},
    {"uchar", "uint8", 1, true, 0.0, 255.0},
    {"short", "int16", 2, true, -32768.0, 32767.0},
    {"ushort", "uint16", 2, true, 0.0, 65535.0},
    {"int", "int32", 4, true, -2147483648.0, 2147483647.0},
    {"uint", "uint32", 4, true, 0.0, 4294967295.0},
    {"float", "float32", 4, false, 0.0, 0.0},
    {"double", "float64", 8, false, 0.0, 0.0},
}};

inline const TypeInfo& Info(Type type) {
  return kTypes[static_cast<std::size_t>(type)];
}

/// The PLY type called `name` (either spelling), or nullopt.
inline std::optional<Type> ParseType(std::string_view name) {
  for (std::size_t i = 0; i < kTypes.size(); ++i) {
    if (kTypes[i].name == name || kTypes[i].alias == name) return static_cast<Type>(i);
  }
  return std::nullopt;
}

enum class Encoding { kAscii, kBinaryLittleEndian, kBinaryBigEndian };

struct Property {
  std::string name;
  Type type = Type::kFloat32;  ///< the item type for a list
  bool is_list = false;
  Type count_type = Type::kUint8;
};

struct Element {
  std::string name;
  std::uint64_t count = 0;
  std::vector<Property> properties;

  /// Index of the property called `prop_name`, or -1.
  int Find(std::string_view prop_name) const {
    for (std::size_t i = 0; i < properties.size(); ++i) {
      if (properties[i].name == prop_name) return static_cast<int>(i);
    }
    return -1;
  }
  /// Index of the scalar property called `prop_name`, or -1 (also when it is a list).
  int FindScalar(std::string_view prop_name) const {
    const int i = Find(prop_name);
    return i >= 0 && !properties[i].is_list ? i : -1;
  }
};

struct Header {
  std::string format;
  Encoding encoding = Encoding::kAscii;
  std::vector<Element> elements;
  std::size_t data_offset = 0;  ///< first byte after the end_header line

  const Element* Find(std::string_view name) const {
    for (const auto& e : elements) {
      if (e.name == name) return &e;
    }
    return nullptr;
  }
};

/// `value` as a float; values beyond float's range become infinite (a plain cast would be
/// undefined behaviour).
inline float ToFloat(double value) {
  constexpr double kMax = std::numeric_limits<float>::max();
  if (value > kMax) return std::numeric_limits<float>::infinity();
  if (value < -kMax) return -std::numeric_limits<float>::infinity();
  return static_cast<float>(value);
}

/// `text` made safe to print: at most 40 characters, control and non-ASCII bytes escaped.
std::string Printable(std::string_view text);

/// Parses the header; `bytes` may be just a prefix of the file. Throws muta::Error naming
/// `name` on anything malformed.
Header ParseHeader(std::span<const std::uint8_t> bytes, const std::string& name);

}  // namespace muta::ply_internal
