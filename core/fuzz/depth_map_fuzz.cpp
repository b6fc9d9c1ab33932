// libFuzzer target: the COLMAP array parser must reject any input with muta::Error, never
// crash or allocate more than the input justifies.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/depth_map_io.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const muta::FloatMap map =
        muta::ParseColmapArray(std::span<const std::uint8_t>(data, size), "fuzz.bin");
    // Whatever is accepted is consistent with its header.
    if (map.data.size() != std::size_t(map.width) * map.height * map.channels) std::abort();
  } catch (const muta::Error&) {
  }
  return 0;
}
