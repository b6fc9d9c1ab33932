// PLY header parsing (see core/ply_format.h) and ReadPlyHeader (core/ply_io.h).

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/ply_format.h"
#include "core/ply_io.h"

namespace muta {
namespace ply_internal {
namespace {

std::vector<std::string_view> SplitWhitespace(std::string_view line) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) tokens.push_back(line.substr(start, i - start));
  }
  return tokens;
}
}  // namespace

std::string Printable(std::string_view text) {
  std::string out;
  const std::size_t n = std::min<std::size_t>(text.size(), 40);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (text.size() > n) out += "...";
  return out;
}

Header ParseHeader(std::span<const std::uint8_t> bytes, const std::string& name) {
  MUTA_CHECK(!bytes.empty()) << name << ": empty file (0 bytes), expected a PLY file; "
                             << kReexport;
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()),
                              std::min(bytes.size(), kMaxHeaderBytes));
  MUTA_CHECK(text.size() >= 4 && text.substr(0, 3) == "ply" && (text[3] == '\n' || text[3] == '\r'))
      << name << ": not a PLY file (it does not start with a \"ply\" line); check that the path "
      << "points to a .ply file";

  Header header;
  bool has_format = false;
  std::size_t pos = 0;
  int line_number = 0;
  while (true) {
    const std::size_t newline = text.find('\n', pos);
    if (newline == std::string_view::npos) {
      MUTA_CHECK(bytes.size() <= kMaxHeaderBytes)
          << name << ": the PLY header has no end_header line within its first "
          << kMaxHeaderBytes / 1024 << " KiB; " << kReexport;
      MUTA_FAIL << name << ": the PLY header is truncated (no end_header line); " << kReexport;
    }
    std::string_view line = text.substr(pos, newline - pos);
    pos = newline + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_number == 1) continue;  // "ply", checked above
    const auto tokens = SplitWhitespace(line);
    if (tokens.empty()) continue;
    const std::string_view keyword = tokens[0];
    // The start of every error message about this line.
    auto bad_line = [&] {
      return name + ": malformed PLY header line " + std::to_string(line_number) + " \"" +
             Printable(line) + "\": ";
    };
    if (keyword == "comment" || keyword == "obj_info") continue;
    if (keyword == "end_header") {
      if (tokens.size() != 1)
        MUTA_FAIL << bad_line() << "unexpected text after end_header; " << kReexport;
      break;
    }
    if (keyword == "format") {
      if (tokens.size() != 3)
        MUTA_FAIL << bad_line() << "expected \"format TYPE 1.0\"; " << kReexport;
      if (has_format) MUTA_FAIL << bad_line() << "a second format line; " << kReexport;
      if (tokens[1] == "ascii") {
        header.encoding = Encoding::kAscii;
      } else if (tokens[1] == "binary_little_endian") {
        header.encoding = Encoding::kBinaryLittleEndian;
      } else if (tokens[1] == "binary_big_endian") {
        header.encoding = Encoding::kBinaryBigEndian;
      } else {
        MUTA_FAIL << bad_line() << "unknown format \"" << Printable(tokens[1])
                  << "\" (expected ascii, "
                  << "binary_little_endian or binary_big_endian)";
      }
      if (tokens[2].empty() || tokens[2][0] != '1') {
        MUTA_FAIL << bad_line() << "unsupported PLY version \"" << Printable(tokens[2])
                  << "\" (only 1.x is supported)";
      }
      header.format = std::string(tokens[1]);
      has_format = true;
      continue;
    }
    if (keyword == "element") {
      if (tokens.size() != 3)
        MUTA_FAIL << bad_line() << "expected \"element NAME COUNT\"; " << kReexport;
      Element element;
      element.name = std::string(tokens[1]);
      const std::string_view count = tokens[2];
      const auto [end, ec] =
          std::from_chars(count.data(), count.data() + count.size(), element.count);
      if (ec != std::errc() || end != count.data() + count.size()) {
        MUTA_FAIL << bad_line() << "the count \"" << Printable(count)
                  << "\" is not a non-negative integer; " << kReexport;
      }
      if (header.Find(element.name) != nullptr) {
        MUTA_FAIL << bad_line() << "element \"" << Printable(element.name)
                  << "\" is declared twice; " << kReexport;
      }
      header.elements.push_back(std::move(element));
      continue;
    }
    if (keyword == "property") {
      if (header.elements.empty())
        MUTA_FAIL << bad_line() << "a property before any element; " << kReexport;
      Property property;
      std::string_view type_name;
      if (tokens.size() >= 2 && tokens[1] == "list") {
        if (tokens.size() != 5) {
          MUTA_FAIL << bad_line() << "expected \"property list COUNT_TYPE ITEM_TYPE NAME\"; "
                    << kReexport;
        }
        const auto count_type = ParseType(tokens[2]);
        if (!count_type || !Info(*count_type).is_integer) {
          MUTA_FAIL << bad_line() << "the list count type \"" << Printable(tokens[2])
                    << "\" is not an integer type; " << kReexport;
        }
        property.is_list = true;
        property.count_type = *count_type;
        type_name = tokens[3];
      } else {
        if (tokens.size() != 3)
          MUTA_FAIL << bad_line() << "expected \"property TYPE NAME\"; " << kReexport;
        type_name = tokens[1];
      }
      const auto type = ParseType(type_name);
      if (!type) {
        MUTA_FAIL << bad_line() << "unknown property type \"" << Printable(type_name)
                  << "\" (expected one of "
                  << "char uchar short ushort int uint float double, or int8 ... float64)";
      }
      property.type = *type;
      property.name = std::string(tokens.back());
      Element& element = header.elements.back();
      if (element.Find(property.name) >= 0) {
        MUTA_FAIL << bad_line() << "property \"" << Printable(property.name) << "\" of element \""
                  << Printable(element.name) << "\" is declared twice; " << kReexport;
      }
      element.properties.push_back(std::move(property));
      continue;
    }
    MUTA_FAIL << bad_line() << "unknown keyword \"" << Printable(keyword) << "\"; " << kReexport;
  }
  MUTA_CHECK(has_format) << name << ": the PLY header has no format line; " << kReexport;
  header.data_offset = pos;
  return header;
}

}  // namespace ply_internal

namespace {

namespace fs = std::filesystem;

/// Reads at most `max_bytes` from the start of `path`.
std::vector<std::uint8_t> ReadFilePrefix(const fs::path& path, std::size_t max_bytes) {
  std::error_code ec;
  MUTA_CHECK(fs::exists(path, ec)) << path.string() << ": no such file";
  MUTA_CHECK(!fs::is_directory(path, ec)) << path.string() << ": is a directory, expected a file";
  std::ifstream in(path, std::ios::binary);
  MUTA_CHECK(in.good()) << path.string() << ": cannot open for reading";
  std::vector<std::uint8_t> bytes(max_bytes);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(max_bytes));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

}  // namespace

PlyHeaderInfo ReadPlyHeader(const fs::path& path) {
  using namespace ply_internal;
  // One byte more than the cap, so that "no end_header within the cap" is told apart from a
  // file that ends inside its header.
  const auto bytes = ReadFilePrefix(path, kMaxHeaderBytes + 1);
  const Header header = ParseHeader(bytes, path.string());
  PlyHeaderInfo info;
  info.format = header.format;
  if (const Element* vertex = header.Find("vertex")) {
    info.num_vertices = static_cast<std::size_t>(vertex->count);
    info.has_normals = vertex->FindScalar("nx") >= 0 && vertex->FindScalar("ny") >= 0 &&
                       vertex->FindScalar("nz") >= 0;
    info.has_colors = vertex->FindScalar("red") >= 0 && vertex->FindScalar("green") >= 0 &&
                      vertex->FindScalar("blue") >= 0;
  }
  if (const Element* face = header.Find("face")) {
    info.num_faces = static_cast<std::size_t>(face->count);
  }
  return info;
}

}  // namespace muta
