// Damage: SPEC parsing, the default mix, and exactly which faces go.
#include <catch2/catch.hpp>

#include <set>

#include "tools/synth/synth.h"

using namespace muta;
using namespace muta::synth;

namespace {

const Building& Pagoda() {
  static const Building b = [] {
    BuildingOptions o;
    o.seed = 1;
    o.storeys = 5;
    return BuildBuilding(o);
  }();
  return b;
}

std::set<int> PartsOf(const Mesh& m) {
  return {m.part_ids.begin(), m.part_ids.end()};
}

}  // namespace

TEST_CASE("damage specs parse", "[unit][synth]") {
  const auto e = ParseDamageSpec(
      "missing:column:s1:side3:#2, broken:eave_corner:s2:c5,collapsed:roof:s3:side1,"
      "lost:finial:partial,lost:railing:s2:side4:partial=0.25,missing:bracket_set:b2:#3");
  REQUIRE(e.size() == 6);
  CHECK(e[0].action == DamageAction::kMissing);
  CHECK(e[0].kind == PartKind::kColumn);
  CHECK(e[0].storey == 1);
  CHECK(e[0].side == 3);
  CHECK(e[0].index == 2);
  CHECK(!e[0].fraction);
  CHECK(e[1].action == DamageAction::kBroken);
  CHECK(e[1].corner == 5);
  CHECK(e[1].fraction == 0.5);  // broken: half by default
  CHECK(e[2].kind == PartKind::kRoof);
  CHECK(e[3].kind == PartKind::kFinial);
  CHECK(e[3].fraction == 0.5);
  CHECK(e[4].fraction == 0.25);
  CHECK(e[5].bay == 2);
  CHECK(e[5].text == "missing:bracket_set:b2:#3");
}

TEST_CASE("bad damage specs give clear errors", "[unit][synth]") {
  using Catch::Contains;
  CHECK_THROWS_WITH(ParseDamageSpec(""), Contains("empty damage spec"));
  CHECK_THROWS_WITH(ParseDamageSpec("column:s1"), Contains("unknown action 'column'"));
  CHECK_THROWS_WITH(ParseDamageSpec("missing:pillar:s1"),
                    Contains("unknown part kind 'pillar'") && Contains("bracket_set"));
  CHECK_THROWS_WITH(ParseDamageSpec("missing:column:sid3"),
                    Contains("unknown selector 'sid3'") && Contains("docs/formats.md"));
  CHECK_THROWS_WITH(ParseDamageSpec("missing:column:s1:s2"), Contains("storey is given twice"));
  CHECK_THROWS_WITH(ParseDamageSpec("missing:column:s0"), Contains("start at 1"));
  CHECK_THROWS_WITH(ParseDamageSpec("lost:finial:partial=1.5"), Contains("0 < F < 1"));
  CHECK_THROWS_WITH(ParseDamageSpec("missing:column:s1,,missing:column:s2"),
                    Contains("empty entry"));
  CHECK_THROWS_WITH(ParseDamageSpec("missing"), Contains("ACTION:KIND"));
  const auto none = ParseDamageSpec("missing:column:s9");
  CHECK_THROWS_WITH(ApplyDamage(Pagoda(), none),
                    Contains("'missing:column:s9' selects no part of this pagoda"));
  const auto twice = ParseDamageSpec("missing:column:s1:side1:#1,missing:column:s1:side1");
  CHECK_THROWS_WITH(ApplyDamage(Pagoda(), twice), Contains("already removed"));
}

TEST_CASE("damage removes exactly the listed parts' faces", "[unit][synth]") {
  const Building& b = Pagoda();
  const auto entries = ParseDamageSpec("missing:column:s1:side3,collapsed:roof:s3:side1");
  const DamagedBuilding d = ApplyDamage(b, entries);
  REQUIRE(d.regions.size() == 2);
  CHECK(d.regions[0].parts.size() == static_cast<std::size_t>(b.parameters["columns_per_side"]));
  std::set<int> removed_parts;
  std::size_t removed = 0;
  for (const auto& r : d.regions) {
    CHECK(r.has_counterpart);
    CHECK(r.area > 0);
    CHECK(!r.box.Empty());
    removed += r.faces.size();
    for (int id : r.parts) removed_parts.insert(id);
    std::size_t part_faces = 0;
    for (int id : r.parts) part_faces += b.parts[id].face_count;
    CHECK(r.faces.size() == part_faces);
    for (auto f : r.faces) CHECK(removed_parts.count(b.mesh.part_ids[f]) == 1);
  }
  CHECK(d.mesh.NumFaces() == b.mesh.NumFaces() - removed);
  CHECK(d.kept_faces.size() == d.mesh.NumFaces());
  REQUIRE_NOTHROW(d.mesh.Check());
  const std::set<int> left = PartsOf(d.mesh);
  for (int id : removed_parts) CHECK(left.count(id) == 0);
  CHECK(left.size() == b.parts.size() - removed_parts.size());
  // Kept faces are the intact ones, unchanged.
  for (std::size_t i = 0; i < d.mesh.NumFaces(); i += 97) {
    const Face& f = d.mesh.faces[i];
    const Face& g = b.mesh.faces[d.kept_faces[i]];
    for (int k = 0; k < 3; ++k) CHECK(d.mesh.vertices[f[k]] == b.mesh.vertices[g[k]]);
  }
}

TEST_CASE("partial loss takes the upper or outer part of a unique element", "[unit][synth]") {
  const Building& b = Pagoda();
  const DamagedBuilding d = ApplyDamage(b, ParseDamageSpec("lost:finial:partial"));
  REQUIRE(d.regions.size() == 1);
  const DamageRegion& r = d.regions[0];
  CHECK_FALSE(r.has_counterpart);
  const int finial = b.FindPart("finial");
  const double total = MeasureParts(b.mesh, b.parts.size())[finial].area;
  CHECK(r.area >= 0.5 * total);
  CHECK(r.area < 0.65 * total);
  CHECK(r.faces.size() < b.parts[finial].face_count);
  // What is left of the finial lies below what was lost.
  const auto left = MeasureParts(d.mesh, b.parts.size())[finial];
  CHECK(left.faces == b.parts[finial].face_count - r.faces.size());
  CHECK(left.box.max.z() <= r.box.min.z() + 0.3f);

  // A broken eave corner loses its outer half: the removed box lies farther out.
  const DamagedBuilding e = ApplyDamage(b, ParseDamageSpec("broken:eave_corner:s2:c5"));
  REQUIRE(e.regions[0].parts.size() == 1);
  const int corner = e.regions[0].parts[0];
  CHECK(b.parts[corner].name == "eave_corner s2 corner5");
  const auto kept = MeasureParts(e.mesh, b.parts.size())[corner];
  const Vec3f removed_centre = e.regions[0].box.Center();
  const Vec3f kept_centre = kept.box.Center();
  CHECK(removed_centre.head<2>().norm() > kept_centre.head<2>().norm());
}

TEST_CASE("default damage: four regions, each with an intact counterpart", "[unit][synth]") {
  for (SceneType scene : {SceneType::kPagoda, SceneType::kHall, SceneType::kGate}) {
    for (std::uint64_t seed : {1, 2, 3, 4}) {
      INFO(SceneTypeName(scene) << " seed " << seed);
      BuildingOptions o;
      o.scene = scene;
      o.seed = seed;
      const Building b = BuildBuilding(o);
      const auto entries = DefaultDamage(b, seed);
      REQUIRE(entries.size() == 4);
      CHECK(entries[0].kind == PartKind::kEaveCorner);
      CHECK(entries[0].action == DamageAction::kBroken);
      for (int i : {1, 2}) {
        CHECK((entries[i].kind == PartKind::kColumn || entries[i].kind == PartKind::kBracketSet));
        CHECK(entries[i].action == DamageAction::kMissing);
      }
      CHECK(entries[3].kind == PartKind::kRoof);
      CHECK(entries[3].action == DamageAction::kCollapsed);
      const DamagedBuilding d = ApplyDamage(b, entries);
      for (const auto& r : d.regions) {
        INFO(r.entry.text);
        CHECK(r.parts.size() == 1);  // each entry names one part
        CHECK(r.has_counterpart);
        CHECK(!r.intact_counterparts.empty());
        CHECK(r.area > 0);
      }
      // The same seed places the same damage; the round trip through the text works.
      const auto again = DefaultDamage(b, seed);
      std::string spec;
      for (std::size_t i = 0; i < entries.size(); ++i) {
        CHECK(again[i].text == entries[i].text);
        spec += (i ? "," : "") + entries[i].text;
      }
      CHECK(ApplyDamage(b, ParseDamageSpec(spec)).mesh.NumFaces() == d.mesh.NumFaces());
    }
  }
  // Different seeds place it differently.
  const Building& b = Pagoda();
  std::set<std::string> placements;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) placements.insert(DefaultDamage(b, seed)[0].text);
  CHECK(placements.size() >= 3);
  CHECK(ResolveDamage(b, "none", 1).empty());
  CHECK(ResolveDamage(b, "default", 1).size() == 4);
  CHECK(ResolveDamage(b, "lost:finial", 1).size() == 1);
}
