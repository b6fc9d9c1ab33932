#pragma once
// GPS (WGS84 latitude/longitude/altitude) to local metres around a reference point.
//
// East-north-up with a local tangent-plane approximation on the WGS84 ellipsoid: good to a
// few millimetres per 100 m, ample for a building site (a few hundred metres across).

#include <cmath>
#include <numbers>

#include <Eigen/Core>

namespace muta::reconstruct {

/// (east, north, up) in metres of (`lat`, `lon` in degrees, `alt` in metres) relative to the
/// reference (`lat0`, `lon0`, `alt0`).
inline Eigen::Vector3d GpsToEnu(double lat, double lon, double alt, double lat0, double lon0,
                                double alt0) {
  constexpr double kA = 6378137.0;          // WGS84 semi-major axis
  constexpr double kE2 = 6.69437999014e-3;  // first eccentricity squared
  const double phi = lat0 * std::numbers::pi / 180.0;
  const double s = std::sin(phi);
  const double w = std::sqrt(1.0 - kE2 * s * s);
  const double n_radius = kA / w;                          // prime vertical radius of curvature
  const double m_radius = kA * (1.0 - kE2) / (w * w * w);  // meridional radius of curvature
  const double deg = std::numbers::pi / 180.0;
  return {(lon - lon0) * deg * (n_radius + alt0) * std::cos(phi),
          (lat - lat0) * deg * (m_radius + alt0), alt - alt0};
}

}  // namespace muta::reconstruct
