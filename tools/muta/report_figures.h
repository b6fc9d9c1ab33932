#pragma once
// Pictures for report.html (report.h): colour-mapped depth and normal maps, and headless
// renders of a sparse model (points and camera frusta) and of a mesh. Internal to the CLI.

#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "core/colmap_model.h"
#include "core/depth_map_io.h"
#include "core/image_io.h"
#include "core/mesh.h"

namespace muta::cli::report {

/// Near and far depth of a depth map: the 2nd and 98th percentiles of its valid pixels
/// (finite and > 0), in the model's units; nullopt when no pixel is valid.
std::optional<std::pair<float, float>> RobustDepthRange(const FloatMap& depth);

/// Fraction of a depth map's pixels that hold a depth, in [0, 1].
double ValidFraction(const FloatMap& depth);

/// A depth map colour-mapped linearly in inverse depth from `near` (yellow) through green and
/// blue to `far` (dark violet), clamped; pixels without depth are dark grey. Same size as the map.
Image ColorizeDepth(const FloatMap& depth, float near, float far);

/// The colour bar of ColorizeDepth, near on the left, far on the right (linear in inverse
/// depth: the middle is at 2 / (1/near + 1/far)).
Image DepthLegend(int width, int height);

/// A normal map (3 channels, unit normals in COLMAP's camera frame: x right, y down, z forward)
/// as RGB = 0.5 + 0.5 * (x, -y, -z), so a surface facing the camera is blue, one facing up is
/// green and one facing right is red; pixels without a normal are dark grey.
Image ColorizeNormals(const FloatMap& normals);

/// `image` scaled down to `max_width` pixels wide, aspect kept; a narrower image is returned
/// unchanged.
Image Thumbnail(const Image& image, int max_width);

/// A view around a scene's bounding sphere: azimuth about +z (0 looks from -y towards +y),
/// elevation above the horizon (90 = straight down), degrees. Scenes are z-up.
struct OrbitView {
  const char* name;
  double azimuth_deg;
  double elevation_deg;
};

inline constexpr OrbitView kTopView = {"top", 0, 90};
inline constexpr OrbitView kThreeQuarterView = {"three-quarter", 35, 25};
inline constexpr OrbitView kFrontView = {"front", 0, 8};

/// Headless renders (EGL; llvmpipe needs no GPU). The GL context is created on first use, so
/// a report without anything to render never needs OpenGL. Throws muta::Error when OpenGL is
/// unavailable.
class ViewRenderer {
 public:
  ViewRenderer(int width, int height);
  ~ViewRenderer();
  ViewRenderer(const ViewRenderer&) = delete;
  ViewRenderer& operator=(const ViewRenderer&) = delete;

  /// The sparse model's points (as small octahedra, at least about 4 pixels wide, in their
  /// colours) and its cameras (as red frusta) from each view. Each view fits the box spanned by
  /// the 2nd–98th percentiles of the points and the camera centres, so a few far outliers do
  /// not shrink the model to a dot. width x height images, sRGB.
  std::vector<Image> RenderSparse(const SparseModel& model, std::span<const OrbitView> views);

  /// The mesh (vertex colours if it has them, else clay) from each view, fitting its bounding
  /// box, with sun shadows.
  std::vector<Image> RenderMesh(const Mesh& mesh, std::span<const OrbitView> views);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace muta::cli::report
