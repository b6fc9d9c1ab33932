#version 450 core
// Section caps (render/section_caps.cpp): one quad on a section plane, its four corners
// (world, z-up metres) in triangle-strip order in u_corners; no vertex buffer.
uniform vec3 u_corners[4];
uniform mat4 u_clip_from_world;

out vec3 v_world;

void main() {
  v_world = u_corners[gl_VertexID];
  gl_Position = u_clip_from_world * vec4(v_world, 1.0);
}
