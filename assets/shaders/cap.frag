#version 450 core
// Section caps: the flat face of a cut, in one colour, lit like mesh.frag (sun + hemisphere
// ambient; no shadows, no specular) with the plane's normal. The stencil test keeps the quad
// to where the plane lies inside the model; here the other planes cut it.
in vec3 v_world;

uniform int u_num_planes;    // section planes in use
uniform vec4 u_planes[8];    // world n.x + d = 0 (unit n); the positive side is cut away
uniform int u_cap_plane;     // the plane this quad lies on (not tested against itself)
uniform vec3 u_cap_color;    // linear RGB
uniform vec3 u_sun_direction;   // unit, towards the sun
uniform vec3 u_sun_irradiance;  // colour * intensity
uniform vec3 u_sky_ambient;     // colour * intensity
uniform vec3 u_ground_ambient;  // colour * intensity

layout(location = 0) out vec4 o_color;

const float kPi = 3.14159265358979;

vec3 Shoulder(vec3 c) {
  vec3 over = max(c - 0.8, 0.0);
  return min(c, vec3(0.8)) + 0.2 * (1.0 - exp(-over / 0.2));
}

void main() {
  for (int i = 0; i < u_num_planes; ++i) {
    if (i != u_cap_plane && dot(u_planes[i].xyz, v_world) + u_planes[i].w > 0.0) discard;
  }
  // The cap faces the side that was cut away.
  vec3 n = u_planes[u_cap_plane].xyz;
  vec3 ambient = mix(u_ground_ambient, u_sky_ambient, 0.5 + 0.5 * n.z);
  float sun = max(dot(n, u_sun_direction), 0.0);
  vec3 color = u_cap_color * ambient + u_cap_color / kPi * u_sun_irradiance * sun;
  o_color = vec4(Shoulder(color), 1.0);
}
