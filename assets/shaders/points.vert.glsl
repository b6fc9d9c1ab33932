#version 450 core
// Point splats (render/point_renderer.cpp). World frame: z-up metres. Camera frame: COLMAP's
// (x right, y down, z forward).
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec4 a_color;  // sRGB, normalised

uniform mat4 u_clip_from_world;
uniform mat4 u_cam_from_world;
uniform float u_point_size;
uniform vec4 u_planes[8];  // (n, d): n.x + d > 0 is cut away
uniform int u_num_planes;
uniform vec3 u_default_color;  // sRGB, for points without colour (alpha 0)

out vec3 v_color;
out float v_cam_z;
out float gl_ClipDistance[8];

void main() {
  vec4 world = vec4(a_position, 1.0);
  gl_Position = u_clip_from_world * world;
  v_cam_z = (u_cam_from_world * world).z;
  v_color = a_color.a > 0.5 ? a_color.rgb : u_default_color;
  gl_PointSize = u_point_size;
  for (int i = 0; i < 8; ++i) {
    gl_ClipDistance[i] = i < u_num_planes ? -dot(u_planes[i], world) : 1.0;
  }
}
