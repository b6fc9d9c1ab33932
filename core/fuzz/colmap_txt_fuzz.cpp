// libFuzzer target: COLMAP's text model parsers (cameras.txt, images.txt, points3D.txt).
//
// The input is fed to each parser in turn. A parser must either accept it or throw
// muta::Error – never crash, hang or allocate without bound. Whatever it accepts must write
// back and parse again to the very same text (anything else aborts, which libFuzzer reports).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "core/colmap_model.h"
#include "core/error.h"

namespace {

using Parser = void (*)(std::string_view, const std::string&, muta::SparseModel&);
using Writer = void (*)(const muta::SparseModel&, std::ostream&);

std::string Write(Writer write, const muta::SparseModel& model) {
  std::ostringstream out;
  write(model, out);
  return out.str();
}

void ParseAndRoundTrip(std::string_view input, const std::string& name, Parser parse, Writer write,
                       muta::SparseModel& model) {
  try {
    parse(input, name, model);
  } catch (const muta::Error&) {
    return;  // rejected cleanly
  }
  // Accepted: writing and parsing again must be lossless. No try here: a throw aborts.
  const std::string first = Write(write, model);
  // The text headers count observations over the images, so keep the other parts.
  muta::SparseModel again = model;
  parse(first, name, again);
  if (Write(write, again) != first) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  muta::SparseModel model;
  ParseAndRoundTrip(input, "cameras.txt", muta::ParseCamerasTxt, muta::WriteCamerasTxt, model);
  ParseAndRoundTrip(input, "images.txt", muta::ParseImagesTxt, muta::WriteImagesTxt, model);
  ParseAndRoundTrip(input, "points3D.txt", muta::ParsePoints3DTxt, muta::WritePoints3DTxt, model);
  try {
    model.Check();
  } catch (const muta::Error&) {
  }
  muta::ComputeStats(model);
  return 0;
}
