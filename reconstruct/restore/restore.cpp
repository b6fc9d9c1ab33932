#include "reconstruct/restore/restore.h"

#include <chrono>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/closest_point.h"
#include "core/error.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "reconstruct/restore/completion.h"

namespace muta::restore {
namespace {

constexpr const char* kAutoRule =
    "symmetry for every missing region with a confident rotational counterpart (the building's "
    "own symmetry, estimated from the mesh; symmetry inliers x region support >= 0.5); learned "
    "for the other regions, for regions the transfer could not fill and for the holes no "
    "transfer closed (perimeter >= 1 m; smaller holes: smooth); smooth where the learned model "
    "adds nothing or its weights are unavailable";
/// auto: symmetry only where inlier fraction x region support reaches this.
constexpr double kConfidentSymmetry = 0.5;
/// auto: holes with a shorter perimeter (metres) are closed by smooth directly (a few voxels of
/// the learned model; many small holes of a reconstruction would cost a block each).
constexpr double kLearnedMinHolePerimeter = 1.0;

Json ResultJson(const CompletionResult& r, double size_m2, const char* size_kind) {
  return {{"target", r.target},
          {"method", r.method},
          {"provenance", r.provenance.empty() ? "inferred:" + r.method : r.provenance},
          {"faces", r.faces},
          {"inferred_area_m2", r.area},
          {size_kind, size_m2},
          {"confidence", r.confidence},
          {"source", r.source},
          {"why", r.why},
          {"holes_closed", r.holes_closed}};
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

void RestoreOptions::Check() const {
  MUTA_CHECK(method == "auto" || method == "symmetry" || method == "smooth" || method == "learned")
      << "RestoreOptions.method must be auto, symmetry, smooth or learned (got '" << method << "')";
  damage.Check();
}

RestoreResult RestoreMesh(const Mesh& mesh, const std::string& input_name,
                          const RestoreOptions& options, Progress& progress) {
  options.Check();
  const auto start = std::chrono::steady_clock::now();
  // Fail early on an unavailable method, before any work.
  std::unique_ptr<CompletionMethod> requested;
  if (options.method != "auto") requested = MakeCompletionMethod(options.method);
  mesh.Check();
  MUTA_CHECK(mesh.NumFaces() >= options.min_faces)
      << input_name << ": " << mesh.NumFaces() << " faces is too small to be a building (at least "
      << options.min_faces << " needed); restore takes a building's mesh, e.g. a workspace's "
      << "dense/mesh.ply or a synthetic scene's gt/mesh.ply";
  const double area = mesh.Area();
  MUTA_CHECK(std::isfinite(area) && area > 0)
      << input_name << ": the mesh has no surface area (all faces degenerate)";

  progress.Begin("restore: indexing the surface", 0);
  const TriangleBvh bvh(mesh);
  const PointIndex vertex_index(mesh.vertices);
  progress.End();

  RestoreResult result;
  result.damage = DetectDamage(mesh, bvh, options.damage, &progress);
  const Damage& damage = result.damage;
  const double damage_seconds = Seconds(start);
  result.damage_json = ToJson(damage, input_name);

  RestoredMeshBuilder out(mesh);
  const CompletionContext context{mesh, bvh, damage, vertex_index};
  std::unique_ptr<CompletionMethod> symmetry, smooth, learned;
  std::string learned_error;
  if (options.method == "auto") {
    symmetry = MakeSymmetryCompletion();
    smooth = MakeSmoothCompletion();
    try {
      learned = MakeLearnedCompletion(DefaultLearnedWeights());
    } catch (const Error& e) {
      learned_error = e.what();
      spdlog::warn("restore: auto without the learned method: {}", learned_error);
    }
  }
  // auto, a hole: the storey above or below, when the storey repetition is trusted (as by the
  // damage detection's storey rule).
  const bool storeys_trusted =
      damage.symmetry.storeys &&
      damage.symmetry.storeys->inlier_fraction >= options.damage.storey_min_inliers;
  auto StoreyHole = [&](int hole_id, std::string& why) -> std::optional<CompletionResult> {
    if (!storeys_trusted || !symmetry) return std::nullopt;
    return symmetry->CompleteHole(context, hole_id, out, why);
  };
  // auto: the learned method, else smooth (with the reasons of those that could not).
  auto learned_or_smooth = [&](auto complete, std::string& why) {
    std::optional<CompletionResult> r;
    std::string why_learned = learned ? "" : "learned unavailable (" + learned_error + ")";
    if (learned) r = complete(*learned, why_learned);
    if (r) return r;
    std::string why_smooth;
    r = complete(*smooth, why_smooth);
    if (r)
      r->why = "learned could not: " + why_learned + "; " + r->why;
    else
      why += (why.empty() ? "" : "; ") + ("learned: " + why_learned + "; smooth: " + why_smooth);
    return r;
  };
  Json entries = Json::array(), skipped = Json::array();
  std::set<int> closed;
  const auto completion_start = std::chrono::steady_clock::now();
  progress.Begin("restore: completing", damage.regions.size() + damage.NumHolesToFill(), "regions");
  for (const MissingRegion& region : damage.regions) {
    CheckInterrupted();
    std::string why;
    std::optional<CompletionResult> r;
    if (requested) {
      r = requested->CompleteRegion(context, region.id, out, why);
    } else {
      const Symmetry& sym = damage.symmetry;
      const double sym_confidence = sym.inlier_fraction * region.support;
      if (sym.found && region.source_rotation != 0 && sym_confidence >= kConfidentSymmetry) {
        r = symmetry->CompleteRegion(context, region.id, out, why);
      } else {
        why = fmt::format("no confident rotational counterpart (inliers x support {:.2f} < {:.1f})",
                          sym_confidence, kConfidentSymmetry);
      }
      if (!r) {
        std::string why_other;
        r = learned_or_smooth(
            [&](CompletionMethod& m, std::string& w) {
              return m.CompleteRegion(context, region.id, out, w);
            },
            why_other);
        if (r)
          r->why = "symmetry could not: " + why + "; " + r->why;
        else
          why += "; " + why_other;
      }
    }
    if (r) {
      closed.insert(r->holes_closed.begin(), r->holes_closed.end());
      entries.push_back(ResultJson(*r, region.area, "region_area_m2"));
    } else {
      skipped.push_back({{"target", "region " + std::to_string(region.id)},
                         {"region_area_m2", region.area},
                         {"why", why}});
    }
    progress.Advance();
  }
  for (const Hole& hole : damage.holes) {
    if (hole.regular) continue;
    // A ring is completed only by repetition (the storey above or below), never by a
    // membrane.
    std::optional<CompletionResult> by_storey;
    std::string why_storey;
    if (hole.ring && !closed.count(hole.id) &&
        (requested ? requested->Name() == "symmetry" : storeys_trusted)) {
      CheckInterrupted();
      by_storey =
          (requested ? *requested : *symmetry).CompleteHole(context, hole.id, out, why_storey);
      if (by_storey) {
        by_storey->why =
            "a loop all round the building's axis, completed by repetition; " + by_storey->why;
        entries.push_back(ResultJson(*by_storey, hole.loop.perimeter, "hole_perimeter_m"));
        continue;
      }
    }
    if (hole.ring) {
      std::string reason;
      if (!why_storey.empty()) {
        reason = "by storey: " + why_storey;
      } else if (requested) {
        reason = fmt::format("the {} method does not use repetition", requested->Name());
      } else {
        reason = "the storey repetition is not trusted here";
      }
      skipped.push_back(
          {{"target", "hole " + std::to_string(hole.id)},
           {"hole_perimeter_m", hole.loop.perimeter},
           {"why",
            "the loop runs all round the building's axis (damage alike on every side, e.g. a "
            "balcony's outer part lost all round): a membrane across it would cut through the "
            "building, and only repetition completes a ring (" +
                reason + "); left open"}});
      continue;
    }
    CheckInterrupted();
    if (closed.count(hole.id)) {
      progress.Advance();
      continue;
    }
    std::string why;
    std::optional<CompletionResult> r;
    if (requested) {
      r = requested->CompleteHole(context, hole.id, out, why);
    } else if (hole.loop.perimeter < kLearnedMinHolePerimeter) {
      r = smooth->CompleteHole(context, hole.id, out, why);
      if (r) r->why = "a small hole (perimeter under 1 m): " + r->why;
    } else {
      r = StoreyHole(hole.id, why_storey);
      if (r) {
        r->why = "no rotated counterpart closed it; " + r->why;
      } else {
        r = learned_or_smooth(
            [&](CompletionMethod& m, std::string& w) {
              return m.CompleteHole(context, hole.id, out, w);
            },
            why);
        if (r) r->why = "no symmetry transfer closed it; " + r->why;
      }
    }
    if (r) {
      closed.insert(r->holes_closed.begin(), r->holes_closed.end());
      entries.push_back(ResultJson(*r, hole.loop.perimeter, "hole_perimeter_m"));
    } else {
      skipped.push_back({{"target", "hole " + std::to_string(hole.id)},
                         {"hole_perimeter_m", hole.loop.perimeter},
                         {"why", why}});
    }
    progress.Advance();
  }
  progress.End();

  result.observed_faces = out.num_observed_faces();
  result.inferred_faces = out.NumInferredFaces();
  result.mesh = std::move(out.mesh());
  std::size_t by_symmetry = 0, by_repetition = 0, by_smooth = 0, by_learned = 0;
  for (std::size_t f = result.observed_faces; f < result.mesh.NumFaces(); ++f) {
    const Provenance p = result.mesh.provenance[f];
    (p == Provenance::kInferredSymmetry     ? by_symmetry
     : p == Provenance::kInferredRepetition ? by_repetition
     : p == Provenance::kInferredLearned    ? by_learned
                                            : by_smooth)++;
  }
  const bool nothing = damage.Empty();
  result.report = {{"format", "muta.restore.report"},
                   {"version", 1},
                   {"input", input_name},
                   {"method", options.method},
                   {"rule", options.method == "auto" ? Json(kAutoRule) : Json(nullptr)},
                   {"damage_found", !nothing},
                   {"message", nothing ? "no damage found: nothing inferred" : ""},
                   {"observed_faces", result.observed_faces},
                   {"inferred_faces", result.inferred_faces},
                   {"inferred_faces_by_method",
                    {{"symmetry", by_symmetry},
                     {"repetition", by_repetition},
                     {"learned", by_learned},
                     {"smooth", by_smooth}}},
                   {"completed", entries},
                   {"not_completed", skipped},
                   {"seconds",
                    {{"damage", damage_seconds},
                     {"completion", Seconds(completion_start)},
                     {"total", Seconds(start)}}}};
  if (nothing) {
    spdlog::info("restore: no damage found in {}: nothing inferred", input_name);
  } else {
    spdlog::info(
        "restore: {} observed faces kept, {} inferred ({} symmetry, {} repetition, {} learned, {} "
        "smooth), {} targets not completed, {:.1f} s",
        result.observed_faces, result.inferred_faces, by_symmetry, by_repetition, by_learned,
        by_smooth, skipped.size(), Seconds(start));
  }
  return result;
}

Mesh HighlightProvenance(const Mesh& restored) {
  Mesh out = restored;
  out.uvs.clear();
  out.colors.assign(out.NumVertices(), Color3u8(191, 182, 170));
  for (std::size_t f = 0; f < out.NumFaces() && f < out.provenance.size(); ++f) {
    Color3u8 c;
    switch (out.provenance[f]) {
      case Provenance::kObserved:
        continue;
      case Provenance::kInferredSymmetry:
        c = Color3u8(235, 120, 20);
        break;
      case Provenance::kInferredRepetition:
        c = Color3u8(230, 200, 30);
        break;
      case Provenance::kInferredLearned:
        c = Color3u8(150, 60, 200);
        break;
      case Provenance::kInferredSmooth:
      default:
        c = Color3u8(40, 110, 230);
        break;
    }
    for (int k = 0; k < 3; ++k) out.colors[out.faces[f][k]] = c;
  }
  return out;
}

void WriteRestoreOutputs(const RestoreResult& result, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  MUTA_CHECK(!ec) << "cannot create the output folder " << dir.string() << ": " << ec.message();
  WritePly(dir / "restored.ply", result.mesh);
  WriteJsonFile(dir / "damage.json", result.damage_json);
  WriteJsonFile(dir / "report.json", result.report);
}

}  // namespace muta::restore
