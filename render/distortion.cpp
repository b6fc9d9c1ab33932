#include "render/distortion.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "core/error.h"

namespace muta::render {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
// Pixels of margin around the mapped area: room for the bilinear footprint.
constexpr int kMargin = 2;
// A ray is trusted when re-distorting it lands within this many pixels of where it came from
// (beyond the model's fold, Newton converges to a different point or not at all).
constexpr double kRoundTripTolerancePx = 0.01;
// Four depths within this fraction of each other are one surface and are interpolated.
constexpr float kSmoothDepthRange = 0.01f;

struct SrgbTables {
  std::array<float, 256> to_linear;
  std::array<std::uint8_t, 4097> to_srgb;  // indexed by linear * 4096
};

const SrgbTables& Tables() {
  static const SrgbTables tables = [] {
    SrgbTables t;
    for (int i = 0; i < 256; ++i) t.to_linear[i] = SrgbToLinear(i / 255.0f);
    for (int i = 0; i <= 4096; ++i) {
      t.to_srgb[i] = static_cast<std::uint8_t>(std::lround(255.0f * LinearToSrgb(i / 4096.0f)));
    }
    return t;
  }();
  return tables;
}

}  // namespace

float SrgbToLinear(float c) {
  return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f);
}

float LinearToSrgb(float c) {
  c = std::clamp(c, 0.0f, 1.0f);
  return c <= 0.0031308f ? 12.92f * c : 1.055f * std::pow(c, 1.0f / 2.4f) - 0.055f;
}

UndistortedView PlanUndistortedView(const Camera& camera, int max_dimension, double max_scale) {
  MUTA_INTERNAL_CHECK(camera.Supported() && camera.HasDistortion()) << "not a distorted camera";
  const int width = camera.width, height = camera.height;
  UndistortedView view;
  view.camera = camera;
  view.source.assign(std::size_t(width) * height, Eigen::Vector2f(kNaN, kNaN));
  const double fx = camera.FocalX(), fy = camera.FocalY();
  const double cx = camera.PrincipalX(), cy = camera.PrincipalY();

  // Undistorted pixel coordinates (same K) of every pixel centre.
  tbb::parallel_for(tbb::blocked_range<int>(0, height), [&](const tbb::blocked_range<int>& rows) {
    for (int y = rows.begin(); y < rows.end(); ++y) {
      for (int x = 0; x < width; ++x) {
        const Eigen::Vector2d pixel(x + 0.5, y + 0.5);
        const Eigen::Vector3d ray = camera.Unproject(pixel);
        if (!ray.allFinite()) continue;
        if ((camera.Project(ray) - pixel).norm() > kRoundTripTolerancePx) continue;
        view.source[std::size_t(y) * width + x] = Eigen::Vector2f(
            static_cast<float>(fx * ray.x() + cx), static_cast<float>(fy * ray.y() + cy));
      }
    }
  });

  // The pinhole image spans the mapped area, limited to max_scale x the image around the
  // principal point and to max_dimension.
  double min_x = cx, max_x = cx, min_y = cy, max_y = cy;
  for (const Eigen::Vector2f& s : view.source) {
    if (std::isnan(s.x())) continue;
    min_x = std::min<double>(min_x, s.x());
    max_x = std::max<double>(max_x, s.x());
    min_y = std::min<double>(min_y, s.y());
    max_y = std::max<double>(max_y, s.y());
  }
  const double limit_w = std::min<double>(max_scale * width, max_dimension - 2 * kMargin - 2);
  const double limit_h = std::min<double>(max_scale * height, max_dimension - 2 * kMargin - 2);
  const auto clamp_range = [](double& lo, double& hi, double centre, double limit) {
    if (hi - lo <= limit) return;
    // Keep the part nearest the principal point, in proportion to each side.
    const double left = centre - lo, right = hi - centre;
    lo = centre - limit * left / (left + right);
    hi = centre + limit * right / (left + right);
  };
  clamp_range(min_x, max_x, cx, limit_w);
  clamp_range(min_y, max_y, cy, limit_h);
  const double offset_x = std::floor(min_x) - kMargin;
  const double offset_y = std::floor(min_y) - kMargin;
  const int pin_width = static_cast<int>(std::ceil(max_x) + kMargin - offset_x);
  const int pin_height = static_cast<int>(std::ceil(max_y) + kMargin - offset_y);
  view.pinhole = Camera::Pinhole(pin_width, pin_height, fx, fy, cx - offset_x, cy - offset_y);
  view.pinhole.id = camera.id;

  const auto ox = static_cast<float>(offset_x), oy = static_cast<float>(offset_y);
  const float lo_x = static_cast<float>(min_x - offset_x),
              hi_x = static_cast<float>(max_x - offset_x);
  const float lo_y = static_cast<float>(min_y - offset_y),
              hi_y = static_cast<float>(max_y - offset_y);
  for (Eigen::Vector2f& s : view.source) {
    if (std::isnan(s.x())) continue;
    s.x() -= ox;
    s.y() -= oy;
    if (s.x() < lo_x || s.x() > hi_x || s.y() < lo_y || s.y() > hi_y) s.setConstant(kNaN);
  }
  return view;
}

RenderResult ResampleDistorted(const UndistortedView& view, const RenderResult& pinhole,
                               const Color3u8& background) {
  const int width = view.camera.width, height = view.camera.height;
  const int pw = pinhole.color.width, ph = pinhole.color.height;
  MUTA_INTERNAL_CHECK(pw == view.pinhole.width && ph == view.pinhole.height &&
                      pinhole.depth.width == pw && pinhole.depth.height == ph)
      << "pinhole render does not match its plan";
  const SrgbTables& tables = Tables();
  RenderResult out;
  out.color = Image(width, height, 3);
  out.depth = FloatMap(width, height, 1, 0.0f);
  tbb::parallel_for(tbb::blocked_range<int>(0, height), [&](const tbb::blocked_range<int>& rows) {
    for (int y = rows.begin(); y < rows.end(); ++y) {
      for (int x = 0; x < width; ++x) {
        const Eigen::Vector2f s = view.source[std::size_t(y) * width + x];
        if (std::isnan(s.x())) {
          for (int c = 0; c < 3; ++c) out.color.at(x, y, c) = background[c];
          continue;
        }
        // Bilinear weights between pixel centres (at +0.5).
        const float fx = s.x() - 0.5f, fy = s.y() - 0.5f;
        const float x0f = std::floor(fx), y0f = std::floor(fy);
        const float ax = fx - x0f, ay = fy - y0f;
        const int x0 = std::clamp(static_cast<int>(x0f), 0, pw - 1);
        const int y0 = std::clamp(static_cast<int>(y0f), 0, ph - 1);
        const int x1 = std::min(x0 + 1, pw - 1), y1 = std::min(y0 + 1, ph - 1);
        // Depth: bilinear on one smooth surface, else the pixel that contains the point (never
        // a blend across a depth edge or with the background).
        const float d00 = pinhole.depth.at(x0, y0), d10 = pinhole.depth.at(x1, y0);
        const float d01 = pinhole.depth.at(x0, y1), d11 = pinhole.depth.at(x1, y1);
        const float d_min = std::min({d00, d10, d01, d11}), d_max = std::max({d00, d10, d01, d11});
        if (d_min > 0 && d_max - d_min <= kSmoothDepthRange * d_min) {
          out.depth.at(x, y) =
              (1 - ay) * ((1 - ax) * d00 + ax * d10) + ay * ((1 - ax) * d01 + ax * d11);
        } else {
          const int nx = std::clamp(static_cast<int>(std::floor(s.x())), 0, pw - 1);
          const int ny = std::clamp(static_cast<int>(std::floor(s.y())), 0, ph - 1);
          out.depth.at(x, y) = pinhole.depth.at(nx, ny);
        }
        // Colour: bilinear in linear light.
        for (int c = 0; c < 3; ++c) {
          const float top = (1 - ax) * tables.to_linear[pinhole.color.at(x0, y0, c)] +
                            ax * tables.to_linear[pinhole.color.at(x1, y0, c)];
          const float bottom = (1 - ax) * tables.to_linear[pinhole.color.at(x0, y1, c)] +
                               ax * tables.to_linear[pinhole.color.at(x1, y1, c)];
          const float linear = std::clamp((1 - ay) * top + ay * bottom, 0.0f, 1.0f);
          out.color.at(x, y, c) = tables.to_srgb[static_cast<int>(linear * 4096.0f + 0.5f)];
        }
      }
    }
  });
  return out;
}

}  // namespace muta::render
