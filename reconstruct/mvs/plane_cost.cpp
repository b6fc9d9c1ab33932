#include "reconstruct/mvs/plane_cost.h"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MUTA_MVS_X86 1
#endif

#include "core/error.h"

namespace muta::reconstruct {

Eigen::Matrix3f IndexK(const Eigen::Matrix3d& K_colmap) {
  Eigen::Matrix3f K = K_colmap.cast<float>();
  K(0, 2) -= 0.5f;
  K(1, 2) -= 0.5f;
  return K;
}

SourceGeometry MakeSourceGeometry(const Eigen::Matrix3f& K_ref, const Rigid3d& ref_from_world,
                                  const Eigen::Matrix3f& K_src, const Rigid3d& src_from_world) {
  const Rigid3d src_from_ref = src_from_world * ref_from_world.Inverse();
  SourceGeometry g;
  g.R = src_from_ref.rotation.toRotationMatrix().cast<float>();
  g.t = src_from_ref.translation.cast<float>();
  g.K = K_src;
  g.K_inv = K_src.inverse();
  g.A = K_src * g.R * K_ref.inverse();
  g.b = K_src * g.t;
  return g;
}

std::array<float, 9> PlaneHomography(const SourceGeometry& geometry,
                                     const Eigen::Matrix3f& K_ref_inv, float x, float y,
                                     float depth, const Eigen::Vector3f& normal) {
  const Eigen::Vector3f ray = K_ref_inv * Eigen::Vector3f(x, y, 1.0f);
  const float rho = depth * normal.dot(ray);
  const Eigen::Vector3f m = K_ref_inv.transpose() * normal / rho;
  std::array<float, 9> H;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) H[3 * r + c] = geometry.A(r, c) + geometry.b(r) * m(c);
  }
  return H;
}

WindowPattern MakeWindowPattern(int radius, int step, float sigma_spatial) {
  MUTA_CHECK(radius >= 1 && step >= 1 && step <= radius)
      << "window radius " << radius << " and step " << step << " do not make a window";
  WindowPattern p;
  // With more than 32 samples the four corners (the smallest spatial weights) are left out,
  // so that the common 11x11 window with step 2 (36 samples) fills exactly four 8-wide steps.
  const int per_side = 2 * radius / step + 1;
  const bool skip_corners = per_side * per_side > 32 && (per_side * per_side - 4) % 8 == 0;
  const int last = -radius + (per_side - 1) * step;
  for (int dy = -radius; dy <= radius; dy += step) {
    for (int dx = -radius; dx <= radius; dx += step) {
      if (skip_corners && (dx == -radius || dx == last) && (dy == -radius || dy == last)) continue;
      p.dx.push_back(float(dx));
      p.dy.push_back(float(dy));
      p.spatial.push_back(
          std::exp(-float(dx * dx + dy * dy) / (2 * sigma_spatial * sigma_spatial)));
    }
  }
  p.count = int(p.dx.size());
  MUTA_CHECK(p.count <= kMaxWindowSamples)
      << "window of radius " << radius << " and step " << step << " has " << p.count
      << " samples, more than " << kMaxWindowSamples << "; use a larger step";
  return p;
}

void ComputeRefPatch(const GrayImage& ref, int x, int y, const WindowPattern& pattern,
                     float sigma_color, float min_stddev, RefPatch& patch) {
  patch.x = float(x);
  patch.y = float(y);
  const float centre = ref.pixels[std::size_t(y) * ref.width + x];
  const float inv_2sc2 = 1.0f / (2 * sigma_color * sigma_color);
  float sum_w = 0, sum_wi = 0;
  const int n = pattern.count;
  float values[kMaxWindowSamples];
  for (int k = 0; k < n; ++k) {
    const int sx = std::clamp(x + int(pattern.dx[k]), 0, ref.width - 1);
    const int sy = std::clamp(y + int(pattern.dy[k]), 0, ref.height - 1);
    const float v = ref.pixels[std::size_t(sy) * ref.width + sx];
    const float d = v - centre;
    const float w = pattern.spatial[k] * std::exp(-d * d * inv_2sc2);
    values[k] = v;
    patch.dx[k] = pattern.dx[k];
    patch.dy[k] = pattern.dy[k];
    patch.w[k] = w;
    sum_w += w;
    sum_wi += w * v;
  }
  const float mean = sum_wi / sum_w;
  float var = 0;
  for (int k = 0; k < n; ++k) {
    const float d = values[k] - mean;
    patch.wr[k] = patch.w[k] * d;
    var += patch.w[k] * d * d;
  }
  const int padded = (n + 7) / 8 * 8;
  for (int k = n; k < padded; ++k) {
    patch.dx[k] = patch.dy[k] = patch.w[k] = patch.wr[k] = 0;
  }
  patch.count = padded;
  patch.weight_sum = sum_w;
  patch.ref_var = var;
  patch.textured = var / sum_w >= min_stddev * min_stddev;
}

namespace {

// The centre of the warped window must land inside the source, in front of it.
bool CentreInside(const RefPatch& patch, const std::array<float, 9>& H, const GrayImage& src) {
  const float qz = H[6] * patch.x + H[7] * patch.y + H[8];
  if (!(qz > 1e-6f)) return false;
  const float u = (H[0] * patch.x + H[1] * patch.y + H[2]) / qz;
  const float v = (H[3] * patch.x + H[4] * patch.y + H[5]) / qz;
  return u >= 0 && v >= 0 && u <= float(src.width - 1) && v <= float(src.height - 1);
}

float NccFromSums(const RefPatch& patch, float sum_ws, float sum_wss, float sum_wrs) {
  const float var_s = sum_wss - sum_ws * sum_ws / patch.weight_sum;
  const float denom = patch.ref_var * var_s;
  if (!(denom > 1e-12f) || var_s < 1e-7f * patch.weight_sum) return kMaxCost;
  const float ncc = sum_wrs / std::sqrt(denom);
  return 1.0f - std::clamp(ncc, -1.0f, 1.0f);
}

#ifdef MUTA_MVS_X86
__attribute__((target("avx2,fma"))) float PatchCostAvx2(const RefPatch& patch,
                                                        const std::array<float, 9>& H,
                                                        const GrayImage& src) {
  const __m256 x = _mm256_set1_ps(patch.x), y = _mm256_set1_ps(patch.y);
  const __m256 h0 = _mm256_set1_ps(H[0]), h1 = _mm256_set1_ps(H[1]), h2 = _mm256_set1_ps(H[2]);
  const __m256 h3 = _mm256_set1_ps(H[3]), h4 = _mm256_set1_ps(H[4]), h5 = _mm256_set1_ps(H[5]);
  const __m256 h6 = _mm256_set1_ps(H[6]), h7 = _mm256_set1_ps(H[7]), h8 = _mm256_set1_ps(H[8]);
  const __m256 umax = _mm256_set1_ps(float(src.width - 1) - 1e-3f);
  const __m256 vmax = _mm256_set1_ps(float(src.height - 1) - 1e-3f);
  const __m256 zero = _mm256_setzero_ps();
  const __m256 eps = _mm256_set1_ps(1e-6f);
  const __m256i stride = _mm256_set1_epi32(src.width);
  const __m256i perm = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
  __m256 s1 = zero, s2 = zero, s3 = zero;
  for (int k = 0; k < patch.count; k += 8) {
    const __m256 px = _mm256_add_ps(x, _mm256_load_ps(patch.dx + k));
    const __m256 py = _mm256_add_ps(y, _mm256_load_ps(patch.dy + k));
    const __m256 qx = _mm256_fmadd_ps(h0, px, _mm256_fmadd_ps(h1, py, h2));
    const __m256 qy = _mm256_fmadd_ps(h3, px, _mm256_fmadd_ps(h4, py, h5));
    const __m256 qz = _mm256_max_ps(_mm256_fmadd_ps(h6, px, _mm256_fmadd_ps(h7, py, h8)), eps);
    const __m256 iz = _mm256_div_ps(_mm256_set1_ps(1.0f), qz);
    const __m256 u = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(qx, iz), zero), umax);
    const __m256 v = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(qy, iz), zero), vmax);
    const __m256i ix = _mm256_cvttps_epi32(u);
    const __m256i iy = _mm256_cvttps_epi32(v);
    const __m256 fx = _mm256_sub_ps(u, _mm256_cvtepi32_ps(ix));
    const __m256 fy = _mm256_sub_ps(v, _mm256_cvtepi32_ps(iy));
    // Each 64-bit gather fetches two horizontally adjacent pixels (half the gathered elements
    // of four 32-bit gathers). The indices are permuted so that the even/odd split below
    // returns the samples in their original order.
    const __m256i idx =
        _mm256_permutevar8x32_epi32(_mm256_add_epi32(_mm256_mullo_epi32(iy, stride), ix), perm);
    const __m256i idx2 = _mm256_add_epi32(idx, stride);
    const auto* base = reinterpret_cast<const long long*>(src.pixels);
    const __m256 top_lo =
        _mm256_castsi256_ps(_mm256_i32gather_epi64(base, _mm256_castsi256_si128(idx), 4));
    const __m256 top_hi =
        _mm256_castsi256_ps(_mm256_i32gather_epi64(base, _mm256_extracti128_si256(idx, 1), 4));
    const __m256 bot_lo =
        _mm256_castsi256_ps(_mm256_i32gather_epi64(base, _mm256_castsi256_si128(idx2), 4));
    const __m256 bot_hi =
        _mm256_castsi256_ps(_mm256_i32gather_epi64(base, _mm256_extracti128_si256(idx2, 1), 4));
    const __m256 a = _mm256_shuffle_ps(top_lo, top_hi, _MM_SHUFFLE(2, 0, 2, 0));
    const __m256 b = _mm256_shuffle_ps(top_lo, top_hi, _MM_SHUFFLE(3, 1, 3, 1));
    const __m256 c = _mm256_shuffle_ps(bot_lo, bot_hi, _MM_SHUFFLE(2, 0, 2, 0));
    const __m256 d = _mm256_shuffle_ps(bot_lo, bot_hi, _MM_SHUFFLE(3, 1, 3, 1));
    const __m256 top = _mm256_fmadd_ps(fx, _mm256_sub_ps(b, a), a);
    const __m256 bottom = _mm256_fmadd_ps(fx, _mm256_sub_ps(d, c), c);
    const __m256 s = _mm256_fmadd_ps(fy, _mm256_sub_ps(bottom, top), top);
    const __m256 w = _mm256_load_ps(patch.w + k);
    const __m256 ws = _mm256_mul_ps(w, s);
    s1 = _mm256_add_ps(s1, ws);
    s2 = _mm256_fmadd_ps(ws, s, s2);
    s3 = _mm256_fmadd_ps(_mm256_load_ps(patch.wr + k), s, s3);
  }
  alignas(32) float r1[8], r2[8], r3[8];
  _mm256_store_ps(r1, s1);
  _mm256_store_ps(r2, s2);
  _mm256_store_ps(r3, s3);
  float sum_ws = 0, sum_wss = 0, sum_wrs = 0;
  for (int i = 0; i < 8; ++i) {
    sum_ws += r1[i];
    sum_wss += r2[i];
    sum_wrs += r3[i];
  }
  return NccFromSums(patch, sum_ws, sum_wss, sum_wrs);
}

bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}
#endif

}  // namespace

float PatchCostScalar(const RefPatch& patch, const std::array<float, 9>& H, const GrayImage& src) {
  if (!patch.textured || !CentreInside(patch, H, src)) return kMaxCost;
  const float umax = float(src.width - 1) - 1e-3f;
  const float vmax = float(src.height - 1) - 1e-3f;
  float sum_ws = 0, sum_wss = 0, sum_wrs = 0;
  for (int k = 0; k < patch.count; ++k) {
    const float px = patch.x + patch.dx[k];
    const float py = patch.y + patch.dy[k];
    const float qx = H[0] * px + H[1] * py + H[2];
    const float qy = H[3] * px + H[4] * py + H[5];
    const float qz = std::max(H[6] * px + H[7] * py + H[8], 1e-6f);
    const float iz = 1.0f / qz;
    const float u = std::min(std::max(qx * iz, 0.0f), umax);
    const float v = std::min(std::max(qy * iz, 0.0f), vmax);
    const int ix = int(u);
    const int iy = int(v);
    const float fx = u - float(ix);
    const float fy = v - float(iy);
    const float* p = src.pixels + std::size_t(iy) * src.width + ix;
    const float top = p[0] + fx * (p[1] - p[0]);
    const float bottom = p[src.width] + fx * (p[src.width + 1] - p[src.width]);
    const float s = top + fy * (bottom - top);
    const float ws = patch.w[k] * s;
    sum_ws += ws;
    sum_wss += ws * s;
    sum_wrs += patch.wr[k] * s;
  }
  return NccFromSums(patch, sum_ws, sum_wss, sum_wrs);
}

float PatchCost(const RefPatch& patch, const std::array<float, 9>& H, const GrayImage& src) {
#ifdef MUTA_MVS_X86
  if (HasAvx2()) {
    if (!patch.textured || !CentreInside(patch, H, src)) return kMaxCost;
    return PatchCostAvx2(patch, H, src);
  }
#endif
  return PatchCostScalar(patch, H, src);
}

}  // namespace muta::reconstruct
