// libFuzzer target for DecodeImage: any input must either decode or throw muta::Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/image_io.h"

// Keep log messages out of the fuzzer's output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  try {
    const muta::Image image = muta::DecodeImage(bytes, "fuzz-image", 0);
    // A decoded image must be self-consistent.
    if (image.pixels.size() != std::size_t(image.width) * image.height * image.channels) {
      std::abort();
    }
  } catch (const muta::Error&) {
  }
  return 0;
}
