#pragma once
// Locating Muta's assets (shaders, fonts, model weights, demo inputs).
//
// Assets live in PREFIX/share/muta for an installed muta (PREFIX/bin/muta) and in
// build/share/muta for a build tree (build/bin/muta) – found relative to the running
// executable, never the working directory. MUTA_ASSET_DIR overrides both.

#include <filesystem>
#include <string>

namespace muta {

/// The asset directory; throws muta::Error (with what to do) if it cannot be found.
std::filesystem::path AssetDir();

/// AssetDir() / relative, checked to exist.
std::filesystem::path AssetPath(const std::string& relative);

/// The running executable's path (/proc/self/exe).
std::filesystem::path ExecutablePath();

}  // namespace muta
