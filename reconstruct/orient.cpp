#include "reconstruct/orient.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <sstream>

#include <spdlog/spdlog.h>
#include <Eigen/Dense>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/progress.h"
#include "reconstruct/geo.h"

namespace fs = std::filesystem;

namespace muta::reconstruct {
namespace {

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const std::size_t k = std::min(v.size() - 1, std::size_t(q * double(v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
  return v[k];
}

// Rotation taking unit vector `from` onto `to`.
Eigen::Quaterniond RotationBetween(const Eigen::Vector3d& from, const Eigen::Vector3d& to) {
  return Eigen::Quaterniond::FromTwoVectors(from, to).normalized();
}

// Camera centres of registered images that have a reference position; fits new_from_sfm.
Sim3d FitToReferences(const SparseModel& model,
                      const std::map<std::string, Eigen::Vector3d>& reference, std::size_t& used,
                      double& rms) {
  std::vector<Eigen::Vector3d> src, dst;
  for (const auto& [id, image] : model.images) {
    auto it = reference.find(image.name);
    if (it == reference.end()) continue;
    src.push_back(CameraCenter(image.cam_from_world));
    dst.push_back(it->second);
  }
  used = src.size();
  MUTA_CHECK(src.size() >= 3) << "only " << src.size()
                              << " registered images have a reference position; at least 3 "
                                 "are needed";
  const RobustSimilarity fit = EstimateSimilarityRobust(src, dst);
  double sum = 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < src.size(); ++i) {
    if (!fit.inliers[i]) continue;
    sum += (fit.transform * src[i] - dst[i]).squaredNorm();
    ++n;
  }
  rms = n ? std::sqrt(sum / double(n)) : 0;
  return fit.transform;
}

std::map<std::string, Eigen::Vector3d> ReadControlFile(const fs::path& path) {
  std::ifstream in(path);
  MUTA_CHECK(in.good()) << path.string() << ": cannot open the control file";
  std::map<std::string, Eigen::Vector3d> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::string name;
    if (!(fields >> name)) continue;
    Eigen::Vector3d p;
    MUTA_CHECK(fields >> p.x() >> p.y() >> p.z() && p.allFinite())
        << path.string() << ":" << number
        << ": expected 'IMAGE_NAME X Y Z' (camera centre in metres)";
    out[name] = p;
  }
  MUTA_CHECK(!out.empty()) << path.string() << ": no control points (lines 'IMAGE_NAME X Y Z')";
  return out;
}

struct Mark {
  std::string image;
  Eigen::Vector2d pixel;  // original photograph, pixel centres at integers
};
struct ScaleBar {
  std::vector<Mark> a, b;
  double distance = 0;
};

std::vector<ScaleBar> ReadScaleBars(const fs::path& path) {
  const Json j = ReadJsonFile(path);
  const std::string name = path.string();
  MUTA_CHECK(j.contains("scale_bars") && j["scale_bars"].is_array() && !j["scale_bars"].empty())
      << name
      << ": expected {\"scale_bars\": [{\"a\": [marks], \"b\": [marks], \"distance\": "
         "metres}]} (see docs/formats.md)";
  std::vector<ScaleBar> bars;
  try {
    for (const Json& jb : j["scale_bars"]) {
      ScaleBar bar;
      bar.distance = jb.at("distance").get<double>();
      MUTA_CHECK(bar.distance > 0 && std::isfinite(bar.distance))
          << name << ": a scale bar's distance must be a positive number of metres";
      for (const char* end : {"a", "b"}) {
        for (const Json& m : jb.at(end)) {
          Mark mark{m.at("image").get<std::string>(),
                    {m.at("x").get<double>(), m.at("y").get<double>()}};
          (end[0] == 'a' ? bar.a : bar.b).push_back(mark);
        }
      }
      bars.push_back(std::move(bar));
    }
  } catch (const Json::exception& e) {
    MUTA_CHECK(false) << name << ": malformed scale bar file (" << e.what()
                      << "); see docs/formats.md";
  }
  return bars;
}

Eigen::Vector3d Triangulate(const SparseModel& model, const std::vector<Mark>& marks,
                            const std::map<std::string, double>& scale_of,
                            const std::string& what) {
  std::vector<Eigen::Vector3d> centres, dirs;
  for (const Mark& m : marks) {
    const SparseImage* image = model.FindImage(m.image);
    if (image == nullptr) {
      spdlog::warn("orient: scale bar mark in {} ignored: that image is not registered", m.image);
      continue;
    }
    const auto s = scale_of.count(m.image) ? scale_of.at(m.image) : 1.0;
    const Camera& camera = model.cameras.at(image->camera_id);
    const Eigen::Vector2d pixel = (m.pixel + Eigen::Vector2d(0.5, 0.5)) * s;
    const Eigen::Vector3d ray_cam = camera.Unproject(pixel).normalized();
    const Rigid3d world_from_cam = image->cam_from_world.Inverse();
    centres.push_back(world_from_cam.translation);
    dirs.push_back(world_from_cam.rotation * ray_cam);
  }
  MUTA_CHECK(centres.size() >= 2) << "scale bar point " << what
                                  << " is marked in fewer than 2 registered photographs";
  return IntersectRays(centres, dirs);
}

}  // namespace

void OrientOptions::Check() const {
  if (control) {
    MUTA_CHECK(fs::exists(*control)) << control->string() << ": no such control file";
  }
  if (scale_bar) {
    MUTA_CHECK(fs::exists(*scale_bar)) << scale_bar->string() << ": no such scale bar file";
  }
}

Eigen::Vector3d IntersectRays(const std::vector<Eigen::Vector3d>& centres,
                              const std::vector<Eigen::Vector3d>& directions) {
  Eigen::Matrix3d a = Eigen::Matrix3d::Zero();
  Eigen::Vector3d b = Eigen::Vector3d::Zero();
  for (std::size_t i = 0; i < centres.size(); ++i) {
    const Eigen::Vector3d d = directions[i].normalized();
    const Eigen::Matrix3d p = Eigen::Matrix3d::Identity() - d * d.transpose();
    a += p;
    b += p * centres[i];
  }
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig(a);
  MUTA_CHECK(centres.size() >= 2 && eig.eigenvalues()(0) > 1e-8 * eig.eigenvalues()(2))
      << "cannot intersect the rays: they are (nearly) parallel; mark the point in photographs "
         "taken from different places";
  return a.ldlt().solve(b);
}

void TransformModel(const Sim3d& t, SparseModel& model) {
  for (auto& [id, image] : model.images)
    image.cam_from_world = TransformPose(t, image.cam_from_world);
  for (auto& [id, point] : model.points) point.xyz = t * point.xyz;
}

OrientResult ComputeOrientation(const SparseModel& model, const std::vector<IngestedImage>& images,
                                const OrientOptions& options) {
  options.Check();
  OrientResult result;
  result.figures = Json::object();
  std::map<std::string, double> scale_of;
  for (const auto& im : images) scale_of[im.name] = im.scale;

  // 1. Control points.
  if (options.control) {
    std::size_t used = 0;
    double rms = 0;
    result.new_from_sfm = FitToReferences(model, ReadControlFile(*options.control), used, rms);
    result.metric = true;
    result.up_source = result.scale_source = "control";
    result.figures["control_images"] = used;
    result.figures["control_rms_m"] = rms;
    return result;
  }

  // 2. GPS.
  if (options.use_gps) {
    std::map<std::string, Eigen::Vector3d> enu;
    const IngestedImage* ref = nullptr;
    for (const auto& im : images) {
      if (!im.gps_latitude_deg || !im.gps_longitude_deg || !model.FindImage(im.name)) continue;
      if (ref == nullptr) ref = &im;
      enu[im.name] = GpsToEnu(*im.gps_latitude_deg, *im.gps_longitude_deg,
                              im.gps_altitude_m.value_or(0), *ref->gps_latitude_deg,
                              *ref->gps_longitude_deg, ref->gps_altitude_m.value_or(0));
    }
    double spread = 0;
    for (const auto& [n, p] : enu) spread = std::max(spread, p.head<2>().norm());
    if (enu.size() >= 3 && spread >= 2.0) {
      std::size_t used = 0;
      double rms = 0;
      result.new_from_sfm = FitToReferences(model, enu, used, rms);
      result.metric = true;
      result.up_source = result.scale_source = "gps";
      result.figures["gps_images"] = used;
      result.figures["gps_rms_m"] = rms;
      return result;
    }
    if (!enu.empty()) {
      spdlog::warn(
          "orient: GPS in {} images spread over {:.1f} m is not enough to scale the "
          "model (3 images over 2 m needed)",
          enu.size(), spread);
    }
  }

  // 3. Up from the cameras, origin at the building's foot.
  Eigen::Vector3d up_sum = Eigen::Vector3d::Zero();
  Eigen::Matrix3d right_scatter = Eigen::Matrix3d::Zero();
  for (const auto& [id, image] : model.images) {
    // Image rows grow downwards: the camera's -y axis is "up" in the photograph.
    up_sum += image.cam_from_world.rotation.conjugate() * Eigen::Vector3d(0, -1, 0);
    const Eigen::Vector3d right =
        image.cam_from_world.rotation.conjugate() * Eigen::Vector3d::UnitX();
    right_scatter += right * right.transpose();
  }
  MUTA_CHECK(up_sum.norm() > 1e-6 * double(model.images.size()))
      << "cannot tell up from the cameras (their up vectors cancel out)";
  const Eigen::Vector3d mean_up = up_sum.normalized();
  const double agreement = up_sum.norm() / double(model.images.size());
  // Photographs are taken level but often pitched: a camera looking down at a building has its
  // up vector leaning towards the building, and on a capture along one side those leanings do
  // not cancel (the demo's arc: 10 degrees). Its right axis stays horizontal whatever the pitch,
  // so when the cameras' right axes span the horizontal plane (cameras facing at least about
  // 45 degrees apart), up is the direction most nearly perpendicular to all of them (the
  // scatter's smallest eigenvector), signed by the mean up vector. A result far from the mean
  // up vector (rolled or portrait photographs) falls back to the mean.
  const Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig(right_scatter);
  const Eigen::Vector3d lambda = eig.eigenvalues();  // ascending
  Eigen::Vector3d up = mean_up;
  std::string up_method = "mean up vector";
  if (lambda(1) >= 0.05 * lambda(2) && lambda(0) <= 0.2 * lambda(1)) {
    Eigen::Vector3d level = eig.eigenvectors().col(0).normalized();
    if (level.dot(mean_up) < 0) level = -level;
    if (level.dot(mean_up) >= std::cos(30.0 * std::numbers::pi / 180.0)) {
      up = level;
      up_method = "level right axes";
    } else {
      spdlog::warn(
          "orient: the cameras' right axes point to an up {:.0f} degrees from their mean up "
          "vector (rolled photographs?); using the mean up vector",
          std::acos(std::clamp(level.dot(mean_up), -1.0, 1.0)) * 180 / std::numbers::pi);
    }
  }
  result.figures["up_method"] = up_method;
  result.figures["up_from_mean_deg"] =
      std::acos(std::clamp(up.dot(mean_up), -1.0, 1.0)) * 180 / std::numbers::pi;
  Sim3d rotate;
  rotate.rotation = RotationBetween(up, Eigen::Vector3d::UnitZ());
  std::vector<double> xs, ys, zs;
  for (const auto& [id, p] : model.points) {
    const Eigen::Vector3d q = rotate * p.xyz;
    xs.push_back(q.x());
    ys.push_back(q.y());
    zs.push_back(q.z());
  }
  if (xs.empty()) {
    for (const auto& [id, image] : model.images) {
      const Eigen::Vector3d q = rotate * CameraCenter(image.cam_from_world);
      xs.push_back(q.x());
      ys.push_back(q.y());
      zs.push_back(q.z());
    }
  }
  rotate.translation =
      -Eigen::Vector3d(Percentile(xs, 0.5), Percentile(ys, 0.5), Percentile(zs, 0.02));
  result.new_from_sfm = rotate;
  result.up_source = "cameras";
  result.figures["up_agreement"] = agreement;  // 1: all cameras perfectly upright and level

  if (options.scale_bar) {
    std::vector<double> scales;
    SparseModel rotated = model;
    TransformModel(rotate, rotated);
    for (const ScaleBar& bar : ReadScaleBars(*options.scale_bar)) {
      const Eigen::Vector3d a = Triangulate(rotated, bar.a, scale_of, "a");
      const Eigen::Vector3d b = Triangulate(rotated, bar.b, scale_of, "b");
      const double d = (a - b).norm();
      MUTA_CHECK(d > 0) << options.scale_bar->string()
                        << ": the two points of a scale bar triangulate to the same place";
      scales.push_back(bar.distance / d);
    }
    const double s = Percentile(scales, 0.5);
    Sim3d scale;
    scale.scale = s;
    Sim3d combined;
    combined.scale = s;
    combined.rotation = rotate.rotation;
    combined.translation = s * rotate.translation;
    result.new_from_sfm = combined;
    result.metric = true;
    result.scale_source = "scale-bar";
    result.figures["scale_bars"] = scales.size();
    result.figures["scale"] = s;
    return result;
  }
  result.scale_source = "none";
  return result;
}

OrientResult RunOrient(const fs::path& sparse_dir, const std::vector<IngestedImage>& images,
                       const OrientOptions& options, Progress& progress) {
  progress.Begin("orient", 1, "models");
  SparseModel model = ReadSparseModel(sparse_dir / "sfm");
  OrientResult result = ComputeOrientation(model, images, options);
  TransformModel(result.new_from_sfm, model);
  WriteSparseModel(sparse_dir, model);
  progress.Advance();
  progress.End();
  const Sim3d& t = result.new_from_sfm;
  result.figures["up_source"] = result.up_source;
  result.figures["scale_source"] = result.scale_source;
  result.figures["unscaled"] = !result.metric;
  result.figures["scale"] = t.scale;
  result.figures["rotation_deg"] =
      Eigen::AngleAxisd(t.rotation).angle() * 180.0 / 3.14159265358979323846;
  if (result.metric) {
    spdlog::info("orient: up and metric scale from {}", result.scale_source);
  } else {
    spdlog::warn(
        "orient: no metric scale (no --control, GPS or --scale-bar): the model is flagged "
        "unscaled and viewers show relative measurements");
  }
  return result;
}

}  // namespace muta::reconstruct
