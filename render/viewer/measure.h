#pragma once
// The viewer's measuring tools, free of any window or GL: distance, height difference,
// polyline length and polygon area, in metres (the site bundle's world frame is z-up metres).

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

namespace muta::render::viewer {

enum class MeasureKind { kDistance, kHeight, kPolyline, kArea };

/// "distance", "height", "polyline", "area"; ParseMeasureKind throws muta::Error naming the
/// accepted words for anything else.
std::string_view MeasureKindName(MeasureKind kind);
MeasureKind ParseMeasureKind(std::string_view name);

/// Straight-line distance |b - a| in metres.
double Distance(const Eigen::Vector3d& a, const Eigen::Vector3d& b);
/// Height difference b.z - a.z in metres (positive when b is higher).
double HeightDifference(const Eigen::Vector3d& a, const Eigen::Vector3d& b);
/// Sum of the segment lengths, metres; 0 for fewer than two points.
double PolylineLength(std::span<const Eigen::Vector3d> points);
/// Area in square metres of the closed polygon through `points` (in order): half the norm of
/// Newell's vector area – exact for a planar polygon in any orientation, and the area of the
/// projection onto the best-fitting plane otherwise. 0 for fewer than three points.
double PolygonArea(std::span<const Eigen::Vector3d> points);

/// A measurement in progress: its kind, the picked points and the result.
struct Measurement {
  MeasureKind kind = MeasureKind::kDistance;
  std::vector<Eigen::Vector3d> points;

  /// Points the kind needs before it has a value (2 for distance and height, 2 for a
  /// polyline, 3 for an area); distance and height take no more than 2.
  std::size_t MinPoints() const;
  bool Complete() const { return points.size() >= MinPoints(); }
  /// Adds a picked point; a complete distance/height measurement starts over with this point.
  void Add(const Eigen::Vector3d& p);
  /// The value (metres, or square metres for an area); 0 while incomplete.
  double Value() const;
  /// "3.142 m", "dz +0.500 m", "12.500 m^2" (or "pick N more points").
  std::string Describe() const;
};

}  // namespace muta::render::viewer
