#pragma once
// Helpers of the [xr] tests (xr/app/*_test.cpp): run `muta xr` against the simulated headset
// (xr/sim) through the real loader, read its JSON-lines log, build small synthetic sites.

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "core/file_io.h"
#include "core/image_io.h"
#include "core/json.h"
#include "core/mesh.h"
#include "core/ply_io.h"
#include "core/subprocess.h"
#include "tests/test_util.h"

namespace muta::xr::xr_test {

inline std::vector<Json> ReadLog(const std::filesystem::path& path) {
  std::vector<Json> lines;
  std::istringstream in(ReadFileText(path));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(ParseJson(line, path.string()));
  }
  return lines;
}

inline std::vector<Json> OfType(const std::vector<Json>& log, const std::string& type) {
  std::vector<Json> out;
  for (const Json& j : log) {
    if (j.value("type", "") == type) out.push_back(j);
  }
  return out;
}

inline Eigen::Vector3d Vec(const Json& j) {
  return {j.at(0).get<double>(), j.at(1).get<double>(), j.at(2).get<double>()};
}

/// Runs `muta xr` with the simulated headset: `env` holds NAME=VALUE settings; `xvfb` runs it
/// under xvfb-run (the Xlib/GLX binding), else headless EGL without a display.
inline test::CommandResult RunXr(const std::vector<std::string>& env,
                                 const std::vector<std::string>& args, bool xvfb = false) {
  std::vector<std::string> full = {"-u",
                                   "DISPLAY",
                                   "-u",
                                   "WAYLAND_DISPLAY",
                                   std::string("XR_RUNTIME_JSON=") + MUTA_XR_SIM_MANIFEST,
                                   "XR_ENABLE_API_LAYERS=",
                                   "MUTA_XR_SIM_TIMING=virtual"};
  full.insert(full.end(), env.begin(), env.end());
  if (xvfb) {
    const auto xvfb_run = FindExecutable("xvfb-run");
    REQUIRE(xvfb_run);
    full.push_back(xvfb_run->string());
    const std::vector<std::string> display = test::XvfbDisplayArgs();
    full.insert(full.end(), display.begin(), display.end());
    full.insert(full.end(), {"-s", "-screen 0 640x480x24"});
  }
  full.insert(full.end(), {MUTA_BIN, "xr"});
  full.insert(full.end(), args.begin(), args.end());
  return test::RunProgram("env", full);
}

/// `muta xr` under the Khronos core validation layer (Xlib binding under xvfb-run): exits 0,
/// the layer was loaded and reported nothing.
inline void RunXrValidated(const std::vector<std::string>& env,
                           const std::vector<std::string>& args) {
  std::vector<std::string> full = {"XR_ENABLE_API_LAYERS=XR_APILAYER_LUNARG_core_validation",
                                   "XR_LOADER_DEBUG=info"};
  full.insert(full.end(), env.begin(), env.end());
  const auto r = RunXr(full, args, /*xvfb=*/true);
  INFO(r.out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("succeeded loading layer XR_APILAYER_LUNARG_core_validation"));
  CHECK(r.out.find("VALID_ERROR") == std::string::npos);
}

/// Adds the quad a, b, c, d (counter-clockwise seen from its front) to `mesh`.
inline void AddQuad(Mesh& mesh, Vec3f a, Vec3f b, Vec3f c, Vec3f d) {
  const auto i = static_cast<std::uint32_t>(mesh.vertices.size());
  mesh.vertices.insert(mesh.vertices.end(), {a, b, c, d});
  mesh.faces.push_back(Face(i, i + 1, i + 2));
  mesh.faces.push_back(Face(i, i + 2, i + 3));
}

/// `mesh` written to DIR/NAME.ply and exported as the site bundle DIR/NAME_site.
inline std::filesystem::path ExportSite(const test::TempDir& dir, const std::string& name,
                                        const Mesh& mesh) {
  WritePly(dir / (name + ".ply"), mesh);
  const std::filesystem::path site = dir / (name + "_site");
  const auto r = test::RunMuta(
      {"export", "--mesh", (dir / (name + ".ply")).string(), "-o", site.string(), "--no-model"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return site;
}

}  // namespace muta::xr::xr_test
