#version 450 core
// Shading in linear RGB: a directional sun (Lambert + a little Blinn-Phong specular) with a
// PCF-filtered shadow map, plus hemisphere ambient (sky above, ground below). The sRGB
// framebuffer encodes the output.
in vec3 v_world;
in vec3 v_normal;
in vec2 v_uv;
in vec3 v_color;
in float v_cam_z;

// 0: u_base_color, 1: vertex colours, 2: texture (sRGB texture, decoded by the sampler)
uniform int u_color_mode;
uniform vec3 u_base_color;
uniform sampler2D u_texture;

uniform vec3 u_eye;              // camera centre, world
uniform vec3 u_sun_direction;    // unit, towards the sun
uniform vec3 u_sun_irradiance;   // colour * intensity
uniform vec3 u_sky_ambient;      // colour * intensity
uniform vec3 u_ground_ambient;   // colour * intensity

uniform int u_shadows;                   // 0 or 1
uniform sampler2DShadow u_shadow_map;
uniform mat4 u_shadow_from_world;        // world -> [0,1]^3 (texture coordinates, depth)
uniform float u_shadow_texel;            // metres per shadow-map texel
uniform float u_shadow_texel_uv;         // 1 / shadow-map size

layout(location = 0) out vec4 o_color;

// Provenance layers: inferred highlight colour, confidence heat map. (Section caps are drawn
// by cap.frag.)
uniform int u_highlight_inferred;  // 0 or 1
uniform vec3 u_inferred_color;     // linear RGB
uniform int u_heatmap;             // 0 or 1
uniform int u_exact_color;         // 1: output the albedo exactly (no light, no shoulder)

// ---- layers and sections (the same block in mesh.frag, depth.frag and shadow.frag) ----
// Per-face data (render/vertex_data.h PackFaceData): one uint per triangle, indexed by
// gl_PrimitiveID: bits 0-7 provenance class (0 = observed), bits 16-31 confidence (unorm16).
layout(std430, binding = 0) readonly buffer FaceData { uint face_data[]; };
uniform int u_has_face_data;      // 0: every face observed, confidence 1
uniform int u_show_observed;      // 0 or 1
uniform int u_show_inferred;      // 0 or 1
uniform float u_split;            // split-screen position in [0,1] of the viewport; < 0 off
uniform float u_viewport_width;   // pixels
uniform int u_num_planes;         // section planes in use
uniform vec4 u_planes[8];         // world n.x + d = 0; the positive side is cut away

uint FaceWord() { return u_has_face_data != 0 ? face_data[gl_PrimitiveID] : 0xFFFF0000u; }
bool FaceInferred(uint word) { return (word & 0xFFu) != 0u; }
float FaceConfidence(uint word) { return float(word >> 16) / 65535.0; }
bool LeftOfSplit() { return u_split >= 0.0 && gl_FragCoord.x < u_split * u_viewport_width; }

// True when the fragment is cut away by a section plane or its layer is hidden.
bool Removed(vec3 world, uint word) {
  for (int i = 0; i < u_num_planes; ++i) {
    if (dot(u_planes[i].xyz, world) + u_planes[i].w > 0.0) return true;
  }
  bool inferred = FaceInferred(word);
  if (inferred ? u_show_inferred == 0 : u_show_observed == 0) return true;
  return inferred && LeftOfSplit();
}
// ---- end of the shared block ----

const float kPi = 3.14159265358979;

float SunVisibility(vec3 geometric_normal, float n_dot_l) {
  if (u_shadows == 0) return 1.0;
  // Normal offset grows towards grazing light, where acne would appear.
  float slope = sqrt(max(1.0 - n_dot_l * n_dot_l, 0.0)) / max(n_dot_l, 0.2);
  vec3 p = v_world + geometric_normal * u_shadow_texel * (1.0 + 1.5 * slope);
  vec3 s = (u_shadow_from_world * vec4(p, 1.0)).xyz;
  if (any(lessThan(s.xy, vec2(0.0))) || any(greaterThan(s.xy, vec2(1.0)))) return 1.0;
  if (s.z <= 0.0) return 1.0;
  s.z = min(s.z, 1.0);
  // 2x2 taps of hardware-filtered (bilinear) comparisons half a texel apart: a smooth
  // 3x3-texel filter for four lookups.
  float d = 0.5 * u_shadow_texel_uv;
  return 0.25 * (texture(u_shadow_map, vec3(s.xy + vec2(-d, -d), s.z)) +
                 texture(u_shadow_map, vec3(s.xy + vec2(d, -d), s.z)) +
                 texture(u_shadow_map, vec3(s.xy + vec2(-d, d), s.z)) +
                 texture(u_shadow_map, vec3(s.xy + vec2(d, d), s.z)));
}

// Keeps highlights from clipping hard: identity below 0.8, a smooth shoulder above.
vec3 Shoulder(vec3 c) {
  vec3 over = max(c - 0.8, 0.0);
  return min(c, vec3(0.8)) + 0.2 * (1.0 - exp(-over / 0.2));
}

// Confidence 0 red, 0.5 yellow, 1 green (linear RGB).
vec3 Heat(float c) {
  const vec3 red = vec3(0.85, 0.03, 0.02), yellow = vec3(0.9, 0.75, 0.02),
             green = vec3(0.05, 0.55, 0.08);
  return c < 0.5 ? mix(red, yellow, 2.0 * c) : mix(yellow, green, 2.0 * c - 1.0);
}

void main() {
  uint word = FaceWord();
  if (Removed(v_world, word)) discard;
  vec3 albedo = u_base_color;
  if (u_color_mode == 1) albedo = v_color;
  if (u_color_mode == 2) albedo = texture(u_texture, v_uv).rgb;
  bool inferred = FaceInferred(word);
  if (inferred && (u_highlight_inferred != 0 || u_split >= 0.0)) albedo = u_inferred_color;
  if (u_heatmap != 0) albedo = Heat(FaceConfidence(word));
  if (u_exact_color != 0) {
    o_color = vec4(albedo, 1.0);
    return;
  }

  // The side we see faces the camera: orient the geometric normal to the eye, and the
  // interpolated normal to the same side (meshes may be two-sided or wound inconsistently).
  vec3 to_eye = normalize(u_eye - v_world);
  vec3 ng = cross(dFdx(v_world), dFdy(v_world));
  float ng_length = length(ng);
  ng = ng_length > 0.0 ? ng / ng_length : to_eye;
  if (dot(ng, to_eye) < 0.0) ng = -ng;
  vec3 n = normalize(v_normal);
  if (dot(n, ng) < 0.0) n = -n;
  vec3 l = u_sun_direction;
  float n_dot_l = max(dot(n, l), 0.0);
  float ng_dot_l = dot(ng, l);
  // Light from behind the actual surface never arrives, whatever the smooth normal says.
  float facing = smoothstep(0.0, 0.05, ng_dot_l);
  float sun = n_dot_l * facing;
  if (sun > 0.0) sun *= SunVisibility(ng, max(ng_dot_l, 0.0));

  vec3 h = normalize(l + to_eye);
  const float kShininess = 32.0;
  const float kSpecular = 0.04;  // dielectric reflectance at normal incidence
  float specular = kSpecular * (kShininess + 8.0) / (8.0 * kPi) *
                   pow(max(dot(n, h), 0.0), kShininess);

  vec3 ambient = mix(u_ground_ambient, u_sky_ambient, 0.5 + 0.5 * n.z);
  vec3 color = albedo * ambient + (albedo / kPi + specular) * u_sun_irradiance * sun;
  o_color = vec4(Shoulder(color), 1.0);
}
