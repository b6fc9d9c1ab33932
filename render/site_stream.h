#pragma once
// Streaming a site bundle's OGC 3D Tiles tileset (written by `muta export`; format in
// docs/formats.md "Site bundle") into a Renderer, by screen-space error.
//
// Frames and units: the tileset and everything here are z-up metres in the site's world frame
// (core/site_io.h rotates the y-up glTF content on reading). Cameras are COLMAP's
// (cam_from_world, x right, y down, z forward).
//
// Selection (render thread, Update): a tile is drawn when its screen-space error
//   SSE = geometricError * focal_px / distance(camera centre, tile box)
// is at most max_sse_px (or it is a leaf); otherwise its children replace it (REPLACE) or
// are drawn with it (ADD). Tiles whose bounding box lies outside the camera's view frustum are
// skipped. No holes: where a wanted tile is not resident yet, the nearest resident ancestor is
// drawn instead of the partial set below it (or, zooming out, the resident children that
// covered it), so the drawn set always covers the visible model.
//
// Loading: wanted tiles that are not resident go to a background loader (loader_threads
// std::threads) that reads and parses the .glb (core ReadTileGlb) and prepares the vertex data
// (Renderer::Prepare), nearest-to-the-camera first; Update never waits for it. Update uploads at
// most max_uploads_per_frame finished tiles, and evicts least-recently-used resident tiles that
// are not drawn while the resident memory (GPU buffers + the CPU copy kept for picking) exceeds
// memory_budget_bytes. When the wanted set itself does not fit, the SSE threshold is raised
// (coarser tiles) until it does, and relaxed again when memory frees up; only the root tile may
// exceed the budget on its own.
//
// Errors: a missing or malformed tileset.json is a muta::Error naming the file from the
// constructor. A tile that fails to load (missing or truncated .glb) is reported by the next
// Update as a muta::Error naming the .glb (thrown after that frame's work is done, so the
// scene stays consistent); the tile is then marked failed and its ancestor drawn in its place.
//
// Threads: every member function is for the render thread (the one with the GL context of
// the Renderer). The Renderer must outlive the SiteStream; the stream adds and removes its own
// objects only.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include <Eigen/Core>

#include "core/camera.h"
#include "core/mesh.h"
#include "core/pose.h"
#include "render/renderer.h"

namespace muta::render {

struct StreamOptions {
  /// Largest screen-space error (pixels) of a drawn tile; smaller = finer. > 0.
  double max_sse_px = 16;
  /// Resident tiles (GPU buffers and textures + CPU copies for picking) stay within this, bytes.
  std::size_t memory_budget_bytes = std::size_t(1) << 30;
  /// Finished tiles uploaded per Update (bounds the upload stall of a frame). >= 1.
  int max_uploads_per_frame = 4;
  /// Background loader threads. >= 1.
  int loader_threads = 1;
  /// Throws muta::Error naming the field.
  void Check() const;
};

struct StreamStats {
  int tiles_selected = 0;  ///< tiles drawn this frame
  int tiles_resident = 0;  ///< uploaded to the renderer
  int tiles_loading = 0;   ///< queued, loading or loaded and waiting for upload
  std::int64_t triangles_drawn = 0;
  std::size_t resident_bytes = 0;
  double select_ms = 0;  ///< CPU time of LOD selection + culling this frame (wall, ms)
  // Additions beyond the first interface:
  int tiles_wanted = 0;   ///< tiles the selection would draw with everything resident
  int uploads = 0;        ///< tiles uploaded this frame
  int evictions = 0;      ///< tiles evicted this frame
  double sse_scale = 1;   ///< > 1 while memory pressure coarsens the selection
  bool complete = false;  ///< every wanted tile is resident and drawn
  double update_ms = 0;   ///< the whole Update (selection, uploads, evictions), ms
};

struct PickHit {
  Eigen::Vector3d point;   ///< world, z-up metres
  Eigen::Vector3d normal;  ///< unit geometric normal of the hit triangle, facing the ray origin
  int tile = -1;           ///< index into the tileset's tiles (depth first, root 0)
  int face = -1;           ///< triangle index within the tile's content
  Provenance provenance = Provenance::kObserved;
  float confidence = 1;
  double distance = 0;  ///< along the (normalised) ray, metres
};

/// What Pick ignores: triangles cut away by section planes or in hidden layers.
struct PickFilter {
  std::vector<Eigen::Vector4d> section_planes;  ///< as RenderOptions::section_planes
  bool observed = true;                         ///< observed triangles can be hit
  bool inferred = true;                         ///< inferred triangles can be hit
};

class SiteStream {
 public:
  /// `tileset_json`: a tileset.json, or a site folder holding one. Reads and validates it
  /// (throws muta::Error naming the file) and starts the loader threads.
  SiteStream(const std::filesystem::path& tileset_json, Renderer& renderer,
             StreamOptions options = {});
  /// Stops the loaders and removes the stream's objects from the renderer.
  ~SiteStream();
  SiteStream(const SiteStream&) = delete;
  SiteStream& operator=(const SiteStream&) = delete;

  /// Once per frame before Renderer::Render/Draw: selects tiles for this camera, requests
  /// missing ones, uploads finished ones, evicts beyond the budget and sets the visibility of
  /// the stream's objects in the renderer. Never waits for the loader.
  StreamStats Update(const Camera& camera, const Rigid3d& cam_from_world);
  /// Repeats Update (waiting for the loader in between) until every tile wanted for this
  /// camera is resident and drawn – for stills and tests. Throws the first tile error.
  StreamStats UpdateUntilComplete(const Camera& camera, const Rigid3d& cam_from_world);

  /// The nearest triangle of the tiles drawn by the last Update hit by the ray (world, z-up
  /// metres; `direction` need not be unit), exact (core RayBvh per tile over the CPU copy).
  std::optional<PickHit> Pick(const Eigen::Vector3d& origin,
                              const Eigen::Vector3d& direction) const;
  std::optional<PickHit> Pick(const Eigen::Vector3d& origin, const Eigen::Vector3d& direction,
                              const PickFilter& filter) const;

  /// Bounds of the whole site (the root tile's bounding volume).
  Box3f Bounds() const;
  /// Number of tiles in the tileset.
  int NumTiles() const;
  /// Renderer ids of the tiles drawn by the last Update.
  std::vector<int> DrawnObjectIds() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace muta::render
