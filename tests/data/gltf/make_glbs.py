#!/usr/bin/env python3
"""Writes the small hand-made .glb files used by core/gltf_io_test.cpp (run in this folder)."""
import json, struct, base64
def glb(js, bin=b''):
    j = json.dumps(js).encode()
    j += b' ' * (-len(j) % 4)
    bin += b'\0' * (-len(bin) % 4)
    total = 12 + 8 + len(j) + (8 + len(bin) if bin else 0)
    out = struct.pack('<III', 0x46546C67, 2, total) + struct.pack('<II', len(j), 0x4E4F534A) + j
    if bin: out += struct.pack('<II', len(bin), 0x004E4942) + bin
    return out
# A node hierarchy (translate + rotate, child scaled 2), uint8 indices, uint8 RGBA colours,
# uint16 normalized UVs.
pos = struct.pack('<9f', 0,0,0, 1,0,0, 0,1,0)
idx8 = bytes([0,1,2,0])
col = bytes([255,0,0,255, 0,255,0,255, 0,0,255,128])
uv16 = struct.pack('<6H', 0,0, 65535,0, 0,65535)
bin = pos + idx8 + col + uv16
js = {"asset":{"version":"2.0"},"scene":0,"scenes":[{"nodes":[0]}],
 "nodes":[{"children":[1],"translation":[1,2,3],"rotation":[0,0,0.7071068,0.7071068]},{"mesh":0,"scale":[2,2,2]}],
 "meshes":[{"primitives":[{"attributes":{"POSITION":0,"COLOR_0":2,"TEXCOORD_0":3},"indices":1}]}],
 "accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]},
   {"bufferView":1,"componentType":5121,"count":3,"type":"SCALAR"},
   {"bufferView":2,"componentType":5121,"normalized":True,"count":3,"type":"VEC4"},
   {"bufferView":3,"componentType":5123,"normalized":True,"count":3,"type":"VEC2"}],
 "bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":36},{"buffer":0,"byteOffset":36,"byteLength":3},
   {"buffer":0,"byteOffset":40,"byteLength":12},{"buffer":0,"byteOffset":52,"byteLength":12}],
 "buffers":[{"byteLength":64}]}
open('./nodes_ubyte.glb','wb').write(glb(js, bin))
# Same, buffer as a data URI and no BIN chunk, interleaved stride.
inter = b''.join(struct.pack('<3f', *p) + struct.pack('<3f', 0,0,1) for p in [(0,0,0),(1,0,0),(0,1,0)])
js2 = {"asset":{"version":"2.0"},
 "meshes":[{"primitives":[{"attributes":{"POSITION":0,"NORMAL":1},"mode":4}]}],
 "accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]},
   {"bufferView":0,"byteOffset":12,"componentType":5126,"count":3,"type":"VEC3"}],
 "bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":72,"byteStride":24}],
 "buffers":[{"byteLength":72,"uri":"data:application/octet-stream;base64,"+base64.b64encode(inter).decode()}]}
open('./datauri_stride.glb','wb').write(glb(js2))
# Quantized positions (KHR_mesh_quantization), short normalized normals, matrix node.
qpos = b''.join(struct.pack('<3hxx', *p) for p in [(0,0,0), (100,0,0), (0,100,0)])  # stride 8
qn = struct.pack('<12b', 0,0,127,0, 0,0,127,0, 0,0,127,0)
js3 = {"asset":{"version":"2.0"},"extensionsUsed":["KHR_mesh_quantization"],"extensionsRequired":["KHR_mesh_quantization"],
 "scene":0,"scenes":[{"nodes":[0]}],"nodes":[{"mesh":0,"matrix":[0.01,0,0,0, 0,0.01,0,0, 0,0,0.01,0, 0,0,0,1]}],
 "meshes":[{"primitives":[{"attributes":{"POSITION":0,"NORMAL":1}}]}],
 "accessors":[{"bufferView":0,"componentType":5122,"count":3,"type":"VEC3","min":[0,0,0],"max":[100,100,0]},
   {"bufferView":1,"componentType":5120,"normalized":True,"count":3,"type":"VEC3"}],
 "bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":24,"byteStride":8},{"buffer":0,"byteOffset":24,"byteLength":12,"byteStride":4}],
 "buffers":[{"byteLength":36}]}
open('./quantized.glb','wb').write(glb(js3, qpos + qn))
