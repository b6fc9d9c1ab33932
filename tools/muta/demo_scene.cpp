#include "tools/muta/demo_scene.h"

#include <cmath>

#include <Eigen/Geometry>

namespace muta::cli {
namespace {

constexpr int kSides = 8;

// Adds a closed octagonal frustum band between two rings (z0, r0) and (z1, r1).
void AddBand(Mesh& mesh, float z0, float r0, float z1, float r1, int part) {
  const auto base = static_cast<std::uint32_t>(mesh.vertices.size());
  for (int ring = 0; ring < 2; ++ring) {
    const float z = ring == 0 ? z0 : z1, r = ring == 0 ? r0 : r1;
    for (int i = 0; i < kSides; ++i) {
      const float a = 2.0f * static_cast<float>(M_PI) * (i + 0.5f) / kSides;
      mesh.vertices.emplace_back(r * std::cos(a), r * std::sin(a), z);
    }
  }
  for (std::uint32_t i = 0; i < kSides; ++i) {
    const std::uint32_t j = (i + 1) % kSides;
    mesh.faces.emplace_back(base + i, base + j, base + kSides + j);
    mesh.faces.emplace_back(base + i, base + kSides + j, base + kSides + i);
    mesh.part_ids.insert(mesh.part_ids.end(), {part, part});
  }
}

// Adds an octagonal cap (fan) at height z, radius r, facing up or down.
void AddCap(Mesh& mesh, float z, float r, bool up, int part) {
  const auto centre = static_cast<std::uint32_t>(mesh.vertices.size());
  mesh.vertices.emplace_back(0.0f, 0.0f, z);
  for (int i = 0; i < kSides; ++i) {
    const float a = 2.0f * static_cast<float>(M_PI) * (i + 0.5f) / kSides;
    mesh.vertices.emplace_back(r * std::cos(a), r * std::sin(a), z);
  }
  for (std::uint32_t i = 0; i < kSides; ++i) {
    const std::uint32_t a = centre + 1 + i, b = centre + 1 + (i + 1) % kSides;
    if (up) {
      mesh.faces.emplace_back(centre, a, b);
    } else {
      mesh.faces.emplace_back(centre, b, a);
    }
    mesh.part_ids.push_back(part);
  }
}

}  // namespace

Mesh MakeDemoTower() {
  Mesh mesh;
  AddBand(mesh, 0.0f, 5.0f, 0.8f, 5.0f, 0);  // platform
  AddCap(mesh, 0.8f, 5.0f, true, 0);
  float z = 0.8f, radius = 3.6f;
  for (int storey = 0; storey < 3; ++storey) {
    const float wall = 2.8f - 0.3f * storey;
    AddBand(mesh, z, radius, z + wall, radius, 10 + storey);
    z += wall;
    // Flared roof: out to the eave, then up and in to the next storey's wall.
    const float eave = radius + 1.4f;
    AddBand(mesh, z, radius, z - 0.4f, eave, 20 + storey);                 // soffit
    AddBand(mesh, z - 0.4f, eave, z + 1.0f, radius * 0.82f, 20 + storey);  // roof
    z += 1.0f;
    radius *= 0.82f;
  }
  AddCap(mesh, z, radius, true, 30);
  AddBand(mesh, z, 0.25f, z + 2.0f, 0.02f, 30);  // finial
  mesh.provenance.assign(mesh.faces.size(), Provenance::kObserved);
  mesh.colors.assign(mesh.vertices.size(), Color3u8(150, 110, 80));
  mesh.ComputeVertexNormals();
  return mesh;
}

SparseModel MakeDemoCameras(int count, int width, int height) {
  SparseModel model;
  Camera camera =
      Camera::Pinhole(width, height, 0.9 * width, 0.9 * width, width / 2.0, height / 2.0);
  camera.id = 1;
  model.cameras[1] = camera;
  const Eigen::Vector3d target(0, 0, 5.5);
  for (int i = 0; i < count; ++i) {
    const bool high = i % 2 == 1;
    const double a = 2 * M_PI * i / count;
    const double dist = high ? 20.0 : 24.0;
    const Eigen::Vector3d centre(dist * std::cos(a), dist * std::sin(a), high ? 12.0 : 2.0);
    SparseImage image;
    image.id = static_cast<std::uint32_t>(i + 1);
    image.camera_id = 1;
    char name[32];
    std::snprintf(name, sizeof(name), "view_%03d.jpg", i);
    image.name = name;
    image.cam_from_world = LookAt(centre, target);
    model.images[image.id] = image;
  }
  return model;
}

}  // namespace muta::cli
