#include "render/viewer/measure.h"

#include <cmath>
#include <cstdio>

#include <Eigen/Geometry>

#include "core/error.h"

namespace muta::render::viewer {

std::string_view MeasureKindName(MeasureKind kind) {
  switch (kind) {
    case MeasureKind::kDistance:
      return "distance";
    case MeasureKind::kHeight:
      return "height";
    case MeasureKind::kPolyline:
      return "polyline";
    case MeasureKind::kArea:
      return "area";
  }
  return "distance";
}

MeasureKind ParseMeasureKind(std::string_view name) {
  for (MeasureKind k :
       {MeasureKind::kDistance, MeasureKind::kHeight, MeasureKind::kPolyline, MeasureKind::kArea}) {
    if (name == MeasureKindName(k)) return k;
  }
  MUTA_FAIL << "unknown measurement '" << name << "'; use distance, height, polyline or area";
  return MeasureKind::kDistance;
}

double Distance(const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
  return (b - a).norm();
}

double HeightDifference(const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
  return b.z() - a.z();
}

double PolylineLength(std::span<const Eigen::Vector3d> points) {
  double length = 0;
  for (std::size_t i = 1; i < points.size(); ++i) length += (points[i] - points[i - 1]).norm();
  return length;
}

double PolygonArea(std::span<const Eigen::Vector3d> points) {
  if (points.size() < 3) return 0;
  // Newell's method about the first point (better conditioned far from the origin).
  const Eigen::Vector3d origin = points[0];
  Eigen::Vector3d sum = Eigen::Vector3d::Zero();
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Eigen::Vector3d a = points[i] - origin;
    const Eigen::Vector3d b = points[(i + 1) % points.size()] - origin;
    sum += a.cross(b);
  }
  return 0.5 * sum.norm();
}

std::size_t Measurement::MinPoints() const {
  return kind == MeasureKind::kArea ? 3 : 2;
}

void Measurement::Add(const Eigen::Vector3d& p) {
  const bool two_point = kind == MeasureKind::kDistance || kind == MeasureKind::kHeight;
  if (two_point && points.size() >= 2) points.clear();
  points.push_back(p);
}

double Measurement::Value() const {
  if (!Complete()) return 0;
  switch (kind) {
    case MeasureKind::kDistance:
      return Distance(points[0], points[1]);
    case MeasureKind::kHeight:
      return HeightDifference(points[0], points[1]);
    case MeasureKind::kPolyline:
      return PolylineLength(points);
    case MeasureKind::kArea:
      return PolygonArea(points);
  }
  return 0;
}

std::string Measurement::Describe() const {
  char text[96];
  if (!Complete()) {
    std::snprintf(text, sizeof(text), "pick %zu more point%s", MinPoints() - points.size(),
                  MinPoints() - points.size() == 1 ? "" : "s");
    return text;
  }
  const double v = Value();
  switch (kind) {
    case MeasureKind::kDistance:
      std::snprintf(text, sizeof(text), "%.3f m", v);
      break;
    case MeasureKind::kHeight:
      std::snprintf(text, sizeof(text), "dz %+.3f m", v);
      break;
    case MeasureKind::kPolyline:
      std::snprintf(text, sizeof(text), "%.3f m (%zu points)", v, points.size());
      break;
    case MeasureKind::kArea:
      std::snprintf(text, sizeof(text), "%.3f m^2 (%zu points)", v, points.size());
      break;
  }
  return text;
}

}  // namespace muta::render::viewer
