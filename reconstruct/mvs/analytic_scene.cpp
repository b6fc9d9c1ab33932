#include "reconstruct/mvs/analytic_scene.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <tbb/parallel_for.h>

#include "core/error.h"
#include "core/image_io.h"
#include "core/pose.h"

namespace muta::reconstruct {

namespace {

std::uint64_t Hash(std::int64_t x, std::int64_t y, std::int64_t z) {
  std::uint64_t h = std::uint64_t(x) * 0x9e3779b97f4a7c15ULL ^
                    std::uint64_t(y) * 0xc2b2ae3d27d4eb4fULL ^
                    std::uint64_t(z) * 0x165667b19e3779f9ULL;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  return h;
}

double Lattice(std::int64_t x, std::int64_t y, std::int64_t z) {
  return double(Hash(x, y, z) >> 11) / double(1ULL << 53);
}

double Smooth(double t) {
  return t * t * (3 - 2 * t);
}

// 3D value noise in [0, 1].
double ValueNoise(const Eigen::Vector3d& p) {
  const Eigen::Vector3d f = p.array().floor();
  const std::int64_t x = std::int64_t(f.x()), y = std::int64_t(f.y()), z = std::int64_t(f.z());
  const double tx = Smooth(p.x() - f.x()), ty = Smooth(p.y() - f.y()), tz = Smooth(p.z() - f.z());
  double c[2][2];
  for (int j = 0; j < 2; ++j) {
    for (int k = 0; k < 2; ++k) {
      const double a = Lattice(x, y + j, z + k), b = Lattice(x + 1, y + j, z + k);
      c[j][k] = a + tx * (b - a);
    }
  }
  const double e0 = c[0][0] + ty * (c[1][0] - c[0][0]);
  const double e1 = c[0][1] + ty * (c[1][1] - c[0][1]);
  return e0 + tz * (e1 - e0);
}

double Texture(const Eigen::Vector3d& p, double frequency) {
  double sum = 0, amp = 0.5, f = frequency;
  for (int octave = 0; octave < 4; ++octave) {
    sum += amp * ValueNoise(p * f + Eigen::Vector3d::Constant(17.0 * octave));
    amp *= 0.5;
    f *= 2.0;
  }
  return sum / 0.9375;
}

struct Hit {
  double t = std::numeric_limits<double>::infinity();
  int quad = -1;
  Eigen::Vector3d point;
};

Hit Intersect(const AnalyticScene& scene, const Eigen::Vector3d& origin,
              const Eigen::Vector3d& dir) {
  Hit best;
  for (std::size_t i = 0; i < scene.quads.size(); ++i) {
    const AnalyticQuad& q = scene.quads[i];
    const Eigen::Vector3d n = q.axis_u.cross(q.axis_v);
    const double denom = n.dot(dir);
    if (std::abs(denom) < 1e-12) continue;
    const double t = n.dot(q.corner - origin) / denom;
    if (t <= 1e-9 || t >= best.t) continue;
    const Eigen::Vector3d p = origin + t * dir - q.corner;
    const double s = p.dot(q.axis_u) / q.axis_u.squaredNorm();
    const double r = p.dot(q.axis_v) / q.axis_v.squaredNorm();
    if (s < 0 || s > 1 || r < 0 || r > 1) continue;
    best.t = t;
    best.quad = int(i);
    best.point = origin + t * dir;
  }
  return best;
}

void AddBox(AnalyticScene& s, const Eigen::Vector3d& lo, const Eigen::Vector3d& hi) {
  const Eigen::Vector3d d = hi - lo;
  const Eigen::Vector3d X(d.x(), 0, 0), Y(0, d.y(), 0), Z(0, 0, d.z());
  s.quads.push_back({Eigen::Vector3d(lo.x(), hi.y(), lo.z()), X, Z});  // front (+y)
  s.quads.push_back({lo, Y, Z});                                       // left (-x)
  s.quads.push_back({Eigen::Vector3d(hi.x(), lo.y(), lo.z()), Y, Z});  // right (+x)
  s.quads.push_back({Eigen::Vector3d(lo.x(), lo.y(), hi.z()), X, Y});  // top (+z)
  s.quads.push_back({lo, X, Y});                                       // bottom (-z)
}

}  // namespace

AnalyticScene MakeFacadeScene(int num_images, int width, int height, double arc_deg) {
  AnalyticScene s;
  // The wall, 6 m x 4 m, at y = 0, and things in front of it.
  s.quads.push_back(
      {Eigen::Vector3d(-3, 0, 0), Eigen::Vector3d(6, 0, 0), Eigen::Vector3d(0, 0, 4)});
  AddBox(s, Eigen::Vector3d(-2.2, 0, 0.6), Eigen::Vector3d(-0.8, 0.8, 2.2));
  // A panel leaning out of the wall (slanted plane).
  s.quads.push_back(
      {Eigen::Vector3d(0.4, 0.0, 0.5), Eigen::Vector3d(1.8, 0, 0), Eigen::Vector3d(0, 0.9, 2.5)});
  // A column.
  AddBox(s, Eigen::Vector3d(2.0, 0.6, 0.0), Eigen::Vector3d(2.5, 1.1, 3.6));

  const Camera camera =
      Camera::Pinhole(width, height, 0.9 * width, 0.9 * width, 0.5 * width, 0.5 * height);
  s.model.cameras[1] = Camera(camera);
  s.model.cameras[1].id = 1;
  const Eigen::Vector3d target(0, 0, 1.9);
  const double pi = 3.14159265358979323846;
  for (int i = 0; i < num_images; ++i) {
    const double a = num_images == 1 ? 0.0 : (double(i) / (num_images - 1) - 0.5) * arc_deg;
    const double az = pi / 2 + a * pi / 180;
    const Eigen::Vector3d eye(7.0 * std::cos(az), 7.0 * std::sin(az), 1.7 + 0.3 * std::sin(i));
    SparseImage image;
    image.id = std::uint32_t(i + 1);
    char name[32];
    std::snprintf(name, sizeof name, "view_%03d.png", i + 1);
    image.name = name;
    image.camera_id = 1;
    image.cam_from_world = LookAt(eye, target, Eigen::Vector3d::UnitZ());
    s.model.images[image.id] = image;
  }
  return s;
}

MvsView RenderAnalyticView(const AnalyticScene& scene, std::uint32_t image_id, FloatMap* depth,
                           FloatMap* normal) {
  const SparseImage& image = scene.model.images.at(image_id);
  const Camera& camera = scene.model.cameras.at(image.camera_id);
  MvsView view;
  view.name = image.name;
  view.width = camera.width;
  view.height = camera.height;
  view.K = camera.K();
  view.cam_from_world = image.cam_from_world;
  view.gray.assign(std::size_t(view.width) * view.height, 0.5f);
  if (depth) *depth = FloatMap(view.width, view.height, 1);
  if (normal) *normal = FloatMap(view.width, view.height, 3);
  const Eigen::Vector3d origin = CameraCenter(image.cam_from_world);
  const Eigen::Matrix3d R = image.cam_from_world.rotation.toRotationMatrix();
  const Eigen::Vector3d light = Eigen::Vector3d(0.3, 0.8, 0.5).normalized();
  tbb::parallel_for(0, view.height, [&](int y) {
    for (int x = 0; x < view.width; ++x) {
      double sum = 0;
      for (int sy = 0; sy < 2; ++sy) {
        for (int sx = 0; sx < 2; ++sx) {
          const Eigen::Vector2d px(x + 0.25 + 0.5 * sx, y + 0.25 + 0.5 * sy);
          const Eigen::Vector3d dir = R.transpose() * camera.Unproject(px);
          const Hit hit = Intersect(scene, origin, dir);
          if (hit.quad < 0) {
            sum += 0.5;
            continue;
          }
          const AnalyticQuad& q = scene.quads[hit.quad];
          Eigen::Vector3d n = q.axis_u.cross(q.axis_v).normalized();
          if (n.dot(dir) > 0) n = -n;
          const double shade = 0.75 + 0.25 * std::max(0.0, n.dot(light));
          sum += shade * (0.1 + 0.8 * Texture(hit.point, scene.texture_frequency));
        }
      }
      view.gray[std::size_t(y) * view.width + x] = float(sum / 4);
      if (depth || normal) {
        const Eigen::Vector2d px(x + 0.5, y + 0.5);
        const Eigen::Vector3d dir = R.transpose() * camera.Unproject(px);
        const Hit hit = Intersect(scene, origin, dir);
        if (hit.quad >= 0) {
          const AnalyticQuad& q = scene.quads[hit.quad];
          Eigen::Vector3d n = q.axis_u.cross(q.axis_v).normalized();
          if (n.dot(dir) > 0) n = -n;
          const Eigen::Vector3d nc = R * n;
          if (depth) depth->at(x, y) = float((image.cam_from_world * hit.point).z());
          if (normal) {
            for (int c = 0; c < 3; ++c) normal->at(x, y, c) = float(nc(c));
          }
        }
      }
    }
  });
  return view;
}

void AddSparsePoints(AnalyticScene& scene, int num_points, std::uint64_t seed) {
  SparseModel& model = scene.model;
  const Camera& camera = model.cameras.at(1);
  std::uint64_t state = seed;
  const auto uniform = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return double(state >> 11) / double(1ULL << 53);
  };
  std::uint64_t next_id = model.points.empty() ? 1 : model.points.rbegin()->first + 1;
  std::vector<std::uint32_t> ids;
  for (const auto& [id, image] : model.images) ids.push_back(id);
  for (int i = 0; i < num_points * 4 && int(model.points.size()) < num_points; ++i) {
    // A random pixel of a random image, cast into the scene.
    const SparseImage& from =
        model.images.at(ids[std::size_t(uniform() * ids.size()) % ids.size()]);
    const Eigen::Vector2d px(uniform() * camera.width, uniform() * camera.height);
    const Eigen::Matrix3d R = from.cam_from_world.rotation.toRotationMatrix();
    const Eigen::Vector3d origin = CameraCenter(from.cam_from_world);
    const Hit hit = Intersect(scene, origin, R.transpose() * camera.Unproject(px));
    if (hit.quad < 0) continue;
    SparsePoint point;
    point.id = next_id;
    point.xyz = hit.point;
    point.error = 0.5;
    for (const std::uint32_t id : ids) {
      SparseImage& image = model.images.at(id);
      const Eigen::Vector3d Xc = image.cam_from_world * hit.point;
      if (Xc.z() <= 0) continue;
      const Eigen::Vector2d q = camera.Project(Xc);
      if (q.x() < 0 || q.y() < 0 || q.x() >= camera.width || q.y() >= camera.height) continue;
      const Eigen::Vector3d c = CameraCenter(image.cam_from_world);
      const Hit seen = Intersect(scene, c, hit.point - c);
      if (seen.quad < 0 || std::abs(seen.t - 1.0) > 1e-6) continue;  // occluded
      point.track.push_back({id, std::uint32_t(image.points2d.size())});
      image.points2d.push_back(q);
      image.point3d_ids.push_back(point.id);
    }
    if (point.track.size() < 2) {
      for (const TrackElement& t : point.track) {  // undo
        model.images.at(t.image_id).points2d.pop_back();
        model.images.at(t.image_id).point3d_ids.pop_back();
      }
      continue;
    }
    model.points[point.id] = point;
    ++next_id;
  }
}

void WriteAnalyticWorkspace(const AnalyticScene& scene, const std::filesystem::path& dir) {
  for (const auto& [id, image] : scene.model.images) {
    const MvsView view = RenderAnalyticView(scene, id);
    Image rgb(view.width, view.height, 3);
    for (std::size_t i = 0; i < view.gray.size(); ++i) {
      const auto v = std::uint8_t(std::clamp(std::lround(view.gray[i] * 255.0f), 0L, 255L));
      for (int c = 0; c < 3; ++c) rgb.pixels[3 * i + c] = v;
    }
    WriteImage(dir / "images" / image.name, rgb);
  }
  WriteSparseModel(dir / "sparse", scene.model);
}

DepthAgreement CompareDepthMaps(const FloatMap& estimate, const FloatMap& truth,
                                double relative_tol) {
  MUTA_CHECK(estimate.width == truth.width && estimate.height == truth.height)
      << "depth maps of different sizes: " << estimate.width << "x" << estimate.height << " and "
      << truth.width << "x" << truth.height;
  DepthAgreement a;
  std::size_t estimated = 0, within = 0;
  std::vector<double> errors;
  for (std::size_t i = 0; i < truth.data.size(); ++i) {
    const double t = truth.data[i], d = estimate.data[i * estimate.channels];
    if (t <= 0) continue;
    ++a.truth_pixels;
    if (d <= 0) continue;
    ++estimated;
    const double e = std::abs(d - t) / t;
    errors.push_back(e);
    within += e <= relative_tol;
  }
  if (a.truth_pixels) {
    a.completeness = double(within) / double(a.truth_pixels);
    a.valid_fraction = double(estimated) / double(a.truth_pixels);
  }
  if (estimated) {
    a.accuracy = double(within) / double(estimated);
    std::nth_element(errors.begin(), errors.begin() + std::ptrdiff_t(errors.size() / 2),
                     errors.end());
    a.median_relative_error = errors[errors.size() / 2];
  }
  return a;
}

}  // namespace muta::reconstruct
