// muta train-completion: trains the learned completion network (reconstruct/restore/
// learned_net.h) on intact/damaged pairs that tools/synth generates, on the CPU
// (docs/restore.md, "learned").
//   muta train-completion -o DIR [--steps N] [--seed S] [--threads T] [--buildings B]
//                         [--batch N] [--block N] [--voxel M] [--lr X] [--resume] [--note TEXT]
// Writes DIR/unet.pt (weights), DIR/recipe.json (exact command, seeds, data recipe, figures),
// DIR/loss.csv and DIR/loss.png (the loss curves); DIR/checkpoint/ lets --resume continue an
// interrupted run.
//
// Data: buildings of every type (pagoda, pagoda, hall, gate in turn) with their parameters
// drawn from building seeds 100 + 1000 * S + b (never the held-out evaluation seeds 3, 7, 11);
// on each, `parts_per_building` random parts are damaged (missing whole, or broken: their
// upper/outer 30-70 %, as synth's `broken`). One block (two for parts larger than a block) is
// cut around each damaged part with a random offset; its unknown box is the removed faces' box
// grown by 0-2 voxels. Every eighth building goes to the validation set. The symmetry hint
// channels come from the building's symmetry estimated on the damaged mesh exactly as restore
// estimates it (EstimateSymmetry, default options), so that training sees the hint inference
// sees; the trainer drops the hint in 30 % of the blocks.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <numbers>
#include <numeric>
#include <random>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/global_control.h>
#include <CLI/CLI.hpp>

#include "core/closest_point.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/image_io.h"
#include "core/json.h"
#include "core/progress.h"
#include "core/version.h"
#include "reconstruct/restore/learned_net.h"
#include "reconstruct/restore/learned_voxel.h"
#include "reconstruct/restore/symmetry.h"
#include "tools/muta/command.h"
#include "tools/synth/synth.h"

namespace muta::cli {
namespace {

namespace fs = std::filesystem;
using restore::CompletionSample;

constexpr std::uint64_t kHeldOutSeeds[] = {3, 7, 11};
constexpr double kHintDrop = 0.3;  ///< share of training blocks without the symmetry hint

struct TrainArgs {
  std::string output;
  int steps = 1500;
  std::uint64_t seed = 1;
  int threads = 2;
  int buildings = 40;
  int parts_per_building = 6;
  int batch = 8;
  int block = 32;
  double voxel = 0.12;
  double lr = 1e-3;
  int base_channels = 16;
  int checkpoint_every = 50;
  int validate_every = 50;
  bool resume = false;
  std::string note;
};

std::string CommandLine(const TrainArgs& a) {
  std::string s = fmt::format(
      "muta train-completion -o {} --steps {} --seed {} --threads {} --buildings {} "
      "--parts-per-building {} --batch {} --block {} --voxel {} --lr {} --base-channels {}",
      a.output, a.steps, a.seed, a.threads, a.buildings, a.parts_per_building, a.batch, a.block,
      a.voxel, a.lr, a.base_channels);
  if (!a.note.empty()) s += " --note '" + a.note + "'";
  return s;
}

std::uint64_t BuildingSeed(const TrainArgs& a, int b) {
  const std::uint64_t s = 100 + 1000 * a.seed + std::uint64_t(b);
  for (const auto h : kHeldOutSeeds) MUTA_INTERNAL_CHECK(s != h) << "held-out seed in training";
  return s;
}

synth::SceneType SceneOf(int b) {
  static const synth::SceneType kCycle[] = {synth::SceneType::kPagoda, synth::SceneType::kPagoda,
                                            synth::SceneType::kHall, synth::SceneType::kGate};
  return kCycle[b % 4];
}

bool IsValidation(int b) {
  return b % 8 == 7;
}

Eigen::Vector3d Centroid(const Mesh& m, std::size_t f) {
  return (m.vertices[m.faces[f][0]].cast<double>() + m.vertices[m.faces[f][1]].cast<double>() +
          m.vertices[m.faces[f][2]].cast<double>()) /
         3.0;
}

struct BuildingSamples {
  std::vector<CompletionSample> samples;
  std::size_t faces = 0, parts_damaged = 0;
  restore::Symmetry symmetry;  ///< estimated on the damaged mesh
};

// Damages random parts of one building and cuts training blocks around them.
BuildingSamples SamplesFor(const TrainArgs& a, int b) {
  synth::BuildingOptions bo;
  bo.scene = SceneOf(b);
  bo.seed = BuildingSeed(a, b);
  const synth::Building building = synth::BuildBuilding(bo);
  const Mesh& intact = building.mesh;
  std::mt19937_64 rng(bo.seed * 7919 + 17);
  std::uniform_real_distribution<double> u01(0.0, 1.0);

  std::vector<std::vector<std::uint32_t>> faces_of(building.parts.size());
  for (std::size_t f = 0; f < intact.faces.size(); ++f) {
    faces_of[std::size_t(intact.part_ids[f])].push_back(std::uint32_t(f));
  }
  std::vector<int> eligible;
  for (std::size_t i = 0; i < building.parts.size(); ++i) {
    const synth::PartKind k = building.parts[i].kind;
    if (k == synth::PartKind::kPlatform || faces_of[i].size() < 8) continue;
    eligible.push_back(int(i));
  }
  std::shuffle(eligible.begin(), eligible.end(), rng);
  const std::size_t n_parts = std::min<std::size_t>(eligible.size(), a.parts_per_building);

  std::vector<char> removed(intact.faces.size(), 0);
  std::vector<Box3f> boxes;
  for (std::size_t j = 0; j < n_parts; ++j) {
    std::vector<std::uint32_t> faces = faces_of[std::size_t(eligible[j])];
    if (u01(rng) < 0.45) {
      // broken: the upper (vertical parts) or outer (horizontal parts) portion of the area
      const double fraction = 0.3 + 0.4 * u01(rng);
      Box3f box;
      for (auto f : faces)
        for (int k = 0; k < 3; ++k) box.Extend(intact.vertices[intact.faces[f][k]]);
      const Vec3f size = box.Size();
      const bool vertical = size.z() >= std::max(size.x(), size.y());
      std::vector<double> key(faces.size()), area(faces.size());
      double total = 0;
      for (std::size_t i = 0; i < faces.size(); ++i) {
        const Eigen::Vector3d c = Centroid(intact, faces[i]);
        key[i] = vertical ? c.z() : std::hypot(c.x(), c.y());
        const Eigen::Vector3d p0 = intact.vertices[intact.faces[faces[i]][0]].cast<double>();
        area[i] = 0.5 * (intact.vertices[intact.faces[faces[i]][1]].cast<double>() - p0)
                            .cross(intact.vertices[intact.faces[faces[i]][2]].cast<double>() - p0)
                            .norm();
        total += area[i];
      }
      std::vector<std::size_t> order(faces.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t x, std::size_t y) { return key[x] > key[y]; });
      std::vector<std::uint32_t> picked;
      double sum = 0;
      for (const std::size_t i : order) {
        if (sum >= fraction * total) break;
        picked.push_back(faces[i]);
        sum += area[i];
      }
      faces = std::move(picked);
    }
    Box3f box;
    for (auto f : faces) {
      removed[f] = 1;
      for (int k = 0; k < 3; ++k) box.Extend(intact.vertices[intact.faces[f][k]]);
    }
    if (!faces.empty()) boxes.push_back(box);
  }
  Mesh damaged;
  damaged.vertices = intact.vertices;
  for (std::size_t f = 0; f < intact.faces.size(); ++f) {
    if (!removed[f]) damaged.faces.push_back(intact.faces[f]);
  }
  const TriangleBvh intact_bvh(intact), damaged_bvh(damaged);

  BuildingSamples out;
  // The hint: the rotation as restore estimates it on a damaged mesh (same options; mirror planes
  // and storey repetition are searched after the rotation is fixed and do not change it, so
  // they are skipped here).
  restore::SymmetryOptions symmetry_options;
  symmetry_options.detect_mirrors = false;
  symmetry_options.detect_storeys = false;
  out.symmetry = restore::EstimateSymmetry(damaged, damaged_bvh, symmetry_options);
  out.faces = intact.faces.size();
  out.parts_damaged = boxes.size();
  const double v = a.voxel;
  const double span = a.block * v;
  for (const Box3f& box : boxes) {
    const int crops = box.Size().maxCoeff() > span ? 2 : 1;
    for (int c = 0; c < crops; ++c) {
      restore::VoxelBlock block;
      block.voxel = v;
      block.dims = {a.block, a.block, a.block};
      for (int k = 0; k < 3; ++k) {
        // A random point of the removed box, then a random offset of up to a quarter block.
        const double centre =
            box.min[k] + u01(rng) * (box.max[k] - box.min[k]) + (u01(rng) - 0.5) * 0.5 * span;
        block.origin[k] = std::floor((centre - 0.5 * span) / v) * v;
      }
      Box3f unknown = box;
      for (int k = 0; k < 3; ++k) {
        unknown.min[k] -= float(2.0 * v * u01(rng));
        unknown.max[k] += float(2.0 * v * u01(rng));
      }
      CompletionSample s =
          restore::MakeCompletionSample(damaged_bvh, intact_bvh, block, unknown, &out.symmetry);
      std::size_t positives = 0;
      for (std::size_t i = 0; i < s.target.size(); ++i) positives += s.target[i] && !s.known[i];
      if (positives > 0) out.samples.push_back(std::move(s));
    }
  }
  return out;
}

// A line plot of the loss curves (train: blue, validation: red dots), log-scaled loss.
Image PlotLoss(const Json& rows) {
  const int w = 800, h = 400, left = 60, right = 20, top = 20, bottom = 40;
  Image img(w, h, 3, 255);
  double max_step = 1, lo = 1e9, hi = -1e9;
  for (const auto& r : rows) {
    max_step = std::max(max_step, r["step"].get<double>());
    for (const char* key : {"loss", "val_loss"}) {
      if (r.contains(key) && r[key].is_number() && r[key].get<double>() > 0) {
        lo = std::min(lo, std::log10(r[key].get<double>()));
        hi = std::max(hi, std::log10(r[key].get<double>()));
      }
    }
  }
  if (hi <= lo) hi = lo + 1;
  auto px = [&](double step) { return left + int((w - left - right) * step / max_step); };
  auto py = [&](double loss) {
    return top + int((h - top - bottom) * (hi - std::log10(loss)) / (hi - lo));
  };
  auto dot = [&](int x, int y, Color3u8 c, int r) {
    for (int dy = -r; dy <= r; ++dy)
      for (int dx = -r; dx <= r; ++dx) {
        const int X = x + dx, Y = y + dy;
        if (X < 0 || Y < 0 || X >= w || Y >= h) continue;
        for (int k = 0; k < 3; ++k) img.at(X, Y, k) = c[k];
      }
  };
  auto line = [&](int x0, int y0, int x1, int y1, Color3u8 c) {
    const int n = std::max({std::abs(x1 - x0), std::abs(y1 - y0), 1});
    for (int i = 0; i <= n; ++i) dot(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n, c, 0);
  };
  const Color3u8 grey(90, 90, 90), blue(30, 90, 220), red(220, 40, 40), light(225, 225, 225);
  // Decade grid lines.
  for (int d = int(std::ceil(lo)); d <= int(std::floor(hi)); ++d) {
    line(left, py(std::pow(10.0, d)), w - right, py(std::pow(10.0, d)), light);
  }
  line(left, top, left, h - bottom, grey);
  line(left, h - bottom, w - right, h - bottom, grey);
  int last_x = -1, last_y = -1;
  for (const auto& r : rows) {
    const double loss = r["loss"].get<double>();
    if (loss <= 0) continue;
    const int x = px(r["step"].get<double>()), y = py(loss);
    if (last_x >= 0) line(last_x, last_y, x, y, blue);
    last_x = x, last_y = y;
  }
  for (const auto& r : rows) {
    if (r.contains("val_loss") && r["val_loss"].is_number() && r["val_loss"].get<double>() > 0) {
      dot(px(r["step"].get<double>()), py(r["val_loss"].get<double>()), red, 3);
    }
  }
  return img;
}

void WriteCurves(const fs::path& dir, const Json& rows) {
  std::string csv = "step,loss,unknown_iou,val_loss,val_unknown_iou,learning_rate,seconds\n";
  for (const auto& r : rows) {
    auto num = [&](const char* key) {
      return r.contains(key) && r[key].is_number() ? fmt::format("{:.6g}", r[key].get<double>())
                                                   : std::string();
    };
    csv +=
        fmt::format("{},{},{},{},{},{},{}\n", r["step"].get<int>(), num("loss"), num("unknown_iou"),
                    num("val_loss"), num("val_unknown_iou"), num("learning_rate"), num("seconds"));
  }
  WriteFileAtomic(dir / "loss.csv", csv);
  if (!rows.empty()) WriteImage(dir / "loss.png", PlotLoss(rows));
}

int Run(const TrainArgs& a) {
  MUTA_CHECK(a.steps >= 1) << "--steps must be at least 1";
  MUTA_CHECK(a.buildings >= 1 && a.buildings <= 10000) << "--buildings must be 1..10000";
  MUTA_CHECK(a.parts_per_building >= 1) << "--parts-per-building must be at least 1";
  MUTA_CHECK(a.batch >= 1 && a.batch <= 256) << "--batch must be 1..256";
  MUTA_CHECK(a.block >= 8 && a.block <= 128 && a.block % 4 == 0)
      << "--block must be a multiple of 4 in 8..128 voxels";
  MUTA_CHECK(a.voxel > 0.005 && a.voxel < 2) << "--voxel must be in (0.005, 2) metres";
  MUTA_CHECK(a.lr > 0 && a.lr < 1) << "--lr must be in (0, 1)";
  MUTA_CHECK(a.checkpoint_every >= 1 && a.validate_every >= 1)
      << "--checkpoint-every and --validate-every must be at least 1";
  MUTA_CHECK(a.base_channels >= 1 && a.base_channels <= 256) << "--base-channels must be 1..256";
  const fs::path dir(a.output);
  std::error_code ec;
  fs::create_directories(dir / "checkpoint", ec);
  MUTA_CHECK(!ec) << "cannot create " << dir.string() << ": " << ec.message();
  restore::CompletionNet::SetThreads(a.threads);
  tbb::global_control tbb_threads(tbb::global_control::max_allowed_parallelism,
                                  std::size_t(a.threads));
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  const fs::path ck = dir / "checkpoint";
  const std::string data_key =
      fmt::format("{}/{}/{}/{}/{}", a.seed, a.buildings, a.parts_per_building, a.block, a.voxel);
  Json state;
  if (a.resume && fs::is_regular_file(ck / "state.json")) {
    state = ReadJsonFile(ck / "state.json");
    MUTA_CHECK(state.value("command", "") == CommandLine(a) ||
               state.value("data_key", "") == data_key)
        << (ck / "state.json").string()
        << ": the checkpoint was made with other data options; resume with the same options or "
           "start afresh without --resume";
  }
  // Finalising a checkpoint that already reached --steps needs no data: its summary is kept in
  // the checkpoint.
  const bool finalise_only =
      state.is_object() && state.at("step").get<int>() >= a.steps && state.contains("data");

  // Data.
  Progress progress;
  std::vector<CompletionSample> train, val;
  Json building_seeds = Json::array();
  std::size_t parts_damaged = 0;
  progress.Begin("train-completion: generating damaged/intact blocks",
                 std::uint64_t(finalise_only ? 0 : a.buildings), "buildings");
  for (int b = 0; b < (finalise_only ? 0 : a.buildings); ++b) {
    CheckInterrupted();
    BuildingSamples s = SamplesFor(a, b);
    parts_damaged += s.parts_damaged;
    building_seeds.push_back({{"scene", std::string(synth::SceneTypeName(SceneOf(b)))},
                              {"seed", BuildingSeed(a, b)},
                              {"validation", IsValidation(b)},
                              {"faces", s.faces},
                              {"blocks", s.samples.size()},
                              {"symmetry_found", s.symmetry.found},
                              {"rotation_order", s.symmetry.order},
                              {"symmetry_inliers", s.symmetry.inlier_fraction}});
    auto& to = IsValidation(b) ? val : train;
    for (auto& x : s.samples) to.push_back(std::move(x));
    progress.Advance();
  }
  progress.End();
  double data_seconds = elapsed();
  std::size_t n_train = train.size(), n_val = val.size();
  if (finalise_only) {
    const Json& d = state.at("data");
    building_seeds = d.at("buildings");
    parts_damaged = d.at("parts_damaged").get<std::size_t>();
    n_train = d.at("train_blocks").get<std::size_t>();
    n_val = d.at("validation_blocks").get<std::size_t>();
    data_seconds = d.at("data_seconds").get<double>();
    spdlog::info("train-completion: the checkpoint reached step {}; finalising without data",
                 state.at("step").get<int>());
  } else {
    MUTA_CHECK(!train.empty()) << "no training blocks were generated; raise --buildings";
    spdlog::info(
        "train-completion: {} training and {} validation blocks of {}^3 voxels in {:.0f} s",
        train.size(), val.size(), a.block, data_seconds);
  }
  const Json data_summary = {{"buildings", building_seeds},
                             {"parts_damaged", parts_damaged},
                             {"train_blocks", n_train},
                             {"validation_blocks", n_val},
                             {"data_seconds", data_seconds}};

  // Network, optimizer, resume.
  restore::CompletionNetInfo info;
  info.base_channels = a.base_channels;
  info.voxel_size = a.voxel;
  std::unique_ptr<restore::CompletionNet> net_ptr;
  int step0 = 0;
  Json rows = Json::array();
  double previous_seconds = 0;
  if (state.is_object()) {
    net_ptr =
        std::make_unique<restore::CompletionNet>(restore::CompletionNet::Load(ck / "unet.pt"));
    step0 = state.at("step").get<int>();
    rows = state.at("rows");
    previous_seconds = state.value("seconds", 0.0);
    spdlog::info("train-completion: resuming at step {} from {}", step0, ck.string());
  }
  if (!net_ptr) net_ptr = std::make_unique<restore::CompletionNet>(info, a.seed);
  restore::CompletionNet& net = *net_ptr;
  restore::CompletionTrainer trainer(net, {a.lr, 0.25, 2.0, kHintDrop});
  if (step0 > 0) trainer.LoadOptimizer(ck / "optimizer.pt");

  auto validate = [&]() -> std::pair<double, double> {
    if (val.empty()) return {0.0, 0.0};
    double loss = 0, iou = 0;
    int n = 0;
    for (std::size_t i = 0; i < val.size(); i += std::size_t(a.batch)) {
      std::vector<const CompletionSample*> batch;
      for (std::size_t j = i; j < std::min(val.size(), i + a.batch); ++j) batch.push_back(&val[j]);
      const auto f = trainer.Evaluate(batch);
      loss += f.loss * double(batch.size());
      iou += f.unknown_iou * double(batch.size());
      n += int(batch.size());
    }
    return {loss / n, iou / n};
  };

  const auto train_start = std::chrono::steady_clock::now();
  double first_loss = -1, window_loss = 0, window_iou = 0;
  int window = 0;
  progress.Begin("train-completion: training", std::uint64_t(a.steps - std::min(step0, a.steps)),
                 "steps");
  for (int step = step0; step < a.steps; ++step) {
    CheckInterrupted();
    std::mt19937_64 rng(a.seed * 1'000'003 + std::uint64_t(step));
    std::vector<const CompletionSample*> batch;
    for (int i = 0; i < a.batch; ++i) batch.push_back(&train[rng() % train.size()]);
    const double t = double(step) / double(std::max(1, a.steps - 1));
    const double lr = a.lr * (0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi * t)));
    const auto f = trainer.Step(batch, rng(), lr);
    MUTA_CHECK(std::isfinite(f.loss)) << "train-completion: the loss became " << f.loss
                                      << " at step " << step + 1 << "; lower --lr";
    if (first_loss < 0) first_loss = f.loss;
    window_loss += f.loss;
    window_iou += f.unknown_iou;
    ++window;
    const int done = step + 1;
    const bool log = done % 10 == 0 || done == a.steps;
    const bool check = done % a.checkpoint_every == 0 || done == a.steps;
    if (log) {
      Json row = {{"step", done},
                  {"loss", window_loss / window},
                  {"unknown_iou", window_iou / window},
                  {"learning_rate", lr},
                  {"seconds", previous_seconds + elapsed()}};
      if (!val.empty() && (done % a.validate_every == 0 || done == a.steps)) {
        const auto [vl, vi] = validate();
        row["val_loss"] = vl;
        row["val_unknown_iou"] = vi;
        spdlog::info(
            "train-completion: step {} loss {:.4f} IoU {:.3f} | validation loss {:.4f} "
            "IoU {:.3f}",
            done, window_loss / window, window_iou / window, vl, vi);
      }
      rows.push_back(row);
      window_loss = window_iou = 0;
      window = 0;
    }
    if (check) {
      net.set_steps(done);
      net.Save(ck / "unet.pt");
      trainer.SaveOptimizer(ck / "optimizer.pt");
      WriteJsonFile(ck / "state.json", {{"step", done},
                                        {"command", CommandLine(a)},
                                        {"data_key", data_key},
                                        {"data", data_summary},
                                        {"rows", rows},
                                        {"seconds", previous_seconds + elapsed()}});
      WriteCurves(dir, rows);
    }
    progress.Advance();
  }
  progress.End();
  const double train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - train_start).count();
  const int steps_now = std::max(0, a.steps - step0);

  net.set_steps(a.steps);
  net.Save(dir / "unet.pt");
  WriteCurves(dir, rows);
  // Figures: first/last logged losses and the last validation.
  Json last_val = nullptr;
  for (const auto& r : rows) {
    if (r.contains("val_loss")) last_val = r;
  }
  const Json recipe = {
      {"format", "muta.completion.recipe"},
      {"version", 1},
      {"muta_version", MUTA_VERSION_STRING},
      {"command", CommandLine(a) + (a.resume ? " --resume" : "")},
      {"note", a.note},
      {"weights", "unet.pt"},
      {"seed", a.seed},
      {"network",
       {{"architecture",
         "3D U-Net, 3 levels (two 3x3x3 conv + ReLU each), max-pool down, transposed conv up, "
         "skip connections, 1x1x1 conv to one logit"},
        {"channels", {a.base_channels, 2 * a.base_channels, 4 * a.base_channels}},
        {"inputs",
         "observed surface occupancy, known mask (0 = unknown), counterpart (observed surface at "
         "the voxel's rotated positions R_k x, k = 1..order-1, in covered sectors outside the "
         "unknown box), counterpart valid (1 where such a position exists)"},
        {"format_version", restore::kCompletionNetFormat},
        {"output", "probability of intact surface per voxel"},
        {"parameters", net.NumParameters()},
        {"voxel_m", a.voxel},
        {"occupancy_band_voxels", restore::kOccupancyBand}}},
      {"data",
       {{"generator", "tools/synth BuildBuilding (parameters drawn by each building's seed)"},
        {"scenes", "pagoda, pagoda, hall, gate in turn"},
        {"building_seeds", "100 + 1000 * seed + b, b = 0 .. buildings-1"},
        {"held_out_seeds_never_used", {3, 7, 11}},
        {"damage",
         fmt::format("{} random parts per building (not the platform, >= 8 faces): 55 % missing "
                     "whole, 45 % broken (upper/outer 30-70 % of the area removed)",
                     a.parts_per_building)},
        {"blocks",
         fmt::format("{}^3 voxels of {} m around each damaged part (random offset up to a quarter "
                     "block; two blocks for parts larger than a block); unknown box = removed "
                     "faces' box grown by 0-2 voxels",
                     a.block, a.voxel)},
        {"validation", "every eighth building (b % 8 == 7)"},
        {"buildings", building_seeds},
        {"parts_damaged", parts_damaged},
        {"train_blocks", n_train},
        {"validation_blocks", n_val},
        {"symmetry_hint",
         fmt::format("EstimateSymmetry (default options, as restore) on each damaged building; "
                     "hint dropped (both channels 0) in {:.0f} % of the training blocks",
                     100 * kHintDrop)},
        {"augmentation", "flips of x and y and the x/y swap (8 symmetries about the vertical)"}}},
      {"training",
       {{"steps", a.steps},
        {"batch", a.batch},
        {"optimizer", "Adam"},
        {"learning_rate", a.lr},
        {"schedule", "cosine from lr to 0.1 lr"},
        {"loss",
         "BCE with logits, positive weight 2, known voxels weighted 0.25 relative to unknown"},
        {"threads", a.threads},
        {"resumed_from_step", step0}}},
      {"figures",
       {{"data_seconds", data_seconds},
        {"train_seconds_this_run", train_seconds},
        {"seconds_per_step", steps_now > 0 ? train_seconds / steps_now : 0.0},
        {"total_seconds", previous_seconds + elapsed()},
        {"first_loss_this_run", first_loss < 0 ? Json(nullptr) : Json(first_loss)},
        {"last_logged", rows.empty() ? Json(nullptr) : rows.back()},
        {"last_validation", last_val}}},
      {"curves", {{"csv", "loss.csv"}, {"png", "loss.png"}}}};
  WriteJsonFile(dir / "recipe.json", recipe);
  std::printf("muta train-completion – %s\n", dir.string().c_str());
  std::printf("  data            %zu training, %zu validation blocks (%d buildings, %.0f s)\n",
              n_train, n_val, a.buildings, data_seconds);
  std::printf("  training        %d steps (%d this run, %.2f s/step)\n", a.steps, steps_now,
              steps_now > 0 ? train_seconds / steps_now : 0.0);
  if (!rows.empty()) {
    std::printf("  loss            %.4f (last logged)\n", rows.back()["loss"].get<double>());
  }
  if (last_val.is_object()) {
    std::printf("  validation      loss %.4f, unknown IoU %.3f\n",
                last_val["val_loss"].get<double>(), last_val["val_unknown_iou"].get<double>());
  }
  std::printf("  weights         %s\n", (dir / "unet.pt").string().c_str());
  return kExitOk;
}

}  // namespace

CommandSpec TrainCompletionCommand() {
  return {
      "train-completion",
      "Train the learned completion network on synthetic damaged/intact buildings (CPU)",
      [](CLI::App& sub, const GlobalOptions&) -> RunFunction {
        auto a = std::make_shared<TrainArgs>();
        sub.add_option("-o,--output", a->output,
                       "Output folder: unet.pt, recipe.json, loss.csv, loss.png, checkpoint/")
            ->required();
        sub.add_option("--steps", a->steps, "Training steps")->capture_default_str();
        sub.add_option("--seed", a->seed, "Seed: building seeds, damage, initial weights, batches")
            ->capture_default_str();
        sub.add_option("--threads", a->threads, "CPU threads")->capture_default_str();
        sub.add_option("--buildings", a->buildings, "Synthetic buildings to generate")
            ->capture_default_str();
        sub.add_option("--parts-per-building", a->parts_per_building, "Damaged parts per building")
            ->capture_default_str();
        sub.add_option("--batch", a->batch, "Blocks per step")->capture_default_str();
        sub.add_option("--block", a->block, "Training block size, voxels (multiple of 4)")
            ->capture_default_str();
        sub.add_option("--voxel", a->voxel, "Voxel size, metres")->capture_default_str();
        sub.add_option("--lr", a->lr, "Adam learning rate")->capture_default_str();
        sub.add_option("--base-channels", a->base_channels,
                       "Channels of the first U-Net level (then 2x, 4x)")
            ->capture_default_str();
        sub.add_option("--checkpoint-every", a->checkpoint_every, "Steps between checkpoints")
            ->capture_default_str();
        sub.add_option("--validate-every", a->validate_every, "Steps between validation passes")
            ->capture_default_str();
        sub.add_flag("--resume", a->resume,
                     "Continue from DIR/checkpoint/ (same options) instead of starting afresh");
        sub.add_option("--note", a->note, "A note stored in recipe.json");
        return [a] { return Run(*a); };
      }};
}

}  // namespace muta::cli
