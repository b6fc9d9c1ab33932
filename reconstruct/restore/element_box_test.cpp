// Box-shaped broken elements (element_box.h): the box of a plate some of whose triangles are
// lost is found (axes, extent, observed area per side), pieces that are not one box are not,
// and the unobserved cells cover exactly the lost area.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include <Eigen/Geometry>

#include "reconstruct/restore/element_box.h"
#include "reconstruct/restore/mesh_builder_test_util.h"

namespace {

using namespace muta;
using namespace muta::restore;
using Eigen::Vector3d;
using muta::test::OrientedBox;
using muta::test::Quad;

double FaceArea(const Mesh& m, std::size_t f) {
  const Vector3d a = m.vertices[m.faces[f][0]].cast<double>();
  const Vector3d b = m.vertices[m.faces[f][1]].cast<double>();
  const Vector3d c = m.vertices[m.faces[f][2]].cast<double>();
  return 0.5 * (b - a).cross(c - a).norm();
}

Mesh Without(const Mesh& m, std::initializer_list<std::size_t> lost) {
  Mesh out = m;
  out.faces.clear();
  for (std::size_t f = 0; f < m.faces.size(); ++f) {
    if (std::find(lost.begin(), lost.end(), f) == lost.end()) out.faces.push_back(m.faces[f]);
  }
  return out;
}

std::optional<ElementBox> FitFirstLoop(const Mesh& m) {
  const WeldedTopology topology = WeldVertices(m, 1e-6);
  const std::vector<BoundaryLoop> loops = FindBoundaryLoops(m, topology);
  REQUIRE(!loops.empty());
  return FitElementBox(m, topology, WeldedFaceIndex(m, topology), loops.front(),
                       ElementBoxOptions{});
}

TEST_CASE("element box: a plate that lost its front and part of its top is found as its box",
          "[unit]") {
  // A plaque 0.1 x 1.6 x 0.6 m turned 45 degrees about z, standing 1 m up, as synth builds it.
  const Eigen::Matrix3d axes = Eigen::AngleAxisd(std::numbers::pi / 4, Vector3d::UnitZ()).matrix();
  const Vector3d centre(4, 4, 1.3), half(0.05, 0.8, 0.3);
  Mesh intact;
  OrientedBox(intact, centre, axes, half);
  // Lost: the front (+x: faces 6, 7), one triangle of each end (-y: 4, +y: 8) and of the top
  // (2) - the corners stay on what is left.
  const Mesh broken = Without(intact, {2, 4, 6, 7, 8});
  const std::optional<ElementBox> box = FitFirstLoop(broken);
  REQUIRE(box.has_value());
  CHECK(box->faces.size() == 7);
  // The axes are the plate's (up to order and sign) and the extent its own.
  Vector3d size = box->hi - box->lo;
  for (int k = 0; k < 3; ++k) {
    int matched = -1;
    for (int j = 0; j < 3; ++j) {
      if (std::abs(box->axes.col(k).dot(axes.col(j))) > 1 - 1e-6) matched = j;
    }
    REQUIRE(matched >= 0);
    CHECK(size[k] == Approx(2 * half[matched]).margin(1e-5));
  }
  CHECK(box->axes.determinant() == Approx(1.0).margin(1e-9));
  // Observed area per side: the back whole, the front nothing.
  double observed = 0;
  for (const double a : box->side_observed_area) observed += a;
  double kept = 0;
  for (std::size_t f = 0; f < broken.faces.size(); ++f) kept += FaceArea(broken, f);
  CHECK(observed == Approx(kept).epsilon(1e-6));

  // The unobserved cells cover what was lost, facing out of the box.
  const std::vector<BoxCell> cells = UnobservedBoxCells(*box, broken, 0.03, 0.002);
  double cell_area = 0;
  for (const BoxCell& c : cells) {
    const Vector3d n = (c.corners[1] - c.corners[0]).cross(c.corners[2] - c.corners[0]);
    cell_area += 0.5 * n.norm();
    CHECK(n.normalized().dot(box->SideNormal(c.side)) == Approx(1.0).margin(1e-6));
    const Vector3d mid = (c.corners[0] + c.corners[1] + c.corners[2]) / 3.0;
    CHECK((mid - centre).dot(box->SideNormal(c.side)) > 0);
  }
  double lost = 0;
  for (const std::size_t f : {2, 4, 6, 7, 8}) lost += FaceArea(intact, f);
  // Cells straddling a lost triangle's diagonal edge count by their centre: within a cell row.
  INFO("cells " << cell_area << " m^2, lost " << lost << " m^2");
  CHECK(cell_area == Approx(lost).epsilon(0.05));
}

TEST_CASE("element box: pieces that are not one box are not taken for one", "[unit]") {
  const Eigen::Matrix3d axes = Eigen::Matrix3d::Identity();
  SECTION("an L of two boxes welded together") {
    Mesh m;
    OrientedBox(m, {0, 0, 0.5}, axes, {0.05, 0.5, 0.5});
    OrientedBox(m, {0.25, 0, 0.95}, axes, {0.2, 0.5, 0.05});  // shares the first box's top edge
    const Mesh broken = Without(m, {10, 11});                 // the first box's -x side lost
    CHECK_FALSE(FitFirstLoop(broken).has_value());
  }
  SECTION("a single sheet (no thickness)") {
    Mesh m;
    Quad(m, {0, 0, 0}, {1, 0, 0}, {1, 0, 1}, {0, 0, 1});
    Quad(m, {1, 0, 0}, {2, 0, 0}, {2, 0, 1}, {1, 0, 1});
    CHECK_FALSE(FitFirstLoop(m).has_value());
  }
  SECTION("a face along no axis (a wedge)") {
    Mesh m;
    OrientedBox(m, {0, 0, 0.5}, axes, {0.5, 0.5, 0.5});
    m.vertices[m.faces[3][2]].z() += 0.3f;  // one top corner raised: the top is no side
    CHECK_FALSE(FitFirstLoop(Without(m, {4, 5})).has_value());
  }
  SECTION("a piece larger than an element") {
    Mesh m;
    OrientedBox(m, {0, 0, 0}, axes, {4, 4, 0.1});
    CHECK_FALSE(FitFirstLoop(Without(m, {2, 3})).has_value());
  }
}

}  // namespace
