#pragma once
// Reading COLMAP's SQLite database (the `database.db` its feature_extractor writes): the images
// and their SIFT descriptors, which our own matcher compares, and clearing the match tables
// before matches are imported again. Only the tables and columns of COLMAP 3.8's schema that
// we use are read; anything unexpected is a muta::Error naming the file.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace muta::reconstruct {

/// One image row of the database.
struct ColmapDbImage {
  std::uint32_t image_id = 0;
  std::string name;
  std::uint32_t camera_id = 0;
};

/// SIFT descriptors of one image: `rows` x 128 bytes, row-major (COLMAP's layout: each
/// descriptor normalised to length 512 and stored as unsigned bytes).
struct SiftDescriptors {
  std::size_t rows = 0;
  std::vector<std::uint8_t> data;
};

/// Feature matches of an image pair: (index in the first image, index in the second).
using FeatureMatches = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

class ColmapDatabase {
 public:
  /// Opens an existing database (read-write). Throws muta::Error naming the file when it is
  /// missing or not a COLMAP database.
  explicit ColmapDatabase(const std::filesystem::path& path);
  ~ColmapDatabase();
  ColmapDatabase(const ColmapDatabase&) = delete;
  ColmapDatabase& operator=(const ColmapDatabase&) = delete;

  /// All images, by increasing image_id.
  std::vector<ColmapDbImage> ReadImages() const;
  /// The descriptors of `image_id` (zero rows when the image has none). Throws muta::Error when
  /// the stored blob does not hold rows x 128 bytes.
  SiftDescriptors ReadDescriptors(std::uint32_t image_id) const;
  /// Deletes every row of `matches` and `two_view_geometries` (before matching again: COLMAP's
  /// importer skips pairs that already have verified matches).
  void ClearMatches();
  /// The raw (unverified) matches COLMAP stored for the pair, oriented from `image_id1` to
  /// `image_id2`; empty when there are none.
  FeatureMatches ReadMatches(std::uint32_t image_id1, std::uint32_t image_id2) const;
  /// Copies every row of `matches` and `two_view_geometries` from another database of the same
  /// images (a copy of this one that COLMAP verified part of the pairs in), replacing rows of
  /// the same pairs.
  void MergeMatchesFrom(const std::filesystem::path& other);
  /// Number of image pairs with verified (inlier) matches, i.e. rows of two_view_geometries
  /// with at least one inlier.
  std::size_t CountVerifiedPairs() const;

  const std::filesystem::path& path() const { return path_; }

 private:
  struct Handle;
  std::filesystem::path path_;
  std::unique_ptr<Handle> db_;
};

}  // namespace muta::reconstruct
