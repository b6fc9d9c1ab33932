// PatchMatch core: random initialisation, red-black propagation with per-pixel view
// selection, random refinement, coarse-to-fine, geometric pass and filtering.
#include "reconstruct/mvs/patch_match.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "core/error.h"
#include "core/progress.h"
#include "reconstruct/mvs/plane_cost.h"

namespace muta::reconstruct {

namespace {

constexpr int kMaxSources = 32;
constexpr int kMaxCandidates = 9;

// ---- random numbers: a stateless hash per pixel and step, so results do not depend on
// thread scheduling.
std::uint64_t Mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Rng {
  std::uint64_t state;
  Rng(std::uint64_t seed, std::uint64_t pixel, std::uint64_t step)
      : state(Mix(seed ^ Mix(pixel ^ Mix(step)))) {}
  std::uint32_t Next() {
    state = Mix(state);
    return std::uint32_t(state >> 32);
  }
  float Uniform() { return float(Next() >> 8) * (1.0f / 16777216.0f); }  // [0, 1)
  float Symmetric() { return 2.0f * Uniform() - 1.0f; }                  // [-1, 1)
};

struct Plane {
  float depth = 0;
  Eigen::Vector3f normal = Eigen::Vector3f(0, 0, -1);
};

// One scale of the problem: images and geometry in index coordinates.
struct Level {
  const MvsView* ref = nullptr;
  GrayImage ref_image;
  Eigen::Matrix3f K_ref, K_ref_inv;
  std::vector<GrayImage> src_images;
  std::vector<SourceGeometry> geometry;
  int num_sources = 0;
  float depth_min = 0, depth_max = 0;
};

Level MakeLevel(const MvsView& ref, const std::vector<MvsView>& sources, double depth_min,
                double depth_max) {
  Level L;
  L.ref = &ref;
  L.ref_image = {ref.gray.data(), ref.width, ref.height};
  L.K_ref = IndexK(ref.K);
  L.K_ref_inv = L.K_ref.inverse();
  for (const MvsView& s : sources) {
    L.src_images.push_back({s.gray.data(), s.width, s.height});
    L.geometry.push_back(
        MakeSourceGeometry(L.K_ref, ref.cam_from_world, IndexK(s.K), s.cam_from_world));
  }
  L.num_sources = int(sources.size());
  L.depth_min = float(depth_min);
  L.depth_max = float(depth_max);
  return L;
}

// Source depth maps for the geometric term, with the scale from view to map pixels.
struct GeometricTerm {
  std::vector<const FloatMap*> depths;
  std::vector<Eigen::Vector2f> scale;  // map pixels per view pixel
  float weight = 0;
  float max_error = 0;
};

struct State {
  int width = 0, height = 0;
  std::vector<float> depth, cost;
  std::vector<Eigen::Vector3f> normal;
  std::vector<std::uint32_t> views;  // bit j: source j selected at the last update
  std::vector<std::uint8_t> textured;
  void Resize(int w, int h) {
    width = w;
    height = h;
    const std::size_t n = std::size_t(w) * h;
    depth.assign(n, 0.0f);
    cost.assign(n, kMaxCost);
    normal.assign(n, Eigen::Vector3f(0, 0, -1));
    views.assign(n, 0);
    textured.assign(n, 0);
  }
};

struct Params {
  WindowPattern pattern;
  float sigma_color = 0;
  float min_stddev = 0;
  int num_refinement = 0;
  std::uint64_t seed = 0;
};

Eigen::Vector3f Ray(const Level& L, float x, float y) {
  return L.K_ref_inv * Eigen::Vector3f(x, y, 1.0f);
}

// A plane hypothesis is usable at a pixel when its normal faces the camera and its depth lies
// in the range.
bool Valid(const Level& L, const Eigen::Vector3f& ray, const Plane& p) {
  return p.depth >= L.depth_min && p.depth <= L.depth_max &&
         p.normal.dot(ray) < -0.05f * ray.norm();
}

float RandomDepth(const Level& L, Rng& rng) {
  // Uniform in inverse depth (as disparity sampling in Gipuma): near depths get as many
  // samples per pixel of parallax as far ones.
  const float inv_min = 1.0f / L.depth_max, inv_max = 1.0f / L.depth_min;
  return 1.0f / (inv_min + rng.Uniform() * (inv_max - inv_min));
}

Eigen::Vector3f RandomNormal(const Eigen::Vector3f& ray, Rng& rng) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    Eigen::Vector3f n(rng.Symmetric(), rng.Symmetric(), rng.Symmetric());
    const float len = n.norm();
    if (len < 1e-3f || len > 1.0f) continue;
    n /= len;
    if (n.dot(ray) > 0) n = -n;
    if (n.dot(ray) < -0.1f * ray.norm()) return n;
  }
  return -ray.normalized();
}

Eigen::Vector3f PerturbNormal(const Eigen::Vector3f& n, float amount, Rng& rng) {
  return (n + amount * Eigen::Vector3f(rng.Symmetric(), rng.Symmetric(), rng.Symmetric()))
      .normalized();
}

// Forward-backward reprojection of the reference pixel (x, y) at `depth` through source j's
// depth map: the pixel error and the depth the source implies in the reference frame.
bool Reproject(const Level& L, const FloatMap& src_depth, const Eigen::Vector2f& map_scale, int j,
               float x, float y, float depth, float& error, float& back_depth) {
  const SourceGeometry& g = L.geometry[j];
  const Eigen::Vector3f X = depth * Ray(L, x, y);
  const Eigen::Vector3f Xs = g.R * X + g.t;
  if (Xs.z() <= 0) return false;
  const Eigen::Vector3f q = g.K * (Xs / Xs.z());
  const int mx = int(std::lround((q.x() + 0.5f) * map_scale.x() - 0.5f));
  const int my = int(std::lround((q.y() + 0.5f) * map_scale.y() - 0.5f));
  if (mx < 0 || my < 0 || mx >= src_depth.width || my >= src_depth.height) return false;
  const float ds = src_depth.at(mx, my);
  if (ds <= 0) return false;
  const Eigen::Vector3f Xb = ds * (g.K_inv * Eigen::Vector3f(q.x(), q.y(), 1.0f));
  const Eigen::Vector3f Xr = g.R.transpose() * (Xb - g.t);
  if (Xr.z() <= 0) return false;
  const Eigen::Vector3f p = L.K_ref * (Xr / Xr.z());
  error = std::hypot(p.x() - x, p.y() - y);
  back_depth = Xr.z();
  return true;
}

float GeometricCost(const Level& L, const GeometricTerm& geo, int j, float x, float y,
                    float depth) {
  const FloatMap* d = geo.depths[j];
  float error = geo.max_error, back = 0;
  if (d != nullptr && Reproject(L, *d, geo.scale[j], j, x, y, depth, error, back)) {
    error = std::min(error, geo.max_error);
  }
  return geo.weight * error;
}

// Per-view costs of one plane at the patch's pixel, for the views in `mask`.
void ViewCosts(const Level& L, const RefPatch& patch, const Eigen::Vector3f& ray, const Plane& p,
               const GeometricTerm* geo, std::uint32_t mask, float* costs) {
  const float rho = p.depth * p.normal.dot(ray);
  const Eigen::Vector3f m = L.K_ref_inv.transpose() * p.normal / rho;
  for (int j = 0; j < L.num_sources; ++j) {
    if (!(mask & (1u << j))) {
      costs[j] = kMaxCost;
      continue;
    }
    const SourceGeometry& g = L.geometry[j];
    std::array<float, 9> H;
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) H[3 * r + c] = g.A(r, c) + g.b(r) * m(c);
    }
    costs[j] = PatchCost(patch, H, L.src_images[j]);
    if (geo != nullptr) costs[j] += GeometricCost(L, *geo, j, patch.x, patch.y, p.depth);
  }
}

// The cost of a plane without a view selection: mean of the best half of the views.
float InitialCost(const float* costs, int n) {
  float sorted[kMaxSources];
  std::copy(costs, costs + n, sorted);
  const int k = std::max(1, (n + 1) / 2);
  std::partial_sort(sorted, sorted + k, sorted + n);
  float sum = 0;
  for (int i = 0; i < k; ++i) sum += sorted[i];
  return sum / k;
}

float Aggregate(const float* costs, const float* weights, int n) {
  float num = 0, den = 0;
  for (int j = 0; j < n; ++j) {
    num += weights[j] * costs[j];
    den += weights[j];
  }
  return den > 0 ? num / den : kMaxCost;
}

// Propagation regions (ACMH's adaptive checkerboard sampling), for the "up" direction; the
// other three are rotations. Every offset has an odd coordinate sum, so it lies on the other
// colour of the checkerboard.
struct Offset {
  int dx, dy;
};
constexpr Offset kNearUp[] = {{0, -1}, {-1, -2}, {1, -2}, {-2, -3}, {2, -3}, {-3, -4}, {3, -4}};
constexpr Offset kFarUp[] = {{0, -3},  {0, -5},  {0, -7},  {0, -9},  {0, -11}, {0, -13},
                             {0, -15}, {0, -17}, {0, -19}, {0, -21}, {0, -23}};

Offset Rotate(Offset o, int direction) {
  switch (direction) {
    case 0:
      return o;  // up
    case 1:
      return {o.dx, -o.dy};  // down
    case 2:
      return {o.dy, o.dx};  // left
    default:
      return {-o.dy, o.dx};  // right
  }
}

void InitPixel(const Level& L, const Params& P, const GeometricTerm* geo, State& S, int x, int y,
               bool keep, std::uint64_t step) {
  const std::size_t idx = std::size_t(y) * S.width + x;
  RefPatch patch;
  ComputeRefPatch(L.ref_image, x, y, P.pattern, P.sigma_color, P.min_stddev, patch);
  S.textured[idx] = patch.textured;
  S.views[idx] = 0;
  if (!patch.textured) {
    S.cost[idx] = kMaxCost;
    return;
  }
  const Eigen::Vector3f ray = Ray(L, float(x), float(y));
  Plane p{S.depth[idx], S.normal[idx]};
  if (!keep || !Valid(L, ray, p)) {
    Rng rng(P.seed, idx, step);
    p.depth = RandomDepth(L, rng);
    p.normal = RandomNormal(ray, rng);
  }
  S.depth[idx] = p.depth;
  S.normal[idx] = p.normal;
  float costs[kMaxSources];
  ViewCosts(L, patch, ray, p, geo, ~0u, costs);
  S.cost[idx] = InitialCost(costs, L.num_sources);
}

void UpdatePixel(const Level& L, const Params& P, const GeometricTerm* geo, State& S, int x, int y,
                 int iteration, float depth_perturbation, float normal_perturbation,
                 std::uint64_t step) {
  const std::size_t idx = std::size_t(y) * S.width + x;
  if (!S.textured[idx]) return;
  const int W = S.width, Ht = S.height;
  const int n = L.num_sources;
  const Eigen::Vector3f ray = Ray(L, float(x), float(y));

  // Candidates: the current plane and, from each of 8 regions of the other colour, the plane
  // of the neighbour with the lowest cost, moved to this pixel.
  Plane cand[kMaxCandidates];
  int nc = 0;
  cand[nc++] = {S.depth[idx], S.normal[idx]};
  for (int region = 0; region < 8; ++region) {
    const int direction = region & 3;
    const bool far = region >= 4;
    const Offset* offsets = far ? kFarUp : kNearUp;
    const int count = far ? int(std::size(kFarUp)) : int(std::size(kNearUp));
    float best = kMaxCost;
    std::size_t best_idx = 0;
    bool found = false;
    for (int k = 0; k < count; ++k) {
      const Offset o = Rotate(offsets[k], direction);
      const int nx = x + o.dx, ny = y + o.dy;
      if (nx < 0 || ny < 0 || nx >= W || ny >= Ht) continue;
      const std::size_t nidx = std::size_t(ny) * W + nx;
      if (S.cost[nidx] < best) {
        best = S.cost[nidx];
        best_idx = nidx;
        found = true;
      }
    }
    if (!found) continue;
    const int nx = int(best_idx % W), ny = int(best_idx / W);
    const Eigen::Vector3f& nn = S.normal[best_idx];
    const float rho = S.depth[best_idx] * nn.dot(Ray(L, float(nx), float(ny)));
    const float denom = nn.dot(ray);
    if (denom >= 0) continue;
    const Plane p{rho / denom, nn};
    if (!Valid(L, ray, p)) continue;
    bool duplicate = false;
    for (int i = 0; i < nc && !duplicate; ++i) {
      duplicate = cand[i].depth == p.depth && cand[i].normal == p.normal;
    }
    if (!duplicate) cand[nc++] = p;
  }

  RefPatch patch;
  ComputeRefPatch(L.ref_image, x, y, P.pattern, P.sigma_color, P.min_stddev, patch);
  float costs[kMaxCandidates][kMaxSources];
  for (int i = 0; i < nc; ++i) ViewCosts(L, patch, ray, cand[i], geo, ~0u, costs[i]);

  // Per-pixel view selection (ACMH): a view is selected when enough candidates match well in
  // it and few badly; its weight grows with how well they match, and views selected at this
  // pixel before are preferred.
  const float good = 0.8f * std::exp(-float(iteration * iteration) / 90.0f);
  const float bad = 1.2f;
  const int min_good = std::min(2, nc - 1);
  float weights[kMaxSources];
  std::uint32_t selected = 0;
  for (int j = 0; j < n; ++j) {
    int num_good = 0, num_bad = 0;
    float sum = 0;
    for (int i = 0; i < nc; ++i) {
      const float c = costs[i][j];
      if (c < good) {
        ++num_good;
        sum += std::exp(-c * c / (2 * 0.3f * 0.3f));
      } else if (c > bad) {
        ++num_bad;
      }
    }
    weights[j] = 0;
    if (num_good > min_good && num_bad < 3) {
      selected |= 1u << j;
      weights[j] = sum / num_good * ((S.views[idx] & (1u << j)) ? 1.0f : 0.2f);
    }
  }
  if (selected == 0) {
    // No view stands out yet: use the half of the views with the lowest best cost.
    float best_per_view[kMaxSources];
    for (int j = 0; j < n; ++j) {
      best_per_view[j] = kMaxCost;
      for (int i = 0; i < nc; ++i) best_per_view[j] = std::min(best_per_view[j], costs[i][j]);
    }
    float sorted[kMaxSources];
    std::copy(best_per_view, best_per_view + n, sorted);
    const int k = std::max(1, (n + 1) / 2);
    std::nth_element(sorted, sorted + (k - 1), sorted + n);
    for (int j = 0; j < n; ++j) weights[j] = best_per_view[j] <= sorted[k - 1] ? 1.0f : 0.0f;
  }

  int best = 0;
  float best_cost = Aggregate(costs[0], weights, n);
  for (int i = 1; i < nc; ++i) {
    const float c = Aggregate(costs[i], weights, n);
    if (c < best_cost) {
      best_cost = c;
      best = i;
    }
  }
  Plane current = cand[best];

  // Random refinement: perturbed and random depths and normals around the winner.
  if (P.num_refinement > 0) {
    std::uint32_t mask = 0;
    for (int j = 0; j < n; ++j) mask |= weights[j] > 0 ? (1u << j) : 0u;
    Rng rng(P.seed, idx, step);
    const float d_pert = current.depth * (1.0f + depth_perturbation * rng.Symmetric());
    const Eigen::Vector3f n_pert = PerturbNormal(current.normal, normal_perturbation, rng);
    const float d_rand = RandomDepth(L, rng);
    const Eigen::Vector3f n_rand = RandomNormal(ray, rng);
    const Plane trials[6] = {{d_pert, current.normal}, {current.depth, n_pert}, {d_pert, n_pert},
                             {d_rand, current.normal}, {current.depth, n_rand}, {d_rand, n_rand}};
    float trial_costs[kMaxSources];
    for (int t = 0; t < std::min(P.num_refinement, 6); ++t) {
      const Plane& p = trials[t];
      if (!Valid(L, ray, p)) continue;
      ViewCosts(L, patch, ray, p, geo, mask, trial_costs);
      const float c = Aggregate(trial_costs, weights, n);
      if (c < best_cost) {
        best_cost = c;
        current = p;
      }
    }
  }
  S.depth[idx] = current.depth;
  S.normal[idx] = current.normal;
  S.cost[idx] = best_cost;
  S.views[idx] = selected;
}

template <typename F>
void ForEachPixel(int width, int height, F&& f) {
  tbb::parallel_for(tbb::blocked_range<int>(0, height, 4), [&](const tbb::blocked_range<int>& r) {
    for (int y = r.begin(); y != r.end(); ++y) {
      for (int x = 0; x < width; ++x) f(x, y);
    }
  });
}

// Red-black iterations: all pixels of one colour update in parallel from the other colour.
void RunIterations(const Level& L, const Params& P, const GeometricTerm* geo, State& S,
                   int iterations, int first_iteration, float depth_perturbation,
                   float normal_perturbation, std::uint64_t step_base) {
  for (int it = 0; it < iterations; ++it) {
    const float scale = std::pow(0.5f, float(it));
    for (int colour = 0; colour < 2; ++colour) {
      CheckInterrupted();
      const std::uint64_t step = step_base + std::uint64_t(it) * 2 + colour;
      tbb::parallel_for(
          tbb::blocked_range<int>(0, S.height, 2), [&](const tbb::blocked_range<int>& r) {
            for (int y = r.begin(); y != r.end(); ++y) {
              for (int x = (y + colour) & 1; x < S.width; x += 2) {
                UpdatePixel(L, P, geo, S, x, y, first_iteration + it, depth_perturbation * scale,
                            normal_perturbation * scale, step);
              }
            }
          });
    }
  }
}

Params MakeParams(const PatchMatchOptions& options) {
  Params P;
  P.pattern =
      MakeWindowPattern(options.window_radius, options.window_step, float(options.sigma_spatial));
  P.sigma_color = float(options.sigma_color);
  P.min_stddev = float(options.min_patch_stddev);
  P.num_refinement = options.num_refinement_hypotheses;
  P.seed = options.seed;
  return P;
}

void CheckProblem(const MvsProblem& problem) {
  MUTA_CHECK(!problem.sources.empty() && int(problem.sources.size()) <= kMaxSources)
      << problem.reference.name << ": " << problem.sources.size()
      << " source views; PatchMatch needs 1 to " << kMaxSources;
  MUTA_CHECK(problem.depth_min > 0 && problem.depth_max > problem.depth_min)
      << problem.reference.name << ": bad depth range [" << problem.depth_min << ", "
      << problem.depth_max << "]";
  MUTA_CHECK(problem.reference.width >= 2 && problem.reference.height >= 2)
      << problem.reference.name << ": image too small";
  for (const MvsView& s : problem.sources) {
    MUTA_CHECK(s.width >= 2 && s.height >= 2) << s.name << ": image too small";
  }
}

DepthEstimate ToEstimate(const State& S) {
  DepthEstimate e;
  e.depth = FloatMap(S.width, S.height, 1);
  e.normal = FloatMap(S.width, S.height, 3);
  e.cost = FloatMap(S.width, S.height, 1, kMaxCost);
  for (std::size_t i = 0; i < S.depth.size(); ++i) {
    if (!S.textured[i] || S.cost[i] >= kMaxCost) continue;
    e.depth.data[i] = S.depth[i];
    for (int c = 0; c < 3; ++c) e.normal.data[3 * i + c] = S.normal[i][c];
    e.cost.data[i] = S.cost[i];
  }
  return e;
}

// The state of a finer level from the coarser one: each pixel takes the plane of the coarse
// pixel it lies in (the plane, not the depth, so slanted surfaces stay exact).
void Upsample(const Level& coarse, const State& C, const Level& fine, State& F) {
  F.Resize(fine.ref->width, fine.ref->height);
  for (int y = 0; y < F.height; ++y) {
    for (int x = 0; x < F.width; ++x) {
      const int cx = std::min(x / 2, C.width - 1), cy = std::min(y / 2, C.height - 1);
      const std::size_t ci = std::size_t(cy) * C.width + cx;
      const std::size_t fi = std::size_t(y) * F.width + x;
      if (!C.textured[ci] || C.cost[ci] >= kMaxCost) {
        F.depth[fi] = 0;
        continue;
      }
      const Eigen::Vector3f& n = C.normal[ci];
      const float rho = C.depth[ci] * n.dot(Ray(coarse, float(cx), float(cy)));
      const float denom = n.dot(Ray(fine, float(x), float(y)));
      F.depth[fi] = denom < 0 ? rho / denom : 0.0f;
      F.normal[fi] = n;
    }
  }
}

}  // namespace

DepthEstimate EstimateDepthMap(const MvsProblem& problem, const PatchMatchOptions& options) {
  options.Check();
  CheckProblem(problem);
  const Params P = MakeParams(options);

  // Image pyramids: level 0 is the input size.
  int num_levels = options.num_scales;
  while (num_levels > 1 &&
         std::min(problem.reference.width, problem.reference.height) >> (num_levels - 1) < 32) {
    --num_levels;
  }
  std::vector<MvsView> refs{problem.reference};
  std::vector<std::vector<MvsView>> sources{problem.sources};
  for (int l = 1; l < num_levels; ++l) {
    refs.push_back(HalveView(refs.back()));
    std::vector<MvsView> halved;
    for (const MvsView& s : sources.back()) halved.push_back(HalveView(s));
    sources.push_back(std::move(halved));
  }

  State state;
  std::uint64_t step = 0;
  for (int l = num_levels - 1; l >= 0; --l) {
    const Level L = MakeLevel(refs[l], sources[l], problem.depth_min, problem.depth_max);
    const bool coarsest = l == num_levels - 1;
    if (!coarsest) {
      const Level coarse =
          MakeLevel(refs[l + 1], sources[l + 1], problem.depth_min, problem.depth_max);
      State fine;
      Upsample(coarse, state, L, fine);
      state = std::move(fine);
    } else {
      state.Resize(L.ref->width, L.ref->height);
    }
    ForEachPixel(state.width, state.height,
                 [&](int x, int y) { InitPixel(L, P, nullptr, state, x, y, !coarsest, step); });
    ++step;
    const int iterations = coarsest ? options.num_iterations : options.num_fine_iterations;
    const float level_scale = coarsest ? 1.0f : 0.5f;
    RunIterations(L, P, nullptr, state, iterations, coarsest ? 0 : options.num_iterations,
                  float(options.depth_perturbation) * level_scale,
                  float(options.normal_perturbation) * level_scale, step);
    step += 2 * std::uint64_t(iterations);
  }
  return ToEstimate(state);
}

DepthEstimate RefineDepthMapGeometric(const MvsProblem& problem, const DepthEstimate& initial,
                                      const PatchMatchOptions& options) {
  options.Check();
  CheckProblem(problem);
  MUTA_CHECK(problem.source_depths.size() == problem.sources.size())
      << problem.reference.name << ": the geometric pass needs the depth map of every source";
  MUTA_CHECK(initial.depth.width == problem.reference.width &&
             initial.depth.height == problem.reference.height && initial.normal.channels == 3)
      << problem.reference.name << ": initial depth map is " << initial.depth.width << "x"
      << initial.depth.height << ", the image " << problem.reference.width << "x"
      << problem.reference.height;
  const Params P = MakeParams(options);
  const Level L =
      MakeLevel(problem.reference, problem.sources, problem.depth_min, problem.depth_max);
  GeometricTerm geo;
  geo.weight = float(options.geometric_weight);
  geo.max_error = float(options.geometric_max_error);
  for (std::size_t j = 0; j < problem.sources.size(); ++j) {
    const FloatMap& d = problem.source_depths[j];
    const MvsView& s = problem.sources[j];
    geo.depths.push_back(d.width > 0 && d.channels == 1 ? &d : nullptr);
    geo.scale.emplace_back(float(d.width) / s.width, float(d.height) / s.height);
  }
  State S;
  S.Resize(L.ref->width, L.ref->height);
  for (std::size_t i = 0; i < S.depth.size(); ++i) {
    S.depth[i] = initial.depth.data[i];
    const Eigen::Vector3f n(initial.normal.data[3 * i], initial.normal.data[3 * i + 1],
                            initial.normal.data[3 * i + 2]);
    if (n.squaredNorm() > 0.5f) S.normal[i] = n.normalized();
  }
  const std::uint64_t step = 1000;
  ForEachPixel(S.width, S.height,
               [&](int x, int y) { InitPixel(L, P, &geo, S, x, y, true, step); });
  RunIterations(L, P, &geo, S, options.num_geometric_iterations, options.num_iterations + 1,
                float(options.depth_perturbation) * 0.25f,
                float(options.normal_perturbation) * 0.25f, step + 1);
  return ToEstimate(S);
}

std::vector<int> CountConsistentViews(const MvsProblem& problem, const FloatMap& depth,
                                      const PatchMatchOptions& options) {
  CheckProblem(problem);
  MUTA_CHECK(problem.source_depths.size() == problem.sources.size())
      << problem.reference.name << ": consistency needs the depth map of every source";
  const Level L =
      MakeLevel(problem.reference, problem.sources, problem.depth_min, problem.depth_max);
  std::vector<int> counts(depth.data.size(), 0);
  const float max_error = float(options.filter_max_reprojection_error);
  const float max_diff = float(options.filter_max_depth_difference);
  ForEachPixel(depth.width, depth.height, [&](int x, int y) {
    const std::size_t i = std::size_t(y) * depth.width + x;
    const float d = depth.data[i];
    if (d <= 0) return;
    int count = 0;
    for (int j = 0; j < L.num_sources; ++j) {
      const FloatMap& sd = problem.source_depths[j];
      if (sd.width == 0) continue;
      const Eigen::Vector2f scale(float(sd.width) / problem.sources[j].width,
                                  float(sd.height) / problem.sources[j].height);
      float error = 0, back = 0;
      if (Reproject(L, sd, scale, j, float(x), float(y), d, error, back) && error <= max_error &&
          std::abs(back - d) <= max_diff * d) {
        ++count;
      }
    }
    counts[i] = count;
  });
  return counts;
}

std::size_t FilterDepthMap(const MvsProblem& problem, const PatchMatchOptions& options,
                           DepthEstimate& estimate) {
  const std::vector<int> counts = CountConsistentViews(problem, estimate.depth, options);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (estimate.depth.data[i] <= 0) continue;
    if (counts[i] >= options.filter_min_consistent_views &&
        estimate.cost.data[i] <= options.filter_max_cost) {
      ++kept;
      continue;
    }
    estimate.depth.data[i] = 0;
    estimate.cost.data[i] = kMaxCost;
    for (int c = 0; c < 3; ++c) estimate.normal.data[3 * i + c] = 0;
  }
  return kept;
}

}  // namespace muta::reconstruct
