#pragma once
// Global seam levelling (Waechter et al. 2014, section 5.1; internal to reconstruct/texture).
//
// Unknowns: an additive RGB offset g per output vertex (a vertex copy per chart), interpolated
// linearly over each face when baking. Along every chart border (mesh edge whose two faces are
// in different textured charts) the colours of both sides are sampled at 1/6, 1/2 and 5/6 of the
// edge in their views; the offsets should cancel the differences:
//   min  sum_samples |f1 + g1(t) - f2 - g2(t)|^2  +  lambda sum_chart_edges |g_i - g_j|^2
//        + eps sum |g|^2
// (g(t) = (1 - t) g_a + t g_b along the edge; eps fixes vertices no seam constrains at 0). The
// normal equations are sparse, symmetric positive definite and solved per channel by conjugate
// gradients (Eigen, Jacobi preconditioner, the three channels in parallel).
//
// "Colour step across chart borders" = mean over all border samples of |f1 - f2| (before) and
// |f1 + g1 - f2 - g2| (after), averaged over R, G, B, in 8-bit levels.

#include <cstddef>
#include <vector>

#include <Eigen/Core>

#include "reconstruct/texture/atlas.h"

namespace muta::reconstruct::tex {

struct SeamLeveling {
  std::vector<Eigen::Vector3f> offsets;  ///< per output vertex (empty when not solved)
  double step_before = 0;                ///< 8-bit levels
  double step_after = 0;
  std::size_t seam_edges = 0;
  std::size_t samples = 0;
  std::size_t unknowns = 0;
  int iterations = 0;  ///< conjugate-gradient iterations (largest over the channels)
};

/// Measures the colour steps along chart borders and, when `solve` is set, computes the
/// offsets that level them.
SeamLeveling LevelSeams(const ChartLayout& layout, const FaceAdjacency& adjacency,
                        const std::vector<TextureView>& views, double lambda, bool solve);

}  // namespace muta::reconstruct::tex
