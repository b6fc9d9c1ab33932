#include "core/icp.h"

#include <catch2/catch.hpp>

#include "core/closest_point.h"
#include "core/error.h"
#include "core/sampling.h"

namespace {

// A box-like "building" with distinct faces, so ICP is well constrained.
muta::Mesh Building() {
  muta::Mesh mesh;
  const float s[3] = {4, 3, 6};
  for (int i = 0; i < 8; ++i) {
    mesh.vertices.emplace_back(i & 1 ? s[0] : 0, i & 2 ? s[1] : 0, i & 4 ? s[2] : 0);
  }
  const int quads[6][4] = {{0, 1, 3, 2}, {4, 6, 7, 5}, {0, 4, 5, 1},
                           {2, 3, 7, 6}, {0, 2, 6, 4}, {1, 5, 7, 3}};
  for (const auto& q : quads) {
    mesh.faces.emplace_back(q[0], q[1], q[2]);
    mesh.faces.emplace_back(q[0], q[2], q[3]);
  }
  // A roof ridge to break the box's symmetries.
  const auto base = std::uint32_t(mesh.vertices.size());
  mesh.vertices.emplace_back(0, 0, 6);
  mesh.vertices.emplace_back(4, 0, 6);
  mesh.vertices.emplace_back(1, 1.5f, 8);
  mesh.faces.emplace_back(base, base + 1, base + 2);
  return mesh;
}

}  // namespace

TEST_CASE("ICP removes a small similarity misalignment", "[unit][icp]") {
  const muta::Mesh gt = Building();
  const muta::TriangleBvh bvh(gt);
  const auto samples = muta::SampleSurface(gt, 20000, 3);
  muta::Sim3d off;
  off.scale = 1.01;
  off.rotation = Eigen::AngleAxisd(0.01, Eigen::Vector3d(0.2, 1, 0.3).normalized());
  off.translation = {0.03, -0.02, 0.04};
  std::vector<muta::Vec3f> moved;
  for (const auto& p : samples) moved.push_back((off * p.cast<double>()).cast<float>());
  muta::IcpOptions o;
  o.max_distance = 0.3;
  const muta::IcpResult r = muta::RefineAlignmentIcp(bvh, moved, o);
  CHECK(r.rms_after < 0.002);
  CHECK(r.rms_after < r.rms_before);
  CHECK(r.transform.scale * off.scale == Approx(1.0).epsilon(1e-3));
  // The refined transform undoes the offset on a test point.
  const Eigen::Vector3d p(2, 1, 3);
  CHECK((r.transform * (off * p) - p).norm() < 0.01);

  o.max_distance = 1e-6;
  CHECK_THROWS_AS(muta::RefineAlignmentIcp(bvh, moved, o), muta::Error);
}
