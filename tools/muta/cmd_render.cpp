// muta render: pictures of a mesh or a site bundle, headless (EGL; llvmpipe needs no GPU).
//   muta render MESH|SITE|tileset.json [--camera FILE | --camera SPARSE --image NAME |
//               --view NAME] [--size WxH] [--turntable N] [--depth DEPTH.bin]
//               [--highlight-inferred] [--hide-inferred] [--hide-observed] [--heatmap]
//               [--split F] [--section x=1.5 ...] [--list-views] -o OUT.png
// MESH is a .ply (vertex colours used) or a .glb (base colour texture and per-triangle
// provenance used). A site folder (with tileset.json) or a tileset.json is streamed through
// render::SiteStream at the LOD its screen-space error asks for; --view NAME then also takes
// the viewpoints of site.json. Without a camera the whole model is framed from a three-quarter
// view. The camera file format is in docs/formats.md ("Camera files").
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <Eigen/Geometry>

#include "core/colmap_model.h"
#include "core/depth_map_io.h"
#include "core/error.h"
#include "core/gltf_io.h"
#include "core/image_io.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "core/site_io.h"
#include "render/gl_context.h"
#include "render/renderer.h"
#include "render/site_stream.h"
#include "tools/muta/command.h"

namespace muta::cli {
namespace {

namespace fs = std::filesystem;

struct RenderArgs {
  std::string mesh;
  std::string output;
  std::string camera;
  std::string image;
  std::string view;
  std::string size;
  int turntable = 0;
  std::string depth;
  int samples = render::RenderOptions{}.samples;
  double fov_deg = 40;
  bool no_shadows = false;
  bool ground = false;
  // Sites and layers.
  bool list_views = false;
  bool model = false;
  bool highlight_inferred = false;
  bool hide_inferred = false;
  bool hide_observed = false;
  bool heatmap = false;
  double split = -1;
  std::vector<std::string> sections;
  double max_sse_px = 2;
  double memory_budget_mb = 1024;
};

// Linear RGB of meshes without colours or texture: a neutral clay.
const Eigen::Vector3f kClay(0.52f, 0.47f, 0.40f);

struct View {
  const char* name;
  double azimuth_deg;    ///< around +z, 0 = looking from -y towards +y ("front")
  double elevation_deg;  ///< above the horizon
};

constexpr View kViews[] = {{"three-quarter", 35, 25}, {"front", 0, 8},  {"right", 90, 8},
                           {"back", 180, 8},          {"left", 270, 8}, {"top", 0, 90}};

const View& FindView(const std::string& name) {
  std::string names;
  for (const View& v : kViews) {
    if (name == v.name) return v;
    names += std::string(names.empty() ? "" : ", ") + v.name;
  }
  MUTA_FAIL << "unknown --view '" << name << "'; use one of: " << names;
  return kViews[0];
}

std::pair<int, int> ParseSize(const std::string& text) {
  int w = 0, h = 0;
  char x = 0, extra = 0;
  const int n = std::sscanf(text.c_str(), "%d%c%d%c", &w, &x, &h, &extra);
  MUTA_CHECK(n == 3 && (x == 'x' || x == 'X') && w > 0 && h > 0 && w <= 16384 && h <= 16384)
      << "--size " << text << ": expected WIDTHxHEIGHT in pixels, e.g. 1024x768";
  return {w, h};
}

// The scene: one object from a PLY or GLB (or a folder's model.glb).
render::SceneObject LoadModel(const std::string& path_text) {
  fs::path path(path_text);
  MUTA_CHECK(fs::exists(path)) << "mesh not found: " << path_text;
  if (fs::is_directory(path)) {
    MUTA_CHECK(fs::is_regular_file(path / "model.glb"))
        << path_text
        << " is a folder without model.glb; give a .ply or .glb file, or a site folder holding "
           "tileset.json";
    path /= "model.glb";
  }
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  render::SceneObject object;
  object.base_color = kClay;
  if (ext == ".ply") {
    object.mesh = ReadPlyMesh(path);
  } else if (ext == ".glb") {
    // Site tiles and model.glb carry per-triangle provenance; other glTF files read as observed.
    TileReadOptions read_options;
    read_options.require_provenance = false;
    TileContent content = ReadTileGlb(path, read_options);
    object.mesh = std::move(content.mesh);
    if (content.base_color_texture && !object.mesh.uvs.empty()) {
      object.texture = std::move(content.base_color_texture);
    }
  } else {
    MUTA_FAIL << path.string() << ": unknown mesh format '" << ext << "'; use .ply or .glb";
  }
  MUTA_CHECK(object.mesh.NumFaces() > 0)
      << path.string() << " has no faces (a point cloud?); muta render draws triangle meshes";
  spdlog::info("{}: {} vertices, {} faces{}{}", path.string(), object.mesh.NumVertices(),
               object.mesh.NumFaces(), object.mesh.colors.empty() ? "" : ", vertex colours",
               object.texture ? ", texture" : "");
  return object;
}

// A camera file (docs/formats.md, "Camera files").
std::pair<Camera, Rigid3d> ReadCameraJson(const fs::path& path) {
  const Json j = ReadJsonFile(path);
  const std::string file = path.string();
  if (j.contains("format")) {
    MUTA_CHECK(j["format"] == "muta.camera")
        << file << ": \"format\" is " << j["format"].dump() << ", expected \"muta.camera\"";
  }
  const auto need = [&](const char* key) -> const Json& {
    MUTA_CHECK(j.contains(key)) << file << ": missing \"" << key << "\"";
    return j[key];
  };
  const auto numbers = [&](const Json& value, const std::string& what, std::size_t count) {
    MUTA_CHECK(value.is_array() && (count == 0 || value.size() == count))
        << file << ": \"" << what << "\" must be an array of "
        << (count ? std::to_string(count) + " " : "") << "numbers";
    std::vector<double> out;
    for (const Json& v : value) {
      MUTA_CHECK(v.is_number()) << file << ": \"" << what << "\" must hold numbers";
      out.push_back(v.get<double>());
    }
    return out;
  };
  Camera camera;
  const Json& model = need("model");
  MUTA_CHECK(model.is_string()) << file << ": \"model\" must be a COLMAP model name";
  const auto parsed = CameraModelFromName(model.get<std::string>());
  MUTA_CHECK(parsed.has_value()) << file << ": unknown camera model " << model.dump()
                                 << "; use PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV, ...";
  camera.model = *parsed;
  MUTA_CHECK(need("width").is_number_integer() && need("height").is_number_integer())
      << file << ": \"width\" and \"height\" must be integers (pixels)";
  camera.width = j["width"].get<int>();
  camera.height = j["height"].get<int>();
  camera.params = numbers(need("params"), "params", 0);
  try {
    camera.Check();
  } catch (const Error& e) {
    MUTA_FAIL << file << ": " << e.what();
  }
  const Json& pose_json = need("cam_from_world");
  MUTA_CHECK(pose_json.is_object() && pose_json.contains("rotation") &&
             pose_json.contains("translation"))
      << file
      << ": \"cam_from_world\" needs \"rotation\" [w, x, y, z] and \"translation\" "
         "[x, y, z]";
  const auto q = numbers(pose_json["rotation"], "cam_from_world.rotation", 4);
  const auto t = numbers(pose_json["translation"], "cam_from_world.translation", 3);
  Rigid3d pose;
  pose.rotation = Eigen::Quaterniond(q[0], q[1], q[2], q[3]);
  MUTA_CHECK(pose.rotation.norm() > 1e-9) << file << ": the rotation quaternion is zero";
  pose.rotation.normalize();
  pose.translation = Eigen::Vector3d(t[0], t[1], t[2]);
  return {camera, pose};
}

std::pair<Camera, Rigid3d> ReadColmapCamera(const fs::path& dir, const std::string& image) {
  const SparseModel model = ReadSparseModel(dir);
  const SparseImage* found = nullptr;
  if (image.empty()) {
    MUTA_CHECK(model.images.size() == 1) << dir.string() << " holds " << model.images.size()
                                         << " images; choose one with --image NAME";
    found = &model.images.begin()->second;
  } else {
    found = model.FindImage(image);
    MUTA_CHECK(found != nullptr) << "no image named '" << image << "' in " << dir.string();
  }
  return {model.cameras.at(found->camera_id), found->cam_from_world};
}

// Frames the bounding sphere of `mesh` from a view direction with a pinhole camera.
struct Framing {
  Eigen::Vector3d centre;
  double radius = 1;
};

Framing FrameBox(const Box3f& box) {
  Framing f;
  f.centre = box.Center().cast<double>();
  f.radius = std::max(0.5 * double(box.Size().norm()), 1e-3);
  return f;
}

Framing FrameMesh(const Mesh& mesh) {
  const Box3f box = BoundingBox(mesh.vertices);
  Framing f;
  f.centre = box.Center().cast<double>();
  double r2 = 0;
  for (const Vec3f& v : mesh.vertices)
    r2 = std::max(r2, (v.cast<double>() - f.centre).squaredNorm());
  f.radius = std::max(std::sqrt(r2), 1e-3);
  return f;
}

Rigid3d OrbitPose(const Framing& framing, double azimuth_deg, double elevation_deg,
                  double distance) {
  const double a = azimuth_deg * std::numbers::pi / 180, e = elevation_deg * std::numbers::pi / 180;
  const Eigen::Vector3d dir(std::cos(e) * std::sin(a), -std::cos(e) * std::cos(a), std::sin(e));
  const Eigen::Vector3d eye = framing.centre + distance * dir;
  // Straight down: image up is the view's horizontal direction.
  const Eigen::Vector3d up = std::abs(elevation_deg) > 89.0
                                 ? Eigen::Vector3d(-std::sin(a), std::cos(a), 0)
                                 : Eigen::Vector3d::UnitZ();
  return render::LookAt(eye, framing.centre, up);
}

// OUT.png -> OUT_007.png for frame 7 of a turntable; unchanged for a single image.
fs::path FramePath(const fs::path& path, int frame, int frames) {
  if (frames <= 1) return path;
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), "_%03d", frame);
  return path.parent_path() / (path.stem().string() + suffix + path.extension().string());
}

render::SceneObject GroundUnder(const Box3f& box, const Framing& framing) {
  const float half = static_cast<float>(framing.radius * 4);
  const Vec3f c = box.Center();
  render::SceneObject ground;
  ground.mesh.vertices = {Vec3f(c.x() - half, c.y() - half, box.min.z()),
                          Vec3f(c.x() + half, c.y() - half, box.min.z()),
                          Vec3f(c.x() + half, c.y() + half, box.min.z()),
                          Vec3f(c.x() - half, c.y() + half, box.min.z())};
  ground.mesh.faces = {Face(0, 1, 2), Face(0, 2, 3)};
  ground.base_color = {0.45f, 0.45f, 0.43f};
  ground.casts_shadow = false;
  return ground;
}

// --section AXIS=VALUE removes what lies beyond VALUE along +AXIS (-AXIS=VALUE: below it);
// "a,b,c,d" is the plane a x + b y + c z + d = 0 removing its positive side.
Eigen::Vector4d ParseSection(const std::string& text) {
  const std::string usage =
      "--section " + text +
      ": expected AXIS=METRES (x=1.5 cuts away x > 1.5; -z=2 cuts away z < 2) or A,B,C,D "
      "(cuts away A x + B y + C z + D > 0)";
  const auto eq = text.find('=');
  if (eq != std::string::npos) {
    std::string axis = text.substr(0, eq);
    double sign = 1;
    if (!axis.empty() && (axis[0] == '-' || axis[0] == '+')) {
      sign = axis[0] == '-' ? -1 : 1;
      axis = axis.substr(1);
    }
    MUTA_CHECK(axis == "x" || axis == "y" || axis == "z") << usage;
    char* end = nullptr;
    const std::string value_text = text.substr(eq + 1);
    const double value = std::strtod(value_text.c_str(), &end);
    MUTA_CHECK(!value_text.empty() && end && *end == 0 && std::isfinite(value)) << usage;
    Eigen::Vector4d plane = Eigen::Vector4d::Zero();
    plane[axis[0] - 'x'] = sign;
    plane[3] = -sign * value;
    return plane;
  }
  double v[4];
  char extra = 0;
  MUTA_CHECK(std::sscanf(text.c_str(), "%lf,%lf,%lf,%lf%c", &v[0], &v[1], &v[2], &v[3], &extra) ==
             4)
      << usage;
  const Eigen::Vector4d plane(v[0], v[1], v[2], v[3]);
  MUTA_CHECK(plane.allFinite() && plane.head<3>().norm() > 0) << usage;
  return plane;
}

// A site input: a folder with tileset.json, or a tileset .json file.
std::optional<fs::path> SiteTileset(const RenderArgs& args) {
  const fs::path path(args.mesh);
  if (fs::is_directory(path) && fs::is_regular_file(path / "tileset.json") && !args.model) {
    return path / "tileset.json";
  }
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".json") return path;
  return std::nullopt;
}

// A saved viewpoint of site.json (site_export.cpp DefaultViewpoint): eye, target, up (z-up
// metres) and fov_deg, the field of view across the narrower side of the image.
struct SiteView {
  std::string name, description;
  Eigen::Vector3d eye, target, up;
  double fov_deg = 40;
};

std::vector<SiteView> SiteViews(const std::optional<Json>& site, const std::string& file) {
  std::vector<SiteView> views;
  if (!site) return views;
  const auto vec3 = [&](const Json& v, const std::string& what) {
    MUTA_CHECK(v.is_array() && v.size() == 3 && v[0].is_number() && v[1].is_number() &&
               v[2].is_number())
        << file << ": viewpoint " << what << " must be [x, y, z]";
    return Eigen::Vector3d(v[0].get<double>(), v[1].get<double>(), v[2].get<double>());
  };
  for (const Json& v : (*site)["viewpoints"]) {
    MUTA_CHECK(v.is_object() && v.contains("name") && v["name"].is_string() && v.contains("eye") &&
               v.contains("target"))
        << file << ": a viewpoint needs \"name\", \"eye\" and \"target\"";
    SiteView view;
    view.name = v["name"].get<std::string>();
    view.description = v.value("description", std::string());
    view.eye = vec3(v["eye"], view.name + ".eye");
    view.target = vec3(v["target"], view.name + ".target");
    view.up = v.contains("up") ? vec3(v["up"], view.name + ".up") : Eigen::Vector3d::UnitZ();
    if (v.contains("fov_deg")) {
      MUTA_CHECK(v["fov_deg"].is_number() && v["fov_deg"].get<double>() > 1 &&
                 v["fov_deg"].get<double>() < 170)
          << file << ": viewpoint " << view.name << ".fov_deg must be in (1, 170) degrees";
      view.fov_deg = v["fov_deg"].get<double>();
    }
    MUTA_CHECK((view.eye - view.target).norm() > 0 && view.up.norm() > 0)
        << file << ": viewpoint " << view.name << " has eye == target or a zero up vector";
    views.push_back(view);
  }
  return views;
}

int RunRender(const RenderArgs& args) {
  const std::optional<fs::path> tileset = SiteTileset(args);
  std::optional<Json> site;
  std::string site_file;
  if (tileset) {
    MUTA_CHECK(fs::is_regular_file(*tileset))
        << "tileset not found: " << tileset->string()
        << " (give a site folder written by `muta export` or its tileset.json)";
    const fs::path site_path = tileset->parent_path() / "site.json";
    if (fs::is_regular_file(site_path)) {
      site = ReadSiteJson(site_path);
      site_file = site_path.string();
    }
  }
  const std::vector<SiteView> site_views = SiteViews(site, site_file);
  if (args.list_views) {
    for (const SiteView& v : site_views) {
      std::printf("%-16s site viewpoint: %s\n", v.name.c_str(), v.description.c_str());
    }
    for (const View& v : kViews) {
      std::printf("%-16s framed: azimuth %.0f deg, elevation %.0f deg\n", v.name, v.azimuth_deg,
                  v.elevation_deg);
    }
    return kExitOk;
  }
  MUTA_CHECK(!args.output.empty()) << "give the output image with -o OUT.png";
  const fs::path output(args.output);
  std::string ext = output.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  MUTA_CHECK(ext == ".png" || ext == ".jpg" || ext == ".jpeg")
      << "-o " << args.output << ": the output must be a .png or .jpg file";
  MUTA_CHECK(args.camera.empty() || (args.view.empty() && args.size.empty() && !args.turntable))
      << "--camera sets the view and the image size: leave out --view, --size and --turntable";
  MUTA_CHECK(args.image.empty() || !args.camera.empty())
      << "--image NAME picks an image of a COLMAP model given with --camera SPARSE_FOLDER";

  // Options first, so that a typo is reported before a large mesh is read.
  const auto [width, height] = ParseSize(args.size.empty() ? "1024x768" : args.size);
  const SiteView* site_view = nullptr;
  for (const SiteView& v : site_views) {
    if (v.name == args.view) site_view = &v;
  }
  const View& view =
      site_view ? kViews[0] : FindView(args.view.empty() ? "three-quarter" : args.view);
  render::RenderOptions options;
  options.samples = args.samples;
  options.lighting.shadows = !args.no_shadows;
  options.layers.highlight_inferred = args.highlight_inferred;
  options.layers.show_inferred = !args.hide_inferred;
  options.layers.show_observed = !args.hide_observed;
  options.layers.confidence_heatmap = args.heatmap;
  options.layers.split = static_cast<float>(args.split);
  for (const std::string& section : args.sections) {
    options.section_planes.push_back(ParseSection(section));
  }
  options.Check();
  render::StreamOptions stream_options;
  stream_options.max_sse_px = args.max_sse_px;
  stream_options.memory_budget_bytes =
      static_cast<std::size_t>(std::max(1.0, args.memory_budget_mb) * 1024 * 1024);
  stream_options.Check();

  const auto context = render::CreateHeadlessContext();
  spdlog::debug("OpenGL: {}", context->Describe());
  render::Renderer renderer;
  std::unique_ptr<render::SiteStream> stream;
  Framing framing;
  if (tileset) {
    stream = std::make_unique<render::SiteStream>(*tileset, renderer, stream_options);
    const Box3f box = stream->Bounds();
    framing = FrameBox(box);
    spdlog::info("{}: {} tiles", tileset->string(), stream->NumTiles());
    if (args.ground) renderer.Add({GroundUnder(box, framing)});
  } else {
    render::SceneObject model = LoadModel(args.mesh);
    const Box3f box = BoundingBox(model.mesh.vertices);
    framing = FrameMesh(model.mesh);
    std::vector<render::SceneObject> objects;
    if (args.ground) objects.push_back(GroundUnder(box, framing));
    objects.push_back(std::move(model));
    renderer.Add(std::move(objects));
  }
  options.far_m = std::max(options.far_m, 20 * framing.radius);

  // Cameras: one from the file, a site viewpoint, or the orbit views.
  std::vector<std::pair<Camera, Rigid3d>> views;
  const int frames = std::max(1, args.turntable);
  if (!args.camera.empty()) {
    const fs::path camera_path(args.camera);
    MUTA_CHECK(fs::exists(camera_path)) << "camera file not found: " << args.camera;
    auto file_view = fs::is_directory(camera_path) ? ReadColmapCamera(camera_path, args.image)
                                                   : ReadCameraJson(camera_path);
    MUTA_CHECK(file_view.first.Supported())
        << args.camera << ": camera model " << CameraModelName(file_view.first.model)
        << " cannot be rendered; use SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV "
           "or FULL_OPENCV";
    views.push_back(file_view);
  } else if (site_view) {
    // fov_deg spans the narrower side of the image.
    const double focal =
        0.5 * std::min(width, height) / std::tan(site_view->fov_deg * std::numbers::pi / 360);
    const Camera camera = Camera::Pinhole(width, height, focal, focal, 0.5 * width, 0.5 * height);
    for (int i = 0; i < frames; ++i) {
      // A turntable turns the eye about the vertical axis through the target.
      const Eigen::AngleAxisd turn(2 * std::numbers::pi * i / frames, Eigen::Vector3d::UnitZ());
      const Eigen::Vector3d eye = site_view->target + turn * (site_view->eye - site_view->target);
      views.push_back({camera, render::LookAt(eye, site_view->target, turn * site_view->up)});
    }
  } else {
    const double half_fov_x = args.fov_deg * std::numbers::pi / 360;
    const double focal = 0.5 * width / std::tan(half_fov_x);
    const double half_fov = std::min(half_fov_x, std::atan(0.5 * height / focal));
    // The bounding sphere fits the narrower field of view, with a little room.
    const double distance = 1.05 * framing.radius / std::sin(half_fov);
    const Camera camera = Camera::Pinhole(width, height, focal, focal, 0.5 * width, 0.5 * height);
    for (int i = 0; i < frames; ++i) {
      views.push_back({camera, OrbitPose(framing, view.azimuth_deg + 360.0 * i / frames,
                                         view.elevation_deg, distance)});
    }
  }

  Progress progress;
  const int count = static_cast<int>(views.size());
  if (count > 1) progress.Begin("render", count, "frames");
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    CheckInterrupted();
    if (stream) {
      const render::StreamStats stats =
          stream->UpdateUntilComplete(views[i].first, views[i].second);
      spdlog::info("frame {}: {} tiles drawn, {} triangles, {} resident ({:.1f} MB)", i,
                   stats.tiles_selected, stats.triangles_drawn, stats.tiles_resident,
                   double(stats.resident_bytes) / 1e6);
    }
    const render::RenderResult result = renderer.Render(views[i].first, views[i].second, options);
    const fs::path out = FramePath(output, i, count);
    if (out.has_parent_path()) fs::create_directories(out.parent_path());
    WriteImage(out, result.color);
    if (!args.depth.empty()) WriteColmapArray(FramePath(args.depth, i, count), result.depth);
    if (count > 1) progress.Advance();
    if (count == 1)
      spdlog::info("wrote {} ({}x{})", out.string(), result.color.width, result.color.height);
  }
  if (count > 1) progress.End();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (count > 1) {
    spdlog::info("wrote {} frames {} ... {} ({:.2f} s per frame)", count,
                 FramePath(output, 0, count).string(), FramePath(output, count - 1, count).string(),
                 seconds / count);
  }
  return kExitOk;
}

}  // namespace

CommandSpec RenderCommand() {
  return {
      "render", "Render pictures (and depth maps) of a mesh or a site bundle, headless",
      [](CLI::App& sub, const GlobalOptions&) -> RunFunction {
        auto o = std::make_shared<RenderArgs>();
        sub.add_option("mesh", o->mesh,
                       "Mesh (.ply, .glb), a site folder (tileset.json) or a tileset.json")
            ->required();
        sub.add_option("-o,--output", o->output,
                       "Output image (.png or .jpg); with --turntable N, OUT_000.png ...");
        sub.add_option("--camera", o->camera,
                       "Camera JSON file (docs/formats.md) or a COLMAP sparse model folder");
        sub.add_option("--image", o->image, "With --camera SPARSE: the image whose view to render");
        sub.add_option("--view", o->view,
                       "A site viewpoint (see --list-views) or a framed view: three-quarter "
                       "(default), front, right, back, left, top");
        sub.add_flag("--list-views", o->list_views, "List the views --view accepts and exit");
        sub.add_flag("--model", o->model,
                     "For a site folder: render its model.glb instead of streaming the tiles");
        sub.add_flag("--highlight-inferred", o->highlight_inferred,
                     "Draw inferred (restored) triangles in the highlight colour");
        sub.add_flag("--hide-inferred", o->hide_inferred, "Leave inferred triangles out");
        sub.add_flag("--hide-observed", o->hide_observed, "Leave observed triangles out");
        sub.add_flag("--heatmap", o->heatmap,
                     "Colour triangles by confidence (red 0, yellow 0.5, green 1)");
        sub.add_option("--split", o->split,
                       "Split screen at this fraction of the width: observed only on the left, "
                       "everything with inferred highlighted on the right")
            ->check(CLI::Range(0.0, 1.0));
        sub.add_option("--section", o->sections,
                       "Section plane, repeatable: x=1.5 cuts away x > 1.5, -z=2 cuts away "
                       "z < 2, A,B,C,D cuts away A x + B y + C z + D > 0");
        sub.add_option("--max-sse", o->max_sse_px,
                       "Sites: largest screen-space error of a drawn tile, pixels")
            ->check(CLI::Range(0.01, 1000.0))
            ->capture_default_str();
        sub.add_option("--memory-budget", o->memory_budget_mb,
                       "Sites: memory for resident tiles, MiB")
            ->check(CLI::Range(1.0, 1048576.0))
            ->capture_default_str();
        sub.add_option("--size", o->size, "Image size WIDTHxHEIGHT (default 1024x768)");
        sub.add_option("--turntable", o->turntable, "Render N frames around the model")
            ->check(CLI::Range(1, 3600));
        sub.add_option("--fov", o->fov_deg, "Horizontal field of view of framed views, degrees")
            ->check(CLI::Range(5.0, 150.0))
            ->capture_default_str();
        sub.add_option("--depth", o->depth,
                       "Also write the metric depth map (COLMAP .bin array; camera z in metres)");
        sub.add_option("--samples", o->samples, "Multisampling (antialiasing) samples")
            ->check(CLI::Range(1, 16))
            ->capture_default_str();
        sub.add_flag("--no-shadows", o->no_shadows, "Render without sun shadows");
        sub.add_flag("--ground", o->ground, "Put a ground plane under the model");
        return [o] { return RunRender(*o); };
      }};
}

}  // namespace muta::cli
