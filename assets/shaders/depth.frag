#version 450 core
// Metric depth pass: z of the camera frame in metres (the clear value 0 marks background).
in float v_cam_z;
layout(location = 0) out float o_depth;
void main() { o_depth = v_cam_z; }
