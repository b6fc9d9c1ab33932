// Damage: the SPEC grammar, the default mix, and removing the selected faces.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <set>
#include <sstream>

#include "core/error.h"
#include "tools/synth/building_parts.h"

namespace muta::synth {
namespace {

constexpr std::string_view kGrammar =
    "expected ACTION:KIND[:SELECTOR]... with ACTION missing|broken|collapsed|lost, KIND a part "
    "kind (column, bracket_set, eave_corner, roof, railing, finial, ...) and SELECTORs sN "
    "(storey), sideN, cN (corner), bN (bay), #N (index), partial or partial=F (0<F<1); see "
    "docs/formats.md";

std::string Trim(std::string_view s) {
  const auto a = s.find_first_not_of(" \t");
  if (a == std::string_view::npos) return {};
  const auto b = s.find_last_not_of(" \t");
  return std::string(s.substr(a, b - a + 1));
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto pos = s.find(sep, start);
    out.push_back(Trim(s.substr(start, pos == std::string_view::npos ? pos : pos - start)));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

// A positive integer following `prefix` in `token`, or nullopt if token does not start with
// the prefix followed by digits only.
std::optional<int> NumberAfter(std::string_view token, std::string_view prefix) {
  if (token.size() <= prefix.size() || token.substr(0, prefix.size()) != prefix) return {};
  const std::string_view digits = token.substr(prefix.size());
  int value = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return {};
  return value;
}

std::optional<DamageAction> ParseAction(std::string_view s) {
  for (DamageAction a : {DamageAction::kMissing, DamageAction::kBroken, DamageAction::kCollapsed,
                         DamageAction::kLost}) {
    if (DamageActionName(a) == s) return a;
  }
  return std::nullopt;
}

DamageEntry ParseEntry(const std::string& text) {
  const std::vector<std::string> tokens = Split(text, ':');
  MUTA_CHECK(tokens.size() >= 2 && !tokens[0].empty() && !tokens[1].empty())
      << "damage entry '" << text << "': " << kGrammar;
  DamageEntry e;
  e.text = text;
  const auto action = ParseAction(tokens[0]);
  MUTA_CHECK(action.has_value()) << "damage entry '" << text << "': unknown action '" << tokens[0]
                                 << "' (use missing, broken, collapsed or lost)";
  e.action = *action;
  const auto kind = ParsePartKind(tokens[1]);
  if (!kind) {
    std::ostringstream kinds;
    for (int k = 0; k <= static_cast<int>(PartKind::kFinial); ++k) {
      kinds << (k ? ", " : "") << PartKindName(static_cast<PartKind>(k));
    }
    MUTA_FAIL << "damage entry '" << text << "': unknown part kind '" << tokens[1]
              << "' (kinds: " << kinds.str() << ")";
  }
  e.kind = *kind;
  for (std::size_t i = 2; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    auto set = [&](std::optional<int>& field, std::optional<int> value, const char* what) {
      MUTA_CHECK(!field.has_value())
          << "damage entry '" << text << "': the " << what << " is given twice";
      MUTA_CHECK(*value >= 1) << "damage entry '" << text << "': " << what
                              << " numbers start at 1, got '" << t << "'";
      field = value;
    };
    if (auto v = NumberAfter(t, "side")) {
      set(e.side, v, "side");
    } else if (auto v2 = NumberAfter(t, "corner")) {
      set(e.corner, v2, "corner");
    } else if (auto v3 = NumberAfter(t, "bay")) {
      set(e.bay, v3, "bay");
    } else if (auto v4 = NumberAfter(t, "s")) {
      set(e.storey, v4, "storey");
    } else if (auto v5 = NumberAfter(t, "c")) {
      set(e.corner, v5, "corner");
    } else if (auto v6 = NumberAfter(t, "b")) {
      set(e.bay, v6, "bay");
    } else if (auto v7 = NumberAfter(t, "#")) {
      set(e.index, v7, "index");
    } else if (t == "partial" || t.rfind("partial=", 0) == 0) {
      MUTA_CHECK(!e.fraction.has_value())
          << "damage entry '" << text << "': partial is given twice";
      double f = 0.5;
      if (t != "partial") {
        const std::string num = t.substr(8);
        char* end = nullptr;
        f = std::strtod(num.c_str(), &end);
        MUTA_CHECK(!num.empty() && end == num.c_str() + num.size() && f > 0.0 && f < 1.0)
            << "damage entry '" << text << "': partial=F needs a fraction 0 < F < 1, got '" << t
            << "'";
      }
      e.fraction = f;
    } else {
      MUTA_FAIL << "damage entry '" << text << "': unknown selector '" << t << "' (" << kGrammar
                << ")";
    }
  }
  if (e.action == DamageAction::kBroken && !e.fraction) e.fraction = 0.5;
  return e;
}

bool Selects(const DamageEntry& e, const Part& p) {
  if (p.kind != e.kind) return false;
  if (e.storey && p.storey != *e.storey) return false;
  if (e.side && p.side != *e.side) return false;
  if (e.corner && p.corner != *e.corner) return false;
  if (e.bay && p.bay != *e.bay) return false;
  if (e.index && p.index != *e.index) return false;
  return true;
}

// An entry selecting exactly `p` (every non-zero field given).
DamageEntry EntryFor(const Part& p, DamageAction action) {
  DamageEntry e;
  e.action = action;
  e.kind = p.kind;
  std::string text =
      std::string(DamageActionName(action)) + ":" + std::string(PartKindName(p.kind));
  auto add = [&](std::optional<int>& field, int value, const char* prefix) {
    if (value <= 0) return;
    field = value;
    text += ":" + std::string(prefix) + std::to_string(value);
  };
  add(e.storey, p.storey, "s");
  add(e.side, p.side, "side");
  add(e.corner, p.corner, "c");
  add(e.bay, p.bay, "b");
  add(e.index, p.index, "#");
  if (action == DamageAction::kBroken) e.fraction = 0.5;
  e.text = text;
  return e;
}

double FaceArea(const Mesh& m, std::size_t f) {
  const Face& face = m.faces[f];
  const Eigen::Vector3d a = m.vertices[face[0]].cast<double>();
  const Eigen::Vector3d b = m.vertices[face[1]].cast<double>();
  const Eigen::Vector3d c = m.vertices[face[2]].cast<double>();
  return 0.5 * (b - a).cross(c - a).norm();
}

}  // namespace

std::string_view DamageActionName(DamageAction action) {
  switch (action) {
    case DamageAction::kMissing:
      return "missing";
    case DamageAction::kBroken:
      return "broken";
    case DamageAction::kCollapsed:
      return "collapsed";
    case DamageAction::kLost:
      return "lost";
  }
  return "unknown";
}

std::vector<DamageEntry> ParseDamageSpec(std::string_view spec) {
  MUTA_CHECK(!Trim(spec).empty()) << "empty damage spec (" << kGrammar << ")";
  std::vector<DamageEntry> entries;
  for (const std::string& text : Split(spec, ',')) {
    MUTA_CHECK(!text.empty()) << "damage spec '" << spec << "' has an empty entry (" << kGrammar
                              << ")";
    entries.push_back(ParseEntry(text));
  }
  return entries;
}

std::vector<DamageEntry> DefaultDamage(const Building& building, std::uint64_t seed) {
  Rng rng(DeriveSeed(seed, "damage"));
  std::set<int> chosen;
  // A part of `kind` with a counterpart that is not damaged, not chosen before.
  auto pick = [&](PartKind kind) -> int {
    std::vector<int> candidates;
    for (std::size_t i = 0; i < building.parts.size(); ++i) {
      const Part& p = building.parts[i];
      if (p.kind != kind || chosen.count(int(i))) continue;
      const bool intact_counterpart = std::any_of(p.counterparts.begin(), p.counterparts.end(),
                                                  [&](int c) { return !chosen.count(c); });
      if (intact_counterpart) candidates.push_back(int(i));
    }
    MUTA_INTERNAL_CHECK(!candidates.empty())
        << "no " << PartKindName(kind) << " with a counterpart for the default damage";
    const int id = candidates[rng.UniformInt(0, int(candidates.size()) - 1)];
    chosen.insert(id);
    return id;
  };
  std::vector<DamageEntry> entries;
  entries.push_back(EntryFor(building.parts[pick(PartKind::kEaveCorner)], DamageAction::kBroken));
  for (int i = 0; i < 2; ++i) {
    const PartKind kind = rng.UniformInt(0, 1) == 0 ? PartKind::kColumn : PartKind::kBracketSet;
    entries.push_back(EntryFor(building.parts[pick(kind)], DamageAction::kMissing));
  }
  entries.push_back(EntryFor(building.parts[pick(PartKind::kRoof)], DamageAction::kCollapsed));
  return entries;
}

std::vector<DamageEntry> ResolveDamage(const Building& building, std::string_view damage,
                                       std::uint64_t seed) {
  if (damage == "none") return {};
  if (damage == "default") return DefaultDamage(building, seed);
  return ParseDamageSpec(damage);
}

DamagedBuilding ApplyDamage(const Building& building, std::span<const DamageEntry> entries) {
  const Mesh& mesh = building.mesh;
  std::vector<std::vector<std::uint32_t>> faces_of(building.parts.size());
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) faces_of[mesh.part_ids[f]].push_back(f);
  std::vector<char> removed(mesh.faces.size(), 0);
  std::set<int> damaged_parts;
  DamagedBuilding out;
  for (const DamageEntry& e : entries) {
    DamageRegion region;
    region.entry = e;
    for (std::size_t i = 0; i < building.parts.size(); ++i) {
      if (Selects(e, building.parts[i])) region.parts.push_back(int(i));
    }
    MUTA_CHECK(!region.parts.empty()) << "damage entry '" << e.text << "' selects no part of this "
                                      << SceneTypeName(building.scene)
                                      << " (its parts are listed in gt/scene.json; e.g. storeys 1.."
                                      << building.storeys.size() << ")";
    for (const int id : region.parts) {
      std::vector<std::uint32_t> faces = faces_of[id];
      if (e.fraction) {
        // The outer (horizontal parts) or upper (vertical parts) portion of the part's area.
        const Box3f box = [&] {
          Box3f bx;
          for (auto f : faces) {
            for (int k = 0; k < 3; ++k) bx.Extend(mesh.vertices[mesh.faces[f][k]]);
          }
          return bx;
        }();
        const Vec3f size = box.Size();
        const bool vertical = size.z() >= std::max(size.x(), size.y());
        std::vector<double> key(faces.size());
        double total = 0;
        for (std::size_t i = 0; i < faces.size(); ++i) {
          const Face& fc = mesh.faces[faces[i]];
          const Vec3f c = (mesh.vertices[fc[0]] + mesh.vertices[fc[1]] + mesh.vertices[fc[2]]) / 3;
          key[i] = vertical ? c.z() : std::hypot(c.x(), c.y());
          total += FaceArea(mesh, faces[i]);
        }
        std::vector<std::size_t> order(faces.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return key[a] > key[b]; });
        std::vector<std::uint32_t> picked;
        double area = 0;
        for (const std::size_t i : order) {
          if (area >= *e.fraction * total) break;
          picked.push_back(faces[i]);
          area += FaceArea(mesh, faces[i]);
        }
        std::sort(picked.begin(), picked.end());
        faces = std::move(picked);
      }
      for (const auto f : faces) {
        MUTA_CHECK(!removed[f]) << "damage entry '" << e.text << "' removes faces of part '"
                                << building.parts[id].name
                                << "' that an earlier entry already removed";
        removed[f] = 1;
        region.faces.push_back(f);
        region.area += FaceArea(mesh, f);
        for (int k = 0; k < 3; ++k) region.box.Extend(mesh.vertices[mesh.faces[f][k]]);
      }
      damaged_parts.insert(id);
    }
    std::sort(region.faces.begin(), region.faces.end());
    out.regions.push_back(std::move(region));
  }
  // Counterparts: judged once all damage is known.
  for (DamageRegion& region : out.regions) {
    std::set<int> intact;
    bool all = true;
    for (const int id : region.parts) {
      bool any = false;
      for (const int c : building.parts[id].counterparts) {
        if (!damaged_parts.count(c)) {
          intact.insert(c);
          any = true;
        }
      }
      all = all && any;
    }
    region.has_counterpart = all;
    region.intact_counterparts.assign(intact.begin(), intact.end());
  }
  // The damaged mesh: the kept faces; vertices compacted in their original order.
  std::vector<std::int64_t> remap(mesh.vertices.size(), -1);
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    if (removed[f]) continue;
    out.kept_faces.push_back(static_cast<std::uint32_t>(f));
    for (int k = 0; k < 3; ++k) remap[mesh.faces[f][k]] = 0;
  }
  Mesh& m = out.mesh;
  for (std::size_t v = 0; v < mesh.vertices.size(); ++v) {
    if (remap[v] < 0) continue;
    remap[v] = static_cast<std::int64_t>(m.vertices.size());
    m.vertices.push_back(mesh.vertices[v]);
    if (!mesh.normals.empty()) m.normals.push_back(mesh.normals[v]);
    if (!mesh.uvs.empty()) m.uvs.push_back(mesh.uvs[v]);
    if (!mesh.colors.empty()) m.colors.push_back(mesh.colors[v]);
  }
  for (const auto f : out.kept_faces) {
    const Face& face = mesh.faces[f];
    m.faces.emplace_back(remap[face[0]], remap[face[1]], remap[face[2]]);
    m.part_ids.push_back(mesh.part_ids[f]);
  }
  return out;
}

}  // namespace muta::synth
