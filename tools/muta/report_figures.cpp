#include "tools/muta/report_figures.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "render/gl_context.h"
#include "render/renderer.h"

namespace muta::cli::report {
namespace {

constexpr double kFovDeg = 40;  // horizontal field of view of the orbit views

// Five stops of a perceptually ordered violet-blue-green-yellow ramp (sRGB).
constexpr std::array<std::array<float, 3>, 5> kRamp = {
    {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}};
constexpr std::uint8_t kNoData = 40;

void RampColour(float t, std::uint8_t* rgb) {
  t = std::clamp(t, 0.0f, 1.0f) * (kRamp.size() - 1);
  const std::size_t i = std::min<std::size_t>(static_cast<std::size_t>(t), kRamp.size() - 2);
  const float f = t - static_cast<float>(i);
  for (int c = 0; c < 3; ++c) {
    rgb[c] = static_cast<std::uint8_t>(std::lround((1 - f) * kRamp[i][c] + f * kRamp[i + 1][c]));
  }
}

bool ValidDepth(float d) {
  return std::isfinite(d) && d > 0;
}

// The box a view frames (z-up world).
struct Framing {
  Eigen::Vector3d lo = -Eigen::Vector3d::Ones();
  Eigen::Vector3d hi = Eigen::Vector3d::Ones();
  Eigen::Vector3d Centre() const { return 0.5 * (lo + hi); }
  double Radius() const { return std::max(0.5 * (hi - lo).norm(), 1e-6); }
};

// p-th quantile (p in [0, 1]) of `values`, which it reorders.
double Quantile(std::vector<double>& values, double p) {
  const auto k = static_cast<std::ptrdiff_t>(std::floor(p * (values.size() - 1)));
  std::nth_element(values.begin(), values.begin() + k, values.end());
  return values[static_cast<std::size_t>(k)];
}

// The points' 2nd-98th percentile box (per axis) and the camera centres.
Framing FrameSparse(const SparseModel& model) {
  Eigen::Vector3d lo = Eigen::Vector3d::Constant(std::numeric_limits<double>::max());
  Eigen::Vector3d hi = -lo;
  if (!model.points.empty()) {
    std::vector<double> axis;
    axis.reserve(model.points.size());
    for (int a = 0; a < 3; ++a) {
      axis.clear();
      for (const auto& [id, p] : model.points) axis.push_back(p.xyz[a]);
      lo[a] = Quantile(axis, 0.02);
      hi[a] = Quantile(axis, 0.98);
    }
  }
  for (const auto& [id, image] : model.images) {
    const Eigen::Vector3d c = CameraCenter(image.cam_from_world);
    lo = lo.cwiseMin(c);
    hi = hi.cwiseMax(c);
  }
  Framing f;
  if ((lo.array() > hi.array()).any() || !lo.allFinite() || !hi.allFinite()) return f;
  f.lo = lo;
  f.hi = hi;
  return f;
}

Framing FrameMesh(const Mesh& mesh) {
  const Box3f box = BoundingBox(mesh.vertices);
  Framing f;
  if (box.Empty()) return f;
  f.lo = box.min.cast<double>();
  f.hi = box.max.cast<double>();
  return f;
}

double FocalFor(int width) {
  return 0.5 * width / std::tan(kFovDeg * std::numbers::pi / 360);
}

Rigid3d OrbitPose(const Framing& framing, const OrbitView& view, double distance) {
  const double a = view.azimuth_deg * std::numbers::pi / 180;
  const double e = view.elevation_deg * std::numbers::pi / 180;
  const Eigen::Vector3d dir(std::cos(e) * std::sin(a), -std::cos(e) * std::cos(a), std::sin(e));
  // Straight down, "up" in the picture is the view's horizontal direction.
  const Eigen::Vector3d up = std::abs(view.elevation_deg) > 89.0
                                 ? Eigen::Vector3d(-std::sin(a), std::cos(a), 0)
                                 : Eigen::Vector3d::UnitZ();
  const Eigen::Vector3d centre = framing.Centre();
  return render::LookAt(centre + distance * dir, centre, up);
}

// The distance from the box's centre at which all eight corners of the box fall inside the
// picture with a 5 % margin. A corner r (camera axes, relative to the centre) lies at camera z
// = D + r.z, so it fits when D >= f |r.x| / (0.95 w / 2) - r.z, and likewise for y.
double FitDistance(const Framing& framing, const OrbitView& view, int width, int height) {
  const double focal = FocalFor(width);
  const Eigen::Quaterniond rotation = OrbitPose(framing, view, 1.0).rotation;
  const Eigen::Vector3d centre = framing.Centre();
  double distance = 0;
  for (int k = 0; k < 8; ++k) {
    const Eigen::Vector3d corner(k & 1 ? framing.hi.x() : framing.lo.x(),
                                 k & 2 ? framing.hi.y() : framing.lo.y(),
                                 k & 4 ? framing.hi.z() : framing.lo.z());
    const Eigen::Vector3d r = rotation * (corner - centre);
    distance = std::max({distance, focal * std::abs(r.x()) / (0.475 * width) - r.z(),
                         focal * std::abs(r.y()) / (0.475 * height) - r.z(),
                         -r.z() + 0.05 * framing.Radius()});
  }
  return std::max(distance, 1e-3 * framing.Radius());
}

render::RenderOptions OptionsFor(const Framing& framing, double distance) {
  render::RenderOptions options;
  options.far_m = distance + 1.5 * framing.Radius();
  options.near_m = std::max(distance - 1.5 * framing.Radius(), 1e-4 * options.far_m);
  options.lighting.shadow_map_size = 2048;
  return options;
}

// A small octahedron (8 triangles) centred on `c` with half-diagonal `s`.
void AddOctahedron(const Vec3f& c, float s, const Color3u8& colour, Mesh& mesh) {
  const auto base = static_cast<std::uint32_t>(mesh.vertices.size());
  const Vec3f offsets[6] = {{s, 0, 0}, {-s, 0, 0}, {0, s, 0}, {0, -s, 0}, {0, 0, s}, {0, 0, -s}};
  for (const Vec3f& o : offsets) {
    mesh.vertices.push_back(c + o);
    mesh.colors.push_back(colour);
  }
  // +x, -x, +y, -y, +z, -z = 0..5; one face per octant.
  for (std::uint32_t x : {0u, 1u}) {
    for (std::uint32_t y : {2u, 3u}) {
      for (std::uint32_t z : {4u, 5u}) mesh.faces.push_back(Face(base + x, base + y, base + z));
    }
  }
}

// A square tube of half-width `r` from `a` to `b` (8 triangles, open ends).
void AddTube(const Eigen::Vector3d& a, const Eigen::Vector3d& b, double r, Mesh& mesh) {
  const Eigen::Vector3d axis = b - a;
  if (axis.norm() < 1e-12) return;
  const Eigen::Vector3d d = axis.normalized();
  const Eigen::Vector3d helper =
      std::abs(d.z()) < 0.9 ? Eigen::Vector3d::UnitZ() : Eigen::Vector3d::UnitX();
  const Eigen::Vector3d u = d.cross(helper).normalized() * r;
  const Eigen::Vector3d v = d.cross(u).normalized() * r;
  const Eigen::Vector3d corners[4] = {u + v, -u + v, -u - v, u - v};
  const auto base = static_cast<std::uint32_t>(mesh.vertices.size());
  for (const Eigen::Vector3d& c : corners) {
    mesh.vertices.push_back((a + c).cast<float>());
    mesh.vertices.push_back((b + c).cast<float>());
  }
  for (std::uint32_t i = 0; i < 4; ++i) {
    const std::uint32_t j = (i + 1) % 4;
    const std::uint32_t a0 = base + 2 * i, b0 = a0 + 1, a1 = base + 2 * j, b1 = a1 + 1;
    mesh.faces.push_back(Face(a0, a1, b1));
    mesh.faces.push_back(Face(a0, b1, b0));
  }
}

// A camera's frustum, `depth` deep, as eight tubes: apex to the four image corners and the
// image rectangle.
void AddFrustum(const Camera& camera, const Rigid3d& cam_from_world, double depth, double r,
                Mesh& mesh) {
  const Rigid3d world_from_cam = cam_from_world.Inverse();
  const double fx = camera.FocalX(), fy = camera.FocalY();
  const double cx = camera.PrincipalX(), cy = camera.PrincipalY();
  if (!(fx > 0 && fy > 0)) return;
  const double xs[2] = {0.0, static_cast<double>(camera.width)};
  const double ys[2] = {0.0, static_cast<double>(camera.height)};
  // The longer side of the image plane is `depth` long, whatever the focal length.
  const double scale = depth / std::max(camera.width / fx, camera.height / fy);
  const Eigen::Vector3d apex = CameraCenter(cam_from_world);
  std::array<Eigen::Vector3d, 4> corner;
  const int order[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  for (int k = 0; k < 4; ++k) {
    const Eigen::Vector3d ray((xs[order[k][0]] - cx) / fx, (ys[order[k][1]] - cy) / fy, 1.0);
    corner[k] = world_from_cam * (scale * ray);
  }
  for (int k = 0; k < 4; ++k) {
    AddTube(apex, corner[k], r, mesh);
    AddTube(corner[k], corner[(k + 1) % 4], r, mesh);
  }
}

// At most this many sparse points are drawn (evenly thinned), to keep the render quick.
constexpr std::size_t kMaxSparsePoints = 200'000;

}  // namespace

std::optional<std::pair<float, float>> RobustDepthRange(const FloatMap& depth) {
  std::vector<double> valid;
  for (std::size_t i = 0; i < depth.data.size(); i += std::max(depth.channels, 1)) {
    if (ValidDepth(depth.data[i])) valid.push_back(depth.data[i]);
  }
  if (valid.empty()) return std::nullopt;
  float near = static_cast<float>(Quantile(valid, 0.02));
  float far = static_cast<float>(Quantile(valid, 0.98));
  if (!(far > near)) far = near * 1.001f + 1e-6f;
  return std::make_pair(near, far);
}

double ValidFraction(const FloatMap& depth) {
  const std::size_t pixels = std::size_t(depth.width) * depth.height;
  if (pixels == 0) return 0;
  std::size_t valid = 0;
  for (int y = 0; y < depth.height; ++y) {
    for (int x = 0; x < depth.width; ++x) valid += ValidDepth(depth.at(x, y));
  }
  return double(valid) / double(pixels);
}

Image ColorizeDepth(const FloatMap& depth, float near, float far) {
  MUTA_CHECK(depth.channels >= 1) << "a depth map needs one channel";
  Image out(depth.width, depth.height, 3, kNoData);
  // Linear in inverse depth (as disparity is): the near part of a view, usually the subject,
  // gets more of the ramp than a far background does.
  const float inv_far = 1.0f / far;
  const float span = std::max(1.0f / near - inv_far, 1e-12f);
  for (int y = 0; y < depth.height; ++y) {
    for (int x = 0; x < depth.width; ++x) {
      const float d = depth.at(x, y);
      if (ValidDepth(d)) RampColour((1.0f / d - inv_far) / span, &out.at(x, y, 0));
    }
  }
  return out;
}

Image DepthLegend(int width, int height) {
  Image out(width, height, 3);
  for (int x = 0; x < width; ++x) {
    std::uint8_t rgb[3];
    RampColour(width > 1 ? 1.0f - float(x) / float(width - 1) : 1.0f, rgb);
    for (int y = 0; y < height; ++y) {
      for (int c = 0; c < 3; ++c) out.at(x, y, c) = rgb[c];
    }
  }
  return out;
}

Image ColorizeNormals(const FloatMap& normals) {
  MUTA_CHECK(normals.channels == 3)
      << "a normal map needs three channels, this one has " << normals.channels;
  Image out(normals.width, normals.height, 3, kNoData);
  for (int y = 0; y < normals.height; ++y) {
    for (int x = 0; x < normals.width; ++x) {
      const Eigen::Vector3f n(normals.at(x, y, 0), -normals.at(x, y, 1), -normals.at(x, y, 2));
      if (!n.allFinite() || n.squaredNorm() < 0.25f) continue;
      const Eigen::Vector3f unit = n.normalized();
      for (int c = 0; c < 3; ++c) {
        out.at(x, y, c) = static_cast<std::uint8_t>(std::lround(127.5f * (unit[c] + 1.0f)));
      }
    }
  }
  return out;
}

Image Thumbnail(const Image& image, int max_width) {
  if (image.width <= max_width) return image;
  const int width = max_width;
  const int height =
      std::max(1, static_cast<int>(std::lround(double(image.height) * width / image.width)));
  // Area average over each output pixel's footprint: a few times faster than a general
  // resampler and as good for reductions by small factors.
  const double sx = double(image.width) / width, sy = double(image.height) / height;
  Image out(width, height, image.channels);
  std::vector<std::uint32_t> sum(static_cast<std::size_t>(image.channels));
  for (int oy = 0; oy < height; ++oy) {
    const int y0 = static_cast<int>(oy * sy);
    const int y1 = std::max(y0 + 1, std::min(image.height, static_cast<int>((oy + 1) * sy)));
    for (int ox = 0; ox < width; ++ox) {
      const int x0 = static_cast<int>(ox * sx);
      const int x1 = std::max(x0 + 1, std::min(image.width, static_cast<int>((ox + 1) * sx)));
      std::fill(sum.begin(), sum.end(), 0u);
      for (int y = y0; y < y1; ++y) {
        for (int x = x0; x < x1; ++x) {
          for (int c = 0; c < image.channels; ++c) sum[c] += image.at(x, y, c);
        }
      }
      const std::uint32_t n = static_cast<std::uint32_t>((x1 - x0) * (y1 - y0));
      for (int c = 0; c < image.channels; ++c) {
        out.at(ox, oy, c) = static_cast<std::uint8_t>((sum[c] + n / 2) / n);
      }
    }
  }
  return out;
}

struct ViewRenderer::Impl {
  int width = 0, height = 0;
  std::unique_ptr<render::GlContext> context;
  std::unique_ptr<render::Renderer> renderer;

  render::Renderer& Get() {
    if (!renderer) {
      context = render::CreateHeadlessContext();
      spdlog::debug("report: OpenGL {}", context->Describe());
      renderer = std::make_unique<render::Renderer>();
    }
    renderer->Clear();
    return *renderer;
  }

  std::vector<Image> RenderViews(std::vector<render::SceneObject> objects, const Framing& framing,
                                 std::span<const OrbitView> views, bool shadows) {
    render::Renderer& r = Get();
    r.Add(std::move(objects));
    const double focal = FocalFor(width);
    const Camera camera = Camera::Pinhole(width, height, focal, focal, 0.5 * width, 0.5 * height);
    std::vector<Image> images;
    for (const OrbitView& view : views) {
      const double distance = FitDistance(framing, view, width, height);
      render::RenderOptions options = OptionsFor(framing, distance);
      options.lighting.shadows = shadows;
      if (!shadows) options.lighting.ambient_intensity = 1.0f;  // points and frusta: flat, bright
      images.push_back(r.Render(camera, OrbitPose(framing, view, distance), options).color);
    }
    r.Clear();
    return images;
  }
};

ViewRenderer::ViewRenderer(int width, int height) : impl_(std::make_unique<Impl>()) {
  MUTA_CHECK(width > 0 && height > 0) << "render size " << width << "x" << height;
  impl_->width = width;
  impl_->height = height;
}

ViewRenderer::~ViewRenderer() = default;

std::vector<Image> ViewRenderer::RenderSparse(const SparseModel& model,
                                              std::span<const OrbitView> views) {
  const Framing framing = FrameSparse(model);
  // World size of one pixel at the box's centre in the farthest view: points are drawn at
  // least about 4 pixels wide in every view.
  double distance = 0;
  for (const OrbitView& view : views) {
    distance = std::max(distance, FitDistance(framing, view, impl_->width, impl_->height));
  }
  const double pixel = distance / FocalFor(impl_->width);

  render::SceneObject points;
  points.casts_shadow = false;
  const std::size_t step = std::max<std::size_t>(1, model.points.size() / kMaxSparsePoints + 1);
  std::size_t i = 0;
  for (const auto& [id, p] : model.points) {
    if (i++ % step != 0 || !p.xyz.allFinite()) continue;
    AddOctahedron(p.xyz.cast<float>(), static_cast<float>(2.0 * pixel), p.color, points.mesh);
  }
  render::SceneObject frusta;
  frusta.casts_shadow = false;
  frusta.base_color = {0.85f, 0.12f, 0.05f};
  for (const auto& [id, image] : model.images) {
    const auto camera = model.cameras.find(image.camera_id);
    if (camera == model.cameras.end()) continue;
    AddFrustum(camera->second, image.cam_from_world, 0.07 * framing.Radius(), 0.6 * pixel,
               frusta.mesh);
  }
  std::vector<render::SceneObject> objects;
  if (!points.mesh.faces.empty()) objects.push_back(std::move(points));
  if (!frusta.mesh.faces.empty()) objects.push_back(std::move(frusta));
  return impl_->RenderViews(std::move(objects), framing, views, false);
}

std::vector<Image> ViewRenderer::RenderMesh(const Mesh& mesh, std::span<const OrbitView> views) {
  MUTA_CHECK(mesh.NumFaces() > 0) << "the mesh has no faces";
  const Framing framing = FrameMesh(mesh);
  render::SceneObject object;
  object.mesh.vertices = mesh.vertices;
  object.mesh.normals = mesh.normals;
  object.mesh.colors = mesh.colors;
  object.mesh.faces = mesh.faces;
  object.base_color = {0.52f, 0.47f, 0.40f};  // clay, for meshes without colours
  std::vector<render::SceneObject> objects;
  objects.push_back(std::move(object));
  return impl_->RenderViews(std::move(objects), framing, views, true);
}

}  // namespace muta::cli::report
