#include "core/pose.h"

#include <algorithm>
#include <cmath>

namespace muta {

double RotationAngleDeg(const Eigen::Quaterniond& a, const Eigen::Quaterniond& b) {
  const double dot = std::abs(a.normalized().dot(b.normalized()));
  return 2.0 * std::acos(std::clamp(dot, 0.0, 1.0)) * 180.0 / M_PI;
}

}  // namespace muta
