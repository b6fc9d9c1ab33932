// libFuzzer target: the PLY and fused.ply.vis parsers must reject any input with muta::Error,
// never crash, hang or allocate without bound.

#include <cstddef>
#include <cstdint>
#include <span>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/ply_io.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  spdlog::set_level(spdlog::level::off);  // warnings about skipped faces would flood the output
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  try {
    const muta::Mesh mesh = muta::ParsePlyMesh(bytes, "fuzz.ply");
    mesh.Check();  // whatever the parser accepts must be a consistent mesh
  } catch (const muta::Error&) {
  }
  try {
    const muta::PointCloud cloud = muta::ParsePlyPointCloud(bytes, "fuzz.ply");
    cloud.Check();
  } catch (const muta::Error&) {
  }
  try {
    muta::ParseFusedVisibility(bytes, "fuzz.ply.vis");
  } catch (const muta::Error&) {
  }
  return 0;
}
