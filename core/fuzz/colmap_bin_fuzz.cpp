// libFuzzer target: COLMAP's binary model parsers (cameras.bin, images.bin, points3D.bin).
//
// The input is fed to each parser in turn. A parser must either accept it or throw
// muta::Error – never crash, hang or allocate without bound. Whatever it accepts must write
// back and parse again to the very same bytes (anything else aborts, which libFuzzer reports).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <sstream>
#include <string>

#include "core/colmap_model.h"
#include "core/error.h"

namespace {

using Parser = void (*)(std::span<const std::uint8_t>, const std::string&, muta::SparseModel&);
using Writer = void (*)(const muta::SparseModel&, std::ostream&);

std::string Write(Writer write, const muta::SparseModel& model) {
  std::ostringstream out;
  write(model, out);
  return out.str();
}

std::span<const std::uint8_t> AsBytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void ParseAndRoundTrip(std::span<const std::uint8_t> input, const std::string& name, Parser parse,
                       Writer write, muta::SparseModel& model) {
  try {
    parse(input, name, model);
  } catch (const muta::Error&) {
    return;  // rejected cleanly
  }
  // Accepted: writing and parsing again must be lossless. No try here: a throw aborts.
  const std::string first = Write(write, model);
  muta::SparseModel again = model;
  parse(AsBytes(first), name, again);
  if (Write(write, again) != first) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  muta::SparseModel model;
  ParseAndRoundTrip(input, "cameras.bin", muta::ParseCamerasBin, muta::WriteCamerasBin, model);
  ParseAndRoundTrip(input, "images.bin", muta::ParseImagesBin, muta::WriteImagesBin, model);
  ParseAndRoundTrip(input, "points3D.bin", muta::ParsePoints3DBin, muta::WritePoints3DBin, model);
  try {
    model.Check();
  } catch (const muta::Error&) {
  }
  muta::ComputeStats(model);
  return 0;
}
