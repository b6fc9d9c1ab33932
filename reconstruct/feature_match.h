#pragma once
// Our SIFT descriptor matcher, a drop-in replacement for COLMAP 3.8's CPU matcher.
//
// COLMAP 3.8's CPU matcher searches approximate nearest neighbours with FLANN kd-trees; on a
// 2-core machine that made matching 24 photographs of 1 MP with 8192 features take over half
// an hour. Ours is exact brute force – every integer dot product, computed by a blocked AVX2
// kernel (16-bit multiply-add) – with COLMAP's decision rules: best over second-best angle
// ratio, maximum angle, mutual best match. It returns exactly what COLMAP's brute-force CPU
// matcher (FindBestMatchesBruteForce) would; against COLMAP's default FLANN matcher it agrees
// on about 97 % of the matches (tests/sfm_matcher_test.cpp). The matches then go through
// COLMAP's geometric verification (`matches_importer --match_type raw`), unchanged.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "reconstruct/colmap_database.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct {

/// COLMAP's SiftMatching defaults.
struct DescriptorMatchOptions {
  float max_ratio = 0.8f;        ///< best angle / second-best angle must be below this
  float max_distance = 0.7f;     ///< largest angle (radians) between matched descriptors
  bool cross_check = true;       ///< keep a match only when it is the best in both directions
  int num_threads = -1;          ///< -1: all cores
  bool portable_kernel = false;  ///< use the portable kernel even where AVX2 exists (tests)
};

/// Matches the descriptors of two images. Result sorted by the first index.
FeatureMatches MatchDescriptors(const SiftDescriptors& a, const SiftDescriptors& b,
                                const DescriptorMatchOptions& options);

/// The same by COLMAP's brute-force method (a plain double loop over the dot products): a
/// reference for tests and benchmarks.
FeatureMatches MatchDescriptorsReference(const SiftDescriptors& a, const SiftDescriptors& b,
                                         const DescriptorMatchOptions& options);

/// Matches the given pairs of image names (all in `db`), in parallel, and writes them in COLMAP's
/// raw match-list format ("NAME1 NAME2", one "IDX1 IDX2" line per match, a blank line) to the
/// `match_lists` atomically, pair p going to list p % size (so that COLMAP can verify the lists
/// in parallel). Pairs with fewer than `min_matches` matches are left out (COLMAP's verification
/// needs 15 inliers). Returns figures: pairs, putative matches, pairs written, seconds.
/// Progress: `task`, one unit a pair; Ctrl-C stops between pairs.
Json MatchImagePairsToFiles(const ColmapDatabase& db,
                            const std::vector<std::pair<std::string, std::string>>& pairs,
                            const std::vector<std::filesystem::path>& match_lists,
                            const DescriptorMatchOptions& options, std::size_t min_matches,
                            Progress& progress, std::string_view task = "sfm: matching features");

/// True when this CPU runs the AVX2 kernel (otherwise a portable one is used).
bool DescriptorMatcherUsesAvx2();

}  // namespace muta::reconstruct
