// Capture for tests: every ended frame is recorded in capture_dir/frames.jsonl (one JSON
// object per line: frame index, predicted and submitted display time, blend mode, layers
// with their views, poses, fields of view and swapchain images), and the eye images of the
// projection layers are read back from the swapchain textures and written as PNG.
#include <cstdio>
#include <filesystem>
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

/// Reads a colour sub-image back as RGBA8, top row first, and writes it as PNG. The pixel
/// values are stored as they are (an sRGB swapchain's bytes are already sRGB-encoded).
void WritePng(const XrSwapchainSubImage& sub, const std::filesystem::path& path) {
  const SwapchainObj* s = Find<SwapchainObj>(sub.swapchain);
  const GlApi& gl = s->gl;
  const int w = sub.imageRect.extent.width;
  const int h = sub.imageRect.extent.height;
  std::vector<unsigned char> pixels(std::size_t(w) * h * 4);
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
                        static_cast<GLint>(sub.imageArrayIndex), w, h, 1, GL_RGBA, GL_UNSIGNED_BYTE,
                        static_cast<GLsizei>(pixels.size()), pixels.data());
  gl.BindBuffer(GL_PIXEL_PACK_BUFFER, static_cast<GLuint>(pack_buffer));
  gl.PixelStorei(GL_PACK_ALIGNMENT, alignment);
  gl.PixelStorei(GL_PACK_ROW_LENGTH, row_length);
  gl.PixelStorei(GL_PACK_SKIP_PIXELS, skip_pixels);
  gl.PixelStorei(GL_PACK_SKIP_ROWS, skip_rows);
  if (const GLenum error = gl.GetError(); error != GL_NO_ERROR) {
    Log("capture: GL error " + std::to_string(error) + " reading back " + path.string());
    return;
  }
  // GL's rows go bottom to top, PNG's top to bottom. Written to a temporary name and
  // renamed, so a reader never sees half a file.
  const std::filesystem::path temp = path.string() + ".tmp";
  const int ok =
      stbi_write_png(temp.c_str(), w, h, 4, pixels.data() + std::size_t(h - 1) * w * 4, -w * 4);
  std::error_code ec;
  if (ok != 0) std::filesystem::rename(temp, path, ec);
  if (ok == 0 || ec) Log("capture: cannot write " + path.string());
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
          WritePng(view.subImage, config.capture_dir / name);
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
    }
    record["layers"].push_back(entry);
  }
  const std::string line = record.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), session.frame_log);
  std::fflush(session.frame_log);
}

}  // namespace muta::xr::sim
