// Depth-map fusion on an analytic scene: a unit sphere seen by a ring of pinhole cameras whose
// depth and normal maps are computed exactly (ray-sphere intersection).
#include "reconstruct/fusion.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/colmap_model.h"
#include "core/depth_map_io.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/image_io.h"
#include "core/ply_io.h"
#include "core/pose.h"
#include "core/progress.h"
#include "reconstruct/mvs/patch_match_options.h"
#include "tests/test_util.h"

namespace muta::reconstruct {
namespace {

namespace fs = std::filesystem;
using Catch::Contains;

constexpr int kViews = 8;
constexpr int kWidth = 160, kHeight = 120;

// The camera ring: 8 views at distance 4 around the unit sphere, alternating in height.
SparseModel RingModel(CameraModel camera_model = CameraModel::kPinhole) {
  SparseModel model;
  Camera camera = Camera::Pinhole(kWidth, kHeight, 150, 150, 80, 60);
  if (camera_model == CameraModel::kSimpleRadial) {
    camera = Camera::SimpleRadial(kWidth, kHeight, 150, 80, 60, 0.01);
  }
  camera.id = 1;
  model.cameras[1] = camera;
  for (int i = 0; i < kViews; ++i) {
    const double a = 2 * std::numbers::pi * i / kViews;
    const Eigen::Vector3d eye(4 * std::cos(a), 4 * std::sin(a), i % 2 == 0 ? 0.8 : -0.5);
    SparseImage image;
    image.id = static_cast<std::uint32_t>(10 + i);  // ids need not start at 0 or 1
    image.name = "view_" + std::to_string(i) + ".png";
    image.camera_id = 1;
    image.cam_from_world = LookAt(eye, Eigen::Vector3d::Zero());
    model.images[image.id] = image;
  }
  return model;
}

Color3u8 ViewColor(int i) {
  return Color3u8(static_cast<std::uint8_t>(40 + 20 * i), static_cast<std::uint8_t>(200 - 10 * i),
                  static_cast<std::uint8_t>(90));
}

struct MapOptions {
  int scale_down = 1;       // maps smaller than the images by this factor
  double depth_factor = 1;  // for view `bad_view`: depths scaled (an inconsistent view)
  int bad_view = -1;
  std::string type = "geometric";
};

// Writes images, sparse model and exact maps into `dir` (COLMAP's dense layout).
void WriteSphereWorkspace(const fs::path& dir, const MapOptions& o = {},
                          const SparseModel& model = RingModel()) {
  WriteSparseModel(dir / "sparse", model);
  const Camera& camera = model.cameras.at(1);
  const int w = kWidth / o.scale_down, h = kHeight / o.scale_down;
  int i = 0;
  for (const auto& [id, image] : model.images) {
    Image photo(kWidth, kHeight, 3);
    for (int y = 0; y < kHeight; ++y)
      for (int x = 0; x < kWidth; ++x)
        for (int c = 0; c < 3; ++c) photo.at(x, y, c) = ViewColor(i)[c];
    WriteImage(dir / "images" / image.name, photo);
    FloatMap depth(w, h, 1), normal(w, h, 3);
    const Eigen::Matrix3d r = image.cam_from_world.rotation.toRotationMatrix();
    const Eigen::Vector3d c = CameraCenter(image.cam_from_world);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        // Ray through the map pixel's centre, z = 1 in the camera frame.
        const Eigen::Vector3d ray(
            (((x + 0.5) * o.scale_down) - camera.PrincipalX()) / camera.FocalX(),
            (((y + 0.5) * o.scale_down) - camera.PrincipalY()) / camera.FocalY(), 1.0);
        const Eigen::Vector3d d = r.transpose() * ray;
        // |c + s d|^2 = 1, nearest root; s is the camera-frame depth since ray.z = 1.
        const double a = d.squaredNorm(), b = 2 * c.dot(d), cc = c.squaredNorm() - 1;
        const double disc = b * b - 4 * a * cc;
        if (disc < 0) continue;
        const double s = (-b - std::sqrt(disc)) / (2 * a);
        const Eigen::Vector3d n = r * (c + s * d).normalized();
        depth.at(x, y) = static_cast<float>(i == o.bad_view ? s * o.depth_factor : s);
        for (int k = 0; k < 3; ++k) normal.at(x, y, k) = static_cast<float>(n[k]);
      }
    }
    WriteColmapArray(dir / "stereo" / "depth_maps" / (image.name + "." + o.type + ".bin"), depth);
    WriteColmapArray(dir / "stereo" / "normal_maps" / (image.name + "." + o.type + ".bin"), normal);
    ++i;
  }
}

// Index i in fused.ply.vis -> the camera of the i-th image in file (= id) order.
Rigid3d PoseOfIndex(const SparseModel& model, std::uint32_t index) {
  auto it = model.images.begin();
  std::advance(it, index);
  return it->second.cam_from_world;
}

// Checks every fused point against the sphere and its visibility list against the cameras.
// Every view in a point's list must see the sphere there at most `max_view_angle_deg` from its
// normal: fusion's max_grazing_angle plus ~2 degrees, as the fused point is the mean of its
// views' points, which lie up to max_reproj_error pixels apart – at grazing angles a pixel spans
// a few degrees of the unit sphere. The cloud must reach `min_extent` along +-x and +-y.
void CheckSphereCloud(const fs::path& dir, const Json& figures, int min_views,
                      double max_radius_error, int excluded_view = -1,
                      double max_view_angle_deg = 82, double min_extent = 0.95) {
  const SparseModel model = RingModel();
  const PointCloud cloud = ReadPlyPointCloud(dir / "fused.ply");
  const auto vis = ReadFusedVisibility(dir / "fused.ply.vis");
  REQUIRE(cloud.size() > 2000);
  REQUIRE(cloud.HasNormals());
  REQUIRE(cloud.HasColors());
  REQUIRE(vis.size() == cloud.size());
  CHECK(figures["points"].get<std::size_t>() == cloud.size());
  std::size_t total_views = 0;
  double worst_radius = 0, worst_normal = 1;
  int bad_lists = 0, bad_colors = 0;
  double worst_view_angle = 0;  // degrees
  Box3f box;
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    const Vec3f& p = cloud.points[i];
    box.Extend(p);
    worst_radius = std::max(worst_radius, std::abs(double(p.norm()) - 1.0));
    worst_normal = std::min(worst_normal, double(cloud.normals[i].dot(p.normalized())));
    const auto& ids = vis[i];
    total_views += ids.size();
    bool ok = int(ids.size()) >= min_views && std::is_sorted(ids.begin(), ids.end()) &&
              std::adjacent_find(ids.begin(), ids.end()) == ids.end();
    Eigen::Vector3d mean_color = Eigen::Vector3d::Zero();
    for (const std::uint32_t id : ids) {
      if (id >= kViews || int(id) == excluded_view) {
        ok = false;
        continue;
      }
      // The camera sees the point: in front of it, inside the image, on the near side.
      const Rigid3d pose = PoseOfIndex(model, id);
      const Eigen::Vector3d q = pose * p.cast<double>();
      const Eigen::Vector2d uv = model.cameras.at(1).Project(q);
      const Eigen::Vector3d c = CameraCenter(pose);
      ok = ok && q.z() > 0 && uv.x() >= 0 && uv.y() >= 0 && uv.x() <= kWidth && uv.y() <= kHeight &&
           (c - p.cast<double>()).dot(p.cast<double>()) > 0;
      const Eigen::Vector3d to_camera = (c - p.cast<double>()).normalized();
      worst_view_angle =
          std::max(worst_view_angle,
                   std::acos(std::clamp(to_camera.dot(p.cast<double>().normalized()), -1.0, 1.0)) *
                       180 / std::numbers::pi);
      mean_color += ViewColor(int(id)).cast<double>();
    }
    bad_lists += !ok;
    mean_color /= double(ids.size());
    bad_colors += (cloud.colors[i].cast<double>() - mean_color).cwiseAbs().maxCoeff() > 1.0;
  }
  CHECK(worst_radius < max_radius_error);
  CHECK(worst_normal > 0.999);
  CHECK(bad_lists == 0);
  CHECK(bad_colors == 0);
  CHECK(worst_view_angle < max_view_angle_deg);
  // The ring sees the sphere all round.
  CHECK(box.min.x() < -min_extent);
  CHECK(box.max.x() > min_extent);
  CHECK(box.min.y() < -min_extent);
  CHECK(box.max.y() > min_extent);
  const double mean_views = double(total_views) / double(cloud.size());
  CHECK(figures["mean_views"].get<double>() == Approx(mean_views));
  CHECK(mean_views >= min_views);
}

Progress& Quiet() {
  static Progress progress(ProgressStyle::kQuiet);
  return progress;
}

}  // namespace

TEST_CASE("fusion puts points on an analytic sphere with the right views and colours",
          "[unit][fusion]") {
  test::TempDir dir("fusion-sphere");
  WriteSphereWorkspace(dir.path());
  FusionOptions options;
  options.min_views = 3;
  const Json figures = FuseDepthMaps(dir.path(), options, Quiet());
  INFO(figures.dump());
  CheckSphereCloud(dir.path(), figures, 3, 1e-3);
  CHECK(figures["images"] == kViews);
  CHECK(figures["images_skipped"] == 0);
  CHECK(figures["cache_peak_bytes"].get<std::uint64_t>() <= options.cache_bytes);
  CHECK(figures["input_type"] == "geometric");

  // Deterministic: a second run writes the same bytes.
  const auto ply = ReadFileBytes(dir / "fused.ply");
  const auto vis = ReadFileBytes(dir / "fused.ply.vis");
  FuseDepthMaps(dir.path(), options, Quiet());
  CHECK(ReadFileBytes(dir / "fused.ply") == ply);
  CHECK(ReadFileBytes(dir / "fused.ply.vis") == vis);
}

TEST_CASE("fusion with a cache of two views gives the same cloud, reloading maps",
          "[unit][fusion]") {
  // Views large enough that 1 MiB (the smallest budget) holds only two of them.
  test::TempDir dir("fusion-cache");
  SparseModel model = RingModel();
  Camera& camera = model.cameras.at(1);
  camera = Camera::Pinhole(320, 240, 300, 300, 160, 120);
  camera.id = 1;
  // 320x240 maps: 13 B/pixel -> ~1.0 MB per view; 2 views need 2 MB.
  WriteSparseModel(dir / "sparse", model);
  int i = 0;
  for (const auto& [id, image] : model.images) {
    WriteImage(dir / "images" / image.name, Image(320, 240, 3, static_cast<std::uint8_t>(i * 20)));
    FloatMap depth(320, 240, 1), normal(320, 240, 3);
    const Eigen::Matrix3d r = image.cam_from_world.rotation.toRotationMatrix();
    const Eigen::Vector3d c = CameraCenter(image.cam_from_world);
    for (int y = 0; y < 240; ++y) {
      for (int x = 0; x < 320; ++x) {
        const Eigen::Vector3d d =
            r.transpose() * camera.Unproject(Eigen::Vector2d(x + 0.5, y + 0.5));
        const double a = d.squaredNorm(), b = 2 * c.dot(d), cc = c.squaredNorm() - 1;
        const double disc = b * b - 4 * a * cc;
        if (disc < 0) continue;
        const double s = (-b - std::sqrt(disc)) / (2 * a);
        const Eigen::Vector3d n = r * (c + s * d).normalized();
        depth.at(x, y) = static_cast<float>(s);
        for (int k = 0; k < 3; ++k) normal.at(x, y, k) = static_cast<float>(n[k]);
      }
    }
    WriteColmapArray(dir / "stereo" / "depth_maps" / (image.name + ".geometric.bin"), depth);
    WriteColmapArray(dir / "stereo" / "normal_maps" / (image.name + ".geometric.bin"), normal);
    ++i;
  }
  const std::uint64_t entry = 320 * 240 * 13;
  FusionOptions roomy;
  const Json a = FuseDepthMaps(dir.path(), roomy, Quiet());
  const auto ply = ReadFileBytes(dir / "fused.ply");
  const auto vis = ReadFileBytes(dir / "fused.ply.vis");
  FusionOptions tight;
  tight.cache_bytes = 2 * entry + entry / 2;  // two views fit, three do not
  const Json b = FuseDepthMaps(dir.path(), tight, Quiet());
  INFO(a.dump() << "\n" << b.dump());
  CHECK(ReadFileBytes(dir / "fused.ply") == ply);
  CHECK(ReadFileBytes(dir / "fused.ply.vis") == vis);
  CHECK(a["map_loads"] == kViews);  // every view loaded once
  CHECK(b["map_loads"].get<int>() > kViews);
  CHECK(b["cache_peak_bytes"].get<std::uint64_t>() <= tight.cache_bytes);
  CHECK(b["cache_peak_bytes"].get<std::uint64_t>() == 2 * entry);
  // Too small for two views: a clear error naming the option.
  tight.cache_bytes = entry + entry / 2;
  CHECK_THROWS_WITH(FuseDepthMaps(dir.path(), tight, Quiet()), Contains("cache_bytes"));
}

TEST_CASE("fusion scales intrinsics to downscaled maps and reads photometric maps",
          "[unit][fusion]") {
  test::TempDir dir("fusion-scaled");
  MapOptions o;
  o.scale_down = 2;
  o.type = "photometric";
  WriteSphereWorkspace(dir.path(), o);
  FusionOptions options;
  options.input_type = "photometric";
  const Json figures = FuseDepthMaps(dir.path(), options, Quiet());
  INFO(figures.dump());
  // Fewer pixels, same sphere; points within float precision of it.
  const PointCloud cloud = ReadPlyPointCloud(dir / "fused.ply");
  REQUIRE(cloud.size() > 500);
  double worst = 0;
  for (const Vec3f& p : cloud.points) worst = std::max(worst, std::abs(double(p.norm()) - 1));
  CHECK(worst < 1e-3);
  // No geometric maps here.
  options.input_type = "geometric";
  CHECK_THROWS_WITH(FuseDepthMaps(dir.path(), options, Quiet()),
                    Contains("view_0.png.geometric.bin") && Contains("missing"));
}

TEST_CASE("fusion rejects a view whose depths disagree with the others", "[unit][fusion]") {
  test::TempDir dir("fusion-outlier");
  MapOptions o;
  o.bad_view = 3;
  o.depth_factor = 1.2;  // 20 % too far: far beyond max_depth_error (1 %)
  WriteSphereWorkspace(dir.path(), o);
  FusionOptions options;
  const Json figures = FuseDepthMaps(dir.path(), options, Quiet());
  INFO(figures.dump());
  // Every kept point is on the sphere and none lists view 3 (index 3 in file order). Without
  // view 3 the side it faces (x, y < 0) is seen by only two views at non-grazing angles, so the
  // cloud reaches less far there.
  CheckSphereCloud(dir.path(), figures, 3, 1e-3, /*excluded_view=*/3, 82, /*min_extent=*/0.85);
}

TEST_CASE("fusion ignores grazing observations", "[unit][fusion]") {
  test::TempDir dir("fusion-grazing");
  WriteSphereWorkspace(dir.path());
  FusionOptions options;
  options.max_grazing_angle = 70;
  const Json strict = FuseDepthMaps(dir.path(), options, Quiet());
  INFO(strict.dump());
  CheckSphereCloud(dir.path(), strict, 3, 1e-3, -1, 72, 0.85);
  // A wider limit admits more of the sphere's rim: more points.
  options.max_grazing_angle = 85;
  const Json wide = FuseDepthMaps(dir.path(), options, Quiet());
  CHECK(wide["points"].get<std::size_t>() > strict["points"].get<std::size_t>());
  CheckSphereCloud(dir.path(), wide, 3, 1e-3, -1, 87);
}

TEST_CASE("fusion reports bad, missing and truncated inputs by file", "[unit][fusion]") {
  test::TempDir dir("fusion-bad");
  WriteSphereWorkspace(dir.path());
  const fs::path depth2 = dir / "stereo" / "depth_maps" / "view_2.png.geometric.bin";
  const fs::path normal5 = dir / "stereo" / "normal_maps" / "view_5.png.geometric.bin";
  FusionOptions options;

  SECTION("missing depth map") {
    fs::remove(depth2);
    CHECK_THROWS_WITH(FuseDepthMaps(dir.path(), options, Quiet()),
                      Contains(depth2.string()) && Contains("missing"));
    CHECK_FALSE(fs::exists(dir / "fused.ply"));
    // Allowed: the image is skipped and appears in no visibility list.
    options.allow_missing_maps = true;
    options.min_views = 2;  // without view 2 the +y side is seen by two views only
    const Json figures = FuseDepthMaps(dir.path(), options, Quiet());
    CHECK(figures["images_skipped"] == 1);
    CheckSphereCloud(dir.path(), figures, 2, 1e-3, /*excluded_view=*/2);
  }
  SECTION("truncated depth map") {
    const auto bytes = ReadFileBytes(depth2);
    test::WriteBytes(depth2, std::string(bytes.begin(), bytes.begin() + bytes.size() / 2));
    CHECK_THROWS_WITH(FuseDepthMaps(dir.path(), options, Quiet()), Contains(depth2.string()));
  }
  SECTION("truncated normal map") {
    const auto bytes = ReadFileBytes(normal5);
    test::WriteBytes(normal5, std::string(bytes.begin(), bytes.end() - 100));
    CHECK_THROWS_WITH(FuseDepthMaps(dir.path(), options, Quiet()),
                      Contains(normal5.string()) && Contains("truncated"));
  }
  SECTION("normal map of the wrong shape") {
    WriteColmapArray(normal5, FloatMap(kWidth, kHeight, 1));
    CHECK_THROWS_WITH(FuseDepthMaps(dir.path(), options, Quiet()),
                      Contains(normal5.string()) && Contains("x3 normal map"));
  }
  SECTION("not a map at all") {
    test::WriteBytes(depth2, "hello");
    CHECK_THROWS_WITH(FuseDepthMaps(dir.path(), options, Quiet()), Contains(depth2.string()));
  }
  SECTION("missing photograph") {
    fs::remove(dir / "images" / "view_4.png");
    CHECK_THROWS_WITH(FuseDepthMaps(dir.path(), options, Quiet()),
                      Contains("view_4.png") && Contains("undistort"));
  }
  SECTION("distorted camera") {
    WriteSparseModel(dir / "sparse", RingModel(CameraModel::kSimpleRadial));
    CHECK_THROWS_WITH(FuseDepthMaps(dir.path(), options, Quiet()), Contains("PINHOLE"));
  }
  SECTION("no sparse model") {
    fs::remove_all(dir / "sparse");
    CHECK_THROWS_AS(FuseDepthMaps(dir.path(), options, Quiet()), Error);
  }
  SECTION("no point consistent in enough views") {
    options.min_views = 9;  // more than there are images
    CHECK_THROWS_WITH(FuseDepthMaps(dir.path(), options, Quiet()), Contains("min_views"));
  }
  SECTION("interrupted: nothing written") {
    RequestInterrupt();
    CHECK_THROWS_AS(FuseDepthMaps(dir.path(), options, Quiet()), Cancelled);
    ResetInterrupt();
    CHECK_FALSE(fs::exists(dir / "fused.ply"));
    CHECK_FALSE(fs::exists(dir / "fused.ply.vis"));
  }
}

TEST_CASE("fusion options are checked and presets differ", "[unit][fusion]") {
  CHECK_NOTHROW(FusionOptions().Check());
  FusionOptions o;
  o.min_views = 0;
  CHECK_THROWS_WITH(o.Check(), Contains("min_views"));
  o = {};
  o.max_neighbors = 65;
  CHECK_THROWS_WITH(o.Check(), Contains("max_neighbors"));
  o = {};
  o.input_type = "fancy";
  CHECK_THROWS_WITH(o.Check(), Contains("input_type"));
  o = {};
  o.max_depth_error = 0;
  CHECK_THROWS_WITH(o.Check(), Contains("max_depth_error"));
  o = {};
  o.max_grazing_angle = 95;
  CHECK_THROWS_WITH(o.Check(), Contains("max_grazing_angle"));
  o = {};
  o.cache_bytes = 1000;
  CHECK_THROWS_WITH(o.Check(), Contains("cache_bytes"));
  for (const char* q : {"preview", "standard", "high"}) {
    CHECK_NOTHROW(FusionPreset(q).Check());
    // Each preset's MVS writes the maps its fusion reads.
    if (FusionPreset(q).input_type == "geometric") CHECK(PatchMatchPreset(q).geometric);
  }
  CHECK(FusionPreset("preview").min_views <= FusionPreset("standard").min_views);
  CHECK(FusionPreset("standard").input_type == "photometric");
  CHECK(FusionPreset("high").max_neighbors > FusionPreset("standard").max_neighbors);
  CHECK_THROWS_WITH(FusionPreset("ultra"), Contains("ultra"));
}

}  // namespace muta::reconstruct
