#include "tools/muta/report.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "core/colmap_model.h"
#include "core/depth_map_io.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "core/version.h"
#include "tools/muta/report_figures.h"

namespace muta::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kImageDir = "report";

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Format(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, value);
  return buf;
}

// 4 significant digits, without exponent for everyday magnitudes.
// Digits of an integer in groups of three from 10000 up ("1 073 741 824", narrow spaces).
std::string GroupDigits(std::string digits) {
  const std::size_t sign = !digits.empty() && digits[0] == '-';
  if (digits.size() - sign < 5) return digits;
  for (std::ptrdiff_t i = static_cast<std::ptrdiff_t>(digits.size()) - 3;
       i > static_cast<std::ptrdiff_t>(sign); i -= 3) {
    digits.insert(static_cast<std::size_t>(i), "\u202f");
  }
  return digits;
}

// 4 significant digits, without exponent for everyday magnitudes.
std::string FormatNumber(double v) {
  if (!std::isfinite(v)) return v != v ? "NaN" : (v > 0 ? "∞" : "−∞");
  const double a = std::abs(v);
  if ((v == std::floor(v) && a < 1e15) || (a >= 1e4 && a < 1e15)) {
    return GroupDigits(Format("%.0f", v));
  }
  return Format("%.4g", v);
}

std::string FormatSeconds(double s) {
  if (s < 60) return Format(s < 10 ? "%.2f s" : "%.1f s", s);
  const long total = std::lround(s);
  const long h = total / 3600, m = (total / 60) % 60, sec = total % 60;
  if (h > 0) return std::to_string(h) + " h " + std::to_string(m) + " min";
  return std::to_string(m) + " min " + std::to_string(sec) + " s";
}

// A figure value as text: numbers rounded, short arrays listed, long ones counted.
std::string FormatValue(const Json& v) {
  if (v.is_null()) return "–";
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number_integer() || v.is_number_unsigned()) return GroupDigits(v.dump());
  if (v.is_number()) return FormatNumber(v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    if (v.empty()) return "none";
    const bool scalars =
        std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_primitive(); });
    if (!scalars || v.size() > 8) return std::to_string(v.size()) + " items";
    std::string out;
    for (const Json& e : v) out += (out.empty() ? "" : ", ") + FormatValue(e);
    return out;
  }
  return v.dump();
}

// Nested objects become dotted keys: {"geometric": {"seconds": 4}} -> "geometric.seconds".
void Flatten(const Json& j, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& rows) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object() && !it->empty()) {
      Flatten(*it, key, rows);
    } else if (it->is_number_float() && key.ends_with("seconds")) {
      rows.emplace_back(key, FormatSeconds(it->get<double>()));
    } else {
      rows.emplace_back(key, FormatValue(*it));
    }
  }
}

// j[key] when it is a bool (a string), else `fallback`: a job file edited by hand must not
// stop the report.
bool Flag(const Json& j, const char* key, bool fallback) {
  return j.is_object() && j.contains(key) && j[key].is_boolean() ? j[key].get<bool>() : fallback;
}

std::string Text(const Json& j, const char* key, const std::string& fallback) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                : fallback;
}

std::string Num(const Json& figures, const char* key) {
  return figures.contains(key) ? FormatValue(figures[key]) : std::string("?");
}

// One line per stage for the overview table.
std::string Headline(const StageRecord& s) {
  if (s.status != StageStatus::kDone) return "";
  const Json& f = s.figures;
  if (s.name == "sfm" && f.contains("registered")) {
    return Num(f, "registered") + "/" + Num(f, "images") + " registered, " + Num(f, "points") +
           " points";
  }
  if (s.name == "orient" && f.contains("unscaled")) {
    return Flag(f, "unscaled", true) ? std::string("unscaled (relative units)")
                                     : "metric (" + Text(f, "scale_source", "?") + ")";
  }
  const char* const keys[][2] = {{"faces", "faces"},   {"points", "points"},
                                 {"images", "images"}, {"registered", "registered"},
                                 {"bytes", "bytes"},   {"cameras", "cameras"}};
  std::string out;
  int shown = 0;
  for (const auto& [key, label] : keys) {
    if (shown == 2 || !f.contains(key) || !f[key].is_number()) continue;
    out += (out.empty() ? "" : ", ") + FormatValue(f[key]) + " " + label;
    ++shown;
  }
  return out;
}

std::string StatusBadge(StageStatus status) {
  const std::string name(StageStatusName(status));
  return "<span class=\"status " + name + "\">" + name + "</span>";
}

// The last `max_lines` lines of a (possibly large) text file.
std::string TailOfFile(const fs::path& path, std::size_t max_lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff start = std::max<std::streamoff>(0, size - 32 * 1024);
  in.seekg(start);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> lines;
  std::istringstream lines_in(text);
  for (std::string line; std::getline(lines_in, line);) lines.push_back(line);
  if (start > 0 && !lines.empty()) lines.erase(lines.begin());  // likely cut
  const std::size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
  std::string out;
  for (std::size_t i = first; i < lines.size(); ++i) out += lines[i] + "\n";
  return out;
}

bool HasSparseModel(const fs::path& dir) {
  return fs::is_regular_file(dir / "cameras.bin") || fs::is_regular_file(dir / "cameras.txt");
}

// The CSS: plain, printable, no external fonts.
constexpr const char* kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
.sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { width: 14em; }
.status { padding: 0.05em 0.5em; border-radius: 0.7em; font-size: 0.9em; color: #fff; }
.done { background: #2e7d32; } .failed { background: #c62828; }
.running, .interrupted { background: #ef6c00; } .pending { background: #757575; }
pre.error { background: #fdecea; border-left: 4px solid #c62828; padding: 0.6em;
            white-space: pre-wrap; }
pre.log { background: #f6f6f6; padding: 0.6em; font-size: 0.85em; white-space: pre-wrap; }
.note { color: #8a4b00; }
figure { display: inline-block; margin: 0 1em 1em 0; vertical-align: top; }
figcaption { font-size: 0.85em; color: #444; max-width: 640px; }
img { border: 1px solid #ccc; max-width: 100%; height: auto; }
.pair img { margin-right: 4px; }
.legend img { height: 14px; width: 256px; vertical-align: middle; border: none; }
)";

class ReportWriter {
 public:
  ReportWriter(const fs::path& root, const Job& job, const ReportOptions& options)
      : root_(root),
        job_(job),
        options_(options),
        renderer_(options.render_width, options.render_height) {}

  ReportSummary Write() {
    const auto t0 = std::chrono::steady_clock::now();
    fs::create_directories(root_ / kImageDir);
    std::string body;
    auto timed = [&](const char* part, auto&& make) {
      const auto start = std::chrono::steady_clock::now();
      body += make();
      spdlog::debug(
          "report: {} in {:.2f} s", part,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    };
    timed("summary", [&] { return Summary() + Stages() + Accuracy(); });
    timed("sparse model", [&] { return Sparse(); });
    timed("depth maps", [&] { return DepthMaps(); });
    timed("mesh", [&] { return MeshPreview(); });
    body += StageDetails();
    body += LogTail();

    std::string html =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>Muta report – " +
        Escape(WorkspaceName()) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n" +
        body + "</body>\n</html>\n";
    const fs::path html_path = root_ / "report.html";
    WriteFileAtomic(html_path, html);
    RemoveStaleImages();
    summary_.html = html_path;
    summary_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return summary_;
  }

 private:
  // Writes report/NAME.png and returns the <img> tag.
  std::string Png(const std::string& name, const Image& image, const std::string& alt) {
    const fs::path path = root_ / kImageDir / (name + ".png");
    WriteImage(path, image);
    summary_.images.push_back(path);
    return "<img src=\"" + std::string(kImageDir) + "/" + Escape(name) + ".png\" width=\"" +
           std::to_string(image.width) + "\" height=\"" + std::to_string(image.height) +
           "\" alt=\"" + Escape(alt) + "\">";
  }

  std::string Note(const std::string& what, const std::exception& e) {
    const std::string text = what + ": " + e.what();
    spdlog::warn("report: {}", text);
    summary_.notes.push_back(text);
    return "<p class=\"note\">" + Escape(text) + "</p>\n";
  }

  std::string NotRendered() const {
    return "<p class=\"note\">Views not rendered (<code>--no-render</code>, or the run was "
           "interrupted); <code>muta report -w " +
           Escape(root_.string()) + "</code> renders them.</p>\n";
  }

  // The workspace folder's name, also for "ws/" and ".".
  std::string WorkspaceName() const {
    fs::path p = fs::absolute(root_).lexically_normal();
    if (!p.has_filename()) p = p.parent_path();
    return p.filename().string();
  }

  bool Unscaled() const { return Flag(job_.properties, "unscaled", true); }
  std::string Units() const { return Unscaled() ? "model units" : "m"; }

  std::string Summary() {
    std::string h = "<h1>Muta reconstruction report</h1>\n<p class=\"sub\">Workspace <code>" +
                    Escape(fs::absolute(root_).lexically_normal().string()) + "</code> · written " +
                    Escape(NowIso8601()) + " by muta " + MUTA_VERSION_STRING + "</p>\n";
    std::vector<std::pair<std::string, std::string>> rows;  // label, HTML
    const StageRecord* failed = nullptr;
    const StageRecord* unfinished = nullptr;
    std::size_t done = 0;
    double total = 0;
    std::string first_start, last_finish;
    for (const StageRecord& s : job_.stages) {
      if (s.status == StageStatus::kFailed && !failed) failed = &s;
      if ((s.status == StageStatus::kInterrupted || s.status == StageStatus::kRunning) &&
          !unfinished) {
        unfinished = &s;
      }
      done += s.status == StageStatus::kDone;
      if (!s.started.empty()) {
        total += s.seconds;
        if (first_start.empty() || s.started < first_start) first_start = s.started;
      }
      if (!s.finished.empty() && s.finished > last_finish) last_finish = s.finished;
    }
    std::string status;
    if (failed) {
      status = StatusBadge(StageStatus::kFailed) + " at stage <a href=\"#stage-" +
               Escape(failed->name) + "\">" + Escape(failed->name) + "</a>";
    } else if (unfinished) {
      status = StatusBadge(unfinished->status) + " at stage <a href=\"#stage-" +
               Escape(unfinished->name) + "\">" + Escape(unfinished->name) + "</a>";
    } else if (!job_.stages.empty() && done == job_.stages.size()) {
      status = StatusBadge(StageStatus::kDone) + " all " + std::to_string(done) + " stages";
    } else {
      status = std::to_string(done) + " of " + std::to_string(job_.stages.size()) + " stages done";
    }
    rows.emplace_back("Status", status);
    if (failed && !failed->error.empty()) {
      rows.emplace_back("Error", "<pre class=\"error\">" + Escape(failed->error) + "</pre>");
    }

    // The input folder: the ingest manifest says it; else the ingest stage's input.
    std::string input;
    try {
      if (fs::is_regular_file(root_ / "images.json")) {
        input = Text(ReadJsonFile(root_ / "images.json"), "source", "");
      }
    } catch (const std::exception& e) {
      spdlog::debug("report: images.json: {}", e.what());
    }
    if (const StageRecord* ingest = job_.Find("ingest");
        input.empty() && ingest && !ingest->inputs.empty()) {
      input = ingest->inputs.begin()->first;
    }
    if (!input.empty()) rows.emplace_back("Input folder", "<code>" + Escape(input) + "</code>");
    if (const StageRecord* ingest = job_.Find("ingest");
        ingest && ingest->figures.contains("images")) {
      rows.emplace_back("Photographs", Escape(FormatValue(ingest->figures["images"])) + " used");
    }
    rows.emplace_back("Quality", job_.properties.contains("quality")
                                     ? Escape(FormatValue(job_.properties["quality"]))
                                     : std::string("not recorded"));
    rows.emplace_back("Created", Escape(job_.created));
    if (!first_start.empty()) rows.emplace_back("First stage started", Escape(first_start));
    if (!last_finish.empty()) rows.emplace_back("Last stage finished", Escape(last_finish));
    rows.emplace_back("Total stage time", FormatSeconds(total) + " (sum of the stages' last runs)");
    std::string scale;
    if (job_.properties.contains("unscaled")) {
      scale = Unscaled() ? "<strong>unscaled</strong> – relative units; measurements are not "
                           "metric"
                         : "metric, from " + Escape(Text(job_.properties, "scale_source", "?"));
    } else {
      scale = "not determined yet (the orient stage has not run)";
    }
    rows.emplace_back("Scale", scale);
    h += "<table class=\"kv\">\n";
    for (const auto& [label, value] : rows) {
      h += "<tr><th>" + Escape(label) + "</th><td>" + value + "</td></tr>\n";
    }
    return h + "</table>\n";
  }

  std::string Stages() {
    if (job_.stages.empty()) return "<h2>Stages</h2>\n<p>No stage has run yet.</p>\n";
    std::string h =
        "<h2 id=\"stages\">Stages</h2>\n<table>\n<tr><th>stage</th><th>status</th>"
        "<th>started</th><th>time</th><th>result</th></tr>\n";
    for (const StageRecord& s : job_.stages) {
      h += "<tr><td><a href=\"#stage-" + Escape(s.name) + "\">" + Escape(s.name) + "</a></td><td>" +
           StatusBadge(s.status) + "</td><td>" + Escape(s.started.empty() ? "–" : s.started) +
           "</td><td class=\"num\">" + (s.started.empty() ? "–" : FormatSeconds(s.seconds)) +
           "</td><td>" + Escape(Headline(s)) + "</td></tr>\n";
    }
    return h + "</table>\n";
  }

  std::string StageDetails() {
    if (job_.stages.empty()) return "";
    std::string h = "<h2 id=\"details\">Stage details</h2>\n";
    for (const StageRecord& s : job_.stages) {
      h += "<h3 id=\"stage-" + Escape(s.name) + "\">" + Escape(s.name) + " " +
           StatusBadge(s.status) + "</h3>\n";
      if (!s.error.empty()) h += "<pre class=\"error\">" + Escape(s.error) + "</pre>\n";
      h += "<table class=\"kv\">\n";
      if (!s.started.empty()) h += "<tr><th>started</th><td>" + Escape(s.started) + "</td></tr>\n";
      if (!s.finished.empty()) {
        h += "<tr><th>finished</th><td>" + Escape(s.finished) + "</td></tr>\n";
      }
      if (!s.started.empty()) {
        h += "<tr><th>time</th><td class=\"num\">" + FormatSeconds(s.seconds) + "</td></tr>\n";
      }
      std::vector<std::pair<std::string, std::string>> rows;
      if (s.figures.is_object()) {
        Flatten(s.figures, "", rows);
      } else if (!s.figures.is_null()) {
        rows.emplace_back("figures", FormatValue(s.figures));
      }
      for (const auto& [key, value] : rows) {
        const bool numeric =
            !value.empty() &&
            (std::isdigit(static_cast<unsigned char>(value[0])) || value[0] == '-');
        h += "<tr><th>" + Escape(key) + "</th><td" + (numeric ? " class=\"num\"" : "") + ">" +
             Escape(value) + "</td></tr>\n";
      }
      h += "</table>\n";
    }
    return h;
  }

  std::string Accuracy() {
    const fs::path path = root_ / "accuracy.json";
    if (!fs::is_regular_file(path)) return "";
    std::string h = "<h2 id=\"accuracy\">Accuracy against the ground truth</h2>\n";
    try {
      const Json a = ReadJsonFile(path);
      const double diagonal =
          a.contains("diagonal") && a["diagonal"].is_number() ? a["diagonal"].get<double>() : 0.0;
      if (a.contains("cameras") && a["cameras"].is_object()) {
        const Json& c = a["cameras"];
        h += "<table class=\"kv\">\n";
        if (c.contains("registered") && c.contains("total")) {
          h += "<tr><th>cameras registered</th><td class=\"num\">" +
               Escape(FormatValue(c["registered"]) + " / " + FormatValue(c["total"])) +
               "</td></tr>\n";
        }
        const std::pair<const char*, const char*> errors[] = {{"position_error_median", "median"},
                                                              {"position_error_max", "max"}};
        for (const auto& [key, label] : errors) {
          if (!c.contains(key) || !c[key].is_number()) continue;
          std::string value = FormatNumber(c[key].get<double>()) + " m";
          if (diagonal > 0) {
            value += " (" + Format("%.3f", 100 * c[key].get<double>() / diagonal) +
                     " % of the scene diagonal)";
          }
          h += "<tr><th>camera centre error, " + std::string(label) + "</th><td class=\"num\">" +
               Escape(value) + "</td></tr>\n";
        }
        const std::array<std::array<const char*, 3>, 3> others = {
            {{"rotation_error_median_deg", "camera rotation error, median", " °"},
             {"rotation_error_max_deg", "camera rotation error, max", " °"},
             {"scale", "scale (ground truth / model)", ""}}};
        for (const auto& [key, label, unit] : others) {
          if (!c.contains(key)) continue;
          h += "<tr><th>" + std::string(label) + "</th><td class=\"num\">" +
               Escape(FormatValue(c[key]) + unit) + "</td></tr>\n";
        }
        if (diagonal > 0) {
          h += "<tr><th>scene diagonal</th><td class=\"num\">" + FormatNumber(diagonal) +
               " m</td></tr>\n";
        }
        h += "</table>\n";
      }
      const char* const columns[] = {"tau",           "precision",         "recall", "f_score",
                                     "accuracy_mean", "completeness_mean", "chamfer"};
      std::string table;
      for (const char* what : {"fused", "mesh", "surface"}) {
        if (!a.contains(what) || !a[what].is_object()) continue;
        table += std::string("<tr><th>") + what + "</th>";
        for (const char* col : columns) {
          table += "<td class=\"num\">" +
                   Escape(a[what].contains(col) ? FormatValue(a[what][col]) : "–") + "</td>";
        }
        table += "</tr>\n";
      }
      if (!table.empty()) {
        h += "<table>\n<tr><th></th>";
        for (const char* col : columns) h += std::string("<th>") + col + "</th>";
        h += "</tr>\n" + table +
             "</table>\n<p>Distances in metres; precision, recall and "
             "F-score at the distance τ (tau).</p>\n";
      }
    } catch (const std::exception& e) {
      h += Note("accuracy.json left out", e);
    }
    return h;
  }

  std::string Sparse() {
    fs::path dir = root_ / "sparse";
    std::string which = "sparse/ (oriented)";
    if (!HasSparseModel(dir)) {
      dir = root_ / "sparse" / "sfm";
      which = "sparse/sfm/ (as COLMAP made it, before orientation)";
      if (!HasSparseModel(dir)) return "";
    }
    std::string h = "<h2 id=\"sparse\">Sparse model</h2>\n";
    try {
      const SparseModel model = ReadSparseModel(dir);
      const SparseModelStats stats = ComputeStats(model);
      h += "<table class=\"kv\">\n<tr><th>model</th><td><code>" + Escape(which) +
           "</code></td></tr>\n";
      const std::pair<const char*, std::string> rows[] = {
          {"cameras", std::to_string(stats.num_cameras)},
          {"registered images", std::to_string(stats.num_images)},
          {"points", std::to_string(stats.num_points)},
          {"mean track length", FormatNumber(stats.mean_track_length)},
          {"mean reprojection error", FormatNumber(stats.mean_reprojection_error) + " px"}};
      for (const auto& [label, value] : rows) {
        h += "<tr><th>" + std::string(label) + "</th><td class=\"num\">" + Escape(value) +
             "</td></tr>\n";
      }
      std::size_t others = 0;
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(root_ / "sparse" / "other", ec)) {
        others += e.is_directory() && HasSparseModel(e.path());
      }
      if (others > 0) {
        h += "<tr><th>other models</th><td>" + std::to_string(others) +
             " smaller model(s) in <code>sparse/other/</code> (not shown)</td></tr>\n";
      }
      h += "</table>\n";
      if (!options_.render) h += NotRendered();
      if (options_.render && !(model.images.empty() && model.points.empty())) {
        try {
          const report::OrbitView views[] = {report::kTopView, report::kThreeQuarterView};
          const std::vector<Image> images = renderer_.RenderSparse(model, views);
          for (std::size_t i = 0; i < images.size(); ++i) {
            const std::string name = std::string("sparse_") + (i == 0 ? "top" : "three_quarter");
            h += "<figure>" + Png(name, images[i], std::string("sparse model, ") + views[i].name) +
                 "<figcaption>" + views[i].name +
                 " view: points in their colours, cameras as red frusta</figcaption></figure>\n";
          }
        } catch (const std::exception& e) {
          h += Note("sparse view not rendered", e);
        }
      }
    } catch (const std::exception& e) {
      h += Note("sparse model left out", e);
    }
    return h;
  }

  std::string DepthMaps() {
    const fs::path depth_dir = root_ / "dense" / "stereo" / "depth_maps";
    const fs::path normal_dir = root_ / "dense" / "stereo" / "normal_maps";
    if (!fs::is_directory(depth_dir)) return "";
    std::vector<std::string> geometric, photometric;
    for (const auto& e : fs::directory_iterator(depth_dir)) {
      const std::string name = e.path().filename().string();
      if (!e.is_regular_file() || name.find(".tmp-") != std::string::npos) continue;
      const auto ends = [&](std::string_view suffix) {
        return name.size() > suffix.size() && name.ends_with(suffix);
      };
      if (ends(".geometric.bin")) geometric.push_back(name);
      if (ends(".photometric.bin")) photometric.push_back(name);
    }
    const bool use_geometric = !geometric.empty();
    std::vector<std::string>& files = use_geometric ? geometric : photometric;
    if (files.empty()) return "";
    std::sort(files.begin(), files.end());
    const std::size_t count = std::min<std::size_t>(files.size(), options_.max_depth_maps);
    std::string h = "<h2 id=\"depth-maps\">Depth and normal maps</h2>\n<p>" +
                    std::to_string(files.size()) + " " +
                    (use_geometric ? "geometric (filtered)" : "photometric") +
                    " depth maps in <code>dense/stereo/depth_maps/</code>; " +
                    std::to_string(count) + " shown beside their normal maps. Each depth map is " +
                    "coloured over its own range – from the 2nd to the 98th percentile of its " +
                    "depths, given below it in " + Units() + " as near · middle · far – and " +
                    "linearly in 1/depth, so that the near subject gets more colours than a far " +
                    "background:</p>\n";
    h += "<p class=\"legend\">near " +
         Png("depth_legend", report::DepthLegend(256, 14), "depth colours from near to far") +
         " far &nbsp; <span style=\"background:#282828;color:#fff;padding:0 0.4em\">no "
         "depth</span></p>\n";
    for (std::size_t k = 0; k < count; ++k) {
      // Evenly spread over the sorted list, first and last included.
      const std::size_t i = count == 1 ? 0 : k * (files.size() - 1) / (count - 1);
      const std::string& file = files[i];
      const std::string image_name = file.substr(
          0,
          file.size() - std::string(use_geometric ? ".geometric.bin" : ".photometric.bin").size());
      const std::string id = std::to_string(k);
      try {
        const FloatMap depth = ReadColmapArray(depth_dir / file);
        MUTA_CHECK(depth.channels == 1 && depth.width > 0 && depth.height > 0)
            << (depth_dir / file).string() << ": not a depth map (" << depth.width << "x"
            << depth.height << "x" << depth.channels << ")";
        const auto range = report::RobustDepthRange(depth);
        const float near = range ? range->first : 0.0f, far = range ? range->second : 1.0f;
        h += "<figure class=\"pair\">" +
             Png("depth_" + id,
                 report::Thumbnail(report::ColorizeDepth(depth, near, far),
                                   options_.thumbnail_width),
                 "depth map of " + image_name);
        const fs::path normal_path = normal_dir / file;
        if (fs::is_regular_file(normal_path)) {
          try {
            h += Png("normal_" + id,
                     report::Thumbnail(report::ColorizeNormals(ReadColmapArray(normal_path)),
                                       options_.thumbnail_width),
                     "normal map of " + image_name);
          } catch (const std::exception& e) {
            h += Note("normal map of " + image_name + " left out", e);
          }
        }
        h += "<figcaption><code>" + Escape(image_name) + "</code>, " + std::to_string(depth.width) +
             "×" + std::to_string(depth.height) + ", " +
             Format("%.0f", 100 * report::ValidFraction(depth)) + " % with depth" +
             (range ? ", depth " + FormatNumber(near) + " · " +
                          FormatNumber(2.0 / (1.0 / near + 1.0 / far)) + " · " + FormatNumber(far) +
                          " " + Units()
                    : std::string(", no valid depth")) +
             "</figcaption></figure>\n";
      } catch (const std::exception& e) {
        h += Note("depth map " + file + " left out", e);
      }
    }
    h += "<p>Normal maps: red = facing right, green = facing up, blue = facing the camera.</p>\n";
    return h;
  }

  std::string MeshPreview() {
    const fs::path path = root_ / "dense" / "mesh.ply";
    if (!fs::is_regular_file(path)) return "";
    std::string h = "<h2 id=\"mesh\">Mesh</h2>\n";
    try {
      const Mesh mesh = ReadPlyMesh(path);
      const Box3f box = BoundingBox(mesh.vertices);
      const Vec3f size = box.Empty() ? Vec3f::Zero() : box.Size();
      h += "<table class=\"kv\">\n<tr><th>file</th><td><code>dense/mesh.ply</code></td></tr>\n"
           "<tr><th>vertices</th><td class=\"num\">" +
           std::to_string(mesh.NumVertices()) + "</td></tr>\n<tr><th>faces</th><td class=\"num\">" +
           std::to_string(mesh.NumFaces()) +
           "</td></tr>\n<tr><th>size (x × y × z)</th><td class=\"num\">" + FormatNumber(size.x()) +
           " × " + FormatNumber(size.y()) + " × " + FormatNumber(size.z()) + " " + Units() +
           "</td></tr>\n<tr><th>colours</th><td>" +
           (mesh.colors.empty() ? "none (shown in clay)" : "per vertex") + "</td></tr>\n</table>\n";
      if (!options_.render) h += NotRendered();
      if (options_.render && mesh.NumFaces() > 0) {
        try {
          const report::OrbitView views[] = {report::kThreeQuarterView, report::kFrontView};
          const std::vector<Image> images = renderer_.RenderMesh(mesh, views);
          for (std::size_t i = 0; i < images.size(); ++i) {
            const std::string name = std::string("mesh_") + (i == 0 ? "three_quarter" : "front");
            h += "<figure>" + Png(name, images[i], std::string("mesh, ") + views[i].name) +
                 "<figcaption>" + views[i].name + " view</figcaption></figure>\n";
          }
        } catch (const std::exception& e) {
          h += Note("mesh preview not rendered", e);
        }
      }
    } catch (const std::exception& e) {
      h += Note("mesh left out", e);
    }
    return h;
  }

  std::string LogTail() {
    const bool trouble = std::any_of(job_.stages.begin(), job_.stages.end(), [](const auto& s) {
      return s.status == StageStatus::kFailed || s.status == StageStatus::kInterrupted;
    });
    if (!trouble) return "";
    const std::string tail = TailOfFile(root_ / "log.txt", 40);
    if (tail.empty()) return "";
    return "<h2 id=\"log\">End of log.txt</h2>\n<pre class=\"log\">" + Escape(tail) + "</pre>\n";
  }

  // PNGs of an earlier report that this one no longer shows.
  void RemoveStaleImages() {
    std::set<fs::path> keep(summary_.images.begin(), summary_.images.end());
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root_ / kImageDir, ec)) {
      if (e.is_regular_file() && e.path().extension() == ".png" && !keep.count(e.path())) {
        fs::remove(e.path(), ec);
      }
    }
  }

  fs::path root_;
  const Job& job_;
  ReportOptions options_;
  report::ViewRenderer renderer_;
  ReportSummary summary_;
};

void WriteReportOrWarn(const Workspace& ws, const ReportOptions& options) {
  try {
    const ReportSummary s = WriteReport(ws.root(), ws.job(), options);
    spdlog::info("report: {} ({} images, {:.1f} s)", s.html.string(), s.images.size(), s.seconds);
  } catch (const std::exception& e) {
    spdlog::warn("could not write the report: {}; run 'muta report -w {}' to try again", e.what(),
                 ws.root().string());
  }
}

}  // namespace

void ReportOptions::Check() const {
  MUTA_CHECK(render_width >= 16 && render_width <= 8192 && render_height >= 16 &&
             render_height <= 8192)
      << "ReportOptions.render_width/render_height: " << render_width << "x" << render_height
      << " is out of range (16 to 8192 pixels)";
  MUTA_CHECK(max_depth_maps >= 0) << "ReportOptions.max_depth_maps must not be negative";
  MUTA_CHECK(thumbnail_width >= 16)
      << "ReportOptions.thumbnail_width must be at least 16 pixels, not " << thumbnail_width;
}

ReportSummary WriteReport(const fs::path& root, const Job& job, const ReportOptions& options) {
  options.Check();
  MUTA_CHECK(fs::is_directory(root)) << root.string() << ": no such workspace folder";
  return ReportWriter(root, job, options).Write();
}

std::vector<StageOutcome> RunStagesWithReport(Workspace& ws, std::span<const StageDef> stages,
                                              const RunOptions& options, Progress& progress) {
  std::vector<StageOutcome> outcomes;
  try {
    outcomes = RunStages(ws, stages, options, progress);
  } catch (const Cancelled&) {
    ReportOptions quick;
    quick.render = false;
    WriteReportOrWarn(ws, quick);
    throw;
  } catch (...) {
    WriteReportOrWarn(ws, {});
    throw;
  }
  WriteReportOrWarn(ws, {});
  return outcomes;
}

}  // namespace muta::cli
