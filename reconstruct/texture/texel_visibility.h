#pragma once
// Per-texel visibility for baking (internal to reconstruct/texture; docs/texture.md, "Baking").
//
// View selection decides per face (view_selection.h): a wall face that a railing bar hides in
// part of the chosen view still takes that view, and the bar's colour ends up on the wall. When
// baking, every texel's surface point is therefore tested on its own against a depth map of the
// mesh in the view (rasterised on the CPU at the photograph's resolution: the nearest surface's
// camera z at each pixel centre). The colour is the bilinear sample of the photograph at the
// point's projection, using only the taps (the 2 x 2 pixel centres around it) whose depth agrees
// with the face's plane at that tap – so a sample never straddles a depth step into another
// surface. A point is seen in a view when the agreeing taps carry at least half the bilinear
// weight; if the chart's view does not see it, the face's other candidate views are tried in the
// order of the data term, then the views the candidate list left out (partly hidden ones – the
// views that see around the occluder – and those below the data term's cut) that face the face,
// the largest projection first. A point no view sees keeps the best partial sample, or else the
// chart view's plain bilinear sample.

#include <cmath>
#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "core/mesh.h"
#include "reconstruct/texture/texture.h"
#include "reconstruct/texture/view_selection.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct::tex {

/// Camera z (scene units) of the nearest surface at each pixel centre of one view; +inf where
/// no face is drawn. Empty when the view was not needed.
struct ViewDepth {
  int width = 0, height = 0;
  std::vector<float> depth;  ///< row-major
  bool Empty() const { return depth.empty(); }
  float at(int x, int y) const { return depth[std::size_t(y) * width + x]; }
};

/// Rasterises every face of `mesh` (both sides; clipped at a near plane) into the views with
/// `needed[v] != 0`, in parallel over views.
std::vector<ViewDepth> RasterizeDepths(const Mesh& mesh, const std::vector<TextureView>& views,
                                       const std::vector<std::uint8_t>& needed, Progress& progress);

/// Depth agreement of a tap with the face's plane: |tap depth - plane depth| <= kDepthRelative x
/// depth + kDepthPixels x the pixel's footprint (depth / focal length).
inline constexpr double kDepthRelative = 0.002;
inline constexpr double kDepthPixels = 1.0;

/// The plane through a surface point in one view's camera frame, for testing the depth map's
/// pixels around the point's projection.
struct PlaneInView {
  double fx, fy, cx, cy;  ///< the view's pinhole
  Eigen::Vector3d n;      ///< unit normal, camera frame
  double c;               ///< n . X = c on the plane
  double z;               ///< the point's depth
  double footprint;       ///< a pixel's footprint per unit depth
  PlaneInView(const Camera& camera, const Eigen::Vector3d& normal_cam,
              const Eigen::Vector3d& point_cam)
      : fx(camera.FocalX()),
        fy(camera.FocalY()),
        cx(camera.PrincipalX()),
        cy(camera.PrincipalY()),
        n(normal_cam),
        c(normal_cam.dot(point_cam)),
        z(point_cam.z()),
        footprint(2.0 / (fx + fy)) {}
  /// Whether pixel (x, y) of `depth` (inside it) shows this plane: the plane's depth along the
  /// ray through the pixel's centre (near the plane's horizon, grazing: the point's own depth)
  /// agrees with the depth map's within kDepthRelative x depth + kDepthPixels x footprint.
  bool Agrees(const ViewDepth& depth, int x, int y) const {
    const Eigen::Vector3d ray((x + 0.5 - cx) / fx, (y + 0.5 - cy) / fy, 1.0);
    const double denom = n.dot(ray);
    double plane_z = std::abs(denom) > 1e-12 ? c / denom : z;
    if (!(plane_z > 0.5 * z && plane_z < 2.0 * z)) plane_z = z;
    const double tolerance = kDepthRelative * plane_z + kDepthPixels * plane_z * footprint;
    return std::abs(double(depth.at(x, y)) - plane_z) <= tolerance;
  }
};

/// A colour of one view at a surface point.
struct VisibleSample {
  Eigen::Vector3f rgb = Eigen::Vector3f::Zero();
  float weight = 0;  ///< bilinear weight of the taps that agree in depth, [0, 1]
};

/// The photograph of `view` at the projection of `point` (world), which lies on the plane
/// through it with world normal `normal` (unit): bilinear over the taps whose depth in `depth`
/// agrees with that plane, renormalised. weight 0 when the point is behind the camera, outside
/// the image, or no tap agrees (hidden).
VisibleSample SampleVisible(const TextureView& view, const ViewDepth& depth,
                            const Eigen::Vector3d& point, const Eigen::Vector3d& normal);

/// Faces no view was chosen for (`labels` -1: their centroid is hidden in every view, or they
/// had no candidate) of which a part is seen by the depth maps: four sample points (the centroid
/// and the points 80 % of the way to each corner) are tested with SampleVisible in every view the
/// face faces (cosine above `min_view_cosine`); views seeing at least one point become the face's
/// candidates (at most `max_views`, most points seen first, then the larger projected area) and
/// the face takes the first ("rescued"). Then, in up to kAdoptRounds rounds, a face still without
/// a view tries the views of its edge neighbours (`adjacency`) without the facing test – small
/// faces that a surface's noise turned away from every camera – and takes one that sees at least
/// kAdoptMinSeen of its points ("adopted"). `candidates` is rebuilt with the views found
/// (quality: the projected area; gsd filled). Faces seen by no view stay neutral.
struct RescuedFaces {
  std::size_t rescued = 0;
  std::size_t adopted = 0;
};
inline constexpr int kAdoptRounds = 8;
inline constexpr int kAdoptMinSeen = 1;
RescuedFaces RescueHiddenFaces(const Mesh& mesh, const std::vector<TextureView>& views,
                               const std::vector<ViewDepth>& depths, const FaceAdjacency& adjacency,
                               double min_view_cosine, int max_views,
                               std::vector<std::int32_t>& labels, FaceCandidates& candidates);

/// What the baker needs for per-texel visibility (atlas.h BakeAtlas).
struct TexelVisibility {
  const Mesh* mesh = nullptr;                  ///< the input mesh
  const FaceCandidates* candidates = nullptr;  ///< per face, best first
  std::vector<ViewDepth> depths;               ///< per view
  /// A texel whose point at least 3 of the face's candidate views see (the chart's view
  /// among them) takes the per-channel median of their samples (TextureOptions::consensus).
  bool consensus = false;
};

/// A sample counts as seen when its agreeing taps carry at least this much weight.
inline constexpr float kSeenWeight = 0.5f;

}  // namespace muta::reconstruct::tex
