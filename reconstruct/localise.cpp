#include "reconstruct/localise.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/image_io.h"
#include "core/progress.h"
#include "reconstruct/colmap.h"
#include "reconstruct/colmap_database.h"
#include "reconstruct/feature_match.h"

namespace muta::reconstruct {
namespace {

namespace fs = std::filesystem;

// COLMAP's geometric verification needs 15 inliers (as the sfm stage).
constexpr std::size_t kMinMatches = 15;

// A scratch folder removed when it goes out of scope.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / fmt::format("muta-localise-{:08x}", rd());
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

}  // namespace

Localisation LocalisePhotos(const fs::path& sparse_dir, const fs::path& photo_dir,
                            const std::vector<std::string>& names, const LocaliseOptions& options,
                            Progress& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  const fs::path db_path = sparse_dir / "database.db";
  MUTA_CHECK(fs::is_regular_file(db_path))
      << db_path.string()
      << " not found: localising photographs needs the feature database of the sfm stage; "
         "run muta reconstruct -w WORKSPACE --from sfm (or leave out --localise)";
  const SparseModel model = ReadSparseModel(sparse_dir);
  MUTA_CHECK(!model.images.empty()) << sparse_dir.string() << " has no registered images";
  MUTA_CHECK(!names.empty()) << "no photographs to localise";

  // The photographs share the model's camera: it must have their size.
  std::set<std::pair<int, int>> sizes;
  for (const auto& n : names) {
    const ImageInfo info = ReadImageInfo(photo_dir / n);  // the header only
    sizes.insert({info.width, info.height});
  }
  const Camera* camera = nullptr;
  for (const auto& [id, c] : model.cameras) {
    if (sizes.size() == 1 && c.width == sizes.begin()->first && c.height == sizes.begin()->second) {
      camera = &c;
      break;
    }
  }
  MUTA_CHECK(camera != nullptr)
      << photo_dir.string() << ": the photographs to localise ("
      << fmt::format("{} sizes, e.g. {}x{}", sizes.size(), sizes.begin()->first,
                     sizes.begin()->second)
      << ") must all have the size of a camera of " << sparse_dir.string() << " (e.g. "
      << model.cameras.begin()->second.width << "x" << model.cameras.begin()->second.height
      << "); photographs ingested downscaled or from another camera cannot be localised "
         "(leave out --localise)";
  std::set<std::string> taken;
  for (const auto& [id, im] : model.images) taken.insert(im.name);
  for (const auto& n : names) {
    MUTA_CHECK(!taken.count(n)) << photo_dir.string() << ": " << n
                                << " has the name of an image of the model; rename it";
  }

  const fs::path colmap = FindColmap(options.colmap);
  const ScratchDir scratch;
  const fs::path db = scratch.path / "database.db";
  fs::copy_file(db_path, db);
  {
    std::string list;
    for (const auto& n : names) list += n + "\n";
    WriteFileAtomic(scratch.path / "list.txt", list);
  }
  const std::string threads = std::to_string(options.num_threads);
  int longest = std::max(camera->width, camera->height);
  if (options.sift_max_image_size > 0) longest = std::min(longest, options.sift_max_image_size);
  progress.Begin("localise: extracting features", names.size(), "images");
  RunColmap(
      colmap, "feature_extractor",
      {"--database_path", db.string(), "--image_path", photo_dir.string(), "--image_list_path",
       (scratch.path / "list.txt").string(), "--ImageReader.existing_camera_id",
       std::to_string(camera->id), "--SiftExtraction.use_gpu", "0", "--SiftExtraction.num_threads",
       threads, "--SiftExtraction.max_image_size", std::to_string(longest),
       "--SiftExtraction.max_num_features", std::to_string(options.sift_max_features)},
      &progress);
  progress.End();

  // Every photograph against every registered image.
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& n : names) {
    for (const auto& t : taken) pairs.emplace_back(n, t);
  }
  const fs::path matches = scratch.path / "matches.txt";
  {
    ColmapDatabase database(db);
    DescriptorMatchOptions match_options;
    match_options.num_threads = options.num_threads;
    MatchImagePairsToFiles(database, pairs, {matches}, match_options, kMinMatches, progress,
                           "localise: matching features");
  }
  progress.Begin("localise: verifying matches", 0, "");
  RunColmap(colmap, "matches_importer",
            {"--database_path", db.string(), "--match_list_path", matches.string(), "--match_type",
             "raw", "--SiftMatching.use_gpu", "0", "--SiftMatching.num_threads", threads,
             "--SiftMatching.min_num_inliers", std::to_string(kMinMatches)},
            &progress);
  progress.End();

  const fs::path out = scratch.path / "model";
  fs::create_directories(out);
  progress.Begin("localise: registering", names.size(), "images");
  RunColmap(colmap, "image_registrator",
            {"--database_path", db.string(), "--input_path", sparse_dir.string(), "--output_path",
             out.string()},
            &progress);
  progress.End();

  const SparseModel registered = ReadSparseModel(out);
  Localisation result;
  const std::set<std::string> wanted(names.begin(), names.end());
  for (const auto& [id, im] : registered.images) {
    if (!wanted.count(im.name)) continue;
    LocalisedPhoto p;
    p.camera = registered.cameras.at(im.camera_id);
    p.cam_from_world = im.cam_from_world;
    for (const std::uint64_t pid : im.point3d_ids) p.points += pid != kInvalidPoint3DId;
    result.photos.emplace(im.name, std::move(p));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("localise: {} of {} photographs registered into {} ({:.1f} s)", result.photos.size(),
               names.size(), sparse_dir.string(), seconds);
  result.figures = {{"photos", names.size()},
                    {"localised", result.photos.size()},
                    {"feature_max_image_size", longest},
                    {"seconds", seconds}};
  return result;
}

}  // namespace muta::reconstruct
