#version 450 core
// Depth only; cut-away and hidden triangles cast no shadow (the split is ignored here).
in vec3 v_world;

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

void main() {
  if (Removed(v_world, FaceWord())) discard;
}
