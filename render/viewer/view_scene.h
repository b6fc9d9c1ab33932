#pragma once
// What the viewer shows, behind one interface: a site bundle (streamed tiles), a plain mesh
// (PLY/GLB) or a point cloud (PLY without faces). Loading is split in two so that bad files
// are reported before a window opens: LoadModel reads and checks the input (no GL), then
// CreateScene uploads it (needs the window's current GL 4.5 context).
//
// Frames: world z-up metres; cameras are COLMAP's cam_from_world.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <Eigen/Core>

#include "core/camera.h"
#include "core/json.h"
#include "core/mesh.h"
#include "core/pose.h"
#include "render/point_renderer.h"
#include "render/renderer.h"

namespace muta::render::viewer {

/// Everything that changes how the scene is drawn.
struct ViewSettings {
  RenderOptions render;          ///< lighting, layers, section planes, near/far (meshes, sites)
  PointRenderOptions points;     ///< splat size, eye-dome lighting (clouds); planes copied in
  double pick_cone_rad = 0.005;  ///< clouds: how far off the ray a point may be picked
};

struct SceneStats {
  std::int64_t triangles_drawn = 0;
  std::int64_t points_drawn = 0;
  int tiles_resident = -1;  ///< -1: not a tiled site
  int tiles_loading = 0;
  std::size_t gpu_bytes = 0;  ///< resident geometry and textures
  double select_ms = 0;       ///< LOD selection + culling (tiled sites)
};

struct SceneHit {
  Eigen::Vector3d point = Eigen::Vector3d::Zero();    ///< world, z-up metres
  Eigen::Vector3d normal = Eigen::Vector3d::UnitZ();  ///< unit, facing the viewer
  double distance = 0;                                ///< along the ray, metres
  std::optional<Provenance> provenance;               ///< meshes and sites
  float confidence = 1;
  bool snapped = false;  ///< moved onto a triangle corner (SnapToVertex)
};

/// The CPU side of a model: read and checked, not yet uploaded.
struct LoadedModel {
  enum class Kind { kSite, kMesh, kCloud } kind = Kind::kMesh;
  std::filesystem::path path;      ///< what the user gave
  std::filesystem::path site_dir;  ///< sites: the bundle folder
  std::filesystem::path tileset;   ///< sites: tileset.json
  std::optional<Json> site_json;   ///< sites: site.json when present
  Mesh mesh;                       ///< meshes (and sites until tiles stream)
  std::optional<Image> texture;    ///< meshes: base colour texture
  PointCloud cloud;                ///< clouds
  std::string Describe() const;    ///< "site pagoda: 31 tiles", "mesh.ply: 12 triangles", ...
};

/// Reads PATH: a site folder or its tileset.json/site.json, a .ply mesh or point cloud, a
/// .glb mesh. Throws muta::Error naming the file (missing, unknown type, corrupt, empty).
LoadedModel LoadModel(const std::filesystem::path& path);

class ViewScene {
 public:
  virtual ~ViewScene() = default;
  virtual Box3f Bounds() const = 0;
  /// Faces carry provenance (the layer controls apply).
  virtual bool HasProvenance() const = 0;
  virtual bool IsPointCloud() const { return false; }
  /// Once per frame before Draw (tile selection and streaming); may throw a tile's error after
  /// doing the frame's work.
  virtual void Update(const Camera& camera, const Rigid3d& cam_from_world) = 0;
  /// As Update, but waits until everything wanted for this camera is drawn (screenshots).
  virtual void UpdateComplete(const Camera& camera, const Rigid3d& cam_from_world) {
    Update(camera, cam_from_world);
  }
  /// Draws into the bound draw framebuffer (the window) over fb_width x fb_height pixels.
  virtual void Draw(const Camera& camera, const Rigid3d& cam_from_world,
                    const ViewSettings& settings, int fb_width, int fb_height) = 0;
  /// The first visible surface along the ray (hidden layers and cut-away parts ignored);
  /// meshes snap to a triangle corner within `snap_m` metres (0 = never).
  virtual std::optional<SceneHit> Pick(const Eigen::Vector3d& origin,
                                       const Eigen::Vector3d& direction,
                                       const ViewSettings& settings, double snap_m) const = 0;
  virtual SceneStats Stats() const = 0;
};

/// Uploads a loaded model (needs the current GL 4.5 context, which must outlive the scene).
std::unique_ptr<ViewScene> CreateScene(LoadedModel model);

/// Is `point` on the kept side of every plane (n·x + d <= 0)?
bool KeptBySections(const std::vector<Eigen::Vector4d>& planes, const Eigen::Vector3d& point);

}  // namespace muta::render::viewer
