#include "reconstruct/texture/texture.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/parallel_for.h>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/gltf_io.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "core/ray_bvh.h"
#include "reconstruct/texture/atlas.h"
#include "reconstruct/texture/seam_blending.h"
#include "reconstruct/texture/seam_leveling.h"
#include "reconstruct/texture/texel_visibility.h"
#include "reconstruct/texture/view_alignment.h"
#include "reconstruct/texture/view_selection.h"

namespace fs = std::filesystem;

namespace muta::reconstruct {
namespace {

constexpr double kAtlasSlack = 1.1;  // packed atlas area / chart area, for the estimate
constexpr std::uint64_t kMaxAtlasCap = 4ull << 30;  // bytes, whatever the machine has
constexpr int kMaxNamesInError = 8;

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A /proc/meminfo or /proc/self/status field in kB; 0 when unknown.
std::uint64_t ProcField(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream s(line.substr(key.size() + 1));
      std::uint64_t kb = 0;
      s >> kb;
      return kb;
    }
  }
  return 0;
}

std::string Gib(double bytes) {
  std::ostringstream s;
  const double gib = bytes / double(1ull << 30);
  s << std::fixed << std::setprecision(gib >= 10 ? 0 : 2) << gib << " GiB";
  return s.str();
}

std::string AtlasFileName(const TextureOptions& o) {
  return o.atlas_format == "png" ? "textured_atlas.png" : "textured_atlas.jpg";
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < std::size_t(kMaxNamesInError); ++i) {
    out += (i ? ", " : "") + names[i];
  }
  if (names.size() > std::size_t(kMaxNamesInError)) {
    out += " and " + std::to_string(names.size() - kMaxNamesInError) + " more";
  }
  return out;
}

}  // namespace

void TextureOptions::Check() const {
  MUTA_CHECK(!texel_size_mm || (std::isfinite(*texel_size_mm) && *texel_size_mm > 0))
      << "--texel-size must be a positive number of millimetres";
  MUTA_CHECK(max_atlas_side >= 64 && max_atlas_side <= kMaxAtlasSide)
      << "the atlas side limit must be 64 .. " << kMaxAtlasSide << " texels";
  MUTA_CHECK(smoothness >= 0 && std::isfinite(smoothness)) << "texture smoothness must be >= 0";
  MUTA_CHECK(mrf_iterations >= 0) << "texture mrf_iterations must be >= 0";
  MUTA_CHECK(max_views_per_face >= 1 && max_views_per_face <= 255)
      << "texture max_views_per_face must be 1 to 255";
  MUTA_CHECK(min_view_cosine >= 0 && min_view_cosine < 1)
      << "texture min_view_cosine must be in [0, 1)";
  MUTA_CHECK(min_relative_quality >= 0 && min_relative_quality <= 1)
      << "texture min_relative_quality must be in [0, 1]";
  MUTA_CHECK(leveling_lambda > 0) << "texture leveling_lambda must be > 0";
  MUTA_CHECK(seam_blend_texels > 0 && std::isfinite(seam_blend_texels))
      << "texture seam_blend_texels must be > 0";
  MUTA_CHECK(padding >= 1 && padding <= 64) << "texture padding must be 1 to 64 texels";
  MUTA_CHECK(atlas_format == "jpeg" || atlas_format == "png")
      << "texture atlas format must be jpeg or png, not '" << atlas_format << "'";
  MUTA_CHECK(jpeg_quality >= 1 && jpeg_quality <= 100) << "jpeg quality must be 1 to 100";
  MUTA_CHECK(align_lattice_pixels >= 8)
      << "the view alignment's control-point spacing must be >= 8 pixels";
}

std::vector<TextureView> LoadTextureViews(const fs::path& dense_dir, Progress& progress) {
  const fs::path sparse = dense_dir / "sparse";
  const fs::path images = dense_dir / "images";
  MUTA_CHECK(fs::is_directory(sparse) && fs::is_directory(images))
      << dense_dir.string() << ": no undistorted images and cameras (sparse/ and images/); run "
      << "the undistort stage first (muta reconstruct ... --to undistort)";
  const SparseModel model = ReadSparseModel(sparse);
  std::vector<TextureView> views;
  std::vector<std::string> missing, changed;
  for (const auto& [id, im] : model.images) {
    const Camera& cam = model.cameras.at(im.camera_id);
    MUTA_CHECK(cam.Supported() && !cam.HasDistortion())
        << (sparse / "cameras.bin").string() << ": camera " << cam.id << " is "
        << CameraModelName(cam.model) << " with distortion; texturing needs the undistorted "
        << "(PINHOLE) model that the undistort stage writes";
    const fs::path file = images / im.name;
    if (!fs::is_regular_file(file)) {
      missing.push_back(im.name);
      continue;
    }
    const ImageInfo info = ReadImageInfo(file);
    if (info.width != cam.width || info.height != cam.height) {
      changed.push_back(im.name + " (" + std::to_string(info.width) + "x" +
                        std::to_string(info.height) + ", the model says " +
                        std::to_string(cam.width) + "x" + std::to_string(cam.height) + ")");
      continue;
    }
    TextureView v;
    v.name = im.name;
    v.camera = cam;
    v.cam_from_world = im.cam_from_world;
    views.push_back(std::move(v));
  }
  MUTA_CHECK(missing.empty())
      << images.string() << ": " << missing.size() << " of the " << model.images.size()
      << " images of the reconstruction are missing: " << JoinNames(missing)
      << ". They were moved or deleted since the reconstruction; put them back, or redo the "
         "undistortion: muta reconstruct -w WORKSPACE --from undistort";
  MUTA_CHECK(changed.empty())
      << images.string() << ": " << changed.size()
      << " images changed size since the reconstruction: " << JoinNames(changed)
      << ". They were replaced or edited; put the undistorted originals back, or redo the "
         "undistortion: muta reconstruct -w WORKSPACE --from undistort";
  MUTA_CHECK(!views.empty()) << sparse.string() << ": the reconstruction has no images";
  progress.Begin("texture: reading images", views.size(), "images");
  tbb::parallel_for(std::size_t{0}, views.size(), [&](std::size_t i) {
    CheckInterrupted();
    views[i].image = ReadImage(images / views[i].name, 3);
    progress.Advance();
  });
  progress.End();
  return views;
}

fs::path TextureImagesDir(const fs::path& dense_dir, std::string* note, double bytes_per_pixel) {
  if (note) note->clear();
  const fs::path full = dense_dir / "texture";
  if (!fs::is_directory(full / "sparse") || !fs::is_directory(full / "images")) return dense_dir;
  const SparseModel dense = ReadSparseModel(dense_dir / "sparse");
  const SparseModel model = ReadSparseModel(full / "sparse");
  bool same = dense.images.size() == model.images.size();
  for (auto a = dense.images.begin(), b = model.images.begin(); same && a != dense.images.end();
       ++a, ++b) {
    same = a->second.name == b->second.name &&
           (a->second.cam_from_world.rotation.coeffs() - b->second.cam_from_world.rotation.coeffs())
                   .norm() < 1e-9 &&
           (a->second.cam_from_world.translation - b->second.cam_from_world.translation).norm() <
               1e-9 * (1.0 + a->second.cam_from_world.translation.norm());
  }
  MUTA_CHECK(same) << full.string() << ": its images or poses are not those of "
                   << (dense_dir / "sparse").string()
                   << " – it is left from another reconstruction; redo the undistortion: muta "
                      "reconstruct -w WORKSPACE --from undistort (or delete it to texture from "
                      "the dense images)";
  double need = 0;
  for (const auto& [id, im] : model.images) {
    const Camera& c = model.cameras.at(im.camera_id);
    need += bytes_per_pixel * double(c.width) * double(c.height);
  }
  const double available = double(ProcField("/proc/meminfo", "MemAvailable")) * 1024.0;
  if (available > 0 && need > 0.5 * available) {
    if (note) {
      *note = "the full-size images in " + full.string() + " would need about " + Gib(need) +
              ", more than half the available " + Gib(available) +
              "; texturing from the dense images (redo the undistortion with a smaller "
              "--texture-max-size to texture from larger ones)";
    }
    return dense_dir;
  }
  return full;
}

TexturedMesh TextureMesh(const Mesh& mesh, const std::vector<TextureView>& views,
                         const TextureOptions& options, Progress& progress) {
  options.Check();
  mesh.Check();
  MUTA_CHECK(mesh.NumFaces() > 0) << "texturing needs a mesh with faces; this one has none";
  MUTA_CHECK(!views.empty()) << "texturing needs at least one view";
  for (const TextureView& v : views) {
    MUTA_CHECK(v.image.width == v.camera.width && v.image.height == v.camera.height)
        << v.name << ": image is " << v.image.width << "x" << v.image.height
        << " but its camera says " << v.camera.width << "x" << v.camera.height;
  }
  const auto t_start = std::chrono::steady_clock::now();
  TexturedMesh out;
  Json& fig = out.figures;
  const std::size_t nf = mesh.NumFaces();
  fig["faces"] = nf;
  fig["views"] = views.size();

  auto t0 = std::chrono::steady_clock::now();
  const RayBvh bvh(mesh);
  const tex::FaceAdjacency adj = tex::BuildFaceAdjacency(mesh);
  fig["seconds_bvh"] = Since(t0);

  t0 = std::chrono::steady_clock::now();
  tex::FaceCandidates cand = tex::ComputeCandidates(mesh, bvh, views, options, progress);
  fig["seconds_visibility"] = Since(t0);
  fig["visible_face_view_pairs"] = cand.visible_pairs;
  fig["occlusion_tests"] = cand.occlusion_tests;
  fig["partly_hidden_face_view_pairs"] = cand.partly_hidden_pairs;
  fig["exclude_outlier_views"] = options.exclude_outlier_views;
  fig["outlier_face_view_pairs"] = cand.excluded_pairs;
  std::size_t seen = 0;
  for (std::size_t f = 0; f < nf; ++f) seen += cand.offsets[f + 1] > cand.offsets[f] ? 1 : 0;
  MUTA_CHECK(seen > 0) << "none of the mesh's " << nf << " faces is visible in any of the "
                       << views.size()
                       << " views: the mesh and the cameras do not belong together (different "
                          "reconstructions or frames), or every face is hidden or seen edge-on; "
                          "re-run the mesh stage on this workspace (muta reconstruct -w "
                          "WORKSPACE --from mesh)";

  t0 = std::chrono::steady_clock::now();
  tex::ViewSelection sel = tex::SelectViews(cand, adj, options);
  fig["seconds_view_selection"] = Since(t0);
  fig["mrf_energy_best_view"] = sel.energy_best_view;
  fig["mrf_energy"] = sel.energy;
  fig["mrf_iterations"] = sel.iterations;

  // Per-texel visibility: a depth map of the mesh in every view; faces whose centroid every
  // view hides but of which some view sees a part get that view.
  t0 = std::chrono::steady_clock::now();
  tex::TexelVisibility visibility;
  fig["texel_visibility"] = options.texel_visibility;
  if (options.texel_visibility) {
    visibility.mesh = &mesh;
    visibility.depths =
        tex::RasterizeDepths(mesh, views, std::vector<std::uint8_t>(views.size(), 1), progress);
    fig["seconds_depth_maps"] = Since(t0);
    t0 = std::chrono::steady_clock::now();
    const tex::RescuedFaces rescue =
        tex::RescueHiddenFaces(mesh, views, visibility.depths, adj, options.min_view_cosine,
                               options.max_views_per_face, sel.labels, cand);
    fig["rescued_faces"] = rescue.rescued;
    fig["adopted_faces"] = rescue.adopted;
    fig["seconds_rescue"] = Since(t0);
    visibility.candidates = &cand;
    visibility.consensus = options.consensus;
  }
  out.face_views = sel.labels;

  std::vector<float> face_gsd(nf, 0.0f);
  std::vector<std::uint8_t> view_used(views.size(), 0);
  std::vector<float> gsds;
  for (std::size_t f = 0; f < nf; ++f) {
    if (sel.labels[f] < 0) continue;
    view_used[std::size_t(sel.labels[f])] = 1;
    for (std::uint32_t i = cand.offsets[f]; i < cand.offsets[f + 1]; ++i) {
      if (cand.views[i] == sel.labels[f]) face_gsd[f] = cand.gsd[i];
    }
    gsds.push_back(face_gsd[f]);
  }
  fig["textured_faces"] = gsds.size();
  fig["untextured_faces"] = nf - gsds.size();
  {
    // Faces count, but the eye sees area: the untextured faces' share of the surface.
    double area = 0, untextured = 0;
    for (std::size_t f = 0; f < nf; ++f) {
      const Face& t = mesh.faces[f];
      const double a = 0.5 * double((mesh.vertices[t[1]] - mesh.vertices[t[0]])
                                        .cross(mesh.vertices[t[2]] - mesh.vertices[t[0]])
                                        .norm());
      area += a;
      if (sel.labels[f] < 0) untextured += a;
    }
    fig["untextured_area_fraction"] = area > 0 ? untextured / area : 0.0;
  }
  fig["views_used"] = std::count(view_used.begin(), view_used.end(), 1);

  t0 = std::chrono::steady_clock::now();
  tex::ChartLayout layout = tex::BuildCharts(mesh, adj, sel.labels, face_gsd, views);
  fig["charts"] = layout.textured_charts;
  std::nth_element(gsds.begin(), gsds.begin() + std::ptrdiff_t(gsds.size() / 2), gsds.end());
  const double median_gsd = gsds[gsds.size() / 2];
  double texel = options.texel_size_mm ? *options.texel_size_mm / 1000.0 : median_gsd;
  fig["ground_sampling_distance_mm"] = median_gsd * 1000.0;
  fig["texel_size_source"] = options.texel_size_mm ? "option" : "median ground sampling distance";

  double texels = tex::SizeCharts(layout, texel, options.padding);
  std::uint64_t limit = 0;
  if (options.max_atlas_bytes) {
    limit = *options.max_atlas_bytes;
  } else {
    const std::uint64_t available = ProcField("/proc/meminfo", "MemAvailable") * 1024;
    limit = available > 0 ? std::min(kMaxAtlasCap, available / 2) : kMaxAtlasCap;
  }
  // The default texel is one photograph pixel; when that atlas would not fit (large photographs
  // of a large surface), the texel grows until it does – reported – where a --texel-size the
  // user chose is refused below instead. `grow`: by how much a width x height atlas is too big
  // for the memory, `grow_side`: for the longest side a texture may have.
  const double max_side = options.max_atlas_side;
  auto grow_memory = [&](double width, double height) {
    return std::sqrt(width * height * 3.0 / double(std::max<std::uint64_t>(limit, 1)));
  };
  auto grow_side = [&](double width, double height) { return std::max(width, height) / max_side; };
  auto grow = [&](double width, double height) {
    return std::max(grow_memory(width, height), grow_side(width, height));
  };
  auto enlarge = [&](double width, double height) {
    const bool memory = grow_memory(width, height) >= grow_side(width, height);
    if (fig["texel_size_source"] == "median ground sampling distance") {
      if (memory) {
        spdlog::warn(
            "texture: an atlas at the photographs' {:.2f} mm per pixel would not fit in {}; "
            "texels enlarged to fit",
            median_gsd * 1000.0, Gib(double(limit)));
      } else {
        spdlog::warn(
            "texture: an atlas at the photographs' {:.2f} mm per pixel would be longer than "
            "{} texels a side, more than viewers load; texels enlarged to fit (a finer "
            "--texel-size is refused)",
            median_gsd * 1000.0, options.max_atlas_side);
      }
    }
    texel *= 1.05 * grow(width, height);
    texels = tex::SizeCharts(layout, texel, options.padding);
    fig["texel_size_source"] = memory
                                   ? "median ground sampling distance, enlarged to fit the memory"
                                   : "median ground sampling distance, enlarged to fit the "
                                     "atlas side limit";
  };
  for (int round = 0; round < 4 && !options.texel_size_mm; ++round) {
    const double side = std::sqrt(texels * kAtlasSlack);
    if (grow(side, side) <= 1.0) break;
    enlarge(side, side);
  }
  // Refuses an atlas of width x height texels that does not fit, before allocating it.
  auto check_fits = [&](double width, double height) {
    const double need = width * height * 3.0;
    const double longest = std::max(width, height);
    // Texels grow as 1 / texel size^2: the texel size that would fit.
    const double fits_mm =
        texel * 1000.0 *
        std::max(std::sqrt(need / double(std::max<std::uint64_t>(limit, 1))), longest / max_side);
    const bool too_big = need > double(limit), too_long = longest > max_side;
    MUTA_CHECK(!too_big && !too_long)
        << "the texture atlas at a texel size of " << texel * 1000.0 << " mm would need about "
        << std::llround(width) << " x " << std::llround(height) << " texels (" << Gib(need)
        << " uncompressed), more than "
        << (too_big ? "the " + Gib(double(limit)) +
                          (options.max_atlas_bytes
                               ? " allowed"
                               : " allowed (half the available memory, at most 4 GiB)")
                    : std::string())
        << (too_big && too_long ? " and " : "")
        << (too_long ? "the " + std::to_string(options.max_atlas_side) +
                           " texels a side that viewers load"
                     : std::string())
        << "; choose a larger --texel-size (at least about " << std::ceil(fits_mm * 100) / 100
        << " mm)";
  };
  const double estimate_side = std::sqrt(texels * kAtlasSlack);
  check_fits(estimate_side, estimate_side);
  Eigen::Vector2i size = tex::PackCharts(layout.charts);
  for (int round = 0; round < 4 && !options.texel_size_mm && grow(size.x(), size.y()) > 1.0;
       ++round) {
    enlarge(size.x(), size.y());
    size = tex::PackCharts(layout.charts);
  }
  check_fits(size.x(), size.y());
  fig["texel_size_mm"] = texel * 1000.0;
  fig["atlas_width"] = size.x();
  fig["atlas_height"] = size.y();
  fig["atlas_fill"] = texels / (double(size.x()) * size.y());
  fig["seconds_charts"] = Since(t0);

  t0 = std::chrono::steady_clock::now();
  const tex::SeamLeveling level =
      tex::LevelSeams(layout, adj, views, options.leveling_lambda, options.seam_leveling);
  fig["seconds_seam_leveling"] = Since(t0);
  fig["seam_edges"] = level.seam_edges;
  fig["seam_step_before"] = level.step_before;
  fig["seam_step_after"] = level.step_after;
  fig["seam_leveling"] = options.seam_leveling;
  fig["seam_leveling_unknowns"] = level.unknowns;
  fig["seam_leveling_iterations"] = level.iterations;

  t0 = std::chrono::steady_clock::now();
  tex::SeamBlend blend;
  if (options.seam_blending) {
    blend = tex::PlanSeamBlend(mesh, layout, adj, options.seam_blend_texels * texel);
  }
  fig["seam_blending"] = options.seam_blending;
  fig["seam_blend_band_mm"] = options.seam_blending ? blend.band * 1000.0 : 0.0;
  fig["seam_blended_faces"] = blend.blended_faces;
  fig["seconds_seam_blending_plan"] = Since(t0);

  t0 = std::chrono::steady_clock::now();
  tex::BakeStats bake;
  bake.mip_levels = 4;
  out.atlas = tex::BakeAtlas(layout, views, size, level.offsets, options.padding, progress,
                             options.seam_blending ? &blend : nullptr,
                             options.texel_visibility ? &visibility : nullptr, &bake);
  fig["seconds_baking"] = Since(t0);
  if (options.texel_visibility) {
    fig["texels_baked"] = bake.texels;
    fig["texels_from_other_view"] = bake.other_view;
    fig["texels_partly_hidden"] = bake.partly_hidden;
    fig["texels_unseen"] = bake.unseen;
    fig["texels_depth_step_taps"] = bake.rejected_taps;
    fig["texels_consensus"] = bake.consensus;
  }
  for (const tex::MipBleedLevel& m : bake.mip_bleeding) {
    fig[fmt::format("mip{}_bleed_step", m.level)] = m.mean_step;
    fig[fmt::format("mip{}_bleed_visible", m.level)] = m.share_visible;
  }
  fig["padding_texels"] = options.padding;
  fig["seam_step_atlas"] = tex::AtlasSeamStep(layout, adj, out.atlas, options.padding);

  // The output mesh: vertex copies per chart, UVs in the atlas, the input's vertex normals.
  std::vector<Vec3f> normals = mesh.normals;
  if (normals.empty()) {
    Mesh copy;
    copy.vertices = mesh.vertices;
    copy.faces = mesh.faces;
    copy.ComputeVertexNormals();
    normals = std::move(copy.normals);
  }
  Mesh& m = out.mesh;
  const std::size_t nv = layout.vertex_source.size();
  m.vertices.resize(nv);
  m.normals.resize(nv);
  m.uvs.resize(nv);
  for (std::size_t v = 0; v < nv; ++v) {
    const std::uint32_t s = layout.vertex_source[v];
    m.vertices[v] = mesh.vertices[s];
    m.normals[v] = normals[s];
    const Eigen::Vector2d p = tex::AtlasPosition(layout, std::uint32_t(v), options.padding);
    m.uvs[v] = Vec2f(float(p.x() / size.x()), float(1.0 - p.y() / size.y()));
  }
  m.faces = layout.faces;
  m.part_ids = mesh.part_ids;
  m.provenance = mesh.provenance;
  m.confidence = mesh.confidence;
  fig["vertices"] = nv;
  fig["seconds"] = Since(t_start);
  return out;
}

void WriteTexturedMesh(const TexturedMesh& textured, const fs::path& dir,
                       const TextureOptions& options) {
  fs::create_directories(dir);
  const std::string atlas_name = AtlasFileName(options);
  ImageWriteOptions image_options;
  image_options.jpeg_quality = options.jpeg_quality;
  WriteImage(dir / atlas_name, textured.atlas, image_options);

  WriteFileAtomic(dir / "textured.mtl",
                  "# Muta texture stage\nnewmtl textured\nKa 1 1 1\n"
                  "Kd 1 1 1\nKs 0 0 0\nd 1\nillum 1\nmap_Kd " +
                      atlas_name + "\n");
  {
    const Mesh& m = textured.mesh;
    std::string text;
    text.reserve(m.vertices.size() * 90 + m.faces.size() * 40);
    text += "# Muta texture stage: z-up, scene units\nmtllib textured.mtl\n";
    char buf[128];
    for (const Vec3f& v : m.vertices) {
      text.append(buf, std::size_t(std::snprintf(buf, sizeof buf, "v %.7g %.7g %.7g\n",
                                                 double(v.x()), double(v.y()), double(v.z()))));
    }
    for (const Vec2f& t : m.uvs) {
      text.append(buf, std::size_t(std::snprintf(buf, sizeof buf, "vt %.7g %.7g\n", double(t.x()),
                                                 double(t.y()))));
    }
    for (const Vec3f& n : m.normals) {
      text.append(buf, std::size_t(std::snprintf(buf, sizeof buf, "vn %.5g %.5g %.5g\n",
                                                 double(n.x()), double(n.y()), double(n.z()))));
    }
    text += "usemtl textured\n";
    for (const Face& f : m.faces) {
      const unsigned a = f[0] + 1, b = f[1] + 1, c = f[2] + 1;
      text.append(buf, std::size_t(std::snprintf(buf, sizeof buf, "f %u/%u/%u %u/%u/%u %u/%u/%u\n",
                                                 a, a, a, b, b, b, c, c, c)));
    }
    WriteFileAtomic(dir / "textured.obj", text);
  }
  GlbWriteOptions glb;
  glb.base_color_texture = textured.atlas;
  glb.texture_format = options.atlas_format;
  glb.generator = "Muta texture stage";
  WriteGlb(dir / "textured.glb", textured.mesh, glb);
}

Json RunTexture(const fs::path& dense_dir, const TextureOptions& options, Progress& progress) {
  options.Check();
  const fs::path mesh_path = dense_dir / "mesh.ply";
  MUTA_CHECK(fs::is_regular_file(mesh_path))
      << mesh_path.string() << ": no mesh to texture; run the mesh stage first (muta reconstruct "
      << "-w WORKSPACE --from mesh)";
  auto t0 = std::chrono::steady_clock::now();
  const Mesh mesh = ReadPlyMesh(mesh_path);
  MUTA_CHECK(mesh.NumFaces() > 0) << mesh_path.string()
                                  << ": has no faces (a point cloud?); re-run the mesh stage";
  ViewAlignmentOptions align;
  align.lattice_pixels = options.align_lattice_pixels;
  std::string note;
  const fs::path source = TextureImagesDir(
      dense_dir, &note,
      options.align_views ? std::max(kBakeBytesPerPixel, AlignmentBytesPerPixel(align))
                          : kBakeBytesPerPixel);
  if (!note.empty()) spdlog::warn("texture: {}", note);
  std::vector<TextureView> views = LoadTextureViews(source, progress);
  const double load_seconds = Since(t0);
  Json alignment = Json::object();
  if (options.align_views) {
    alignment = AlignViews(mesh, views, align, progress);
  }
  const TexturedMesh textured = TextureMesh(mesh, views, options, progress);
  t0 = std::chrono::steady_clock::now();
  WriteTexturedMesh(textured, dense_dir, options);
  Json fig = textured.figures;
  fig["align_views"] = options.align_views;
  if (options.align_views) fig["view_alignment"] = alignment;
  fig["seconds_load"] = load_seconds;
  fig["texture_images"] = source == dense_dir ? "dense/images" : "dense/texture/images";
  int longest = 0;
  for (const TextureView& v : views) longest = std::max({longest, v.image.width, v.image.height});
  fig["texture_images_longest_side"] = longest;
  fig["seconds_write"] = Since(t0);
  fig["peak_memory_mb"] = double(ProcField("/proc/self/status", "VmHWM")) / 1024.0;
  fig["output"] = (dense_dir / "textured.glb").string();
  spdlog::info(
      "texture: {} faces ({} textured) from {} of {} views, {} charts, atlas {}x{} at {:.2f} mm "
      "per texel; colour step across chart borders {:.1f} -> {:.1f} levels ({:.1f} in the atlas); "
      "mipmap blocks bleeding visibly at levels 1-4: {:.2f} / {:.2f} / {:.2f} / {:.2f} %",
      fig["faces"].get<std::size_t>(), fig["textured_faces"].get<std::size_t>(),
      fig["views_used"].get<std::size_t>(), views.size(), fig["charts"].get<std::size_t>(),
      fig["atlas_width"].get<int>(), fig["atlas_height"].get<int>(),
      fig["texel_size_mm"].get<double>(), fig["seam_step_before"].get<double>(),
      fig["seam_step_after"].get<double>(), fig["seam_step_atlas"].get<double>(),
      100 * fig.value("mip1_bleed_visible", 0.0), 100 * fig.value("mip2_bleed_visible", 0.0),
      100 * fig.value("mip3_bleed_visible", 0.0), 100 * fig.value("mip4_bleed_visible", 0.0));
  return fig;
}

StageDef TextureStage(const TextureOptions& options) {
  options.Check();
  StageDef stage;
  stage.name = "texture";
  stage.options = {
      {"texel_size_mm", options.texel_size_mm ? Json(*options.texel_size_mm) : Json(nullptr)},
      {"smoothness", options.smoothness},
      {"seam_leveling", options.seam_leveling},
      {"seam_blending", options.seam_blending},
      {"exclude_outlier_views", options.exclude_outlier_views},
      {"texel_visibility", options.texel_visibility},
      {"consensus", options.consensus},
      {"seam_blend_texels", options.seam_blend_texels},
      {"padding_texels", options.padding},
      {"atlas_format", options.atlas_format},
      {"method",
       "gmi data term, potts loopy bp, charts, shelf atlas, global seam levelling, "
       "feathered seam blending, per-texel depth-tested baking, views' median where >= 3 see "
       "a texel"}};
  // Only when on, so that workspaces textured before the option existed stay up to date.
  if (options.align_views) {
    stage.options["align_views"] = {{"lattice_pixels", options.align_lattice_pixels}};
  }
  stage.inputs = {"dense/mesh.ply", "dense/sparse", "dense/images"};
  stage.outputs = {"dense/textured.glb", "dense/textured.obj", "dense/textured.mtl",
                   "dense/" + AtlasFileName(options)};
  stage.run = [options](Workspace& ws, Progress& progress) {
    return RunTexture(ws.Path("dense"), options, progress);
  };
  return stage;
}

}  // namespace muta::reconstruct
