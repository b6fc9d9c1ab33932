#include "render/viewer/view_scene.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/gltf_io.h"
#include "core/ply_io.h"
#include "core/site_io.h"
#include "render/viewer/ray_picker.h"
#ifdef MUTA_HAVE_SITE_STREAM
#include "render/site_stream.h"
#endif

namespace muta::render::viewer {
namespace {

namespace fs = std::filesystem;

// Linear RGB of meshes without colours or texture (as `muta render`): a neutral clay.
const Eigen::Vector3f kClay(0.52f, 0.47f, 0.40f);

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool LayerVisible(const LayerOptions& layers, Provenance p) {
  return IsInferred(p) ? layers.show_inferred : layers.show_observed;
}

class MeshScene final : public ViewScene {
 public:
  explicit MeshScene(LoadedModel model) : picker_(model.mesh) {
    provenance_ = model.mesh.provenance;
    confidence_ = model.mesh.confidence;
    for (const Provenance p : provenance_) (IsInferred(p) ? inferred_ : observed_) += 1;
    if (provenance_.empty()) observed_ = static_cast<std::int64_t>(model.mesh.NumFaces());
    bounds_ = BoundingBox(model.mesh.vertices);
    SceneObject object;
    object.mesh = std::move(model.mesh);
    if (model.texture && !object.mesh.uvs.empty()) object.texture = std::move(model.texture);
    object.base_color = kClay;
    PreparedObject prepared = Renderer::Prepare(std::move(object));
    gpu_bytes_ = prepared.GpuBytes();
    renderer_.Add(std::move(prepared));
  }

  Box3f Bounds() const override { return bounds_; }
  bool HasProvenance() const override { return !provenance_.empty(); }
  void Update(const Camera&, const Rigid3d&) override {}

  void Draw(const Camera& camera, const Rigid3d& cam_from_world, const ViewSettings& settings,
            int fb_width, int fb_height) override {
    renderer_.Draw(camera, cam_from_world, settings.render, fb_width, fb_height);
    const LayerOptions& l = settings.render.layers;
    triangles_drawn_ = (l.show_observed ? observed_ : 0) + (l.show_inferred ? inferred_ : 0);
  }

  std::optional<SceneHit> Pick(const Eigen::Vector3d& origin, const Eigen::Vector3d& direction,
                               const ViewSettings& settings, double snap_m) const override {
    const LayerOptions& layers = settings.render.layers;
    const auto& planes = settings.render.section_planes;
    const auto accept = [&](std::uint32_t face, const Eigen::Vector3d& point) {
      const Provenance p = provenance_.empty() ? Provenance::kObserved : provenance_[face];
      return LayerVisible(layers, p) && KeptBySections(planes, point);
    };
    const auto hit =
        picker_.Cast(origin, direction, std::numeric_limits<double>::infinity(), accept);
    if (!hit) return std::nullopt;
    const RayHit snapped = snap_m > 0 ? SnapToVertex(picker_, *hit, snap_m) : *hit;
    SceneHit out;
    out.point = snapped.point;
    out.normal = snapped.normal;
    out.distance = hit->distance;
    out.snapped = snapped.point != hit->point;
    out.provenance = provenance_.empty() ? Provenance::kObserved : provenance_[hit->face];
    out.confidence = confidence_.empty() ? 1.0f : confidence_[hit->face];
    return out;
  }

  SceneStats Stats() const override {
    SceneStats s;
    s.triangles_drawn = triangles_drawn_;
    s.gpu_bytes = gpu_bytes_;
    return s;
  }

 private:
  Renderer renderer_;
  TrianglePicker picker_;
  std::vector<Provenance> provenance_;
  std::vector<float> confidence_;
  std::int64_t observed_ = 0, inferred_ = 0, triangles_drawn_ = 0;
  std::size_t gpu_bytes_ = 0;
  Box3f bounds_;
};

class PointScene final : public ViewScene {
 public:
  explicit PointScene(LoadedModel model) : points_(std::move(model.cloud.points)) {
    PointCloud upload;
    upload.points = points_;
    upload.colors = std::move(model.cloud.colors);
    renderer_.SetPoints(upload);
  }
  Box3f Bounds() const override { return renderer_.Bounds(); }
  bool HasProvenance() const override { return false; }
  bool IsPointCloud() const override { return true; }
  void Update(const Camera&, const Rigid3d&) override {}
  void Draw(const Camera& camera, const Rigid3d& cam_from_world, const ViewSettings& settings,
            int fb_width, int fb_height) override {
    PointRenderOptions options = settings.points;
    options.section_planes = settings.render.section_planes;
    options.near_m = settings.render.near_m;
    options.far_m = settings.render.far_m;
    options.background = settings.render.lighting.background;
    renderer_.Draw(camera, cam_from_world, options, fb_width, fb_height);
  }
  std::optional<SceneHit> Pick(const Eigen::Vector3d& origin, const Eigen::Vector3d& direction,
                               const ViewSettings& settings, double) const override {
    const auto& planes = settings.render.section_planes;
    const auto hit =
        PickPoint(points_, origin, direction, settings.pick_cone_rad,
                  [&](const Vec3f& p) { return KeptBySections(planes, p.cast<double>()); });
    if (!hit) return std::nullopt;
    SceneHit out;
    out.point = hit->point;
    out.normal = hit->normal;
    out.distance = hit->distance;
    return out;
  }
  SceneStats Stats() const override {
    SceneStats s;
    s.points_drawn = static_cast<std::int64_t>(renderer_.NumPoints());
    s.gpu_bytes = renderer_.GpuBytes();
    return s;
  }

 private:
  PointRenderer renderer_;
  std::vector<Vec3f> points_;
};

#ifdef MUTA_HAVE_SITE_STREAM
class SiteScene final : public ViewScene {
 public:
  explicit SiteScene(const LoadedModel& model) : stream_(model.tileset, renderer_) {}
  Box3f Bounds() const override { return stream_.Bounds(); }
  bool HasProvenance() const override { return true; }
  void Update(const Camera& camera, const Rigid3d& cam_from_world) override {
    stats_ = stream_.Update(camera, cam_from_world);
  }
  void UpdateComplete(const Camera& camera, const Rigid3d& cam_from_world) override {
    stats_ = stream_.UpdateUntilComplete(camera, cam_from_world);
  }
  void Draw(const Camera& camera, const Rigid3d& cam_from_world, const ViewSettings& settings,
            int fb_width, int fb_height) override {
    renderer_.Draw(camera, cam_from_world, settings.render, fb_width, fb_height);
  }
  std::optional<SceneHit> Pick(const Eigen::Vector3d& origin, const Eigen::Vector3d& direction,
                               const ViewSettings& settings, double) const override {
    PickFilter filter;
    filter.section_planes = settings.render.section_planes;
    filter.observed = settings.render.layers.show_observed;
    filter.inferred = settings.render.layers.show_inferred;
    const auto hit = stream_.Pick(origin, direction, filter);
    if (!hit) return std::nullopt;
    SceneHit out;
    out.point = hit->point;
    out.normal = hit->normal;
    out.distance = hit->distance;
    out.provenance = hit->provenance;
    out.confidence = hit->confidence;
    return out;
  }
  SceneStats Stats() const override {
    SceneStats s;
    s.triangles_drawn = stats_.triangles_drawn;
    s.tiles_resident = stats_.tiles_resident;
    s.tiles_loading = stats_.tiles_loading;
    s.gpu_bytes = stats_.resident_bytes;
    s.select_ms = stats_.select_ms;
    return s;
  }

 private:
  Renderer renderer_;  // before the stream: the stream removes its objects on destruction
  SiteStream stream_;
  StreamStats stats_;
};
#endif

}  // namespace

bool KeptBySections(const std::vector<Eigen::Vector4d>& planes, const Eigen::Vector3d& point) {
  for (const Eigen::Vector4d& p : planes) {
    if (p.head<3>().dot(point) + p[3] > 0) return false;
  }
  return true;
}

std::string LoadedModel::Describe() const {
  switch (kind) {
    case Kind::kSite:
      return "site " + site_dir.string() +
             (mesh.NumFaces() ? " (" + std::to_string(mesh.NumFaces()) + " triangles)" : "");
    case Kind::kMesh:
      return path.string() + ": mesh, " + std::to_string(mesh.NumFaces()) + " triangles";
    case Kind::kCloud:
      return path.string() + ": point cloud, " + std::to_string(cloud.size()) + " points";
  }
  return path.string();
}

LoadedModel LoadModel(const fs::path& path) {
  LoadedModel model;
  model.path = path;
  MUTA_CHECK(fs::exists(path))
      << path.string()
      << " not found; give a site folder (with tileset.json), a .ply mesh or point cloud, or a "
         ".glb mesh";
  fs::path file = path;
  if (fs::is_directory(path)) {
    if (fs::is_regular_file(path / "tileset.json")) {
      model.kind = LoadedModel::Kind::kSite;
      model.site_dir = path;
    } else if (fs::is_regular_file(path / "model.glb")) {
      file = path / "model.glb";
    } else {
      MUTA_FAIL << path.string()
                << " is a folder without tileset.json or model.glb; give a site bundle (made by "
                   "`muta export`), a .ply or a .glb file";
    }
  } else {
    const std::string name = Lower(path.filename().string());
    if (name == "tileset.json" || name == "site.json") {
      model.kind = LoadedModel::Kind::kSite;
      model.site_dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    }
  }

  if (model.kind == LoadedModel::Kind::kSite) {
    model.tileset = model.site_dir / "tileset.json";
    MUTA_CHECK(fs::is_regular_file(model.tileset))
        << model.site_dir.string()
        << " has no tileset.json; export the site again with "
           "`muta export`";
    const Tileset tileset = ReadTileset(model.tileset);  // checks it before a window opens
    if (fs::exists(model.site_dir / "site.json")) {
      model.site_json = ReadSiteJson(model.site_dir / "site.json");
    }
#ifndef MUTA_HAVE_SITE_STREAM
    // Without tile streaming: the full-resolution model (model.glb) or the finest cut.
    const fs::path glb = model.site_dir / "model.glb";
    if (fs::is_regular_file(glb)) {
      TileContent content = ReadTileGlb(glb);
      model.mesh = std::move(content.mesh);
      model.texture = std::move(content.base_color_texture);
    } else {
      model.mesh = ReadTilesetLevel(model.tileset, tileset, tileset.MaxDepth());
    }
    MUTA_CHECK(model.mesh.NumFaces() > 0)
        << model.site_dir.string() << ": the site has no triangles";
#endif
    spdlog::info("{}: {} tiles, depth {}", model.tileset.string(), tileset.tiles.size(),
                 tileset.MaxDepth());
    return model;
  }

  const std::string ext = Lower(file.extension().string());
  if (ext == ".ply") {
    const PlyHeaderInfo header = ReadPlyHeader(file);
    if (header.num_faces > 0) {
      model.kind = LoadedModel::Kind::kMesh;
      model.mesh = ReadPlyMesh(file);
      model.mesh.Check();
    } else {
      model.kind = LoadedModel::Kind::kCloud;
      model.cloud = ReadPlyPointCloud(file);
      model.cloud.Check();
      MUTA_CHECK(model.cloud.size() > 0) << file.string() << " has no points";
      for (std::size_t i = 0; i < model.cloud.size(); ++i) {
        MUTA_CHECK(model.cloud.points[i].allFinite())
            << file.string() << ": point " << i << " is not finite";
      }
    }
  } else if (ext == ".glb") {
    model.kind = LoadedModel::Kind::kMesh;
    GlbContent content = ReadGlb(file);
    model.mesh = std::move(content.mesh);
    model.texture = std::move(content.base_color_texture);
    model.mesh.Check();
  } else {
    MUTA_FAIL << file.string() << ": unknown file type '" << ext
              << "'; muta view opens site folders, tileset.json, .ply and .glb";
  }
  if (model.kind == LoadedModel::Kind::kMesh) {
    MUTA_CHECK(model.mesh.NumFaces() > 0) << file.string() << " has no triangles";
    for (const Vec3f& v : model.mesh.vertices) {
      MUTA_CHECK(v.allFinite()) << file.string() << " has a vertex that is not finite";
    }
  }
  return model;
}

std::unique_ptr<ViewScene> CreateScene(LoadedModel model) {
  switch (model.kind) {
    case LoadedModel::Kind::kCloud:
      return std::make_unique<PointScene>(std::move(model));
    case LoadedModel::Kind::kSite:
#ifdef MUTA_HAVE_SITE_STREAM
      return std::make_unique<SiteScene>(model);
#else
      return std::make_unique<MeshScene>(std::move(model));
#endif
    case LoadedModel::Kind::kMesh:
      return std::make_unique<MeshScene>(std::move(model));
  }
  return nullptr;
}

}  // namespace muta::render::viewer
