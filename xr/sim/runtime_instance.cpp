// The simulated-headset runtime's entry from the loader (xrNegotiateLoaderRuntimeInterface),
// its function table (xrGetInstanceProcAddr), and instance-level functions: extensions,
// instance, system, view configurations, blend modes, events, strings, GL requirements.
#include <openxr/openxr_reflection.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "xr/sim/runtime.h"

// The loader negotiation structures. Debian's OpenXR headers lack loader_interfaces.h, so
// they are declared here as the OpenXR loader design document specifies them.
enum XrLoaderInterfaceStructs {
  XR_LOADER_INTERFACE_STRUCT_UNINTIALIZED = 0,
  XR_LOADER_INTERFACE_STRUCT_LOADER_INFO = 1,
  XR_LOADER_INTERFACE_STRUCT_API_LAYER_REQUEST = 2,
  XR_LOADER_INTERFACE_STRUCT_RUNTIME_REQUEST = 3,
};
constexpr std::uint32_t kLoaderInfoStructVersion = 1;
constexpr std::uint32_t kRuntimeInfoStructVersion = 1;
constexpr std::uint32_t kLoaderRuntimeInterfaceVersion = 1;

struct XrNegotiateLoaderInfo {
  XrLoaderInterfaceStructs structType;
  std::uint32_t structVersion;
  std::size_t structSize;
  std::uint32_t minInterfaceVersion;
  std::uint32_t maxInterfaceVersion;
  XrVersion minApiVersion;
  XrVersion maxApiVersion;
};

struct XrNegotiateRuntimeRequest {
  XrLoaderInterfaceStructs structType;
  std::uint32_t structVersion;
  std::size_t structSize;
  std::uint32_t runtimeInterfaceVersion;
  XrVersion runtimeApiVersion;
  PFN_xrGetInstanceProcAddr getInstanceProcAddr;
};

namespace muta::xr::sim {
namespace {

constexpr XrSystemId kSystemId = 1;

struct Extension {
  const char* name;
  std::uint32_t version;
};
constexpr Extension kExtensions[] = {
    {XR_KHR_OPENGL_ENABLE_EXTENSION_NAME, XR_KHR_opengl_enable_SPEC_VERSION},
    {XR_MNDX_EGL_ENABLE_EXTENSION_NAME, XR_MNDX_egl_enable_SPEC_VERSION},
    {XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME, XR_KHR_composition_layer_depth_SPEC_VERSION},
    {XR_KHR_CONVERT_TIMESPEC_TIME_EXTENSION_NAME, XR_KHR_convert_timespec_time_SPEC_VERSION},
};

XrEnvironmentBlendMode ToXr(BlendMode mode) {
  switch (mode) {
    case BlendMode::kOpaque:
      return XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    case BlendMode::kAdditive:
      return XR_ENVIRONMENT_BLEND_MODE_ADDITIVE;
    case BlendMode::kAlphaBlend:
      return XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND;
  }
  return XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
}

void CopyString(char* out, std::size_t capacity, const std::string& text) {
  std::snprintf(out, capacity, "%s", text.c_str());
}

XrResult CheckSystem(XrInstance instance, XrSystemId system, InstanceObj** out) {
  *out = Find<InstanceObj>(instance);
  if (*out == nullptr) return XR_ERROR_HANDLE_INVALID;
  if (system != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  return XR_SUCCESS;
}

// ---- instance ---------------------------------------------------------------------------

XRAPI_ATTR XrResult XRAPI_CALL EnumerateInstanceExtensionProperties(const char* layer,
                                                                    uint32_t capacity,
                                                                    uint32_t* count,
                                                                    XrExtensionProperties* props) {
  if (layer != nullptr && *layer != '\0') return XR_ERROR_API_LAYER_NOT_PRESENT;
  return Enumerate(capacity, count, props, std::size(kExtensions),
                   [](XrExtensionProperties& p, std::size_t i) {
                     CopyString(p.extensionName, sizeof(p.extensionName), kExtensions[i].name);
                     p.extensionVersion = kExtensions[i].version;
                   });
}

XRAPI_ATTR XrResult XRAPI_CALL EnumerateApiLayerProperties(uint32_t, uint32_t* count,
                                                           XrApiLayerProperties*) {
  if (count == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  *count = 0;
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL CreateInstance(const XrInstanceCreateInfo* info, XrInstance* out) {
  return Guarded("xrCreateInstance", [&](auto&) {
    if (info == nullptr || out == nullptr || info->type != XR_TYPE_INSTANCE_CREATE_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    const XrVersion api = info->applicationInfo.apiVersion;
    if (XR_VERSION_MAJOR(api) != 1 || XR_VERSION_MINOR(api) != 0) {
      return XR_ERROR_API_VERSION_UNSUPPORTED;
    }
    if (info->enabledApiLayerCount > 0) return XR_ERROR_API_LAYER_NOT_PRESENT;
    auto instance = std::make_unique<InstanceObj>();
    for (uint32_t i = 0; i < info->enabledExtensionCount; ++i) {
      const std::string name = info->enabledExtensionNames[i];
      const bool known = std::any_of(std::begin(kExtensions), std::end(kExtensions),
                                     [&](const Extension& e) { return name == e.name; });
      if (!known) {
        Log("xrCreateInstance: extension " + name + " is not offered");
        return XR_ERROR_EXTENSION_NOT_PRESENT;
      }
      instance->ext_opengl |= name == XR_KHR_OPENGL_ENABLE_EXTENSION_NAME;
      instance->ext_egl |= name == XR_MNDX_EGL_ENABLE_EXTENSION_NAME;
      instance->ext_depth |= name == XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME;
      instance->ext_timespec |= name == XR_KHR_CONVERT_TIMESPEC_TIME_EXTENSION_NAME;
    }
    try {
      instance->config = LoadSimConfigFromEnvironment();
    } catch (const std::runtime_error& e) {
      Log(e.what());
      return XR_ERROR_INITIALIZATION_FAILED;
    }
    instance->app_name = info->applicationInfo.applicationName;
    *out = Handle<XrInstance>(Add(std::move(instance), Kind::kInstance, 0)->id);
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL DestroyInstance(XrInstance instance) {
  return Guarded("xrDestroyInstance", [&](auto&) {
    if (Find<InstanceObj>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    DestroyTree(Id(instance));
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL GetInstanceProperties(XrInstance instance,
                                                     XrInstanceProperties* props) {
  return Guarded("xrGetInstanceProperties", [&](auto&) {
    if (Find<InstanceObj>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (props == nullptr || props->type != XR_TYPE_INSTANCE_PROPERTIES) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    props->runtimeVersion = XR_MAKE_VERSION(0, 1, 0);
    CopyString(props->runtimeName, sizeof(props->runtimeName), "Muta simulated headset");
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL PollEvent(XrInstance instance, XrEventDataBuffer* event) {
  return Guarded("xrPollEvent", [&](auto&) {
    InstanceObj* inst = Find<InstanceObj>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (event == nullptr || event->type != XR_TYPE_EVENT_DATA_BUFFER) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (inst->events.empty()) return XR_EVENT_UNAVAILABLE;
    *event = inst->events.front();
    inst->events.pop_front();
    return XR_SUCCESS;
  });
}

// clang-format off
const char* KnownResultName(XrResult value) {
  switch (value) {
#define MUTA_XR_SIM_RESULT_CASE(n, v) case n: return #n;
    XR_LIST_ENUM_XrResult(MUTA_XR_SIM_RESULT_CASE)
#undef MUTA_XR_SIM_RESULT_CASE
    default: return nullptr;
  }
}

const char* KnownStructureTypeName(XrStructureType value) {
  switch (value) {
#define MUTA_XR_SIM_TYPE_CASE(n, v) case n: return #n;
    XR_LIST_ENUM_XrStructureType(MUTA_XR_SIM_TYPE_CASE)
#undef MUTA_XR_SIM_TYPE_CASE
    default: return nullptr;
  }
}
// clang-format on

XRAPI_ATTR XrResult XRAPI_CALL ResultToString(XrInstance instance, XrResult value,
                                              char buffer[XR_MAX_RESULT_STRING_SIZE]) {
  return Guarded("xrResultToString", [&](auto&) {
    if (Find<InstanceObj>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (buffer == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    const char* name = KnownResultName(value);
    if (name != nullptr) {
      CopyString(buffer, XR_MAX_RESULT_STRING_SIZE, name);
    } else {
      CopyString(buffer, XR_MAX_RESULT_STRING_SIZE,
                 (value >= 0 ? "XR_UNKNOWN_SUCCESS_" : "XR_UNKNOWN_FAILURE_") +
                     std::to_string(static_cast<int>(value)));
    }
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL StructureTypeToString(XrInstance instance, XrStructureType value,
                                                     char buffer[XR_MAX_STRUCTURE_NAME_SIZE]) {
  return Guarded("xrStructureTypeToString", [&](auto&) {
    if (Find<InstanceObj>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (buffer == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    const char* name = KnownStructureTypeName(value);
    CopyString(buffer, XR_MAX_STRUCTURE_NAME_SIZE,
               name != nullptr
                   ? std::string(name)
                   : "XR_UNKNOWN_STRUCTURE_TYPE_" + std::to_string(static_cast<int>(value)));
    return XR_SUCCESS;
  });
}

// ---- system and view configuration ------------------------------------------------------

XRAPI_ATTR XrResult XRAPI_CALL GetSystem(XrInstance instance, const XrSystemGetInfo* info,
                                         XrSystemId* system) {
  return Guarded("xrGetSystem", [&](auto&) {
    if (Find<InstanceObj>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || system == nullptr || info->type != XR_TYPE_SYSTEM_GET_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (info->formFactor == XR_FORM_FACTOR_HANDHELD_DISPLAY) {
      return XR_ERROR_FORM_FACTOR_UNSUPPORTED;
    }
    if (info->formFactor != XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    *system = kSystemId;
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL GetSystemProperties(XrInstance instance, XrSystemId system,
                                                   XrSystemProperties* props) {
  return Guarded("xrGetSystemProperties", [&](auto&) {
    InstanceObj* inst = nullptr;
    if (XrResult r = CheckSystem(instance, system, &inst); r != XR_SUCCESS) return r;
    if (props == nullptr || props->type != XR_TYPE_SYSTEM_PROPERTIES) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    props->systemId = system;
    props->vendorId = 0x4d75;  // "Mu"
    CopyString(props->systemName, sizeof(props->systemName), "Muta simulated headset");
    props->graphicsProperties.maxSwapchainImageWidth = 16384;
    props->graphicsProperties.maxSwapchainImageHeight = 16384;
    props->graphicsProperties.maxLayerCount = XR_MIN_COMPOSITION_LAYERS_SUPPORTED;
    props->trackingProperties.orientationTracking = XR_TRUE;
    props->trackingProperties.positionTracking = XR_TRUE;
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL EnumerateViewConfigurations(XrInstance instance, XrSystemId system,
                                                           uint32_t capacity, uint32_t* count,
                                                           XrViewConfigurationType* types) {
  return Guarded("xrEnumerateViewConfigurations", [&](auto&) {
    InstanceObj* inst = nullptr;
    if (XrResult r = CheckSystem(instance, system, &inst); r != XR_SUCCESS) return r;
    return Enumerate(capacity, count, types, 1, [](XrViewConfigurationType& t, std::size_t) {
      t = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
    });
  });
}

XRAPI_ATTR XrResult XRAPI_CALL
GetViewConfigurationProperties(XrInstance instance, XrSystemId system, XrViewConfigurationType type,
                               XrViewConfigurationProperties* props) {
  return Guarded("xrGetViewConfigurationProperties", [&](auto&) {
    InstanceObj* inst = nullptr;
    if (XrResult r = CheckSystem(instance, system, &inst); r != XR_SUCCESS) return r;
    if (props == nullptr || props->type != XR_TYPE_VIEW_CONFIGURATION_PROPERTIES) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) {
      return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    }
    props->viewConfigurationType = type;
    props->fovMutable = XR_FALSE;
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL EnumerateViewConfigurationViews(XrInstance instance,
                                                               XrSystemId system,
                                                               XrViewConfigurationType type,
                                                               uint32_t capacity, uint32_t* count,
                                                               XrViewConfigurationView* views) {
  return Guarded("xrEnumerateViewConfigurationViews", [&](auto&) {
    InstanceObj* inst = nullptr;
    if (XrResult r = CheckSystem(instance, system, &inst); r != XR_SUCCESS) return r;
    if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) {
      return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    }
    for (uint32_t i = 0; views != nullptr && i < std::min<uint32_t>(capacity, 2); ++i) {
      if (views[i].type != XR_TYPE_VIEW_CONFIGURATION_VIEW) return XR_ERROR_VALIDATION_FAILURE;
    }
    const SimConfig& c = inst->config;
    return Enumerate(capacity, count, views, 2, [&](XrViewConfigurationView& v, std::size_t) {
      v.recommendedImageRectWidth = static_cast<uint32_t>(c.width);
      v.recommendedImageRectHeight = static_cast<uint32_t>(c.height);
      v.maxImageRectWidth = 16384;
      v.maxImageRectHeight = 16384;
      v.recommendedSwapchainSampleCount = 1;
      v.maxSwapchainSampleCount = 1;
    });
  });
}

XRAPI_ATTR XrResult XRAPI_CALL EnumerateEnvironmentBlendModes(XrInstance instance,
                                                              XrSystemId system,
                                                              XrViewConfigurationType type,
                                                              uint32_t capacity, uint32_t* count,
                                                              XrEnvironmentBlendMode* modes) {
  return Guarded("xrEnumerateEnvironmentBlendModes", [&](auto&) {
    InstanceObj* inst = nullptr;
    if (XrResult r = CheckSystem(instance, system, &inst); r != XR_SUCCESS) return r;
    if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) {
      return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    }
    const auto& offered = inst->config.blend_modes;
    return Enumerate(capacity, count, modes, offered.size(),
                     [&](XrEnvironmentBlendMode& m, std::size_t i) { m = ToXr(offered[i]); });
  });
}

XRAPI_ATTR XrResult XRAPI_CALL GetOpenGLGraphicsRequirementsKHR(
    XrInstance instance, XrSystemId system, XrGraphicsRequirementsOpenGLKHR* requirements) {
  return Guarded("xrGetOpenGLGraphicsRequirementsKHR", [&](auto&) {
    InstanceObj* inst = nullptr;
    if (XrResult r = CheckSystem(instance, system, &inst); r != XR_SUCCESS) return r;
    if (requirements == nullptr || requirements->type != XR_TYPE_GRAPHICS_REQUIREMENTS_OPENGL_KHR) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    // The runtime creates and reads its images with GL 4.5 direct state access.
    requirements->minApiVersionSupported = XR_MAKE_VERSION(4, 5, 0);
    requirements->maxApiVersionSupported = XR_MAKE_VERSION(4, 6, 0);
    inst->graphics_requirements_queried = true;
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL ConvertTimespecTimeToTimeKHR(XrInstance instance,
                                                            const struct timespec* timespec,
                                                            XrTime* time) {
  return Guarded("xrConvertTimespecTimeToTimeKHR", [&](auto&) {
    if (Find<InstanceObj>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (timespec == nullptr || time == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    *time = static_cast<XrTime>(timespec->tv_sec) * 1000000000 + timespec->tv_nsec;
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL ConvertTimeToTimespecTimeKHR(XrInstance instance, XrTime time,
                                                            struct timespec* timespec) {
  return Guarded("xrConvertTimeToTimespecTimeKHR", [&](auto&) {
    if (Find<InstanceObj>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (timespec == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    if (time <= 0) return XR_ERROR_TIME_INVALID;
    timespec->tv_sec = static_cast<time_t>(time / 1000000000);
    timespec->tv_nsec = static_cast<long>(time % 1000000000);
    return XR_SUCCESS;
  });
}

// ---- function table ---------------------------------------------------------------------

enum class Needs { kCore, kOpenGl, kTimespec };

struct Entry {
  PFN_xrVoidFunction function;
  Needs needs;
};

template <class F>
PFN_xrVoidFunction Fn(F* function) {
  return reinterpret_cast<PFN_xrVoidFunction>(function);
}

const std::unordered_map<std::string, Entry>& Table() {
  static const std::unordered_map<std::string, Entry> table = {
      {"xrGetInstanceProcAddr", {Fn(GetInstanceProcAddr), Needs::kCore}},
      {"xrEnumerateApiLayerProperties", {Fn(EnumerateApiLayerProperties), Needs::kCore}},
      {"xrEnumerateInstanceExtensionProperties",
       {Fn(EnumerateInstanceExtensionProperties), Needs::kCore}},
      {"xrCreateInstance", {Fn(CreateInstance), Needs::kCore}},
      {"xrDestroyInstance", {Fn(DestroyInstance), Needs::kCore}},
      {"xrGetInstanceProperties", {Fn(GetInstanceProperties), Needs::kCore}},
      {"xrPollEvent", {Fn(PollEvent), Needs::kCore}},
      {"xrResultToString", {Fn(ResultToString), Needs::kCore}},
      {"xrStructureTypeToString", {Fn(StructureTypeToString), Needs::kCore}},
      {"xrGetSystem", {Fn(GetSystem), Needs::kCore}},
      {"xrGetSystemProperties", {Fn(GetSystemProperties), Needs::kCore}},
      {"xrEnumerateEnvironmentBlendModes", {Fn(EnumerateEnvironmentBlendModes), Needs::kCore}},
      {"xrCreateSession", {Fn(CreateSession), Needs::kCore}},
      {"xrDestroySession", {Fn(DestroySession), Needs::kCore}},
      {"xrEnumerateReferenceSpaces", {Fn(EnumerateReferenceSpaces), Needs::kCore}},
      {"xrCreateReferenceSpace", {Fn(CreateReferenceSpace), Needs::kCore}},
      {"xrGetReferenceSpaceBoundsRect", {Fn(GetReferenceSpaceBoundsRect), Needs::kCore}},
      {"xrCreateActionSpace", {Fn(CreateActionSpace), Needs::kCore}},
      {"xrLocateSpace", {Fn(LocateSpace), Needs::kCore}},
      {"xrDestroySpace", {Fn(DestroySpace), Needs::kCore}},
      {"xrEnumerateViewConfigurations", {Fn(EnumerateViewConfigurations), Needs::kCore}},
      {"xrGetViewConfigurationProperties", {Fn(GetViewConfigurationProperties), Needs::kCore}},
      {"xrEnumerateViewConfigurationViews", {Fn(EnumerateViewConfigurationViews), Needs::kCore}},
      {"xrEnumerateSwapchainFormats", {Fn(EnumerateSwapchainFormats), Needs::kCore}},
      {"xrCreateSwapchain", {Fn(CreateSwapchain), Needs::kCore}},
      {"xrDestroySwapchain", {Fn(DestroySwapchain), Needs::kCore}},
      {"xrEnumerateSwapchainImages", {Fn(EnumerateSwapchainImages), Needs::kCore}},
      {"xrAcquireSwapchainImage", {Fn(AcquireSwapchainImage), Needs::kCore}},
      {"xrWaitSwapchainImage", {Fn(WaitSwapchainImage), Needs::kCore}},
      {"xrReleaseSwapchainImage", {Fn(ReleaseSwapchainImage), Needs::kCore}},
      {"xrBeginSession", {Fn(BeginSession), Needs::kCore}},
      {"xrEndSession", {Fn(EndSession), Needs::kCore}},
      {"xrRequestExitSession", {Fn(RequestExitSession), Needs::kCore}},
      {"xrWaitFrame", {Fn(WaitFrame), Needs::kCore}},
      {"xrBeginFrame", {Fn(BeginFrame), Needs::kCore}},
      {"xrEndFrame", {Fn(EndFrame), Needs::kCore}},
      {"xrLocateViews", {Fn(LocateViews), Needs::kCore}},
      {"xrStringToPath", {Fn(StringToPath), Needs::kCore}},
      {"xrPathToString", {Fn(PathToString), Needs::kCore}},
      {"xrCreateActionSet", {Fn(CreateActionSet), Needs::kCore}},
      {"xrDestroyActionSet", {Fn(DestroyActionSet), Needs::kCore}},
      {"xrCreateAction", {Fn(CreateAction), Needs::kCore}},
      {"xrDestroyAction", {Fn(DestroyAction), Needs::kCore}},
      {"xrSuggestInteractionProfileBindings",
       {Fn(SuggestInteractionProfileBindings), Needs::kCore}},
      {"xrAttachSessionActionSets", {Fn(AttachSessionActionSets), Needs::kCore}},
      {"xrGetCurrentInteractionProfile", {Fn(GetCurrentInteractionProfile), Needs::kCore}},
      {"xrGetActionStateBoolean", {Fn(GetActionStateBoolean), Needs::kCore}},
      {"xrGetActionStateFloat", {Fn(GetActionStateFloat), Needs::kCore}},
      {"xrGetActionStateVector2f", {Fn(GetActionStateVector2f), Needs::kCore}},
      {"xrGetActionStatePose", {Fn(GetActionStatePose), Needs::kCore}},
      {"xrSyncActions", {Fn(SyncActions), Needs::kCore}},
      {"xrEnumerateBoundSourcesForAction", {Fn(EnumerateBoundSourcesForAction), Needs::kCore}},
      {"xrGetInputSourceLocalizedName", {Fn(GetInputSourceLocalizedName), Needs::kCore}},
      {"xrApplyHapticFeedback", {Fn(ApplyHapticFeedback), Needs::kCore}},
      {"xrStopHapticFeedback", {Fn(StopHapticFeedback), Needs::kCore}},
      {"xrGetOpenGLGraphicsRequirementsKHR",
       {Fn(GetOpenGLGraphicsRequirementsKHR), Needs::kOpenGl}},
      {"xrConvertTimespecTimeToTimeKHR", {Fn(ConvertTimespecTimeToTimeKHR), Needs::kTimespec}},
      {"xrConvertTimeToTimespecTimeKHR", {Fn(ConvertTimeToTimespecTimeKHR), Needs::kTimespec}},
  };
  return table;
}

}  // namespace

XRAPI_ATTR XrResult XRAPI_CALL GetInstanceProcAddr(XrInstance instance, const char* name,
                                                   PFN_xrVoidFunction* function) {
  if (name == nullptr || function == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  *function = nullptr;
  const auto it = Table().find(name);
  std::lock_guard<std::mutex> lock(Rt().mutex);
  if (instance == XR_NULL_HANDLE) {
    // Without an instance only these may be asked for (OpenXR 1.0, xrGetInstanceProcAddr).
    const std::string n = name;
    if (n != "xrEnumerateInstanceExtensionProperties" && n != "xrEnumerateApiLayerProperties" &&
        n != "xrCreateInstance") {
      return XR_ERROR_HANDLE_INVALID;
    }
  } else {
    const InstanceObj* inst = Find<InstanceObj>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (it != Table().end()) {
      const bool enabled = it->second.needs == Needs::kCore ||
                           (it->second.needs == Needs::kOpenGl && inst->ext_opengl) ||
                           (it->second.needs == Needs::kTimespec && inst->ext_timespec);
      if (!enabled) return XR_ERROR_FUNCTION_UNSUPPORTED;
    }
  }
  if (it == Table().end()) return XR_ERROR_FUNCTION_UNSUPPORTED;
  *function = it->second.function;
  return XR_SUCCESS;
}

// ---- shared helpers ---------------------------------------------------------------------

Runtime& Rt() {
  static Runtime runtime;
  return runtime;
}

std::string ResultName(XrResult result) {
  const char* name = KnownResultName(result);
  return name != nullptr ? name : "XrResult " + std::to_string(static_cast<int>(result));
}

void Log(const std::string& message) {
  std::fprintf(stderr, "muta-xr-sim: %s\n", message.c_str());
}

XrTime NowNs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<XrTime>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

void DestroyTree(std::uint64_t id) {
  std::vector<std::uint64_t> children;
  for (const auto& [child, object] : Rt().objects) {
    if (object->parent == id) children.push_back(child);
  }
  // Swapchains and spaces go before their session, sessions before their instance.
  for (std::uint64_t child : children) DestroyTree(child);
  Rt().objects.erase(id);
}

InstanceObj* OwningInstance(std::uint64_t id) {
  while (id != 0) {
    auto it = Rt().objects.find(id);
    if (it == Rt().objects.end()) return nullptr;
    if (auto* instance = dynamic_cast<InstanceObj*>(it->second.get())) return instance;
    id = it->second->parent;
  }
  return nullptr;
}

void PushEvent(InstanceObj& instance, const void* event, std::size_t size) {
  XrEventDataBuffer buffer{};
  std::memcpy(&buffer, event, std::min(size, sizeof(buffer)));
  instance.events.push_back(buffer);
}

void SetSessionState(InstanceObj& instance, SessionObj& session, XrSessionState state) {
  session.state = state;
  XrEventDataSessionStateChanged event{XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED};
  event.session = Handle<XrSession>(session.id);
  event.state = state;
  event.time = NowNs();
  PushEvent(instance, &event, sizeof(event));
}

}  // namespace muta::xr::sim

extern "C" __attribute__((visibility("default"))) XrResult XRAPI_CALL
xrNegotiateLoaderRuntimeInterface(const XrNegotiateLoaderInfo* loader_info,
                                  XrNegotiateRuntimeRequest* request) {
  if (loader_info == nullptr || request == nullptr ||
      loader_info->structType != XR_LOADER_INTERFACE_STRUCT_LOADER_INFO ||
      loader_info->structVersion != kLoaderInfoStructVersion ||
      loader_info->structSize != sizeof(XrNegotiateLoaderInfo) ||
      request->structType != XR_LOADER_INTERFACE_STRUCT_RUNTIME_REQUEST ||
      request->structVersion != kRuntimeInfoStructVersion ||
      request->structSize != sizeof(XrNegotiateRuntimeRequest)) {
    muta::xr::sim::Log("loader negotiation: unexpected structures");
    return XR_ERROR_INITIALIZATION_FAILED;
  }
  if (loader_info->minInterfaceVersion > kLoaderRuntimeInterfaceVersion ||
      loader_info->maxInterfaceVersion < kLoaderRuntimeInterfaceVersion ||
      loader_info->minApiVersion > XR_CURRENT_API_VERSION ||
      XR_VERSION_MAJOR(loader_info->maxApiVersion) < 1) {
    muta::xr::sim::Log(
        "loader negotiation: the loader wants an interface or API version "
        "this runtime (OpenXR 1.0, loader interface 1) does not speak");
    return XR_ERROR_INITIALIZATION_FAILED;
  }
  request->runtimeInterfaceVersion = kLoaderRuntimeInterfaceVersion;
  request->runtimeApiVersion = XR_CURRENT_API_VERSION;
  request->getInstanceProcAddr = muta::xr::sim::GetInstanceProcAddr;
  return XR_SUCCESS;
}
