// Viewer frame time: what `muta view` spends per frame on a site while its tiles stream.
//   viewer_bench SITE [--frames N] [--size WxH] [--warmup N]
// Headless (EGL; on Mesa llvmpipe without a GPU): SITE is opened through the viewer's own scene
// (render/viewer/view_scene.h: LoadModel + CreateScene, the code `muta view` draws with, minus
// the ImGui panels) and drawn into an offscreen sRGB framebuffer of the viewer's default window
// size, frame after frame, along a fixed path – in from far away, a spiral round the building
// close up, and out again – with the background tile loader running (streaming is live: no
// UpdateUntilComplete). Per frame:
//   cpu_ms       CPU time of the render thread for ViewScene::Update (LOD selection, culling,
//                uploads, evictions) + ViewScene::Draw (command submission), thread CPU clock;
//   submit_ms    wall time of the same;
//   finished_ms  wall time from the frame's start until glFinish returns: the frame is on the
//                screen ("GPU-finished"; on llvmpipe that is its rasteriser threads' work).
// Streaming uses the viewer's settings (render/site_stream.h StreamOptions defaults).
// Prints one JSON object (median, p90, p99, max of each, triangles drawn, tiles resident and
// loading) on stdout.

#include <epoxy/gl.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/json.h"
#include "render/gl_context.h"
#include "render/viewer/view_scene.h"

namespace {

using namespace muta;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

Json Summary(const std::vector<double>& v) {
  return {{"median", Percentile(v, 0.5)},
          {"p90", Percentile(v, 0.9)},
          {"p99", Percentile(v, 0.99)},
          {"max", Percentile(v, 1.0)}};
}

double ThreadCpuMs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return 1e3 * double(t.tv_sec) + 1e-6 * double(t.tv_nsec);
}

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// An offscreen framebuffer like the viewer's window: sRGB colour, 24-bit depth, no MSAA.
class Target {
 public:
  Target(int width, int height) {
    glCreateFramebuffers(1, &fbo_);
    glCreateRenderbuffers(2, rbo_);
    glNamedRenderbufferStorage(rbo_[0], GL_SRGB8_ALPHA8, width, height);
    glNamedRenderbufferStorage(rbo_[1], GL_DEPTH24_STENCIL8, width, height);
    glNamedFramebufferRenderbuffer(fbo_, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, rbo_[0]);
    glNamedFramebufferRenderbuffer(fbo_, GL_DEPTH_STENCIL_ATTACHMENT, GL_RENDERBUFFER, rbo_[1]);
    MUTA_CHECK(glCheckNamedFramebufferStatus(fbo_, GL_DRAW_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE)
        << "viewer_bench: the offscreen framebuffer is incomplete";
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, fbo_);
  }
  ~Target() {
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    glDeleteFramebuffers(1, &fbo_);
    glDeleteRenderbuffers(2, rbo_);
  }
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

 private:
  GLuint fbo_ = 0;
  GLuint rbo_[2] = {0, 0};
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: viewer_bench SITE [--frames N] [--size WxH] [--warmup N]\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);  // stdout is the JSON result
  try {
    int frames = 300, warmup = 5, width = 1280, height = 800;
    for (int i = 2; i < argc; ++i) {
      const std::string arg = argv[i];
      const bool has_value = i + 1 < argc;
      if (arg == "--frames" && has_value) {
        frames = std::atoi(argv[++i]);
      } else if (arg == "--warmup" && has_value) {
        warmup = std::atoi(argv[++i]);
      } else if (arg == "--size" && has_value) {
        char x = 0;
        MUTA_CHECK(std::sscanf(argv[++i], "%d%c%d", &width, &x, &height) == 3 && x == 'x' &&
                   width >= 64 && height >= 64)
            << "--size: expected WIDTHxHEIGHT, e.g. 1280x800";
      } else {
        MUTA_FAIL << "unknown option " << arg;
      }
    }
    MUTA_CHECK(frames >= 2 && warmup >= 0) << "--frames must be >= 2 and --warmup >= 0";

    render::viewer::LoadedModel model = render::viewer::LoadModel(argv[1]);
    const std::string described = model.Describe();
    const auto context = render::CreateHeadlessContext();
    auto scene = render::viewer::CreateScene(std::move(model));
    const Target target(width, height);

    // The viewer's camera: vertical field of view 50 degrees over the window height.
    const double f = 0.5 * height / std::tan(25 * std::numbers::pi / 180);
    const Camera camera = Camera::Pinhole(width, height, f, f, 0.5 * width, 0.5 * height);
    render::viewer::ViewSettings settings;
    const Box3f box = scene->Bounds();
    const Eigen::Vector3d c = box.Center().cast<double>();
    const double r = 0.5 * double(box.Size().norm());
    settings.render.far_m = 20 * r;
    settings.render.near_m = std::clamp(1e-3 * r, 0.01, 1.0);

    std::vector<double> cpu_ms, submit_ms, finished_ms, triangles;
    int max_resident = 0, frames_loading = 0, max_loading = 0;
    const auto start = Clock::now();
    for (int i = -warmup; i < frames; ++i) {
      const double s = double(std::max(i, 0)) / (frames - 1);
      // Distance: 6 r -> 0.35 r (close-up, spiralling up the building) -> 6 r.
      const double distance = r * (6.0 - 5.65 * std::sin(std::numbers::pi * s));
      const double azimuth = 4 * std::numbers::pi * s;
      const double h = box.min.z() + (box.max.z() - box.min.z()) * (0.15 + 0.7 * s);
      const Eigen::Vector3d look(c.x(), c.y(), h);
      const Eigen::Vector3d eye =
          look + Eigen::Vector3d(distance * std::sin(azimuth), -distance * std::cos(azimuth),
                                 0.3 * distance);
      const Rigid3d pose = LookAt(eye, look, Eigen::Vector3d::UnitZ());

      const auto t0 = Clock::now();
      const double cpu0 = ThreadCpuMs();
      scene->Update(camera, pose);
      scene->Draw(camera, pose, settings, width, height);
      const double cpu1 = ThreadCpuMs();
      const auto t1 = Clock::now();
      glFinish();
      const auto t2 = Clock::now();
      if (i < 0) continue;
      const render::viewer::SceneStats stats = scene->Stats();
      cpu_ms.push_back(cpu1 - cpu0);
      submit_ms.push_back(Ms(t0, t1));
      finished_ms.push_back(Ms(t0, t2));
      triangles.push_back(double(stats.triangles_drawn));
      max_resident = std::max(max_resident, stats.tiles_resident);
      max_loading = std::max(max_loading, stats.tiles_loading);
      frames_loading += stats.tiles_loading > 0;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const char* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    const Json out = {{"site", argv[1]},
                      {"model", described},
                      {"gl_renderer", renderer ? renderer : "?"},
                      {"size", std::to_string(width) + "x" + std::to_string(height)},
                      {"frames", frames},
                      {"warmup_frames", warmup},
                      {"seconds", seconds},
                      {"cpu_ms", Summary(cpu_ms)},
                      {"submit_ms", Summary(submit_ms)},
                      {"finished_ms", Summary(finished_ms)},
                      {"triangles_drawn", Summary(triangles)},
                      {"max_tiles_resident", max_resident},
                      {"max_tiles_loading", max_loading},
                      {"frames_with_tiles_loading", frames_loading}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "viewer_bench: %s\n", e.what());
    return 1;
  }
}
