#include "xr/app/xr_check.h"

#include <openxr/openxr_reflection.h>

namespace muta::xr {

std::string XrResultName(XrResult result) {
  switch (result) {
#define MUTA_XR_RESULT_CASE(name, value) \
  case name:                             \
    return #name;
    XR_LIST_ENUM_XrResult(MUTA_XR_RESULT_CASE)
#undef MUTA_XR_RESULT_CASE
            default : return "XrResult " +
                      std::to_string(static_cast<int>(result));
  }
}

std::string XrSessionStateName(XrSessionState state) {
  switch (state) {
#define MUTA_XR_STATE_CASE(name, value) \
  case name:                            \
    return #name;
    XR_LIST_ENUM_XrSessionState(MUTA_XR_STATE_CASE)
#undef MUTA_XR_STATE_CASE
            default : return "XrSessionState " +
                      std::to_string(static_cast<int>(state));
  }
}

XrError::XrError(XrResult result, const std::string& call, const char* file, int line)
    : Error(ErrorKind::kUser, call + " failed: " + XrResultName(result), file, line),
      result_(result) {}

XrResult CheckXr(XrResult result, const char* call, const char* file, int line) {
  if (XR_FAILED(result)) throw XrError(result, call, file, line);
  return result;
}

}  // namespace muta::xr
