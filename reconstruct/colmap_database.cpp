#include "reconstruct/colmap_database.h"

#include <cstring>
#include <string_view>

#include <sqlite3.h>

#include "core/error.h"

namespace muta::reconstruct {

namespace fs = std::filesystem;

struct ColmapDatabase::Handle {
  sqlite3* db = nullptr;
  ~Handle() {
    if (db != nullptr) sqlite3_close(db);
  }
};

namespace {

constexpr const char* kFix =
    "; it should be the database.db COLMAP's feature_extractor wrote – run the sfm stage again "
    "with --force to rebuild it";

/// A prepared statement, finalised on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const fs::path& path, std::string_view sql) : path_(path) {
    const int rc = sqlite3_prepare_v2(db, sql.data(), int(sql.size()), &stmt_, nullptr);
    MUTA_CHECK(rc == SQLITE_OK) << path_.string() << ": cannot read the COLMAP database ("
                                << sqlite3_errmsg(db) << ")" << kFix;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() const { return stmt_; }
  /// Steps once: true when a row is available, false when done; throws on error.
  bool Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    MUTA_CHECK(rc == SQLITE_DONE) << path_.string() << ": reading the COLMAP database failed ("
                                  << sqlite3_errstr(rc) << ")" << kFix;
    return false;
  }

 private:
  fs::path path_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

ColmapDatabase::ColmapDatabase(const fs::path& path) : path_(path), db_(new Handle) {
  MUTA_CHECK(fs::is_regular_file(path)) << path.string() << ": no COLMAP database here" << kFix;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db_->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  MUTA_CHECK(rc == SQLITE_OK) << path.string() << ": cannot open the COLMAP database ("
                              << (db_->db ? sqlite3_errmsg(db_->db) : sqlite3_errstr(rc)) << ")"
                              << kFix;
  sqlite3_busy_timeout(db_->db, 10000);
  // A file that is not SQLite fails here, at the first read; one without COLMAP's tables too.
  for (const char* table : {"images", "descriptors", "matches", "two_view_geometries"}) {
    Statement s(db_->db, path_, "SELECT name FROM sqlite_master WHERE type='table' AND name=?1");
    sqlite3_bind_text(s.get(), 1, table, -1, SQLITE_STATIC);
    MUTA_CHECK(s.Step()) << path.string() << ": not a COLMAP database (no table '" << table << "')"
                         << kFix;
  }
}

ColmapDatabase::~ColmapDatabase() = default;

std::vector<ColmapDbImage> ColmapDatabase::ReadImages() const {
  Statement s(db_->db, path_, "SELECT image_id, name, camera_id FROM images ORDER BY image_id");
  std::vector<ColmapDbImage> images;
  while (s.Step()) {
    ColmapDbImage im;
    const sqlite3_int64 id = sqlite3_column_int64(s.get(), 0);
    const sqlite3_int64 camera = sqlite3_column_int64(s.get(), 2);
    const unsigned char* name = sqlite3_column_text(s.get(), 1);
    MUTA_CHECK(id > 0 && id <= 0x7fffffff && camera >= 0 && camera <= 0x7fffffff && name != nullptr)
        << path_.string() << ": an images row has an invalid id, camera or name" << kFix;
    im.image_id = std::uint32_t(id);
    im.camera_id = std::uint32_t(camera);
    im.name = reinterpret_cast<const char*>(name);
    images.push_back(std::move(im));
  }
  return images;
}

SiftDescriptors ColmapDatabase::ReadDescriptors(std::uint32_t image_id) const {
  Statement s(db_->db, path_, "SELECT rows, cols, data FROM descriptors WHERE image_id=?1");
  sqlite3_bind_int64(s.get(), 1, image_id);
  SiftDescriptors d;
  if (!s.Step()) return d;
  const sqlite3_int64 rows = sqlite3_column_int64(s.get(), 0);
  const sqlite3_int64 cols = sqlite3_column_int64(s.get(), 1);
  MUTA_CHECK(rows >= 0 && rows < (sqlite3_int64(1) << 26) && (cols == 128 || rows == 0))
      << path_.string() << ": the descriptors of image " << image_id << " are " << rows << " x "
      << cols << "; SIFT descriptors have 128 bytes" << kFix;
  const void* blob = sqlite3_column_blob(s.get(), 2);
  const int bytes = sqlite3_column_bytes(s.get(), 2);
  MUTA_CHECK(sqlite3_int64(bytes) == rows * 128 && (rows == 0 || blob != nullptr))
      << path_.string() << ": the descriptors of image " << image_id << " hold " << bytes
      << " bytes, not " << rows << " x 128 (truncated or corrupt)" << kFix;
  d.rows = std::size_t(rows);
  d.data.resize(d.rows * 128);
  if (bytes > 0) std::memcpy(d.data.data(), blob, std::size_t(bytes));
  return d;
}

void ColmapDatabase::ClearMatches() {
  for (const char* sql : {"DELETE FROM matches", "DELETE FROM two_view_geometries"}) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_->db, sql, nullptr, nullptr, &message);
    const std::string text = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    MUTA_CHECK(rc == SQLITE_OK) << path_.string() << ": cannot clear old matches (" << text
                                << "); check that the workspace is writable";
  }
}

FeatureMatches ColmapDatabase::ReadMatches(std::uint32_t image_id1, std::uint32_t image_id2) const {
  // COLMAP 3.8: pair_id = smaller_id * 2147483647 + larger_id, matches stored smaller first.
  const bool swap = image_id1 > image_id2;
  const std::uint64_t lo = swap ? image_id2 : image_id1, hi = swap ? image_id1 : image_id2;
  Statement s(db_->db, path_, "SELECT rows, cols, data FROM matches WHERE pair_id=?1");
  sqlite3_bind_int64(s.get(), 1, sqlite3_int64(lo * 2147483647ull + hi));
  FeatureMatches matches;
  if (!s.Step()) return matches;
  const sqlite3_int64 rows = sqlite3_column_int64(s.get(), 0);
  const sqlite3_int64 cols = sqlite3_column_int64(s.get(), 1);
  const int bytes = sqlite3_column_bytes(s.get(), 2);
  const void* blob = sqlite3_column_blob(s.get(), 2);
  MUTA_CHECK(rows >= 0 && (cols == 2 || rows == 0) && sqlite3_int64(bytes) == rows * 8 &&
             (rows == 0 || blob != nullptr))
      << path_.string() << ": the matches of images " << image_id1 << " and " << image_id2
      << " are corrupt (" << rows << " x " << cols << ", " << bytes << " bytes)" << kFix;
  std::vector<std::uint32_t> v(std::size_t(rows) * 2);
  if (bytes > 0) std::memcpy(v.data(), blob, std::size_t(bytes));
  for (std::size_t i = 0; i < std::size_t(rows); ++i) {
    matches.emplace_back(swap ? v[2 * i + 1] : v[2 * i], swap ? v[2 * i] : v[2 * i + 1]);
  }
  return matches;
}

void ColmapDatabase::MergeMatchesFrom(const fs::path& other) {
  char* attach = sqlite3_mprintf("ATTACH DATABASE %Q AS part", other.c_str());
  std::string error;
  bool attached = false;
  for (const char* sql :
       {static_cast<const char*>(attach), "BEGIN",
        "INSERT OR REPLACE INTO main.matches SELECT * FROM part.matches",
        "INSERT OR REPLACE INTO main.two_view_geometries SELECT * FROM part.two_view_geometries",
        "COMMIT"}) {
    char* message = nullptr;
    if (sqlite3_exec(db_->db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      error = message ? message : "unknown error";
      sqlite3_free(message);
      if (attached) sqlite3_exec(db_->db, "ROLLBACK", nullptr, nullptr, nullptr);
      break;
    }
    attached = true;
  }
  sqlite3_free(attach);
  if (attached) sqlite3_exec(db_->db, "DETACH DATABASE part", nullptr, nullptr, nullptr);
  MUTA_CHECK(error.empty()) << path_.string() << ": cannot merge the matches verified in "
                            << other.string() << " (" << error
                            << "); check that the workspace is writable and not full";
}

std::size_t ColmapDatabase::CountVerifiedPairs() const {
  Statement s(db_->db, path_, "SELECT COUNT(*) FROM two_view_geometries WHERE rows > 0");
  MUTA_CHECK(s.Step()) << path_.string() << ": cannot count verified pairs" << kFix;
  return std::size_t(sqlite3_column_int64(s.get(), 0));
}

}  // namespace muta::reconstruct
