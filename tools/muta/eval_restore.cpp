// muta eval restore --gt-intact INTACT.ply --restored RESTORED.ply --damage gt/damage.json
//                   [--tau T] [--json]
// Scores only the damaged regions (the ground truth's bounding boxes of the removed faces):
//   completeness = mean distance from points sampled on the removed intact surface to the
//                  restored mesh (all its faces);
//   accuracy     = mean distance from points sampled on the restored mesh's inferred faces
//                  inside those boxes (grown by tau) to the intact surface (0 when nothing was
//                  inferred there – such a method pays in completeness);
//   chamfer      = (accuracy + completeness) / 2, metres; precision/recall/F-score at tau
//                  (default 0.5 % of the intact mesh's bounding-box diagonal; precision 0 when
//                  nothing was inferred).
// The removed intact surface is the intact surface inside a region's box farther than tau/10
// from the restored mesh's observed faces (provenance; all faces when it has none).
// Means are over all samples of all regions; `regions` has one entry per damaged region.
#include "tools/muta/eval_restore.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "core/closest_point.h"
#include "core/error.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/sampling.h"
#include "tools/muta/command.h"

namespace muta::cli {
namespace {

namespace fs = std::filesystem;

struct Args {
  std::string intact, restored, damage;
  double tau = 0;
  std::uint64_t seed = 7;
  bool json = false;
};

struct Tally {
  double acc_sum = 0, comp_sum = 0;
  std::size_t acc_n = 0, comp_n = 0, acc_in = 0, comp_in = 0;
  void Add(const Tally& o) {
    acc_sum += o.acc_sum, comp_sum += o.comp_sum, acc_n += o.acc_n, comp_n += o.comp_n;
    acc_in += o.acc_in, comp_in += o.comp_in;
  }
  Json ToJson(double tau) const {
    const double acc = acc_n ? acc_sum / double(acc_n) : 0.0;
    const double comp = comp_n ? comp_sum / double(comp_n) : 0.0;
    const double precision = acc_n ? double(acc_in) / double(acc_n) : 0.0;
    const double recall = comp_n ? double(comp_in) / double(comp_n) : 0.0;
    const double f = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
    return {{"chamfer", 0.5 * (acc + comp)},
            {"accuracy_mean", acc},
            {"completeness_mean", comp},
            {"precision", precision},
            {"recall", recall},
            {"f_score", f},
            {"tau", tau},
            {"restored_samples", acc_n},
            {"removed_samples", comp_n}};
  }
};

Box3f BoxFromJson(const Json& j, const std::string& name) {
  MUTA_CHECK(j.is_object() && j.contains("min") && j.contains("max") && j["min"].is_array() &&
             j["max"].is_array() && j["min"].size() == 3 && j["max"].size() == 3)
      << name << ": a region's bounding_box needs min and max [x, y, z]";
  Box3f b;
  for (int k = 0; k < 3; ++k) {
    MUTA_CHECK(j["min"][k].is_number() && j["max"][k].is_number())
        << name << ": bounding_box coordinates must be numbers";
    b.min[k] = j["min"][k].get<float>();
    b.max[k] = j["max"][k].get<float>();
  }
  return b;
}

bool Inside(const Vec3f& p, const Box3f& b, float margin) {
  return (p.array() >= b.min.array() - margin).all() && (p.array() <= b.max.array() + margin).all();
}

// The faces of `mesh` (those `keep` allows) with a corner in `box` grown by `margin`; samples on
// them about one per (tau/2)^2 inside the grown box.
std::vector<Vec3f> SampleInBox(const Mesh& mesh, const std::vector<char>& keep, const Box3f& box,
                               float margin, double tau, std::uint64_t seed) {
  Mesh sub;
  sub.vertices = mesh.vertices;
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    if (!keep.empty() && !keep[f]) continue;
    const Face& face = mesh.faces[f];
    if (Inside(mesh.vertices[face[0]], box, margin) ||
        Inside(mesh.vertices[face[1]], box, margin) ||
        Inside(mesh.vertices[face[2]], box, margin)) {
      sub.faces.push_back(face);
    }
  }
  if (sub.faces.empty()) return {};
  const double area = sub.Area();
  if (!(area > 0)) return {};
  const auto count = std::size_t(std::clamp(area / (0.25 * tau * tau), 2000.0, 300000.0));
  std::vector<Vec3f> out;
  for (const Vec3f& p : SampleSurface(sub, count, seed)) {
    if (Inside(p, box, margin)) out.push_back(p);
  }
  return out;
}

int Run(const Args& a) {
  for (const auto& [path, option] :
       {std::pair{a.intact, "--gt-intact"}, {a.restored, "--restored"}, {a.damage, "--damage"}}) {
    MUTA_CHECK(fs::is_regular_file(path)) << path << ": no such file (" << option << ")";
  }
  const Mesh intact = ReadPlyMesh(a.intact);
  const Mesh restored = ReadPlyMesh(a.restored);
  MUTA_CHECK(intact.NumFaces() > 0) << a.intact << ": the intact ground truth has no faces";
  MUTA_CHECK(restored.NumFaces() > 0) << a.restored << ": the restored mesh has no faces";
  const Json damage = ReadJsonFile(a.damage);
  MUTA_CHECK(damage.contains("regions") && damage["regions"].is_array())
      << a.damage << ": no 'regions' array; expected a synthetic scene's gt/damage.json";

  const double diagonal = BoundingBox(intact.vertices).Size().cast<double>().norm();
  const double tau = a.tau > 0 ? a.tau : 0.005 * diagonal;
  std::vector<char> observed(restored.NumFaces(), 1), inferred(restored.NumFaces(), 0);
  std::size_t num_inferred = 0;
  for (std::size_t f = 0; f < restored.provenance.size(); ++f) {
    if (IsInferred(restored.provenance[f])) {
      observed[f] = 0, inferred[f] = 1;
      ++num_inferred;
    }
  }
  spdlog::info("eval restore: {} regions, tau {:.4g} m, restored mesh {} faces ({} inferred)",
               damage["regions"].size(), tau, restored.NumFaces(), num_inferred);
  const TriangleBvh intact_bvh(intact);
  const TriangleBvh restored_bvh(restored);
  std::optional<TriangleBvh> observed_bvh;
  if (num_inferred < restored.NumFaces()) {
    Mesh obs;
    obs.vertices = restored.vertices;
    for (std::size_t f = 0; f < restored.NumFaces(); ++f) {
      if (observed[f]) obs.faces.push_back(restored.faces[f]);
    }
    observed_bvh.emplace(obs);
  }

  Tally all, with_cp, without_cp;
  Json regions = Json::array();
  std::size_t index = 0;
  for (const Json& r : damage["regions"]) {
    const Box3f box = BoxFromJson(r.value("bounding_box", Json()), a.damage);
    // Removed intact surface.
    std::vector<Vec3f> removed;
    for (const Vec3f& p : SampleInBox(intact, {}, box, 1e-5f, tau, a.seed + index)) {
      if (!observed_bvh || observed_bvh->Closest(p.cast<double>()).distance > 0.1 * tau) {
        removed.push_back(p);
      }
    }
    const std::vector<Vec3f> added =
        num_inferred ? SampleInBox(restored, inferred, box, float(tau), tau, a.seed + 1000 + index)
                     : std::vector<Vec3f>{};
    Tally t;
    for (const double d : DistancesToMesh(restored_bvh, removed)) {
      t.comp_sum += d, ++t.comp_n, t.comp_in += d <= tau;
    }
    for (const double d : DistancesToMesh(intact_bvh, added)) {
      t.acc_sum += d, ++t.acc_n, t.acc_in += d <= tau;
    }
    Json entry = t.ToJson(tau);
    const bool cp = r.value("has_counterpart", false);
    entry["spec"] = r.value("spec", "region " + std::to_string(index));
    entry["has_counterpart"] = cp;
    regions.push_back(entry);
    all.Add(t);
    (cp ? with_cp : without_cp).Add(t);
    ++index;
  }
  Json out = all.ToJson(tau);
  out["regions"] = regions;
  out["with_counterpart"] = with_cp.ToJson(tau);
  out["without_counterpart"] = without_cp.ToJson(tau);
  out["inferred_faces"] = num_inferred;
  if (a.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("tau                %.6g  (0.5 %% of the intact diagonal unless --tau)\n", tau);
  std::printf("regions            %zu\n", regions.size());
  std::printf("accuracy_mean      %.6g\n", out["accuracy_mean"].get<double>());
  std::printf("completeness_mean  %.6g\n", out["completeness_mean"].get<double>());
  std::printf("chamfer            %.6g\n", out["chamfer"].get<double>());
  std::printf("f_score            %.4f\n", out["f_score"].get<double>());
  for (const Json& e : regions) {
    std::printf("  %-40s chamfer %.4g  F %.3f\n", e["spec"].get<std::string>().c_str(),
                e["chamfer"].get<double>(), e["f_score"].get<double>());
  }
  return kExitOk;
}

}  // namespace

CLI::App* AddEvalRestore(CLI::App& eval, std::function<int()>& run) {
  auto a = std::make_shared<Args>();
  CLI::App* sub = eval.add_subcommand(
      "restore",
      "A restored mesh scored on the damaged regions of a synthetic scene: Chamfer distance, "
      "accuracy, completeness and F-score at tau inside the ground truth's damage boxes");
  sub->add_option("--gt-intact", a->intact, "The intact ground truth (synth gt/intact.ply)")
      ->required();
  sub->add_option("--restored", a->restored, "The restored mesh (muta restore's restored.ply)")
      ->required();
  sub->add_option("--damage", a->damage, "The ground-truth damage (synth gt/damage.json)")
      ->required();
  sub->add_option("--tau", a->tau, "Distance threshold, metres (default 0.5 % of the diagonal)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--seed", a->seed, "Seed of the surface sampling")->capture_default_str();
  sub->add_flag("--json", a->json, "Print only a JSON object on stdout");
  run = [a] { return Run(*a); };
  return sub;
}

}  // namespace muta::cli
