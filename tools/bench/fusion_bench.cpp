// Fusion and Poisson meshing at the benchmark sizes (figures go to BENCHMARKS.md):
//   1. fusion of N depth maps of about 1 MP (default 50 of 1152x864) – time, cache peak, RSS;
//   2. Poisson of 1 M points (a subsample of that fused cloud) at depth 9 – time, RSS.
// The input is an analytic scene (a box "building" with a dome on a ground disc, seen by a ring
// of cameras) with exact depth and normal maps and textured JPEG photographs in COLMAP's dense
// layout, generated once into WORK/dense. Each step runs in a child process so that its peak
// RSS is its own.
//
// Run: build/bin/fusion_bench --work /tmp/fusion-bench [--images 50] [--size 1152x864]
//        [--cache-mb 1024] [--points 1000000] [--depth 9] [--threads N] [--skip-fusion]
//        [--skip-poisson]
// Prints one JSON object per step on stdout.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <numbers>
#include <optional>
#include <random>
#include <string>

#include "core/colmap_model.h"
#include "core/depth_map_io.h"
#include "core/error.h"
#include "core/image_io.h"
#include "core/json.h"
#include "core/log.h"
#include "core/ply_io.h"
#include "core/pose.h"
#include "core/progress.h"
#include "reconstruct/fusion.h"
#include "reconstruct/mesh_poisson.h"

namespace fs = std::filesystem;

namespace {

struct Args {
  fs::path work;
  int images = 50;
  int width = 1152, height = 864;
  std::uint64_t cache_mb = 1024;
  std::size_t points = 1'000'000;
  int depth = 9;
  std::optional<int> threads;
  bool skip_fusion = false;
  bool skip_poisson = false;
};

// Nearest hit of the ray c + s d (s > 0) with the scene; s and the world normal (facing the
// ray's origin).
bool Hit(const Eigen::Vector3d& c, const Eigen::Vector3d& d, double* s_out, Eigen::Vector3d* n) {
  double best = std::numeric_limits<double>::infinity();
  // Ground disc z = 0, radius 20.
  if (d.z() < 0) {
    const double s = -c.z() / d.z();
    const Eigen::Vector3d p = c + s * d;
    if (s > 0 && p.head<2>().norm() < 20) best = s, *n = Eigen::Vector3d::UnitZ();
  }
  // Box [-4, 4]^2 x [0, 8] (slabs).
  double t0 = 0, t1 = best;
  int axis = -1;
  double sign = 0;
  const Eigen::Vector3d lo(-4, -4, 0), hi(4, 4, 8);
  bool inside = true;
  for (int k = 0; k < 3 && inside; ++k) {
    double a = (lo[k] - c[k]) / d[k], b = (hi[k] - c[k]) / d[k];
    double sg = -1;
    if (a > b) std::swap(a, b), sg = 1;
    if (a > t0) t0 = a, axis = k, sign = sg;
    t1 = std::min(t1, b);
    inside = t0 <= t1;
  }
  if (inside && axis >= 0 && t0 < best) {
    best = t0;
    *n = Eigen::Vector3d::Zero();
    (*n)[axis] = sign;
  }
  // Dome: sphere at (0, 0, 8), radius 3.5, upper half.
  const Eigen::Vector3d oc = c - Eigen::Vector3d(0, 0, 8);
  const double b = oc.dot(d), cc = oc.squaredNorm() - 3.5 * 3.5, disc = b * b - cc;
  if (disc >= 0) {
    for (const double s : {-b - std::sqrt(disc), -b + std::sqrt(disc)}) {
      const Eigen::Vector3d p = c + s * d;
      if (s > 0 && s < best && p.z() >= 8) {
        best = s;
        *n = (oc + s * d).normalized();
        break;
      }
    }
  }
  if (!std::isfinite(best)) return false;
  *s_out = best;
  return true;
}

// A texture in world space (all views agree): 0.5 m checks modulated by a fine pattern.
std::array<std::uint8_t, 3> Texture(const Eigen::Vector3d& p) {
  const int check =
      (int(std::floor(2 * p.x())) + int(std::floor(2 * p.y())) + int(std::floor(2 * p.z()))) & 1;
  const double fine = 0.5 + 0.5 * std::sin(17 * p.x() + 11 * p.y() + 13 * p.z());
  const auto v = [&](double base) { return static_cast<std::uint8_t>(base + 60 * fine); };
  return check ? std::array<std::uint8_t, 3>{v(150), v(110), v(70)}
               : std::array<std::uint8_t, 3>{v(60), v(80), v(120)};
}

void Generate(const Args& a, const fs::path& dense) {
  muta::SparseModel model;
  muta::Camera camera = muta::Camera::Pinhole(a.width, a.height, 0.9 * a.width, 0.9 * a.width,
                                              a.width / 2.0, a.height / 2.0);
  camera.id = 1;
  model.cameras[1] = camera;
  for (int i = 0; i < a.images; ++i) {
    const double angle = 2 * std::numbers::pi * i / a.images;
    const Eigen::Vector3d eye(24 * std::cos(angle), 24 * std::sin(angle), i % 2 ? 5 : 11);
    muta::SparseImage image;
    image.id = static_cast<std::uint32_t>(i + 1);
    char name[32];
    std::snprintf(name, sizeof(name), "view_%03d.jpg", i);
    image.name = name;
    image.camera_id = 1;
    image.cam_from_world = muta::LookAt(eye, Eigen::Vector3d(0, 0, 5));
    model.images[image.id] = image;
  }
  muta::WriteSparseModel(dense / "sparse", model);
  for (const auto& [id, image] : model.images) {
    const Eigen::Matrix3d r = image.cam_from_world.rotation.toRotationMatrix();
    const Eigen::Vector3d c = muta::CameraCenter(image.cam_from_world);
    muta::FloatMap depth(a.width, a.height, 1), normals(a.width, a.height, 3);
    muta::Image photo(a.width, a.height, 3, 200);
    for (int y = 0; y < a.height; ++y) {
      for (int x = 0; x < a.width; ++x) {
        const Eigen::Vector3d ray = camera.Unproject(Eigen::Vector2d(x + 0.5, y + 0.5));
        double s = 0;
        Eigen::Vector3d n;
        if (!Hit(c, r.transpose() * ray, &s, &n)) continue;
        const Eigen::Vector3d p = c + s * (r.transpose() * ray);
        depth.at(x, y) = static_cast<float>(s);  // ray.z = 1: s is the camera-frame depth
        Eigen::Vector3d nc = r * n;
        if (nc.dot(ray) > 0) nc = -nc;
        for (int k = 0; k < 3; ++k) normals.at(x, y, k) = static_cast<float>(nc[k]);
        const auto t = Texture(p);
        for (int k = 0; k < 3; ++k) photo.at(x, y, k) = t[k];
      }
    }
    const std::string bin = image.name + ".geometric.bin";
    muta::WriteColmapArray(dense / "stereo" / "depth_maps" / bin, depth);
    muta::WriteColmapArray(dense / "stereo" / "normal_maps" / bin, normals);
    muta::WriteImage(dense / "images" / image.name, photo);
  }
}

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

// Runs `step` in a child process; returns its exit code.
template <typename F>
int InChild(F step) {
  std::cout.flush();
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 0;
    try {
      step();
    } catch (const std::exception& e) {
      std::cerr << "fusion_bench: " << e.what() << "\n";
      code = 1;
    }
    std::cout.flush();
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> std::string {
      MUTA_CHECK(i + 1 < argc) << k << " needs a value";
      return argv[++i];
    };
    if (k == "--work")
      a.work = next();
    else if (k == "--images")
      a.images = std::stoi(next());
    else if (k == "--size") {
      const std::string v = next();
      const auto x = v.find('x');
      MUTA_CHECK(x != std::string::npos) << "--size WIDTHxHEIGHT";
      a.width = std::stoi(v.substr(0, x));
      a.height = std::stoi(v.substr(x + 1));
    } else if (k == "--cache-mb")
      a.cache_mb = std::stoull(next());
    else if (k == "--points")
      a.points = std::stoull(next());
    else if (k == "--depth")
      a.depth = std::stoi(next());
    else if (k == "--threads")
      a.threads = std::stoi(next());
    else if (k == "--skip-fusion")
      a.skip_fusion = true;
    else if (k == "--skip-poisson")
      a.skip_poisson = true;
    else
      MUTA_FAIL << "unknown argument " << k << " (see the comment at the top of fusion_bench.cpp)";
  }
  MUTA_CHECK(!a.work.empty()) << "--work DIR is required";
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  muta::InitLogging("warn");
  try {
    const Args a = ParseArgs(argc, argv);
    const fs::path dense = a.work / "dense";
    const std::string tag =
        std::to_string(a.images) + "x" + std::to_string(a.width) + "x" + std::to_string(a.height);
    if (!fs::exists(a.work / ("input-" + tag))) {
      std::cerr << "generating " << tag << " into " << dense << " ...\n";
      fs::remove_all(dense);
      const auto start = std::chrono::steady_clock::now();
      if (InChild([&] { Generate(a, dense); }) != 0) return 1;
      std::ofstream(a.work / ("input-" + tag)) << "ok\n";
      std::cerr << "generated in "
                << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
                << " s\n";
    }
    if (!a.skip_fusion) {
      const int code = InChild([&] {
        muta::reconstruct::FusionOptions options;
        options.cache_bytes = a.cache_mb << 20;
        muta::Progress progress(muta::ProgressStyle::kQuiet);
        muta::Json figures = muta::reconstruct::FuseDepthMaps(dense, options, progress);
        figures["step"] = "fusion";
        figures["input"] = tag;
        figures["peak_rss_mb"] = PeakRssMb();
        std::cout << figures.dump() << std::endl;
      });
      if (code != 0) return code;
    }
    if (a.skip_poisson) return 0;
    return InChild([&] {
      // A random subsample of the fused cloud with exactly `points` points.
      muta::PointCloud cloud = muta::ReadPlyPointCloud(dense / "fused.ply");
      MUTA_CHECK(cloud.size() >= a.points)
          << "the fused cloud has " << cloud.size() << " points, fewer than --points";
      std::mt19937_64 rng(1);
      for (std::size_t i = 0; i < a.points; ++i) {
        const std::size_t j = i + rng() % (cloud.size() - i);
        std::swap(cloud.points[i], cloud.points[j]);
        std::swap(cloud.normals[i], cloud.normals[j]);
        std::swap(cloud.colors[i], cloud.colors[j]);
      }
      cloud.points.resize(a.points);
      cloud.normals.resize(a.points);
      cloud.colors.resize(a.points);
      const fs::path input = a.work / "poisson_input.ply";
      muta::WritePly(input, cloud);
      cloud = {};
      muta::reconstruct::MeshingOptions options = muta::reconstruct::MeshingPreset("standard");
      options.depth = a.depth;
      options.threads = a.threads;
      muta::Progress progress(muta::ProgressStyle::kQuiet);
      muta::Json figures =
          muta::reconstruct::MeshFromPoints(input, a.work / "mesh.ply", options, progress);
      figures["step"] = "poisson";
      figures["threads"] = a.threads ? *a.threads : -1;
      figures["peak_rss_mb"] = PeakRssMb();
      std::cout << figures.dump() << std::endl;
    });
  } catch (const std::exception& e) {
    std::cerr << "fusion_bench: " << e.what() << "\n";
    return 1;
  }
}
