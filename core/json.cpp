#include "core/json.h"

#include "core/error.h"
#include "core/file_io.h"

namespace muta {

Json ParseJson(std::string_view text, const std::string& name) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // Turn nlohmann's byte offset into line:column.
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    MUTA_FAIL << name << ":" << line << ":" << column << ": invalid JSON (" << e.what()
              << "); fix the file or regenerate it";
  }
  return {};
}

Json ReadJsonFile(const std::filesystem::path& path, bool require_object) {
  Json json = ParseJson(ReadFileText(path), path.string());
  MUTA_CHECK(!require_object || json.is_object())
      << path.string() << ": expected a JSON object at the top level";
  return json;
}

void WriteJsonFile(const std::filesystem::path& path, const Json& json) {
  WriteFileAtomic(path, json.dump(2) + "\n");
}

}  // namespace muta
