#include "core/strecha_camera.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <vector>

#include <Eigen/Geometry>
#include <Eigen/SVD>

#include "core/error.h"
#include "core/file_io.h"

namespace muta {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kNumValues = 26;
constexpr const char* kLayout =
    "a Strecha .camera file holds 26 numbers: K (3x3, row by row), 3 distortion terms, R (3x3, "
    "camera-to-world, row by row), the camera centre C (3) and the image width and height";
constexpr const char* kCameraSuffix = ".camera";

// What the number at `index` (0-based) of a .camera file is, for error messages.
std::string FieldName(std::size_t index) {
  if (index < 9) return "K[" + std::to_string(index / 3) + "][" + std::to_string(index % 3) + "]";
  if (index < 12) return "distortion[" + std::to_string(index - 9) + "]";
  if (index < 21) {
    return "R[" + std::to_string((index - 12) / 3) + "][" + std::to_string((index - 12) % 3) + "]";
  }
  if (index < 24) return "C[" + std::to_string(index - 21) + "]";
  return index == 24 ? "width" : "height";
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::vector<double> ParseNumbers(std::string_view text, const std::string& name) {
  std::vector<double> values;
  std::size_t pos = 0;
  int line = 1;
  while (pos < text.size()) {
    if (IsSpace(text[pos])) {
      if (text[pos] == '\n') ++line;
      ++pos;
      continue;
    }
    std::size_t end = pos;
    while (end < text.size() && !IsSpace(text[end])) ++end;
    const std::string_view token = text.substr(pos, end - pos);
    double value = 0;
    const char* first = token.data();
    if (!token.empty() && token.front() == '+') ++first;  // from_chars refuses a leading '+'
    const auto [ptr, ec] = std::from_chars(first, token.data() + token.size(), value);
    MUTA_CHECK(ec == std::errc() && ptr == token.data() + token.size())
        << name << ", line " << line << ": '" << token << "' is not a number (expected "
        << (values.size() < kNumValues ? FieldName(values.size()) : std::string("nothing more"))
        << "); " << kLayout;
    MUTA_CHECK(std::isfinite(value))
        << name << ", line " << line << ": " << FieldName(values.size()) << " is " << token
        << "; every value must be finite";
    values.push_back(value);
    pos = end;
  }
  return values;
}

}  // namespace

Rigid3d StrechaCamera::CamFromWorld() const {
  Rigid3d pose;
  pose.rotation = Eigen::Quaterniond(Eigen::Matrix3d(world_from_cam.transpose())).normalized();
  pose.translation = -(pose.rotation * center);
  return pose;
}

Camera StrechaCamera::ToColmapCamera(std::uint32_t id) const {
  Camera camera = Camera::Pinhole(width, height, K(0, 0), K(1, 1),
                                  K(0, 2) + kStrechaToColmapPrincipalPointOffset,
                                  K(1, 2) + kStrechaToColmapPrincipalPointOffset);
  camera.id = id;
  return camera;
}

StrechaCamera ParseStrechaCamera(std::string_view text, const std::string& name) {
  const std::vector<double> v = ParseNumbers(text, name);
  MUTA_CHECK(!v.empty()) << name << ": the file is empty; " << kLayout;
  MUTA_CHECK(v.size() >= kNumValues)
      << name << ": the file ends after " << v.size() << " of its 26 numbers (at "
      << FieldName(v.size()) << "); it is probably truncated – copy it again from the dataset. "
      << kLayout;
  MUTA_CHECK(v.size() == kNumValues)
      << name << ": found " << v.size() << " numbers, expected 26; " << kLayout
      << " (is this a different format, e.g. a P matrix file?)";

  StrechaCamera cam;
  for (int i = 0; i < 9; ++i) cam.K(i / 3, i % 3) = v[std::size_t(i)];
  for (int i = 0; i < 3; ++i) cam.distortion[i] = v[std::size_t(9 + i)];
  for (int i = 0; i < 9; ++i) cam.world_from_cam(i / 3, i % 3) = v[std::size_t(12 + i)];
  for (int i = 0; i < 3; ++i) cam.center[i] = v[std::size_t(21 + i)];

  const Eigen::Matrix3d& k = cam.K;
  MUTA_CHECK(k(1, 0) == 0 && k(2, 0) == 0 && k(2, 1) == 0 && k(2, 2) == 1)
      << name << ": K must be upper triangular with K[2][2] = 1, got rows " << k.row(0) << " / "
      << k.row(1) << " / " << k.row(2) << "; " << kLayout;
  MUTA_CHECK(k(0, 0) > 0 && k(1, 1) > 0)
      << name << ": K's focal lengths must be positive, got " << k(0, 0) << " and " << k(1, 1);
  MUTA_CHECK(std::abs(k(0, 1)) <= 1e-6 * k(0, 0))
      << name << ": K has a skew term " << k(0, 1)
      << "; COLMAP's cameras have none, so it cannot be used as ground truth here";
  MUTA_CHECK(cam.distortion.isZero(0))
      << name << ": the distortion terms are " << cam.distortion.transpose()
      << ", not zero; only undistorted ground truth (Strecha's gt_dense_cameras, whose images "
         "are already undistorted) is supported";

  const Eigen::Matrix3d& r = cam.world_from_cam;
  const double orthonormality =
      (r.transpose() * r - Eigen::Matrix3d::Identity()).cwiseAbs().maxCoeff();
  MUTA_CHECK(orthonormality <= 1e-4 && r.determinant() > 0)
      << name << ": R (numbers 13-21) is not a rotation: R^T R differs from the identity by up to "
      << orthonormality << " and det R = " << r.determinant()
      << "; R must be the camera-to-world rotation, row by row (check that the file is not "
         "corrupted or in another layout). "
      << kLayout;
  // Remove the rounding of the 6-digit file values: the nearest rotation (SVD).
  const Eigen::JacobiSVD<Eigen::Matrix3d> svd(r, Eigen::ComputeFullU | Eigen::ComputeFullV);
  cam.world_from_cam = svd.matrixU() * svd.matrixV().transpose();

  for (std::size_t i = 24; i < 26; ++i) {
    MUTA_CHECK(v[i] >= 1 && v[i] <= 1e6 && v[i] == std::floor(v[i]))
        << name << ": the image " << FieldName(i) << " (number " << i + 1 << ") is " << v[i]
        << "; it must be a positive whole number of pixels. " << kLayout;
  }
  cam.width = static_cast<int>(v[24]);
  cam.height = static_cast<int>(v[25]);
  MUTA_CHECK(k(0, 2) > 0 && k(0, 2) < cam.width && k(1, 2) > 0 && k(1, 2) < cam.height)
      << name << ": the principal point (" << k(0, 2) << ", " << k(1, 2) << ") lies outside the "
      << cam.width << "x" << cam.height << " image; K or the size is wrong";
  return cam;
}

StrechaCamera ReadStrechaCamera(const fs::path& path) {
  return ParseStrechaCamera(ReadFileText(path), path.string());
}

bool IsStrechaCameraFolder(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    if (file.size() > std::string_view(kCameraSuffix).size() && file.ends_with(kCameraSuffix) &&
        entry.is_regular_file(ec)) {
      return true;
    }
  }
  return false;
}

SparseModel ReadStrechaCameras(const fs::path& dir) {
  MUTA_CHECK(fs::is_directory(dir)) << dir.string() << ": no such folder (expected Strecha "
                                    << "ground-truth cameras, e.g. gt_dense_cameras/)";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    if (entry.is_regular_file() && file.size() > std::string_view(kCameraSuffix).size() &&
        file.ends_with(kCameraSuffix)) {
      files.push_back(entry.path());
    }
  }
  MUTA_CHECK(!files.empty()) << dir.string()
                             << ": no *.camera files; expected Strecha ground-truth cameras, one "
                                "IMAGE.camera file per image (e.g. 0000.jpg.camera)";
  std::sort(files.begin(), files.end());

  SparseModel model;
  std::uint32_t id = 0;
  for (const fs::path& file : files) {
    ++id;
    const StrechaCamera cam = ReadStrechaCamera(file);
    const std::string filename = file.filename().string();
    SparseImage image;
    image.id = id;
    image.camera_id = id;
    image.name = filename.substr(0, filename.size() - std::string_view(kCameraSuffix).size());
    image.cam_from_world = cam.CamFromWorld();
    model.cameras.emplace(id, cam.ToColmapCamera(id));
    model.images.emplace(id, std::move(image));
  }
  model.Check();
  return model;
}

}  // namespace muta
