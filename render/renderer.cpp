#include "render/renderer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>

#include <spdlog/spdlog.h>
#include <Eigen/Geometry>

#include "core/error.h"
#include "core/image_io.h"
#include "render/distortion.h"
#include "render/gl_util.h"
#include "render/section_caps.h"
#include "render/shadow_map.h"
#include "render/vertex_data.h"

namespace muta::render {
namespace {

// The GL state this renderer relies on (the context may be shared with a viewer or ImGui).
void SetRendererGlState() {
  glClipControl(GL_LOWER_LEFT, GL_ZERO_TO_ONE);
  glDisable(GL_CULL_FACE);
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);
  glDisable(GL_STENCIL_TEST);
  glDisable(GL_FRAMEBUFFER_SRGB);
  glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
}

enum ColorMode : int { kBaseColor = 0, kVertexColor = 1, kTexture = 2 };

struct GpuObject {
  gl::VertexArray vao;
  gl::Buffer vertices;
  gl::Buffer indices;
  gl::Buffer face_data;  // one packed uint per triangle (PackFaceData); empty = all observed
  GLsizei index_count = 0;
  gl::Texture texture;
  ColorMode color_mode = kBaseColor;
  Eigen::Vector3f base_color = Eigen::Vector3f::Constant(0.7f);
  bool casts_shadow = true;
  bool visible = true;
  Box3f bounds;
};

// What a layer/section setting changes in the shadow map (the split does not).
struct ShadowKey {
  bool show_observed = true, show_inferred = true;
  std::vector<Eigen::Vector4d> planes;
  bool operator==(const ShadowKey&) const = default;
};

// Framebuffers for one image size: the metric-depth target (camera z in R32F, single sample),
// the colour target (multisampled when samples > 1) and the single-sample resolve of a
// multisampled colour target.
struct Targets {
  int width = 0, height = 0, samples = 0;
  gl::Framebuffer depth_fbo;
  gl::Renderbuffer depth_value, depth_depth;
  gl::Framebuffer color_fbo;
  gl::Renderbuffer color, color_depth;
  gl::Framebuffer resolve_fbo;
  gl::Renderbuffer resolve;
};

gl::Renderbuffer MakeRenderbuffer(int samples, GLenum format, int width, int height) {
  gl::Renderbuffer rb = gl::CreateRenderbuffer();
  if (samples > 1) {
    glNamedRenderbufferStorageMultisample(rb.get(), samples, format, width, height);
  } else {
    glNamedRenderbufferStorage(rb.get(), format, width, height);
  }
  return rb;
}

void Attach(GLuint fbo, GLenum attachment, const gl::Renderbuffer& rb) {
  glNamedFramebufferRenderbuffer(fbo, attachment, GL_RENDERBUFFER, rb.get());
}

void AllocateTargets(Targets& t, int width, int height, int samples) {
  if (t.width == width && t.height == height && t.samples == samples) return;
  t = Targets{};
  t.depth_fbo = gl::CreateFramebuffer();
  t.depth_value = MakeRenderbuffer(1, GL_R32F, width, height);
  t.depth_depth = MakeRenderbuffer(1, GL_DEPTH_COMPONENT32F, width, height);
  Attach(t.depth_fbo.get(), GL_COLOR_ATTACHMENT0, t.depth_value);
  Attach(t.depth_fbo.get(), GL_DEPTH_ATTACHMENT, t.depth_depth);
  gl::CheckFramebuffer(t.depth_fbo.get(), "depth");

  t.color_fbo = gl::CreateFramebuffer();
  t.color = MakeRenderbuffer(samples, GL_SRGB8_ALPHA8, width, height);
  // Depth with stencil: the stencil counts the cut's crossings for the section caps.
  t.color_depth = MakeRenderbuffer(samples, GL_DEPTH32F_STENCIL8, width, height);
  Attach(t.color_fbo.get(), GL_COLOR_ATTACHMENT0, t.color);
  Attach(t.color_fbo.get(), GL_DEPTH_STENCIL_ATTACHMENT, t.color_depth);
  if (samples > 1) {
    t.resolve_fbo = gl::CreateFramebuffer();
    t.resolve = MakeRenderbuffer(1, GL_SRGB8_ALPHA8, width, height);
    Attach(t.resolve_fbo.get(), GL_COLOR_ATTACHMENT0, t.resolve);
    gl::CheckFramebuffer(t.resolve_fbo.get(), "resolve");
  }
  gl::CheckFramebuffer(t.color_fbo.get(), "colour");
  gl::CheckError("allocating render targets");
  t.width = width;
  t.height = height;
  t.samples = samples;
}

Eigen::Matrix4d Matrix4(const Rigid3d& pose) {
  Eigen::Matrix4d m = Eigen::Matrix4d::Identity();
  m.topRows<3>() = pose.ToMatrix();
  return m;
}

// Image (top row first, 1/3/4 channels) -> RGBA rows bottom first, as GL wants them for
// UV (0, 0) = bottom-left.
std::vector<std::uint8_t> TextureRows(const Image& image) {
  std::vector<std::uint8_t> rgba(std::size_t(image.width) * image.height * 4);
  for (int y = 0; y < image.height; ++y) {
    std::uint8_t* dst = &rgba[std::size_t(image.height - 1 - y) * image.width * 4];
    for (int x = 0; x < image.width; ++x, dst += 4) {
      if (image.channels >= 3) {
        for (int c = 0; c < 3; ++c) dst[c] = image.at(x, y, c);
      } else {
        dst[0] = dst[1] = dst[2] = image.at(x, y, 0);
      }
      dst[3] = 255;
    }
  }
  return rgba;
}

bool SameCamera(const Camera& a, const Camera& b) {
  return a.model == b.model && a.width == b.width && a.height == b.height && a.params == b.params;
}

std::uint8_t ToSrgb8(float linear) {
  return static_cast<std::uint8_t>(std::lround(255.0f * LinearToSrgb(linear)));
}

}  // namespace

// Declared in section_caps.h (the caps' stencil passes use it too).
void SetLayerUniforms(GLuint program, const RenderOptions& options, float viewport_width,
                      bool shadow_pass, const std::vector<Eigen::Vector4d>* planes_instead) {
  const LayerOptions& layers = options.layers;
  gl::SetUniform(program, "u_show_observed", layers.show_observed ? 1 : 0);
  gl::SetUniform(program, "u_show_inferred", layers.show_inferred ? 1 : 0);
  gl::SetUniform(program, "u_split", shadow_pass ? -1.0f : layers.split);
  gl::SetUniform(program, "u_viewport_width", viewport_width);
  const std::vector<Eigen::Vector4d>& chosen =
      planes_instead ? *planes_instead : options.section_planes;
  const int count = static_cast<int>(chosen.size());
  gl::SetUniform(program, "u_num_planes", count);
  if (count > 0) {
    std::vector<float> planes;
    for (const Eigen::Vector4d& plane : chosen) {
      // Unit normal: distances in metres in the shader.
      const Eigen::Vector4d unit = plane / plane.head<3>().norm();
      for (int i = 0; i < 4; ++i) planes.push_back(static_cast<float>(unit[i]));
    }
    glProgramUniform4fv(program, glGetUniformLocation(program, "u_planes"), count, planes.data());
  }
}

// Pixel u = fx x/z + cx lands at window x = u (GL pixel centres are at +0.5 too) and
// v = fy y/z + cy at window y = height - v (GL's window y is up; rows are flipped on read-back).
Eigen::Matrix4d ClipFromCamera(const Camera& camera, double near_m, double far_m) {
  const double w = camera.width, h = camera.height;
  Eigen::Matrix4d p = Eigen::Matrix4d::Zero();
  p(0, 0) = 2 * camera.FocalX() / w;
  p(0, 2) = 2 * camera.PrincipalX() / w - 1;
  p(1, 1) = -2 * camera.FocalY() / h;
  p(1, 2) = 1 - 2 * camera.PrincipalY() / h;
  p(2, 2) = -near_m / (far_m - near_m);
  p(2, 3) = near_m * far_m / (far_m - near_m);
  p(3, 2) = 1;
  return p;
}

void RenderOptions::Check() const {
  MUTA_CHECK(std::isfinite(near_m) && near_m > 0)
      << "RenderOptions.near_m must be > 0 metres, got " << near_m;
  MUTA_CHECK(std::isfinite(far_m) && far_m > near_m)
      << "RenderOptions.far_m must be finite and beyond near_m (" << near_m << "), got " << far_m;
  MUTA_CHECK(samples >= 1 && samples <= 16)
      << "RenderOptions.samples must be 1..16, got " << samples;
  const Lighting& l = lighting;
  MUTA_CHECK(l.sun_direction.allFinite() && l.sun_direction.norm() > 1e-6f)
      << "Lighting.sun_direction must be a finite non-zero vector";
  MUTA_CHECK(std::isfinite(l.sun_intensity) && l.sun_intensity >= 0)
      << "Lighting.sun_intensity must be >= 0, got " << l.sun_intensity;
  MUTA_CHECK(std::isfinite(l.ambient_intensity) && l.ambient_intensity >= 0)
      << "Lighting.ambient_intensity must be >= 0, got " << l.ambient_intensity;
  for (const auto* c : {&l.sun_color, &l.sky_color, &l.ground_color, &l.background}) {
    MUTA_CHECK(c->allFinite() && (c->array() >= 0).all())
        << "Lighting colours must be finite and >= 0";
  }
  MUTA_CHECK(l.shadow_map_size >= 64 && l.shadow_map_size <= 16384)
      << "Lighting.shadow_map_size must be 64..16384, got " << l.shadow_map_size;
  MUTA_CHECK(layers.inferred_color.allFinite() && (layers.inferred_color.array() >= 0).all())
      << "LayerOptions.inferred_color must be finite and >= 0";
  MUTA_CHECK(std::isfinite(layers.split) && layers.split <= 1)
      << "LayerOptions.split must be in [0, 1] (or < 0 for off), got " << layers.split;
  MUTA_CHECK(section_planes.size() <= std::size_t(kMaxSectionPlanes))
      << "RenderOptions.section_planes: at most " << kMaxSectionPlanes << " planes, got "
      << section_planes.size();
  for (const Eigen::Vector4d& plane : section_planes) {
    MUTA_CHECK(plane.allFinite() && plane.head<3>().norm() > 1e-12)
        << "RenderOptions.section_planes: a plane (n, d) needs a finite non-zero normal n";
  }
  MUTA_CHECK(section_cap_color.allFinite() && (section_cap_color.array() >= 0).all())
      << "RenderOptions.section_cap_color must be finite and >= 0";
}

struct PreparedObject::Data {
  VertexData vertex_data;
  std::vector<std::uint32_t> face_data;
  std::optional<Image> texture;
  bool repeat_texture = true;
  Eigen::Vector3f base_color;
  bool casts_shadow = true;
  bool vertex_colors = false;
};

PreparedObject::PreparedObject() = default;
PreparedObject::~PreparedObject() = default;
PreparedObject::PreparedObject(PreparedObject&&) noexcept = default;
PreparedObject& PreparedObject::operator=(PreparedObject&&) noexcept = default;

std::size_t PreparedObject::GpuBytes() const {
  if (!data_) return 0;
  std::size_t bytes = data_->vertex_data.vertices.size() * sizeof(GpuVertex) +
                      data_->vertex_data.indices.size() * sizeof(std::uint32_t) +
                      data_->face_data.size() * sizeof(std::uint32_t);
  if (data_->texture) {
    bytes += std::size_t(data_->texture->width) * data_->texture->height * 4 * 4 / 3;
  }
  return bytes;
}

std::size_t PreparedObject::NumFaces() const {
  return data_ ? data_->vertex_data.indices.size() / 3 : 0;
}

struct Renderer::Impl {
  gl::Program mesh_program;
  gl::Program depth_program;
  gl::Program shadow_program;
  std::optional<SectionCaps> caps;
  bool warned_no_stencil = false;
  std::map<int, GpuObject> objects;
  int next_id = 0;
  std::uint64_t scene_version = 0;  // bumped by every change that can move shadows

  Targets targets;
  ShadowMap shadow_map;
  ShadowFit shadow_fit;
  std::uint64_t shadow_scene_version = ~std::uint64_t{0};
  Eigen::Vector3f shadow_sun = Eigen::Vector3f::Zero();
  ShadowKey shadow_key;
  bool shadow_valid = false;
  gl::Buffer empty_face_data;  // bound for objects without per-face data

  std::optional<UndistortedView> undistorted;  // the last distorted camera's plan
  int max_samples = 1;
  int max_size = 4096;

  GpuObject Upload(PreparedObject::Data& object);
  bool UpdateShadowMap(const RenderOptions& options);
  RenderResult RenderPinhole(const Camera& camera, const Rigid3d& cam_from_world,
                             const RenderOptions& options);
  /// The colour pass into the bound draw framebuffer (viewport set by the caller).
  void DrawColor(const Eigen::Matrix4f& clip_from_world, const Rigid3d& cam_from_world,
                 const RenderOptions& options, bool shadows, float viewport_width);
  void DrawObjects(GLuint program, bool shadow_casters_only);
  /// Section caps into the bound draw framebuffer, after DrawColor, with its depth buffer and
  /// a stencil buffer of >= 1 bit (cleared here).
  void DrawCaps(const Eigen::Matrix4f& clip_from_world, const Eigen::Vector3d& eye,
                const RenderOptions& options, float viewport_width);
};

PreparedObject Renderer::Prepare(SceneObject object) {
  object.mesh.Check();
  PreparedObject prepared;
  prepared.data_ = std::make_unique<PreparedObject::Data>();
  PreparedObject::Data& d = *prepared.data_;
  if (object.texture && !object.texture->Empty()) {
    const Image& image = *object.texture;
    MUTA_CHECK(image.channels >= 1 && image.channels <= 4 &&
               image.pixels.size() == std::size_t(image.width) * image.height * image.channels)
        << "SceneObject.texture: bad image (" << image.width << "x" << image.height << "x"
        << image.channels << ")";
    MUTA_CHECK(!object.mesh.uvs.empty() || object.mesh.faces.empty())
        << "SceneObject has a texture but its mesh has no UVs";
    d.texture = std::move(object.texture);
  }
  d.vertex_data = BuildVertexData(object.mesh);
  d.face_data = PackFaceData(object.mesh);
  d.repeat_texture = object.repeat_texture;
  d.base_color = object.base_color;
  d.casts_shadow = object.casts_shadow;
  d.vertex_colors = !object.mesh.colors.empty();
  return prepared;
}

GpuObject Renderer::Impl::Upload(PreparedObject::Data& object) {
  const VertexData& data = object.vertex_data;
  GpuObject gpu;
  gpu.bounds = data.bounds;
  gpu.casts_shadow = object.casts_shadow;
  gpu.base_color = object.base_color;
  gpu.index_count = static_cast<GLsizei>(data.indices.size());
  gpu.vertices = gl::CreateBuffer();
  gpu.indices = gl::CreateBuffer();
  glNamedBufferStorage(
      gpu.vertices.get(),
      static_cast<GLsizeiptr>(std::max<std::size_t>(1, data.vertices.size()) * sizeof(GpuVertex)),
      data.vertices.empty() ? nullptr : data.vertices.data(), 0);
  glNamedBufferStorage(
      gpu.indices.get(),
      static_cast<GLsizeiptr>(std::max<std::size_t>(1, data.indices.size()) * sizeof(GLuint)),
      data.indices.empty() ? nullptr : data.indices.data(), 0);
  if (!object.face_data.empty()) {
    gpu.face_data = gl::CreateBuffer();
    glNamedBufferStorage(gpu.face_data.get(),
                         static_cast<GLsizeiptr>(object.face_data.size() * sizeof(GLuint)),
                         object.face_data.data(), 0);
  }

  gpu.vao = gl::CreateVertexArray();
  const GLuint vao = gpu.vao.get();
  glVertexArrayVertexBuffer(vao, 0, gpu.vertices.get(), 0, sizeof(GpuVertex));
  glVertexArrayElementBuffer(vao, gpu.indices.get());
  const auto attribute = [vao](GLuint index, GLint size, GLenum type, GLboolean normalized,
                               std::size_t offset) {
    glEnableVertexArrayAttrib(vao, index);
    glVertexArrayAttribFormat(vao, index, size, type, normalized, static_cast<GLuint>(offset));
    glVertexArrayAttribBinding(vao, index, 0);
  };
  attribute(0, 3, GL_FLOAT, GL_FALSE, offsetof(GpuVertex, position));
  attribute(1, 3, GL_FLOAT, GL_FALSE, offsetof(GpuVertex, normal));
  attribute(2, 2, GL_FLOAT, GL_FALSE, offsetof(GpuVertex, uv));
  attribute(3, 4, GL_UNSIGNED_BYTE, GL_TRUE, offsetof(GpuVertex, color));

  if (object.texture) {
    // A texture larger than the GL allows (a large atlas on a GPU with a smaller limit) is
    // shown downscaled rather than refused: the model stays viewable, the detail is what the
    // GPU can hold.
    std::optional<Image> smaller;
    if (object.texture->width > max_size || object.texture->height > max_size) {
      const double scale =
          double(max_size) / double(std::max(object.texture->width, object.texture->height));
      const int w = std::clamp(int(std::floor(object.texture->width * scale)), 1, max_size);
      const int h = std::clamp(int(std::floor(object.texture->height * scale)), 1, max_size);
      spdlog::warn("a {}x{} texture is larger than this GPU allows ({} a side): shown at {}x{}",
                   object.texture->width, object.texture->height, max_size, w, h);
      smaller = ResizeImage(*object.texture, w, h);
    }
    const Image& image = smaller ? *smaller : *object.texture;
    const int levels =
        1 + static_cast<int>(std::floor(std::log2(std::max(image.width, image.height))));
    gpu.texture = gl::CreateTexture(GL_TEXTURE_2D);
    const GLuint tex = gpu.texture.get();
    glTextureStorage2D(tex, levels, GL_SRGB8_ALPHA8, image.width, image.height);
    const std::vector<std::uint8_t> rows = TextureRows(image);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTextureSubImage2D(tex, 0, 0, 0, image.width, image.height, GL_RGBA, GL_UNSIGNED_BYTE,
                        rows.data());
    glGenerateTextureMipmap(tex);
    const GLint wrap = object.repeat_texture ? GL_REPEAT : GL_CLAMP_TO_EDGE;
    glTextureParameteri(tex, GL_TEXTURE_WRAP_S, wrap);
    glTextureParameteri(tex, GL_TEXTURE_WRAP_T, wrap);
    glTextureParameteri(tex, GL_TEXTURE_MIN_FILTER, GL_LINEAR_MIPMAP_LINEAR);
    glTextureParameteri(tex, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    gpu.color_mode = kTexture;
  } else if (object.vertex_colors) {
    gpu.color_mode = kVertexColor;
  }
  gl::CheckError("uploading a scene object");
  return gpu;
}

bool Renderer::Impl::UpdateShadowMap(const RenderOptions& options) {
  const Lighting& lighting = options.lighting;
  if (!lighting.shadows) return false;
  const ShadowKey key{options.layers.show_observed, options.layers.show_inferred,
                      options.section_planes};
  Box3f casters;
  for (const auto& [id, object] : objects) {
    if (!object.visible || !object.casts_shadow || object.index_count == 0) continue;
    casters.Extend(object.bounds.min);
    casters.Extend(object.bounds.max);
  }
  if (casters.Empty()) return false;
  const Eigen::Vector3f sun = lighting.sun_direction.normalized();
  const int size = std::min(lighting.shadow_map_size, max_size);
  if (shadow_valid && shadow_scene_version == scene_version && shadow_sun == sun &&
      shadow_map.size() == size && shadow_key == key) {
    return true;
  }
  GLint previous_framebuffer = 0;
  glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &previous_framebuffer);
  shadow_map.Allocate(size);
  shadow_fit = FitShadow(casters, sun, size);

  glBindFramebuffer(GL_FRAMEBUFFER, shadow_map.framebuffer());
  glViewport(0, 0, size, size);
  glEnable(GL_DEPTH_TEST);
  glDepthFunc(GL_LESS);
  glDepthMask(GL_TRUE);
  const float one = 1.0f;
  glClearNamedFramebufferfv(shadow_map.framebuffer(), GL_DEPTH, 0, &one);
  // Slope-scaled bias against acne; mesh.frag adds a normal offset.
  glEnable(GL_POLYGON_OFFSET_FILL);
  glPolygonOffset(1.5f, 2.0f);
  gl::SetUniform(shadow_program.get(), "u_clip_from_world", shadow_fit.clip_from_world);
  SetLayerUniforms(shadow_program.get(), options, static_cast<float>(size), true);
  DrawObjects(shadow_program.get(), true);
  glDisable(GL_POLYGON_OFFSET_FILL);
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, static_cast<GLuint>(previous_framebuffer));
  gl::CheckError("rendering the shadow map");

  shadow_valid = true;
  shadow_scene_version = scene_version;
  shadow_sun = sun;
  shadow_key = key;
  return true;
}

void Renderer::Impl::DrawObjects(GLuint program, bool shadow_casters_only) {
  glUseProgram(program);
  for (const auto& [id, object] : objects) {
    if (!object.visible || object.index_count == 0) continue;
    if (shadow_casters_only && !object.casts_shadow) continue;
    if (program == mesh_program.get()) {
      gl::SetUniform(program, "u_color_mode", static_cast<int>(object.color_mode));
      gl::SetUniform(program, "u_base_color", object.base_color);
      glBindTextureUnit(0, object.texture.get());
    }
    const bool has_face_data = static_cast<bool>(object.face_data);
    gl::SetUniform(program, "u_has_face_data", has_face_data ? 1 : 0);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0,
                     has_face_data ? object.face_data.get() : empty_face_data.get());
    glBindVertexArray(object.vao.get());
    glDrawElements(GL_TRIANGLES, object.index_count, GL_UNSIGNED_INT, nullptr);
  }
  glBindVertexArray(0);
}

void Renderer::Impl::DrawColor(const Eigen::Matrix4f& clip_from_world,
                               const Rigid3d& cam_from_world, const RenderOptions& options,
                               bool shadows, float viewport_width) {
  const Lighting& lighting = options.lighting;
  const GLuint mp = mesh_program.get();
  gl::SetUniform(mp, "u_clip_from_world", clip_from_world);
  gl::SetUniform(mp, "u_cam_from_world", Eigen::Matrix4f(Matrix4(cam_from_world).cast<float>()));
  gl::SetUniform(mp, "u_eye", Eigen::Vector3f(CameraCenter(cam_from_world).cast<float>()));
  gl::SetUniform(mp, "u_sun_direction", Eigen::Vector3f(lighting.sun_direction.normalized()));
  gl::SetUniform(mp, "u_sun_irradiance",
                 Eigen::Vector3f(lighting.sun_color * lighting.sun_intensity));
  gl::SetUniform(mp, "u_sky_ambient",
                 Eigen::Vector3f(lighting.sky_color * lighting.ambient_intensity));
  gl::SetUniform(mp, "u_ground_ambient",
                 Eigen::Vector3f(lighting.ground_color * lighting.ambient_intensity));
  gl::SetUniform(mp, "u_texture", 0);
  gl::SetUniform(mp, "u_shadow_map", 1);
  gl::SetUniform(mp, "u_shadows", shadows ? 1 : 0);
  if (shadows) {
    gl::SetUniform(mp, "u_shadow_from_world", shadow_fit.shadow_from_world);
    gl::SetUniform(mp, "u_shadow_texel", shadow_fit.texel_metres);
    gl::SetUniform(mp, "u_shadow_texel_uv", 1.0f / static_cast<float>(shadow_map.size()));
    glBindTextureUnit(1, shadow_map.texture());
  }
  const LayerOptions& layers = options.layers;
  gl::SetUniform(mp, "u_highlight_inferred", layers.highlight_inferred ? 1 : 0);
  gl::SetUniform(mp, "u_inferred_color", layers.inferred_color);
  gl::SetUniform(mp, "u_heatmap", layers.confidence_heatmap ? 1 : 0);
  gl::SetUniform(mp, "u_exact_color", options.exact_colors ? 1 : 0);
  SetLayerUniforms(mp, options, viewport_width, false);
  DrawObjects(mp, false);
}

void Renderer::Impl::DrawCaps(const Eigen::Matrix4f& clip_from_world, const Eigen::Vector3d& eye,
                              const RenderOptions& options, float viewport_width) {
  if (options.section_planes.empty()) return;
  Box3f bounds;
  for (const auto& [id, object] : objects) {
    if (!object.visible || object.index_count == 0) continue;
    bounds.Extend(object.bounds.min);
    bounds.Extend(object.bounds.max);
  }
  if (bounds.Empty()) return;
  caps->Draw(
      bounds, depth_program.get(), [this](GLuint program) { DrawObjects(program, false); },
      clip_from_world, eye, options, viewport_width);
}

RenderResult Renderer::Impl::RenderPinhole(const Camera& camera, const Rigid3d& cam_from_world,
                                           const RenderOptions& options) {
  const int width = camera.width, height = camera.height;
  MUTA_CHECK(width <= max_size && height <= max_size)
      << "image size " << width << "x" << height << " exceeds the GL limit of " << max_size
      << " pixels per side";
  const int samples = std::min(options.samples, max_samples);
  const Lighting& lighting = options.lighting;

  SetRendererGlState();

  const bool shadows = UpdateShadowMap(options);
  AllocateTargets(targets, width, height, samples);

  const Eigen::Matrix4d cam_from_world_m = Matrix4(cam_from_world);
  const Eigen::Matrix4f clip_from_world =
      (ClipFromCamera(camera, options.near_m, options.far_m) * cam_from_world_m).cast<float>();
  const Eigen::Matrix4f cam_from_world_f = cam_from_world_m.cast<float>();
  const float zero = 0.0f;
  glViewport(0, 0, width, height);
  glEnable(GL_DEPTH_TEST);
  glDepthMask(GL_TRUE);
  glDepthFunc(GL_GREATER);  // reversed depth: near 1, far 0

  // 1. Metric depth (single sample): camera-frame z in metres, 0 = background.
  const GLuint dp = depth_program.get();
  gl::SetUniform(dp, "u_clip_from_world", clip_from_world);
  gl::SetUniform(dp, "u_cam_from_world", cam_from_world_f);
  SetLayerUniforms(dp, options, static_cast<float>(width), false);
  glBindFramebuffer(GL_FRAMEBUFFER, targets.depth_fbo.get());
  glClearNamedFramebufferfv(targets.depth_fbo.get(), GL_COLOR, 0, &zero);
  glClearNamedFramebufferfv(targets.depth_fbo.get(), GL_DEPTH, 0, &zero);
  DrawObjects(dp, false);
  gl::CheckError("the depth pass");

  // 2. Colour (multisampled when samples > 1). The sRGB framebuffer encodes the shader's
  // linear output.
  glEnable(GL_FRAMEBUFFER_SRGB);
  glEnable(GL_MULTISAMPLE);
  const Eigen::Vector4f background(lighting.background.x(), lighting.background.y(),
                                   lighting.background.z(), 1.0f);
  glBindFramebuffer(GL_FRAMEBUFFER, targets.color_fbo.get());
  glClearNamedFramebufferfv(targets.color_fbo.get(), GL_COLOR, 0, background.data());
  glClearNamedFramebufferfv(targets.color_fbo.get(), GL_DEPTH, 0, &zero);
  DrawColor(clip_from_world, cam_from_world, options, shadows, static_cast<float>(width));
  DrawCaps(clip_from_world, CameraCenter(cam_from_world), options, static_cast<float>(width));
  GLuint read_fbo = targets.color_fbo.get();
  if (samples > 1) {
    // Resolve with sRGB conversion on: samples are averaged in linear light.
    glBlitNamedFramebuffer(targets.color_fbo.get(), targets.resolve_fbo.get(), 0, 0, width, height,
                           0, 0, width, height, GL_COLOR_BUFFER_BIT, GL_NEAREST);
    read_fbo = targets.resolve_fbo.get();
  }
  glDisable(GL_FRAMEBUFFER_SRGB);
  gl::CheckError("the colour pass");

  // 3. Read back (GL rows are bottom first; Image and FloatMap are top first).
  RenderResult result;
  result.color = Image(width, height, 3);
  std::vector<std::uint8_t> rgb(std::size_t(width) * height * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, read_fbo);
  glNamedFramebufferReadBuffer(read_fbo, GL_COLOR_ATTACHMENT0);
  glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, rgb.data());
  const std::size_t row_bytes = std::size_t(width) * 3;
  for (int y = 0; y < height; ++y) {
    std::copy_n(&rgb[std::size_t(height - 1 - y) * row_bytes], row_bytes,
                &result.color.pixels[std::size_t(y) * row_bytes]);
  }
  std::vector<float> z(std::size_t(width) * height);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, targets.depth_fbo.get());
  glNamedFramebufferReadBuffer(targets.depth_fbo.get(), GL_COLOR_ATTACHMENT0);
  glReadPixels(0, 0, width, height, GL_RED, GL_FLOAT, z.data());
  result.depth = FloatMap(width, height, 1);
  for (int y = 0; y < height; ++y) {
    std::copy_n(&z[std::size_t(height - 1 - y) * width], width,
                &result.depth.data[std::size_t(y) * width]);
  }
  gl::CheckError("reading back");

  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glDepthFunc(GL_LESS);
  glClipControl(GL_LOWER_LEFT, GL_NEGATIVE_ONE_TO_ONE);
  return result;
}

Renderer::Renderer() : impl_(std::make_unique<Impl>()) {
  MUTA_CHECK(epoxy_gl_version() >= 45)
      << "the renderer needs a current OpenGL 4.5 context (create one with "
         "CreateHeadlessContext)";
  impl_->mesh_program = gl::LoadProgram("mesh.vert", "mesh.frag");
  impl_->depth_program = gl::LoadProgram("mesh.vert", "depth.frag");
  impl_->shadow_program = gl::LoadProgram("shadow.vert", "shadow.frag");
  impl_->caps.emplace();
  impl_->empty_face_data = gl::CreateBuffer();
  const GLuint observed = 0xFFFF0000u;  // observed, confidence 1
  glNamedBufferStorage(impl_->empty_face_data.get(), sizeof(observed), &observed, 0);
  glGetIntegerv(GL_MAX_SAMPLES, &impl_->max_samples);
  GLint max_renderbuffer = 0, max_texture = 0, max_viewport[2] = {0, 0};
  glGetIntegerv(GL_MAX_RENDERBUFFER_SIZE, &max_renderbuffer);
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_texture);
  glGetIntegerv(GL_MAX_VIEWPORT_DIMS, max_viewport);
  impl_->max_size = std::min({max_renderbuffer, max_texture, max_viewport[0], max_viewport[1]});
  gl::CheckError("creating the renderer");
}

Renderer::~Renderer() = default;

std::vector<int> Renderer::Add(std::vector<SceneObject> objects) {
  // All or nothing: a bad object leaves the scene as it was.
  std::vector<PreparedObject> prepared;
  prepared.reserve(objects.size());
  for (SceneObject& object : objects) prepared.push_back(Prepare(std::move(object)));
  std::vector<GpuObject> uploaded;
  uploaded.reserve(prepared.size());
  for (PreparedObject& object : prepared) uploaded.push_back(impl_->Upload(*object.data_));
  std::vector<int> ids;
  ids.reserve(uploaded.size());
  for (GpuObject& gpu : uploaded) {
    const int id = impl_->next_id++;
    impl_->objects.emplace(id, std::move(gpu));
    ids.push_back(id);
  }
  ++impl_->scene_version;
  return ids;
}

int Renderer::Add(PreparedObject object) {
  MUTA_CHECK(object.data_ != nullptr) << "Renderer::Add: the PreparedObject is empty (moved from?)";
  GpuObject gpu = impl_->Upload(*object.data_);
  const int id = impl_->next_id++;
  impl_->objects.emplace(id, std::move(gpu));
  ++impl_->scene_version;
  return id;
}

void Renderer::Remove(int id) {
  const auto it = impl_->objects.find(id);
  MUTA_CHECK(it != impl_->objects.end()) << "Renderer::Remove: no object with id " << id;
  const bool visible = it->second.visible;
  impl_->objects.erase(it);
  if (visible) ++impl_->scene_version;
}

int Renderer::NumObjects() const {
  return static_cast<int>(impl_->objects.size());
}

void Renderer::Clear() {
  impl_->objects.clear();
  ++impl_->scene_version;
}

void Renderer::SetVisible(int id, bool visible) {
  const auto it = impl_->objects.find(id);
  MUTA_CHECK(it != impl_->objects.end()) << "Renderer::SetVisible: no object with id " << id;
  if (it->second.visible != visible) {
    it->second.visible = visible;
    ++impl_->scene_version;
  }
}

RenderResult Renderer::Render(const Camera& camera, const Rigid3d& cam_from_world,
                              const RenderOptions& options) {
  options.Check();
  camera.Check();
  MUTA_CHECK(camera.Supported())
      << "camera " << camera.id << ": model " << CameraModelName(camera.model)
      << " cannot be rendered; use SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV or "
         "FULL_OPENCV";
  MUTA_CHECK(cam_from_world.rotation.coeffs().allFinite() &&
             cam_from_world.rotation.norm() > 1e-9 && cam_from_world.translation.allFinite())
      << "camera pose is not finite";
  Rigid3d pose = cam_from_world;
  pose.rotation.normalize();
  if (!camera.HasDistortion()) return impl_->RenderPinhole(camera, pose, options);

  if (!impl_->undistorted || !SameCamera(impl_->undistorted->camera, camera)) {
    const auto start = std::chrono::steady_clock::now();
    impl_->undistorted = PlanUndistortedView(camera, impl_->max_size);
    spdlog::debug("distortion plan for {}x{} {}: pinhole {}x{} ({:.3f} s)", camera.width,
                  camera.height, CameraModelName(camera.model), impl_->undistorted->pinhole.width,
                  impl_->undistorted->pinhole.height,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  const RenderResult pinhole = impl_->RenderPinhole(impl_->undistorted->pinhole, pose, options);
  const Eigen::Vector3f& bg = options.lighting.background;
  return ResampleDistorted(*impl_->undistorted, pinhole,
                           Color3u8(ToSrgb8(bg.x()), ToSrgb8(bg.y()), ToSrgb8(bg.z())));
}

void Renderer::Draw(const Camera& camera, const Rigid3d& cam_from_world,
                    const RenderOptions& options, int framebuffer_width, int framebuffer_height) {
  options.Check();
  camera.Check();
  MUTA_CHECK(framebuffer_width > 0 && framebuffer_height > 0 &&
             framebuffer_width <= impl_->max_size && framebuffer_height <= impl_->max_size)
      << "Renderer::Draw: framebuffer size " << framebuffer_width << "x" << framebuffer_height
      << " must be positive and at most " << impl_->max_size;
  MUTA_CHECK(cam_from_world.rotation.coeffs().allFinite() &&
             cam_from_world.rotation.norm() > 1e-9 && cam_from_world.translation.allFinite())
      << "camera pose is not finite";
  Rigid3d pose = cam_from_world;
  pose.rotation.normalize();
  GLint target = 0;
  glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &target);

  SetRendererGlState();
  const bool shadows = impl_->UpdateShadowMap(options);

  // ClipFromCamera normalises by the camera's size: the viewport's size only scales it.
  const Eigen::Matrix4f clip_from_world =
      (ClipFromCamera(camera, options.near_m, options.far_m) * Matrix4(pose)).cast<float>();
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, static_cast<GLuint>(target));
  glViewport(0, 0, framebuffer_width, framebuffer_height);
  glEnable(GL_DEPTH_TEST);
  glDepthMask(GL_TRUE);
  glDepthFunc(GL_GREATER);
  glEnable(GL_FRAMEBUFFER_SRGB);
  const Eigen::Vector3f& bg = options.lighting.background;
  glClearColor(bg.x(), bg.y(), bg.z(), 1.0f);
  glClearDepth(0.0);
  glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
  impl_->DrawColor(clip_from_world, pose, options, shadows, static_cast<float>(framebuffer_width));
  if (!options.section_planes.empty()) {
    if (StencilBits(static_cast<GLuint>(target)) > 0) {
      impl_->DrawCaps(clip_from_world, CameraCenter(pose), options,
                      static_cast<float>(framebuffer_width));
    } else if (!impl_->warned_no_stencil) {
      impl_->warned_no_stencil = true;
      spdlog::warn("the target framebuffer has no stencil buffer: section caps are not drawn");
    }
  }
  glDisable(GL_FRAMEBUFFER_SRGB);
  glClearDepth(1.0);
  glDepthFunc(GL_LESS);
  glClipControl(GL_LOWER_LEFT, GL_NEGATIVE_ONE_TO_ONE);
  gl::CheckError("Renderer::Draw");
}

}  // namespace muta::render
