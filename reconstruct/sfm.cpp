#include "reconstruct/sfm.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/progress.h"
#include "reconstruct/colmap.h"
#include "reconstruct/colmap_database.h"
#include "reconstruct/feature_match.h"
#include "reconstruct/geo.h"

namespace fs = std::filesystem;

namespace muta::reconstruct {
namespace {

// COLMAP's SiftMatching.min_num_inliers: a pair with fewer matches cannot pass verification.
constexpr std::size_t kMinVerifiedInliers = 15;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string Hex(std::uint64_t h) {
  return fmt::format("{:016x}", h);
}

bool MarkerMatches(const fs::path& marker, const std::string& hash) {
  std::error_code ec;
  if (!fs::exists(marker, ec)) return false;
  try {
    return ReadJsonFile(marker).value("hash", "") == hash;
  } catch (const Error&) {
    return false;
  }
}

void RemoveDatabase(const fs::path& db) {
  std::error_code ec;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
    fs::remove(fs::path(db.string() + suffix), ec);
  }
}

// Per camera group: the image names and, when known, COLMAP camera parameters.
struct Group {
  std::vector<std::string> names;
  std::string model;
  std::string params;  // empty: let COLMAP read EXIF / guess
};

std::vector<Group> MakeGroups(const std::vector<IngestedImage>& images, const SfmOptions& o) {
  std::map<int, Group> groups;
  for (const auto& image : images) {
    Group& g = groups[image.group];
    g.names.push_back(image.name);
    if (g.names.size() > 1) continue;
    if (o.intrinsics) {
      const Eigen::Matrix3d& k = *o.intrinsics;
      g.model = "PINHOLE";
      g.params = fmt::format("{:.10g},{:.10g},{:.10g},{:.10g}", k(0, 0) * image.scale,
                             k(1, 1) * image.scale, k(0, 2) * image.scale, k(1, 2) * image.scale);
    } else {
      g.model = o.camera_model;
      if (image.focal_px && (o.camera_model == "SIMPLE_RADIAL" || o.camera_model == "RADIAL" ||
                             o.camera_model == "SIMPLE_PINHOLE")) {
        const double cx = image.width / 2.0, cy = image.height / 2.0;
        if (o.camera_model == "SIMPLE_PINHOLE") {
          g.params = fmt::format("{:.10g},{:.10g},{:.10g}", *image.focal_px, cx, cy);
        } else if (o.camera_model == "SIMPLE_RADIAL") {
          g.params = fmt::format("{:.10g},{:.10g},{:.10g},0", *image.focal_px, cx, cy);
        } else {
          g.params = fmt::format("{:.10g},{:.10g},{:.10g},0,0", *image.focal_px, cx, cy);
        }
      }
    }
  }
  std::vector<Group> out;
  for (auto& [id, g] : groups) out.push_back(std::move(g));
  return out;
}

// Image pairs for "spatial" matching: each image with its nearest neighbours by GPS position.
std::vector<std::pair<std::string, std::string>> SpatialPairs(
    const std::vector<IngestedImage>& images, int neighbours) {
  const IngestedImage& ref = images.front();
  std::vector<Eigen::Vector3d> pos;
  for (const auto& im : images) {
    pos.push_back(GpsToEnu(*im.gps_latitude_deg, *im.gps_longitude_deg,
                           im.gps_altitude_m.value_or(0.0), *ref.gps_latitude_deg,
                           *ref.gps_longitude_deg, ref.gps_altitude_m.value_or(0.0)));
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  std::set<std::pair<std::size_t, std::size_t>> seen;
  for (std::size_t i = 0; i < images.size(); ++i) {
    std::vector<std::pair<double, std::size_t>> d;
    for (std::size_t j = 0; j < images.size(); ++j) {
      if (j != i) d.emplace_back((pos[i] - pos[j]).squaredNorm(), j);
    }
    const std::size_t k = std::min<std::size_t>(d.size(), std::size_t(neighbours));
    std::partial_sort(d.begin(), d.begin() + k, d.end());
    for (std::size_t n = 0; n < k; ++n) {
      const auto key = std::minmax(i, d[n].second);
      if (seen.insert(key).second)
        pairs.emplace_back(images[key.first].name, images[key.second].name);
    }
  }
  return pairs;
}

/// COLMAP's own matchers (exhaustive/sequential/pairs): slower; kept for comparisons.
void RunColmapMatcher(const fs::path& colmap, const fs::path& db,
                      const std::vector<IngestedImage>& images, const fs::path& sparse_dir,
                      MatcherKind matcher, const SfmOptions& options, Progress& progress) {
  std::vector<std::string> args = {"--database_path",
                                   db.string(),
                                   "--SiftMatching.use_gpu",
                                   "0",
                                   "--SiftMatching.num_threads",
                                   std::to_string(options.num_threads)};
  std::string command;
  std::uint64_t total = images.size();
  if (matcher == MatcherKind::kExhaustive) {
    command = "exhaustive_matcher";
  } else if (matcher == MatcherKind::kSequential) {
    command = "sequential_matcher";
    for (const char* a : {"--SequentialMatching.quadratic_overlap", "1",
                          "--SequentialMatching.loop_detection", "0"}) {
      args.push_back(a);
    }
    args.push_back("--SequentialMatching.overlap");
    args.push_back(std::to_string(options.sequential_overlap));
  } else {
    command = "matches_importer";
    const auto pairs = SpatialPairs(images, 2 * options.sequential_overlap);
    std::string text;
    for (const auto& [a, b] : pairs) text += a + " " + b + "\n";
    const fs::path list = sparse_dir / "spatial_pairs.txt";
    WriteFileAtomic(list, text);
    args.push_back("--match_list_path");
    args.push_back(list.string());
    args.push_back("--match_type");
    args.push_back("pairs");
    total = pairs.size();
  }
  progress.Begin("sfm: matching images (COLMAP)", total, "images");
  RunColmap(colmap, command, args, &progress);
  progress.End();
}

/// Every pair, in ingest order.
std::vector<std::pair<std::string, std::string>> ExhaustivePairs(
    const std::vector<IngestedImage>& images) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (std::size_t i = 0; i < images.size(); ++i) {
    for (std::size_t j = i + 1; j < images.size(); ++j) {
      pairs.emplace_back(images[i].name, images[j].name);
    }
  }
  return pairs;
}

/// By file name order: each image with its next `overlap` images and with those 2^k images
/// ahead (COLMAP's sequential matching with quadratic overlap, no loop detection).
std::vector<std::pair<std::string, std::string>> SequentialPairs(
    const std::vector<IngestedImage>& images, int overlap) {
  std::vector<std::string> names;
  for (const auto& im : images) names.push_back(im.name);
  std::sort(names.begin(), names.end());
  std::vector<std::pair<std::string, std::string>> pairs;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::set<std::size_t> ahead;
    for (int k = 1; k <= overlap; ++k) ahead.insert(i + std::size_t(k));
    for (int k = 0; k < overlap && k < 62; ++k) ahead.insert(i + (std::size_t(1) << k));
    for (std::size_t j : ahead) {
      if (j < names.size()) pairs.emplace_back(names[i], names[j]);
    }
  }
  return pairs;
}

void CopyModelFiles(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const char* f : {"cameras.bin", "images.bin", "points3D.bin"}) {
    WriteFileAtomic(to / f, ReadFileBytes(from / f));
  }
}

}  // namespace

MatcherKind ParseMatcherKind(const std::string& name) {
  if (name == "auto") return MatcherKind::kAuto;
  if (name == "exhaustive") return MatcherKind::kExhaustive;
  if (name == "sequential") return MatcherKind::kSequential;
  if (name == "spatial") return MatcherKind::kSpatial;
  MUTA_CHECK(false) << "unknown matcher '" << name
                    << "'; use auto, exhaustive, sequential or spatial";
  return MatcherKind::kAuto;
}

std::string MatcherKindName(MatcherKind kind) {
  switch (kind) {
    case MatcherKind::kAuto:
      return "auto";
    case MatcherKind::kExhaustive:
      return "exhaustive";
    case MatcherKind::kSequential:
      return "sequential";
    case MatcherKind::kSpatial:
      return "spatial";
  }
  return "auto";
}

void SfmOptions::Check() const {
  static const std::set<std::string> kModels = {
      "SIMPLE_PINHOLE", "PINHOLE",     "SIMPLE_RADIAL",         "RADIAL",
      "OPENCV",         "FULL_OPENCV", "SIMPLE_RADIAL_FISHEYE", "RADIAL_FISHEYE",
      "OPENCV_FISHEYE", "FOV",         "THIN_PRISM_FISHEYE"};
  MUTA_CHECK(kModels.count(camera_model))
      << "SfmOptions.camera_model: unknown COLMAP camera model '" << camera_model << "'";
  MUTA_CHECK(exhaustive_max_images >= 2)
      << "SfmOptions.exhaustive_max_images must be at least 2, not " << exhaustive_max_images;
  MUTA_CHECK(max_principal_point_shift > 0 && max_principal_point_shift < 0.5)
      << "SfmOptions.max_principal_point_shift must be in (0, 0.5), not "
      << max_principal_point_shift;
  MUTA_CHECK(sequential_overlap >= 1)
      << "SfmOptions.sequential_overlap must be at least 1, not " << sequential_overlap;
  MUTA_CHECK(sift_max_image_size >= 256)
      << "SfmOptions.sift_max_image_size must be at least 256, not " << sift_max_image_size;
  MUTA_CHECK(sift_max_features >= 256)
      << "SfmOptions.sift_max_features must be at least 256, not " << sift_max_features;
  if (intrinsics) {
    const Eigen::Matrix3d& k = *intrinsics;
    MUTA_CHECK(k(0, 0) > 0 && k(1, 1) > 0 && k(0, 2) > 0 && k(1, 2) > 0)
        << "SfmOptions.intrinsics: focal lengths and principal point must be positive";
  }
}

SfmOptions SfmPreset(const std::string& quality) {
  // COLMAP's CPU matcher compares every pair of descriptors, so matching time grows with the
  // square of the feature count; SIFT keeps up to two orientations per keypoint, so images
  // end up with up to twice `sift_max_features` descriptors.
  SfmOptions o;
  if (quality == "preview") {
    o.sift_max_image_size = 1600;
    o.sift_max_features = 2048;
  } else if (quality == "standard") {
    o.sift_max_image_size = 3200;
    o.sift_max_features = 8192;
  } else if (quality == "high") {
    o.sift_max_image_size = 4800;
    o.sift_max_features = 8192;  // more would make matching (quadratic) far slower
  } else {
    MUTA_CHECK(false) << "unknown quality '" << quality << "'; use preview, standard or high";
  }
  return o;
}

Eigen::Matrix3d ReadIntrinsicsFile(const fs::path& path) {
  const std::string name = path.string();
  std::string text = ReadFileText(path);
  for (char& c : text) {
    if (c == ',' || c == ';' || c == '[' || c == ']') c = ' ';
  }
  std::istringstream in(text);
  std::vector<double> v;
  std::string token;
  while (in >> token) {
    try {
      std::size_t used = 0;
      const double x = std::stod(token, &used);
      MUTA_CHECK(used == token.size()) << "";
      MUTA_CHECK(std::isfinite(x)) << "";
      v.push_back(x);
    } catch (...) {
      MUTA_CHECK(false) << name << ": '" << token
                        << "' is not a number; a calibration file holds a 3x3 matrix K "
                           "(9 numbers) or 'fx fy cx cy'";
    }
  }
  Eigen::Matrix3d k = Eigen::Matrix3d::Identity();
  if (v.size() == 9) {
    for (int i = 0; i < 9; ++i) k(i / 3, i % 3) = v[std::size_t(i)];
    MUTA_CHECK(std::abs(k(1, 0)) < 1e-9 && std::abs(k(2, 0)) < 1e-9 && std::abs(k(2, 1)) < 1e-9 &&
               std::abs(k(2, 2) - 1.0) < 1e-9)
        << name << ": K must be upper triangular with K[2][2] = 1 (got rows " << k.row(0) << " / "
        << k.row(1) << " / " << k.row(2) << ")";
    MUTA_CHECK(std::abs(k(0, 1)) <= 1e-6 * std::abs(k(0, 0)))
        << name << ": K has a skew term " << k(0, 1) << "; COLMAP's cameras have none";
  } else if (v.size() == 4) {
    k(0, 0) = v[0];
    k(1, 1) = v[1];
    k(0, 2) = v[2];
    k(1, 2) = v[3];
  } else {
    MUTA_CHECK(false) << name << ": found " << v.size()
                      << " numbers; a calibration file holds a 3x3 matrix K (9 numbers) or "
                         "'fx fy cx cy' (4)";
  }
  MUTA_CHECK(k(0, 0) > 0 && k(1, 1) > 0 && k(0, 2) > 0 && k(1, 2) > 0)
      << name << ": focal lengths and principal point must be positive";
  k(0, 2) += 0.5;  // pixel centres at integers -> COLMAP's (0.5, 0.5) for the first pixel
  k(1, 2) += 0.5;
  return k;
}

namespace {

// The principal point of each camera, as a shift from the image centre in pixels.
double PrincipalPointShift(const Camera& camera) {
  return std::hypot(camera.PrincipalX() - 0.5 * camera.width,
                    camera.PrincipalY() - 0.5 * camera.height);
}

// Mean reprojection error over every observation of every point, computed from the model's
// poses and intrinsics (COLMAP's bundle_adjuster leaves the points' stored errors as they were).
double MeanReprojectionError(const SparseModel& model) {
  double sum = 0;
  std::size_t count = 0;
  for (const auto& [id, point] : model.points) {
    for (const TrackElement& t : point.track) {
      const SparseImage& image = model.images.at(t.image_id);
      const Camera& camera = model.cameras.at(image.camera_id);
      const Eigen::Vector3d p = image.cam_from_world * point.xyz;
      if (p.z() <= 0 || !camera.Supported()) continue;
      sum += (camera.Project(p) - image.points2d.at(t.point2d_idx)).norm();
      ++count;
    }
  }
  return count == 0 ? 0.0 : sum / double(count);
}

// COLMAP's incremental mapper keeps the principal point at the image centre (refining it from
// the first few views is unstable). Once the whole model exists, one global bundle adjustment
// with the principal point free recovers it: on fountain-P11 (true principal point 15-17 px off
// centre) the camera-centre error fell from 5.9 to 3.0 mm at 1536 px (docs/real_datasets.md).
// The refined model replaces `model` (and the files in `dir`) only when every principal point
// stays within `max_principal_point_shift` of the centre and the reprojection error does not
// grow; otherwise the mapper's model is kept and the figures say why.
Json RefinePrincipalPoint(const fs::path& colmap, const fs::path& dir, SparseModel& model,
                          const SfmOptions& options, Progress& progress) {
  const fs::path out = dir.parent_path() / (dir.filename().string() + ".pp");
  fs::remove_all(out);
  fs::create_directories(out);
  progress.Begin("sfm: refining the principal point (bundle adjustment)", 1, "models");
  RunColmap(colmap, "bundle_adjuster",
            {"--input_path", dir.string(), "--output_path", out.string(),
             "--BundleAdjustment.refine_principal_point", "1"});
  progress.Advance(1);
  progress.End();
  SparseModel refined = ReadSparseModel(out);
  const double before = MeanReprojectionError(model);
  const double after = MeanReprojectionError(refined);
  double max_shift = 0, max_allowed_ratio = 0;
  for (const auto& [id, camera] : refined.cameras) {
    const double shift = PrincipalPointShift(camera);
    max_shift = std::max(max_shift, shift);
    max_allowed_ratio = std::max(max_allowed_ratio, shift / std::max(camera.width, camera.height));
  }
  Json figures = {{"reprojection_error_before_px", before},
                  {"reprojection_error_after_px", after},
                  {"max_shift_from_centre_px", max_shift}};
  std::string rejected;
  if (refined.images.size() != model.images.size()) {
    rejected = "the bundle adjustment lost images";
  } else if (max_allowed_ratio > options.max_principal_point_shift) {
    rejected = fmt::format("a principal point moved {:.1f} px from the image centre", max_shift);
  } else if (after > before * 1.05 + 1e-9) {
    rejected = fmt::format("the reprojection error grew from {:.3f} to {:.3f} px", before, after);
  }
  if (rejected.empty()) {
    for (const char* f : {"cameras.bin", "images.bin", "points3D.bin"}) {
      fs::rename(out / f, dir / f);
    }
    model = std::move(refined);
    spdlog::info("sfm: principal point refined ({:.1f} px from the image centre at most)",
                 max_shift);
  } else {
    spdlog::warn("sfm: principal point left at the image centre: {}", rejected);
    figures["rejected"] = rejected;
  }
  figures["refined"] = rejected.empty();
  fs::remove_all(out);
  return figures;
}

}  // namespace

Json RunSfm(const fs::path& images_dir, const std::vector<IngestedImage>& images,
            const fs::path& sparse_dir, const SfmOptions& options, Progress& progress) {
  options.Check();
  MUTA_CHECK(images.size() >= 2) << "structure from motion needs at least 2 images";
  const fs::path colmap = FindColmap(options.colmap);
  if (options.intrinsics) {
    for (const auto& im : images) {
      MUTA_CHECK(im.original_width == images.front().original_width &&
                 im.original_height == images.front().original_height)
          << "--intrinsics gives one calibration, but the images have different sizes ("
          << images.front().name << " is " << images.front().original_width << "x"
          << images.front().original_height << ", " << im.name << " is " << im.original_width << "x"
          << im.original_height << "); leave out --intrinsics";
    }
  }
  fs::create_directories(sparse_dir);
  const fs::path db = sparse_dir / "database.db";
  const std::string threads = std::to_string(options.num_threads);
  Json figures = Json::object();

  // 1. Features, one COLMAP run per camera group.
  const std::vector<Group> groups = MakeGroups(images, options);
  std::string feature_key = fmt::format("{}|{}|{}", options.sift_max_image_size,
                                        options.sift_max_features, options.camera_model);
  for (const auto& g : groups) feature_key += "|" + g.model + ":" + g.params;
  for (const auto& im : images) feature_key += "|" + im.name + ":" + im.hash;
  const std::string features_hash = Hex(Hash64(feature_key));
  const fs::path features_marker = sparse_dir / ".features.json";
  auto t0 = std::chrono::steady_clock::now();
  if (MarkerMatches(features_marker, features_hash) && fs::exists(db)) {
    spdlog::info("sfm: features already extracted (resuming)");
  } else {
    RemoveDatabase(db);
    fs::remove(sparse_dir / ".matches.json");
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
      const Group& g = groups[gi];
      const fs::path list = sparse_dir / fmt::format("group_{}.txt", gi);
      std::string text;
      for (const auto& n : g.names) text += n + "\n";
      WriteFileAtomic(list, text);
      std::vector<std::string> args = {"--database_path",
                                       db.string(),
                                       "--image_path",
                                       images_dir.string(),
                                       "--image_list_path",
                                       list.string(),
                                       "--ImageReader.single_camera",
                                       "1",
                                       "--ImageReader.camera_model",
                                       g.model,
                                       "--SiftExtraction.use_gpu",
                                       "0",
                                       "--SiftExtraction.num_threads",
                                       threads,
                                       "--SiftExtraction.max_image_size",
                                       std::to_string(options.sift_max_image_size),
                                       "--SiftExtraction.max_num_features",
                                       std::to_string(options.sift_max_features)};
      if (!g.params.empty()) {
        args.push_back("--ImageReader.camera_params");
        args.push_back(g.params);
      }
      progress.Begin(groups.size() == 1 ? std::string("sfm: extracting features")
                                        : fmt::format("sfm: extracting features (camera {}/{})",
                                                      gi + 1, groups.size()),
                     g.names.size(), "images");
      RunColmap(colmap, "feature_extractor", args, &progress);
      progress.End();
      fs::remove(list);
    }
    WriteJsonFile(features_marker, {{"hash", features_hash}});
  }
  figures["feature_seconds"] = SecondsSince(t0);
  figures["sift_max_image_size"] = options.sift_max_image_size;
  figures["camera_groups"] = groups.size();

  // 2. Matching.
  MatcherKind matcher = options.matcher;
  const bool all_gps = std::all_of(images.begin(), images.end(), [](const IngestedImage& im) {
    return im.gps_latitude_deg.has_value() && im.gps_longitude_deg.has_value();
  });
  if (matcher == MatcherKind::kAuto) {
    if (int(images.size()) <= options.exhaustive_max_images) {
      matcher = MatcherKind::kExhaustive;
    } else {
      matcher = all_gps ? MatcherKind::kSpatial : MatcherKind::kSequential;
    }
  }
  MUTA_CHECK(matcher != MatcherKind::kSpatial || all_gps)
      << "--matcher spatial needs GPS positions in every image's EXIF; use exhaustive or "
         "sequential";
  figures["matcher"] = MatcherKindName(matcher);
  const std::string matches_hash = Hex(Hash64(features_hash + "|" + MatcherKindName(matcher) + "|" +
                                              std::to_string(options.sequential_overlap) +
                                              (options.colmap_matcher ? "|colmap" : "|muta")));
  const fs::path matches_marker = sparse_dir / ".matches.json";
  t0 = std::chrono::steady_clock::now();
  if (MarkerMatches(matches_marker, matches_hash)) {
    spdlog::info("sfm: images already matched (resuming)");
  } else if (options.colmap_matcher) {
    RunColmapMatcher(colmap, db, images, sparse_dir, matcher, options, progress);
    WriteJsonFile(matches_marker, {{"hash", matches_hash}});
  } else {
    // Our descriptor matcher (exact nearest neighbours, which COLMAP's CPU matcher only
    // approximates, far more slowly), then COLMAP's geometric verification of the matches.
    std::vector<std::pair<std::string, std::string>> pairs;
    if (matcher == MatcherKind::kExhaustive) {
      pairs = ExhaustivePairs(images);
    } else if (matcher == MatcherKind::kSequential) {
      pairs = SequentialPairs(images, options.sequential_overlap);
    } else {
      pairs = SpatialPairs(images, 2 * options.sequential_overlap);
    }
    // COLMAP verifies the pairs of one list on one thread: split them over copies of the
    // database, verify those in parallel and merge the results back.
    const int cores = options.num_threads > 0
                          ? options.num_threads
                          : int(std::max(1u, std::thread::hardware_concurrency()));
    const std::size_t parts = std::clamp<std::size_t>(pairs.size() / 16, 1, std::size_t(cores));
    std::vector<fs::path> lists, databases;
    for (std::size_t k = 0; k < parts; ++k) {
      lists.push_back(sparse_dir / fmt::format("raw_matches_{}.txt", k));
      databases.push_back(k == 0 ? db : sparse_dir / fmt::format("verify_{}.db", k));
    }
    {
      ColmapDatabase database(db);
      database.ClearMatches();
      DescriptorMatchOptions match_options;
      match_options.num_threads = options.num_threads;
      figures["descriptor_matching"] = MatchImagePairsToFiles(database, pairs, lists, match_options,
                                                              kMinVerifiedInliers, progress);
    }
    for (std::size_t k = 1; k < parts; ++k) {
      fs::copy_file(db, databases[k], fs::copy_options::overwrite_existing);
    }
    progress.Begin("sfm: verifying matches", figures["descriptor_matching"]["pairs_to_verify"],
                   "pairs");
    std::vector<std::exception_ptr> errors(parts);
    std::vector<std::thread> workers;
    for (std::size_t k = 0; k < parts; ++k) {
      workers.emplace_back([&, k] {
        try {
          RunColmap(
              colmap, "matches_importer",
              {"--database_path", databases[k].string(), "--match_list_path", lists[k].string(),
               "--match_type", "raw", "--SiftMatching.use_gpu", "0", "--SiftMatching.num_threads",
               "1", "--SiftMatching.min_num_inliers", std::to_string(kMinVerifiedInliers)},
              &progress);
        } catch (...) {
          errors[k] = std::current_exception();
        }
      });
    }
    for (auto& w : workers) w.join();
    for (const auto& e : errors) {
      if (e) std::rethrow_exception(e);
    }
    progress.End();
    {
      ColmapDatabase database(db);
      for (std::size_t k = 1; k < parts; ++k) database.MergeMatchesFrom(databases[k]);
    }
    for (std::size_t k = 0; k < parts; ++k) {
      fs::remove(lists[k]);
      if (k > 0) fs::remove(databases[k]);
    }
    WriteJsonFile(matches_marker, {{"hash", matches_hash}});
  }
  figures["verified_pairs"] = ColmapDatabase(db).CountVerifiedPairs();
  figures["matching_seconds"] = SecondsSince(t0);

  // 3. Mapping into a scratch folder, then the models sorted by size.
  t0 = std::chrono::steady_clock::now();
  const fs::path scratch = sparse_dir / "mapper.tmp";
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  std::vector<std::string> args = {"--database_path",
                                   db.string(),
                                   "--image_path",
                                   images_dir.string(),
                                   "--output_path",
                                   scratch.string(),
                                   "--Mapper.num_threads",
                                   threads,
                                   "--Mapper.min_model_size",
                                   "3"};
  if (options.intrinsics) {
    for (const char* a :
         {"--Mapper.ba_refine_focal_length", "0", "--Mapper.ba_refine_principal_point", "0",
          "--Mapper.ba_refine_extra_params", "0"}) {
      args.push_back(a);
    }
  }
  progress.Begin("sfm: registering images", images.size(), "images");
  const std::string no_overlap =
      "COLMAP could not register the photographs of " + images_dir.string() +
      ": no two images share enough matching features. The photographs probably do not "
      "overlap (each part of the building should appear in at least 3 photographs, with "
      "60-80 % overlap between neighbouring shots), or the surfaces lack texture. Add "
      "photographs that link the views, or check that the folder holds one building.";
  try {
    RunColmap(colmap, "mapper", args, &progress);
  } catch (const Error& e) {
    // COLMAP 3.8 exits with 1 when it cannot initialise any model.
    MUTA_CHECK(std::string_view(e.what()).find("failed to create sparse model") ==
               std::string_view::npos)
        << no_overlap;
    throw;
  }
  progress.End();
  figures["mapping_seconds"] = SecondsSince(t0);

  struct Found {
    fs::path dir;
    SparseModel model;
  };
  std::vector<Found> models;
  for (const auto& e : fs::directory_iterator(scratch)) {
    if (!e.is_directory() || !fs::exists(e.path() / "images.bin")) continue;
    Found f{e.path(), ReadSparseModel(e.path())};
    if (!f.model.images.empty()) models.push_back(std::move(f));
  }
  std::sort(models.begin(), models.end(), [](const Found& a, const Found& b) {
    if (a.model.images.size() != b.model.images.size()) {
      return a.model.images.size() > b.model.images.size();
    }
    return a.model.points.size() > b.model.points.size();
  });
  MUTA_CHECK(!models.empty() && models.front().model.images.size() >= 2) << no_overlap;
  if (!options.intrinsics && options.refine_principal_point) {
    t0 = std::chrono::steady_clock::now();
    figures["principal_point"] =
        RefinePrincipalPoint(colmap, models.front().dir, models.front().model, options, progress);
    figures["principal_point"]["seconds"] = SecondsSince(t0);
  }

  // 4. Place the models: the largest in SPARSE/ and SPARSE/sfm/, others in SPARSE/other/N.
  fs::remove_all(sparse_dir / "other");
  CopyModelFiles(models.front().dir, sparse_dir / "sfm");
  CopyModelFiles(models.front().dir, sparse_dir);
  Json others = Json::array();
  for (std::size_t i = 1; i < models.size(); ++i) {
    CopyModelFiles(models[i].dir, sparse_dir / "other" / std::to_string(i));
    others.push_back({{"path", fmt::format("sparse/other/{}", i)},
                      {"images", models[i].model.images.size()},
                      {"points", models[i].model.points.size()}});
  }
  fs::remove_all(scratch);

  const SparseModel& best = models.front().model;
  const SparseModelStats stats = ComputeStats(best);
  Json unregistered = Json::array();
  for (const auto& im : images) {
    if (best.FindImage(im.name) == nullptr) unregistered.push_back(im.name);
  }
  figures["images"] = images.size();
  figures["registered"] = best.images.size();
  figures["unregistered"] = unregistered;
  figures["points"] = stats.num_points;
  figures["mean_track_length"] = stats.mean_track_length;
  figures["mean_reprojection_error_px"] = stats.mean_reprojection_error;
  figures["cameras"] = stats.num_cameras;
  figures["models"] = models.size();
  figures["other_models"] = others;
  spdlog::info(
      "sfm: {}/{} images registered, {} points, mean track length {:.2f}, mean reprojection "
      "error {:.3f} px",
      best.images.size(), images.size(), stats.num_points, stats.mean_track_length,
      stats.mean_reprojection_error);
  if (!unregistered.empty()) {
    spdlog::warn("sfm: {} image{} not registered: {}", unregistered.size(),
                 unregistered.size() == 1 ? "" : "s", unregistered.dump());
  }
  if (models.size() > 1) {
    spdlog::warn(
        "sfm: COLMAP built {} separate models; the largest ({} images) is used, the others are "
        "in sparse/other/ (add photographs linking the parts to join them)",
        models.size(), best.images.size());
  }
  return figures;
}

}  // namespace muta::reconstruct
