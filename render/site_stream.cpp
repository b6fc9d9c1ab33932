#include "render/site_stream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>
#include <Eigen/Geometry>

#include "core/error.h"
#include "core/ray_bvh.h"
#include "core/site_io.h"

namespace muta::render {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

// ---- the CPU copy of a tile for picking: triangles and core's ray BVH over them -----------

struct TileGeometry {
  explicit TileGeometry(const Mesh& mesh)
      : vertices(mesh.vertices),
        faces(mesh.faces),
        provenance(mesh.provenance),
        confidence(mesh.confidence),
        bvh(mesh) {}
  std::vector<Vec3f> vertices;
  std::vector<Face> faces;
  std::vector<Provenance> provenance;
  std::vector<float> confidence;
  RayBvh bvh;

  std::size_t Bytes() const {
    return vertices.size() * sizeof(Vec3f) + faces.size() * sizeof(Face) +
           provenance.size() * sizeof(Provenance) + confidence.size() * sizeof(float) + bvh.Bytes();
  }
};

// ---- tile states ----------------------------------------------------------------------------

enum class State : std::uint8_t { kNone, kQueued, kLoaded, kResident, kFailed };

struct Loaded {
  int tile = -1;
  std::optional<PreparedObject> object;
  std::unique_ptr<TileGeometry> geometry;
  std::size_t bytes = 0;
  std::int64_t triangles = 0;
  std::string error;
};

struct TileState {
  State state = State::kNone;
  int object = -1;  // renderer id when resident
  std::size_t bytes = 0;
  std::int64_t triangles = 0;
  std::uint64_t last_used = 0;    // frame it was last drawn or wanted
  std::uint64_t last_wanted = 0;  // frame it was last requested
  std::uint64_t want_epoch = 0;   // selection pass that last wanted it
  double priority = 0;
  bool drawn = false;
  std::unique_ptr<Loaded> loaded;          // kLoaded
  std::unique_ptr<TileGeometry> geometry;  // kResident
};

// A view frustum as world planes n·x + d >= 0 inside.
struct Frustum {
  Eigen::Vector3d n[5];
  double d[5];
  bool Outside(const Box3f& box) const {
    for (int i = 0; i < 5; ++i) {
      const Eigen::Vector3d p(n[i].x() >= 0 ? box.max.x() : box.min.x(),
                              n[i].y() >= 0 ? box.max.y() : box.min.y(),
                              n[i].z() >= 0 ? box.max.z() : box.min.z());
      if (n[i].dot(p) + d[i] < 0) return true;
    }
    return false;
  }
};

Frustum MakeFrustum(const Camera& camera, const Rigid3d& cam_from_world) {
  const double fx = camera.FocalX(), fy = camera.FocalY();
  const double cx = camera.PrincipalX(), cy = camera.PrincipalY();
  // 5 % margin on each side for lens distortion and rounding.
  const double mx = 0.05 * camera.width, my = 0.05 * camera.height;
  const double xl = (-cx - mx) / fx, xr = (camera.width - cx + mx) / fx;
  const double yt = (-cy - my) / fy, yb = (camera.height - cy + my) / fy;
  const Eigen::Vector3d planes[5] = {Eigen::Vector3d(1.0, 0.0, -xl), Eigen::Vector3d(-1.0, 0.0, xr),
                                     Eigen::Vector3d(0.0, 1.0, -yt), Eigen::Vector3d(0.0, -1.0, yb),
                                     Eigen::Vector3d(0.0, 0.0, 1.0)};
  const Eigen::Matrix3d r = cam_from_world.rotation.toRotationMatrix();
  Frustum f;
  for (int i = 0; i < 5; ++i) {
    f.n[i] = r.transpose() * planes[i];
    f.d[i] = planes[i].dot(cam_from_world.translation);
  }
  return f;
}

double BoxDistance(const Box3f& box, const Eigen::Vector3d& p) {
  const Eigen::Vector3d lo = box.min.cast<double>(), hi = box.max.cast<double>();
  const Eigen::Vector3d q = p.cwiseMax(lo).cwiseMin(hi);
  return (p - q).norm();
}

}  // namespace

void StreamOptions::Check() const {
  MUTA_CHECK(std::isfinite(max_sse_px) && max_sse_px > 0)
      << "StreamOptions.max_sse_px must be > 0 pixels, got " << max_sse_px;
  MUTA_CHECK(memory_budget_bytes > 0) << "StreamOptions.memory_budget_bytes must be > 0";
  MUTA_CHECK(max_uploads_per_frame >= 1)
      << "StreamOptions.max_uploads_per_frame must be >= 1, got " << max_uploads_per_frame;
  MUTA_CHECK(loader_threads >= 1 && loader_threads <= 64)
      << "StreamOptions.loader_threads must be 1..64, got " << loader_threads;
}

struct SiteStream::Impl {
  fs::path tileset_path;
  Tileset tileset;
  Renderer* renderer = nullptr;
  StreamOptions options;
  std::vector<TileState> states;
  std::uint64_t frame = 0;
  std::uint64_t epoch = 0;  // selection passes
  int evictions = 0;        // this frame
  double sse_scale = 1;
  bool hold_scale = false;       // UpdateUntilComplete: never relax (no oscillation)
  std::uint64_t last_stall = 0;  // frame an upload last did not fit
  std::size_t resident_bytes = 0;
  int resident = 0;
  std::vector<int> drawn;  // tiles drawn by the last Update
  std::size_t bytes_per_triangle_estimate = 0;
  std::size_t resident_triangles = 0;

  // Loader (guarded by mutex).
  std::mutex mutex;
  std::condition_variable work_cv, done_cv;
  struct Request {
    int tile;
    double priority;
  };
  std::vector<Request> requests;
  std::vector<int> in_progress;
  std::vector<std::unique_ptr<Loaded>> finished;
  bool stop = false;
  std::vector<std::thread> threads;

  // Selection output.
  struct Selection {
    std::vector<int> draw;
    std::vector<int> want;  // desired tiles not resident (and the parents of those)
    int wanted = 0;         // desired tiles
    std::size_t wanted_bytes = 0;
    bool complete = true;
  };

  void LoaderLoop();
  std::unique_ptr<Loaded> Load(int tile) const;
  Selection Select(const Camera& camera, const Rigid3d& cam_from_world, double scale);
  bool Visit(int t, const Frustum& frustum, const Eigen::Vector3d& eye, double focal,
             double threshold, Selection& sel);
  void Want(int t, double priority, Selection& sel);
  std::size_t EstimateBytes(int t) const;
  void Evict(int t);
  bool MakeRoom(std::size_t bytes, const std::vector<char>& protect);
};

std::unique_ptr<Loaded> SiteStream::Impl::Load(int tile) const {
  auto out = std::make_unique<Loaded>();
  out->tile = tile;
  const TilesetTile& t = tileset.tiles[std::size_t(tile)];
  const fs::path path = TileContentPath(tileset_path, t);
  try {
    TileContent content = ReadTileGlb(path);
    auto geometry = std::make_unique<TileGeometry>(content.mesh);
    SceneObject object;
    object.base_color = {0.52f, 0.47f, 0.40f};
    if (content.base_color_texture && !content.mesh.uvs.empty()) {
      object.texture = std::move(content.base_color_texture);
    }
    object.mesh = std::move(content.mesh);
    out->triangles = static_cast<std::int64_t>(object.mesh.NumFaces());
    out->object = Renderer::Prepare(std::move(object));
    out->bytes = out->object->GpuBytes() + geometry->Bytes();
    out->geometry = std::move(geometry);
  } catch (const std::exception& e) {
    out->object.reset();
    out->geometry.reset();
    out->error = std::string(e.what());
    if (out->error.find(path.string()) == std::string::npos) {
      out->error = path.string() + ": " + out->error;
    }
  }
  return out;
}

void SiteStream::Impl::LoaderLoop() {
  std::unique_lock lock(mutex);
  while (true) {
    work_cv.wait(lock, [&] { return stop || !requests.empty(); });
    if (stop) return;
    // The most urgent request.
    std::size_t best = 0;
    for (std::size_t i = 1; i < requests.size(); ++i) {
      if (requests[i].priority > requests[best].priority) best = i;
    }
    const int tile = requests[best].tile;
    requests[best] = requests.back();
    requests.pop_back();
    in_progress.push_back(tile);
    lock.unlock();
    std::unique_ptr<Loaded> loaded = Load(tile);
    lock.lock();
    in_progress.erase(std::find(in_progress.begin(), in_progress.end(), tile));
    finished.push_back(std::move(loaded));
    done_cv.notify_all();
  }
}

std::size_t SiteStream::Impl::EstimateBytes(int t) const {
  const TileState& s = states[std::size_t(t)];
  if (s.state == State::kResident || s.state == State::kLoaded) return s.bytes;
  // Unknown yet: tiles of one export hold similar triangle counts; use the mean so far.
  return resident > 0 ? resident_bytes / std::size_t(resident) : 0;
}

void SiteStream::Impl::Want(int t, double priority, Selection& sel) {
  TileState& s = states[std::size_t(t)];
  if (s.state == State::kResident || s.state == State::kFailed) return;
  if (s.want_epoch != epoch) {
    s.want_epoch = epoch;
    s.priority = priority;
    sel.want.push_back(t);
  } else {
    s.priority = std::max(s.priority, priority);
  }
}

bool SiteStream::Impl::Visit(int t, const Frustum& frustum, const Eigen::Vector3d& eye,
                             double focal, double threshold, Selection& sel) {
  const TilesetTile& tile = tileset.tiles[std::size_t(t)];
  if (frustum.Outside(tile.box)) return true;  // nothing of it to cover
  TileState& s = states[std::size_t(t)];
  s.last_used = frame;
  const double distance = BoxDistance(tile.box, eye);
  const double sse = distance > 0 ? tile.geometric_error * focal / distance
                                  : std::numeric_limits<double>::infinity();
  const bool has_content = !tile.content_uri.empty();
  const bool resident = s.state == State::kResident;
  const double priority = 1.0 / (1.0 + distance);
  const bool refine = !tile.children.empty() && sse > threshold;

  if (!refine) {
    if (!has_content) return true;
    ++sel.wanted;
    sel.wanted_bytes += EstimateBytes(t);
    if (s.state == State::kFailed) {  // an ancestor stands in
      if (tile.parent >= 0) {
        Want(tile.parent, 0.5 * priority, sel);
        if (states[std::size_t(tile.parent)].state != State::kResident) sel.complete = false;
      }
      return false;
    }
    if (resident) {
      sel.draw.push_back(t);
      return true;
    }
    sel.complete = false;
    Want(t, priority, sel);
    if (tile.parent >= 0) Want(tile.parent, 0.5 * priority, sel);
    // Zooming out: the resident children that covered this tile last frame stand in.
    if (sse_scale == 1 && !tile.children.empty() && tile.refine == "REPLACE") {
      bool all = true;
      for (int c : tile.children) {
        const TileState& cs = states[std::size_t(c)];
        const bool c_content = !tileset.tiles[std::size_t(c)].content_uri.empty();
        if (c_content && cs.state != State::kResident) all = false;
      }
      if (all) {
        for (int c : tile.children) {
          if (!tileset.tiles[std::size_t(c)].content_uri.empty()) {
            states[std::size_t(c)].last_used = frame;
            sel.draw.push_back(c);
          }
        }
        return true;
      }
    }
    return false;
  }

  if (tile.refine == "ADD") {
    bool ok = true;
    if (has_content) {
      ++sel.wanted;
      sel.wanted_bytes += EstimateBytes(t);
      if (resident) {
        sel.draw.push_back(t);
      } else if (s.state != State::kFailed) {
        sel.complete = false;
        Want(t, priority, sel);
        ok = false;
      }
    }
    for (int c : tile.children) ok = Visit(c, frustum, eye, focal, threshold, sel) && ok;
    return ok;
  }

  // REPLACE: the children's cover replaces this tile only when it is complete.
  const std::size_t mark = sel.draw.size();
  bool all = true;
  for (int c : tile.children) all = Visit(c, frustum, eye, focal, threshold, sel) && all;
  if (all) return true;
  if (has_content && resident) {
    sel.draw.resize(mark);
    sel.draw.push_back(t);
    return true;
  }
  return false;
}

SiteStream::Impl::Selection SiteStream::Impl::Select(const Camera& camera,
                                                     const Rigid3d& cam_from_world, double scale) {
  Selection sel;
  ++epoch;
  const Frustum frustum = MakeFrustum(camera, cam_from_world);
  const Eigen::Vector3d eye = CameraCenter(cam_from_world);
  const double focal = std::max(camera.FocalX(), camera.FocalY());
  Visit(0, frustum, eye, focal, options.max_sse_px * scale, sel);
  // The root is the stand-in of last resort: always wanted.
  if (!tileset.tiles[0].content_uri.empty()) {
    Want(0, std::numeric_limits<double>::infinity(), sel);
  }
  return sel;
}

void SiteStream::Impl::Evict(int t) {
  TileState& s = states[std::size_t(t)];
  MUTA_INTERNAL_CHECK(s.state == State::kResident);
  renderer->Remove(s.object);
  s.object = -1;
  s.geometry.reset();
  s.state = State::kNone;
  s.drawn = false;
  resident_bytes -= s.bytes;
  resident_triangles -= std::size_t(s.triangles);
  --resident;
  ++evictions;
}

// Evicts least-recently-used resident tiles outside `protect` (and never the root) until
// `bytes` more fit in the budget. Returns whether they fit.
bool SiteStream::Impl::MakeRoom(std::size_t bytes, const std::vector<char>& protect) {
  const std::size_t budget = options.memory_budget_bytes;
  if (resident_bytes + bytes <= budget) return true;
  std::vector<int> candidates;
  for (std::size_t t = 1; t < states.size(); ++t) {
    if (states[t].state == State::kResident && !protect[t]) candidates.push_back(int(t));
  }
  std::sort(candidates.begin(), candidates.end(), [&](int a, int b) {
    return states[std::size_t(a)].last_used < states[std::size_t(b)].last_used;
  });
  for (int t : candidates) {
    if (resident_bytes + bytes <= budget) break;
    Evict(t);
  }
  return resident_bytes + bytes <= budget;
}

SiteStream::SiteStream(const fs::path& tileset_json, Renderer& renderer, StreamOptions options)
    : impl_(std::make_unique<Impl>()) {
  options.Check();
  fs::path path = tileset_json;
  if (fs::is_directory(path)) {
    MUTA_CHECK(fs::is_regular_file(path / "tileset.json"))
        << path.string() << " is a folder without tileset.json; give a site bundle written by "
        << "`muta export` or its tileset.json";
    path /= "tileset.json";
  }
  MUTA_CHECK(fs::is_regular_file(path))
      << "tileset not found: " << path.string() << " (give a site folder or its tileset.json)";
  impl_->tileset_path = path;
  impl_->tileset = ReadTileset(path);
  MUTA_CHECK(!impl_->tileset.tiles.empty()) << path.string() << ": the tileset has no tiles";
  MUTA_CHECK(!impl_->tileset.tiles[0].box.Empty())
      << path.string() << ": the root tile has an empty bounding volume";
  impl_->renderer = &renderer;
  impl_->options = options;
  impl_->states.resize(impl_->tileset.tiles.size());
  for (int i = 0; i < options.loader_threads; ++i) {
    impl_->threads.emplace_back([impl = impl_.get()] { impl->LoaderLoop(); });
  }
  spdlog::debug("site stream {}: {} tiles, depth {}", path.string(), impl_->tileset.tiles.size(),
                impl_->tileset.MaxDepth());
}

SiteStream::~SiteStream() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stop = true;
  }
  impl_->work_cv.notify_all();
  for (std::thread& t : impl_->threads) t.join();
  for (TileState& s : impl_->states) {
    if (s.state == State::kResident) {
      try {
        impl_->renderer->Remove(s.object);
      } catch (const std::exception&) {  // the renderer was cleared by its owner
      }
    }
  }
}

StreamStats SiteStream::Update(const Camera& camera, const Rigid3d& cam_from_world) {
  const auto update_start = Clock::now();
  Impl& m = *impl_;
  ++m.frame;
  StreamStats stats;
  std::string first_error;

  // 1. Results of the loader.
  std::vector<std::unique_ptr<Loaded>> finished;
  {
    std::lock_guard lock(m.mutex);
    finished.swap(m.finished);
  }
  for (auto& loaded : finished) {
    TileState& s = m.states[std::size_t(loaded->tile)];
    if (!loaded->error.empty()) {
      s.state = State::kFailed;
      spdlog::error("tile {}: {}", loaded->tile, loaded->error);
      if (first_error.empty()) first_error = loaded->error;
      continue;
    }
    s.state = State::kLoaded;
    s.bytes = loaded->bytes;
    s.triangles = loaded->triangles;
    s.loaded = std::move(loaded);
  }

  // 2. Selection, coarsened while the wanted set would not fit the budget (estimate) and
  // relaxed when memory frees up.
  const auto select_start = Clock::now();
  const std::size_t budget = m.options.memory_budget_bytes;
  double scale = m.sse_scale;
  Impl::Selection sel = m.Select(camera, cam_from_world, scale);
  bool raised = false;
  while (sel.wanted_bytes > budget * 7 / 10 && scale < 1e6 && sel.wanted > 1) {
    scale *= 1.25;
    raised = true;
    sel = m.Select(camera, cam_from_world, scale);
  }
  if (!raised && !m.hold_scale && scale > 1 && m.frame > m.last_stall + 30) {
    const double relaxed = std::max(1.0, scale / 1.25);
    Impl::Selection finer = m.Select(camera, cam_from_world, relaxed);
    if (finer.wanted_bytes <= budget / 2) {
      scale = relaxed;
      sel = std::move(finer);
    } else {
      sel = m.Select(camera, cam_from_world, scale);
    }
  }
  m.sse_scale = scale;
  stats.select_ms = Ms(select_start);

  // 3. Uploads: finished tiles still wanted, most urgent first, within the budget.
  std::vector<int> ready;
  for (int t : sel.want) {
    if (m.states[std::size_t(t)].state == State::kLoaded) ready.push_back(t);
  }
  std::sort(ready.begin(), ready.end(), [&](int a, int b) {
    return m.states[std::size_t(a)].priority > m.states[std::size_t(b)].priority;
  });
  std::vector<char> protect(m.states.size(), 0);
  for (int t : sel.draw) protect[std::size_t(t)] = 1;
  for (int t : sel.want) protect[std::size_t(t)] = 1;
  m.evictions = 0;
  int uploads = 0;
  for (int t : ready) {
    if (uploads >= m.options.max_uploads_per_frame) break;
    TileState& s = m.states[std::size_t(t)];
    if (!m.MakeRoom(s.bytes, protect) && !(t == 0 && m.resident == 0)) {
      m.last_stall = m.frame;
      if (m.sse_scale < 1e6) m.sse_scale *= 1.25;  // coarser next frame
      break;
    }
    s.object = m.renderer->Add(std::move(*s.loaded->object));
    s.geometry = std::move(s.loaded->geometry);
    s.loaded.reset();
    s.state = State::kResident;
    m.resident_bytes += s.bytes;
    m.resident_triangles += std::size_t(s.triangles);
    ++m.resident;
    ++uploads;
  }
  stats.uploads = uploads;
  if (uploads > 0) {  // draw what just arrived this frame
    const auto again = Clock::now();
    sel = m.Select(camera, cam_from_world, m.sse_scale);
    stats.select_ms += Ms(again);
  }

  // 4. Evict beyond the budget (tiles not drawn nor wanted, least recently used first); drop
  // loaded tiles nobody wants any more.
  std::fill(protect.begin(), protect.end(), 0);
  for (int t : sel.draw) protect[std::size_t(t)] = 1;
  m.MakeRoom(0, protect);
  stats.evictions = m.evictions;
  for (TileState& s : m.states) {
    if (s.state == State::kLoaded && m.frame > s.last_wanted + 120) {
      s.loaded.reset();
      s.state = State::kNone;
    }
  }

  // 5. Requests for the loader: wanted tiles that are neither loading nor loaded.
  for (int t : sel.want) m.states[std::size_t(t)].last_wanted = m.frame;
  {
    std::lock_guard lock(m.mutex);
    m.requests.clear();
    for (int t : sel.want) {
      TileState& s = m.states[std::size_t(t)];
      if (s.state == State::kLoaded || s.state == State::kResident || s.state == State::kFailed) {
        continue;
      }
      s.state = State::kQueued;
      if (std::find(m.in_progress.begin(), m.in_progress.end(), t) != m.in_progress.end()) {
        continue;
      }
      m.requests.push_back({t, s.priority});
    }
    // Queued tiles no longer wanted go back to none (unless a loader has them already).
    for (std::size_t t = 0; t < m.states.size(); ++t) {
      TileState& s = m.states[t];
      if (s.state == State::kQueued && s.last_wanted != m.frame &&
          std::find(m.in_progress.begin(), m.in_progress.end(), int(t)) == m.in_progress.end()) {
        s.state = State::kNone;
      }
    }
    stats.tiles_loading = static_cast<int>(m.requests.size() + m.in_progress.size());
  }
  if (!sel.want.empty()) m.work_cv.notify_all();

  // 6. Visibility.
  for (TileState& s : m.states) s.drawn = false;
  for (int t : sel.draw) m.states[std::size_t(t)].drawn = true;
  for (TileState& s : m.states) {
    if (s.state == State::kResident) m.renderer->SetVisible(s.object, s.drawn);
    if (s.state == State::kLoaded) ++stats.tiles_loading;
  }
  m.drawn = sel.draw;

  stats.tiles_selected = static_cast<int>(sel.draw.size());
  stats.tiles_resident = m.resident;
  stats.resident_bytes = m.resident_bytes;
  for (int t : sel.draw) stats.triangles_drawn += m.states[std::size_t(t)].triangles;
  stats.tiles_wanted = sel.wanted;
  stats.sse_scale = m.sse_scale;
  stats.complete = sel.complete;
  stats.update_ms = Ms(update_start);
  if (!first_error.empty()) {
    MUTA_FAIL << "a tile of the site failed to load: " << first_error
              << " – export the site again (muta export); the viewer draws a coarser tile "
                 "in its place";
  }
  return stats;
}

StreamStats SiteStream::UpdateUntilComplete(const Camera& camera, const Rigid3d& cam_from_world) {
  Impl& m = *impl_;
  int idle = 0;
  // Coarsening under memory pressure only goes one way while waiting for completion.
  struct Hold {
    bool& flag;
    ~Hold() { flag = false; }
  } hold{m.hold_scale};
  m.hold_scale = true;
  int rounds = 0;
  while (true) {
    const StreamStats stats = Update(camera, cam_from_world);
    if (stats.complete) return stats;
    // Under a tight budget tiles can be uploaded, evicted and loaded again without the
    // selection ever completing: every 200 rounds without completion, select coarser (the root
    // alone always fits), so this always ends.
    if (++rounds % 200 == 0 && m.sse_scale < 1e6) m.sse_scale *= 1.25;
    if (stats.uploads > 0) continue;
    std::unique_lock lock(m.mutex);
    if (m.requests.empty() && m.in_progress.empty() && m.finished.empty()) {
      // Nothing loading: the budget held an upload back and the next Update selects coarser.
      MUTA_INTERNAL_CHECK(++idle < 100000)
          << "SiteStream::UpdateUntilComplete: the selection never completes";
      continue;
    }
    idle = 0;
    m.done_cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return !m.finished.empty(); });
  }
}

std::optional<PickHit> SiteStream::Pick(const Eigen::Vector3d& origin,
                                        const Eigen::Vector3d& direction) const {
  return Pick(origin, direction, PickFilter{});
}

std::optional<PickHit> SiteStream::Pick(const Eigen::Vector3d& origin,
                                        const Eigen::Vector3d& direction,
                                        const PickFilter& filter) const {
  MUTA_CHECK(origin.allFinite() && direction.allFinite() && direction.norm() > 0)
      << "SiteStream::Pick: the ray needs a finite origin and a non-zero direction";
  const Eigen::Vector3d d = direction.normalized();
  std::optional<PickHit> best;
  double best_t = std::numeric_limits<double>::infinity();
  for (int tile : impl_->drawn) {
    const TileState& s = impl_->states[std::size_t(tile)];
    if (!s.geometry || s.geometry->faces.empty()) continue;
    const TileGeometry& g = *s.geometry;
    const auto provenance = [&](std::uint32_t f) {
      return g.provenance.empty() ? Provenance::kObserved : g.provenance[f];
    };
    // Hits in a hidden layer or cut away by a section plane do not count.
    const auto accept = [&](const RayHit& h) {
      if (IsInferred(provenance(h.face)) ? !filter.inferred : !filter.observed) return false;
      const Eigen::Vector3d point = origin + h.t * d;
      for (const Eigen::Vector4d& plane : filter.section_planes) {
        if (plane.head<3>().dot(point) + plane.w() > 0) return false;
      }
      return true;
    };
    // t >= 0; a tile's hit must be nearer than the best of the tiles before it.
    const std::optional<RayHit> h = g.bvh.Closest(origin, d, 0, best_t, accept);
    if (!h || (best && h->t >= best_t)) continue;
    const Face& face = g.faces[h->face];
    const Eigen::Vector3d a = g.vertices[face[0]].cast<double>();
    const Eigen::Vector3d b = g.vertices[face[1]].cast<double>();
    const Eigen::Vector3d c = g.vertices[face[2]].cast<double>();
    best_t = h->t;
    PickHit hit;
    hit.point = origin + h->t * d;
    hit.normal = (b - a).cross(c - a).normalized();
    if (hit.normal.dot(d) > 0) hit.normal = -hit.normal;
    hit.tile = tile;
    hit.face = static_cast<int>(h->face);
    hit.provenance = provenance(h->face);
    hit.confidence = g.confidence.empty() ? 1.0f : g.confidence[h->face];
    hit.distance = h->t;
    best = hit;
  }
  return best;
}

Box3f SiteStream::Bounds() const {
  return impl_->tileset.tiles[0].box;
}

int SiteStream::NumTiles() const {
  return static_cast<int>(impl_->tileset.tiles.size());
}

std::vector<int> SiteStream::DrawnObjectIds() const {
  std::vector<int> ids;
  for (int t : impl_->drawn) ids.push_back(impl_->states[std::size_t(t)].object);
  return ids;
}

}  // namespace muta::render
