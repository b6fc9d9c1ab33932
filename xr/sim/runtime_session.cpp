// Sessions of the simulated headset: creation on the app's GL context, the session state
// machine with its events, and the frame loop (xrWaitFrame pacing at the configured refresh
// rate, xrBeginFrame/xrEndFrame with validation of the submitted layers).
#include <dlfcn.h>

#include <cerrno>
#include <cmath>
#include <string>

#include "xr/sim/runtime.h"

namespace muta::xr::sim {
namespace {

using GetProc = void* (*)(const char*);

template <class T>
bool Load(GetProc get, const char* name, T& out) {
  out = reinterpret_cast<T>(get(name));
  return out != nullptr;
}

bool LoadGl(GetProc get, GlApi& gl) {
  return Load(get, "glCreateTextures", gl.CreateTextures) &&
         Load(get, "glTextureStorage2D", gl.TextureStorage2D) &&
         Load(get, "glTextureStorage3D", gl.TextureStorage3D) &&
         Load(get, "glTextureParameteri", gl.TextureParameteri) &&
         Load(get, "glDeleteTextures", gl.DeleteTextures) &&
         Load(get, "glGetTextureSubImage", gl.GetTextureSubImage) &&
         Load(get, "glGetIntegerv", gl.GetIntegerv) && Load(get, "glPixelStorei", gl.PixelStorei) &&
         Load(get, "glBindBuffer", gl.BindBuffer) && Load(get, "glGetError", gl.GetError);
}

// The Xlib/GLX binding: GL entry points through libGLX's glXGetProcAddressARB (the runtime
// does not link X11 or GLX itself).
GetProc GlxGetProcAddress() {
  static void* library = dlopen("libGLX.so.0", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) return nullptr;
  return reinterpret_cast<GetProc>(dlsym(library, "glXGetProcAddressARB"));
}

// EGL's getProcAddress returns a function pointer type; the GL loader wants void*.
PFNEGLGETPROCADDRESSPROC g_egl_get_proc = nullptr;
void* EglGetProc(const char* name) {
  return reinterpret_cast<void*>(g_egl_get_proc(name));
}

const XrBaseInStructure* FindInChain(const void* next, XrStructureType type) {
  for (auto* s = static_cast<const XrBaseInStructure*>(next); s != nullptr; s = s->next) {
    if (s->type == type) return s;
  }
  return nullptr;
}

SessionObj* FindSession(XrSession handle, InstanceObj** instance) {
  SessionObj* session = Find<SessionObj>(handle);
  if (session != nullptr) *instance = OwningInstance(session->id);
  return session;
}

bool Running(const SessionObj& s) {
  return s.running;
}

/// Walks the state down from wherever it is to STOPPING (the runtime or app wants to stop).
void StopSession(InstanceObj& instance, SessionObj& session) {
  session.exit_requested = true;
  if (session.state == XR_SESSION_STATE_FOCUSED) {
    SetSessionState(instance, session, XR_SESSION_STATE_VISIBLE);
  }
  if (session.state == XR_SESSION_STATE_VISIBLE || session.state == XR_SESSION_STATE_READY) {
    SetSessionState(instance, session, XR_SESSION_STATE_SYNCHRONIZED);
  }
  if (session.state == XR_SESSION_STATE_SYNCHRONIZED) {
    SetSessionState(instance, session, XR_SESSION_STATE_STOPPING);
  }
}

bool BlendModeOffered(const InstanceObj& instance, XrEnvironmentBlendMode mode) {
  for (BlendMode m : instance.config.blend_modes) {
    const XrEnvironmentBlendMode x = m == BlendMode::kOpaque ? XR_ENVIRONMENT_BLEND_MODE_OPAQUE
                                     : m == BlendMode::kAdditive
                                         ? XR_ENVIRONMENT_BLEND_MODE_ADDITIVE
                                         : XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND;
    if (x == mode) return true;
  }
  return false;
}

/// The image a layer may show: a live swapchain of this session with a released image and a
/// rectangle inside it.
XrResult CheckSubImage(const SessionObj& session, const XrSwapchainSubImage& sub) {
  const SwapchainObj* swapchain = Find<SwapchainObj>(sub.swapchain);
  if (swapchain == nullptr || swapchain->parent != session.id) return XR_ERROR_HANDLE_INVALID;
  if (!swapchain->released) return XR_ERROR_LAYER_INVALID;
  const XrRect2Di& r = sub.imageRect;
  if (r.offset.x < 0 || r.offset.y < 0 || r.extent.width <= 0 || r.extent.height <= 0 ||
      static_cast<std::uint64_t>(r.offset.x) + static_cast<std::uint64_t>(r.extent.width) >
          swapchain->width ||
      static_cast<std::uint64_t>(r.offset.y) + static_cast<std::uint64_t>(r.extent.height) >
          swapchain->height) {
    return XR_ERROR_SWAPCHAIN_RECT_INVALID;
  }
  if (sub.imageArrayIndex >= swapchain->array_size) return XR_ERROR_VALIDATION_FAILURE;
  return XR_SUCCESS;
}

XrResult CheckSpace(const SessionObj& session, XrSpace space) {
  const SpaceObj* s = Find<SpaceObj>(space);
  return s != nullptr && s->parent == session.id ? XR_SUCCESS : XR_ERROR_HANDLE_INVALID;
}

XrResult CheckLayers(const InstanceObj& instance, const SessionObj& session,
                     const XrFrameEndInfo& info) {
  if (info.layerCount > XR_MIN_COMPOSITION_LAYERS_SUPPORTED) {
    return XR_ERROR_LAYER_LIMIT_EXCEEDED;
  }
  if (info.layerCount > 0 && info.layers == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  for (uint32_t i = 0; i < info.layerCount; ++i) {
    const XrCompositionLayerBaseHeader* layer = info.layers[i];
    if (layer == nullptr) return XR_ERROR_LAYER_INVALID;
    if (XrResult r = CheckSpace(session, layer->space); r != XR_SUCCESS) return r;
    constexpr XrCompositionLayerFlags kDefinedFlags =
        XR_COMPOSITION_LAYER_CORRECT_CHROMATIC_ABERRATION_BIT |
        XR_COMPOSITION_LAYER_BLEND_TEXTURE_SOURCE_ALPHA_BIT |
        XR_COMPOSITION_LAYER_UNPREMULTIPLIED_ALPHA_BIT;
    if ((layer->layerFlags & ~kDefinedFlags) != 0) return XR_ERROR_VALIDATION_FAILURE;
    if (layer->type == XR_TYPE_COMPOSITION_LAYER_PROJECTION) {
      const auto* p = reinterpret_cast<const XrCompositionLayerProjection*>(layer);
      if (p->viewCount != 2 || p->views == nullptr) return XR_ERROR_VALIDATION_FAILURE;
      for (uint32_t v = 0; v < p->viewCount; ++v) {
        const XrCompositionLayerProjectionView& view = p->views[v];
        if (view.type != XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW) {
          return XR_ERROR_VALIDATION_FAILURE;
        }
        if (!PoseValid(view.pose)) return XR_ERROR_POSE_INVALID;
        if (XrResult r = CheckSubImage(session, view.subImage); r != XR_SUCCESS) return r;
        const auto* depth = reinterpret_cast<const XrCompositionLayerDepthInfoKHR*>(
            FindInChain(view.next, XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR));
        if (depth != nullptr && instance.ext_depth) {
          if (XrResult r = CheckSubImage(session, depth->subImage); r != XR_SUCCESS) return r;
          if (!(depth->minDepth >= 0 && depth->minDepth <= depth->maxDepth &&
                depth->maxDepth <= 1) ||
              depth->nearZ == depth->farZ) {
            return XR_ERROR_VALIDATION_FAILURE;
          }
        }
      }
    } else if (layer->type == XR_TYPE_COMPOSITION_LAYER_QUAD) {
      // As a runtime would: a colour image, a known eye visibility, a finite positive size
      // (the flags are checked above for every layer).
      const auto* q = reinterpret_cast<const XrCompositionLayerQuad*>(layer);
      if (!PoseValid(q->pose)) return XR_ERROR_POSE_INVALID;
      if (XrResult r = CheckSubImage(session, q->subImage); r != XR_SUCCESS) return r;
      if (Find<SwapchainObj>(q->subImage.swapchain)->depth) return XR_ERROR_LAYER_INVALID;
      if (q->eyeVisibility != XR_EYE_VISIBILITY_BOTH &&
          q->eyeVisibility != XR_EYE_VISIBILITY_LEFT &&
          q->eyeVisibility != XR_EYE_VISIBILITY_RIGHT) {
        return XR_ERROR_VALIDATION_FAILURE;
      }
      if (!(std::isfinite(q->size.width) && std::isfinite(q->size.height) && q->size.width > 0 &&
            q->size.height > 0)) {
        return XR_ERROR_VALIDATION_FAILURE;
      }
    } else {
      return XR_ERROR_LAYER_INVALID;
    }
  }
  return XR_SUCCESS;
}

}  // namespace

SessionObj::~SessionObj() {
  if (frame_log != nullptr) std::fclose(frame_log);
}

// ---- session lifetime and state machine ------------------------------------------------

XRAPI_ATTR XrResult XRAPI_CALL CreateSession(XrInstance instance, const XrSessionCreateInfo* info,
                                             XrSession* out) {
  return Guarded("xrCreateSession", [&](auto&) {
    InstanceObj* inst = Find<InstanceObj>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || out == nullptr || info->type != XR_TYPE_SESSION_CREATE_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (info->systemId != 1) return XR_ERROR_SYSTEM_INVALID;
    if (inst->session != 0) {
      Log("xrCreateSession: the simulated headset runs one session at a time");
      return XR_ERROR_LIMIT_REACHED;
    }
    // XR_KHR_opengl_enable: xrGetOpenGLGraphicsRequirementsKHR must come first.
    if (inst->ext_opengl && !inst->graphics_requirements_queried) {
      return XR_ERROR_GRAPHICS_REQUIREMENTS_CALL_MISSING;
    }
    auto session = std::make_unique<SessionObj>();
    GetProc get = nullptr;
    const auto* egl = reinterpret_cast<const XrGraphicsBindingEGLMNDX*>(
        FindInChain(info->next, XR_TYPE_GRAPHICS_BINDING_EGL_MNDX));
    if (egl != nullptr && inst->ext_egl) {
      if (egl->getProcAddress == nullptr || egl->display == nullptr || egl->context == nullptr) {
        return XR_ERROR_GRAPHICS_DEVICE_INVALID;
      }
      g_egl_get_proc = egl->getProcAddress;
      get = EglGetProc;
      session->graphics = "egl";
    } else if (FindInChain(info->next, XR_TYPE_GRAPHICS_BINDING_OPENGL_XLIB_KHR) != nullptr &&
               inst->ext_opengl) {
      get = GlxGetProcAddress();
      session->graphics = "xlib";
    }
    if (session->graphics.empty()) {
      Log("xrCreateSession: no graphics binding – enable XR_MNDX_egl_enable and chain an "
          "XrGraphicsBindingEGLMNDX (or XR_KHR_opengl_enable with an Xlib binding)");
      return XR_ERROR_GRAPHICS_DEVICE_INVALID;
    }
    if (get == nullptr || !LoadGl(get, session->gl)) {
      Log("xrCreateSession: the GL context lacks OpenGL 4.5 functions");
      return XR_ERROR_GRAPHICS_DEVICE_INVALID;
    }
    session->period_ns = static_cast<XrDuration>(std::llround(1e9 / inst->config.refresh_hz));
    SessionObj* s = Add(std::move(session), Kind::kSession, inst->id);
    inst->session = s->id;
    OpenFrameLog(*inst, *s);
    SetSessionState(*inst, *s, XR_SESSION_STATE_IDLE);
    SetSessionState(*inst, *s, XR_SESSION_STATE_READY);
    *out = Handle<XrSession>(s->id);
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL DestroySession(XrSession handle) {
  return Guarded("xrDestroySession", [&](auto&) {
    InstanceObj* inst = nullptr;
    SessionObj* session = FindSession(handle, &inst);
    if (session == nullptr || inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    inst->session = 0;
    DestroyTree(session->id);
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL BeginSession(XrSession handle, const XrSessionBeginInfo* info) {
  return Guarded("xrBeginSession", [&](auto&) {
    InstanceObj* inst = nullptr;
    SessionObj* session = FindSession(handle, &inst);
    if (session == nullptr || inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (session->lost) return XR_ERROR_SESSION_LOST;
    if (info == nullptr || info->type != XR_TYPE_SESSION_BEGIN_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (info->primaryViewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) {
      return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    }
    if (Running(*session)) return XR_ERROR_SESSION_RUNNING;
    if (session->state != XR_SESSION_STATE_READY) return XR_ERROR_SESSION_NOT_READY;
    session->running = true;
    session->begin_time = NowNs();
    session->last_vsync = 0;
    session->frames_waited = 0;
    session->waited.reset();
    session->begun.reset();
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL EndSession(XrSession handle) {
  return Guarded("xrEndSession", [&](auto&) {
    InstanceObj* inst = nullptr;
    SessionObj* session = FindSession(handle, &inst);
    if (session == nullptr || inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (session->lost) return XR_ERROR_SESSION_LOST;
    if (!Running(*session)) return XR_ERROR_SESSION_NOT_RUNNING;
    if (session->state != XR_SESSION_STATE_STOPPING) return XR_ERROR_SESSION_NOT_STOPPING;
    session->running = false;
    session->waited.reset();
    session->begun.reset();
    SetSessionState(*inst, *session, XR_SESSION_STATE_IDLE);
    if (session->exit_requested) {
      SetSessionState(*inst, *session, XR_SESSION_STATE_EXITING);
    } else {
      SetSessionState(*inst, *session, XR_SESSION_STATE_READY);
    }
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL RequestExitSession(XrSession handle) {
  return Guarded("xrRequestExitSession", [&](auto&) {
    InstanceObj* inst = nullptr;
    SessionObj* session = FindSession(handle, &inst);
    if (session == nullptr || inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (session->lost) return XR_ERROR_SESSION_LOST;
    if (!Running(*session)) return XR_ERROR_SESSION_NOT_RUNNING;
    StopSession(*inst, *session);
    return XR_SUCCESS;
  });
}

// ---- frame loop -----------------------------------------------------------------------

XRAPI_ATTR XrResult XRAPI_CALL WaitFrame(XrSession handle, const XrFrameWaitInfo* info,
                                         XrFrameState* state) {
  return Guarded("xrWaitFrame", [&](std::unique_lock<std::mutex>& lock) {
    InstanceObj* inst = nullptr;
    SessionObj* session = FindSession(handle, &inst);
    if (session == nullptr || inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (session->lost) return XR_ERROR_SESSION_LOST;
    if ((info != nullptr && info->type != XR_TYPE_FRAME_WAIT_INFO) || state == nullptr ||
        state->type != XR_TYPE_FRAME_STATE) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (!Running(*session)) return XR_ERROR_SESSION_NOT_RUNNING;
    // Refreshes happen at begin_time + n * period; this frame waits for the next one after the
    // previous frame's (realtime: the next one from now, so a slow app skips refreshes) and
    // is predicted to be displayed one period later.
    const XrDuration period = session->period_ns;
    XrTime vsync = session->last_vsync == 0 ? session->begin_time : session->last_vsync + period;
    const bool realtime = inst->config.timing == Timing::kRealtime;
    if (realtime) {
      const XrTime now = NowNs();
      if (vsync < now) {
        vsync = session->begin_time + (now - session->begin_time + period - 1) / period * period;
      }
    }
    session->last_vsync = vsync;
    const std::int64_t frame = session->frames_waited++;
    const XrTime predicted = vsync + period;
    session->predicted[frame] = predicted;
    session->last_predicted = predicted;
    while (session->predicted.size() > 16) session->predicted.erase(session->predicted.begin());
    session->waited = frame;
    if (session->state == XR_SESSION_STATE_READY && !session->exit_requested) {
      SetSessionState(*inst, *session, XR_SESSION_STATE_SYNCHRONIZED);
    }
    state->predictedDisplayTime = predicted;
    state->predictedDisplayPeriod = period;
    state->shouldRender =
        session->state == XR_SESSION_STATE_VISIBLE || session->state == XR_SESSION_STATE_FOCUSED
            ? XR_TRUE
            : XR_FALSE;
    if (realtime) {
      // Sleep without the lock so other threads may call into the runtime meanwhile.
      lock.unlock();
      timespec until{static_cast<time_t>(vsync / 1000000000),
                     static_cast<long>(vsync % 1000000000)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
      }
      lock.lock();
    }
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL BeginFrame(XrSession handle, const XrFrameBeginInfo* info) {
  return Guarded("xrBeginFrame", [&](auto&) {
    InstanceObj* inst = nullptr;
    SessionObj* session = FindSession(handle, &inst);
    if (session == nullptr || inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (session->lost) return XR_ERROR_SESSION_LOST;
    if (info != nullptr && info->type != XR_TYPE_FRAME_BEGIN_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (!Running(*session)) return XR_ERROR_SESSION_NOT_RUNNING;
    if (!session->waited) return XR_ERROR_CALL_ORDER_INVALID;
    const bool discarded = session->begun.has_value();
    session->begun = session->waited;
    session->waited.reset();
    return discarded ? XR_FRAME_DISCARDED : XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL EndFrame(XrSession handle, const XrFrameEndInfo* info) {
  return Guarded("xrEndFrame", [&](auto&) {
    InstanceObj* inst = nullptr;
    SessionObj* session = FindSession(handle, &inst);
    if (session == nullptr || inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (session->lost) return XR_ERROR_SESSION_LOST;
    if (info == nullptr || info->type != XR_TYPE_FRAME_END_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (!Running(*session)) return XR_ERROR_SESSION_NOT_RUNNING;
    if (!session->begun) return XR_ERROR_CALL_ORDER_INVALID;
    if (info->displayTime <= 0) return XR_ERROR_TIME_INVALID;
    if (!BlendModeOffered(*inst, info->environmentBlendMode)) {
      return XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED;
    }
    if (XrResult r = CheckLayers(*inst, *session, *info); r != XR_SUCCESS) {
      Log("xrEndFrame: the submitted layers are invalid: " + ResultName(r));
      return r;
    }
    const std::int64_t frame = *session->begun;
    session->begun.reset();
    const auto predicted = session->predicted.find(frame);
    CaptureFrame(*inst, *session, frame,
                 predicted == session->predicted.end() ? 0 : predicted->second, *info);
    ++session->frames_ended;
    // The first frame ended synchronises the loop: the session becomes visible and focused.
    if (session->state == XR_SESSION_STATE_SYNCHRONIZED && !session->exit_requested) {
      SetSessionState(*inst, *session, XR_SESSION_STATE_VISIBLE);
      SetSessionState(*inst, *session, XR_SESSION_STATE_FOCUSED);
    }
    const auto& instance_loss_after = inst->config.instance_loss_after_frames;
    if (instance_loss_after && session->frames_ended == *instance_loss_after) {
      // e.g. the runtime is being shut down or updated
      XrEventDataInstanceLossPending loss{XR_TYPE_EVENT_DATA_INSTANCE_LOSS_PENDING};
      loss.lossTime = NowNs();
      PushEvent(*inst, &loss, sizeof(loss));
    }
    const auto& loss_after = inst->config.loss_after_frames;
    if (loss_after && session->frames_ended == *loss_after) {
      session->lost = true;  // e.g. the headset was unplugged
      SetSessionState(*inst, *session, XR_SESSION_STATE_LOSS_PENDING);
      return XR_SUCCESS;
    }
    const auto& exit_after = inst->config.exit_after_frames;
    if (exit_after && session->frames_ended == *exit_after && !session->exit_requested) {
      StopSession(*inst, *session);  // the simulated user takes the headset off and quits
    }
    return XR_SUCCESS;
  });
}

}  // namespace muta::xr::sim
