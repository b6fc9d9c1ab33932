// render::SiteStream on a site bundle written by reconstruct::ExportSite: LOD by screen-space
// error, no cracks where levels meet, the memory budget, exact picking, layers and sections
// through streamed tiles, and clear errors for a corrupt tileset.json or a truncated tile.
#include "render/site_stream.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <memory>

#include <Eigen/Geometry>

#include "core/error.h"
#include "core/progress.h"
#include "core/site_io.h"
#include "reconstruct/tiles/site_export.h"
#include "render/gl_context.h"
#include "render/render_test_util.h"
#include "render/renderer.h"
#include "tests/test_util.h"

namespace muta::test {
namespace {

namespace fs = std::filesystem;
using render::Renderer;
using render::RenderOptions;
using render::SiteStream;
using render::StreamOptions;

constexpr int kGrid = 160;      // vertices per side
constexpr float kSize = 10.0f;  // metres

// A wavy open sheet over [0, 10] x [0, 10] m with 1.5 cm of deterministic roughness, so that
// every LOD level has a real simplification error (an open surface: a crack would show the
// background). Faces with x > 7 m are inferred:symmetry, confidence 0.5.
Mesh WavySheet() {
  Mesh mesh;
  for (int j = 0; j < kGrid; ++j) {
    for (int i = 0; i < kGrid; ++i) {
      const float x = kSize * i / (kGrid - 1), y = kSize * j / (kGrid - 1);
      std::uint32_t h = std::uint32_t(i) * 73856093u ^ std::uint32_t(j) * 19349663u;
      h = (h ^ (h >> 13)) * 0x5bd1e995u;
      h ^= h >> 15;
      const float rough = 0.015f * (float(h % 2001u) / 1000.0f - 1.0f);
      mesh.vertices.push_back(Vec3f(
          x, y, 0.4f * std::sin(1.3f * x) * std::cos(0.9f * y) + 0.05f * std::sin(7 * x) + rough));
    }
  }
  for (int j = 0; j + 1 < kGrid; ++j) {
    for (int i = 0; i + 1 < kGrid; ++i) {
      const auto a = static_cast<std::uint32_t>(j * kGrid + i);
      mesh.faces.push_back(Face(a, a + 1, a + kGrid + 1));
      mesh.faces.push_back(Face(a, a + kGrid + 1, a + kGrid));
    }
  }
  for (const Face& f : mesh.faces) {
    const bool inferred = mesh.vertices[f[0]].x() > 7.0f + 1e-4f &&
                          mesh.vertices[f[1]].x() > 7.0f + 1e-4f &&
                          mesh.vertices[f[2]].x() > 7.0f + 1e-4f;
    mesh.provenance.push_back(inferred ? Provenance::kInferredSymmetry : Provenance::kObserved);
    mesh.confidence.push_back(inferred ? 0.5f : 1.0f);
  }
  return mesh;
}

struct Site {
  std::unique_ptr<TempDir> dir;
  fs::path path;
  Mesh mesh;
};

const Site& TheSite() {
  static const Site site = [] {
    Site s;
    s.dir = std::make_unique<TempDir>("site_stream");
    s.path = s.dir->path() / "site";
    s.mesh = WavySheet();
    reconstruct::SiteExportOptions options;
    options.lod.max_leaf_triangles = 2048;
    options.write_model = false;
    Progress progress(ProgressStyle::kQuiet);
    reconstruct::ExportSite(s.mesh, std::nullopt, s.path, options, progress);
    return s;
  }();
  return site;
}

const Camera kCamera = Camera::Pinhole(160, 120, 140, 140, 80, 60);

Rigid3d Looking(const Eigen::Vector3d& eye, const Eigen::Vector3d& target) {
  return render::LookAt(eye, target, Eigen::Vector3d::UnitZ());
}

bool Drawn(const Image& image, int x, int y) {
  return image.at(x, y, 0) + image.at(x, y, 1) + image.at(x, y, 2) > 0;
}

TEST_CASE("site stream: fewer triangles far away, no cracks where levels meet", "[gl]") {
  const Site& site = TheSite();
  render::test::SharedHeadlessContext();
  Renderer renderer;
  StreamOptions options;
  options.max_sse_px = 0.5;
  SiteStream stream(site.path, renderer, options);
  const Box3f bounds = stream.Bounds();
  CHECK(bounds.min.x() <= 0.0f);
  CHECK(bounds.max.x() >= kSize);
  const Eigen::Vector3d centre(5, 5, 0);

  const auto near = stream.UpdateUntilComplete(kCamera, Looking({5, -1, 2.5}, centre));
  const auto mid = stream.UpdateUntilComplete(kCamera, Looking({5, -15, 8}, centre));
  const auto far = stream.UpdateUntilComplete(kCamera, Looking({5, -120, 60}, centre));
  INFO("triangles near " << near.triangles_drawn << ", mid " << mid.triangles_drawn << ", far "
                         << far.triangles_drawn);
  CHECK(near.complete);
  CHECK(far.triangles_drawn < mid.triangles_drawn);
  CHECK(mid.triangles_drawn < near.triangles_drawn);
  CHECK(far.tiles_selected >= 1);

  // A grazing view over the sheet mixes fine tiles in front with coarse ones behind.
  const Rigid3d pose = Looking({-1.5, -1.5, 2.0}, {6, 6, 0});
  const auto mixed = stream.UpdateUntilComplete(kCamera, pose);
  CHECK(mixed.tiles_selected > 2);
  CHECK(mixed.triangles_drawn < std::int64_t(site.mesh.NumFaces()));
  const Image streamed = renderer.Render(kCamera, pose, render::test::FlatLighting()).color;

  // The full-resolution mesh's silhouette, shrunk by 2 px: every pixel inside it must be drawn
  // by the streamed tiles too (a crack between tiles would show the black background).
  for (int id : stream.DrawnObjectIds()) renderer.SetVisible(id, false);
  render::SceneObject full;
  full.mesh = site.mesh;
  const int full_id = renderer.Add({full}).front();
  const Image reference = renderer.Render(kCamera, pose, render::test::FlatLighting()).color;
  renderer.Remove(full_id);
  int inside = 0, holes = 0;
  for (int y = 2; y + 2 < kCamera.height; ++y) {
    for (int x = 2; x + 2 < kCamera.width; ++x) {
      bool interior = true;
      for (int dy = -2; dy <= 2 && interior; ++dy) {
        for (int dx = -2; dx <= 2; ++dx) interior = interior && Drawn(reference, x + dx, y + dy);
      }
      if (!interior) continue;
      ++inside;
      if (!Drawn(streamed, x, y)) ++holes;
    }
  }
  INFO(inside << " interior pixels, " << holes << " not drawn by the stream");
  CHECK(inside > 5000);
  CHECK(holes == 0);
}

TEST_CASE("site stream: resident memory stays within the budget", "[gl]") {
  const Site& site = TheSite();
  render::test::SharedHeadlessContext();
  Renderer renderer;
  StreamOptions options;
  options.max_sse_px = 0.5;
  std::size_t full_bytes = 0;
  {
    SiteStream unlimited(site.path, renderer, options);
    full_bytes =
        unlimited.UpdateUntilComplete(kCamera, Looking({5, -2, 6}, {5, 5, 0})).resident_bytes;
  }
  CHECK(renderer.NumObjects() == 0);  // the stream removed its objects
  options.memory_budget_bytes = full_bytes / 3;
  SiteStream stream(site.path, renderer, options);
  // Fly in from far away, across the sheet and out again.
  for (int i = 0; i <= 40; ++i) {
    const double s = i / 40.0;
    const Eigen::Vector3d eye(1 + 8 * s, -30 + 40 * std::sin(3.1 * s), 20 - 17 * std::sin(3.1 * s));
    const Rigid3d pose = Looking(eye, {5, 5, 0});
    const auto stats =
        (i % 10 == 0) ? stream.UpdateUntilComplete(kCamera, pose) : stream.Update(kCamera, pose);
    INFO("frame " << i << ": " << stats.resident_bytes << " bytes resident, budget "
                  << options.memory_budget_bytes << ", sse scale " << stats.sse_scale);
    CHECK(stats.resident_bytes <= options.memory_budget_bytes);
    CHECK(stats.tiles_selected >= 1);
  }
  // The close view that needed full_bytes now completes coarser, within the budget.
  const auto close = stream.UpdateUntilComplete(kCamera, Looking({5, -2, 6}, {5, 5, 0}));
  CHECK(close.complete);
  CHECK(close.resident_bytes <= options.memory_budget_bytes);
  CHECK(close.sse_scale > 1);
}

TEST_CASE("site stream: Pick hits a known vertex within 1 mm", "[gl]") {
  const Site& site = TheSite();
  render::test::SharedHeadlessContext();
  Renderer renderer;
  StreamOptions options;
  options.max_sse_px = 0.01;  // leaves (full resolution) everywhere
  SiteStream stream(site.path, renderer, options);
  stream.UpdateUntilComplete(kCamera,
                             render::LookAt({5, 5, 12}, {5, 5, 0}, Eigen::Vector3d::UnitY()));
  for (const int index : {kGrid * 80 + 80, kGrid * 100 + 130, kGrid * 60 + 41}) {
    const Eigen::Vector3d v = site.mesh.vertices[std::size_t(index)].cast<double>();
    // Slightly oblique rays from above.
    const auto hit = stream.Pick(v + Eigen::Vector3d(0.3, -0.2, 3), Eigen::Vector3d(-0.3, 0.2, -3));
    REQUIRE(hit.has_value());
    INFO("vertex " << v.transpose() << ", hit " << hit->point.transpose());
    CHECK((hit->point - v).norm() < 1e-3);
    CHECK(hit->normal.z() > 0.5);
    CHECK(hit->tile >= 0);
    CHECK(hit->provenance == (v.x() > 7.1 ? Provenance::kInferredSymmetry : Provenance::kObserved));
  }
  // A ray that misses the sheet; and filters.
  CHECK_FALSE(stream.Pick({20, 20, 5}, {0, 0, -1}).has_value());
  render::PickFilter filter;
  filter.inferred = false;
  CHECK_FALSE(stream.Pick({8.5, 5, 3}, {0, 0, -1}, filter).has_value());
  filter = {};
  filter.section_planes = {Eigen::Vector4d(0, 0, 1, 1)};  // cuts away z > -1: everything
  CHECK_FALSE(stream.Pick({5, 5, 3}, {0, 0, -1}, filter).has_value());
}

TEST_CASE("site stream: layers and sections apply to streamed tiles", "[gl]") {
  const Site& site = TheSite();
  render::test::SharedHeadlessContext();
  Renderer renderer;
  SiteStream stream(site.path, renderer);
  const Camera camera = Camera::Pinhole(100, 100, 100, 100, 50, 50);
  const Rigid3d pose = render::LookAt({5, 5, 12}, {5, 5, 0}, Eigen::Vector3d::UnitY());
  stream.UpdateUntilComplete(camera, pose);
  const auto pixel = [&](double x, double y) {
    const Eigen::Vector2d uv = camera.Project(pose * Eigen::Vector3d(x, y, 0));
    return Eigen::Vector2i(int(uv.x()), int(uv.y()));
  };
  const Eigen::Vector2i observed = pixel(3, 5), inferred = pixel(8.5, 5);
  RenderOptions options = render::test::FlatLighting();
  options.layers.highlight_inferred = true;
  Image image = renderer.Render(camera, pose, options).color;
  const auto rgb = [&](const Eigen::Vector2i& p) {
    return Eigen::Vector3i(image.at(p.x(), p.y(), 0), image.at(p.x(), p.y(), 1),
                           image.at(p.x(), p.y(), 2));
  };
  CHECK(rgb(inferred).x() > 200);
  CHECK(rgb(inferred).z() < 100);
  CHECK(rgb(observed).z() > 140);  // clay, not orange
  options.layers.show_inferred = false;
  image = renderer.Render(camera, pose, options).color;
  CHECK(rgb(inferred).maxCoeff() == 0);
  CHECK(rgb(observed).maxCoeff() > 0);
  // A section at y = 6 removes y > 6.
  options = render::test::FlatLighting();
  options.section_planes = {Eigen::Vector4d(0, 1, 0, -6)};
  image = renderer.Render(camera, pose, options).color;
  CHECK(rgb(pixel(3, 5)).maxCoeff() > 0);
  CHECK(rgb(pixel(3, 7)).maxCoeff() == 0);
  CHECK(rgb(pixel(8, 9)).maxCoeff() == 0);
}

TEST_CASE("site stream: corrupt tileset.json and truncated tiles give clear errors", "[gl]") {
  const Site& site = TheSite();
  render::test::SharedHeadlessContext();
  Renderer renderer;
  TempDir dir("site_stream_bad");

  // Missing and corrupt tileset.json: muta::Error naming the file.
  CHECK_THAT(ErrorOf([&] { SiteStream s(dir / "nothing", renderer); }), Catch::Contains("nothing"));
  fs::create_directories(dir / "corrupt");
  WriteBytes(dir / "corrupt" / "tileset.json", "{\"asset\": {\"version\": \"1.1\"}, \"root\": [");
  CHECK_THAT(ErrorOf([&] { SiteStream s(dir / "corrupt", renderer); }),
             Catch::Contains("tileset.json"));
  WriteBytes(dir / "corrupt" / "tileset.json", "");
  CHECK_THAT(ErrorOf([&] { SiteStream s(dir / "corrupt" / "tileset.json", renderer); }),
             Catch::Contains("tileset.json"));

  // A truncated leaf tile: the stream reports it through Update, naming the .glb, and goes on
  // drawing a coarser tile in its place.
  const fs::path copy = dir / "truncated";
  fs::copy(site.path, copy, fs::copy_options::recursive);
  const Tileset tileset = ReadTileset(copy / "tileset.json");
  // A leaf whose parent has an error (so a fine enough view wants it), in the middle of the sheet.
  int leaf = -1;
  for (std::size_t i = 0; i < tileset.tiles.size(); ++i) {
    const TilesetTile& t = tileset.tiles[i];
    if (t.children.empty() && t.parent >= 0 &&
        tileset.tiles[std::size_t(t.parent)].geometric_error > 0 && t.box.min.x() < 5 &&
        t.box.max.x() > 5) {
      leaf = static_cast<int>(i);
    }
  }
  REQUIRE(leaf > 0);
  const fs::path glb = TileContentPath(copy / "tileset.json", tileset.tiles[std::size_t(leaf)]);
  WriteTruncatedCopy(glb, glb.string() + ".tmp", fs::file_size(glb) / 2);
  fs::rename(glb.string() + ".tmp", glb);
  StreamOptions options;
  options.max_sse_px = 0.01;  // every leaf wanted
  SiteStream stream(copy, renderer, options);
  const Rigid3d pose = Looking({5, -12, 10}, {5, 5, 0});
  const std::string message = ErrorOf([&] { stream.UpdateUntilComplete(kCamera, pose); });
  CHECK_THAT(message, Catch::Contains(glb.filename().string()));
  // The next frames go on without the broken tile.
  render::StreamStats stats;
  for (int i = 0; i < 3; ++i) REQUIRE_NOTHROW(stats = stream.UpdateUntilComplete(kCamera, pose));
  CHECK(stats.tiles_selected >= 1);
  const Image image = renderer.Render(kCamera, pose, render::test::FlatLighting()).color;
  CHECK(Drawn(image, kCamera.width / 2, kCamera.height / 2));
}

}  // namespace
}  // namespace muta::test
