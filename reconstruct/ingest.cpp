#include "reconstruct/ingest.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/parallel_for.h>

#include "core/error.h"
#include "core/file_io.h"
#include "core/image_io.h"
#include "core/progress.h"

namespace fs = std::filesystem;

namespace muta::reconstruct {
namespace {

constexpr int kManifestVersion = 1;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsHidden(const fs::path& relative) {
  for (const auto& part : relative) {
    const std::string s = part.string();
    if (!s.empty() && s[0] == '.') return true;
  }
  return false;
}

// What phase 1 learns about one candidate file.
struct Candidate {
  fs::path path;
  std::string name;  // relative, '/'-separated
  bool ok = false;
  std::string error;
  ImageInfo info;
  std::uint64_t hash = 0;
};

Json OptionalJson(const std::optional<double>& v) {
  return v ? Json(*v) : Json(nullptr);
}

std::optional<double> OptionalFrom(const Json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<double>();
}

std::string GroupKey(const IngestedImage& image) {
  return fmt::format("{}|{}|{}x{}|{:.1f}", image.camera_make, image.camera_model, image.width,
                     image.height, image.focal_px.value_or(0.0));
}

// Writes the accepted image to `dest`: a byte copy, or a downscaled re-encoding.
void StoreImage(const Candidate& c, const IngestedImage& image, const fs::path& dest) {
  if (image.scale == 1.0) {
    // Unchanged images whose copy is already there (same bytes) are not rewritten.
    std::error_code ec;
    if (fs::exists(dest, ec) && fs::file_size(dest, ec) == fs::file_size(c.path, ec) &&
        Hash64(ReadFileBytes(dest)) == c.hash) {
      return;
    }
    WriteFileAtomic(dest, ReadFileBytes(c.path));
    return;
  }
  const Image full = ReadImage(c.path, 3);
  const Image small = ResizeImage(full, image.width, image.height);
  ImageWriteOptions write;
  write.jpeg_quality = 95;
  write.focal_length_mm = c.info.focal_length_mm;
  write.focal_length_35mm = c.info.focal_length_35mm;
  write.camera_make = c.info.camera_make;
  write.camera_model = c.info.camera_model;
  WriteImage(dest, small, write);
}

}  // namespace

void IngestOptions::Check() const {
  MUTA_CHECK(!max_size || *max_size >= 64)
      << "--max-size must be at least 64 pixels, not " << *max_size;
  MUTA_CHECK(min_images >= 2) << "IngestOptions.min_images must be at least 2, not " << min_images;
}

bool HasImageExtension(const fs::path& path) {
  static const std::set<std::string> kExtensions = {".jpg", ".jpeg", ".png", ".tif", ".tiff"};
  return kExtensions.count(Lower(path.extension().string())) > 0;
}

IngestResult IngestImages(const fs::path& input_dir, const fs::path& images_dir,
                          const fs::path& manifest_path, const IngestOptions& options,
                          Progress& progress) {
  options.Check();
  std::error_code ec;
  MUTA_CHECK(fs::exists(input_dir, ec))
      << input_dir.string() << ": no such folder; give the folder holding the photographs";
  MUTA_CHECK(fs::is_directory(input_dir, ec))
      << input_dir.string() << ": not a folder; give the folder holding the photographs";

  // Collect candidate files in a stable order.
  std::vector<Candidate> candidates;
  std::vector<Json> skipped;
  std::size_t num_files = 0;
  auto consider = [&](const fs::directory_entry& entry) {
    if (!entry.is_regular_file(ec)) return;
    // Lexically: fs::relative would resolve a symlinked photograph to its target, outside the
    // folder (a "../.." path, taken for hidden).
    const fs::path relative = entry.path().lexically_relative(input_dir);
    if (IsHidden(relative)) return;
    ++num_files;
    if (!HasImageExtension(entry.path())) {
      spdlog::warn("skipped {}: not an image (only JPEG, PNG and TIFF photographs are used)",
                   entry.path().string());
      skipped.push_back({{"file", relative.generic_string()}, {"reason", "not an image"}});
      return;
    }
    Candidate c;
    c.path = entry.path();
    c.name = relative.generic_string();
    candidates.push_back(std::move(c));
  };
  if (options.recursive) {
    for (const auto& e : fs::recursive_directory_iterator(input_dir)) consider(e);
  } else {
    for (const auto& e : fs::directory_iterator(input_dir)) consider(e);
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.name < b.name; });
  std::sort(skipped.begin(), skipped.end(),
            [](const Json& a, const Json& b) { return a["file"] < b["file"]; });
  MUTA_CHECK(num_files > 0) << input_dir.string()
                            << ": the folder holds no files; point `muta reconstruct` at the "
                               "folder with the photographs"
                            << (options.recursive ? "" : " (add --recursive for sub-folders)");

  // Phase 1 (parallel): decode every image in full, hash its bytes, read its EXIF.
  progress.Begin("ingest: checking images", candidates.size(), "images");
  tbb::parallel_for(std::size_t(0), candidates.size(), [&](std::size_t i) {
    if (InterruptRequested()) return;
    Candidate& c = candidates[i];
    try {
      const std::vector<std::uint8_t> bytes = ReadFileBytes(c.path);
      MUTA_CHECK(!bytes.empty()) << c.path.string() << ": empty file (0 bytes)";
      c.hash = Hash64(bytes);
      c.info = ReadImageInfo(c.path);
      const Image image = ReadImage(c.path, 3);  // throws on corrupt or truncated data
      MUTA_CHECK(image.width >= 16 && image.height >= 16)
          << c.path.string() << ": " << image.width << "x" << image.height
          << " pixels is too small to reconstruct from";
      c.ok = true;
    } catch (const Error& e) {
      c.error = e.what();
    }
    progress.Advance();
  });
  progress.End();
  CheckInterrupted();

  // Phase 2 (in order): reject corrupt files and duplicates, derive sizes and groups.
  std::vector<IngestedImage> images;
  std::vector<const Candidate*> accepted;
  std::vector<Json> duplicates;
  std::map<std::uint64_t, std::string> by_hash;
  std::size_t num_corrupt = 0;
  for (const Candidate& c : candidates) {
    if (!c.ok) {
      MUTA_CHECK(!options.strict) << c.error
                                  << " (--strict stops at the first bad image; leave "
                                     "it out to skip bad images with a warning)";
      spdlog::warn("skipped {}", c.error);
      skipped.push_back({{"file", c.name}, {"reason", c.error}});
      ++num_corrupt;
      continue;
    }
    if (auto it = by_hash.find(c.hash); it != by_hash.end()) {
      spdlog::warn("skipped {}: the same file as {}", c.path.string(), it->second);
      duplicates.push_back({{"file", c.name}, {"same_as", it->second}});
      continue;
    }
    by_hash.emplace(c.hash, c.name);
    if (c.info.orientation != 1) {
      spdlog::warn("{}: EXIF orientation {} is not applied; the image is used as stored",
                   c.path.string(), c.info.orientation);
    }
    IngestedImage image;
    image.name = c.name;
    image.source = fs::absolute(c.path);
    image.original_width = c.info.width;
    image.original_height = c.info.height;
    image.width = c.info.width;
    image.height = c.info.height;
    const int long_side = std::max(c.info.width, c.info.height);
    if (options.max_size && long_side > *options.max_size) {
      image.scale = double(*options.max_size) / long_side;
      image.width = std::max(1, int(std::lround(c.info.width * image.scale)));
      image.height = std::max(1, int(std::lround(c.info.height * image.scale)));
      image.scale = double(image.width) / c.info.width;
      const std::string ext = Lower(fs::path(c.name).extension().string());
      if (ext == ".tif" || ext == ".tiff") image.name += ".png";  // TIFF is re-encoded as PNG
    }
    if (auto f = c.info.FocalLengthPixels()) image.focal_px = *f * image.scale;
    image.camera_make = c.info.camera_make;
    image.camera_model = c.info.camera_model;
    image.gps_latitude_deg = c.info.gps_latitude_deg;
    image.gps_longitude_deg = c.info.gps_longitude_deg;
    image.gps_altitude_m = c.info.gps_altitude_m;
    image.hash = fmt::format("{:016x}", c.hash);
    images.push_back(std::move(image));
    accepted.push_back(&c);
  }
  MUTA_CHECK(int(images.size()) >= options.min_images)
      << input_dir.string() << ": only " << images.size() << " usable image"
      << (images.size() == 1 ? "" : "s") << " (" << num_files << " files: " << candidates.size()
      << " with an image extension, " << num_corrupt << " unreadable, " << duplicates.size()
      << " duplicates); a reconstruction needs at least " << options.min_images
      << " overlapping photographs of the building";

  std::map<std::string, int> groups;
  for (IngestedImage& image : images) {
    image.group = groups.emplace(GroupKey(image), int(groups.size())).first->second;
  }

  // Phase 3 (parallel): store the images; drop leftovers of an earlier ingest.
  fs::create_directories(images_dir);
  std::set<std::string> keep;
  for (const auto& image : images) keep.insert(image.name);
  if (fs::exists(images_dir)) {
    std::vector<fs::path> stale;
    for (const auto& e : fs::recursive_directory_iterator(images_dir)) {
      if (!e.is_regular_file(ec)) continue;
      if (!keep.count(e.path().lexically_relative(images_dir).generic_string())) {
        stale.push_back(e.path());
      }
    }
    for (const auto& p : stale) fs::remove(p, ec);
  }
  progress.Begin("ingest: storing images", images.size(), "images");
  std::mutex error_mutex;
  std::optional<std::string> store_error;
  tbb::parallel_for(std::size_t(0), images.size(), [&](std::size_t i) {
    if (InterruptRequested()) return;
    try {
      const fs::path dest = images_dir / fs::path(images[i].name);
      fs::create_directories(dest.parent_path());
      StoreImage(*accepted[i], images[i], dest);
    } catch (const Error& e) {
      std::lock_guard lock(error_mutex);
      if (!store_error) store_error = e.what();
    }
    progress.Advance();
  });
  progress.End();
  CheckInterrupted();
  MUTA_CHECK(!store_error) << *store_error;

  // The manifest.
  Json list = Json::array();
  for (const auto& image : images) {
    list.push_back(
        {{"name", image.name},
         {"source", image.source.string()},
         {"width", image.width},
         {"height", image.height},
         {"original_width", image.original_width},
         {"original_height", image.original_height},
         {"scale", image.scale},
         {"camera_make", image.camera_make},
         {"camera_model", image.camera_model},
         {"focal_px", OptionalJson(image.focal_px)},
         {"gps", image.gps_latitude_deg ? Json{{"latitude", *image.gps_latitude_deg},
                                               {"longitude", *image.gps_longitude_deg},
                                               {"altitude", OptionalJson(image.gps_altitude_m)}}
                                        : Json(nullptr)},
         {"group", image.group},
         {"hash", image.hash}});
  }
  const Json manifest = {{"format", "muta.images"},
                         {"version", kManifestVersion},
                         {"source", fs::absolute(input_dir).string()},
                         {"images", list},
                         {"skipped", skipped},
                         {"duplicates", duplicates}};
  WriteJsonFile(manifest_path, manifest);

  std::size_t downscaled = 0;
  double megapixels = 0;
  for (const auto& image : images) {
    downscaled += image.scale != 1.0;
    megapixels += image.width * double(image.height) / 1e6;
  }
  IngestResult result;
  result.images = std::move(images);
  result.figures = {{"images", result.images.size()},
                    {"files", num_files},
                    {"skipped_not_image", num_files - candidates.size()},
                    {"skipped_unreadable", num_corrupt},
                    {"duplicates", duplicates.size()},
                    {"camera_groups", groups.size()},
                    {"downscaled", downscaled},
                    {"megapixels_total", megapixels}};
  spdlog::info("ingest: {} images in {} camera group{} ({} files; {} skipped, {} duplicates)",
               result.images.size(), groups.size(), groups.size() == 1 ? "" : "s", num_files,
               skipped.size(), duplicates.size());
  return result;
}

std::vector<IngestedImage> ReadIngestManifest(const fs::path& manifest_path) {
  const Json manifest = ReadJsonFile(manifest_path);
  const std::string name = manifest_path.string();
  MUTA_CHECK(manifest.value("format", "") == "muta.images" && manifest.contains("images") &&
             manifest["images"].is_array())
      << name << ": not a Muta image manifest; run the ingest stage again (--from ingest)";
  std::vector<IngestedImage> images;
  try {
    for (const Json& j : manifest["images"]) {
      IngestedImage image;
      image.name = j.at("name").get<std::string>();
      image.source = j.at("source").get<std::string>();
      image.width = j.at("width").get<int>();
      image.height = j.at("height").get<int>();
      image.original_width = j.at("original_width").get<int>();
      image.original_height = j.at("original_height").get<int>();
      image.scale = j.at("scale").get<double>();
      image.camera_make = j.value("camera_make", "");
      image.camera_model = j.value("camera_model", "");
      image.focal_px = OptionalFrom(j, "focal_px");
      if (j.contains("gps") && j["gps"].is_object()) {
        image.gps_latitude_deg = OptionalFrom(j["gps"], "latitude");
        image.gps_longitude_deg = OptionalFrom(j["gps"], "longitude");
        image.gps_altitude_m = OptionalFrom(j["gps"], "altitude");
      }
      image.group = j.at("group").get<int>();
      image.hash = j.value("hash", "");
      images.push_back(std::move(image));
    }
  } catch (const Json::exception& e) {
    MUTA_CHECK(false) << name << ": malformed image manifest (" << e.what()
                      << "); run the ingest stage again (--from ingest)";
  }
  return images;
}

}  // namespace muta::reconstruct
