// Section caps by the stencil buffer (section_caps.h).

#include "render/section_caps.h"

#include <cmath>
#include <utility>

#include <Eigen/Geometry>

namespace muta::render {

// Stencil bits of a draw framebuffer (0 = the default framebuffer).
int StencilBits(GLuint framebuffer) {
  GLint bits = 0;
  if (framebuffer == 0) {
    glGetNamedFramebufferAttachmentParameteriv(0, GL_STENCIL,
                                               GL_FRAMEBUFFER_ATTACHMENT_STENCIL_SIZE, &bits);
  } else {
    GLint type = GL_NONE;
    glGetNamedFramebufferAttachmentParameteriv(framebuffer, GL_STENCIL_ATTACHMENT,
                                               GL_FRAMEBUFFER_ATTACHMENT_OBJECT_TYPE, &type);
    if (type != GL_NONE) {
      glGetNamedFramebufferAttachmentParameteriv(framebuffer, GL_STENCIL_ATTACHMENT,
                                                 GL_FRAMEBUFFER_ATTACHMENT_STENCIL_SIZE, &bits);
    }
  }
  // A context without a default framebuffer (EGL surfaceless) reports an error: no stencil.
  if (glGetError() != GL_NO_ERROR) bits = 0;
  return bits;
}

namespace {

// Stencil bits of the caps: "a back face lies beyond the plane", the crossings (mod 128).
constexpr GLuint kBehindBit = 0x80;
constexpr GLuint kCountBits = 0x7F;

}  // namespace

SectionCaps::SectionCaps()
    : program_(gl::LoadProgram("cap.vert", "cap.frag")), empty_vao_(gl::CreateVertexArray()) {}

// Caps by the stencil buffer, one plane at a time. A point P of the plane lies inside the
// model's closed surfaces when the ray from the eye (outside them) to P crosses them a net
// non-zero number of times, A; that segment lies wholly on the eye's side of the plane. So the
// geometry on the eye's side of the plane (whatever the other planes cut) is drawn into the
// stencil only – back faces increment, front faces decrement, no depth test. Overlapping
// closed parts add up.
// Open sheets (a ground, single-sheet walls and roofs, an unclosed scan) make A non-zero too
// where they were cut away between the eye and the plane: alone, A would fill the plane below a
// cut-away ground (like earth) and leave flaps where the plane is seen through a cut-away roof
// against the sky. A real cut of a solid has the rest of the solid beyond P: the ray from the
// eye through P leaves it through a back face on the far side of the plane. So P is capped only
// where A != 0 and a back face lies beyond the plane along the ray (drawn into a stencil bit:
// the geometry beyond the plane, back faces only, no depth test). Nothing beyond, or only an
// open sheet's front face (a ground seen from above), caps nothing. Limits: an eye inside a
// closed surface inverts the caps, geometry nearer than the near plane is not counted, and a
// flap seen against a kept solid behind it (or against a storey enclosed by single-sheet
// walls, whose far wall is a back face) is still capped.
void SectionCaps::Draw(const Box3f& scene_bounds, GLuint depth_program,
                       const std::function<void(GLuint program)>& draw_objects,
                       const Eigen::Matrix4f& clip_from_world, const Eigen::Vector3d& eye,
                       const RenderOptions& options, float viewport_width) {
  if (options.section_planes.empty() || scene_bounds.Empty()) return;
  const Box3f& bounds = scene_bounds;
  const Eigen::Vector3d centre = (0.5f * (bounds.min + bounds.max)).cast<double>();
  const double radius = 0.5 * (bounds.max - bounds.min).cast<double>().norm() * 1.01 + 1e-3;

  const GLuint dp = depth_program;
  const GLuint cp = program_.get();
  gl::SetUniform(dp, "u_clip_from_world", clip_from_world);
  gl::SetUniform(cp, "u_clip_from_world", clip_from_world);
  gl::SetUniform(cp, "u_cap_color", options.section_cap_color);
  const Lighting& lighting = options.lighting;
  gl::SetUniform(cp, "u_sun_direction", Eigen::Vector3f(lighting.sun_direction.normalized()));
  gl::SetUniform(cp, "u_sun_irradiance",
                 Eigen::Vector3f(lighting.sun_color * lighting.sun_intensity));
  gl::SetUniform(cp, "u_sky_ambient",
                 Eigen::Vector3f(lighting.sky_color * lighting.ambient_intensity));
  gl::SetUniform(cp, "u_ground_ambient",
                 Eigen::Vector3f(lighting.ground_color * lighting.ambient_intensity));
  SetLayerUniforms(cp, options, viewport_width, false);

  glEnable(GL_STENCIL_TEST);
  for (std::size_t i = 0; i < options.section_planes.size(); ++i) {
    const Eigen::Vector4d plane =
        options.section_planes[i] / options.section_planes[i].head<3>().norm();
    const Eigen::Vector3d n = plane.head<3>();
    const double offset = n.dot(centre) + plane.w();
    if (std::abs(offset) > radius) continue;  // the plane misses the scene
    const Eigen::Vector3d foot = centre - offset * n;
    const Eigen::Vector3d t1 = n.unitOrthogonal();
    const Eigen::Vector3d t2 = n.cross(t1);
    std::vector<float> corners;
    for (const auto& [a, b] : {std::pair{-1, -1}, {1, -1}, {-1, 1}, {1, 1}}) {
      const Eigen::Vector3d p = foot + radius * (a * t1 + b * t2);
      for (int k = 0; k < 3; ++k) corners.push_back(static_cast<float>(p[k]));
    }
    glProgramUniform3fv(cp, glGetUniformLocation(cp, "u_corners"), 4, corners.data());
    // The stencil program cuts away the positive side of its plane: `eye_cut` keeps the eye's
    // side.
    const Eigen::Vector4d eye_cut = n.dot(eye) + plane.w() >= 0 ? -plane : plane;

    glStencilMask(0xFF);
    glClearStencil(0);
    glClear(GL_STENCIL_BUFFER_BIT);
    glColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_FALSE);
    glDepthMask(GL_FALSE);
    glDisable(GL_DEPTH_TEST);
    // 1. Mark where a back face lies beyond the plane: the ray leaves a solid there.
    glStencilMask(kBehindBit);
    glStencilFunc(GL_ALWAYS, kBehindBit, 0xFF);
    glStencilOpSeparate(GL_BACK, GL_KEEP, GL_KEEP, GL_REPLACE);
    glStencilOpSeparate(GL_FRONT, GL_KEEP, GL_KEEP, GL_KEEP);
    const std::vector<Eigen::Vector4d> far_side = {-eye_cut};
    SetLayerUniforms(dp, options, viewport_width, false, &far_side);
    draw_objects(dp);
    // 2. The crossings between the eye and the plane (mod 128).
    glStencilMask(kCountBits);
    glStencilFunc(GL_ALWAYS, 0, 0xFF);
    glStencilOpSeparate(GL_BACK, GL_KEEP, GL_KEEP, GL_INCR_WRAP);
    glStencilOpSeparate(GL_FRONT, GL_KEEP, GL_KEEP, GL_DECR_WRAP);
    const std::vector<Eigen::Vector4d> eye_side = {eye_cut};
    SetLayerUniforms(dp, options, viewport_width, false, &eye_side);
    draw_objects(dp);
    // 3. The quad on the plane where the mark is set and the count is not zero: kBehindBit <
    // the stencil value.
    glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
    glDepthMask(GL_TRUE);
    glEnable(GL_DEPTH_TEST);
    glStencilMask(0x00);
    glStencilFunc(GL_LESS, kBehindBit, 0xFF);
    glStencilOp(GL_KEEP, GL_KEEP, GL_KEEP);
    gl::SetUniform(cp, "u_cap_plane", static_cast<int>(i));
    glUseProgram(cp);
    glBindVertexArray(empty_vao_.get());
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    glBindVertexArray(0);
  }
  glStencilMask(0xFF);
  glDisable(GL_STENCIL_TEST);
  gl::CheckError("drawing the section caps");
}

}  // namespace muta::render
