// Geometry of the synthetic buildings: valid meshes, parts, symmetry, repetition, seeds.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include <Eigen/Geometry>

#include "core/closest_point.h"
#include "core/file_io.h"
#include "core/ply_io.h"
#include "core/sampling.h"
#include "tests/test_util.h"
#include "tools/synth/synth.h"

using namespace muta;
using namespace muta::synth;

namespace {

Building Build(SceneType scene, std::uint64_t seed, std::optional<int> storeys = {}) {
  BuildingOptions o;
  o.scene = scene;
  o.seed = seed;
  o.storeys = storeys;
  return BuildBuilding(o);
}

// The faces of the parts that follow the building's symmetry (not the doors, windows and
// plaques, which differ from side to side).
Mesh SymmetricParts(const Building& b) {
  Mesh out = b.mesh;
  out.faces.clear();
  out.part_ids.clear();
  for (std::size_t f = 0; f < b.mesh.NumFaces(); ++f) {
    const PartKind kind = b.parts[b.mesh.part_ids[f]].kind;
    if (kind == PartKind::kWindow || kind == PartKind::kPlaque) continue;
    out.faces.push_back(b.mesh.faces[f]);
    out.part_ids.push_back(b.mesh.part_ids[f]);
  }
  return out;
}

// Max and mean distance from points sampled on `mesh` mapped by `m` to the unmapped mesh.
std::pair<double, double> MappedDistance(const Mesh& mesh, const Eigen::Matrix3d& m) {
  Mesh moved = mesh;
  for (auto& v : moved.vertices) v = (m * v.cast<double>()).cast<float>();
  const TriangleBvh bvh(mesh);
  const std::vector<Vec3f> pts = SampleSurface(moved, 20000, 7);
  const std::vector<double> d = DistancesToMesh(bvh, pts);
  double max = 0, sum = 0;
  for (double x : d) {
    max = std::max(max, x);
    sum += x;
  }
  return {max, sum / d.size()};
}

// Vertex positions of a part's faces, in face order.
std::vector<Eigen::Vector3d> PartVertices(const Building& b, int part) {
  std::vector<Eigen::Vector3d> out;
  for (std::size_t f = 0; f < b.mesh.faces.size(); ++f) {
    if (b.mesh.part_ids[f] != part) continue;
    for (int k = 0; k < 3; ++k) out.push_back(b.mesh.vertices[b.mesh.faces[f][k]].cast<double>());
  }
  return out;
}

}  // namespace

TEST_CASE("every building type is a valid mesh with parts on every face", "[unit][synth]") {
  for (SceneType scene : {SceneType::kPagoda, SceneType::kHall, SceneType::kGate}) {
    for (std::uint64_t seed : {1, 2, 3}) {
      INFO(SceneTypeName(scene) << " seed " << seed);
      const Building b = Build(scene, seed);
      REQUIRE_NOTHROW(b.mesh.Check());
      REQUIRE(b.mesh.part_ids.size() == b.mesh.NumFaces());
      REQUIRE(b.mesh.uvs.size() == b.mesh.NumVertices());
      REQUIRE(b.mesh.normals.size() == b.mesh.NumVertices());
      CHECK(b.mesh.NumFaces() > 2000);
      CHECK(b.mesh.NumFaces() < 300000);
      std::set<std::string> names;
      std::size_t faces = 0;
      for (const Part& p : b.parts) {
        INFO(p.name);
        CHECK(p.face_count > 0);
        CHECK(names.insert(p.name).second);
        faces += p.face_count;
      }
      CHECK(faces == b.mesh.NumFaces());
      for (const int id : b.mesh.part_ids) {
        REQUIRE(id >= 0);
        REQUIRE(id < static_cast<int>(b.parts.size()));
      }
      // No degenerate triangles.
      for (const Face& f : b.mesh.faces) {
        const Vec3f a = b.mesh.vertices[f[0]];
        REQUIRE((b.mesh.vertices[f[1]] - a).cross(b.mesh.vertices[f[2]] - a).norm() > 1e-9f);
      }
      // Above the ground, apart from foundations a few centimetres deep.
      CHECK(BoundingBox(b.mesh.vertices).min.z() > -0.1f);
    }
  }
}

TEST_CASE("the largest pagoda stays under the triangle budget", "[unit][synth]") {
  // The largest the seed draws: under 300k triangles.
  BuildingOptions o;
  o.storeys = 9;
  o.columns_per_side = 4;
  o.bracket_layers = 4;
  o.radius = 6.5;
  CHECK(BuildBuilding(o).mesh.NumFaces() < 300000);
  // The largest the options allow.
  o.storeys = 12;
  o.columns_per_side = 5;
  o.bracket_layers = 5;
  CHECK(BuildBuilding(o).mesh.NumFaces() < 450000);
}

TEST_CASE("the pagoda maps onto itself under its rotations and mirrors", "[unit][synth]") {
  const Building full = Build(SceneType::kPagoda, 4, 3);
  REQUIRE(full.rotation_order == 8);
  Building b = full;
  b.mesh = SymmetricParts(full);
  REQUIRE(b.mirror_normals.size() == 8);
  const auto [max_r, mean_r] =
      MappedDistance(b.mesh, Eigen::AngleAxisd(M_PI / 4, Eigen::Vector3d::UnitZ()).matrix());
  CHECK(max_r < 2e-3);
  CHECK(mean_r < 1e-4);
  const Eigen::Vector3d n = b.mirror_normals[3];
  const auto [max_m, mean_m] =
      MappedDistance(b.mesh, Eigen::Matrix3d::Identity() - 2.0 * n * n.transpose());
  CHECK(max_m < 2e-3);
  CHECK(mean_m < 1e-4);
  // With doors and windows, it is still close (they are small, shallow parts) ...
  CHECK(MappedDistance(full.mesh, Eigen::AngleAxisd(M_PI / 4, Eigen::Vector3d::UnitZ()).matrix())
            .second < 0.01);
  // ... and a rotation that is not a symmetry is far off.
  const auto [max_x, mean_x] =
      MappedDistance(b.mesh, Eigen::AngleAxisd(M_PI / 8, Eigen::Vector3d::UnitZ()).matrix());
  CHECK(mean_x > 0.01);
}

TEST_CASE("hall and gate are mirror symmetric", "[unit][synth]") {
  for (SceneType scene : {SceneType::kHall, SceneType::kGate}) {
    INFO(SceneTypeName(scene));
    const Building b = Build(scene, 5);
    REQUIRE(b.rotation_order == 2);
    for (const auto& n : b.mirror_normals) {
      const auto [max_d, mean_d] =
          MappedDistance(b.mesh, Eigen::Matrix3d::Identity() - 2.0 * n * n.transpose());
      CHECK(max_d < 2e-3);
      CHECK(mean_d < 1e-4);
    }
  }
}

TEST_CASE("parts know their symmetric counterparts", "[unit][synth]") {
  const Building b = Build(SceneType::kPagoda, 1, 5);
  const int col = b.FindPart("column s2 side5 #1");
  REQUIRE(col >= 0);
  const Part& p = b.parts[col];
  CHECK(p.kind == PartKind::kColumn);
  CHECK(p.storey == 2);
  CHECK(p.side == 5);
  CHECK(p.index == 1);
  CHECK(p.material == MaterialKind::kWood);
  std::set<std::string> names;
  for (const int c : p.counterparts) names.insert(b.parts[c].name);
  // Corner columns: the seven rotations plus their mirror images (the other corner columns).
  CHECK(names.count("column s2 side1 #1") == 1);
  CHECK(names.count("column s2 side6 #1") == 1);
  CHECK(names.count("column s1 side5 #1") == 0);  // another storey is repetition, not symmetry
  for (const auto& q : b.parts) {
    INFO(q.name);
    if (q.kind == PartKind::kPlatform || q.kind == PartKind::kFinial ||
        q.kind == PartKind::kBalcony || q.kind == PartKind::kPlaque) {
      CHECK(q.counterparts.empty());
    } else if (q.kind == PartKind::kWindow) {
      // Doors and windows differ from side to side.
    } else {
      CHECK(q.counterparts.size() >= 7);
    }
  }
  for (const char* name : {"eave_corner s2 corner4", "roof s1 side6", "railing s2 side3",
                           "bracket_set s3 side1 #1", "wall s1 side1", "steps side2", "finial"}) {
    INFO(name);
    CHECK(b.FindPart(name) >= 0);
  }
  CHECK(b.FindPart("railing s1 side1") < 0);  // the ground storey has no balcony
}

TEST_CASE("pagoda storeys repeat storey 1 by the recorded transforms", "[unit][synth]") {
  const Building b = Build(SceneType::kPagoda, 9, 4);
  REQUIRE(b.storeys.size() == 4);
  for (int s = 2; s <= 4; ++s) {
    const StoreyTransform& t = b.storeys[s - 1];
    CHECK(t.storey == s);
    for (const char* kind : {"column", "bracket_set", "beam", "wall"}) {
      const std::string tail = std::string(kind) == "column" || std::string(kind) == "bracket_set"
                                   ? " side3 #2"
                                   : " side3";
      const auto a = PartVertices(b, b.FindPart(std::string(kind) + " s1" + tail));
      const auto c =
          PartVertices(b, b.FindPart(std::string(kind) + " s" + std::to_string(s) + tail));
      INFO(kind << " storey " << s);
      REQUIRE(a.size() == c.size());
      REQUIRE(!a.empty());
      double err = 0;
      for (std::size_t i = 0; i < a.size(); ++i) {
        err = std::max(err, (t.scale.cwiseProduct(a[i]) + t.translation - c[i]).norm());
      }
      CHECK(err < 1e-4);
    }
  }
  // Roofs repeat too, except the top one.
  const auto r1 = PartVertices(b, b.FindPart("roof s1 side2"));
  const auto r2 = PartVertices(b, b.FindPart("roof s2 side2"));
  REQUIRE(r1.size() == r2.size());
  double err = 0;
  for (std::size_t i = 0; i < r1.size(); ++i) {
    err = std::max(
        err, (b.storeys[1].scale.cwiseProduct(r1[i]) + b.storeys[1].translation - r2[i]).norm());
  }
  CHECK(err < 1e-4);
}

TEST_CASE("a building is the same for the same seed, byte for byte", "[unit][synth]") {
  muta::test::TempDir dir("synth-det");
  for (SceneType scene : {SceneType::kPagoda, SceneType::kHall, SceneType::kGate}) {
    WritePly(dir / "a.ply", Build(scene, 11).mesh);
    WritePly(dir / "b.ply", Build(scene, 11).mesh);
    CHECK(ReadFileBytes(dir / "a.ply") == ReadFileBytes(dir / "b.ply"));
    WritePly(dir / "c.ply", Build(scene, 12).mesh);
    CHECK(ReadFileBytes(dir / "a.ply") != ReadFileBytes(dir / "c.ply"));
  }
}

TEST_CASE("seeds vary the parameters, pinned parameters stay", "[unit][synth]") {
  std::set<int> storeys, columns, layers;
  std::set<double> radii;
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    const Building b = Build(SceneType::kPagoda, seed);
    const int n = b.parameters["storeys"].get<int>();
    CHECK(n >= 3);
    CHECK(n <= 9);
    CHECK(static_cast<int>(b.storeys.size()) == n);
    storeys.insert(n);
    columns.insert(b.parameters["columns_per_side"].get<int>());
    layers.insert(b.parameters["bracket_layers"].get<int>());
    radii.insert(b.parameters["radius"].get<double>());
  }
  CHECK(storeys.size() >= 4);
  CHECK(columns.size() == 3);
  CHECK(layers.size() == 3);
  CHECK(radii.size() == 24);

  // Pinning the storey count leaves the other parameters as the seed drew them.
  BuildingOptions o;
  o.seed = 3;
  const Building free = BuildBuilding(o);
  o.storeys = 7;
  const Building pinned = BuildBuilding(o);
  CHECK(pinned.parameters["storeys"] == 7);
  CHECK(pinned.parameters["radius"] == free.parameters["radius"]);
  CHECK(pinned.parameters["roof_curve"] == free.parameters["roof_curve"]);

  std::set<int> bays;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    bays.insert(Build(SceneType::kGate, seed).parameters["bays"].get<int>());
  }
  CHECK(bays == std::set<int>{1, 3});
}

TEST_CASE("bad building options name the field", "[unit][synth]") {
  BuildingOptions o;
  o.storeys = 0;
  CHECK_THROWS_WITH(BuildBuilding(o), Catch::Contains("storeys"));
  o = {};
  o.radius = -1;
  CHECK_THROWS_WITH(o.Check(), Catch::Contains("radius"));
  o = {};
  o.bracket_layers = 9;
  CHECK_THROWS_WITH(o.Check(), Catch::Contains("bracket_layers"));
  o = {};
  o.scene = SceneType::kHall;
  o.storeys = 3;
  CHECK_THROWS_WITH(o.Check(), Catch::Contains("pagoda only"));
  CHECK(ParseSceneType("pagoda") == SceneType::kPagoda);
  CHECK(!ParseSceneType("castle").has_value());
}
