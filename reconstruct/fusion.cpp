// Depth-map fusion (see reconstruct/fusion.h and docs/fusion.md).

#include "reconstruct/fusion.h"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <list>
#include <numbers>
#include <optional>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <Eigen/Core>

#include "core/colmap_model.h"
#include "core/depth_map_io.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/image_io.h"
#include "core/mesh.h"
#include "core/ply_io.h"
#include "core/progress.h"

namespace muta::reconstruct {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRerunMvs =
    "delete it and run the mvs stage again (or set the fusion option allow_missing_maps to skip "
    "the image)";
/// Depth samples per image for the overlap survey.
constexpr int kSurveySamples = 1024;
/// Neighbour views whose rays to a surface point differ by more than this see different sides.
constexpr double kMaxSurveyRayAngleDeg = 100.0;
constexpr float kNormalScale = 32767.0f;

// ---- workspace files --------------------------------------------------------------------------

struct ArrayHeader {
  int width = 0;
  int height = 0;
  int channels = 0;
};

/// Reads and checks a COLMAP array file's header and size without loading its data.
ArrayHeader ReadArrayHeader(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  MUTA_CHECK(in.good()) << path.string() << ": cannot open the map; " << kRerunMvs;
  std::array<char, 48> buf{};
  in.read(buf.data(), buf.size());
  const std::size_t got = static_cast<std::size_t>(in.gcount());
  std::array<std::uint64_t, 3> dims{};
  std::size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    const std::size_t start = pos;
    std::uint64_t v = 0;
    while (pos < got && pos - start < 10 && buf[pos] >= '0' && buf[pos] <= '9') {
      v = v * 10 + static_cast<std::uint64_t>(buf[pos] - '0');
      ++pos;
    }
    MUTA_CHECK(pos > start && pos < got && buf[pos] == '&' && v > 0)
        << path.string() << ": not a COLMAP depth/normal map (bad \"W&H&C&\" header); "
        << kRerunMvs;
    dims[i] = v;
    ++pos;
  }
  const std::uint64_t expected = pos + dims[0] * dims[1] * dims[2] * 4;
  const std::uint64_t size = fs::file_size(path);
  MUTA_CHECK(size == expected) << path.string() << ": truncated or corrupt map: the header says "
                               << dims[0] << "x" << dims[1] << "x" << dims[2] << " (" << expected
                               << " bytes) but the file has " << size << " bytes; " << kRerunMvs;
  MUTA_CHECK(dims[0] < (1u << 20) && dims[1] < (1u << 20))
      << path.string() << ": absurd map size " << dims[0] << "x" << dims[1] << "; " << kRerunMvs;
  return {static_cast<int>(dims[0]), static_cast<int>(dims[1]), static_cast<int>(dims[2])};
}

// ---- views ------------------------------------------------------------------------------------

/// Everything about one image that stays in memory for the whole run (a few hundred bytes
/// plus one bit per map pixel).
struct View {
  std::uint32_t index = 0;  ///< position in the images file = index in fused.ply.vis
  std::string name;
  fs::path depth_path, normal_path, image_path;
  bool usable = false;
  int width = 0, height = 0;              ///< map size
  int image_width = 0, image_height = 0;  ///< photograph size
  double fx = 0, fy = 0, cx = 0, cy = 0;  ///< scaled to the map
  Eigen::Matrix3d rotation;               ///< cam_from_world
  Eigen::Vector3d translation;
  Eigen::Vector3d center;
  std::vector<std::uint64_t> consumed;   ///< one bit per map pixel (freed once visited)
  std::vector<Eigen::Vector3f> samples;  ///< survey: world points (freed after the survey)
  std::vector<int> neighbors;            ///< by decreasing overlap
  bool visited = false;

  std::uint64_t EntryBytes() const {
    return std::uint64_t(width) * height * (sizeof(float) + 3 * sizeof(std::int16_t)) +
           std::uint64_t(image_width) * image_height * 3;
  }
  bool Consumed(std::size_t pixel) const { return (consumed[pixel >> 6] >> (pixel & 63)) & 1u; }
  void Consume(std::size_t pixel) { consumed[pixel >> 6] |= std::uint64_t{1} << (pixel & 63); }
  /// The ray (z = 1, camera frame) through the centre of map pixel (x, y).
  Eigen::Vector3f Ray(int x, int y) const {
    return Eigen::Vector3f(static_cast<float>((x + 0.5 - cx) / fx),
                           static_cast<float>((y + 0.5 - cy) / fy), 1.0f);
  }
};

/// A view's maps and photograph in memory.
struct Entry {
  std::vector<float> depth;          ///< width * height; 0 = none
  std::vector<std::int16_t> normal;  ///< 3 per pixel, camera frame, x 32767; (0,0,0) = none
  Image color;
  std::uint64_t bytes = 0;
  std::list<int>::iterator lru;
};

/// LRU cache of entries under a byte budget. Used from one thread; entries handed out stay
/// valid until the next Get().
class MapCache {
 public:
  MapCache(std::vector<View>& views, std::uint64_t budget) : views_(views), budget_(budget) {}

  /// The entry of view `index`, loaded if needed; evicts least recently used entries other
  /// than `pinned` to stay within the budget.
  const Entry& Get(int index, int pinned = -1) {
    auto it = entries_.find(index);
    if (it != entries_.end()) {
      lru_.erase(it->second.lru);
      lru_.push_front(index);
      it->second.lru = lru_.begin();
      return it->second;
    }
    const std::uint64_t need = views_[index].EntryBytes();
    while (used_ + need > budget_) {
      auto victim = std::find_if(lru_.rbegin(), lru_.rend(), [&](int i) { return i != pinned; });
      MUTA_INTERNAL_CHECK(victim != lru_.rend()) << "cache budget below two entries";
      Evict(*victim);
    }
    Entry entry = Load(views_[index]);
    entry.bytes = need;
    used_ += need;
    peak_ = std::max(peak_, used_);
    ++loads_;
    lru_.push_front(index);
    entry.lru = lru_.begin();
    return entries_.emplace(index, std::move(entry)).first->second;
  }
  void Evict(int index) {
    auto it = entries_.find(index);
    if (it == entries_.end()) return;
    used_ -= it->second.bytes;
    lru_.erase(it->second.lru);
    entries_.erase(it);
  }
  std::uint64_t peak() const { return peak_; }
  std::uint64_t loads() const { return loads_; }

 private:
  static Entry Load(const View& view) {
    Entry entry;
    FloatMap depth = ReadColmapArray(view.depth_path);
    MUTA_CHECK(depth.channels == 1 && depth.width == view.width && depth.height == view.height)
        << view.depth_path.string() << ": changed while fusing (now " << depth.width << "x"
        << depth.height << "x" << depth.channels << "); " << kRerunMvs;
    entry.depth = std::move(depth.data);
    for (float& d : entry.depth) {
      if (!(d > 0.0f) || !std::isfinite(d)) d = 0.0f;
    }
    const FloatMap normal = ReadColmapArray(view.normal_path);
    MUTA_CHECK(normal.channels == 3 && normal.width == view.width && normal.height == view.height)
        << view.normal_path.string() << ": expected a " << view.width << "x" << view.height
        << "x3 normal map matching the depth map, found " << normal.width << "x" << normal.height
        << "x" << normal.channels << "; " << kRerunMvs;
    entry.normal.resize(normal.data.size());
    for (std::size_t p = 0; p < normal.data.size(); p += 3) {
      Eigen::Vector3f n(normal.data[p], normal.data[p + 1], normal.data[p + 2]);
      const float len = n.norm();
      if (!std::isfinite(len) || len < 0.5f || len > 1.5f)
        n.setZero();  // not a unit normal
      else
        n /= len;
      for (int c = 0; c < 3; ++c) {
        entry.normal[p + c] = static_cast<std::int16_t>(std::lround(n[c] * kNormalScale));
      }
    }
    entry.color = ReadImage(view.image_path, 3);
    MUTA_CHECK(entry.color.width == view.image_width && entry.color.height == view.image_height)
        << view.image_path.string() << ": the photograph is " << entry.color.width << "x"
        << entry.color.height << " but its camera says " << view.image_width << "x"
        << view.image_height << "; run the undistort stage again";
    return entry;
  }

  std::vector<View>& views_;
  std::uint64_t budget_;
  std::uint64_t used_ = 0, peak_ = 0, loads_ = 0;
  std::unordered_map<int, Entry> entries_;
  std::list<int> lru_;  ///< most recently used first
};

inline Eigen::Vector3f NormalAt(const Entry& e, std::size_t pixel) {
  const std::int16_t* n = &e.normal[3 * pixel];
  return Eigen::Vector3f(n[0], n[1], n[2]) * (1.0f / kNormalScale);
}

/// Whether the camera-frame unit normal `n` faces the ray (z = 1, not normalised) at least
/// as squarely as `min_cos`: cos(angle between n and -ray) >= min_cos.
inline bool FacesRay(const Eigen::Vector3f& n, const Eigen::Vector3f& ray, float min_cos) {
  return -n.dot(ray) >= min_cos * ray.norm();
}

inline const std::uint8_t* ColorAt(const View& v, const Entry& e, int x, int y) {
  const int ix = std::min(v.image_width - 1, static_cast<int>((x + 0.5) * v.image_width / v.width));
  const int iy =
      std::min(v.image_height - 1, static_cast<int>((y + 0.5) * v.image_height / v.height));
  return &e.color.pixels[(std::size_t(iy) * v.image_width + ix) * 3];
}

/// Builds the views from the model and checks every file that can be checked cheaply.
std::vector<View> MakeViews(const fs::path& dir, const SparseModel& model,
                            const FusionOptions& options) {
  const fs::path sparse = dir / "sparse";
  std::vector<View> views;
  const auto order = ImageIdsInFileOrder(sparse, model);
  for (std::size_t i = 0; i < order.size(); ++i) {
    const SparseImage& image = model.images.at(order[i]);
    const Camera& camera = model.cameras.at(image.camera_id);
    MUTA_CHECK(camera.model == CameraModel::kPinhole || camera.model == CameraModel::kSimplePinhole)
        << (sparse / "cameras.bin").string() << ": camera " << camera.id << " of image "
        << image.name << " is " << CameraModelName(camera.model)
        << "; fusion needs undistorted PINHOLE images – run the undistort stage first";
    View v;
    v.index = static_cast<std::uint32_t>(i);
    v.name = image.name;
    v.depth_path = dir / "stereo" / "depth_maps" / (image.name + "." + options.input_type + ".bin");
    v.normal_path =
        dir / "stereo" / "normal_maps" / (image.name + "." + options.input_type + ".bin");
    v.image_path = dir / "images" / image.name;
    v.image_width = camera.width;
    v.image_height = camera.height;
    v.fx = camera.FocalX();
    v.fy = camera.FocalY();
    v.cx = camera.PrincipalX();
    v.cy = camera.PrincipalY();
    v.rotation = image.cam_from_world.rotation.normalized().toRotationMatrix();
    v.translation = image.cam_from_world.translation;
    v.center = CameraCenter(image.cam_from_world);
    views.push_back(std::move(v));
  }
  return views;
}

/// Reads each depth map once (streamed): checks the files, records sizes and keeps a sparse
/// grid of world points for the overlap estimate.
void Survey(std::vector<View>& views, const FusionOptions& options, Progress& progress) {
  progress.Begin("fusion: survey", views.size(), "maps");
  for (View& v : views) {
    CheckInterrupted();
    std::string missing;
    for (const fs::path* p : {&v.depth_path, &v.normal_path, &v.image_path}) {
      if (missing.empty() && !fs::exists(*p)) missing = p->string();
    }
    if (!missing.empty()) {
      MUTA_CHECK(options.allow_missing_maps)
          << missing << ": missing (image " << v.name << " of the dense workspace); run the "
          << (fs::exists(v.image_path) ? "mvs" : "undistort")
          << " stage again, or set the fusion option allow_missing_maps to skip the image";
      spdlog::warn("fusion: skipping {}: {} is missing", v.name, missing);
      progress.Advance();
      continue;
    }
    const ArrayHeader normal = ReadArrayHeader(v.normal_path);
    const FloatMap depth = ReadColmapArray(v.depth_path);
    MUTA_CHECK(depth.channels == 1)
        << v.depth_path.string() << ": a depth map has 1 channel, this one " << depth.channels
        << "; " << kRerunMvs;
    MUTA_CHECK(normal.channels == 3 && normal.width == depth.width && normal.height == depth.height)
        << v.normal_path.string() << ": expected a " << depth.width << "x" << depth.height
        << "x3 normal map matching " << v.depth_path.filename().string() << ", found "
        << normal.width << "x" << normal.height << "x" << normal.channels << "; " << kRerunMvs;
    const ImageInfo info = ReadImageInfo(v.image_path);
    MUTA_CHECK(info.width == v.image_width && info.height == v.image_height)
        << v.image_path.string() << ": the photograph is " << info.width << "x" << info.height
        << " but its camera says " << v.image_width << "x" << v.image_height
        << "; run the undistort stage again";
    // Scale the intrinsics to the map as COLMAP does (maps may be downscaled).
    const double sx = double(depth.width) / v.image_width;
    const double sy = double(depth.height) / v.image_height;
    v.width = depth.width;
    v.height = depth.height;
    v.fx *= sx;
    v.cx *= sx;
    v.fy *= sy;
    v.cy *= sy;
    v.usable = true;
    v.consumed.assign((std::size_t(v.width) * v.height + 63) / 64, 0);
    const int step =
        std::max(1, static_cast<int>(std::sqrt(double(v.width) * v.height / kSurveySamples)));
    const Eigen::Matrix3d world_from_cam = v.rotation.transpose();
    for (int y = step / 2; y < v.height; y += step) {
      for (int x = step / 2; x < v.width; x += step) {
        const float d = depth.at(x, y);
        if (!(d > 0.0f) || !std::isfinite(d)) continue;
        const Eigen::Vector3d p = world_from_cam * (d * v.Ray(x, y).cast<double>() - v.translation);
        v.samples.push_back(p.cast<float>());
      }
    }
    progress.Advance();
  }
  progress.End();
}

/// Ranks every view's neighbours by the share of sampled points the two views both see.
void FindNeighbors(std::vector<View>& views, const FusionOptions& options) {
  const double cos_max_angle = std::cos(kMaxSurveyRayAngleDeg * std::numbers::pi / 180.0);
  const std::size_t n = views.size();
  // seen[i * n + j]: fraction of i's samples inside j's view.
  std::vector<float> seen(n * n, 0.0f);
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
    const View& a = views[i];
    if (!a.usable || a.samples.empty()) return;
    for (std::size_t j = 0; j < n; ++j) {
      const View& b = views[j];
      if (j == i || !b.usable) continue;
      std::size_t count = 0;
      for (const Eigen::Vector3f& s : a.samples) {
        const Eigen::Vector3d p = s.cast<double>();
        const Eigen::Vector3d q = b.rotation * p + b.translation;
        if (q.z() <= 0) continue;
        const double u = b.fx * q.x() / q.z() + b.cx, w = b.fy * q.y() / q.z() + b.cy;
        if (u < 0 || w < 0 || u >= b.width || w >= b.height) continue;
        const Eigen::Vector3d ra = (a.center - p).normalized(), rb = (b.center - p).normalized();
        if (ra.dot(rb) < cos_max_angle) continue;
        ++count;
      }
      seen[i * n + j] = static_cast<float>(double(count) / a.samples.size());
    }
  });
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::pair<float, int>> ranked;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      const float score = 0.5f * (seen[i * n + j] + seen[j * n + i]);
      if (score >= options.min_overlap) ranked.emplace_back(score, static_cast<int>(j));
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    if (ranked.size() > std::size_t(options.max_neighbors)) ranked.resize(options.max_neighbors);
    for (const auto& r : ranked) views[i].neighbors.push_back(r.second);
  }
  for (View& v : views) std::vector<Eigen::Vector3f>().swap(v.samples);
}

// ---- fusing one reference image ----------------------------------------------------------------

/// Per-pixel sums over the consistent neighbours of the current reference (reference frame).
struct Accumulators {
  std::vector<Eigen::Vector3f> position, normal;
  std::vector<std::array<std::uint16_t, 3>> color;
  std::vector<std::uint64_t> views;  ///< bit r: neighbour of rank r is consistent

  void Reset(std::size_t pixels) {
    position.assign(pixels, Eigen::Vector3f::Zero());
    normal.assign(pixels, Eigen::Vector3f::Zero());
    color.assign(pixels, {0, 0, 0});
    views.assign(pixels, 0);
  }
  std::uint64_t Bytes() const {
    return position.capacity() * sizeof(Eigen::Vector3f) * 2 + color.capacity() * sizeof(color[0]) +
           views.capacity() * 8;
  }
};

/// Relative pose of a neighbour: X_nb = m * X_ref + t (camera frames).
struct RelativePose {
  Eigen::Matrix3f m;
  Eigen::Vector3f t;
};
RelativePose Relative(const View& ref, const View& nb) {
  const Eigen::Matrix3d m = nb.rotation * ref.rotation.transpose();
  return {m.cast<float>(), (nb.translation - m * ref.translation).cast<float>()};
}

/// The neighbour pixel that the ref-frame point `x_ref` lands on, or -1; `x_nb` receives the
/// point in the neighbour's frame and `uv` its projection (pixels, 0.5-centred).
inline std::ptrdiff_t Land(const View& nb, const RelativePose& rel, const Eigen::Vector3f& x_ref,
                           Eigen::Vector3f* x_nb, Eigen::Vector2f* uv) {
  *x_nb = rel.m * x_ref + rel.t;
  if (x_nb->z() <= 0) return -1;
  const float u = static_cast<float>(nb.fx) * x_nb->x() / x_nb->z() + static_cast<float>(nb.cx);
  const float w = static_cast<float>(nb.fy) * x_nb->y() / x_nb->z() + static_cast<float>(nb.cy);
  if (!(u >= 0 && w >= 0 && u < nb.width && w < nb.height)) return -1;
  *uv = Eigen::Vector2f(u, w);
  return std::ptrdiff_t(static_cast<int>(w)) * nb.width + static_cast<int>(u);
}

/// The neighbour's depth at the sub-pixel position `uv`: bilinear over the four nearest pixel
/// centres when they are all valid and agree within `tolerance` (relative), else the depth of
/// the nearest pixel `nearest`. Comparing against the interpolated depth removes the
/// discretisation error (up to half a pixel times the depth gradient) on slanted surfaces.
inline float DepthAt(const View& nb, const Entry& ne, const Eigen::Vector2f& uv,
                     std::ptrdiff_t nearest, float tolerance) {
  const float fx = uv.x() - 0.5f, fy = uv.y() - 0.5f;
  const int x0 = static_cast<int>(std::floor(fx)), y0 = static_cast<int>(std::floor(fy));
  if (x0 < 0 || y0 < 0 || x0 + 1 >= nb.width || y0 + 1 >= nb.height) return ne.depth[nearest];
  const float* row0 = &ne.depth[std::size_t(y0) * nb.width + x0];
  const float* row1 = row0 + nb.width;
  const float d00 = row0[0], d10 = row0[1], d01 = row1[0], d11 = row1[1];
  const float lo = std::min(std::min(d00, d10), std::min(d01, d11));
  const float hi = std::max(std::max(d00, d10), std::max(d01, d11));
  if (lo == 0.0f || hi - lo > tolerance * lo) return ne.depth[nearest];
  const float a = fx - float(x0), b = fy - float(y0);
  return (1 - b) * ((1 - a) * d00 + a * d10) + b * ((1 - a) * d01 + a * d11);
}

struct Output {
  std::vector<Vec3f> points, normals;
  std::vector<Color3u8> colors;
  std::vector<std::uint64_t> vis_offsets{0};  ///< CSR: point i's views are [o[i], o[i+1])
  std::vector<std::uint32_t> vis_ids;
};

void FuseReference(std::vector<View>& views, int ref_index, MapCache& cache, Accumulators& acc,
                   const FusionOptions& options, Output& out) {
  View& ref = views[ref_index];
  const std::size_t pixels = std::size_t(ref.width) * ref.height;
  std::vector<int> neighbors;
  for (int j : ref.neighbors) {
    if (views[j].usable && !views[j].visited) neighbors.push_back(j);
  }
  acc.Reset(pixels);
  const float max_depth_error = static_cast<float>(options.max_depth_error);
  const float max_reproj_sq =
      static_cast<float>(options.max_reproj_error * options.max_reproj_error);
  const float min_cos_normal =
      static_cast<float>(std::cos(options.max_normal_error * std::numbers::pi / 180.0));
  // A small positive floor: at 90 degrees only normals facing away are excluded.
  const float min_cos_view = std::max(
      1e-6f, static_cast<float>(std::cos(options.max_grazing_angle * std::numbers::pi / 180.0)));
  const float rfx = static_cast<float>(ref.fx), rfy = static_cast<float>(ref.fy);
  const float rcx = static_cast<float>(ref.cx), rcy = static_cast<float>(ref.cy);

  for (std::size_t rank = 0; rank < neighbors.size(); ++rank) {
    CheckInterrupted();
    const View& nb = views[neighbors[rank]];
    const Entry& re = cache.Get(ref_index);
    const Entry& ne = cache.Get(neighbors[rank], ref_index);  // never evicts the reference
    const RelativePose rel = Relative(ref, nb);
    const Eigen::Matrix3f mt = rel.m.transpose();
    const std::uint64_t bit = std::uint64_t{1} << rank;
    tbb::parallel_for(tbb::blocked_range<int>(0, ref.height), [&](const auto& rows) {
      for (int y = rows.begin(); y < rows.end(); ++y) {
        for (int x = 0; x < ref.width; ++x) {
          const std::size_t p = std::size_t(y) * ref.width + x;
          const float d = re.depth[p];
          if (d == 0.0f || ref.Consumed(p)) continue;
          const Eigen::Vector3f n_ref = NormalAt(re, p);
          const Eigen::Vector3f ray = ref.Ray(x, y);
          if (n_ref.isZero() || !FacesRay(n_ref, ray, min_cos_view)) continue;
          Eigen::Vector3f x_nb;
          Eigen::Vector2f uv;
          const std::ptrdiff_t q = Land(nb, rel, d * ray, &x_nb, &uv);
          if (q < 0 || nb.Consumed(q)) continue;
          const float dq = ne.depth[q];
          if (dq == 0.0f) continue;
          const float d_at = DepthAt(nb, ne, uv, q, 2 * max_depth_error);
          if (std::abs(x_nb.z() - d_at) > max_depth_error * d_at) continue;
          const int qx = static_cast<int>(q % nb.width), qy = static_cast<int>(q / nb.width);
          const Eigen::Vector3f back = mt * (dq * nb.Ray(qx, qy) - rel.t);
          if (back.z() <= 0) continue;
          const float du = rfx * back.x() / back.z() + rcx - (x + 0.5f);
          const float dv = rfy * back.y() / back.z() + rcy - (y + 0.5f);
          if (du * du + dv * dv > max_reproj_sq) continue;
          const Eigen::Vector3f n_q = NormalAt(ne, q);
          if (!FacesRay(n_q, nb.Ray(qx, qy), min_cos_view)) continue;
          const Eigen::Vector3f n_nb = mt * n_q;
          if (n_nb.dot(n_ref) < min_cos_normal) continue;
          acc.position[p] += back;
          acc.normal[p] += n_nb;
          const std::uint8_t* c = ColorAt(nb, ne, qx, qy);
          for (int k = 0; k < 3; ++k) acc.color[p][k] += c[k];
          acc.views[p] |= bit;
        }
      }
    });
  }

  // Emit the points: count per row, then fill in row order (deterministic).
  const Entry& re = cache.Get(ref_index);
  const int min_views = options.min_views;
  auto keep = [&](std::size_t p) {
    if (re.depth[p] == 0.0f || ref.Consumed(p) || std::popcount(acc.views[p]) + 1 < min_views)
      return false;
    const int x = static_cast<int>(p % ref.width), y = static_cast<int>(p / ref.width);
    return FacesRay(NormalAt(re, p), ref.Ray(x, y), min_cos_view);
  };
  std::vector<std::uint64_t> row_points(ref.height + 1, 0), row_ids(ref.height + 1, 0);
  tbb::parallel_for(0, ref.height, [&](int y) {
    for (int x = 0; x < ref.width; ++x) {
      const std::size_t p = std::size_t(y) * ref.width + x;
      if (!keep(p)) continue;
      row_points[y + 1] += 1;
      row_ids[y + 1] += 1 + std::popcount(acc.views[p]);
    }
  });
  for (int y = 0; y < ref.height; ++y) {
    row_points[y + 1] += row_points[y];
    row_ids[y + 1] += row_ids[y];
  }
  const std::size_t first = out.points.size(), first_id = out.vis_ids.size();
  const std::size_t added = row_points.back();
  out.points.resize(first + added);
  out.normals.resize(first + added);
  out.colors.resize(first + added);
  out.vis_offsets.resize(first + added + 1);
  out.vis_ids.resize(first_id + row_ids.back());
  std::vector<std::uint32_t> source(added);  // ref pixel of each new point
  const Eigen::Matrix3d world_from_cam = ref.rotation.transpose();
  tbb::parallel_for(0, ref.height, [&](int y) {
    std::size_t i = first + row_points[y];
    std::size_t k = first_id + row_ids[y];
    for (int x = 0; x < ref.width; ++x) {
      const std::size_t p = std::size_t(y) * ref.width + x;
      if (!keep(p)) continue;
      const int count = 1 + std::popcount(acc.views[p]);
      const Eigen::Vector3f pos = (acc.position[p] + re.depth[p] * ref.Ray(x, y)) / float(count);
      const Eigen::Vector3f nrm = acc.normal[p] + NormalAt(re, p);
      const std::uint8_t* c = ColorAt(ref, re, x, y);
      out.points[i] = (world_from_cam * (pos.cast<double>() - ref.translation)).cast<float>();
      out.normals[i] = (world_from_cam.cast<float>() * nrm).normalized();
      for (int ch = 0; ch < 3; ++ch) {
        out.colors[i][ch] =
            static_cast<std::uint8_t>(std::lround(float(acc.color[p][ch] + c[ch]) / float(count)));
      }
      // Visibility: sorted image indices.
      const std::size_t begin = k;
      out.vis_ids[k++] = ref.index;
      for (std::uint64_t bits = acc.views[p]; bits != 0; bits &= bits - 1) {
        out.vis_ids[k++] = views[neighbors[std::countr_zero(bits)]].index;
      }
      std::sort(out.vis_ids.begin() + begin, out.vis_ids.begin() + k);
      out.vis_offsets[i + 1] = k;
      source[i - first] = static_cast<std::uint32_t>(p);
      ++i;
    }
  });

  // Consume the matched neighbour pixels (one task per neighbour: no shared writes).
  tbb::parallel_for(std::size_t{0}, neighbors.size(), [&](std::size_t rank) {
    View& nb = views[neighbors[rank]];
    const RelativePose rel = Relative(ref, nb);
    const std::uint64_t bit = std::uint64_t{1} << rank;
    for (const std::uint32_t p : source) {
      if (!(acc.views[p] & bit)) continue;
      const int x = static_cast<int>(p % ref.width), y = static_cast<int>(p / ref.width);
      Eigen::Vector3f x_nb;
      Eigen::Vector2f uv;
      const std::ptrdiff_t q = Land(nb, rel, re.depth[p] * ref.Ray(x, y), &x_nb, &uv);
      if (q >= 0) nb.Consume(q);
    }
  });
  ref.visited = true;
  std::vector<std::uint64_t>().swap(ref.consumed);
  cache.Evict(ref_index);  // a visited view is never read again
}

/// COLMAP's next-image rule: the best-overlapping unvisited neighbour, else the first unvisited.
int NextView(const std::vector<View>& views, int previous) {
  if (previous >= 0) {
    for (int j : views[previous].neighbors) {
      if (views[j].usable && !views[j].visited) return j;
    }
  }
  for (std::size_t i = 0; i < views.size(); ++i) {
    if (views[i].usable && !views[i].visited) return static_cast<int>(i);
  }
  return -1;
}

void WriteVisibility(const fs::path& path, const Output& out) {
  AtomicFile file(path);
  std::vector<char> buf;
  buf.reserve(1 << 20);
  auto put = [&](auto value) {
    const char* raw = reinterpret_cast<const char*>(&value);
    buf.insert(buf.end(), raw, raw + sizeof(value));
    if (buf.size() >= (1 << 20)) {
      file.stream().write(buf.data(), static_cast<std::streamsize>(buf.size()));
      buf.clear();
    }
  };
  const std::size_t n = out.points.size();
  put(std::uint64_t{n});
  for (std::size_t i = 0; i < n; ++i) {
    put(static_cast<std::uint32_t>(out.vis_offsets[i + 1] - out.vis_offsets[i]));
    for (std::uint64_t k = out.vis_offsets[i]; k < out.vis_offsets[i + 1]; ++k) {
      put(out.vis_ids[k]);
    }
  }
  file.stream().write(buf.data(), static_cast<std::streamsize>(buf.size()));
  file.Commit();
}

}  // namespace

std::vector<std::uint32_t> ImageIdsInFileOrder(const fs::path& sparse_dir,
                                               const SparseModel& model) {
  std::vector<std::uint32_t> ids;
  const fs::path bin = sparse_dir / "images.bin";
  if (fs::exists(sparse_dir / "cameras.bin") && fs::exists(bin)) {
    // Already validated by ReadSparseModel: walk the records for their ids.
    const std::vector<std::uint8_t> bytes = ReadFileBytes(bin);
    auto load = [&](std::size_t pos, auto value) {
      MUTA_CHECK(pos + sizeof(value) <= bytes.size()) << bin.string() << ": truncated";
      std::memcpy(&value, bytes.data() + pos, sizeof(value));
      return value;
    };
    static_assert(std::endian::native == std::endian::little, "COLMAP files are little-endian");
    const auto count = load(0, std::uint64_t{});
    std::size_t pos = 8;
    for (std::uint64_t i = 0; i < count; ++i) {
      ids.push_back(load(pos, std::uint32_t{}));
      pos += 4 + 7 * 8 + 4;  // id, qvec, tvec, camera_id
      while (pos < bytes.size() && bytes[pos] != 0) ++pos;
      pos += 1;  // name and its NUL
      const auto num_points = load(pos, std::uint64_t{});
      pos += 8 + num_points * 24;
    }
  } else {
    // images.txt: an image line (skipping blank and comment lines), then its points line.
    std::ifstream in(sparse_dir / "images.txt");
    std::string line;
    while (std::getline(in, line)) {
      const auto first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      ids.push_back(static_cast<std::uint32_t>(std::stoul(line.substr(first))));
      std::getline(in, line);
    }
  }
  std::vector<std::uint32_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::uint32_t> model_ids;
  for (const auto& [id, image] : model.images) model_ids.push_back(id);
  if (sorted != model_ids) {
    spdlog::warn("{}: could not follow the images file order; numbering images by id",
                 sparse_dir.string());
    return model_ids;
  }
  return ids;
}

void FusionOptions::Check() const {
  MUTA_CHECK(input_type == "geometric" || input_type == "photometric")
      << "fusion option input_type must be \"geometric\" or \"photometric\", not \"" << input_type
      << "\"";
  MUTA_CHECK(min_views >= 1 && min_views <= 65)
      << "fusion option min_views must be in 1..65, not " << min_views;
  MUTA_CHECK(max_neighbors >= 1 && max_neighbors <= 64)
      << "fusion option max_neighbors must be in 1..64, not " << max_neighbors;
  MUTA_CHECK(max_depth_error > 0 && max_depth_error < 1)
      << "fusion option max_depth_error must be in (0, 1), not " << max_depth_error;
  MUTA_CHECK(max_reproj_error > 0)
      << "fusion option max_reproj_error must be > 0 pixels, not " << max_reproj_error;
  MUTA_CHECK(max_normal_error > 0 && max_normal_error <= 180)
      << "fusion option max_normal_error must be in (0, 180] degrees, not " << max_normal_error;
  MUTA_CHECK(max_grazing_angle > 0 && max_grazing_angle <= 90)
      << "fusion option max_grazing_angle must be in (0, 90] degrees, not " << max_grazing_angle;
  MUTA_CHECK(min_overlap > 0 && min_overlap < 1)
      << "fusion option min_overlap must be in (0, 1), not " << min_overlap;
  MUTA_CHECK(cache_bytes >= (std::uint64_t{1} << 20))
      << "fusion option cache_bytes must be at least 1 MiB, not " << cache_bytes;
}

FusionOptions FusionPreset(std::string_view quality) {
  FusionOptions o;
  if (quality == "preview") {
    o.min_views = 2;
    o.max_neighbors = 8;
    o.max_normal_error = 15;
  } else if (quality == "standard") {
    // Measured on the 24-image pagoda (docs/fusion.md): our MVS's geometric filter keeps 47 %
    // of the pixels, and fusing its maps in 3 views gives F 0.78; the photometric maps fused in
    // 2 views give F 0.925 at the same precision (0.996).
    o.input_type = "photometric";
    o.min_views = 2;
  } else if (quality == "high") {
    o.max_neighbors = 32;
    o.max_depth_error = 0.005;
    o.max_reproj_error = 1.5;
  } else {
    MUTA_FAIL << "unknown quality \"" << quality << "\": use preview, standard or high";
  }
  return o;
}

Json FuseDepthMaps(const fs::path& dense_dir, const FusionOptions& options, Progress& progress) {
  options.Check();
  const auto start = std::chrono::steady_clock::now();
  MUTA_CHECK(fs::is_directory(dense_dir))
      << dense_dir.string() << ": no such dense workspace folder; run the undistort stage first";
  const SparseModel model = ReadSparseModel(dense_dir / "sparse");
  MUTA_CHECK(!model.images.empty())
      << (dense_dir / "sparse").string() << ": the model has no images; nothing to fuse";
  std::vector<View> views = MakeViews(dense_dir, model, options);
  Survey(views, options, progress);
  std::size_t usable = 0;
  std::uint64_t max_entry = 0;
  for (const View& v : views) {
    usable += v.usable;
    if (v.usable) max_entry = std::max(max_entry, v.EntryBytes());
  }
  MUTA_CHECK(usable > 0) << dense_dir.string() << ": no image has depth and normal maps of type "
                         << options.input_type << "; run the mvs stage first";
  MUTA_CHECK(options.cache_bytes >= 2 * max_entry)
      << "fusion option cache_bytes (" << options.cache_bytes << ") must hold at least two "
      << "images' maps and photographs: raise it to " << 2 * max_entry << " or more";
  FindNeighbors(views, options);
  const double survey_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  MapCache cache(views, options.cache_bytes);
  Accumulators acc;
  Output out;
  std::uint64_t working_peak = 0;
  progress.Begin("fusion", usable, "images");
  for (int ref = NextView(views, -1); ref >= 0; ref = NextView(views, ref)) {
    CheckInterrupted();
    FuseReference(views, ref, cache, acc, options, out);
    std::uint64_t masks = 0;
    for (const View& v : views) masks += v.consumed.capacity() * 8;
    working_peak = std::max(working_peak, acc.Bytes() + masks);
    progress.Advance();
  }
  progress.End();
  MUTA_CHECK(!out.points.empty())
      << dense_dir.string() << ": no point is consistent in " << options.min_views
      << " views; check that the depth maps overlap, or lower min_views";

  const fs::path ply = dense_dir / "fused.ply", vis = dense_dir / "fused.ply.vis";
  WriteVisibility(vis, out);
  const std::size_t num_points = out.points.size();
  const double mean_views = double(out.vis_ids.size()) / double(num_points);
  {
    PointCloud cloud;
    cloud.points = std::move(out.points);
    cloud.normals = std::move(out.normals);
    cloud.colors = std::move(out.colors);
    WritePly(ply, cloud);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Json figures = {{"points", num_points},
                  {"images", usable},
                  {"images_skipped", views.size() - usable},
                  {"mean_views", mean_views},
                  {"cache_peak_bytes", cache.peak()},
                  {"cache_budget_bytes", options.cache_bytes},
                  {"map_loads", cache.loads()},
                  {"working_peak_bytes", working_peak},
                  {"survey_seconds", survey_seconds},
                  {"seconds", seconds},
                  {"input_type", options.input_type},
                  {"output", ply.string()},
                  {"visibility", vis.string()}};
  spdlog::info("fusion: {} points from {} images ({:.2f} views per point) in {:.1f} s", num_points,
               usable, mean_views, seconds);
  return figures;
}

}  // namespace muta::reconstruct
