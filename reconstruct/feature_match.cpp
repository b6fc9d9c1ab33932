#include "reconstruct/feature_match.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "core/error.h"
#include "core/file_io.h"
#include "core/progress.h"

namespace muta::reconstruct {

namespace {

constexpr std::size_t kDim = 128;
constexpr std::size_t kTileRows = 4;
constexpr std::size_t kTileCols = 16;
// Column tiles that share one pass over the rows: 64 columns = 16 KB of packed descriptors,
// which stay in the L1 cache while the rows stream past.
constexpr std::size_t kPanelTiles = 4;
// COLMAP stores descriptors normalised to length 512.
constexpr float kDotNorm = 1.0f / (512.0f * 512.0f);

std::size_t RoundUp(std::size_t n, std::size_t m) {
  return (n + m - 1) / m * m;
}

/// Rows as int16, `padded` (multiple of kTileRows) x 128, zero rows at the end.
std::vector<std::int16_t> PackRows(const SiftDescriptors& d) {
  std::vector<std::int16_t> out(RoundUp(d.rows, kTileRows) * kDim, 0);
  for (std::size_t i = 0; i < d.rows * kDim; ++i) out[i] = std::int16_t(d.data[i]);
  return out;
}

/// Columns in tiles of 16: tile t holds, for each pair of dimensions k2 (0..63), the 16 columns'
/// two values side by side: [t][k2][c][2]. This is what _mm256_madd_epi16 multiplies against a
/// broadcast pair of row values.
std::vector<std::int16_t> PackColumns(const SiftDescriptors& d) {
  const std::size_t padded = RoundUp(d.rows, kTileCols);
  std::vector<std::int16_t> out(padded * kDim, 0);
  for (std::size_t j = 0; j < d.rows; ++j) {
    const std::size_t tile = j / kTileCols, c = j % kTileCols;
    for (std::size_t k2 = 0; k2 < kDim / 2; ++k2) {
      std::int16_t* dst = &out[((tile * (kDim / 2) + k2) * kTileCols + c) * 2];
      dst[0] = std::int16_t(d.data[j * kDim + 2 * k2]);
      dst[1] = std::int16_t(d.data[j * kDim + 2 * k2 + 1]);
    }
  }
  return out;
}

/// out[r * 16 + c] = dot(row r, column c) for a tile of 4 rows and 16 columns. Returns a mask:
/// bit r when a dot of row r exceeds row_threshold[r], bit 4 + c when a dot of column c exceeds
/// column_threshold[c] (the current second-best values: only those dots can change anything).
std::uint32_t DotTilePortable(const std::int16_t* rows, const std::int16_t* cols,
                              const std::int32_t* row_threshold,
                              const std::int32_t* column_threshold, std::int32_t* out) {
  std::uint32_t mask = 0;
  for (std::size_t r = 0; r < kTileRows; ++r) {
    std::int32_t acc[kTileCols] = {};
    const std::int16_t* a = rows + r * kDim;
    for (std::size_t k2 = 0; k2 < kDim / 2; ++k2) {
      const std::int16_t* b = cols + k2 * kTileCols * 2;
      for (std::size_t c = 0; c < kTileCols; ++c) {
        acc[c] += std::int32_t(a[2 * k2]) * b[2 * c] + std::int32_t(a[2 * k2 + 1]) * b[2 * c + 1];
      }
    }
    for (std::size_t c = 0; c < kTileCols; ++c) {
      if (acc[c] > row_threshold[r]) mask |= 1u << r;
      if (acc[c] > column_threshold[c]) mask |= 1u << (kTileRows + c);
    }
    std::memcpy(out + r * kTileCols, acc, sizeof(acc));
  }
  return mask;
}

__attribute__((target("avx2"))) std::uint32_t DotTileAvx2(const std::int16_t* rows,
                                                          const std::int16_t* cols,
                                                          const std::int32_t* row_threshold,
                                                          const std::int32_t* column_threshold,
                                                          std::int32_t* out) {
  __m256i acc[kTileRows][2];
  for (auto& a : acc) a[0] = a[1] = _mm256_setzero_si256();
  for (std::size_t k2 = 0; k2 < kDim / 2; ++k2) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cols + k2 * 32));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cols + k2 * 32 + 16));
    for (std::size_t r = 0; r < kTileRows; ++r) {
      std::int32_t pair;
      std::memcpy(&pair, rows + r * kDim + 2 * k2, sizeof(pair));
      const __m256i a = _mm256_set1_epi32(pair);
      acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(a, b0));
      acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(a, b1));
    }
  }
  std::uint32_t mask = 0;
  for (std::size_t r = 0; r < kTileRows; ++r) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + r * kTileCols), acc[r][0]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + r * kTileCols + 8), acc[r][1]);
    const __m256i t = _mm256_set1_epi32(row_threshold[r]);
    const __m256i hit =
        _mm256_or_si256(_mm256_cmpgt_epi32(acc[r][0], t), _mm256_cmpgt_epi32(acc[r][1], t));
    if (!_mm256_testz_si256(hit, hit)) mask |= 1u << r;
  }
  for (int h = 0; h < 2; ++h) {
    const __m256i column_max = _mm256_max_epi32(_mm256_max_epi32(acc[0][h], acc[1][h]),
                                                _mm256_max_epi32(acc[2][h], acc[3][h]));
    const __m256i t =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(column_threshold + 8 * h));
    const int bits = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(column_max, t)));
    mask |= std::uint32_t(bits) << (kTileRows + 8 * h);
  }
  return mask;
}

bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

/// The two largest dot products seen and where the largest was, updated exactly as COLMAP's
/// brute-force FindBestMatchesOneWay does when it scans in increasing index order.
struct BestTwo {
  std::int32_t best = 0;
  std::int32_t second = 0;
  std::int32_t index = -1;
  void Offer(std::int32_t dot, std::int32_t i) {
    if (dot > best) {
      second = best;
      best = dot;
      index = i;
    } else if (dot > second) {
      second = dot;
    }
  }
};

/// COLMAP's acceptance test of a best match: angle below max_distance and below max_ratio times
/// the second-best angle. Returns the matched index or -1.
std::int32_t Accept(const BestTwo& b, const DescriptorMatchOptions& o) {
  if (b.index < 0) return -1;
  const float best = std::acos(std::min(kDotNorm * float(b.best), 1.0f));
  if (best > o.max_distance) return -1;
  const float second = std::acos(std::min(kDotNorm * float(b.second), 1.0f));
  if (best >= o.max_ratio * second) return -1;
  return b.index;
}

FeatureMatches Combine(const std::vector<BestTwo>& rows, const std::vector<BestTwo>& cols,
                       const DescriptorMatchOptions& o) {
  FeatureMatches matches;
  std::vector<std::int32_t> back(cols.size());
  if (o.cross_check) {
    for (std::size_t j = 0; j < cols.size(); ++j) back[j] = Accept(cols[j], o);
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::int32_t j = Accept(rows[i], o);
    if (j < 0) continue;
    if (o.cross_check && back[std::size_t(j)] != std::int32_t(i)) continue;
    matches.emplace_back(std::uint32_t(i), std::uint32_t(j));
  }
  return matches;
}

void CheckDescriptors(const SiftDescriptors& d) {
  MUTA_CHECK(d.data.size() == d.rows * kDim)
      << "SIFT descriptors: " << d.data.size() << " bytes for " << d.rows << " descriptors of "
      << kDim;
  MUTA_CHECK(d.rows < (std::size_t(1) << 31)) << "SIFT descriptors: too many (" << d.rows << ")";
}

}  // namespace

bool DescriptorMatcherUsesAvx2() {
  return HasAvx2();
}

FeatureMatches MatchDescriptors(const SiftDescriptors& a, const SiftDescriptors& b,
                                const DescriptorMatchOptions& options) {
  CheckDescriptors(a);
  CheckDescriptors(b);
  if (a.rows == 0 || b.rows == 0) return {};
  const std::vector<std::int16_t> rows = PackRows(a);
  const std::vector<std::int16_t> cols = PackColumns(b);
  const std::size_t n = a.rows, m = b.rows;
  const std::size_t padded_rows = rows.size() / kDim;
  const std::size_t col_tiles = cols.size() / (kDim * kTileCols);
  auto* dot_tile = HasAvx2() && !options.portable_kernel ? &DotTileAvx2 : &DotTilePortable;

  // State for the padded sizes, so that tiles never index out of range; padding dots are 0
  // and never change a best pair.
  std::vector<BestTwo> row_best(padded_rows), col_best(col_tiles * kTileCols);
  std::vector<std::int32_t> col_second(col_best.size(), 0);
  alignas(32) std::int32_t dots[kTileRows * kTileCols];
  for (std::size_t panel = 0; panel < col_tiles; panel += kPanelTiles) {
    const std::size_t panel_end = std::min(col_tiles, panel + kPanelTiles);
    for (std::size_t r0 = 0; r0 < padded_rows; r0 += kTileRows) {
      const std::size_t nr = std::min(kTileRows, n - r0);
      for (std::size_t tile = panel; tile < panel_end; ++tile) {
        const std::size_t c0 = tile * kTileCols;
        const std::int32_t row_threshold[kTileRows] = {row_best[r0].second, row_best[r0 + 1].second,
                                                       row_best[r0 + 2].second,
                                                       row_best[r0 + 3].second};
        const std::uint32_t hits = dot_tile(&rows[r0 * kDim], &cols[tile * kDim * kTileCols],
                                            row_threshold, &col_second[c0], dots);
        if (hits == 0) continue;  // the usual case once the best pairs have settled
        const std::size_t nc = std::min(kTileCols, m - c0);
        // Rows scan their columns in increasing order (panels, then tiles, then c), columns
        // their rows likewise (r0, then r): the same order as COLMAP's loops, so ties resolve
        // the same way.
        for (std::size_t r = 0; r < nr; ++r) {
          if ((hits & (1u << r)) == 0) continue;
          BestTwo& rb = row_best[r0 + r];
          for (std::size_t c = 0; c < nc; ++c)
            rb.Offer(dots[r * kTileCols + c], std::int32_t(c0 + c));
        }
        for (std::size_t c = 0; c < nc; ++c) {
          if ((hits & (1u << (kTileRows + c))) == 0) continue;
          BestTwo& cb = col_best[c0 + c];
          for (std::size_t r = 0; r < nr; ++r)
            cb.Offer(dots[r * kTileCols + c], std::int32_t(r0 + r));
          col_second[c0 + c] = cb.second;
        }
      }
    }
  }
  row_best.resize(n);
  col_best.resize(m);
  return Combine(row_best, col_best, options);
}

FeatureMatches MatchDescriptorsReference(const SiftDescriptors& a, const SiftDescriptors& b,
                                         const DescriptorMatchOptions& options) {
  CheckDescriptors(a);
  CheckDescriptors(b);
  // COLMAP's way: the whole matrix of dot products, then a scan along rows and one along
  // columns.
  std::vector<std::int32_t> dots(a.rows * b.rows);
  for (std::size_t i = 0; i < a.rows; ++i) {
    for (std::size_t j = 0; j < b.rows; ++j) {
      std::int32_t dot = 0;
      for (std::size_t k = 0; k < kDim; ++k) {
        dot += std::int32_t(a.data[i * kDim + k]) * std::int32_t(b.data[j * kDim + k]);
      }
      dots[i * b.rows + j] = dot;
    }
  }
  std::vector<BestTwo> row_best(a.rows), col_best(b.rows);
  for (std::size_t i = 0; i < a.rows; ++i) {
    for (std::size_t j = 0; j < b.rows; ++j)
      row_best[i].Offer(dots[i * b.rows + j], std::int32_t(j));
  }
  for (std::size_t j = 0; j < b.rows; ++j) {
    for (std::size_t i = 0; i < a.rows; ++i)
      col_best[j].Offer(dots[i * b.rows + j], std::int32_t(i));
  }
  return Combine(row_best, col_best, options);
}

Json MatchImagePairsToFiles(const ColmapDatabase& db,
                            const std::vector<std::pair<std::string, std::string>>& pairs,
                            const std::vector<std::filesystem::path>& match_lists,
                            const DescriptorMatchOptions& options, std::size_t min_matches,
                            Progress& progress, std::string_view task) {
  MUTA_CHECK(!match_lists.empty()) << "MatchImagePairsToFiles: no output file";
  const auto t0 = std::chrono::steady_clock::now();
  std::map<std::string, std::uint32_t> ids;
  for (const auto& im : db.ReadImages()) ids.emplace(im.name, im.image_id);
  // Descriptors of every image taking part, read once (SQLite reads stay on this thread).
  std::map<std::string, SiftDescriptors> descriptors;
  for (const auto& [x, y] : pairs) {
    for (const std::string* name : {&x, &y}) {
      if (descriptors.count(*name)) continue;
      const auto it = ids.find(*name);
      MUTA_CHECK(it != ids.end()) << db.path().string() << ": image " << *name
                                  << " has no features; run the sfm stage again with --force";
      descriptors.emplace(*name, db.ReadDescriptors(it->second));
    }
  }

  std::vector<FeatureMatches> results(pairs.size());
  progress.Begin(task, pairs.size(), "pairs");
  const int threads = options.num_threads > 0 ? options.num_threads : tbb::task_arena::automatic;
  tbb::task_arena(threads).execute([&] {
    tbb::parallel_for(std::size_t(0), pairs.size(), [&](std::size_t p) {
      if (InterruptRequested()) return;
      results[p] = MatchDescriptors(descriptors.at(pairs[p].first), descriptors.at(pairs[p].second),
                                    options);
      progress.Advance();
    });
  });
  CheckInterrupted();
  progress.End();

  std::vector<std::string> texts(match_lists.size());
  std::size_t total = 0, written = 0;
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    total += results[p].size();
    if (results[p].size() < min_matches) continue;
    std::string& text = texts[p % texts.size()];
    text += pairs[p].first + " " + pairs[p].second + "\n";
    for (const auto& [i, j] : results[p]) text += fmt::format("{} {}\n", i, j);
    text += "\n";
    ++written;
  }
  for (std::size_t f = 0; f < match_lists.size(); ++f) WriteFileAtomic(match_lists[f], texts[f]);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info(
      "sfm: {} pairs matched ({} putative matches, {} pairs with at least {}) in {:.1f} s{}",
      pairs.size(), total, written, min_matches, seconds,
      HasAvx2() ? "" : " (no AVX2 on this CPU: portable kernel)");
  return {{"pairs", pairs.size()},
          {"putative_matches", total},
          {"pairs_to_verify", written},
          {"descriptor_seconds", seconds}};
}

}  // namespace muta::reconstruct
