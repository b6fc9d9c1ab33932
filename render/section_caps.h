#pragma once
// Section caps (private to muta::render; includes GL declarations through gl_util.h): the flat
// faces where section planes cut through closed parts of the model, found with the stencil
// buffer (see SectionCaps::Draw and RenderOptions::section_planes).

#include <functional>
#include <vector>

#include <Eigen/Core>

#include "core/mesh.h"
#include "render/gl_util.h"
#include "render/renderer.h"

namespace muta::render {

/// Layer and section uniforms shared by the colour, depth, shadow and cap programs (the block
/// marked "shared" in the fragment shaders); defined in renderer.cpp.
/// `planes_instead`: these section planes instead of the options' ones (the caps' stencil pass).
void SetLayerUniforms(GLuint program, const RenderOptions& options, float viewport_width,
                      bool shadow_pass,
                      const std::vector<Eigen::Vector4d>* planes_instead = nullptr);

/// Stencil bits of a draw framebuffer (0 = the default framebuffer; 0 bits when it has none).
int StencilBits(GLuint framebuffer);

class SectionCaps {
 public:
  /// Needs a current GL 4.5 context; loads the cap shaders (cap.vert, cap.frag).
  SectionCaps();

  /// Draws the caps of `options.section_planes` into the bound draw framebuffer, after the
  /// colour pass, with its depth buffer and a stencil buffer of >= 1 bit (cleared here).
  /// `scene_bounds`: the visible objects' bounds (not empty); `draw_objects(program)` draws
  /// every visible object with `program` (mesh.vert + depth.frag, `depth_program`), which
  /// applies the layer and section uniforms set here.
  void Draw(const Box3f& scene_bounds, GLuint depth_program,
            const std::function<void(GLuint program)>& draw_objects,
            const Eigen::Matrix4f& clip_from_world, const Eigen::Vector3d& eye,
            const RenderOptions& options, float viewport_width);

 private:
  gl::Program program_;
  gl::VertexArray empty_vao_;  // the cap quad has no vertex buffer
};

}  // namespace muta::render
