#include "core/assets.h"

#include <cstdlib>

#include "core/error.h"

namespace muta {
namespace fs = std::filesystem;

fs::path ExecutablePath() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  MUTA_INTERNAL_CHECK(!ec) << "cannot read /proc/self/exe: " << ec.message();
  return exe;
}

fs::path AssetDir() {
  if (const char* env = std::getenv("MUTA_ASSET_DIR"); env != nullptr && *env != '\0') {
    MUTA_CHECK(fs::is_directory(env))
        << "MUTA_ASSET_DIR=" << env << " is not a directory; unset it or point it at "
        << "PREFIX/share/muta";
    return fs::path(env);
  }
  const fs::path candidate = ExecutablePath().parent_path().parent_path() / "share" / "muta";
  MUTA_CHECK(fs::is_directory(candidate / "shaders") || fs::is_directory(candidate))
      << "cannot find Muta's assets at " << candidate.string()
      << "; reinstall (cmake --install) or set MUTA_ASSET_DIR";
  return candidate;
}

fs::path AssetPath(const std::string& relative) {
  const fs::path path = AssetDir() / relative;
  MUTA_CHECK(fs::exists(path)) << "missing asset " << path.string()
                               << "; the installation is incomplete – rebuild or reinstall";
  return path;
}

}  // namespace muta
