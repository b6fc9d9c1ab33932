#version 450 core
// Shadow map pass: depth seen from the sun (orthographic).
layout(location = 0) in vec3 a_position;
uniform mat4 u_clip_from_world;
void main() { gl_Position = u_clip_from_world * vec4(a_position, 1.0); }
