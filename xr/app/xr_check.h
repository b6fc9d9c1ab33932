#pragma once
// Backend header of xr/app (OpenXR and EGL types allowed, X11 not: its macros break Eigen):
// the OpenXR includes with the platforms muta xr uses, and MUTA_XR_CHECK, which turns a
// failed XrResult into an XrError naming the call and the result.

#define EGL_NO_X11
#include <epoxy/egl.h>
#include <epoxy/gl.h>
#define XR_USE_GRAPHICS_API_OPENGL
#define XR_USE_PLATFORM_EGL
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>

#include <string>

#include "core/error.h"

namespace muta::xr {

/// "XR_ERROR_SESSION_LOST", ...; "XrResult N" for values OpenXR 1.0.20 does not name.
std::string XrResultName(XrResult result);
/// "XR_SESSION_STATE_FOCUSED", ...
std::string XrSessionStateName(XrSessionState state);

/// A failed OpenXR call: a muta::Error (user kind: the runtime or the setup is at fault far
/// more often than Muta) that keeps the XrResult for the callers that handle some of them
/// (session and instance loss).
class XrError : public Error {
 public:
  XrError(XrResult result, const std::string& call, const char* file, int line);
  XrResult result() const { return result_; }

 private:
  XrResult result_;
};

/// Throws XrError unless `result` succeeded; returns it (success codes such as
/// XR_EVENT_UNAVAILABLE or XR_SESSION_LOSS_PENDING pass through).
XrResult CheckXr(XrResult result, const char* call, const char* file, int line);

}  // namespace muta::xr

#define MUTA_XR_CHECK(call) ::muta::xr::CheckXr((call), #call, __FILE__, __LINE__)
