#pragma once
// Taking a GLB apart and putting it back together in tests that corrupt tiles on purpose
// (tests/export_corrupt_test.cpp, reconstruct/tiles/tile_glb_test.cpp). Header-only: it is
// included by the e2e and the reconstruct test binaries.

#include <cstdint>
#include <string>
#include <vector>

namespace muta::test {

inline std::uint32_t Le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

inline void PutLe32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

/// The GLB with its JSON chunk parsed as `JsonT` (nlohmann json or ordered_json), edited by
/// `edit` and written back (padded with spaces); the BIN chunk kept.
template <typename JsonT, typename Edit>
std::vector<std::uint8_t> EditGlbJson(const std::vector<std::uint8_t>& glb, Edit edit) {
  const std::uint32_t json_length = Le32(&glb[12]);
  JsonT json = JsonT::parse(glb.begin() + 20, glb.begin() + 20 + json_length);
  edit(json);
  std::string text = json.dump();
  text.resize((text.size() + 3) & ~std::size_t{3}, ' ');
  const std::vector<std::uint8_t> bin(glb.begin() + 20 + json_length, glb.end());
  std::vector<std::uint8_t> out;
  PutLe32(out, 0x46546C67);  // "glTF"
  PutLe32(out, 2);
  PutLe32(out, static_cast<std::uint32_t>(12 + 8 + text.size() + bin.size()));
  PutLe32(out, static_cast<std::uint32_t>(text.size()));
  PutLe32(out, 0x4E4F534A);  // "JSON"
  out.insert(out.end(), text.begin(), text.end());
  out.insert(out.end(), bin.begin(), bin.end());
  return out;
}

}  // namespace muta::test
