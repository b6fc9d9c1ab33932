// Capture for tests: every ended frame is recorded in capture_dir/frames.jsonl (one JSON
// object per line: frame index, predicted and submitted display time, blend mode, layers
// with their views, poses, fields of view and swapchain images), and the eye images of the
// projection layers are read back from the swapchain textures and written as PNG, with the
// quad layers submitted after them composited in (what a headset would show).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <vector>

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include <nlohmann/json.hpp>

#include "xr/sim/runtime.h"

namespace muta::xr::sim {
namespace {

using nlohmann::json;

json PoseJson(const XrPosef& p) {
  return {{"position", {p.position.x, p.position.y, p.position.z}},
          {"orientation", {p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w}}};
}

std::string SpaceName(XrSpace handle) {
  const SpaceObj* space = Find<SpaceObj>(handle);
  if (space == nullptr) return "?";
  if (space->action) return "action";
  switch (space->type) {
    case XR_REFERENCE_SPACE_TYPE_VIEW:
      return "VIEW";
    case XR_REFERENCE_SPACE_TYPE_LOCAL:
      return "LOCAL";
    case XR_REFERENCE_SPACE_TYPE_STAGE:
      return "STAGE";
    default:
      return "?";
  }
}

std::string BlendName(XrEnvironmentBlendMode mode) {
  switch (mode) {
    case XR_ENVIRONMENT_BLEND_MODE_OPAQUE:
      return "opaque";
    case XR_ENVIRONMENT_BLEND_MODE_ADDITIVE:
      return "additive";
    case XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND:
      return "alpha_blend";
    default:
      return "?";
  }
}

json SubImageJson(const XrSwapchainSubImage& sub) {
  const SwapchainObj* s = Find<SwapchainObj>(sub.swapchain);
  return {{"swapchain", Id(sub.swapchain)},
          {"format", s->format},
          {"image_index", *s->released},
          {"rect",
           {sub.imageRect.offset.x, sub.imageRect.offset.y, sub.imageRect.extent.width,
            sub.imageRect.extent.height}},
          {"array_index", sub.imageArrayIndex}};
}

/// An RGBA8 image read back from a swapchain, rows bottom to top as in GL.
struct Pixels {
  int width = 0, height = 0;
  std::vector<unsigned char> rgba;
};

/// Reads a colour sub-image back as RGBA8. The pixel values are taken as they are (an sRGB
/// swapchain's bytes are already sRGB-encoded). Empty on a GL error (logged).
Pixels ReadBack(const XrSwapchainSubImage& sub) {
  const SwapchainObj* s = Find<SwapchainObj>(sub.swapchain);
  const GlApi& gl = s->gl;
  Pixels out;
  out.width = sub.imageRect.extent.width;
  out.height = sub.imageRect.extent.height;
  out.rgba.resize(std::size_t(out.width) * out.height * 4);
  // Read into client memory whatever pack state the app left behind.
  GLint pack_buffer = 0, alignment = 4, row_length = 0, skip_pixels = 0, skip_rows = 0;
  gl.GetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &pack_buffer);
  gl.GetIntegerv(GL_PACK_ALIGNMENT, &alignment);
  gl.GetIntegerv(GL_PACK_ROW_LENGTH, &row_length);
  gl.GetIntegerv(GL_PACK_SKIP_PIXELS, &skip_pixels);
  gl.GetIntegerv(GL_PACK_SKIP_ROWS, &skip_rows);
  gl.BindBuffer(GL_PIXEL_PACK_BUFFER, 0);
  gl.PixelStorei(GL_PACK_ALIGNMENT, 1);
  gl.PixelStorei(GL_PACK_ROW_LENGTH, 0);
  gl.PixelStorei(GL_PACK_SKIP_PIXELS, 0);
  gl.PixelStorei(GL_PACK_SKIP_ROWS, 0);
  gl.GetTextureSubImage(s->images[*s->released], 0, sub.imageRect.offset.x, sub.imageRect.offset.y,
                        static_cast<GLint>(sub.imageArrayIndex), out.width, out.height, 1, GL_RGBA,
                        GL_UNSIGNED_BYTE, static_cast<GLsizei>(out.rgba.size()), out.rgba.data());
  gl.BindBuffer(GL_PIXEL_PACK_BUFFER, static_cast<GLuint>(pack_buffer));
  gl.PixelStorei(GL_PACK_ALIGNMENT, alignment);
  gl.PixelStorei(GL_PACK_ROW_LENGTH, row_length);
  gl.PixelStorei(GL_PACK_SKIP_PIXELS, skip_pixels);
  gl.PixelStorei(GL_PACK_SKIP_ROWS, skip_rows);
  if (const GLenum error = gl.GetError(); error != GL_NO_ERROR) {
    Log("capture: GL error " + std::to_string(error) + " reading back swapchain " +
        std::to_string(Id(sub.swapchain)));
    return {};
  }
  return out;
}

/// Writes GL-ordered pixels as PNG (top row first).
void WritePng(const Pixels& image, const std::filesystem::path& path) {
  if (image.rgba.empty()) return;
  const int w = image.width, h = image.height;
  // Written to a temporary name and renamed, so a reader never sees half a file.
  const std::filesystem::path temp = path.string() + ".tmp";
  const int ok =
      stbi_write_png(temp.c_str(), w, h, 4, image.rgba.data() + std::size_t(h - 1) * w * 4, -w * 4);
  std::error_code ec;
  if (ok != 0) std::filesystem::rename(temp, path, ec);
  if (ok == 0 || ec) Log("capture: cannot write " + path.string());
}

/// Composites a quad layer into an eye image the way a compositor would (a simple one:
/// nearest texel, no filtering): each eye pixel's ray from `eye` (STAGE) through its
/// (asymmetric) field of view meets the quad's plane inside the quad -> the quad's texel,
/// blended by its alpha when the layer says so (premultiplied unless
/// XR_COMPOSITION_LAYER_UNPREMULTIPLIED_ALPHA_BIT).
void CompositeQuad(Pixels& eye_image, const Eigen::Isometry3d& eye, const XrFovf& fov,
                   const XrCompositionLayerQuad& quad, const Eigen::Isometry3d& quad_pose,
                   const Pixels& texture) {
  if (eye_image.rgba.empty() || texture.rgba.empty()) return;
  const Eigen::Vector3d n = quad_pose.linear() * Eigen::Vector3d::UnitZ();
  const Eigen::Vector3d c = quad_pose.translation();
  const Eigen::Matrix3d to_quad = quad_pose.linear().transpose();
  const double l = std::tan(fov.angleLeft), r = std::tan(fov.angleRight);
  const double u = std::tan(fov.angleUp), d = std::tan(fov.angleDown);
  const bool blend = (quad.layerFlags & XR_COMPOSITION_LAYER_BLEND_TEXTURE_SOURCE_ALPHA_BIT) != 0;
  const bool premultiplied =
      (quad.layerFlags & XR_COMPOSITION_LAYER_UNPREMULTIPLIED_ALPHA_BIT) == 0;
  const Eigen::Vector3d origin = eye.translation();
  for (int y = 0; y < eye_image.height; ++y) {  // GL rows: 0 at the bottom
    const double ty = d + (u - d) * (y + 0.5) / eye_image.height;
    for (int x = 0; x < eye_image.width; ++x) {
      const double tx = l + (r - l) * (x + 0.5) / eye_image.width;
      const Eigen::Vector3d dir = eye.linear() * Eigen::Vector3d(tx, ty, -1);
      const double denom = dir.dot(n);
      if (std::abs(denom) < 1e-12) continue;
      const double t = (c - origin).dot(n) / denom;
      if (!(t > 0)) continue;
      const Eigen::Vector3d local = to_quad * (origin + t * dir - c);
      const double s = local.x() / quad.size.width + 0.5, q = local.y() / quad.size.height + 0.5;
      if (s < 0 || s >= 1 || q < 0 || q >= 1) continue;
      const int tx_i = std::min(texture.width - 1, static_cast<int>(s * texture.width));
      const int ty_i = std::min(texture.height - 1, static_cast<int>(q * texture.height));
      const unsigned char* src = &texture.rgba[(std::size_t(ty_i) * texture.width + tx_i) * 4];
      unsigned char* dst = &eye_image.rgba[(std::size_t(y) * eye_image.width + x) * 4];
      const double a = blend ? src[3] / 255.0 : 1.0;
      for (int k = 0; k < 3; ++k) {
        const double colour = premultiplied || !blend ? src[k] : src[k] * a;
        dst[k] = static_cast<unsigned char>(
            std::clamp(std::lround(colour + dst[k] * (1 - a)), 0L, 255L));
      }
      dst[3] =
          static_cast<unsigned char>(std::clamp(std::lround(255 * a + dst[3] * (1 - a)), 0L, 255L));
    }
  }
}

}  // namespace

void OpenFrameLog(const InstanceObj& instance, SessionObj& session) {
  const auto& dir = instance.config.capture_dir;
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  session.frame_log = std::fopen((dir / "frames.jsonl").c_str(), "w");
  if (session.frame_log == nullptr) {
    Log("capture: cannot write " + (dir / "frames.jsonl").string() + " – capture is off");
  }
}

void CaptureFrame(const InstanceObj& instance, SessionObj& session, std::int64_t frame,
                  XrTime predicted, const XrFrameEndInfo& info) {
  if (session.frame_log == nullptr) return;
  const SimConfig& config = instance.config;
  const bool images = config.capture_images && frame % config.capture_every == 0;
  char stem[64];
  std::snprintf(stem, sizeof(stem), "frame_%06lld", static_cast<long long>(frame));

  json record = {{"frame", frame},
                 {"predicted_display_time", predicted},
                 {"display_time", info.displayTime},
                 {"display_period", session.period_ns},
                 {"time_since_begin_s", double(info.displayTime - session.begin_time) * 1e-9},
                 {"blend_mode", BlendName(info.environmentBlendMode)},
                 {"layers", json::array()}};
  int projection_index = 0;
  struct PendingEye {
    Pixels image;
    std::filesystem::path path;
    uint32_t view = 0;
    XrFovf fov{};
    std::optional<Eigen::Isometry3d> pose;  ///< the eye in STAGE
  };
  std::vector<PendingEye> pending;
  for (uint32_t i = 0; i < info.layerCount; ++i) {
    const XrCompositionLayerBaseHeader* layer = info.layers[i];
    json entry = {{"space", SpaceName(layer->space)}, {"flags", layer->layerFlags}};
    if (layer->type == XR_TYPE_COMPOSITION_LAYER_PROJECTION) {
      const auto* p = reinterpret_cast<const XrCompositionLayerProjection*>(layer);
      entry["type"] = "projection";
      entry["views"] = json::array();
      for (uint32_t v = 0; v < p->viewCount; ++v) {
        const XrCompositionLayerProjectionView& view = p->views[v];
        json view_json = {
            {"pose", PoseJson(view.pose)},
            {"fov",
             {view.fov.angleLeft, view.fov.angleRight, view.fov.angleUp, view.fov.angleDown}},
            {"image", SubImageJson(view.subImage)}};
        for (auto* n = static_cast<const XrBaseInStructure*>(view.next); n != nullptr;
             n = n->next) {
          if (n->type == XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR && instance.ext_depth) {
            const auto* d = reinterpret_cast<const XrCompositionLayerDepthInfoKHR*>(n);
            view_json["depth"] = {{"image", SubImageJson(d->subImage)},
                                  {"min_depth", d->minDepth},
                                  {"max_depth", d->maxDepth},
                                  {"near_z", d->nearZ},
                                  {"far_z", d->farZ}};
          }
        }
        const SwapchainObj* swapchain = Find<SwapchainObj>(view.subImage.swapchain);
        if (images && !swapchain->depth && view.subImage.imageRect.extent.width > 0) {
          std::string name = stem;
          if (projection_index > 0) name += "_layer" + std::to_string(projection_index);
          name += v == 0   ? "_left.png"
                  : v == 1 ? "_right.png"
                           : "_view" + std::to_string(v) + ".png";
          // Written once the later layers (quads) are composited into it.
          const SpaceObj* space = Find<SpaceObj>(layer->space);
          const auto space_pose = space != nullptr ? SpacePose(instance, *space, info.displayTime)
                                                   : std::optional<Eigen::Isometry3d>();
          pending.push_back(
              {ReadBack(view.subImage), config.capture_dir / name, v, view.fov,
               space_pose ? std::optional<Eigen::Isometry3d>(*space_pose * ToIsometry(view.pose))
                          : std::nullopt});
          view_json["png"] = name;
        }
        entry["views"].push_back(view_json);
      }
      ++projection_index;
    } else if (layer->type == XR_TYPE_COMPOSITION_LAYER_QUAD) {
      const auto* q = reinterpret_cast<const XrCompositionLayerQuad*>(layer);
      entry["type"] = "quad";
      entry["pose"] = PoseJson(q->pose);
      entry["size"] = {q->size.width, q->size.height};
      entry["image"] = SubImageJson(q->subImage);
      entry["eye_visibility"] = q->eyeVisibility == XR_EYE_VISIBILITY_BOTH   ? "both"
                                : q->eyeVisibility == XR_EYE_VISIBILITY_LEFT ? "left"
                                                                             : "right";
      // Composited into the eye images of the layers below it.
      const SpaceObj* space = Find<SpaceObj>(layer->space);
      const auto space_pose = space != nullptr ? SpacePose(instance, *space, info.displayTime)
                                               : std::optional<Eigen::Isometry3d>();
      if (!pending.empty() && space_pose) {
        const Pixels texture = ReadBack(q->subImage);
        for (PendingEye& eye : pending) {
          const bool visible = q->eyeVisibility == XR_EYE_VISIBILITY_BOTH ||
                               (q->eyeVisibility == XR_EYE_VISIBILITY_LEFT && eye.view == 0) ||
                               (q->eyeVisibility == XR_EYE_VISIBILITY_RIGHT && eye.view == 1);
          if (visible && eye.pose) {
            CompositeQuad(eye.image, *eye.pose, eye.fov, *q, *space_pose * ToIsometry(q->pose),
                          texture);
          }
        }
        entry["composited"] = true;
      }
    }
    record["layers"].push_back(entry);
  }
  for (const PendingEye& eye : pending) WritePng(eye.image, eye.path);
  const std::string line = record.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), session.frame_log);
  std::fflush(session.frame_log);
}

}  // namespace muta::xr::sim
