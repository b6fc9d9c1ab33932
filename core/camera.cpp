#include "core/camera.h"

#include <array>
#include <cmath>

#include <Eigen/LU>

#include "core/error.h"

namespace muta {
namespace {

struct ModelInfo {
  CameraModel model;
  std::string_view name;
  int num_params;
};

constexpr std::array<ModelInfo, 11> kModels = {{
    {CameraModel::kSimplePinhole, "SIMPLE_PINHOLE", 3},
    {CameraModel::kPinhole, "PINHOLE", 4},
    {CameraModel::kSimpleRadial, "SIMPLE_RADIAL", 4},
    {CameraModel::kRadial, "RADIAL", 5},
    {CameraModel::kOpenCV, "OPENCV", 8},
    {CameraModel::kOpenCVFisheye, "OPENCV_FISHEYE", 8},
    {CameraModel::kFullOpenCV, "FULL_OPENCV", 12},
    {CameraModel::kFOV, "FOV", 5},
    {CameraModel::kSimpleRadialFisheye, "SIMPLE_RADIAL_FISHEYE", 4},
    {CameraModel::kRadialFisheye, "RADIAL_FISHEYE", 5},
    {CameraModel::kThinPrismFisheye, "THIN_PRISM_FISHEYE", 12},
}};

const ModelInfo* Find(CameraModel model) {
  for (const auto& info : kModels) {
    if (info.model == model) return &info;
  }
  return nullptr;
}

bool SingleFocal(CameraModel m) {
  return m == CameraModel::kSimplePinhole || m == CameraModel::kSimpleRadial ||
         m == CameraModel::kRadial || m == CameraModel::kSimpleRadialFisheye ||
         m == CameraModel::kRadialFisheye;
}

}  // namespace

std::string_view CameraModelName(CameraModel model) {
  const ModelInfo* info = Find(model);
  return info ? info->name : std::string_view();
}

int CameraModelNumParams(CameraModel model) {
  const ModelInfo* info = Find(model);
  return info ? info->num_params : 0;
}

std::optional<CameraModel> CameraModelFromName(std::string_view name) {
  for (const auto& info : kModels) {
    if (info.name == name) return info.model;
  }
  return std::nullopt;
}

std::optional<CameraModel> CameraModelFromId(int id) {
  for (const auto& info : kModels) {
    if (static_cast<int>(info.model) == id) return info.model;
  }
  return std::nullopt;
}

Camera Camera::Pinhole(int width, int height, double fx, double fy, double cx, double cy) {
  Camera camera;
  camera.model = CameraModel::kPinhole;
  camera.width = width;
  camera.height = height;
  camera.params = {fx, fy, cx, cy};
  return camera;
}

Camera Camera::SimpleRadial(int width, int height, double f, double cx, double cy, double k) {
  Camera camera;
  camera.model = CameraModel::kSimpleRadial;
  camera.width = width;
  camera.height = height;
  camera.params = {f, cx, cy, k};
  return camera;
}

bool Camera::Supported() const {
  switch (model) {
    case CameraModel::kSimplePinhole:
    case CameraModel::kPinhole:
    case CameraModel::kSimpleRadial:
    case CameraModel::kRadial:
    case CameraModel::kOpenCV:
    case CameraModel::kFullOpenCV:
      return true;
    default:
      return false;
  }
}

void Camera::Check() const {
  const ModelInfo* info = Find(model);
  MUTA_CHECK(info != nullptr) << "camera " << id << ": unknown camera model id "
                              << static_cast<int>(model);
  MUTA_CHECK(static_cast<int>(params.size()) == info->num_params)
      << "camera " << id << ": model " << info->name << " needs " << info->num_params
      << " parameters, got " << params.size();
  MUTA_CHECK(width > 0 && height > 0)
      << "camera " << id << ": image size " << width << "x" << height << " is not positive";
  for (double p : params) {
    MUTA_CHECK(std::isfinite(p)) << "camera " << id << ": a parameter is not finite";
  }
  MUTA_CHECK(FocalX() > 0 && FocalY() > 0) << "camera " << id << ": focal length must be > 0";
}

double Camera::FocalX() const { return params.at(0); }
double Camera::FocalY() const { return SingleFocal(model) ? params.at(0) : params.at(1); }
double Camera::PrincipalX() const { return SingleFocal(model) ? params.at(1) : params.at(2); }
double Camera::PrincipalY() const { return SingleFocal(model) ? params.at(2) : params.at(3); }

Eigen::Matrix3d Camera::K() const {
  Eigen::Matrix3d k = Eigen::Matrix3d::Identity();
  k(0, 0) = FocalX();
  k(1, 1) = FocalY();
  k(0, 2) = PrincipalX();
  k(1, 2) = PrincipalY();
  return k;
}

bool Camera::HasDistortion() const {
  const int first = SingleFocal(model) ? 3 : 4;
  for (std::size_t i = first; i < params.size(); ++i) {
    if (params[i] != 0.0) return true;
  }
  return false;
}

Eigen::Vector2d Camera::Distort(const Eigen::Vector2d& n) const {
  const double u = n.x(), v = n.y();
  const double u2 = u * u, v2 = v * v, uv = u * v, r2 = u2 + v2;
  const auto& p = params;
  switch (model) {
    case CameraModel::kSimplePinhole:
    case CameraModel::kPinhole:
      return n;
    case CameraModel::kSimpleRadial:
      return n * (1.0 + p[3] * r2);
    case CameraModel::kRadial:
      return n * (1.0 + p[3] * r2 + p[4] * r2 * r2);
    case CameraModel::kOpenCV: {
      const double radial = p[4] * r2 + p[5] * r2 * r2;
      return {u + u * radial + 2 * p[6] * uv + p[7] * (r2 + 2 * u2),
              v + v * radial + 2 * p[7] * uv + p[6] * (r2 + 2 * v2)};
    }
    case CameraModel::kFullOpenCV: {
      const double r4 = r2 * r2, r6 = r4 * r2;
      const double radial = (1 + p[4] * r2 + p[5] * r4 + p[8] * r6) /
                            (1 + p[9] * r2 + p[10] * r4 + p[11] * r6);
      return {u * radial + 2 * p[6] * uv + p[7] * (r2 + 2 * u2),
              v * radial + 2 * p[7] * uv + p[6] * (r2 + 2 * v2)};
    }
    default:
      MUTA_FAIL << "camera " << id << ": model " << CameraModelName(model)
                << " is not supported for projection; use PINHOLE, SIMPLE_RADIAL, RADIAL or "
                   "OPENCV";
  }
  return n;
}

Eigen::Vector2d Camera::Undistort(const Eigen::Vector2d& distorted) const {
  if (!HasDistortion()) return distorted;
  // Newton iterations on Distort(x) = distorted with a numerical Jacobian (as COLMAP).
  Eigen::Vector2d x = distorted;
  for (int iter = 0; iter < 100; ++iter) {
    const Eigen::Vector2d f = Distort(x) - distorted;
    constexpr double kEps = 1e-9;
    Eigen::Matrix2d jac;
    const double hx = std::max(kEps, std::abs(x.x()) * kEps);
    const double hy = std::max(kEps, std::abs(x.y()) * kEps);
    jac.col(0) = (Distort(x + Eigen::Vector2d(hx, 0)) - Distort(x - Eigen::Vector2d(hx, 0))) /
                 (2 * hx);
    jac.col(1) = (Distort(x + Eigen::Vector2d(0, hy)) - Distort(x - Eigen::Vector2d(0, hy))) /
                 (2 * hy);
    const Eigen::Vector2d step = jac.partialPivLu().solve(f);
    x -= step;
    if (!x.allFinite()) return distorted;
    if (step.squaredNorm() < 1e-24 * std::max(1.0, x.squaredNorm())) break;
  }
  return x;
}

Eigen::Vector2d Camera::Project(const Eigen::Vector3d& point_cam) const {
  const Eigen::Vector2d n = Distort(point_cam.head<2>() / point_cam.z());
  return {FocalX() * n.x() + PrincipalX(), FocalY() * n.y() + PrincipalY()};
}

Eigen::Vector3d Camera::Unproject(const Eigen::Vector2d& pixel) const {
  const Eigen::Vector2d d((pixel.x() - PrincipalX()) / FocalX(),
                          (pixel.y() - PrincipalY()) / FocalY());
  const Eigen::Vector2d n = Undistort(d);
  return {n.x(), n.y(), 1.0};
}

Eigen::Vector2d Camera::UndistortPixel(const Eigen::Vector2d& pixel) const {
  const Eigen::Vector3d ray = Unproject(pixel);
  return {FocalX() * ray.x() + PrincipalX(), FocalY() * ray.y() + PrincipalY()};
}

}  // namespace muta
