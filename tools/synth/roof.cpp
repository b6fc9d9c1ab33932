// Curved tiled roofs with upturned eaves, and dougong bracket sets.
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "tools/synth/building_parts.h"

namespace muta::synth {
namespace {

V3 Lerp(const V3& a, const V3& b, double t) {
  return a + t * (b - a);
}

// Roof tile lines per texture tile (the kRoofTile texture draws 6 lines of cover tiles, the
// crest of each at 0.72 of its line).
constexpr int kTileLinesPerTexture = 6;
constexpr double kCoverCrest = 0.72;

}  // namespace

std::vector<int> AddRoof(MeshBuilder& b, const RoofSpec& spec) {
  const int n = static_cast<int>(spec.eave.size());
  MUTA_INTERNAL_CHECK(n >= 3 && spec.top.size() == spec.eave.size() &&
                      spec.soffit.size() == spec.eave.size())
      << "roof polygons differ in size";
  std::vector<int> side_ids(n), corner_ids(n);
  for (int k = 0; k < n; ++k) side_ids[k] = b.BeginPart(spec.side_part(k));
  for (int k = 0; k < n; ++k) corner_ids[k] = b.BeginPart(spec.corner_part(k));
  const double line = MaterialTileMetres(MaterialKind::kRoofTile) / kTileLinesPerTexture;

  // Horizontal direction of the hip at corner k (from the top corner out to the eave corner).
  auto hip_dir = [&](int k) {
    V3 d = spec.eave[k] - spec.top[k];
    d.z() = 0;
    return d.normalized();
  };
  const int rows = spec.rows;
  std::vector<std::vector<V3>> hips(n);  // hip line per corner (base surface), eave to top

  for (int k = 0; k < n; ++k) {
    const int k1 = (k + 1) % n;
    const V3 e0 = spec.eave[k], e1 = spec.eave[k1];
    const V3 t0 = spec.top[k], t1 = spec.top[k1];
    const V3 s0 = spec.soffit[k], s1 = spec.soffit[k1];
    V3 edge = e1 - e0;
    edge.z() = 0;
    const double length = edge.norm();
    const V3 outward = edge.normalized().cross(V3::UnitZ());
    const int channels = std::max(2, static_cast<int>(std::lround(length / line)));
    const int cols = 2 * channels;
    const double corner_u = std::min(0.35, spec.corner_length / length);
    const V3 h0 = hip_dir(k), h1 = hip_dir(k1);

    // Base surface P(u, v): eave curve (sagging in plan, lifted and swept out at the
    // corners) to the top edge, height ~ v^gamma.
    auto lift_weight = [&](double u) {
      const double d = std::min(u, 1.0 - u) * length;
      const double w = std::max(0.0, 1.0 - d / std::min(spec.lift_length, 0.5 * length));
      return w * w;
    };
    auto base = [&](double u, double v) {
      const double w = lift_weight(u);
      V3 eave = Lerp(e0, e1, u) - outward * spec.plan_sag * 4.0 * u * (1.0 - u);
      eave += Lerp(h0, h1, u).normalized() * 0.4 * spec.corner_lift * w;
      const V3 top = Lerp(t0, t1, u);
      V3 p = Lerp(eave, top, v);
      const double fade = (1.0 - v) * (1.0 - v);
      p.z() = e0.z() + spec.corner_lift * w * fade + (top.z() - e0.z()) * std::pow(v, spec.gamma);
      return p;
    };
    const int w = cols + 1;
    std::vector<V3> grid((rows + 1) * w);
    for (int r = 0; r <= rows; ++r) {
      const double v = std::pow(static_cast<double>(r) / rows, 1.25);
      for (int c = 0; c <= cols; ++c) grid[r * w + c] = base(static_cast<double>(c) / cols, v);
    }
    hips[k].clear();
    for (int r = 0; r <= rows; ++r) hips[k].push_back(grid[r * w]);

    // Tile channels: crests on odd columns, displaced along the surface normal; flattened
    // where the sheet narrows (hip ends) and channels would be narrower than tiles.
    std::vector<V3> tiles = grid;
    for (int r = 0; r <= rows; ++r) {
      const double row_len = (grid[r * w + cols] - grid[r * w]).norm();
      const double scale = std::clamp(row_len / channels / line - 0.5, 0.0, 1.0);
      for (int c = 1; c < cols; c += 2) {
        const V3 du = grid[r * w + c + 1] - grid[r * w + c - 1];
        const V3 dv = grid[std::min(r + 1, rows) * w + c] - grid[std::max(r - 1, 0) * w + c];
        tiles[r * w + c] += du.cross(dv).normalized() * (scale * spec.tile_height);
      }
    }
    // UVs: one texture tile line per channel (crest on the cover tile), v up the slope.
    std::vector<V2> uvs((rows + 1) * w);
    double v_len = 0;
    for (int r = 0; r <= rows; ++r) {
      if (r > 0) v_len += (grid[r * w + cols / 2] - grid[(r - 1) * w + cols / 2]).norm();
      for (int c = 0; c <= cols; ++c) {
        uvs[r * w + c] = V2((0.5 * c + kCoverCrest - 0.5) * line, v_len);
      }
    }
    auto part_of_col = [&](int c) {
      const double u = (c + 0.5) / cols;
      if (u < corner_u) return corner_ids[k];
      if (u > 1.0 - corner_u) return corner_ids[k1];
      return side_ids[k];
    };
    auto cell_part = [&](int, int c) { return part_of_col(c); };

    b.SetCurrentPart(side_ids[k]);
    b.NewUvOffset(line);
    b.AddGrid(tiles, rows, cols, false, cell_part, &uvs);

    // Eave fascia: from the slab's underside edge up to the tiles' front edge.
    std::vector<V3> fascia(2 * w);
    for (int c = 0; c <= cols; ++c) {
      fascia[c] = grid[c] - V3::UnitZ() * spec.thickness;
      fascia[w + c] = tiles[c];
    }
    b.NewUvOffset();
    b.AddGrid(fascia, 1, cols, false, cell_part);

    // Soffit: the underside from the fascia's lower edge in to the soffit polygon, facing down.
    const int srows = 2;
    std::vector<V3> soffit((srows + 1) * w);
    for (int c = 0; c <= cols; ++c) {
      const V3 inner = Lerp(s0, s1, static_cast<double>(c) / cols);
      for (int r = 0; r <= srows; ++r) {
        soffit[r * w + c] = Lerp(fascia[c], inner, static_cast<double>(r) / srows);
      }
    }
    b.NewUvOffset();
    b.AddGrid(soffit, srows, cols, true, cell_part);
  }

  // Hip ridges: a rectangular sweep along each hip, sunk a little into the roof, its eave end
  // turned up.
  for (int k = 0; k < n; ++k) {
    b.SetCurrentPart(corner_ids[k]);
    b.NewUvOffset();
    std::vector<V3> path;
    const auto& hip = hips[k];
    const V3 out = (hip[0] - hip[1]).normalized();
    path.push_back(hip[0] + out * 0.35 * spec.hip_width * 2.0 +
                   V3::UnitZ() * (0.25 * spec.hip_height - 0.05));
    for (const auto& p : hip) path.push_back(p - V3::UnitZ() * 0.05);
    b.AddSweep(path, spec.hip_width, spec.hip_height, V3::UnitZ());
  }
  std::vector<int> ids = side_ids;
  ids.insert(ids.end(), corner_ids.begin(), corner_ids.end());
  return ids;
}

double BracketHeight(int layers) {
  return 0.22 + 0.22 * layers;
}

double AddBracketSet(MeshBuilder& b, const V3& base, const V3& out, int layers, double reach,
                     bool both_ways) {
  const V3 o = V3(out.x(), out.y(), 0).normalized();
  const V3 t = V3::UnitZ().cross(o);
  Eigen::Matrix3d axes;
  axes << o, t, V3::UnitZ();
  // Bearing block (dou).
  b.AddBox(base + V3(0, 0, 0.11), axes, V3(0.2, 0.2, 0.11));
  const double step = reach / layers;
  for (int l = 0; l < layers; ++l) {
    const double z = base.z() + 0.22 + 0.22 * l;
    const double arm_half = 0.42 + 0.08 * l;
    const double tip = (l + 1) * step + 0.12;
    const V3 at(base.x(), base.y(), z + 0.09);
    // Arm along the outward direction (ang): from behind the column line out to this layer's
    // reach (and back out the other way for two-sided sets).
    const double back = both_ways ? tip : 0.25;
    b.AddBox(at + o * 0.5 * (tip - back), axes, V3(0.5 * (tip + back), 0.07, 0.09));
    // Cross arm (gong) at this layer's step, and blocks (sheng) on its ends and the arm tip.
    for (int side : {1, -1}) {
      if (side < 0 && !(both_ways && l > 0)) continue;
      const V3 centre = at + o * (side * l * step);
      b.AddBox(centre, axes, V3(0.07, arm_half, 0.09));
      for (int e : {1, -1}) {
        b.AddBox(centre + t * (e * (arm_half - 0.08)) + V3(0, 0, 0.11), axes, V3(0.08, 0.08, 0.02));
      }
    }
    b.AddBox(at + o * (tip - 0.08) + V3(0, 0, 0.11), axes, V3(0.08, 0.08, 0.02));
    if (both_ways) b.AddBox(at - o * (tip - 0.08) + V3(0, 0, 0.11), axes, V3(0.08, 0.08, 0.02));
  }
  return BracketHeight(layers);
}

}  // namespace muta::synth
