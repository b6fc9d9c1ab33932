#include "tools/muta/eval_texture_images.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <spdlog/spdlog.h>
#include <tbb/parallel_for.h>

#include "core/error.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/workspace.h"
#include "reconstruct/sfm.h"
#include "render/renderer.h"

namespace muta::cli::texture_eval {
namespace {

// Separable 11-tap Gaussian (sigma 1.5) blur, borders clamped.
std::vector<float> Blur(const std::vector<float>& in, int w, int h) {
  static const std::array<float, 11> kernel = [] {
    std::array<float, 11> k{};
    float sum = 0;
    for (int i = 0; i < 11; ++i) sum += k[i] = std::exp(-float((i - 5) * (i - 5)) / (2 * 2.25f));
    for (float& v : k) v /= sum;
    return k;
  }();
  std::vector<float> tmp(in.size()), out(in.size());
  tbb::parallel_for(0, h, [&](int y) {
    for (int x = 0; x < w; ++x) {
      float s = 0;
      for (int i = 0; i < 11; ++i)
        s += kernel[i] * in[std::size_t(y) * w + std::clamp(x + i - 5, 0, w - 1)];
      tmp[std::size_t(y) * w + x] = s;
    }
  });
  tbb::parallel_for(0, h, [&](int y) {
    for (int x = 0; x < w; ++x) {
      float s = 0;
      for (int i = 0; i < 11; ++i)
        s += kernel[i] * tmp[std::size_t(std::clamp(y + i - 5, 0, h - 1)) * w + x];
      out[std::size_t(y) * w + x] = s;
    }
  });
  return out;
}

}  // namespace

Score Compare(const Image& rendered, const Image& photo, const std::vector<std::uint8_t>& mask) {
  const int w = photo.width, h = photo.height;
  Score s;
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) continue;
    ++s.pixels;
    for (int c = 0; c < 3; ++c) {
      const double d = double(rendered.pixels[i * rendered.channels + c]) -
                       double(photo.pixels[i * photo.channels + c]);
      s.sq_err += d * d;
    }
  }
  // SSIM (Wang et al. 2004) on luma with the usual constants for 8-bit data.
  const std::vector<float> a = Luma(rendered), b = Luma(photo);
  std::vector<float> aa(a.size()), bb(a.size()), ab(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    aa[i] = a[i] * a[i];
    bb[i] = b[i] * b[i];
    ab[i] = a[i] * b[i];
  }
  const std::vector<float> ma = Blur(a, w, h), mb = Blur(b, w, h), saa = Blur(aa, w, h),
                           sbb = Blur(bb, w, h), sab = Blur(ab, w, h);
  constexpr double kC1 = (0.01 * 255) * (0.01 * 255), kC2 = (0.03 * 255) * (0.03 * 255);
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) continue;
    const double mu_a = ma[i], mu_b = mb[i];
    const double var_a = std::max(0.0, saa[i] - mu_a * mu_a);
    const double var_b = std::max(0.0, sbb[i] - mu_b * mu_b);
    const double cov = sab[i] - mu_a * mu_b;
    s.ssim += ((2 * mu_a * mu_b + kC1) * (2 * cov + kC2)) /
              ((mu_a * mu_a + mu_b * mu_b + kC1) * (var_a + var_b + kC2));
  }
  return s;
}

Shift BestShift(const Image& rendered, const Image& photo, const std::vector<std::uint8_t>& mask) {
  const int w = photo.width, h = photo.height;
  Shift best;
  double best_err = -1;
  for (int dy = -2; dy <= 2; ++dy) {
    for (int dx = -2; dx <= 2; ++dx) {
      double err = 0;
      std::size_t n = 0;
      for (int y = 2; y < h - 2; ++y) {
        for (int x = 2; x < w - 2; ++x) {
          if (!mask[std::size_t(y) * w + x]) continue;
          ++n;
          for (int c = 0; c < 3; ++c) {
            const double d = double(rendered.at(x + dx, y + dy, c)) - double(photo.at(x, y, c));
            err += d * d;
          }
        }
      }
      if (n > 0 && (best_err < 0 || err < best_err)) {
        best_err = err;
        best = {dx, dy, Score::PsnrOf(err, n)};
      }
    }
  }
  return best;
}

void UndistortForLocalised(const Camera& distorted, const Camera& pinhole, Image& photo,
                           std::vector<std::uint8_t>& mask) {
  const int w = photo.width, h = photo.height, ch = photo.channels;
  Image out(w, h, ch);
  std::vector<std::uint8_t> out_mask(mask.size(), 0);
  tbb::parallel_for(0, h, [&](int y) {
    for (int x = 0; x < w; ++x) {
      const Eigen::Vector3d ray = pinhole.Unproject(Eigen::Vector2d(x + 0.5, y + 0.5));
      const Eigen::Vector2d src = distorted.Project(ray) - Eigen::Vector2d(0.5, 0.5);
      const int nx = int(std::lround(src.x())), ny = int(std::lround(src.y()));
      if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
      out_mask[std::size_t(y) * w + x] = mask[std::size_t(ny) * w + nx];
      const int x0 = std::clamp(int(std::floor(src.x())), 0, w - 1);
      const int y0 = std::clamp(int(std::floor(src.y())), 0, h - 1);
      const int x1 = std::min(x0 + 1, w - 1), y1 = std::min(y0 + 1, h - 1);
      const double fx = std::clamp(src.x() - x0, 0.0, 1.0), fy = std::clamp(src.y() - y0, 0.0, 1.0);
      for (int c = 0; c < ch; ++c) {
        const double v = (1 - fy) * ((1 - fx) * photo.at(x0, y0, c) + fx * photo.at(x1, y0, c)) +
                         fy * ((1 - fx) * photo.at(x0, y1, c) + fx * photo.at(x1, y1, c));
        out.at(x, y, c) = static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  });
  photo = std::move(out);
  mask = std::move(out_mask);
}

std::vector<std::uint8_t> InteriorMask(const FloatMap& depth) {
  const int w = depth.width, h = depth.height;
  std::vector<std::uint8_t> edge(std::size_t(w) * h, 0);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const float d = depth.data[std::size_t(y) * w + x];
      if (!(d > 0)) continue;
      for (const auto& [dx, dy] : {std::pair{1, 0}, std::pair{0, 1}}) {
        const int nx = x + dx, ny = y + dy;
        if (nx >= w || ny >= h) continue;
        const float e = depth.data[std::size_t(ny) * w + nx];
        if (!(e > 0) || std::abs(e - d) > 0.02f * std::min(e, d)) {
          edge[std::size_t(y) * w + x] = edge[std::size_t(ny) * w + nx] = 1;
        }
      }
    }
  }
  std::vector<std::uint8_t> interior(edge.size(), 0);
  tbb::parallel_for(0, h, [&](int y) {
    for (int x = 0; x < w; ++x) {
      if (!(depth.data[std::size_t(y) * w + x] > 0)) continue;
      bool near = false;
      for (int dy = -kEdgeRadius; dy <= kEdgeRadius && !near; ++dy) {
        for (int dx = -kEdgeRadius; dx <= kEdgeRadius && !near; ++dx) {
          const int nx = x + dx, ny = y + dy;
          near = nx < 0 || ny < 0 || nx >= w || ny >= h || edge[std::size_t(ny) * w + nx];
        }
      }
      interior[std::size_t(y) * w + x] = near ? 0 : 1;
    }
  });
  return interior;
}

Image Triptych(const std::vector<const Image*>& parts, const std::vector<std::uint8_t>& mask) {
  const Image& photo = *parts[0];
  const int w = photo.width, h = photo.height;
  const int n = int(parts.size());
  Image out(n * w, h, 3);
  for (int k = 0; k < n; ++k) {
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const bool in = mask[std::size_t(y) * w + x] != 0;
        for (int c = 0; c < 3; ++c) {
          const int v = parts[k]->at(x, y, c);
          out.at(k * w + x, y, c) = static_cast<std::uint8_t>(in ? v : v / 3);
        }
      }
    }
  }
  return out;
}

Image ErrorMaps(const Image& photo, const std::vector<const Image*>& renders,
                const std::vector<std::uint8_t>& mask) {
  const int w = photo.width, h = photo.height;
  Image out(int(renders.size()) * w, h, 3);
  for (std::size_t k = 0; k < renders.size(); ++k) {
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        if (!mask[std::size_t(y) * w + x]) continue;
        for (int c = 0; c < 3; ++c) {
          const int d = std::abs(int(renders[k]->at(x, y, c)) - int(photo.at(x, y, c)));
          out.at(int(k) * w + x, y, c) = static_cast<std::uint8_t>(std::min(255, 2 * d));
        }
      }
    }
  }
  return out;
}

std::vector<render::SceneObject> ModelObjects(EvalModels models) {
  std::vector<render::SceneObject> objects(2);
  objects[0].mesh = std::move(models.textured.mesh);
  objects[0].texture = std::move(models.textured.base_color_texture);
  objects[0].repeat_texture = false;
  objects[1].mesh = std::move(models.coloured);
  return objects;
}

render::RenderOptions UnlitOptions(double far_m) {
  render::RenderOptions o;
  o.lighting.sun_intensity = 0;
  o.lighting.shadows = false;
  o.lighting.ambient_intensity = 1;
  o.lighting.sky_color = o.lighting.ground_color = Eigen::Vector3f::Ones();
  o.lighting.background = Eigen::Vector3f::Zero();
  o.exact_colors = true;  // no highlight shoulder: the texels' colours as they are
  o.near_m = 0.05;
  o.far_m = far_m;
  o.Check();
  return o;
}

std::vector<std::uint8_t> DrawnByBoth(const std::vector<std::uint8_t>& mask, const FloatMap& a,
                                      const FloatMap& b) {
  std::vector<std::uint8_t> out(mask.size());
  for (std::size_t i = 0; i < mask.size(); ++i) out[i] = mask[i] && a.data[i] > 0 && b.data[i] > 0;
  return out;
}

int SfmFeatureSize(const std::filesystem::path& ws) {
  const std::filesystem::path job_file = ws / "muta.job.json";
  if (!std::filesystem::is_regular_file(job_file)) return 0;
  try {
    const Job job = JobFromJson(ReadJsonFile(job_file), job_file.string());
    for (const StageRecord& stage : job.stages) {
      if (stage.name == "sfm" && stage.figures.contains("sift_max_image_size")) {
        return stage.figures["sift_max_image_size"].get<int>();
      }
    }
    if (job.properties.contains("quality")) {
      return reconstruct::SfmPreset(job.properties["quality"].get<std::string>())
          .sift_max_image_size;
    }
  } catch (const std::exception& e) {
    spdlog::warn("{}: {}; the photographs' features are extracted at their own size",
                 job_file.string(), e.what());
  }
  return 0;
}

bool HasSparseModel(const std::filesystem::path& dir) {
  return std::filesystem::exists(dir / "cameras.bin") ||
         std::filesystem::exists(dir / "cameras.txt");
}

void CheckEvalWorkspace(const std::filesystem::path& ws, const std::string& arg) {
  namespace fs = std::filesystem;
  const fs::path dense = ws / "dense";
  MUTA_CHECK(fs::is_directory(ws)) << "workspace not found: " << arg << " (-w)";
  MUTA_CHECK(fs::is_regular_file(dense / "textured.glb"))
      << (dense / "textured.glb").string()
      << " not found: the workspace has no textured model; run muta texture -w " << arg
      << " (or muta reconstruct through the texture stage) first";
  MUTA_CHECK(fs::is_regular_file(dense / "mesh.ply"))
      << (dense / "mesh.ply").string()
      << " not found: the vertex-coloured mesh is the baseline; run the mesh stage (muta "
         "reconstruct -w "
      << arg << " --to mesh)";
  MUTA_CHECK(HasSparseModel(dense / "sparse"))
      << (dense / "sparse").string()
      << ": no cameras of the reconstruction (cameras.bin/txt); run the undistort stage";
}

EvalModels ReadEvalModels(const std::filesystem::path& ws, const std::string& arg) {
  const std::filesystem::path dense = ws / "dense";
  EvalModels m;
  m.textured = ReadGlb(dense / "textured.glb");
  MUTA_CHECK(m.textured.base_color_texture && !m.textured.mesh.uvs.empty())
      << (dense / "textured.glb").string()
      << " has no base colour texture; make it with muta texture -w " << arg;
  m.coloured = ReadPlyMesh(dense / "mesh.ply");
  MUTA_CHECK(!m.coloured.colors.empty())
      << (dense / "mesh.ply").string() << " has no vertex colours, so there is no baseline";
  return m;
}

}  // namespace muta::cli::texture_eval
