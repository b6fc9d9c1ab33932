// site.json as the viewer uses it: viewpoints, levels, and annotations that round-trip while
// every other key is kept.
#include <catch2/catch.hpp>

#include "core/file_io.h"
#include "core/json.h"
#include "render/viewer/site_meta.h"
#include "tests/test_util.h"

namespace muta::render::viewer {
namespace {

// A minimal valid site.json (the keys core's ReadSiteJson requires) with extra content.
Json SiteJson() {
  return ParseJson(R"({
    "format": "muta.site", "version": 1, "name": "test site", "units": "metres", "up_axis": "z",
    "tileset": "tileset.json", "bounding_box": {"min": [-1, -1, 0], "max": [1, 1, 3]},
    "layers": [{"id": "observed", "name": "Observed", "classes": ["observed"], "triangles": 12}],
    "viewpoints": [{"name": "front", "description": "from the gate", "eye": [0, -10, 2],
                    "target": [0, 0, 1.5], "up": [0, 0, 1], "fov_deg": 45}],
    "annotations": [],
    "levels": [{"name": "ground floor", "elevation_m": 0}, {"name": "first floor", "z": 3.2}],
    "provenance": {"triangles": 12, "inferred_triangles": 0},
    "custom": {"kept": [1, 2, 3], "note": "written by another tool"}
  })",
                   "test site.json");
}

TEST_CASE("viewpoints and levels are read from site.json", "[unit]") {
  const Json site = SiteJson();
  const auto viewpoints = ParseViewpoints(site, "site.json");
  REQUIRE(viewpoints.size() == 1);
  CHECK(viewpoints[0].name == "front");
  CHECK(viewpoints[0].eye == Eigen::Vector3d(0, -10, 2));
  CHECK(viewpoints[0].fov_deg == 45);
  const auto levels = ParseLevels(site, "site.json");
  REQUIRE(levels.size() == 2);
  CHECK(levels[1].name == "first floor");
  CHECK(levels[1].elevation_m == Approx(3.2));

  Json bad = site;
  bad["viewpoints"][0]["eye"] = {0, "x", 2};
  CHECK_THAT(test::ErrorOf([&] { ParseViewpoints(bad, "s.json"); }),
             Catch::Contains("s.json") && Catch::Contains("viewpoints[0].eye"));
  bad = site;
  bad["levels"][0].erase("elevation_m");
  CHECK_THAT(test::ErrorOf([&] { ParseLevels(bad, "s.json"); }), Catch::Contains("elevation_m"));
}

TEST_CASE("annotations round-trip through site.json and keep every other key", "[unit]") {
  test::TempDir dir("annotations");
  const auto path = dir / "site.json";
  const Json original = SiteJson();
  WriteJsonFile(path, original);

  std::string first, second;
  {
    AnnotationStore store(path);
    CHECK(store.annotations().empty());
    first = store.Add({0.5, -1, 1.25}, "crack in the bracket", Eigen::Vector3d(0, -1, 0));
    second = store.Add({0, 0, 3}, "roof tile missing");
    CHECK(first != second);
  }
  {
    // A fresh store reads what the first wrote.
    AnnotationStore store(path);
    REQUIRE(store.annotations().size() == 2);
    const Annotation* a = store.Find(first);
    REQUIRE(a != nullptr);
    CHECK(a->text == "crack in the bracket");
    CHECK(a->position == Eigen::Vector3d(0.5, -1, 1.25));
    REQUIRE(a->normal.has_value());
    CHECK(*a->normal == Eigen::Vector3d(0, -1, 0));
    CHECK_FALSE(a->created.empty());
    store.Edit(first, "crack, 2 mm wide");
    store.Remove(second);
    CHECK_THAT(test::ErrorOf([&] { store.Remove("nope"); }), Catch::Contains("no annotation"));
  }
  const Json saved = ReadJsonFile(path);
  REQUIRE(saved["annotations"].size() == 1);
  CHECK(saved["annotations"][0]["text"] == "crack, 2 mm wide");
  CHECK(saved["annotations"][0]["id"] == first);
  // Everything else is as it was.
  Json rest = saved;
  rest.erase("annotations");
  Json expected = original;
  expected.erase("annotations");
  CHECK(rest == expected);
  // No temporary files left beside it.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++files;
  }
  CHECK(files == 1);
}

TEST_CASE("a store keeps keys another program wrote after it opened the file", "[unit]") {
  test::TempDir dir("annotations_concurrent");
  const auto path = dir / "site.json";
  WriteJsonFile(path, SiteJson());
  AnnotationStore store(path);
  Json changed = ReadJsonFile(path);
  changed["name"] = "renamed meanwhile";
  WriteJsonFile(path, changed);
  store.Add({0, 0, 0}, "note");
  const Json saved = ReadJsonFile(path);
  CHECK(saved["name"] == "renamed meanwhile");
  CHECK(saved["annotations"].size() == 1);
}

TEST_CASE("malformed annotations are errors naming the file", "[unit]") {
  Json site = SiteJson();
  site["annotations"] = Json::array({{{"id", "a1"}, {"text", "x"}}});
  CHECK_THAT(test::ErrorOf([&] { ParseAnnotations(site, "my/site.json"); }),
             Catch::Contains("my/site.json") && Catch::Contains("position"));
  site["annotations"] = Json::array(
      {{{"id", "a1"}, {"position", {0, 0, 0}}}, {{"id", "a1"}, {"position", {1, 0, 0}}}});
  CHECK_THAT(test::ErrorOf([&] { ParseAnnotations(site, "s.json"); }), Catch::Contains("repeats"));
  site["annotations"] = "none";
  CHECK_THAT(test::ErrorOf([&] { ParseAnnotations(site, "s.json"); }),
             Catch::Contains("must be an array"));

  test::TempDir dir("annotations_bad");
  test::WriteBytes(dir / "site.json", "{\"format\": \"muta.site\", \"version\": 1, \"name\": ");
  CHECK_THAT(test::ErrorOf([&] { AnnotationStore store(dir / "site.json"); }),
             Catch::Contains("site.json"));
}

}  // namespace
}  // namespace muta::render::viewer
