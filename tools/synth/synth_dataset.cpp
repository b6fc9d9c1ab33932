// WriteSynthDataset: build, damage, photograph and write the ground truth.
#include <atomic>
#include <chrono>
#include <cmath>

#include <spdlog/spdlog.h>
#include <tbb/parallel_for.h>

#include "core/error.h"
#include "core/image_io.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "core/sampling.h"
#include "render/gl_context.h"
#include "render/renderer.h"
#include "tools/synth/building_parts.h"

namespace muta::synth {
namespace {

namespace fs = std::filesystem;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// The building's faces without vertices no face uses.
Mesh SubMesh(const Mesh& mesh, const std::vector<std::uint32_t>& faces) {
  Mesh out;
  std::vector<std::int64_t> remap(mesh.vertices.size(), -1);
  for (const auto f : faces) {
    Face nf;
    for (int k = 0; k < 3; ++k) {
      const auto v = mesh.faces[f][k];
      if (remap[v] < 0) {
        remap[v] = static_cast<std::int64_t>(out.vertices.size());
        out.vertices.push_back(mesh.vertices[v]);
        if (!mesh.normals.empty()) out.normals.push_back(mesh.normals[v]);
        if (!mesh.uvs.empty()) out.uvs.push_back(mesh.uvs[v]);
      }
      nf[k] = static_cast<std::uint32_t>(remap[v]);
    }
    out.faces.push_back(nf);
    if (!mesh.part_ids.empty()) out.part_ids.push_back(mesh.part_ids[f]);
  }
  return out;
}

// A point sample on the surface is seen by a camera when it projects into the image, faces
// the camera and its depth matches the rendered depth.
void CountVisible(const Camera& camera, const Rigid3d& pose, const FloatMap& depth,
                  const std::vector<Vec3f>& points, const std::vector<Vec3f>& normals,
                  std::vector<std::uint8_t>& counts) {
  const Eigen::Vector3d centre = CameraCenter(pose);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, points.size(), 4096),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t i = range.begin(); i != range.end(); ++i) {
                        const Eigen::Vector3d p = points[i].cast<double>();
                        if (normals[i].cast<double>().dot(centre - p) <= 0) continue;
                        const Eigen::Vector3d c = pose * p;
                        if (c.z() <= 0.01) continue;
                        const Eigen::Vector2d px = camera.Project(c);
                        const int x = static_cast<int>(std::floor(px.x()));
                        const int y = static_cast<int>(std::floor(px.y()));
                        if (x < 0 || y < 0 || x >= depth.width || y >= depth.height) continue;
                        const double d = depth.at(x, y);
                        if (d <= 0 || std::abs(d - c.z()) > 0.005 * c.z() + 0.01) continue;
                        if (counts[i] < 255) ++counts[i];
                      }
                    });
}

}  // namespace

void SynthOptions::Check() const {
  building.Check();
  rig.Check();
  MUTA_CHECK(!damage.empty()) << "SynthOptions.damage (--damage) must be none, default or a SPEC";
  MUTA_CHECK(texture_size >= 64 && texture_size <= 4096)
      << "SynthOptions.texture_size (--texture-size) must be 64..4096 pixels, got " << texture_size;
  MUTA_CHECK(texture_repeats >= 1 && texture_repeats <= 8)
      << "SynthOptions.texture_repeats must be 1..8, got " << texture_repeats;
  MUTA_CHECK(jpeg_quality >= 1 && jpeg_quality <= 100)
      << "SynthOptions.jpeg_quality (--jpeg-quality) must be 1..100, got " << jpeg_quality;
  MUTA_CHECK(std::isfinite(visible_density) && visible_density > 0)
      << "SynthOptions.visible_density (--visible-density) must be a positive number of points "
         "per square metre, got "
      << visible_density;
  MUTA_CHECK(!contact_sheet || (contact_sheet_width >= 64 && contact_sheet_width <= 16384))
      << "SynthOptions.contact_sheet_width must be 64..16384 pixels, got " << contact_sheet_width;
  MUTA_CHECK(holdout >= 0 && holdout <= 1000)
      << "SynthOptions.holdout (--holdout) must be 0..1000 held-out views, got " << holdout;
  MUTA_CHECK(holdout_close >= 0 && holdout_close <= 1000)
      << "SynthOptions.holdout_close (--holdout-close) must be 0..1000 held-out close-ups, got "
      << holdout_close;
  MUTA_CHECK(max_visible_samples >= 1000)
      << "SynthOptions.max_visible_samples must be at least 1000, got " << max_visible_samples;
}

std::vector<std::pair<MaterialKind, Mesh>> SplitByMaterial(const Mesh& mesh,
                                                           std::span<const Part> parts) {
  std::vector<std::pair<MaterialKind, Mesh>> out;
  for (int k = 0; k <= static_cast<int>(MaterialKind::kGround); ++k) {
    const auto kind = static_cast<MaterialKind>(k);
    std::vector<std::uint32_t> faces;
    for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
      if (parts[mesh.part_ids[f]].material == kind) faces.push_back(static_cast<std::uint32_t>(f));
    }
    if (!faces.empty()) out.emplace_back(kind, SubMesh(mesh, faces));
  }
  return out;
}

Mesh MakeGround(double inner, double outer, std::uint64_t seed) {
  Mesh m;
  const double tile = MaterialTileMetres(MaterialKind::kGround);
  auto quad = [&](const V2& lo, const V2& hi, double angle, const V2& offset) {
    const auto base = static_cast<std::uint32_t>(m.vertices.size());
    const Eigen::Rotation2Dd rot(angle);
    for (const V2& p : {lo, V2(hi.x(), lo.y()), hi, V2(lo.x(), hi.y())}) {
      m.vertices.emplace_back(static_cast<float>(p.x()), static_cast<float>(p.y()), 0.0f);
      m.uvs.push_back(((rot * (p - lo)) / tile + offset).cast<float>());
    }
    m.faces.emplace_back(base, base + 1, base + 2);
    m.faces.emplace_back(base, base + 2, base + 3);
  };
  // Inner cells, each with its own rotation and offset of the texture: no periodic pattern
  // for feature matching to confuse.
  Rng rng(DeriveSeed(seed, "ground"));
  const double cell = 6.0;
  const int n = std::max(1, static_cast<int>(std::ceil(inner / cell)));
  const double half = n * cell;
  for (int iy = -n; iy < n; ++iy) {
    for (int ix = -n; ix < n; ++ix) {
      const double angle = rng.Uniform(0.0, 2.0 * M_PI);
      const V2 offset(rng.Uniform(0.0, 1.0), rng.Uniform(0.0, 1.0));
      quad(V2(ix * cell, iy * cell), V2((ix + 1) * cell, (iy + 1) * cell), angle, offset);
    }
  }
  // The far ground: a frame of four rectangles out to `outer`.
  const double o = std::max(outer, half + 1.0);
  quad(V2(-o, -o), V2(o, -half), 0.0, V2::Zero());
  quad(V2(-o, half), V2(o, o), 0.0, V2::Zero());
  quad(V2(-o, -half), V2(-half, half), 0.0, V2::Zero());
  quad(V2(half, -half), V2(o, half), 0.0, V2::Zero());
  m.normals.assign(m.vertices.size(), Vec3f::UnitZ());
  return m;
}

SynthSummary WriteSynthDataset(const SynthOptions& options, const fs::path& dir,
                               Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  options.Check();
  const std::uint64_t seed = options.building.seed;
  const Building building = BuildBuilding(options.building);
  const std::vector<DamageEntry> entries = ResolveDamage(building, options.damage, seed);
  const DamagedBuilding damaged = ApplyDamage(building, entries);
  // The photographer's arc (when the rig does not go all round) faces the damage.
  RigOptions rig_options = options.rig;
  if (!rig_options.center_azimuth && !damaged.regions.empty()) {
    Eigen::Vector2d sum = Eigen::Vector2d::Zero();
    for (const auto& r : damaged.regions) {
      const Vec3f c = r.box.Center();
      if (c.head<2>().norm() > 1e-3f) sum += c.head<2>().cast<double>().normalized();
    }
    if (sum.norm() > 1e-6) rig_options.center_azimuth = std::atan2(sum.y(), sum.x());
  }
  const SparseModel rig = MakeCameraRig(building, rig_options, seed);
  spdlog::info("synth: {} (seed {}): {} parts, {} faces, {} removed by damage '{}'",
               SceneTypeName(building.scene), seed, building.parts.size(), building.mesh.NumFaces(),
               building.mesh.NumFaces() - damaged.mesh.NumFaces(), options.damage);

  fs::create_directories(dir / "gt");
  WritePly(dir / "gt" / "intact.ply", building.mesh);
  WritePly(dir / "gt" / "mesh.ply", damaged.mesh);
  WriteSparseModel(dir / "gt" / "sparse", rig, SparseFormat::kText);
  WriteJsonFile(dir / "gt" / "scene.json", SceneJson(building, options, rig));
  WriteJsonFile(dir / "gt" / "damage.json", DamageJson(building, damaged, options.damage));
  SparseModel holdout;
  if (options.holdout > 0 || options.holdout_close > 0) {
    holdout = MakeHoldoutRig(building, rig_options, seed, options.holdout, options.holdout_close);
    fs::create_directories(dir / "holdout");
    WriteSparseModel(dir / "holdout" / "sparse", holdout, SparseFormat::kText);
  }

  SynthSummary summary;
  summary.faces = damaged.mesh.NumFaces();
  summary.intact_faces = building.mesh.NumFaces();
  summary.parts = building.parts.size();
  summary.removed_faces = summary.intact_faces - summary.faces;
  if (options.gt_only) {
    summary.total_seconds = Seconds(start);
    return summary;
  }

  // Scene objects: one per material, plus the ground (not part of the ground truth).
  std::vector<std::pair<MaterialKind, Mesh>> meshes = SplitByMaterial(damaged.mesh, building.parts);
  const Box3f box = BoundingBox(building.mesh.vertices);
  const double plan_r = 0.5 * std::max(box.Size().x(), box.Size().y());
  // The ground reaches the horizon of every camera (it casts no shadow, so it does not widen
  // the shadow map).
  const double ground_r = std::max(600.0, 40.0 * plan_r);
  meshes.emplace_back(MaterialKind::kGround,
                      MakeGround(std::max(40.0, 4.0 * plan_r), ground_r, seed));
  std::vector<render::SceneObject> objects(meshes.size());
  const auto tex_start = std::chrono::steady_clock::now();
  tbb::parallel_for(std::size_t(0), meshes.size(), [&](std::size_t i) {
    const MaterialKind kind = meshes[i].first;
    objects[i].mesh = std::move(meshes[i].second);
    const std::string name(MaterialName(kind));
    const Image tile = MakeTexture(kind, options.texture_size, DeriveSeed(seed, "texture " + name));
    objects[i].texture =
        WeatheredAtlas(tile, options.texture_repeats, kind, DeriveSeed(seed, "weathering " + name));
    for (auto& uv : objects[i].mesh.uvs) uv /= static_cast<float>(options.texture_repeats);
    objects[i].repeat_texture = true;
    objects[i].casts_shadow = kind != MaterialKind::kGround;
  });
  spdlog::info("synth: {} weathered textures of {} px in {:.1f} s", objects.size(),
               options.texture_size * options.texture_repeats, Seconds(tex_start));

  // Surface samples for gt/visible.ply.
  const double area = damaged.mesh.Area();
  const auto num_samples = static_cast<std::size_t>(std::clamp(
      area * options.visible_density, 1000.0, static_cast<double>(options.max_visible_samples)));
  std::vector<std::uint32_t> sample_faces;
  const std::vector<Vec3f> samples =
      SampleSurface(damaged.mesh, num_samples, DeriveSeed(seed, "visible"), &sample_faces);
  std::vector<Vec3f> sample_normals(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Face& f = damaged.mesh.faces[sample_faces[i]];
    const Vec3f& a = damaged.mesh.vertices[f[0]];
    sample_normals[i] =
        (damaged.mesh.vertices[f[1]] - a).cross(damaged.mesh.vertices[f[2]] - a).normalized();
  }
  std::vector<std::uint8_t> counts(samples.size(), 0);

  const auto render_start = std::chrono::steady_clock::now();
  auto context = render::CreateHeadlessContext();
  render::Renderer renderer;
  renderer.Add(std::move(objects));
  render::RenderOptions render_options;
  double max_dist = 0;
  for (const auto& [id, image] : rig.images) {
    max_dist = std::max(max_dist, CameraCenter(image.cam_from_world).norm());
  }
  render_options.far_m = 2.0 * (max_dist + ground_r);
  render_options.near_m = 0.1;
  // Sun at 40 degrees, from the photographers' side: lit facades, cast shadows under the eaves.
  const double sun_az = rig_options.center_azimuth.value_or(0.0) + 0.7;
  const double sun_el = 40.0 * M_PI / 180.0;
  render_options.lighting.sun_direction =
      Eigen::Vector3d(std::cos(sun_az) * std::cos(sun_el), std::sin(sun_az) * std::cos(sun_el),
                      std::sin(sun_el))
          .cast<float>();
  render_options.lighting.sun_intensity = 2.8f;
  render_options.lighting.ambient_intensity = 0.4f;
  render_options.Check();

  const Camera& camera = rig.cameras.at(1);
  ImageWriteOptions write_options;
  write_options.jpeg_quality = options.jpeg_quality;
  const double focal_35mm = camera.FocalX() * 36.0 / std::max(camera.width, camera.height);
  write_options.focal_length_35mm = focal_35mm;
  write_options.focal_length_mm = focal_35mm;  // a full-frame sensor: 36 mm wide
  write_options.camera_make = "Muta";
  write_options.camera_model = "synth";
  fs::create_directories(dir / "images");
  std::vector<Image> thumbnails;
  progress.Begin("synth images", rig.images.size(), "images");
  for (const auto& [id, image] : rig.images) {
    CheckInterrupted();
    const render::RenderResult result =
        renderer.Render(camera, image.cam_from_world, render_options);
    WriteImage(dir / "images" / image.name, result.color, write_options);
    if (options.contact_sheet) thumbnails.push_back(result.color);
    CountVisible(camera, image.cam_from_world, result.depth, samples, sample_normals, counts);
    progress.Advance();
  }
  progress.End();
  if (!holdout.images.empty()) {
    // Held-out views: rendered exactly like the photographs, kept apart from images/.
    fs::create_directories(dir / "holdout" / "images");
    const Camera& holdout_camera = holdout.cameras.at(1);
    progress.Begin("synth held-out images", holdout.images.size(), "images");
    for (const auto& [id, image] : holdout.images) {
      CheckInterrupted();
      WriteImage(dir / "holdout" / "images" / image.name,
                 renderer.Render(holdout_camera, image.cam_from_world, render_options).color,
                 write_options);
      progress.Advance();
    }
    progress.End();
    summary.holdout_images = holdout.images.size();
  }
  summary.render_seconds = Seconds(render_start);
  summary.images = rig.images.size();
  if (options.contact_sheet) {
    const int columns = std::max(1, static_cast<int>(std::ceil(std::sqrt(thumbnails.size()))));
    WriteImage(*options.contact_sheet,
               MakeContactSheet(thumbnails, columns, options.contact_sheet_width));
  }

  if (options.overview) {
    const double az = rig_options.center_azimuth.value_or(0.0) + 0.6;
    WriteImage(*options.overview,
               renderer.Render(camera, OverviewPose(building, camera, az), render_options).color);
  }

  PointCloud visible;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (counts[i] < 2) continue;
    visible.points.push_back(samples[i]);
    visible.normals.push_back(sample_normals[i]);
  }
  WritePly(dir / "gt" / "visible.ply", visible);
  summary.visible_points = visible.size();
  summary.total_seconds = Seconds(start);
  spdlog::info("synth: {} images in {:.1f} s, {} of {} surface samples seen by >= 2 cameras",
               summary.images, summary.render_seconds, visible.size(), samples.size());
  return summary;
}

}  // namespace muta::synth
