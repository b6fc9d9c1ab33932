#include "xr/app/eye_overlays.h"

#include <cmath>
#include <string>
#include <vector>

#include "render/renderer.h"

namespace muta::xr {
namespace {

GLuint Compile(GLenum type, const char* source, const char* what) {
  const GLuint shader = glCreateShader(type);
  glShaderSource(shader, 1, &source, nullptr);
  glCompileShader(shader);
  GLint ok = 0;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    char log[1024] = {};
    glGetShaderInfoLog(shader, sizeof(log), nullptr, log);
    glDeleteShader(shader);
    MUTA_INTERNAL_CHECK(false) << "the " << what << " shader does not compile: " << log;
  }
  return shader;
}

GLuint Link(const char* vs, const char* fs, const char* what) {
  const GLuint v = Compile(GL_VERTEX_SHADER, vs, what), f = Compile(GL_FRAGMENT_SHADER, fs, what);
  const GLuint program = glCreateProgram();
  glAttachShader(program, v);
  glAttachShader(program, f);
  glLinkProgram(program);
  glDeleteShader(v);
  glDeleteShader(f);
  GLint ok = 0;
  glGetProgramiv(program, GL_LINK_STATUS, &ok);
  MUTA_INTERNAL_CHECK(ok) << "the " << what << " shader does not link";
  return program;
}

// A full-screen triangle from gl_VertexID at clip depth 0.
constexpr const char* kFullScreenVs =
    "#version 450 core\n"
    "void main() {\n"
    "  vec2 p = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);\n"
    "  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);\n"
    "}\n";

void RestoreState() {
  glDepthMask(GL_TRUE);
  glDepthFunc(GL_LESS);
  glDisable(GL_BLEND);
  glDisable(GL_FRAMEBUFFER_SRGB);
  glBindVertexArray(0);
  glUseProgram(0);
  glClipControl(GL_LOWER_LEFT, GL_NEGATIVE_ONE_TO_ONE);
}

/// A polyline (world) as a triangle strip in the camera frame: each point pushed sideways
/// (across the line and the line of sight) by `half` both ways.
void AppendRibbon(const std::vector<Eigen::Vector3d>& points, const Rigid3d& cam_from_world,
                  double half, std::vector<Eigen::Vector3f>& vertices) {
  const std::size_t n = points.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Eigen::Vector3d p = cam_from_world * points[i];
    const Eigen::Vector3d tangent = cam_from_world * points[std::min(i + 1, n - 1)] -
                                    cam_from_world * points[i > 0 ? i - 1 : 0];
    Eigen::Vector3d side = tangent.cross(p);
    if (side.norm() < 1e-12) side = tangent.cross(Eigen::Vector3d::UnitY());
    if (side.norm() < 1e-12) continue;
    side = side.normalized() * half;
    vertices.push_back((p - side).cast<float>());
    vertices.push_back((p + side).cast<float>());
  }
}

}  // namespace

EyeOverlays::EyeOverlays() {
  clear_program_ = Link(kFullScreenVs,
                        "#version 450 core\n"
                        "out vec4 colour;\n"
                        "void main() { colour = vec4(0.0); }\n",
                        "AR background");
  line_program_ = Link(
      "#version 450 core\n"
      "layout(location = 0) in vec3 position;  // camera frame (x right, y down, z forward)\n"
      "uniform mat4 clip_from_camera;\n"
      "void main() { gl_Position = clip_from_camera * vec4(position, 1.0); }\n",
      "#version 450 core\n"
      "uniform vec4 colour;\n"
      "out vec4 frag;\n"
      "void main() { frag = colour; }\n",
      "teleport arc");
  vignette_program_ = Link(kFullScreenVs,
                           "#version 450 core\n"
                           "uniform vec2 centre;  // the view axis, window pixels\n"
                           "uniform vec2 radius;  // to the nearest image edge, pixels\n"
                           "uniform float strength;\n"
                           "out vec4 colour;\n"
                           "void main() {\n"
                           "  float r = length((gl_FragCoord.xy - centre) / radius);\n"
                           "  colour = vec4(0.0, 0.0, 0.0, strength * smoothstep(0.5, 1.0, r));\n"
                           "}\n",
                           "comfort vignette");
  glCreateVertexArrays(1, &empty_vao_);
  glCreateVertexArrays(1, &line_vao_);
  glCreateBuffers(1, &line_vbo_);
  glVertexArrayVertexBuffer(line_vao_, 0, line_vbo_, 0, 3 * sizeof(float));
  glEnableVertexArrayAttrib(line_vao_, 0);
  glVertexArrayAttribFormat(line_vao_, 0, 3, GL_FLOAT, GL_FALSE, 0);
  glVertexArrayAttribBinding(line_vao_, 0, 0);
}

EyeOverlays::~EyeOverlays() {
  for (GLuint program : {clear_program_, line_program_, vignette_program_}) {
    if (program != 0) glDeleteProgram(program);
  }
  for (GLuint vao : {empty_vao_, line_vao_}) {
    if (vao != 0) glDeleteVertexArrays(1, &vao);
  }
  if (line_vbo_ != 0) glDeleteBuffers(1, &line_vbo_);
}

void EyeOverlays::ClearBackground() {
  // A full-screen triangle at depth 0 passing only where the depth is still 0 (GL_EQUAL).
  // Clip z 0 maps to depth 0 with the zero-to-one clip range the renderer uses.
  glClipControl(GL_LOWER_LEFT, GL_ZERO_TO_ONE);
  glEnable(GL_DEPTH_TEST);
  glDepthFunc(GL_EQUAL);
  glDepthMask(GL_FALSE);
  glDisable(GL_BLEND);
  glUseProgram(clear_program_);
  glBindVertexArray(empty_vao_);
  glDrawArrays(GL_TRIANGLES, 0, 3);
  RestoreState();
}

void EyeOverlays::BeginLines(const std::vector<Eigen::Vector3f>& vertices,
                             const Eigen::Vector3f& colour, const Camera& camera, double near_m,
                             double far_m) {
  glNamedBufferData(line_vbo_, static_cast<GLsizeiptr>(vertices.size() * sizeof(Eigen::Vector3f)),
                    vertices.data(), GL_STREAM_DRAW);
  glClipControl(GL_LOWER_LEFT, GL_ZERO_TO_ONE);
  glEnable(GL_DEPTH_TEST);
  glDepthFunc(GL_GEQUAL);  // reversed depth: in front of the scene or on it
  glDepthMask(GL_FALSE);
  glDisable(GL_BLEND);
  glDisable(GL_CULL_FACE);
  glEnable(GL_FRAMEBUFFER_SRGB);  // linear colour into the sRGB swapchain, as the renderer
  glUseProgram(line_program_);
  const Eigen::Matrix4f clip = render::ClipFromCamera(camera, near_m, far_m).cast<float>();
  glUniformMatrix4fv(glGetUniformLocation(line_program_, "clip_from_camera"), 1, GL_FALSE,
                     clip.data());
  glUniform4f(glGetUniformLocation(line_program_, "colour"), colour.x(), colour.y(), colour.z(),
              1.0f);
  glBindVertexArray(line_vao_);
}

void EyeOverlays::DrawArc(const TeleportArc& arc, const Camera& camera,
                          const Rigid3d& cam_from_world, double near_m, double far_m, double scale,
                          double width_m) {
  if (arc.points.size() < 2) return;
  std::vector<Eigen::Vector3f> vertices;
  AppendRibbon(arc.points, cam_from_world, 0.5 * width_m * scale, vertices);
  const auto ribbon = static_cast<GLsizei>(vertices.size());
  // The ring where the arc ended on a surface, lifted off it a little.
  GLsizei ring = 0;
  if (arc.hit) {
    const Eigen::Vector3d normal = arc.hit_normal.normalized();
    const Eigen::Vector3d centre =
        (arc.target ? *arc.target : arc.points.back()) + normal * (0.01 * scale);
    const Eigen::Vector3d u = normal.unitOrthogonal(), v = normal.cross(u);
    const double outer = 0.25 * scale, inner = 0.17 * scale;
    constexpr int kSegments = 40;
    for (int k = 0; k <= kSegments; ++k) {
      const double a = 2 * M_PI * k / kSegments;
      const Eigen::Vector3d dir = std::cos(a) * u + std::sin(a) * v;
      vertices.push_back((cam_from_world * (centre + inner * dir)).cast<float>());
      vertices.push_back((cam_from_world * (centre + outer * dir)).cast<float>());
      ring += 2;
    }
  }
  if (vertices.empty()) return;
  BeginLines(vertices, arc.target ? kArcValidColour : kArcInvalidColour, camera, near_m, far_m);
  if (ribbon >= 4) glDrawArrays(GL_TRIANGLE_STRIP, 0, ribbon);
  if (ring > 0) glDrawArrays(GL_TRIANGLE_STRIP, ribbon, ring);
  RestoreState();
}

void EyeOverlays::DrawVignette(const Camera& camera, float strength) {
  if (!(strength > 0)) return;
  // The view axis in GL window coordinates (y up): the principal point.
  const float cx = static_cast<float>(camera.PrincipalX());
  const float cy = static_cast<float>(camera.height - camera.PrincipalY());
  const float rx = std::min(cx, static_cast<float>(camera.width) - cx);
  const float ry = std::min(cy, static_cast<float>(camera.height) - cy);
  glDisable(GL_DEPTH_TEST);
  glDepthMask(GL_FALSE);
  glEnable(GL_BLEND);
  // Darken the colour; in AR also make the periphery opaque black over the real world.
  glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
  glUseProgram(vignette_program_);
  glUniform2f(glGetUniformLocation(vignette_program_, "centre"), cx, cy);
  glUniform2f(glGetUniformLocation(vignette_program_, "radius"), std::max(rx, 1.0f),
              std::max(ry, 1.0f));
  glUniform1f(glGetUniformLocation(vignette_program_, "strength"), std::min(strength, 1.0f));
  glBindVertexArray(empty_vao_);
  glDrawArrays(GL_TRIANGLES, 0, 3);
  glEnable(GL_DEPTH_TEST);
  RestoreState();
}

}  // namespace muta::xr

namespace muta::xr {

void EyeOverlays::DrawPolyline(const std::vector<Eigen::Vector3d>& points,
                               const Eigen::Vector3f& colour, const Camera& camera,
                               const Rigid3d& cam_from_world, double near_m, double far_m,
                               double width) {
  if (points.size() < 2) return;
  std::vector<Eigen::Vector3f> vertices;
  AppendRibbon(points, cam_from_world, 0.5 * width, vertices);
  if (vertices.size() < 4) return;
  BeginLines(vertices, colour, camera, near_m, far_m);
  glDrawArrays(GL_TRIANGLE_STRIP, 0, static_cast<GLsizei>(vertices.size()));
  RestoreState();
}

}  // namespace muta::xr
