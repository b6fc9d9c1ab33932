// GL swapchains of the simulated headset: textures created on the app's GL context (current
// on the calling thread, as XR_KHR_opengl_enable and XR_MNDX_egl_enable require for these
// calls) and the acquire → wait → release cycle.
#include <algorithm>

#include "xr/sim/runtime.h"

namespace muta::xr::sim {
namespace {

struct Format {
  GLenum format;
  bool depth;
};
// Preferred first: sRGB colour (what a compositor shows without conversion), then depth.
constexpr Format kFormats[] = {
    {GL_SRGB8_ALPHA8, false},      {GL_RGBA8, false},           {GL_RGBA16F, false},
    {GL_DEPTH_COMPONENT32F, true}, {GL_DEPTH24_STENCIL8, true}, {GL_DEPTH_COMPONENT24, true},
    {GL_DEPTH_COMPONENT16, true},
};
constexpr std::uint32_t kImageCount = 3;

const Format* FindFormat(std::int64_t format) {
  for (const Format& f : kFormats) {
    if (f.format == format) return &f;
  }
  return nullptr;
}

}  // namespace

SwapchainObj::~SwapchainObj() {
  // The app's context is current when it destroys a swapchain (or its session/instance).
  if (!images.empty() && gl.DeleteTextures != nullptr) {
    gl.DeleteTextures(static_cast<GLsizei>(images.size()), images.data());
  }
}

XRAPI_ATTR XrResult XRAPI_CALL EnumerateSwapchainFormats(XrSession session, uint32_t capacity,
                                                         uint32_t* count, int64_t* formats) {
  return Guarded("xrEnumerateSwapchainFormats", [&](auto&) {
    if (Find<SessionObj>(session) == nullptr) return XR_ERROR_HANDLE_INVALID;
    return Enumerate(capacity, count, formats, std::size(kFormats),
                     [](int64_t& f, std::size_t i) { f = kFormats[i].format; });
  });
}

XRAPI_ATTR XrResult XRAPI_CALL CreateSwapchain(XrSession session, const XrSwapchainCreateInfo* info,
                                               XrSwapchain* out) {
  return Guarded("xrCreateSwapchain", [&](auto&) {
    SessionObj* s = Find<SessionObj>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || out == nullptr || info->type != XR_TYPE_SWAPCHAIN_CREATE_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    const Format* format = FindFormat(info->format);
    if (format == nullptr) return XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED;
    if (info->createFlags & XR_SWAPCHAIN_CREATE_PROTECTED_CONTENT_BIT) {
      return XR_ERROR_FEATURE_UNSUPPORTED;
    }
    if (info->faceCount != 1) return XR_ERROR_FEATURE_UNSUPPORTED;  // no cube maps
    if (info->sampleCount != 1 || info->width == 0 || info->height == 0 || info->width > 16384 ||
        info->height > 16384 || info->arraySize == 0 || info->mipCount == 0) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    auto swapchain = std::make_unique<SwapchainObj>();
    swapchain->format = info->format;
    swapchain->depth = format->depth;
    swapchain->width = info->width;
    swapchain->height = info->height;
    swapchain->array_size = info->arraySize;
    swapchain->mip_count = info->mipCount;
    swapchain->usage = info->usageFlags;
    swapchain->gl = s->gl;
    const GlApi& gl = s->gl;
    while (gl.GetError() != GL_NO_ERROR) {
    }
    const GLenum target = info->arraySize > 1 ? GL_TEXTURE_2D_ARRAY : GL_TEXTURE_2D;
    swapchain->images.resize(
        info->createFlags & XR_SWAPCHAIN_CREATE_STATIC_IMAGE_BIT ? 1 : kImageCount);
    gl.CreateTextures(target, static_cast<GLsizei>(swapchain->images.size()),
                      swapchain->images.data());
    for (GLuint texture : swapchain->images) {
      if (target == GL_TEXTURE_2D_ARRAY) {
        gl.TextureStorage3D(texture, static_cast<GLsizei>(info->mipCount), format->format,
                            static_cast<GLsizei>(info->width), static_cast<GLsizei>(info->height),
                            static_cast<GLsizei>(info->arraySize));
      } else {
        gl.TextureStorage2D(texture, static_cast<GLsizei>(info->mipCount), format->format,
                            static_cast<GLsizei>(info->width), static_cast<GLsizei>(info->height));
      }
      gl.TextureParameteri(texture, GL_TEXTURE_MIN_FILTER,
                           info->mipCount > 1 ? GL_LINEAR_MIPMAP_LINEAR : GL_LINEAR);
    }
    if (const GLenum error = gl.GetError(); error != GL_NO_ERROR) {
      Log("xrCreateSwapchain: GL error " + std::to_string(error) +
          " creating the images (is the app's GL context current on this thread?)");
      return XR_ERROR_RUNTIME_FAILURE;  // the destructor deletes what was created
    }
    *out = Handle<XrSwapchain>(Add(std::move(swapchain), Kind::kSwapchain, s->id)->id);
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL DestroySwapchain(XrSwapchain swapchain) {
  return Guarded("xrDestroySwapchain", [&](auto&) {
    if (Find<SwapchainObj>(swapchain) == nullptr) return XR_ERROR_HANDLE_INVALID;
    DestroyTree(Id(swapchain));
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL EnumerateSwapchainImages(XrSwapchain swapchain, uint32_t capacity,
                                                        uint32_t* count,
                                                        XrSwapchainImageBaseHeader* images) {
  return Guarded("xrEnumerateSwapchainImages", [&](auto&) {
    const SwapchainObj* s = Find<SwapchainObj>(swapchain);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    auto* gl_images = reinterpret_cast<XrSwapchainImageOpenGLKHR*>(images);
    for (uint32_t i = 0;
         gl_images != nullptr && i < std::min<std::size_t>(capacity, s->images.size()); ++i) {
      if (gl_images[i].type != XR_TYPE_SWAPCHAIN_IMAGE_OPENGL_KHR) {
        return XR_ERROR_VALIDATION_FAILURE;
      }
    }
    return Enumerate(
        capacity, count, gl_images, s->images.size(),
        [&](XrSwapchainImageOpenGLKHR& image, std::size_t i) { image.image = s->images[i]; });
  });
}

XRAPI_ATTR XrResult XRAPI_CALL AcquireSwapchainImage(XrSwapchain swapchain,
                                                     const XrSwapchainImageAcquireInfo* info,
                                                     uint32_t* index) {
  return Guarded("xrAcquireSwapchainImage", [&](auto&) {
    SwapchainObj* s = Find<SwapchainObj>(swapchain);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if ((info != nullptr && info->type != XR_TYPE_SWAPCHAIN_IMAGE_ACQUIRE_INFO) ||
        index == nullptr) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    const std::size_t in_use = s->acquired.size() + (s->waited ? 1 : 0);
    if (in_use >= s->images.size()) return XR_ERROR_CALL_ORDER_INVALID;
    *index = s->next;
    s->acquired.push_back(s->next);
    s->next = (s->next + 1) % static_cast<std::uint32_t>(s->images.size());
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL WaitSwapchainImage(XrSwapchain swapchain,
                                                  const XrSwapchainImageWaitInfo* info) {
  return Guarded("xrWaitSwapchainImage", [&](auto&) {
    SwapchainObj* s = Find<SwapchainObj>(swapchain);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || info->type != XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (s->acquired.empty() || s->waited) return XR_ERROR_CALL_ORDER_INVALID;
    // Nothing reads an image after release except xrEndFrame, synchronously: it is free.
    s->waited = s->acquired.front();
    s->acquired.pop_front();
    return XR_SUCCESS;
  });
}

XRAPI_ATTR XrResult XRAPI_CALL ReleaseSwapchainImage(XrSwapchain swapchain,
                                                     const XrSwapchainImageReleaseInfo* info) {
  return Guarded("xrReleaseSwapchainImage", [&](auto&) {
    SwapchainObj* s = Find<SwapchainObj>(swapchain);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info != nullptr && info->type != XR_TYPE_SWAPCHAIN_IMAGE_RELEASE_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (!s->waited) return XR_ERROR_CALL_ORDER_INVALID;
    s->released = s->waited;
    s->waited.reset();
    return XR_SUCCESS;
  });
}

}  // namespace muta::xr::sim
