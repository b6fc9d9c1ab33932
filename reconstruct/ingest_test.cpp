#include "reconstruct/ingest.h"

#include <catch2/catch.hpp>

#include <fstream>

#include "core/error.h"
#include "core/file_io.h"
#include "core/image_io.h"
#include "core/progress.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using muta::reconstruct::IngestImages;
using muta::reconstruct::IngestOptions;

namespace {

// A textured photograph with EXIF focal length (35 mm equivalent 36 -> f = long side).
void WritePhoto(const fs::path& path, int w, int h, int seed, const std::string& model = "X1") {
  muta::Image image(w, h, 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      image.at(x, y, 0) = std::uint8_t((x * 7 + y * 3 + seed * 31) & 255);
      image.at(x, y, 1) = std::uint8_t((x ^ y) * (seed + 1));
      image.at(x, y, 2) = std::uint8_t((y * 5 + seed) & 255);
    }
  }
  muta::ImageWriteOptions o;
  o.focal_length_35mm = 36.0;
  o.focal_length_mm = 8.0;
  o.camera_make = "Muta";
  o.camera_model = model;
  muta::WriteImage(path, image, o);
}

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("Ingest keeps good photographs and reports the rest by name", "[unit][ingest]") {
  muta::test::TempDir dir("ingest");
  const fs::path in = dir / "photos";
  fs::create_directories(in / "sub");
  WritePhoto(in / "a.jpg", 160, 120, 1);
  WritePhoto(in / "b.JPG", 160, 120, 2);
  WritePhoto(in / "c.jpeg", 160, 120, 3, "X2");  // another camera group
  WritePhoto(in / "d.png", 160, 120, 4);
  WritePhoto(in / "sub" / "e.jpg", 160, 120, 5);
  fs::copy_file(in / "a.jpg", in / "a_copy.jpg");  // duplicate
  WriteText(in / "K.txt", "1 0 0\n0 1 0\n0 0 1\n");
  WriteText(in / "empty.jpg", "");
  muta::test::WriteTruncatedCopy(in / "b.JPG", in / "truncated.jpg",
                                 fs::file_size(in / "b.JPG") / 2);
  WriteText(in / "notajpeg.jpg", "this is text, not a JPEG");

  muta::Progress progress(muta::ProgressStyle::kQuiet);
  const auto result = IngestImages(in, dir / "ws" / "images", dir / "ws" / "images.json",
                                   IngestOptions{}, progress);
  std::vector<std::string> names;
  for (const auto& im : result.images) names.push_back(im.name);
  CHECK(names == std::vector<std::string>{"a.jpg", "b.JPG", "c.jpeg", "d.png"});
  CHECK(result.figures["skipped_not_image"] == 1);
  CHECK(result.figures["skipped_unreadable"] == 3);
  CHECK(result.figures["duplicates"] == 1);
  for (const auto& im : result.images) {
    CHECK(fs::exists(dir / "ws" / "images" / im.name));
    CHECK(im.width == 160);
    CHECK(im.scale == 1.0);
  }
  // EXIF priors and camera groups: a, b share a group; c (other model) and d (PNG, no EXIF)
  // have their own.
  REQUIRE(result.images[0].focal_px.has_value());
  CHECK(*result.images[0].focal_px == Approx(160.0));
  CHECK(result.images[0].group == result.images[1].group);
  CHECK(result.images[2].group != result.images[0].group);
  CHECK_FALSE(result.images[3].focal_px.has_value());
  CHECK(result.figures["camera_groups"] == 3);

  // The manifest reads back; skipped files are listed with their reason.
  const auto back = muta::reconstruct::ReadIngestManifest(dir / "ws" / "images.json");
  REQUIRE(back.size() == 4);
  CHECK(back[2].camera_model == "X2");
  const muta::Json manifest = muta::ReadJsonFile(dir / "ws" / "images.json");
  CHECK(manifest["duplicates"][0]["file"] == "a_copy.jpg");
  bool truncated_named = false;
  for (const auto& s : manifest["skipped"]) {
    truncated_named |= s["file"] == "truncated.jpg" &&
                       s["reason"].get<std::string>().find("truncated.jpg") != std::string::npos;
  }
  CHECK(truncated_named);

  SECTION("recursive takes sub-folders, with relative names") {
    IngestOptions o;
    o.recursive = true;
    const auto r =
        IngestImages(in, dir / "ws2" / "images", dir / "ws2" / "images.json", o, progress);
    CHECK(r.images.size() == 5);
    CHECK(r.images.back().name == "sub/e.jpg");
    CHECK(fs::exists(dir / "ws2" / "images" / "sub" / "e.jpg"));
  }
  SECTION("strict stops at the first bad image, naming it") {
    IngestOptions o;
    o.strict = true;
    try {
      IngestImages(in, dir / "ws3" / "images", dir / "ws3" / "images.json", o, progress);
      FAIL("expected an error");
    } catch (const muta::Error& e) {
      CHECK_THAT(e.what(), Catch::Contains("empty.jpg"));
    }
    CHECK_FALSE(fs::exists(dir / "ws3" / "images.json"));
  }
}

TEST_CASE("Ingest downscales with --max-size and keeps the focal prior", "[unit][ingest]") {
  muta::test::TempDir dir("ingest-small");
  const fs::path in = dir / "photos";
  fs::create_directories(in);
  for (int i = 0; i < 3; ++i) WritePhoto(in / ("p" + std::to_string(i) + ".jpg"), 400, 300, i);
  IngestOptions o;
  o.max_size = 200;
  muta::Progress progress(muta::ProgressStyle::kQuiet);
  const auto r = IngestImages(in, dir / "images", dir / "images.json", o, progress);
  REQUIRE(r.images.size() == 3);
  CHECK(r.images[0].width == 200);
  CHECK(r.images[0].height == 150);
  CHECK(r.images[0].scale == Approx(0.5));
  CHECK(*r.images[0].focal_px == Approx(200.0));
  const muta::ImageInfo info = muta::ReadImageInfo(dir / "images" / "p0.jpg");
  CHECK(info.width == 200);
  REQUIRE(info.FocalLengthPixels().has_value());
  CHECK(*info.FocalLengthPixels() == Approx(200.0));
  CHECK(r.figures["downscaled"] == 3);

  // A second ingest of fewer images drops the leftovers.
  fs::remove(in / "p2.jpg");
  WritePhoto(in / "q.jpg", 400, 300, 9);
  const auto r2 = IngestImages(in, dir / "images", dir / "images.json", o, progress);
  CHECK(r2.images.size() == 3);
  CHECK_FALSE(fs::exists(dir / "images" / "p2.jpg"));
}

TEST_CASE("Ingest takes photographs that are symlinks to files elsewhere", "[unit][ingest]") {
  // A folder of links (a selection of a read-only collection) is a folder of photographs: the
  // links' targets lie outside it, which must not make them look hidden or absent.
  muta::test::TempDir dir("ingest-links");
  const fs::path store = dir / "store", in = dir / "selection";
  fs::create_directories(store);
  fs::create_directories(in);
  for (int i = 0; i < 3; ++i) {
    const std::string name = "p" + std::to_string(i) + ".jpg";
    WritePhoto(store / name, 120, 90, i);
    fs::create_symlink(store / name, in / name);
  }
  muta::Progress progress(muta::ProgressStyle::kQuiet);
  const auto r = IngestImages(in, dir / "images", dir / "images.json", IngestOptions{}, progress);
  REQUIRE(r.images.size() == 3);
  CHECK(r.images[0].name == "p0.jpg");
  CHECK(r.images[2].name == "p2.jpg");
  CHECK(fs::is_regular_file(fs::symlink_status(dir / "images" / "p1.jpg")));
  // Ingesting again keeps the stored copies (none is taken for a leftover).
  const auto r2 = IngestImages(in, dir / "images", dir / "images.json", IngestOptions{}, progress);
  CHECK(r2.images.size() == 3);
  CHECK(fs::is_regular_file(dir / "images" / "p2.jpg"));
}

TEST_CASE("Ingest refuses folders without enough photographs", "[unit][ingest]") {
  muta::test::TempDir dir("ingest-bad");
  muta::Progress progress(muta::ProgressStyle::kQuiet);
  auto message = [&](const fs::path& in) -> std::string {
    try {
      IngestImages(in, dir / "images", dir / "images.json", IngestOptions{}, progress);
    } catch (const muta::Error& e) {
      CHECK(e.kind() == muta::ErrorKind::kUser);
      return e.what();
    }
    return "no error";
  };
  CHECK_THAT(message(dir / "missing"), Catch::Contains("no such folder"));
  fs::create_directories(dir / "empty");
  CHECK_THAT(message(dir / "empty"), Catch::Contains("holds no files"));
  fs::create_directories(dir / "text");
  WriteText(dir / "text" / "readme.txt", "hello");
  CHECK_THAT(message(dir / "text"), Catch::Contains("only 0 usable images"));
  fs::create_directories(dir / "one");
  WritePhoto(dir / "one" / "a.jpg", 64, 64, 1);
  CHECK_THAT(message(dir / "one"), Catch::Contains("only 1 usable image "));
  CHECK_FALSE(fs::exists(dir / "images.json"));
}
