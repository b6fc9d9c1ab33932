// `muta report -w WS` and the report `muta reconstruct` writes: report.html names every stage,
// links only images that exist (valid PNGs of the sizes it states), shows what finished and the
// error after a failed stage, and explains a missing or foreign workspace.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "core/colmap_model.h"
#include "core/depth_map_io.h"
#include "core/file_io.h"
#include "core/image_io.h"
#include "core/json.h"
#include "core/mesh.h"
#include "core/ply_io.h"
#include "core/pose.h"
#include "core/workspace.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using muta::test::RunMuta;
using muta::test::TempDir;

namespace {

muta::StageRecord Stage(const std::string& name, muta::StageStatus status, double seconds,
                        muta::Json figures = muta::Json::object()) {
  muta::StageRecord s;
  s.name = name;
  s.status = status;
  s.started = "2026-11-25T10:00:00Z";
  s.finished = "2026-11-25T10:01:00Z";
  s.seconds = seconds;
  s.figures = std::move(figures);
  return s;
}

void WriteJob(const fs::path& ws, std::vector<muta::StageRecord> stages,
              const muta::Json& properties) {
  muta::Job job;
  job.muta_version = "test";
  job.created = "2026-11-25T09:59:00Z";
  job.updated = "2026-11-25T10:30:00Z";
  job.properties = properties;
  job.stages = std::move(stages);
  muta::WriteJsonFile(ws / "muta.job.json", muta::JobToJson(job));
}

// Four cameras 10 m around the box looking at it, and points on its faces in its colours.
muta::SparseModel SmallModel() {
  muta::SparseModel model;
  muta::Camera camera = muta::Camera::Pinhole(80, 60, 70, 70, 40, 30);
  camera.id = 1;
  model.cameras[1] = camera;
  for (std::uint32_t i = 0; i < 4; ++i) {
    muta::SparseImage image;
    image.id = i + 1;
    image.name = "view_00" + std::to_string(i) + ".jpg";
    image.camera_id = 1;
    const double a = i * 1.5707963267948966;
    image.cam_from_world = muta::LookAt(Eigen::Vector3d(10 * std::cos(a), 10 * std::sin(a), 2),
                                        Eigen::Vector3d(0, 0, 1.5));
    model.images[image.id] = image;
  }
  std::uint64_t id = 1;
  for (int u = 0; u <= 10; ++u) {
    for (int v = 0; v <= 15; ++v) {
      for (double side : {-1.0, 1.0}) {
        muta::SparsePoint p;
        p.id = id++;
        p.xyz = Eigen::Vector3d(side, -1 + 0.2 * u, 0.2 * v);
        p.color = v > 7 ? muta::Color3u8(200, 60, 40) : muta::Color3u8(40, 90, 200);
        p.error = 0.5;
        model.points[p.id] = p;
      }
    }
  }
  return model;
}

// A depth map whose depth grows from left to right, with a hole, and its normal map.
void WriteDepthAndNormals(const fs::path& ws, const std::string& image, float base) {
  muta::FloatMap depth(80, 60, 1), normals(80, 60, 3);
  for (int y = 0; y < 60; ++y) {
    for (int x = 0; x < 80; ++x) {
      const bool hole = x > 50 && y > 40;
      depth.at(x, y) = hole ? 0.0f : base + 0.05f * x;
      if (!hole) normals.at(x, y, 2) = -1.0f;
    }
  }
  muta::WriteColmapArray(ws / "dense/stereo/depth_maps" / (image + ".geometric.bin"), depth);
  muta::WriteColmapArray(ws / "dense/stereo/normal_maps" / (image + ".geometric.bin"), normals);
}

// The images report.html links: path (relative to the workspace) and the size it states.
struct Linked {
  std::string src;
  int width = 0;
  int height = 0;
};

std::vector<Linked> LinkedImages(const std::string& html) {
  std::vector<Linked> out;
  const std::regex img("<img src=\"([^\"]+)\" width=\"([0-9]+)\" height=\"([0-9]+)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), img); it != std::sregex_iterator();
       ++it) {
    out.push_back({(*it)[1].str(), std::stoi((*it)[2].str()), std::stoi((*it)[3].str())});
  }
  return out;
}

// Checks that every linked image exists, is a PNG under report/ and has the stated size.
void CheckLinkedImages(const fs::path& ws, const std::vector<Linked>& images) {
  for (const Linked& l : images) {
    INFO(l.src);
    CHECK(l.src.rfind("report/", 0) == 0);
    REQUIRE(fs::is_regular_file(ws / l.src));
    const std::vector<std::uint8_t> bytes = muta::ReadFileBytes(ws / l.src);
    REQUIRE(bytes.size() > 8);
    CHECK(bytes[0] == 0x89);
    CHECK(std::string(bytes.begin() + 1, bytes.begin() + 4) == "PNG");
    const muta::Image image = muta::ReadImage(ws / l.src);
    CHECK(image.width == l.width);
    CHECK(image.height == l.height);
  }
}

bool Links(const std::vector<Linked>& images, const std::string& src) {
  for (const Linked& l : images) {
    if (l.src == src) return true;
  }
  return false;
}

// Pixels that are clearly red (the frusta, the box's top): r high, g and b well below it.
int RedPixels(const muta::Image& image) {
  int n = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const int r = image.at(x, y, 0), g = image.at(x, y, 1), b = image.at(x, y, 2);
      n += r > 150 && r > g + 60 && r > b + 60;
    }
  }
  return n;
}

bool HasTempFiles(const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().filename().string().find(".tmp-") != std::string::npos) return true;
  }
  return false;
}

const char* const kStages[] = {"ingest", "sfm", "orient", "undistort", "mvs", "fusion", "mesh"};

}  // namespace

TEST_CASE("muta report shows every stage, the sparse model, depth maps and the mesh", "[gl]") {
  TempDir dir("report");
  const fs::path ws = dir / "ws";
  fs::create_directories(ws);
  std::vector<muta::StageRecord> stages;
  for (const char* name : kStages) {
    stages.push_back(Stage(name, muta::StageStatus::kDone, 1.5, {{"images", 4}}));
  }
  stages[1].figures = {{"registered", 4}, {"images", 4}, {"points", 352}};
  stages[2].figures = {{"unscaled", true}, {"scale_source", "none"}};
  stages[4].figures = {{"images", 4}, {"geometric", {{"seconds", 12.4}, {"processed", 4}}}};
  WriteJob(ws, stages, {{"unscaled", true}, {"scale_source", "none"}, {"quality", "preview"}});
  muta::WriteJsonFile(ws / "images.json",
                      {{"format", "muta.images"}, {"source", "/data/photos/pagoda"}});
  muta::WriteSparseModel(ws / "sparse", SmallModel());
  WriteDepthAndNormals(ws, "view_000.jpg", 8.0f);
  WriteDepthAndNormals(ws, "view_001.jpg", 9.0f);
  muta::WritePly(ws / "dense/mesh.ply", muta::test::ColouredBox());
  muta::WriteJsonFile(
      ws / "accuracy.json",
      {{"diagonal", 12.0},
       {"cameras", {{"registered", 4}, {"total", 4}, {"position_error_median", 0.006}}},
       {"mesh", {{"tau", 0.06}, {"precision", 0.93}, {"recall", 0.88}, {"f_score", 0.904}}}});

  auto r = RunMuta({"report", "-w", ws.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("report.html"));
  const std::string html = muta::ReadFileText(ws / "report.html");

  // Summary: input, quality, scale; each stage with its figures; accuracy.
  CHECK_THAT(html, Catch::Contains("/data/photos/pagoda"));
  CHECK_THAT(html, Catch::Contains("preview"));
  CHECK_THAT(html, Catch::Contains("unscaled"));
  for (const char* name : kStages) {
    INFO(name);
    CHECK_THAT(html, Catch::Contains(std::string("id=\"stage-") + name + "\""));
  }
  CHECK_THAT(html, Catch::Contains("4/4 registered, 352 points"));
  CHECK_THAT(html, Catch::Contains("geometric.seconds"));
  CHECK_THAT(html, Catch::Contains("12.4 s"));
  CHECK_THAT(html, Catch::Contains("f_score"));
  CHECK_THAT(html, Catch::Contains("0.904"));
  CHECK_THAT(html, Catch::Contains("0.050 % of the scene diagonal"));

  // Offline: nothing fetched from elsewhere, no scripts.
  CHECK_THAT(html, !Catch::Contains("http://") && !Catch::Contains("https://"));
  CHECK_THAT(html, !Catch::Contains("<script"));

  const std::vector<Linked> images = LinkedImages(html);
  CheckLinkedImages(ws, images);
  for (const char* src :
       {"report/sparse_top.png", "report/sparse_three_quarter.png", "report/mesh_three_quarter.png",
        "report/mesh_front.png", "report/depth_0.png", "report/normal_0.png", "report/depth_1.png",
        "report/normal_1.png", "report/depth_legend.png"}) {
    INFO(src);
    CHECK(Links(images, src));
  }
  for (const Linked& l : images) {
    if (l.src.find("sparse_") != std::string::npos || l.src.find("mesh_") != std::string::npos) {
      INFO(l.src);
      CHECK(l.width == 640);
      CHECK(l.height == 480);
    }
    if (l.src.find("depth_0") != std::string::npos) {
      // Maps narrower than the thumbnail width keep their size.
      CHECK(l.width == 80);
      CHECK(l.height == 60);
    }
  }
  // The renders show something: the red frusta from above, the box's red top from the side.
  CHECK(RedPixels(muta::ReadImage(ws / "report/sparse_top.png")) > 50);
  CHECK(RedPixels(muta::ReadImage(ws / "report/mesh_three_quarter.png")) > 500);
  // The depth map's colours run from near (left) to far (right) and its hole is dark grey.
  const muta::Image depth = muta::ReadImage(ws / "report/depth_0.png");
  CHECK(depth.at(2, 10, 0) > depth.at(48, 10, 0));  // yellow near, violet far
  CHECK(depth.at(70, 55, 0) == depth.at(70, 55, 1));
  CHECK(depth.at(70, 55, 0) < 60);
  CHECK_FALSE(HasTempFiles(ws));

  // Without dense results the depth maps and the mesh leave the report, and their PNGs go.
  fs::remove_all(ws / "dense");
  r = RunMuta({"report", "-w", ws.string(), "--no-render"});
  REQUIRE(r.exit_code == 0);
  const std::string html2 = muta::ReadFileText(ws / "report.html");
  CHECK_THAT(html2, !Catch::Contains("id=\"mesh\"") && !Catch::Contains("id=\"depth-maps\""));
  CHECK(LinkedImages(html2).empty());
  CHECK_FALSE(fs::exists(ws / "report/mesh_front.png"));
  CHECK_FALSE(fs::exists(ws / "report/depth_0.png"));
  CHECK_THAT(html2, Catch::Contains("id=\"sparse\""));
  CHECK_THAT(html2, Catch::Contains("Views not rendered"));
  CHECK_FALSE(fs::exists(ws / "report/sparse_top.png"));
}

TEST_CASE("muta report after a failed stage shows what finished and the error", "[e2e]") {
  TempDir dir("report-failed");
  const fs::path ws = dir / "ws";
  fs::create_directories(ws);
  muta::StageRecord failed = Stage("sfm", muta::StageStatus::kFailed, 3.0);
  failed.error = "COLMAP mapper failed: <no model> & nothing registered";
  WriteJob(ws,
           {Stage("ingest", muta::StageStatus::kDone, 0.2, {{"images", 5}, {"files", 6}}), failed},
           muta::Json::object());
  muta::test::WriteBytes(ws / "log.txt", "[info] ingest: done\n[error] sfm: mapper <failed>\n");

  const auto r = RunMuta({"report", "-w", ws.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string html = muta::ReadFileText(ws / "report.html");
  CHECK_THAT(html, Catch::Contains("id=\"stage-ingest\""));
  CHECK_THAT(html, Catch::Contains("id=\"stage-sfm\""));
  CHECK_THAT(html, Catch::Contains("status failed"));
  CHECK_THAT(html, Catch::Contains("COLMAP mapper failed: &lt;no model&gt; &amp; nothing"));
  CHECK_THAT(html, !Catch::Contains("<no model>"));
  CHECK_THAT(html, Catch::Contains("mapper &lt;failed&gt;"));  // the end of log.txt
  CHECK_THAT(html, Catch::Contains("5 images"));
  CHECK_THAT(html, Catch::Contains("not determined yet"));  // no scale before orient
  CHECK(LinkedImages(html).empty());
}

TEST_CASE("muta reconstruct writes the report after a failed stage and after ingest alone",
          "[e2e]") {
  TempDir dir("report-reconstruct");
  muta::test::WriteBytes(dir / "photos" / "notes.txt", "site notes");
  const fs::path ws = dir / "ws";
  const auto r = RunMuta({"reconstruct", (dir / "photos").string(), "-w", ws.string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("usable images"));
  REQUIRE(fs::is_regular_file(ws / "report.html"));
  const std::string html = muta::ReadFileText(ws / "report.html");
  CHECK_THAT(html, Catch::Contains("id=\"stage-ingest\""));
  CHECK_THAT(html, Catch::Contains("status failed"));
  CHECK_THAT(html, Catch::Contains("usable images"));
  CHECK_THAT(html, Catch::Contains("standard"));  // the quality of the run
  CHECK_FALSE(HasTempFiles(ws));

  // After ingest alone (--to ingest), the report has that stage and nothing to picture yet.
  for (int i = 0; i < 3; ++i) {
    muta::Image photo(160, 120, 3);
    for (std::size_t k = 0; k < photo.pixels.size(); ++k) {
      photo.pixels[k] = static_cast<std::uint8_t>((k * 7919 + i * 104729) % 251);
    }
    muta::WriteImage(dir / "photos3" / ("p" + std::to_string(i) + ".png"), photo);
  }
  const fs::path ws2 = dir / "ws2";
  const auto r2 =
      RunMuta({"reconstruct", (dir / "photos3").string(), "-w", ws2.string(), "--to", "ingest"});
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  const std::string html2 = muta::ReadFileText(ws2 / "report.html");
  CHECK_THAT(html2, Catch::Contains("id=\"stage-ingest\""));
  CHECK_THAT(html2, Catch::Contains("3 images"));
  CHECK_THAT(html2, Catch::Contains((dir / "photos3").string()));
  CHECK_THAT(html2, !Catch::Contains("status failed") && !Catch::Contains("id=\"sparse\""));
}

TEST_CASE("muta report explains a missing or foreign workspace", "[e2e]") {
  TempDir dir("report-bad");
  const fs::path missing = dir / "no-such-ws";
  auto r = RunMuta({"report", "-w", missing.string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains(missing.string()));
  CHECK_THAT(r.err, Catch::Contains("no such workspace"));
  CHECK_FALSE(fs::exists(missing));

  const fs::path foreign = dir / "photos";
  muta::test::WriteBytes(foreign / "a.jpg", "not really");
  r = RunMuta({"report", "-w", foreign.string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains(foreign.string()));
  CHECK_THAT(r.err, Catch::Contains("not a Muta workspace"));
  CHECK_FALSE(fs::exists(foreign / "report.html"));

  const fs::path broken = dir / "broken";
  muta::test::WriteBytes(broken / "muta.job.json", "{\"format\": \"muta.job\", ");
  r = RunMuta({"report", "-w", broken.string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("muta.job.json"));
  CHECK_FALSE(fs::exists(broken / "report.html"));
}
