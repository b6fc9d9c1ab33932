#version 450 core
// Eye-dome lighting (Boucheny 2009): a pixel is darkened by how much nearer than it its 8
// neighbours at u_radius pixels are, in log2 of the camera depth; empty pixels take the
// background. Colours stay sRGB (the target is written without sRGB conversion).
uniform sampler2D u_color;
uniform sampler2D u_cam_z;
uniform float u_strength;
uniform float u_radius;
uniform int u_edl;
uniform vec3 u_background;  // sRGB

out vec4 o_color;

void main() {
  ivec2 size = textureSize(u_cam_z, 0);
  ivec2 p = ivec2(gl_FragCoord.xy);
  float z = texelFetch(u_cam_z, p, 0).r;
  if (z <= 0.0) {
    o_color = vec4(u_background, 1.0);
    return;
  }
  vec3 color = texelFetch(u_color, p, 0).rgb;
  if (u_edl == 0) {
    o_color = vec4(color, 1.0);
    return;
  }
  float log_z = log2(z);
  float response = 0.0;
  for (int i = 0; i < 8; ++i) {
    float a = 0.78539816 * float(i);
    ivec2 q = clamp(p + ivec2(round(u_radius * vec2(cos(a), sin(a)))), ivec2(0), size - 1);
    float zn = texelFetch(u_cam_z, q, 0).r;
    // An empty neighbour is infinitely far: it darkens nothing.
    if (zn > 0.0) response += max(0.0, log_z - log2(zn));
  }
  float shade = exp(-25.0 * u_strength * response);
  o_color = vec4(color * shade, 1.0);
}
