#include "render/vertex_data.h"

#include <catch2/catch.hpp>

#include <cmath>

#include <Eigen/Geometry>

namespace muta::render {
namespace {

Vec3f NormalOf(const GpuVertex& v) {
  return Vec3f(v.normal[0], v.normal[1], v.normal[2]);
}

}  // namespace

TEST_CASE("Missing normals: a cube keeps sharp edges, a fan stays smooth", "[unit][render]") {
  Mesh cube;
  for (int i = 0; i < 8; ++i) {
    cube.vertices.push_back(Vec3f(i & 1 ? 1.f : 0.f, i & 2 ? 1.f : 0.f, i & 4 ? 1.f : 0.f));
  }
  const int quads[6][4] = {{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4},
                           {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}};
  for (const auto& q : quads) {
    cube.faces.push_back(Face(q[0], q[1], q[2]));
    cube.faces.push_back(Face(q[0], q[2], q[3]));
  }
  const VertexData data = BuildVertexData(cube);
  CHECK(data.vertices.size() == 24);  // 3 normals per corner
  REQUIRE(data.indices.size() == 36);
  for (std::size_t f = 0; f < 12; ++f) {
    const Face& face = cube.faces[f];
    const Vec3f n = (cube.vertices[face[1]] - cube.vertices[face[0]])
                        .cross(cube.vertices[face[2]] - cube.vertices[face[0]])
                        .normalized();
    for (int k = 0; k < 3; ++k) {
      const GpuVertex& v = data.vertices[data.indices[3 * f + k]];
      CHECK(NormalOf(v).dot(n) == Approx(1.0f).margin(1e-5));
      CHECK(Vec3f(v.position[0], v.position[1], v.position[2]) == cube.vertices[face[k]]);
    }
  }
  CHECK(data.bounds.min == Vec3f(0, 0, 0));
  CHECK(data.bounds.max == Vec3f(1, 1, 1));

  // A gentle fan (10 degrees between neighbours) shares one smoothed normal at its centre.
  Mesh fan;
  fan.vertices.push_back(Vec3f(0, 0, 0));
  for (int i = 0; i < 6; ++i) {
    const float a = static_cast<float>(i) * 0.5f;
    fan.vertices.push_back(Vec3f(std::cos(a), std::sin(a), 0.1f * (i % 2)));
  }
  for (std::uint32_t i = 1; i < 6; ++i) fan.faces.push_back(Face(0, i, i + 1));
  const VertexData smooth = BuildVertexData(fan);
  std::uint32_t centre = smooth.indices[0];
  for (std::size_t f = 0; f < fan.faces.size(); ++f) CHECK(smooth.indices[3 * f] == centre);
  CHECK(NormalOf(smooth.vertices[centre]).z() > 0.9f);
}

TEST_CASE("Given normals, colours and UVs are passed through", "[unit][render]") {
  Mesh mesh;
  mesh.vertices = {Vec3f(0, 0, 0), Vec3f(1, 0, 0), Vec3f(0, 1, 0)};
  mesh.normals = {Vec3f(0, 0, 2), Vec3f(0, 0, 1), Vec3f(0, 0, 0)};
  mesh.colors = {Color3u8(1, 2, 3), Color3u8(4, 5, 6), Color3u8(7, 8, 9)};
  mesh.uvs = {Vec2f(0, 0), Vec2f(2, 0), Vec2f(0, 3)};
  mesh.faces = {Face(0, 1, 2)};
  const VertexData data = BuildVertexData(mesh);
  REQUIRE(data.vertices.size() == 3);
  CHECK(data.vertices[0].normal[2] == 1.0f);  // normalised
  CHECK(data.vertices[2].normal[2] == 1.0f);  // a zero normal becomes +z
  CHECK(data.vertices[1].color[0] == 4);
  CHECK(data.vertices[1].color[3] == 255);
  CHECK(data.vertices[2].uv[1] == 3.0f);
  CHECK(data.indices == std::vector<std::uint32_t>{0, 1, 2});
}

}  // namespace muta::render
