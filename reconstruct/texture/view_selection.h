#pragma once
// Per-face view selection for texturing (internal to reconstruct/texture; docs/texture.md).
//
// Data term (Waechter et al. 2014, "GMI"): for each face and each view that sees it, the
// quality q = projected area (pixels^2) x (mean gradient magnitude of the grey image over the
// projected face + a small floor), so sharp and close views win and flat regions still prefer
// resolution. A view sees a face when the face lies in front of the camera, projects inside
// the image, faces the camera (cosine above a threshold) and the ray from the camera centre to
// the face's centroid hits nothing else (RayBvh::Occluded). Of those, views that also see all
// three corners (points 90 % of the way from the centroid) come first: a partly hidden view
// only serves a face no view sees whole. Optionally, views whose colour of the face is an
// outlier among the views' (a moving object) are dropped first (PhotoConsistentViews).
// MRF: labels are views; the data cost is 1 - q / q_best of the face; a Potts term costs
// `smoothness` per pair of edge-neighbouring faces with different views. Minimised by min-sum
// loopy belief propagation on the sparse label sets (synchronous, damped), decoded by minimum
// belief and polished by two ICM sweeps.

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "core/image_io.h"
#include "core/mesh.h"
#include "reconstruct/texture/texture.h"

namespace muta {
class RayBvh;
}

namespace muta::reconstruct::tex {

/// A pair of faces sharing the mesh edge (a, b) (original vertex ids).
struct FaceEdge {
  std::uint32_t f1, f2;
  std::uint32_t a, b;
};

/// Face neighbours through shared edges (CSR), and the shared edges themselves. A non-manifold
/// edge links its faces in a chain.
struct FaceAdjacency {
  std::vector<std::uint32_t> offsets;    ///< NumFaces() + 1
  std::vector<std::uint32_t> neighbors;  ///< neighbours of face f: [offsets[f], offsets[f+1])
  std::vector<FaceEdge> edges;           ///< each adjacent pair once
};
FaceAdjacency BuildFaceAdjacency(const Mesh& mesh);

/// Candidate views per face (CSR), best first.
struct FaceCandidates {
  std::vector<std::uint32_t> offsets;  ///< NumFaces() + 1
  std::vector<std::int32_t> views;     ///< view index
  std::vector<float> quality;          ///< q (pixels^2 x grey levels per pixel)
  /// Per face and candidate: ground sampling distance (scene units per pixel) at the face.
  std::vector<float> gsd;
  std::size_t visible_pairs = 0;  ///< (face, view) pairs that passed visibility
  std::size_t occlusion_tests = 0;
  /// (face, view) pairs dropped as photo-inconsistent (TextureOptions::exclude_outlier_views).
  std::size_t excluded_pairs = 0;
  /// When views were dropped as photo-inconsistent: per face (CSR, NumFaces() + 1 offsets) the
  /// views that see it before that exclusion, best first – the voters of the consensus median,
  /// which is robust to a minority of outliers; empty otherwise (the voters are `views`).
  std::vector<std::uint32_t> consensus_offsets;
  std::vector<std::int32_t> consensus_views;
  /// (face, view) pairs whose centroid is visible but a corner hidden, among the views tried.
  std::size_t partly_hidden_pairs = 0;
};

/// Photo-consistency of one face's views (Waechter et al. 2014, section 4): `colours` are the
/// face's mean colours in each view (RGB levels). The mode of the colours is found by mean
/// shift (Gaussian kernel, 20 levels); views farther than 3 bandwidths from it are outliers.
/// Returns 1 per view to keep. With fewer than 3 views, or when the inliers are not a clear
/// majority (at least 2 and at least two thirds of the views), every view is kept.
std::vector<std::uint8_t> PhotoConsistentViews(const std::vector<Eigen::Vector3f>& colours);

/// Gradient magnitude of the grey version of `image` (central differences, grey levels per
/// pixel), row-major float.
std::vector<float> GradientMagnitude(const Image& image);

FaceCandidates ComputeCandidates(const Mesh& mesh, const RayBvh& bvh,
                                 const std::vector<TextureView>& views,
                                 const TextureOptions& options, Progress& progress);

struct ViewSelection {
  std::vector<std::int32_t> labels;  ///< per face: view index, -1 none
  double energy_best_view = 0;       ///< MRF energy of "every face its best view"
  double energy = 0;                 ///< MRF energy of the result
  int iterations = 0;
};

ViewSelection SelectViews(const FaceCandidates& candidates, const FaceAdjacency& adjacency,
                          const TextureOptions& options);

/// Bilinear RGB sample at pixel coordinates with COLMAP's convention (centre of the top-left
/// pixel at (0.5, 0.5)), clamped to the image.
Eigen::Vector3f SampleBilinear(const Image& image, double x, double y);

/// Camera-frame projection helper: false when the point is behind the camera.
bool ProjectToPixel(const TextureView& view, const Eigen::Vector3d& world, Eigen::Vector2d* pixel,
                    double* depth);

}  // namespace muta::reconstruct::tex
