#include "tools/muta/demo_stills.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include <spdlog/spdlog.h>
#include <Eigen/Geometry>

#include "core/error.h"
#include "core/image_io.h"
#include "core/progress.h"
#include "core/site_io.h"
#include "render/gl_context.h"
#include "render/renderer.h"
#include "render/site_stream.h"
#include "render/viewer/site_meta.h"

namespace muta::cli {
namespace {

namespace fs = std::filesystem;
using Eigen::Vector3d;

constexpr double kDeg = std::numbers::pi / 180;

struct StillView {
  std::string name, description;
  Vector3d eye, target, up;
  double fov_deg = 40;  // vertical
  bool highlight = false;
  bool hide_inferred = false;
};

Vector3d Vec3(const Json& v, const std::string& what) {
  MUTA_CHECK(v.is_array() && v.size() == 3 && v[0].is_number() && v[1].is_number() &&
             v[2].is_number())
      << what << " must be [x, y, z]";
  return {v[0].get<double>(), v[1].get<double>(), v[2].get<double>()};
}

// Distance along unit `dir` from `from` (inside or outside `box`) to where the ray leaves it;
// 0 when it does not pass through the box.
double ExitDistance(const Box3f& box, const Vector3d& from, const Vector3d& dir) {
  double t_exit = std::numeric_limits<double>::max();
  for (int a = 0; a < 3; ++a) {
    if (std::abs(dir[a]) < 1e-12) continue;
    const double t = ((dir[a] > 0 ? box.max[a] : box.min[a]) - from[a]) / dir[a];
    t_exit = std::min(t_exit, t);
  }
  return t_exit == std::numeric_limits<double>::max() ? 0.0 : std::max(0.0, t_exit);
}

// The largest missing region of damage.json seen from outside, straight out from the symmetry
// axis and a little above, framed with room around it.
std::optional<StillView> RegionCloseUp(const Json& damage, const Box3f& site_box) {
  if (!damage.contains("regions") || !damage["regions"].is_array()) return std::nullopt;
  const Json* best = nullptr;
  for (const Json& r : damage["regions"]) {
    if (!r.contains("bounding_box") || !r["bounding_box"].is_object()) continue;
    if (best == nullptr || r.value("area_m2", 0.0) > best->value("area_m2", 0.0)) best = &r;
  }
  if (best == nullptr) return std::nullopt;
  const Vector3d lo = Vec3((*best)["bounding_box"]["min"], "damage.json region bounding_box.min");
  const Vector3d hi = Vec3((*best)["bounding_box"]["max"], "damage.json region bounding_box.max");
  Vector3d axis_point = site_box.Center().cast<double>(), axis_dir = Vector3d::UnitZ();
  if (damage.contains("symmetry") && damage["symmetry"].value("found", false)) {
    axis_point = Vec3(damage["symmetry"]["axis"]["point"], "damage.json symmetry.axis.point");
    axis_dir = Vec3(damage["symmetry"]["axis"]["direction"], "damage.json symmetry.axis.direction")
                   .normalized();
  }
  StillView v;
  v.target = 0.5 * (lo + hi);
  Vector3d outward = v.target - axis_point;
  outward -= outward.dot(axis_dir) * axis_dir;
  if (outward.norm() < 1e-9) outward = -Vector3d::UnitY();
  outward.normalize();
  const Vector3d dir =
      (std::cos(20 * kDeg) * outward + std::sin(20 * kDeg) * axis_dir).normalized();
  const double site_size = double(site_box.Size().norm());
  const double radius = std::max(0.5 * (hi - lo).norm(), 0.03 * site_size);
  const double fit = 1.4 * radius / std::tan(0.5 * v.fov_deg * kDeg);
  const double outside = ExitDistance(site_box, v.target, dir) + 0.02 * site_size;
  v.eye = v.target + std::max(fit, outside) * dir;
  v.up = Vector3d::UnitZ();
  v.name = "closeup";
  char text[160];
  std::snprintf(text, sizeof text, "the largest restored region (%.2f m2 missing) up close",
                best->value("area_m2", 0.0));
  v.description = text;
  v.highlight = true;
  return v;
}

}  // namespace

void DemoStillsOptions::Check() const {
  MUTA_CHECK(width >= 16 && height >= 16 && width <= 8192 && height <= 8192)
      << "DemoStillsOptions: image size " << width << "x" << height << " must be 16..8192 px";
  MUTA_CHECK(max_sse_px > 0) << "DemoStillsOptions.max_sse_px must be positive";
  MUTA_CHECK(samples >= 1 && samples <= 16) << "DemoStillsOptions.samples must be 1..16";
}

std::vector<DemoStill> RenderSiteStills(const fs::path& site_dir, const std::optional<Json>& damage,
                                        const fs::path& out_dir, const DemoStillsOptions& options,
                                        Progress& progress) {
  options.Check();
  const fs::path site_file = site_dir / "site.json";
  MUTA_CHECK(fs::is_regular_file(site_file))
      << site_file.string() << " is missing; export the site first (`muta export -w WORKSPACE`)";
  const Json site = ReadSiteJson(site_file);
  const std::vector<render::viewer::Viewpoint> viewpoints =
      render::viewer::ParseViewpoints(site, site_file.string());
  MUTA_CHECK(!viewpoints.empty()) << site_file.string() << " has no viewpoints; export it again";
  const bool inferred =
      site.contains("provenance") && site["provenance"].value("inferred_triangles", 0) > 0;

  const auto context = render::CreateHeadlessContext();
  render::Renderer renderer;
  render::StreamOptions stream_options;
  stream_options.max_sse_px = options.max_sse_px;
  render::SiteStream stream(site_dir / "tileset.json", renderer, stream_options);
  const Box3f box = stream.Bounds();

  const auto saved = [&](const render::viewer::Viewpoint& p) {
    StillView v;
    v.name = p.name;
    v.description = p.description;
    v.eye = p.eye;
    v.target = p.target;
    v.up = p.up;
    v.fov_deg = p.fov_deg;
    return v;
  };
  const auto find = [&](const std::string& name) -> const render::viewer::Viewpoint* {
    for (const auto& p : viewpoints) {
      if (p.name == name) return &p;
    }
    return nullptr;
  };

  std::vector<StillView> views;
  const auto add_pair = [&](StillView v, const std::string& name) {
    v.name = name;
    v.highlight = inferred;
    views.push_back(v);
    if (inferred) {
      v.name = name + "_observed";
      v.description += " – inferred layer hidden (the evidence alone)";
      v.highlight = false;
      v.hide_inferred = true;
      views.push_back(v);
    }
  };
  const auto* overview = find("three-quarter");
  StillView first = saved(overview ? *overview : viewpoints.front());
  first.description = "overview" + std::string(inferred ? ", inferred parts highlighted" : "");
  add_pair(first, "overview");
  std::optional<StillView> close = damage && inferred ? RegionCloseUp(*damage, box) : std::nullopt;
  if (!close && find("close-up")) close = saved(*find("close-up"));
  if (close) add_pair(*close, "closeup");
  for (const auto& p : viewpoints) {
    StillView v = saved(p);
    v.name = "view_" + p.name;
    views.push_back(v);
  }

  fs::create_directories(out_dir);
  const double radius = std::max(0.5 * double(box.Size().norm()), 1e-3);
  progress.Begin("stills", views.size(), "images");
  std::vector<DemoStill> stills;
  for (const StillView& v : views) {
    CheckInterrupted();
    const double focal = 0.5 * options.height / std::tan(0.5 * v.fov_deg * kDeg);
    const Camera camera = Camera::Pinhole(options.width, options.height, focal, focal,
                                          0.5 * options.width, 0.5 * options.height);
    const Rigid3d pose = render::LookAt(v.eye, v.target, v.up);
    const render::StreamStats stats = stream.UpdateUntilComplete(camera, pose);
    render::RenderOptions render_options;
    render_options.samples = options.samples;
    render_options.far_m = std::max(render_options.far_m, (v.eye - v.target).norm() + 4 * radius);
    render_options.near_m = std::clamp(1e-3 * (v.eye - v.target).norm(), 1e-3, 0.05);
    render_options.layers.highlight_inferred = v.highlight;
    render_options.layers.show_inferred = !v.hide_inferred;
    const render::RenderResult result = renderer.Render(camera, pose, render_options);
    DemoStill still;
    still.name = v.name;
    still.description = v.description;
    still.path = out_dir / (v.name + ".png");
    still.tiles = stats.tiles_selected;
    still.triangles = stats.triangles_drawn;
    WriteImage(still.path, result.color);
    spdlog::info("stills: {} ({} tiles, {} triangles)", still.path.string(), still.tiles,
                 still.triangles);
    stills.push_back(std::move(still));
    progress.Advance();
  }
  progress.End();
  return stills;
}

}  // namespace muta::cli
