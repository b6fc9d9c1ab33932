#include "core/mesh.h"

#include <catch2/catch.hpp>

#include "core/error.h"

TEST_CASE("Mesh checks, appends and measures", "[unit][mesh]") {
  muta::Mesh a;
  a.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  a.faces = {{0, 1, 2}};
  a.provenance = {muta::Provenance::kObserved};
  REQUIRE_NOTHROW(a.Check());
  CHECK(a.Area() == Approx(0.5));

  muta::Mesh b = a;
  b.provenance = {muta::Provenance::kInferredSymmetry};
  b.confidence = {0.4f};
  a.Append(b);
  REQUIRE_NOTHROW(a.Check());
  CHECK(a.NumFaces() == 2);
  CHECK(a.faces[1] == muta::Face(3, 4, 5));
  CHECK(a.provenance[1] == muta::Provenance::kInferredSymmetry);
  CHECK(a.confidence == std::vector<float>{1.0f, 0.4f});

  a.ComputeVertexNormals();
  CHECK(a.normals[0].z() == Approx(1.0));

  a.faces[1][2] = 9;
  CHECK_THROWS_WITH(a.Check(), Catch::Contains("vertex 9"));
  a.faces[1][2] = 5;
  a.colors = {muta::Color3u8(1, 2, 3)};
  CHECK_THROWS_AS(a.Check(), muta::Error);
}

TEST_CASE("Provenance names round-trip", "[unit][mesh]") {
  for (int i = 0; i < 5; ++i) {
    const auto p = static_cast<muta::Provenance>(i);
    CHECK(muta::ParseProvenance(muta::ProvenanceName(p)) == p);
  }
  CHECK(muta::ProvenanceName(muta::Provenance::kInferredLearned) == "inferred:learned");
  CHECK(!muta::ParseProvenance("guessed").has_value());
}
