#include "reconstruct/feature_match.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <sqlite3.h>

#include "core/error.h"
#include "core/progress.h"
#include "reconstruct/colmap_database.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using namespace muta::reconstruct;

using muta::test::ErrorOf;

namespace {

/// SIFT-like descriptors: non-negative, length 512, stored as bytes – like COLMAP's.
std::vector<float> RandomUnit(std::mt19937& rng) {
  std::gamma_distribution<float> g(0.6f, 1.0f);
  std::vector<float> v(128);
  float n = 0;
  for (float& x : v) {
    x = g(rng);
    n += x * x;
  }
  for (float& x : v) x /= std::sqrt(n);
  return v;
}

void Append(SiftDescriptors& d, const std::vector<float>& v) {
  float n = 0;
  for (float x : v) n += x * x;
  for (float x : v)
    d.data.push_back(std::uint8_t(std::min(255.0f, std::round(512 * x / std::sqrt(n)))));
  ++d.rows;
}

/// `a` with n descriptors; `b` holding noisy copies of the first `shared` of them (shuffled)
/// among m - shared unrelated ones, and one exact duplicate so ties occur.
std::pair<SiftDescriptors, SiftDescriptors> MakeSets(std::size_t n, std::size_t m,
                                                     std::size_t shared, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<float>> base;
  for (std::size_t i = 0; i < n; ++i) base.push_back(RandomUnit(rng));
  SiftDescriptors a, b;
  for (const auto& v : base) Append(a, v);
  std::normal_distribution<float> noise(0.0f, 0.02f);
  std::vector<std::vector<float>> others;
  for (std::size_t i = 0; i < shared; ++i) {
    auto v = base[i];
    for (float& x : v) x = std::max(0.0f, x + noise(rng));
    others.push_back(v);
  }
  while (others.size() + 1 < m) others.push_back(RandomUnit(rng));
  if (others.size() < m) others.push_back(others.front());  // an exact tie
  std::shuffle(others.begin(), others.end(), rng);
  for (const auto& v : others) Append(b, v);
  return {a, b};
}

/// A database with COLMAP 3.8's table layout (only the columns we read matter).
void CreateDatabase(const fs::path& path, const std::string& extra_sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const std::string sql =
      "CREATE TABLE images (image_id INTEGER PRIMARY KEY, name TEXT, camera_id INTEGER);"
      "CREATE TABLE descriptors (image_id INTEGER PRIMARY KEY, rows INTEGER, cols INTEGER, "
      "data BLOB);"
      "CREATE TABLE matches (pair_id INTEGER PRIMARY KEY, rows INTEGER, cols INTEGER, data BLOB);"
      "CREATE TABLE two_view_geometries (pair_id INTEGER PRIMARY KEY, rows INTEGER, cols "
      "INTEGER, data BLOB, config INTEGER);"
      "INSERT INTO images VALUES (1, 'a.jpg', 1), (2, 'b.jpg', 1);" +
      extra_sql;
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace

TEST_CASE("Our descriptor matcher returns exactly the brute-force matches", "[unit][sfm]") {
  // Sizes that are not multiples of the 4 x 16 tiles; with and without the mutual check.
  for (const auto& [n, m, shared] : std::vector<std::tuple<std::size_t, std::size_t, std::size_t>>{
           {1, 1, 1}, {37, 53, 20}, {301, 257, 150}, {64, 1000, 60}}) {
    const auto [a, b] = MakeSets(n, m, shared, unsigned(n * 7 + m));
    for (bool cross : {true, false}) {
      DescriptorMatchOptions o;
      o.cross_check = cross;
      const FeatureMatches ours = MatchDescriptors(a, b, o);
      const FeatureMatches reference = MatchDescriptorsReference(a, b, o);
      INFO(n << " x " << m << " cross_check " << cross);
      CHECK(ours == reference);
      DescriptorMatchOptions portable = o;
      portable.portable_kernel = true;
      CHECK(MatchDescriptors(a, b, portable) == reference);
      if (cross) {
        // The noisy copies are found again (all but a few).
        CHECK(double(ours.size()) >= 0.85 * double(shared));
      }
    }
    // Swapping the images swaps the matches (mutual best is symmetric).
    const FeatureMatches ab = MatchDescriptors(a, b, {});
    FeatureMatches ba = MatchDescriptors(b, a, {});
    for (auto& [i, j] : ba) std::swap(i, j);
    std::sort(ba.begin(), ba.end());
    CHECK(ab == ba);
  }
  // Stricter thresholds only remove matches.
  const auto [a, b] = MakeSets(200, 200, 100, 3);
  DescriptorMatchOptions strict;
  strict.max_ratio = 0.5f;
  strict.max_distance = 0.2f;
  CHECK(MatchDescriptors(a, b, strict) == MatchDescriptorsReference(a, b, strict));
  CHECK(MatchDescriptors(a, b, strict).size() < MatchDescriptors(a, b, {}).size());
  CHECK(MatchDescriptors(SiftDescriptors{}, b, {}).empty());
  SiftDescriptors broken{3, std::vector<std::uint8_t>(100)};
  CHECK_THROWS_AS(MatchDescriptors(broken, b, {}), muta::Error);
}

TEST_CASE("COLMAP databases are read, and broken ones reported by name", "[unit][sfm]") {
  muta::test::TempDir dir("colmap-db");
  const fs::path not_sqlite = dir / "text.db";
  std::ofstream(not_sqlite) << "this is not a database, just some text long enough to matter\n";
  const auto [a, b] = MakeSets(40, 30, 20, 5);
  auto blob = [](const SiftDescriptors& d) {
    std::string hex;
    for (std::uint8_t x : d.data) hex += fmt::format("{:02X}", x);
    return "X'" + hex + "'";
  };
  const fs::path good = dir / "good.db";
  CreateDatabase(good, "INSERT INTO descriptors VALUES (1, 40, 128, " + blob(a) +
                           "), (2, 30, 128, " + blob(b) + ");");
  {
    ColmapDatabase db(good);
    const auto images = db.ReadImages();
    REQUIRE(images.size() == 2);
    CHECK(images[1].name == "b.jpg");
    CHECK(db.ReadDescriptors(1).data == a.data);
    CHECK(db.ReadDescriptors(2).rows == 30);
    CHECK(db.ReadDescriptors(7).rows == 0);
    CHECK(db.ReadMatches(1, 2).empty());
    CHECK(db.CountVerifiedPairs() == 0);

    muta::Progress progress(muta::ProgressStyle::kQuiet);
    const muta::Json figures =
        MatchImagePairsToFiles(db, {{"a.jpg", "b.jpg"}}, {dir / "matches.txt"}, {}, 15, progress);
    const FeatureMatches expected = MatchDescriptors(a, b, {});
    CHECK(figures["putative_matches"] == expected.size());
    std::ifstream in(dir / "matches.txt");
    std::string line;
    std::getline(in, line);
    CHECK(line == "a.jpg b.jpg");
    std::size_t count = 0;
    while (std::getline(in, line) && !line.empty()) ++count;
    CHECK(count == expected.size());
    CHECK_THAT(
        ErrorOf([&] {
          MatchImagePairsToFiles(db, {{"a.jpg", "zz.jpg"}}, {dir / "m2.txt"}, {}, 15, progress);
        }),
        Catch::Contains("zz.jpg"));
    // Pairs spread over several lists; pairs with too few matches left out.
    const muta::Json two =
        MatchImagePairsToFiles(db, {{"a.jpg", "b.jpg"}, {"b.jpg", "a.jpg"}},
                               {dir / "m0.txt", dir / "m1.txt"}, {}, 1, progress);
    CHECK(two["pairs_to_verify"] == 2);
    CHECK(fs::file_size(dir / "m0.txt") > 20);
    CHECK(fs::file_size(dir / "m1.txt") > 20);
    const muta::Json none =
        MatchImagePairsToFiles(db, {{"a.jpg", "b.jpg"}}, {dir / "m0.txt"}, {}, 100000, progress);
    CHECK(none["pairs_to_verify"] == 0);
    CHECK(fs::file_size(dir / "m0.txt") == 0);
  }

  // Matches verified in a copy of the database are merged back.
  const fs::path part = dir / "part.db";
  fs::copy_file(good, part);
  {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(part.c_str(), &raw) == SQLITE_OK);
    // pair (1, 2): id 1 * 2147483647 + 2; two matches (0, 5) and (3, 4) as little-endian uint32
    sqlite3_exec(raw,
                 "INSERT INTO matches VALUES (2147483649, 2, 2, "
                 "X'00000000050000000300000004000000');"
                 "INSERT INTO two_view_geometries VALUES (2147483649, 2, 2, X'00', 2);",
                 nullptr, nullptr, nullptr);
    sqlite3_close(raw);
    ColmapDatabase db(good);
    db.MergeMatchesFrom(part);
    CHECK(db.ReadMatches(1, 2) == FeatureMatches{{0, 5}, {3, 4}});
    CHECK(db.ReadMatches(2, 1) == FeatureMatches{{5, 0}, {4, 3}});
    CHECK(db.CountVerifiedPairs() == 1);
    db.ClearMatches();
    CHECK(db.CountVerifiedPairs() == 0);
    CHECK_THAT(ErrorOf([&] { db.MergeMatchesFrom(dir / "text.db"); }), Catch::Contains("text.db"));
  }

  const fs::path truncated = dir / "truncated.db";
  CreateDatabase(truncated, "INSERT INTO descriptors VALUES (1, 40, 128, X'00112233');");
  CHECK_THAT(ErrorOf([&] { ColmapDatabase(truncated).ReadDescriptors(1); }),
             Catch::Contains("truncated.db") && Catch::Contains("truncated or corrupt"));
  const fs::path wrong_cols = dir / "cols.db";
  CreateDatabase(wrong_cols, "INSERT INTO descriptors VALUES (1, 2, 64, X'00');");
  CHECK_THAT(ErrorOf([&] { ColmapDatabase(wrong_cols).ReadDescriptors(1); }),
             Catch::Contains("128 bytes"));
  const fs::path bad_matches = dir / "matches.db";
  CreateDatabase(bad_matches, "INSERT INTO matches VALUES (2147483649, 5, 2, X'0000');");
  CHECK_THAT(ErrorOf([&] { ColmapDatabase(bad_matches).ReadMatches(2, 1); }),
             Catch::Contains("corrupt"));

  CHECK_THAT(ErrorOf([&] { ColmapDatabase db(not_sqlite); }), Catch::Contains("text.db"));
  const fs::path empty_sqlite = dir / "empty.db";
  {
    sqlite3* db = nullptr;
    sqlite3_open(empty_sqlite.c_str(), &db);
    sqlite3_exec(db, "CREATE TABLE images (image_id INTEGER);", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  CHECK_THAT(ErrorOf([&] { ColmapDatabase db(empty_sqlite); }),
             Catch::Contains("not a COLMAP database"));
  CHECK_THAT(ErrorOf([&] { ColmapDatabase db(dir / "missing.db"); }),
             Catch::Contains("missing.db"));
  // A truncated copy of a good database.
  const fs::path cut = dir / "cut.db";
  muta::test::WriteTruncatedCopy(good, cut, 1500);
  CHECK_THAT(ErrorOf([&] {
               ColmapDatabase db(cut);
               db.ReadImages();
               db.ReadDescriptors(1);
               db.ReadDescriptors(2);
             }),
             Catch::Contains("cut.db"));
}
