// Floor levels from a height histogram of upward-facing area, and default viewpoints.

#include "reconstruct/tiles/site_levels.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numbers>

#include <Eigen/Geometry>

#include "core/error.h"

namespace muta::reconstruct {
namespace {

constexpr double kDeg = std::numbers::pi / 180;

Json Vec(const Eigen::Vector3d& v) {
  return Json::array({v.x(), v.y(), v.z()});
}

// An upward-facing triangle: centroid height, area, index.
struct FloorFace {
  double z = 0;
  double area = 0;
  std::uint32_t face = 0;
};

// The figures of the band [lo, hi) of `faces` (sorted by z).
struct Band {
  double area = 0;
  double median_z = 0;
  Box3f box;
};

Band MeasureBand(const Mesh& mesh, const std::vector<FloorFace>& faces, double lo, double hi) {
  const auto first = std::lower_bound(faces.begin(), faces.end(), lo,
                                      [](const FloorFace& f, double z) { return f.z < z; });
  const auto last = std::lower_bound(first, faces.end(), hi,
                                     [](const FloorFace& f, double z) { return f.z < z; });
  Band band;
  for (auto it = first; it != last; ++it) {
    band.area += it->area;
    for (std::uint32_t v : mesh.faces[it->face]) band.box.Extend(mesh.vertices[v]);
  }
  double half = 0.5 * band.area;  // faces are sorted by z: the median is a running sum
  for (auto it = first; it != last; ++it) {
    half -= it->area;
    if (half <= 0) {
      band.median_z = it->z;
      break;
    }
  }
  return band;
}

// Unit direction from azimuth (radians from -y towards +x, i.e. the front turning right) and
// elevation (radians above the horizontal): where the eye sits relative to what it looks at.
Eigen::Vector3d Direction(double azimuth, double elevation) {
  return {std::cos(elevation) * std::sin(azimuth), -std::cos(elevation) * std::cos(azimuth),
          std::sin(elevation)};
}

// Distance along `dir` (unit) from `p` (inside or on `box`) to where the ray leaves the box.
double ExitDistance(const Box3f& box, const Eigen::Vector3d& p, const Eigen::Vector3d& dir) {
  double t = std::numeric_limits<double>::max();
  for (int a = 0; a < 3; ++a) {
    if (std::abs(dir[a]) < 1e-12) continue;
    const double bound = dir[a] > 0 ? double(box.max[a]) : double(box.min[a]);
    t = std::min(t, std::max(0.0, (bound - p[a]) / dir[a]));
  }
  return t == std::numeric_limits<double>::max() ? 0.0 : t;
}

}  // namespace

void SiteLevelOptions::Check() const {
  MUTA_CHECK(std::isfinite(bin_m) && bin_m > 0) << "SiteLevelOptions.bin_m must be > 0";
  MUTA_CHECK(std::isfinite(band_m) && band_m > 0) << "SiteLevelOptions.band_m must be > 0";
  MUTA_CHECK(max_tilt_deg >= 0 && max_tilt_deg <= 60)
      << "SiteLevelOptions.max_tilt_deg must be in [0, 60]";
  MUTA_CHECK(std::isfinite(min_separation_m) && min_separation_m > 0)
      << "SiteLevelOptions.min_separation_m must be > 0";
  MUTA_CHECK(std::isfinite(min_area_m2) && min_area_m2 >= 0)
      << "SiteLevelOptions.min_area_m2 must be >= 0";
  MUTA_CHECK(min_area_fraction >= 0 && min_area_fraction <= 1)
      << "SiteLevelOptions.min_area_fraction must be in [0, 1]";
  MUTA_CHECK(std::isfinite(min_width_m) && min_width_m >= 0)
      << "SiteLevelOptions.min_width_m must be >= 0";
  MUTA_CHECK(min_fill >= 0 && min_fill <= 1) << "SiteLevelOptions.min_fill must be in [0, 1]";
}

Json SiteLevel::ToJson() const {
  return {{"name", name},
          {"elevation_m", elevation_m},
          {"height_m", height_m},
          {"area_m2", area_m2},
          {"bounding_box",
           {{"min", Vec(box.min.cast<double>())}, {"max", Vec(box.max.cast<double>())}}}};
}

std::vector<SiteLevel> DetectLevels(const Mesh& mesh, const SiteLevelOptions& options) {
  options.Check();
  const double min_nz = std::cos(options.max_tilt_deg * kDeg);
  std::vector<FloorFace> faces;
  for (std::size_t f = 0; f < mesh.NumFaces(); ++f) {
    const Face& face = mesh.faces[f];
    const Eigen::Vector3d a = mesh.vertices[face[0]].cast<double>();
    const Eigen::Vector3d b = mesh.vertices[face[1]].cast<double>();
    const Eigen::Vector3d c = mesh.vertices[face[2]].cast<double>();
    const Eigen::Vector3d n = (b - a).cross(c - a);
    const double len = n.norm();
    if (!(len > 0) || !std::isfinite(len) || n.z() < min_nz * len) continue;
    faces.push_back({(a.z() + b.z() + c.z()) / 3, 0.5 * len, static_cast<std::uint32_t>(f)});
  }
  if (faces.empty()) return {};
  std::sort(faces.begin(), faces.end(),
            [](const FloorFace& x, const FloorFace& y) { return x.z < y.z; });

  // Histogram, and the area within +-band_m of each bin.
  const double z0 = faces.front().z;
  const double span = faces.back().z - z0;
  const std::size_t bins = static_cast<std::size_t>(span / options.bin_m) + 1;
  MUTA_CHECK(bins <= 100'000'000) << "the model spans " << span
                                  << " m in height; levels need a coarser SiteLevelOptions.bin_m";
  std::vector<double> histogram(bins, 0.0);
  for (const FloorFace& f : faces) {
    histogram[std::min(bins - 1, static_cast<std::size_t>((f.z - z0) / options.bin_m))] += f.area;
  }
  const auto reach = static_cast<std::ptrdiff_t>(std::lround(options.band_m / options.bin_m));
  std::vector<double> window(bins, 0.0);
  {
    std::vector<double> prefix(bins + 1, 0.0);
    for (std::size_t i = 0; i < bins; ++i) prefix[i + 1] = prefix[i] + histogram[i];
    const auto n = static_cast<std::ptrdiff_t>(bins);
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      window[std::size_t(i)] = prefix[std::size_t(std::min(n, i + reach + 1))] -
                               prefix[std::size_t(std::max<std::ptrdiff_t>(0, i - reach))];
    }
  }

  // Candidates: local maxima of the windowed area that look like floors.
  std::vector<SiteLevel> candidates;
  for (std::size_t i = 0; i < bins; ++i) {
    const double w = window[i];
    if (w < options.min_area_m2 || w <= 0) continue;
    if (i > 0 && window[i - 1] > w) continue;
    if (i + 1 < bins && window[i + 1] > w) continue;
    if (i > 0 && window[i - 1] == w) continue;  // a plateau counts once, at its first bin
    const double centre = z0 + (double(i) + 0.5) * options.bin_m;
    const Band coarse = MeasureBand(mesh, faces, centre - options.band_m - 0.5 * options.bin_m,
                                    centre + options.band_m + 0.5 * options.bin_m);
    // Re-centred on the band's median, which the window's edges no longer pull.
    const Band band = MeasureBand(mesh, faces, coarse.median_z - options.band_m,
                                  coarse.median_z + options.band_m);
    if (band.area < options.min_area_m2 || band.box.Empty()) continue;
    const double dx = double(band.box.Size().x()), dy = double(band.box.Size().y());
    if (std::min(dx, dy) < options.min_width_m) continue;
    if (band.area < options.min_fill * dx * dy) continue;
    SiteLevel level;
    level.elevation_m = band.median_z;
    level.area_m2 = band.area;
    level.box = band.box;
    candidates.push_back(std::move(level));
  }
  if (candidates.empty()) return {};

  // The larger of two close floors wins.
  std::sort(candidates.begin(), candidates.end(),
            [](const SiteLevel& a, const SiteLevel& b) { return a.area_m2 > b.area_m2; });
  const double largest = candidates.front().area_m2;
  std::vector<SiteLevel> levels;
  for (SiteLevel& c : candidates) {
    if (c.area_m2 < options.min_area_fraction * largest) continue;
    const bool clear = std::all_of(levels.begin(), levels.end(), [&](const SiteLevel& l) {
      return std::abs(l.elevation_m - c.elevation_m) >= options.min_separation_m;
    });
    if (clear) levels.push_back(std::move(c));
  }
  std::sort(levels.begin(), levels.end(),
            [](const SiteLevel& a, const SiteLevel& b) { return a.elevation_m < b.elevation_m; });
  const double top = double(BoundingBox(mesh.vertices).max.z());
  for (std::size_t k = 0; k < levels.size(); ++k) {
    levels[k].name = "Level " + std::to_string(k + 1);
    const double next = k + 1 < levels.size() ? levels[k + 1].elevation_m : top;
    levels[k].height_m = std::max(0.0, next - levels[k].elevation_m);
  }
  return levels;
}

void SiteViewpointOptions::Check() const {
  MUTA_CHECK(fov_deg > 5 && fov_deg < 120) << "SiteViewpointOptions.fov_deg must be in (5, 120)";
  MUTA_CHECK(side_elevation_deg >= 0 && side_elevation_deg <= 60)
      << "SiteViewpointOptions.side_elevation_deg must be in [0, 60]";
  MUTA_CHECK(close_up_elevation_deg >= 0 && close_up_elevation_deg <= 80)
      << "SiteViewpointOptions.close_up_elevation_deg must be in [0, 80]";
  MUTA_CHECK(detail_grid >= 2 && detail_grid <= 256)
      << "SiteViewpointOptions.detail_grid must be in [2, 256]";
}

Json SiteViewpoint::ToJson() const {
  return {{"name", name},  {"description", description}, {"eye", Vec(eye)}, {"target", Vec(target)},
          {"up", Vec(up)}, {"fov_deg", fov_deg}};
}

std::vector<SiteViewpoint> DefaultViewpoints(const Mesh& mesh,
                                             const SiteViewpointOptions& options) {
  options.Check();
  MUTA_CHECK(mesh.NumFaces() > 0) << "default viewpoints need a mesh with faces";
  const Box3f box = BoundingBox(mesh.vertices);
  const Eigen::Vector3d centre = box.Center().cast<double>();
  const double radius = std::max(0.5 * double(box.Size().norm()), 1e-3);
  const double half_fov = 0.5 * options.fov_deg * kDeg;
  // Frames the bounding sphere whatever the aspect ratio (>= 1) of the image.
  const double distance = 1.05 * radius / std::sin(half_fov);

  std::vector<SiteViewpoint> views;
  auto add = [&](std::string name, std::string description, const Eigen::Vector3d& eye,
                 const Eigen::Vector3d& target, const Eigen::Vector3d& up) {
    SiteViewpoint v;
    v.name = std::move(name);
    v.description = std::move(description);
    v.eye = eye;
    v.target = target;
    v.up = up;
    v.fov_deg = options.fov_deg;
    views.push_back(std::move(v));
  };
  const double e = options.side_elevation_deg * kDeg;
  const struct {
    const char* name;
    const char* description;
    double azimuth_deg;
  } sides[] = {{"front", "The whole site from the front (-y)", 0},
               {"right", "The whole site from the right (+x)", 90},
               {"back", "The whole site from the back (+y)", 180},
               {"left", "The whole site from the left (-x)", 270}};
  for (const auto& s : sides) {
    add(s.name, s.description, centre + distance * Direction(s.azimuth_deg * kDeg, e), centre,
        Eigen::Vector3d::UnitZ());
  }
  add("above", "The whole site from above, the back (+y) at the top",
      centre + distance * Eigen::Vector3d::UnitZ(), centre, Eigen::Vector3d::UnitY());

  // Close-up: the grid cell with the most triangles (by centroid); the mean of their centroids
  // is the target.
  const int g = options.detail_grid;
  const double cell = std::max(double(box.Size().maxCoeff()) / g, 1e-6);
  Eigen::Vector3i dims;
  for (int a = 0; a < 3; ++a) {
    dims[a] = std::clamp(static_cast<int>(std::ceil(double(box.Size()[a]) / cell)), 1, g);
  }
  const auto cell_of = [&](const Eigen::Vector3d& p) {
    std::size_t index = 0;
    for (int a = 2; a >= 0; --a) {
      const int k =
          std::clamp(static_cast<int>((p[a] - double(box.min[a])) / cell), 0, dims[a] - 1);
      index = index * std::size_t(dims[a]) + std::size_t(k);
    }
    return index;
  };
  const std::size_t cells = std::size_t(dims.x()) * std::size_t(dims.y()) * std::size_t(dims.z());
  std::vector<std::size_t> count(cells, 0);
  std::vector<Eigen::Vector3d> weighted(cells, Eigen::Vector3d::Zero());
  for (const Face& f : mesh.faces) {
    const Eigen::Vector3d a = mesh.vertices[f[0]].cast<double>();
    const Eigen::Vector3d b = mesh.vertices[f[1]].cast<double>();
    const Eigen::Vector3d c = mesh.vertices[f[2]].cast<double>();
    const Eigen::Vector3d m = (a + b + c) / 3;
    if (!m.allFinite()) continue;
    const std::size_t k = cell_of(m);
    ++count[k];
    weighted[k] += m;
  }
  const std::size_t best =
      std::size_t(std::max_element(count.begin(), count.end()) - count.begin());
  const Eigen::Vector3d target = weighted[best] / double(count[best]);
  // Look from outside the model, towards the target, horizontally away from the vertical axis
  // through the centre (from the front when the target is on that axis).
  Eigen::Vector2d out = (target - centre).head<2>();
  const double azimuth = out.norm() > 0.05 * radius ? std::atan2(out.x(), -out.y()) : 0.0;
  const Eigen::Vector3d dir = Direction(azimuth, options.close_up_elevation_deg * kDeg);
  const double frame = 1.2 * cell * std::sqrt(3.0) / 2 / std::sin(half_fov);
  const double close = std::max(frame, ExitDistance(box, target, dir) + 0.1 * cell);
  char description[160];
  std::snprintf(description, sizeof description,
                "The most detailed part of the site (%zu triangles in a %.2f m cell), from outside",
                count[best], cell);
  add("close-up", description, target + close * dir, target, Eigen::Vector3d::UnitZ());
  return views;
}

}  // namespace muta::reconstruct
