// Viewer scripts are checked as a whole before a window opens.
#include <catch2/catch.hpp>

#include "render/viewer/script.h"
#include "tests/test_util.h"

namespace muta::render::viewer {
namespace {

TEST_CASE("a viewer script is parsed and typed", "[unit]") {
  const Script s = ParseScript(ParseJson(R"({"size": [640, 480], "actions": [
      {"do": "camera", "mode": "fly", "eye": [1, 2, 3], "target": [0, 0, 0]},
      {"do": "layers", "highlight_inferred": true, "split": 0.4},
      {"do": "section", "axis": "z", "offset": 1.5},
      {"do": "measure", "kind": "distance", "points": [[0, 0, 0], [1, 1, 1]]},
      {"do": "screenshot", "path": "a.png"},
      {"do": "quit"}]})",
                                         "s.json"),
                               "s.json");
  REQUIRE(s.size.has_value());
  CHECK(*s.size == Eigen::Vector2i(640, 480));
  REQUIRE(s.actions.size() == 6);
  CHECK(ScriptVec3(s, s.actions[0], "eye") == Eigen::Vector3d(1, 2, 3));
  CHECK(ScriptNumber(s, s.actions[1], "split") == Approx(0.4));
  CHECK(ScriptPoints(s, s.actions[3], "points").size() == 2);
  CHECK(s.actions[4].index == 4);
  // A bare array works too.
  CHECK(ParseScript(ParseJson(R"([{"do": "quit"}])", "a"), "a").actions.size() == 1);
}

TEST_CASE("bad viewer scripts name the file, the action and the fix", "[unit]") {
  const auto error = [](const char* text) {
    return test::ErrorOf([&] { ParseScript(ParseJson(text, "bad.json"), "bad.json"); });
  };
  CHECK_THAT(error(R"([{"do": "dance"}])"),
             Catch::Contains("bad.json") && Catch::Contains("unknown") && Catch::Contains("quit"));
  CHECK_THAT(error(R"([{"do": "screenshot"}])"),
             Catch::Contains("action 0") && Catch::Contains("path"));
  CHECK_THAT(
      error(R"([{"do": "quit"}, {"do": "measure", "kind": "distance", "points": [[0, 0]]}])"),
      Catch::Contains("action 1") && Catch::Contains("points"));
  CHECK_THAT(error(R"([{"do": "layers", "highlight": true}])"), Catch::Contains("unknown key"));
  CHECK_THAT(error(R"({"size": [10, 10], "actions": []})"), Catch::Contains("size"));
  CHECK_THAT(error(R"({"steps": []})"), Catch::Contains("actions"));

  test::TempDir dir("script");
  test::WriteBytes(dir / "cut.json", "[{\"do\": \"qu");
  CHECK_THAT(test::ErrorOf([&] { ReadScript(dir / "cut.json"); }), Catch::Contains("cut.json"));
  CHECK_THAT(test::ErrorOf([&] { ReadScript(dir / "missing.json"); }),
             Catch::Contains("missing.json"));
}

}  // namespace
}  // namespace muta::render::viewer
