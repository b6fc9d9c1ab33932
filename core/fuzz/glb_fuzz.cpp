// libFuzzer target for ParseGlb: any input must either parse or throw muta::Error.
#include <cstddef>
#include <cstdint>
#include <span>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/gltf_io.h"

// Warnings about skipped primitives would flood the fuzzer's output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const muta::GlbContent content = muta::ParseGlb(std::span(data, size), "fuzz.glb");
    content.mesh.Check();  // whatever is returned must be a consistent mesh
  } catch (const muta::Error&) {
  }
  return 0;
}
