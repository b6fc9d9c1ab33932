// BuildBuilding: dispatch to the building types, then the symmetric counterparts of every part.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>

#include <Eigen/Geometry>

#include "core/error.h"
#include "tools/synth/building_parts.h"

namespace muta::synth {
namespace {

constexpr std::array<std::pair<PartKind, std::string_view>, 15> kPartKindNames = {{
    {PartKind::kPlatform, "platform"},
    {PartKind::kSteps, "steps"},
    {PartKind::kColumn, "column"},
    {PartKind::kPlinth, "plinth"},
    {PartKind::kWall, "wall"},
    {PartKind::kWindow, "window"},
    {PartKind::kBeam, "beam"},
    {PartKind::kPlaque, "plaque"},
    {PartKind::kBracketSet, "bracket_set"},
    {PartKind::kRoof, "roof"},
    {PartKind::kEaveCorner, "eave_corner"},
    {PartKind::kRidge, "ridge"},
    {PartKind::kBalcony, "balcony"},
    {PartKind::kRailing, "railing"},
    {PartKind::kFinial, "finial"},
}};

// The building's symmetry group (besides the identity) as 3x3 linear maps about the origin.
std::vector<Eigen::Matrix3d> SymmetryMaps(const Building& b) {
  std::vector<Eigen::Matrix3d> maps;
  for (int m = 1; m < b.rotation_order; ++m) {
    maps.push_back(
        Eigen::AngleAxisd(2.0 * M_PI * m / b.rotation_order, Eigen::Vector3d::UnitZ()).matrix());
  }
  for (const auto& n : b.mirror_normals) {
    const Eigen::Vector3d u = n.normalized();
    maps.push_back(Eigen::Matrix3d::Identity() - 2.0 * u * u.transpose());
  }
  return maps;
}

void FindCounterparts(Building& b) {
  const std::vector<PartGeometry> geo = MeasureParts(b.mesh, b.parts.size());
  const Box3f box = BoundingBox(b.mesh.vertices);
  const double tol = 1e-4 * std::max(1.0, static_cast<double>(box.Size().norm()));
  std::map<PartKind, std::vector<int>> by_kind;
  for (std::size_t i = 0; i < b.parts.size(); ++i) by_kind[b.parts[i].kind].push_back(int(i));
  const auto maps = SymmetryMaps(b);
  for (std::size_t i = 0; i < b.parts.size(); ++i) {
    std::set<int> found;
    for (const auto& m : maps) {
      const Eigen::Vector3d image = m * geo[i].centroid;
      for (const int j : by_kind[b.parts[i].kind]) {
        if (j == static_cast<int>(i) || geo[j].faces != geo[i].faces) continue;
        if ((geo[j].centroid - image).norm() < tol) found.insert(j);
      }
    }
    b.parts[i].counterparts.assign(found.begin(), found.end());
  }
}

}  // namespace

std::string_view SceneTypeName(SceneType type) {
  switch (type) {
    case SceneType::kPagoda:
      return "pagoda";
    case SceneType::kHall:
      return "hall";
    case SceneType::kGate:
      return "gate";
  }
  return "unknown";
}

std::optional<SceneType> ParseSceneType(std::string_view name) {
  for (SceneType t : {SceneType::kPagoda, SceneType::kHall, SceneType::kGate}) {
    if (SceneTypeName(t) == name) return t;
  }
  return std::nullopt;
}

std::string_view PartKindName(PartKind kind) {
  for (const auto& [k, name] : kPartKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<PartKind> ParsePartKind(std::string_view name) {
  for (const auto& [k, n] : kPartKindNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

void BuildingOptions::Check() const {
  MUTA_CHECK(!storeys || (*storeys >= 1 && *storeys <= 12))
      << "BuildingOptions.storeys (--storeys) must be 1..12, got " << *storeys;
  MUTA_CHECK(!radius || (std::isfinite(*radius) && *radius >= 2.0 && *radius <= 20.0))
      << "BuildingOptions.radius (--radius) must be 2..20 metres, got " << *radius;
  MUTA_CHECK(!columns_per_side || (*columns_per_side >= 1 && *columns_per_side <= 5))
      << "BuildingOptions.columns_per_side (--columns-per-side) must be 1..5, got "
      << *columns_per_side;
  MUTA_CHECK(!bracket_layers || (*bracket_layers >= 1 && *bracket_layers <= 5))
      << "BuildingOptions.bracket_layers (--bracket-layers) must be 1..5, got " << *bracket_layers;
  MUTA_CHECK(!roof_curve ||
             (std::isfinite(*roof_curve) && *roof_curve >= 1.0 && *roof_curve <= 3.0))
      << "BuildingOptions.roof_curve (--roof-curve) must be 1..3, got " << *roof_curve;
  if (scene != SceneType::kPagoda) {
    MUTA_CHECK(!storeys && !radius && !columns_per_side)
        << "BuildingOptions: storeys, radius and columns_per_side (--storeys, --radius, "
           "--columns-per-side) apply to the pagoda only, not to the "
        << SceneTypeName(scene);
  }
}

int Building::FindPart(std::string_view name) const {
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<PartGeometry> MeasureParts(const Mesh& mesh, std::size_t num_parts) {
  std::vector<PartGeometry> geo(num_parts);
  std::vector<std::set<std::uint32_t>> verts(num_parts);
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    const int id = mesh.part_ids[f];
    if (id < 0 || static_cast<std::size_t>(id) >= num_parts) continue;
    PartGeometry& g = geo[id];
    const Face& face = mesh.faces[f];
    const Vec3f& a = mesh.vertices[face[0]];
    const Vec3f& b = mesh.vertices[face[1]];
    const Vec3f& c = mesh.vertices[face[2]];
    g.area += 0.5 * (b - a).cast<double>().cross((c - a).cast<double>()).norm();
    ++g.faces;
    for (int k = 0; k < 3; ++k) {
      g.box.Extend(mesh.vertices[face[k]]);
      verts[id].insert(face[k]);
    }
  }
  for (std::size_t i = 0; i < num_parts; ++i) {
    // Centroid of the distinct vertex positions (duplicated UV-seam vertices count once).
    std::set<std::array<float, 3>> positions;
    for (const auto v : verts[i]) {
      const Vec3f& p = mesh.vertices[v];
      positions.insert({p.x(), p.y(), p.z()});
    }
    Eigen::Vector3d sum = Eigen::Vector3d::Zero();
    for (const auto& p : positions) sum += Eigen::Vector3d(p[0], p[1], p[2]);
    if (!positions.empty()) geo[i].centroid = sum / static_cast<double>(positions.size());
  }
  return geo;
}

Building BuildBuilding(const BuildingOptions& options) {
  options.Check();
  Building b;
  switch (options.scene) {
    case SceneType::kPagoda:
      b = BuildPagoda(options);
      break;
    case SceneType::kHall:
      b = BuildHall(options);
      break;
    case SceneType::kGate:
      b = BuildGate(options);
      break;
  }
  b.mesh.Check();
  MUTA_INTERNAL_CHECK(b.mesh.part_ids.size() == b.mesh.faces.size()) << "part ids missing";
  FindCounterparts(b);
  return b;
}

}  // namespace muta::synth
