#version 450 core
// Round splats with their camera depth (metres) for the eye-dome lighting pass.
in vec3 v_color;
in float v_cam_z;

layout(location = 0) out vec4 o_color;  // sRGB
layout(location = 1) out float o_cam_z;  // metres, 0 = nothing drawn

void main() {
  vec2 c = gl_PointCoord * 2.0 - 1.0;
  if (dot(c, c) > 1.0) discard;
  o_color = vec4(v_color, 1.0);
  o_cam_z = v_cam_z;
}
