#pragma once
// JSON files: nlohmann::json with errors that name the file, and atomic writes.

#include <filesystem>

#include <nlohmann/json.hpp>

namespace muta {

using Json = nlohmann::json;

/// Parses a JSON file. A missing file, bad syntax (with line/column) or a non-object root when
/// `require_object` throws muta::Error naming the file.
Json ReadJsonFile(const std::filesystem::path& path, bool require_object = true);

/// Parses JSON text; `name` is used in error messages.
Json ParseJson(std::string_view text, const std::string& name);

/// Writes pretty-printed JSON atomically (temp + rename), ending with a newline.
void WriteJsonFile(const std::filesystem::path& path, const Json& json);

}  // namespace muta
