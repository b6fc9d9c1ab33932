#version 450 core
// Mesh vertices for the colour and depth passes. World frame: z-up metres. Camera frame:
// COLMAP's (x right, y down, z forward); u_clip_from_world holds the exact intrinsics.
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec3 a_normal;
layout(location = 2) in vec2 a_uv;
layout(location = 3) in vec4 a_color;  // sRGB, normalised

uniform mat4 u_clip_from_world;
uniform mat4 u_cam_from_world;

out vec3 v_world;
out vec3 v_normal;
out vec2 v_uv;
out vec3 v_color;  // linear
out float v_cam_z;

vec3 SrgbToLinear(vec3 c) {
  return mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), step(0.04045, c));
}

void main() {
  vec4 world = vec4(a_position, 1.0);
  gl_Position = u_clip_from_world * world;
  v_world = a_position;
  v_normal = a_normal;
  v_uv = a_uv;
  v_color = SrgbToLinear(a_color.rgb);
  v_cam_z = (u_cam_from_world * world).z;
}
