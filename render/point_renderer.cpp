#include "render/point_renderer.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "core/error.h"
#include "render/gl_util.h"

namespace muta::render {
namespace {

struct PointVertex {
  float position[3];
  std::uint8_t color[4];
};
static_assert(sizeof(PointVertex) == 16);

// Clip from camera for COLMAP intrinsics scaled to a width x height viewport, GL's default
// depth range (-1..1): image row v lands at window y = height - v.
Eigen::Matrix4d ClipFromCamera(const Camera& camera, int width, int height, double near_m,
                               double far_m) {
  const double sx = double(width) / camera.width, sy = double(height) / camera.height;
  Eigen::Matrix4d p = Eigen::Matrix4d::Zero();
  p(0, 0) = 2 * camera.FocalX() * sx / width;
  p(0, 2) = 2 * camera.PrincipalX() * sx / width - 1;
  p(1, 1) = -2 * camera.FocalY() * sy / height;
  p(1, 2) = 1 - 2 * camera.PrincipalY() * sy / height;
  p(2, 2) = (far_m + near_m) / (far_m - near_m);
  p(2, 3) = -2 * far_m * near_m / (far_m - near_m);
  p(3, 2) = 1;
  return p;
}

float LinearToSrgbValue(float c) {
  c = std::clamp(c, 0.0f, 1.0f);
  return c <= 0.0031308f ? 12.92f * c : 1.055f * std::pow(c, 1.0f / 2.4f) - 0.055f;
}

}  // namespace

void PointRenderOptions::Check() const {
  MUTA_CHECK(std::isfinite(near_m) && near_m > 0 && std::isfinite(far_m) && far_m > near_m)
      << "PointRenderOptions: need 0 < near_m < far_m (metres), got " << near_m << ", " << far_m;
  MUTA_CHECK(point_size_px >= 1 && point_size_px <= 64)
      << "PointRenderOptions.point_size_px must be 1..64, got " << point_size_px;
  MUTA_CHECK(edl_strength >= 0 && edl_radius_px >= 0.5f && edl_radius_px <= 16)
      << "PointRenderOptions: edl_strength must be >= 0 and edl_radius_px 0.5..16";
  MUTA_CHECK(section_planes.size() <= 8)
      << "PointRenderOptions.section_planes: at most 8 planes, got " << section_planes.size();
  for (const Eigen::Vector4d& p : section_planes) {
    MUTA_CHECK(p.allFinite() && p.head<3>().norm() > 0)
        << "PointRenderOptions.section_planes: a plane needs a finite non-zero normal";
  }
}

struct PointRenderer::Impl {
  gl::Program points_program;
  gl::Program edl_program;
  gl::VertexArray vao;
  gl::Buffer buffer;
  gl::VertexArray empty_vao;  // the EDL pass draws without vertex buffers
  std::size_t count = 0;
  Box3f bounds;

  // Offscreen splat target of one size.
  int width = 0, height = 0;
  gl::Framebuffer fbo;
  gl::Texture color, cam_z;
  gl::Renderbuffer depth;
  // Render(): a colour target the EDL pass writes into for read-back.
  int out_width = 0, out_height = 0;
  gl::Framebuffer out_fbo;
  gl::Renderbuffer out_color;

  void Allocate(int w, int h) {
    if (w == width && h == height) return;
    fbo = gl::CreateFramebuffer();
    color = gl::CreateTexture(GL_TEXTURE_2D);
    cam_z = gl::CreateTexture(GL_TEXTURE_2D);
    depth = gl::CreateRenderbuffer();
    glTextureStorage2D(color.get(), 1, GL_RGBA8, w, h);
    glTextureStorage2D(cam_z.get(), 1, GL_R32F, w, h);
    for (GLuint t : {color.get(), cam_z.get()}) {
      glTextureParameteri(t, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
      glTextureParameteri(t, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    }
    glNamedRenderbufferStorage(depth.get(), GL_DEPTH_COMPONENT32F, w, h);
    glNamedFramebufferTexture(fbo.get(), GL_COLOR_ATTACHMENT0, color.get(), 0);
    glNamedFramebufferTexture(fbo.get(), GL_COLOR_ATTACHMENT1, cam_z.get(), 0);
    glNamedFramebufferRenderbuffer(fbo.get(), GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, depth.get());
    const GLenum buffers[2] = {GL_COLOR_ATTACHMENT0, GL_COLOR_ATTACHMENT1};
    glNamedFramebufferDrawBuffers(fbo.get(), 2, buffers);
    gl::CheckFramebuffer(fbo.get(), "point splats");
    width = w;
    height = h;
  }
};

PointRenderer::PointRenderer() : impl_(std::make_unique<Impl>()) {
  MUTA_CHECK(epoxy_gl_version() >= 45)
      << "the point renderer needs a current OpenGL 4.5 context (create one with "
         "CreateHeadlessContext or CreateWindowContext)";
  impl_->points_program = gl::LoadProgram("points.vert.glsl", "points.frag.glsl");
  impl_->edl_program = gl::LoadProgram("edl.vert.glsl", "edl.frag.glsl");
  impl_->empty_vao = gl::CreateVertexArray();
  gl::CheckError("creating the point renderer");
}

PointRenderer::~PointRenderer() = default;

void PointRenderer::SetPoints(const PointCloud& cloud) {
  cloud.Check();
  std::vector<PointVertex> vertices(cloud.size());
  Box3f bounds;
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    const Vec3f& p = cloud.points[i];
    MUTA_CHECK(p.allFinite()) << "point " << i << " of the cloud is not finite";
    bounds.Extend(p);
    PointVertex& v = vertices[i];
    std::copy_n(p.data(), 3, v.position);
    if (cloud.HasColors()) {
      std::copy_n(cloud.colors[i].data(), 3, v.color);
    } else {
      v.color[0] = v.color[1] = v.color[2] = 255;
    }
    v.color[3] = cloud.HasColors() ? 255 : 0;  // alpha 0: use the default colour
  }
  Impl& m = *impl_;
  m.buffer = gl::CreateBuffer();
  glNamedBufferStorage(
      m.buffer.get(),
      static_cast<GLsizeiptr>(std::max<std::size_t>(1, vertices.size()) * sizeof(PointVertex)),
      vertices.empty() ? nullptr : vertices.data(), 0);
  m.vao = gl::CreateVertexArray();
  const GLuint vao = m.vao.get();
  glVertexArrayVertexBuffer(vao, 0, m.buffer.get(), 0, sizeof(PointVertex));
  glEnableVertexArrayAttrib(vao, 0);
  glVertexArrayAttribFormat(vao, 0, 3, GL_FLOAT, GL_FALSE, offsetof(PointVertex, position));
  glVertexArrayAttribBinding(vao, 0, 0);
  glEnableVertexArrayAttrib(vao, 1);
  glVertexArrayAttribFormat(vao, 1, 4, GL_UNSIGNED_BYTE, GL_TRUE, offsetof(PointVertex, color));
  glVertexArrayAttribBinding(vao, 1, 0);
  m.count = cloud.size();
  m.bounds = bounds;
  gl::CheckError("uploading a point cloud");
}

std::size_t PointRenderer::NumPoints() const {
  return impl_->count;
}
Box3f PointRenderer::Bounds() const {
  return impl_->bounds;
}
std::size_t PointRenderer::GpuBytes() const {
  return impl_->count * sizeof(PointVertex) + std::size_t(impl_->width) * impl_->height * 12;
}

void PointRenderer::Draw(const Camera& camera, const Rigid3d& cam_from_world,
                         const PointRenderOptions& options, int framebuffer_width,
                         int framebuffer_height) {
  options.Check();
  camera.Check();
  MUTA_CHECK(framebuffer_width > 0 && framebuffer_height > 0)
      << "PointRenderer::Draw: empty viewport " << framebuffer_width << "x" << framebuffer_height;
  Impl& m = *impl_;
  GLint target = 0;
  glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &target);
  m.Allocate(framebuffer_width, framebuffer_height);

  // 1. Splats with camera depth.
  glDisable(GL_FRAMEBUFFER_SRGB);
  glDisable(GL_BLEND);
  glDisable(GL_CULL_FACE);
  glDisable(GL_SCISSOR_TEST);
  glEnable(GL_DEPTH_TEST);
  glDepthFunc(GL_LESS);
  glDepthMask(GL_TRUE);
  glEnable(GL_PROGRAM_POINT_SIZE);
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, m.fbo.get());
  glViewport(0, 0, framebuffer_width, framebuffer_height);
  const float zero[4] = {0, 0, 0, 0};
  const float one = 1;
  glClearNamedFramebufferfv(m.fbo.get(), GL_COLOR, 0, zero);
  glClearNamedFramebufferfv(m.fbo.get(), GL_COLOR, 1, zero);
  glClearNamedFramebufferfv(m.fbo.get(), GL_DEPTH, 0, &one);
  if (m.count > 0) {
    Eigen::Matrix4d cam = Eigen::Matrix4d::Identity();
    cam.topRows<3>() = cam_from_world.ToMatrix();
    const Eigen::Matrix4d clip = ClipFromCamera(camera, framebuffer_width, framebuffer_height,
                                                options.near_m, options.far_m) *
                                 cam;
    const GLuint p = m.points_program.get();
    glUseProgram(p);
    gl::SetUniform(p, "u_clip_from_world", Eigen::Matrix4f(clip.cast<float>()));
    gl::SetUniform(p, "u_cam_from_world", Eigen::Matrix4f(cam.cast<float>()));
    gl::SetUniform(p, "u_point_size", options.point_size_px);
    std::vector<float> planes;
    for (const Eigen::Vector4d& plane : options.section_planes) {
      for (int i = 0; i < 4; ++i) planes.push_back(static_cast<float>(plane[i]));
    }
    const int n = static_cast<int>(options.section_planes.size());
    gl::SetUniform(p, "u_num_planes", n);
    if (n > 0) glUniform4fv(glGetUniformLocation(p, "u_planes"), n, planes.data());
    for (int i = 0; i < 8; ++i) {
      if (i < n) {
        glEnable(GL_CLIP_DISTANCE0 + i);
      } else {
        glDisable(GL_CLIP_DISTANCE0 + i);
      }
    }
    // Points without colour carry alpha 0: the shader gives them the default colour.
    gl::SetUniform(p, "u_default_color", options.default_color);
    glBindVertexArray(m.vao.get());
    glDrawArrays(GL_POINTS, 0, static_cast<GLsizei>(m.count));
    glBindVertexArray(0);
    for (int i = 0; i < n; ++i) glDisable(GL_CLIP_DISTANCE0 + i);
  }
  gl::CheckError("drawing points");

  // 2. Eye-dome lighting into the target.
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, static_cast<GLuint>(target));
  glViewport(0, 0, framebuffer_width, framebuffer_height);
  glDisable(GL_DEPTH_TEST);
  glDepthMask(GL_FALSE);
  const GLuint e = m.edl_program.get();
  glUseProgram(e);
  glBindTextureUnit(0, m.color.get());
  glBindTextureUnit(1, m.cam_z.get());
  gl::SetUniform(e, "u_color", 0);
  gl::SetUniform(e, "u_cam_z", 1);
  gl::SetUniform(e, "u_strength", options.edl_strength);
  gl::SetUniform(e, "u_radius", options.edl_radius_px);
  gl::SetUniform(e, "u_edl", options.eye_dome_lighting ? 1 : 0);
  const Eigen::Vector3f bg(LinearToSrgbValue(options.background.x()),
                           LinearToSrgbValue(options.background.y()),
                           LinearToSrgbValue(options.background.z()));
  gl::SetUniform(e, "u_background", bg);
  glBindVertexArray(m.empty_vao.get());
  glDrawArrays(GL_TRIANGLES, 0, 3);
  glBindVertexArray(0);
  glDepthMask(GL_TRUE);
  glEnable(GL_DEPTH_TEST);
  glDisable(GL_PROGRAM_POINT_SIZE);
  gl::CheckError("eye-dome lighting");
}

Image PointRenderer::Render(const Camera& camera, const Rigid3d& cam_from_world,
                            const PointRenderOptions& options) {
  Impl& m = *impl_;
  const int w = camera.width, h = camera.height;
  if (w != m.out_width || h != m.out_height) {
    m.out_fbo = gl::CreateFramebuffer();
    m.out_color = gl::CreateRenderbuffer();
    glNamedRenderbufferStorage(m.out_color.get(), GL_RGBA8, w, h);
    glNamedFramebufferRenderbuffer(m.out_fbo.get(), GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER,
                                   m.out_color.get());
    gl::CheckFramebuffer(m.out_fbo.get(), "point image");
    m.out_width = w;
    m.out_height = h;
  }
  GLint previous = 0;
  glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &previous);
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, m.out_fbo.get());
  Draw(camera, cam_from_world, options, w, h);
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, static_cast<GLuint>(previous));
  std::vector<std::uint8_t> rgb(std::size_t(w) * h * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glNamedFramebufferReadBuffer(m.out_fbo.get(), GL_COLOR_ATTACHMENT0);
  GLint previous_read = 0;
  glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &previous_read);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, m.out_fbo.get());
  glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, rgb.data());
  glBindFramebuffer(GL_READ_FRAMEBUFFER, static_cast<GLuint>(previous_read));
  gl::CheckError("reading back points");
  Image image(w, h, 3);
  const std::size_t row = std::size_t(w) * 3;
  for (int y = 0; y < h; ++y) {
    std::copy_n(&rgb[std::size_t(h - 1 - y) * row], row, &image.pixels[std::size_t(y) * row]);
  }
  return image;
}

}  // namespace muta::render
