#include "core/image_io.h"

#include <cmath>
#include <functional>

#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

using muta::test::ErrorOf;

namespace {

// A smooth colour pattern (JPEG compresses it well) with some detail.
muta::Image SmoothPattern(int w, int h, int channels) {
  muta::Image image(w, h, channels);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < channels; ++c) {
        const double v = 127.5 + 100.0 * std::sin(0.05 * x + 0.9 * c) * std::cos(0.07 * y + c);
        image.at(x, y, c) = static_cast<std::uint8_t>(std::lround(v));
      }
    }
  }
  return image;
}

// The pattern of the files in tests/data/images (see its README).
int DataPattern(int x, int y, int c) {
  return (x * 30 + y * 7 + c * 50) % 256;
}

double Psnr(const muta::Image& a, const muta::Image& b) {
  REQUIRE(a.pixels.size() == b.pixels.size());
  double sum = 0;
  for (std::size_t i = 0; i < a.pixels.size(); ++i) {
    const double d = double(a.pixels[i]) - double(b.pixels[i]);
    sum += d * d;
  }
  const double mse = sum / double(a.pixels.size());
  return mse == 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}

std::string ReadError(const fs::path& path) {
  return ErrorOf([&] { muta::ReadImage(path); });
}

}  // namespace

TEST_CASE("PNG round trip is exact for grey, RGB and RGBA", "[unit][image]") {
  muta::test::TempDir dir("image");
  for (int channels : {1, 3, 4}) {
    CAPTURE(channels);
    muta::Image image = SmoothPattern(37, 23, channels);
    if (channels == 4) {
      for (int x = 0; x < image.width; ++x) image.at(x, 5, 3) = static_cast<std::uint8_t>(x * 7);
    }
    const fs::path path = dir / ("p" + std::to_string(channels) + ".png");
    muta::WriteImage(path, image);
    const muta::Image back = muta::ReadImage(path, 0);
    CHECK(back.width == 37);
    CHECK(back.height == 23);
    CHECK(back.channels == channels);
    CHECK(back.pixels == image.pixels);  // alpha is not premultiplied on the way
    const muta::ImageInfo info = muta::ReadImageInfo(path);
    CHECK(info.format == "png");
    CHECK(info.width == 37);
    CHECK(info.channels == channels);
  }
}

TEST_CASE("JPEG round trip is close and follows the quality setting", "[unit][image]") {
  muta::test::TempDir dir("image");
  const muta::Image image = SmoothPattern(160, 120, 3);
  const fs::path high = dir / "high.jpg", low = dir / "low.JPEG";
  muta::WriteImage(high, image);
  muta::ImageWriteOptions options;
  options.jpeg_quality = 20;
  muta::WriteImage(low, image, options);
  const muta::Image back = muta::ReadImage(high);
  REQUIRE(back.channels == 3);
  CHECK(Psnr(image, back) > 38.0);
  CHECK(Psnr(image, muta::ReadImage(low)) < Psnr(image, back));
  CHECK(fs::file_size(low) < fs::file_size(high));
  CHECK(muta::ReadImageInfo(high).format == "jpeg");
  // Writing is atomic: no temporary files remain.
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 2);
}

TEST_CASE("JPEG of an RGBA image drops alpha, grey stays grey", "[unit][image]") {
  muta::test::TempDir dir("image");
  const muta::Image rgba = SmoothPattern(40, 30, 4);
  muta::WriteImage(dir / "a.jpg", rgba);
  const muta::Image back = muta::ReadImage(dir / "a.jpg", 0);
  CHECK(back.channels == 3);
  muta::Image rgb(40, 30, 3);
  for (int y = 0; y < 30; ++y) {
    for (int x = 0; x < 40; ++x) {
      for (int c = 0; c < 3; ++c) rgb.at(x, y, c) = rgba.at(x, y, c);
    }
  }
  CHECK(Psnr(rgb, back) > 35.0);
  muta::WriteImage(dir / "g.jpg", SmoothPattern(40, 30, 1));
  CHECK(muta::ReadImageInfo(dir / "g.jpg").channels == 1);
}

TEST_CASE("EXIF focal length, make and model round trip through JPEG", "[unit][image]") {
  muta::test::TempDir dir("image");
  muta::ImageWriteOptions options;
  options.focal_length_mm = 4.5;
  options.focal_length_35mm = 28;
  options.camera_make = "Muta Optics";
  options.camera_model = "Model T";
  const fs::path path = dir / "exif.jpg";
  muta::WriteImage(path, SmoothPattern(120, 80, 3), options);
  const muta::ImageInfo info = muta::ReadImageInfo(path);
  CHECK(info.width == 120);
  CHECK(info.height == 80);
  CHECK(info.channels == 3);
  REQUIRE(info.focal_length_mm);
  CHECK(*info.focal_length_mm == Approx(4.5));
  REQUIRE(info.focal_length_35mm);
  CHECK(*info.focal_length_35mm == Approx(28));
  CHECK(info.camera_make == "Muta Optics");
  CHECK(info.camera_model == "Model T");
  CHECK(info.orientation == 1);
  REQUIRE(info.FocalLengthPixels());
  CHECK(*info.FocalLengthPixels() == Approx(28.0 / 36.0 * 120.0));

  // Without EXIF there is no focal length.
  muta::WriteImage(dir / "plain.jpg", SmoothPattern(120, 80, 3));
  const muta::ImageInfo plain = muta::ReadImageInfo(dir / "plain.jpg");
  CHECK_FALSE(plain.focal_length_mm);
  CHECK_FALSE(plain.focal_length_35mm);
  CHECK_FALSE(plain.FocalLengthPixels());
}

TEST_CASE("FocalLengthPixels from the focal plane resolution", "[unit][image]") {
  muta::ImageInfo info;
  info.width = 4000;
  info.height = 3000;
  info.focal_length_mm = 10.0;
  info.focal_plane_x_res = 2000.0;  // pixels per cm = 200 per mm
  info.focal_plane_res_unit = 3;
  REQUIRE(info.FocalLengthPixels());
  CHECK(*info.FocalLengthPixels() == Approx(2000.0));
  info.focal_plane_x_res = 5080.0;  // pixels per inch = 200 per mm
  info.focal_plane_res_unit = 2;
  CHECK(*info.FocalLengthPixels() == Approx(2000.0));
  info.focal_plane_res_unit.reset();  // EXIF's default unit is the inch
  CHECK(*info.FocalLengthPixels() == Approx(2000.0));
  info.focal_plane_res_unit = 1;  // no absolute unit
  CHECK_FALSE(info.FocalLengthPixels());
  // The 35 mm equivalent wins when present.
  info.focal_length_35mm = 36.0;
  CHECK(*info.FocalLengthPixels() == Approx(4000.0));
}

TEST_CASE("Channel conversions: grey to RGB, RGBA to RGB, RGB to grey and RGBA", "[unit][image]") {
  muta::test::TempDir dir("image");
  muta::Image rgba(4, 2, 4);
  for (std::size_t i = 0; i < rgba.pixels.size(); ++i) {
    rgba.pixels[i] = static_cast<std::uint8_t>(i * 9);
  }
  muta::WriteImage(dir / "rgba.png", rgba);
  const muta::Image rgb = muta::ReadImage(dir / "rgba.png", 3);
  REQUIRE(rgb.channels == 3);
  for (int c = 0; c < 3; ++c) CHECK(rgb.at(3, 1, c) == rgba.at(3, 1, c));

  muta::Image grey(4, 2, 1);
  for (std::size_t i = 0; i < grey.pixels.size(); ++i) {
    grey.pixels[i] = static_cast<std::uint8_t>(i * 30);
  }
  muta::WriteImage(dir / "grey.png", grey);
  const muta::Image grey_rgb = muta::ReadImage(dir / "grey.png");  // default: 3 channels
  REQUIRE(grey_rgb.channels == 3);
  for (int c = 0; c < 3; ++c) CHECK(grey_rgb.at(2, 1, c) == grey.at(2, 1));
  const muta::Image grey_rgba = muta::ReadImage(dir / "grey.png", 4);
  CHECK(grey_rgba.at(2, 1, 0) == grey.at(2, 1));
  CHECK(grey_rgba.at(2, 1, 3) == 255);

  muta::Image colour(1, 1, 3);
  colour.pixels = {255, 255, 255};
  muta::WriteImage(dir / "white.png", colour);
  CHECK(muta::ReadImage(dir / "white.png", 1).pixels == std::vector<std::uint8_t>{255});
  colour.pixels = {200, 100, 50};
  muta::WriteImage(dir / "c.png", colour);
  const muta::Image luma = muta::ReadImage(dir / "c.png", 1);
  CHECK(std::abs(int(luma.pixels[0]) - int(std::lround(0.299 * 200 + 0.587 * 100 + 0.114 * 50))) <=
        1);
  CHECK(muta::ReadImage(dir / "c.png", 4).pixels == std::vector<std::uint8_t>{200, 100, 50, 255});

  CHECK_THROWS_AS(muta::ReadImage(dir / "c.png", 2), muta::Error);
}

TEST_CASE("TIFF, 16-bit and grey+alpha files are read and converted to 8 bits", "[unit][image]") {
  SECTION("8-bit RGB TIFF") {
    const fs::path path = muta::test::TestData("images/rgb8.tif");
    const muta::ImageInfo info = muta::ReadImageInfo(path);
    CHECK(info.format == "tiff");
    CHECK(info.width == 8);
    CHECK(info.height == 6);
    const muta::Image image = muta::ReadImage(path);
    REQUIRE(image.channels == 3);
    for (int y = 0; y < 6; ++y) {
      for (int x = 0; x < 8; ++x) {
        for (int c = 0; c < 3; ++c) CHECK(image.at(x, y, c) == DataPattern(x, y, c));
      }
    }
  }
  SECTION("16-bit RGB PNG") {
    const muta::Image image = muta::ReadImage(muta::test::TestData("images/rgb16.png"));
    REQUIRE(image.channels == 3);
    CHECK(image.at(7, 5, 2) == DataPattern(7, 5, 2));
    CHECK(image.at(3, 2, 1) == DataPattern(3, 2, 1));
  }
  SECTION("16-bit grey TIFF") {
    const fs::path path = muta::test::TestData("images/grey16.tif");
    const muta::Image stored = muta::ReadImage(path, 0);
    REQUIRE(stored.channels == 1);
    CHECK(stored.at(5, 4) == DataPattern(5, 4, 0));
    const muta::Image rgb = muta::ReadImage(path);
    REQUIRE(rgb.channels == 3);
    CHECK(rgb.at(5, 4, 2) == DataPattern(5, 4, 0));
  }
  SECTION("grey+alpha PNG") {
    const fs::path path = muta::test::TestData("images/grey_alpha8.png");
    const muta::Image stored = muta::ReadImage(path, 0);  // two channels become RGBA
    REQUIRE(stored.channels == 4);
    CHECK(stored.at(6, 1, 0) == DataPattern(6, 1, 0));
    CHECK(stored.at(6, 1, 2) == DataPattern(6, 1, 0));
    CHECK(stored.at(6, 1, 3) == DataPattern(6, 1, 1));
  }
}

TEST_CASE("Empty, text and missing files are clear errors naming the file", "[unit][image]") {
  muta::test::TempDir dir("image");
  const fs::path empty = dir / "empty.jpg", text = dir / "notes.jpg", other = dir / "notes.txt";
  muta::test::WriteBytes(empty, "");
  muta::test::WriteBytes(text, "This is not a picture.\n");
  muta::test::WriteBytes(other, "Neither is this.\n");
  for (const fs::path& path : {empty, text, other}) {
    CAPTURE(path);
    const std::string error = ReadError(path);
    CHECK_THAT(error, Contains(path.string()));
    CHECK_THAT(error, Contains("not an image OIIO can read"));
    CHECK_THAT(ErrorOf([&] { muta::ReadImageInfo(path); }), Contains(path.string()));
  }
  CHECK_THAT(ReadError(empty), Contains("empty"));
  CHECK_THAT(ReadError(dir / "missing.png"), Contains("missing.png"));
  CHECK_THAT(ErrorOf([&] { muta::ReadImageInfo(dir / "missing.png"); }), Contains("missing.png"));
}

TEST_CASE("Truncated JPEGs are errors, wherever the cut falls", "[unit][image]") {
  muta::test::TempDir dir("image");
  const fs::path good = dir / "good.jpg";
  muta::ImageWriteOptions options;
  options.focal_length_mm = 5.0;
  muta::WriteImage(good, SmoothPattern(200, 150, 3), options);
  const std::size_t size = fs::file_size(good);
  std::vector<std::size_t> cuts = {2, 3, 20, 100, size - 2, size - 1};
  for (double f : {0.1, 0.25, 0.5, 0.75, 0.9, 0.99}) cuts.push_back(std::size_t(f * size));
  for (std::size_t cut : cuts) {
    CAPTURE(cut, size);
    const fs::path bad = dir / ("cut-" + std::to_string(cut) + ".jpg");
    muta::test::WriteTruncatedCopy(good, bad, cut);
    CHECK_THAT(ReadError(bad), Contains(bad.string()));
    const std::vector<std::uint8_t> bytes = muta::ReadFileBytes(bad);
    CHECK_THAT(ErrorOf([&] { muta::DecodeImage(bytes, "texture-7"); }), Contains("texture-7"));
  }
  CHECK_NOTHROW(muta::ReadImage(good));
}

TEST_CASE("Truncated PNGs are errors, even with only the IEND chunk missing", "[unit][image]") {
  muta::test::TempDir dir("image");
  const fs::path good = dir / "good.png";
  muta::WriteImage(good, SmoothPattern(200, 150, 3));
  const std::size_t size = fs::file_size(good);
  std::vector<std::size_t> cuts = {4, 8, 30, size - 12, size - 1};
  for (double f : {0.1, 0.5, 0.9, 0.99}) cuts.push_back(std::size_t(f * size));
  for (std::size_t cut : cuts) {
    CAPTURE(cut, size);
    const fs::path bad = dir / ("cut-" + std::to_string(cut) + ".png");
    muta::test::WriteTruncatedCopy(good, bad, cut);
    CHECK_THAT(ReadError(bad), Contains(bad.string()));
  }
}

TEST_CASE("Corrupt pixel data in a JPEG is an error", "[unit][image]") {
  muta::test::TempDir dir("image");
  const fs::path good = dir / "good.jpg";
  muta::WriteImage(good, SmoothPattern(200, 150, 3));
  std::vector<std::uint8_t> bytes = muta::ReadFileBytes(good);
  // A restart marker in the middle of the entropy-coded data: the file structure is intact (it
  // still ends with EOI) but libjpeg reports "Corrupt JPEG data", which it only warns about.
  const std::size_t at = bytes.size() / 2;
  bytes[at] = 0xFF;
  bytes[at + 1] = 0xD3;
  const fs::path bad = dir / "bad.jpg";
  muta::test::WriteBytes(bad, std::string(bytes.begin(), bytes.end()));
  const std::string error = ReadError(bad);
  CHECK_THAT(error, Contains(bad.string()));
  CHECK_THAT(error, Contains("Corrupt JPEG data"));
}

TEST_CASE("EncodeImage and DecodeImage work in memory", "[unit][image]") {
  const muta::Image image = SmoothPattern(64, 48, 3);
  const std::vector<std::uint8_t> png = muta::EncodeImage(image, "png");
  CHECK(muta::DecodeImage(png, "mem").pixels == image.pixels);
  const std::vector<std::uint8_t> jpeg = muta::EncodeImage(image, "jpeg", 95);
  CHECK(Psnr(image, muta::DecodeImage(jpeg, "mem")) > 38.0);
  CHECK_THAT(ErrorOf([] {
               muta::DecodeImage({'h', 'e', 'l', 'l', 'o'}, "blob.bin");
             }),
             Contains("blob.bin: not an image OIIO can read"));
  CHECK_THAT(ErrorOf([] { muta::DecodeImage({}, "nothing"); }), Contains("nothing"));
  CHECK_THROWS_AS(muta::EncodeImage(image, "gif"), muta::Error);
  CHECK_THROWS_AS(muta::EncodeImage(image, "jpeg", 0), muta::Error);
}

TEST_CASE("WriteImage refuses unknown extensions and bad images", "[unit][image]") {
  muta::test::TempDir dir("image");
  const muta::Image image = SmoothPattern(8, 8, 3);
  CHECK_THAT(ErrorOf([&] { muta::WriteImage(dir / "x.bmp", image); }), Contains("x.bmp"));
  muta::Image broken = image;
  broken.pixels.pop_back();
  CHECK_THAT(ErrorOf([&] { muta::WriteImage(dir / "x.png", broken); }), Contains("x.png"));
  CHECK_FALSE(fs::exists(dir / "x.png"));
  CHECK_THROWS_AS(muta::WriteImage(dir / "e.png", muta::Image()), muta::Error);
}

TEST_CASE("EXIF focal length of a real photograph", "[real][image]") {
  const fs::path shared = muta::test::SharedDatasets();
  const fs::path images = shared.empty() ? fs::path() : shared / "sceaux-castle" / "images";
  if (images.empty() || !fs::is_directory(images)) {
    WARN("shared dataset sceaux-castle absent; skipped");
    return;
  }
  const fs::path photo = images / "100_7100.JPG";
  REQUIRE(fs::exists(photo));
  const muta::ImageInfo info = muta::ReadImageInfo(photo);
  CHECK(info.format == "jpeg");
  CHECK(info.width == 2832);
  CHECK(info.height == 2128);
  REQUIRE(info.focal_length_mm);
  CHECK(*info.focal_length_mm == Approx(5.85));
  CHECK_THAT(info.camera_make, Contains("KODAK"));
  REQUIRE(info.FocalLengthPixels());
  // images/K.txt gives f = 2905.88 px; the EXIF 35 mm equivalent is within 10 % of it.
  CHECK(*info.FocalLengthPixels() == Approx(2905.88).epsilon(0.10));
  // Non-images in the folder are refused with a clear message.
  CHECK_THAT(ReadError(images / "K.txt"), Contains("not an image OIIO can read"));
  const muta::Image image = muta::ReadImage(photo);
  CHECK(image.width == 2832);
}

TEST_CASE("ResizeImage downscales and keeps the picture", "[unit][image]") {
  muta::Image image(64, 32, 3);
  for (int y = 0; y < 32; ++y) {
    for (int x = 0; x < 64; ++x) {
      image.at(x, y, 0) = x < 32 ? 200 : 20;  // left bright, right dark
      image.at(x, y, 1) = 100;
      image.at(x, y, 2) = static_cast<std::uint8_t>(y * 4);
    }
  }
  const muta::Image small = muta::ResizeImage(image, 16, 8);
  REQUIRE(small.width == 16);
  REQUIRE(small.height == 8);
  REQUIRE(small.channels == 3);
  CHECK(small.at(2, 4, 0) > 180);
  CHECK(small.at(13, 4, 0) < 40);
  CHECK(std::abs(int(small.at(8, 4, 1)) - 100) <= 2);
  CHECK(small.at(8, 7, 2) > small.at(8, 0, 2));
  CHECK_THROWS_AS(muta::ResizeImage(image, 0, 8), muta::Error);
}
