// The hall: a rectangular timber hall on a stone platform with steps front and back, columns
// round the perimeter, plaster walls with doors in the middle bay and lattice windows in the
// others (front and back), beams, bracket sets on and between the columns, and a hipped
// (wudian) tiled roof with upturned corners and a main ridge. Side 1 is the front (-y), sides
// run counter-clockwise seen from above: 2 = +x, 3 = back, 4 = -x.
#include <algorithm>
#include <cmath>
#include <string>

#include "tools/synth/building_parts.h"

namespace muta::synth {
namespace {

struct HallParams {
  double width = 16;   // between the corner columns along x, m
  double depth = 9;    // along y, m
  int front_bays = 5;  // odd: a middle bay for the door
  int side_bays = 3;
  double column_height = 4.2;
  int bracket_layers = 3;
  double roof_curve = 1.7;
  double corner_lift = 0.8;
  double overhang = 2.2;
  double platform_margin = 2.0;
  double platform_height = 1.1;
  double roof_pitch = 0.7;
};

HallParams DrawParams(const BuildingOptions& o) {
  Rng rng(DeriveSeed(o.seed, "hall"));
  HallParams p;
  static constexpr int kFrontBays[] = {3, 5, 5, 7};
  p.front_bays = kFrontBays[rng.UniformInt(0, 3)];
  p.side_bays = rng.UniformInt(2, 4);
  const double bay = rng.Uniform(3.0, 4.2);
  p.width = bay * p.front_bays;
  // Wider than deep, as halls are.
  p.depth = std::min(rng.Uniform(2.6, 3.4) * p.side_bays, 0.62 * p.width);
  p.column_height = rng.Uniform(3.6, 5.0);
  p.bracket_layers = rng.UniformInt(2, 4);
  p.roof_curve = rng.Uniform(1.3, 2.2);
  p.corner_lift = rng.Uniform(0.5, 1.0);
  p.overhang = rng.Uniform(1.8, 2.6);
  p.platform_margin = rng.Uniform(1.6, 2.6);
  p.platform_height = rng.Uniform(0.8, 1.4);
  p.roof_pitch = rng.Uniform(0.6, 0.85);
  if (o.bracket_layers) p.bracket_layers = *o.bracket_layers;
  if (o.roof_curve) p.roof_curve = *o.roof_curve;
  return p;
}

Part HallPart(PartKind kind, MaterialKind material, std::string name, int storey, int side = 0,
              int corner = 0, int index = 0) {
  Part p;
  p.name = std::move(name);
  p.kind = kind;
  p.material = material;
  p.storey = storey;
  p.side = side;
  p.corner = corner;
  p.index = index;
  return p;
}

}  // namespace

Building BuildHall(const BuildingOptions& options) {
  const HallParams p = DrawParams(options);
  MeshBuilder b(DeriveSeed(options.seed, "uv"));
  const double hw = 0.5 * p.width, hd = 0.5 * p.depth, hp = p.platform_height;
  const double hc = p.column_height, rc = std::clamp(0.055 * hc, 0.2, 0.3);
  const double beam_h = 0.5;

  // Corners counter-clockwise from front-left; side k runs from corner k to corner k+1.
  const V3 corners[4] = {{-hw, -hd, 0}, {hw, -hd, 0}, {hw, hd, 0}, {-hw, hd, 0}};
  const int bays[4] = {p.front_bays, p.side_bays, p.front_bays, p.side_bays};
  auto side_name = [](int k) { return "side" + std::to_string(k + 1); };

  // Platform and steps (front and back, as wide as the middle bay).
  b.BeginPart(HallPart(PartKind::kPlatform, MaterialKind::kStone, "platform", 0));
  const double px = hw + p.platform_margin, py = hd + p.platform_margin;
  b.AddPrism({{-px, -py}, {px, -py}, {px, py}, {-px, py}}, -0.05, hp, true, false);
  const int steps = std::max(3, static_cast<int>(std::ceil(hp / 0.18)));
  const double rise = hp / (steps + 1), tread = 0.32, step_hw = 0.45 * p.width / p.front_bays;
  for (int side : {0, 2}) {
    b.BeginPart(
        HallPart(PartKind::kSteps, MaterialKind::kStone, "steps " + side_name(side), 0, side + 1));
    const double dir = side == 0 ? -1.0 : 1.0;
    for (int i = 1; i <= steps; ++i) {
      const double z0 = i == 1 ? -0.05 : rise * (i - 1), z1 = rise * i;
      const double y0 = py - 0.02, y1 = py + (steps + 1 - i) * tread;
      b.AddAabb(V3(-step_hw, dir > 0 ? y0 : -y1, z0), V3(step_hw, dir > 0 ? y1 : -y0, z1), 0);
    }
  }
  const Eigen::Affine3d lift(Eigen::Translation3d(0, 0, hp));
  b.SetTransform(lift);

  // Column positions per side: its start corner, then the intermediate ones.
  auto column_at = [&](int k, int j) {
    return corners[k] + (corners[(k + 1) % 4] - corners[k]) * (static_cast<double>(j) / bays[k]);
  };
  for (int k = 0; k < 4; ++k) {
    const V3 a = corners[k], e = corners[(k + 1) % 4];
    const V3 along = (e - a).normalized(), out = along.cross(V3::UnitZ());
    // Wall: a thin plaster box on the column line up to the architrave.
    b.BeginPart(
        HallPart(PartKind::kWall, MaterialKind::kPlaster, "wall s1 " + side_name(k), 1, k + 1));
    Eigen::Matrix3d axes;
    axes << out, along, V3::UnitZ();
    b.AddBox(0.5 * (a + e) + V3(0, 0, 0.5 * hc), axes, V3(0.12, 0.5 * (e - a).norm(), 0.5 * hc));
    if (k == 0 || k == 2) {
      // Door leaves in the middle bay, lattice windows in the others.
      b.BeginPart(
          HallPart(PartKind::kWindow, MaterialKind::kWood, "window s1 " + side_name(k), 1, k + 1));
      const double bay_len = (e - a).norm() / bays[k];
      for (int j = 0; j < bays[k]; ++j) {
        const V3 mid = a + along * ((j + 0.5) * bay_len) + out * 0.15;
        const bool door = j == bays[k] / 2;
        const double h = door ? 0.78 * hc : 0.4 * hc, zc = door ? 0.39 * hc : 0.58 * hc;
        b.AddBox(mid + V3(0, 0, zc), axes, V3(0.04, 0.36 * bay_len, 0.5 * h));
      }
    }
    for (int j = 0; j < bays[k]; ++j) {
      b.BeginPart(HallPart(PartKind::kColumn, MaterialKind::kWood,
                           "column s1 " + side_name(k) + " #" + std::to_string(j + 1), 1, k + 1, 0,
                           j + 1));
      b.AddRevolved(column_at(k, j), {{1.3 * rc, 0.0}, {1.3 * rc, 0.14}, {rc, 0.14}, {rc, hc}}, 16,
                    0.0);
    }
    b.BeginPart(
        HallPart(PartKind::kBeam, MaterialKind::kPaintedBeam, "beam s1 " + side_name(k), 1, k + 1));
    b.AddBeam(a - along * 0.2 + V3(0, 0, hc + 0.5 * beam_h),
              e + along * 0.2 + V3(0, 0, hc + 0.5 * beam_h), 0.36, beam_h, false);
    b.AddBeam(a + V3(0, 0, hc - 0.5), e + V3(0, 0, hc - 0.5), 0.28, 0.3, false);
    // Bracket sets on each column and one between each pair.
    for (int j = 0; j < 2 * bays[k]; ++j) {
      b.BeginPart(HallPart(PartKind::kBracketSet, MaterialKind::kPaintedBeam,
                           "bracket_set s1 " + side_name(k) + " #" + std::to_string(j + 1), 1,
                           k + 1, 0, j + 1));
      const V3 q = a + (e - a) * (0.5 * j / bays[k]);
      const V3 corner_dir = V3(a.x() > 0 ? 1 : -1, a.y() > 0 ? 1 : -1, 0).normalized();
      AddBracketSet(b, q + V3(0, 0, hc + beam_h), j == 0 ? corner_dir : out, p.bracket_layers,
                    0.5 * p.overhang);
    }
  }

  // Hipped roof.
  const double bracket_top = hc + beam_h + BracketHeight(p.bracket_layers);
  const double eave_z = bracket_top - 0.12;
  const double ex = hw + p.overhang, ey = hd + p.overhang;
  const double ridge_hx = std::max(0.6, hw - hd), ridge_hy = 0.12;
  const double top_z = eave_z + p.roof_pitch * (ey - ridge_hy);
  RoofSpec roof;
  roof.eave = {{-ex, -ey, eave_z}, {ex, -ey, eave_z}, {ex, ey, eave_z}, {-ex, ey, eave_z}};
  roof.top = {{-ridge_hx, -ridge_hy, top_z},
              {ridge_hx, -ridge_hy, top_z},
              {ridge_hx, ridge_hy, top_z},
              {-ridge_hx, ridge_hy, top_z}};
  const double sz = bracket_top + 0.06;
  roof.soffit = {{-hw + 0.3, -hd + 0.3, sz},
                 {hw - 0.3, -hd + 0.3, sz},
                 {hw - 0.3, hd - 0.3, sz},
                 {-hw + 0.3, hd - 0.3, sz}};
  roof.gamma = p.roof_curve;
  roof.corner_lift = p.corner_lift;
  roof.corner_length = 2.0;
  roof.side_part = [&](int k) {
    return HallPart(PartKind::kRoof, MaterialKind::kRoofTile, "roof s1 " + side_name(k), 1, k + 1);
  };
  roof.corner_part = [&](int k) {
    return HallPart(PartKind::kEaveCorner, MaterialKind::kRoofTile,
                    "eave_corner s1 corner" + std::to_string(k + 1), 1, 0, k + 1);
  };
  AddRoof(b, roof);
  // Main ridge with end ornaments.
  b.BeginPart(HallPart(PartKind::kRidge, MaterialKind::kRoofTile, "ridge s1", 1));
  b.AddAabb(V3(-ridge_hx - 0.25, -ridge_hy - 0.2, top_z - 0.1),
            V3(ridge_hx + 0.25, ridge_hy + 0.2, top_z + 0.55), 0);
  for (double sx : {-1.0, 1.0}) {
    b.AddAabb(V3(sx * (ridge_hx + 0.25) - 0.3, -0.22, top_z + 0.2),
              V3(sx * (ridge_hx + 0.25) + 0.3, 0.22, top_z + 1.2));
  }

  Building building;
  building.scene = SceneType::kHall;
  building.seed = options.seed;
  building.mesh = b.TakeMesh();
  building.parts = std::move(b.parts());
  building.parameters = {{"width", p.width},
                         {"depth", p.depth},
                         {"front_bays", p.front_bays},
                         {"side_bays", p.side_bays},
                         {"column_height", p.column_height},
                         {"bracket_layers", p.bracket_layers},
                         {"roof_curve", p.roof_curve},
                         {"corner_lift", p.corner_lift},
                         {"overhang", p.overhang},
                         {"platform_margin", p.platform_margin},
                         {"platform_height", p.platform_height},
                         {"roof_pitch", p.roof_pitch},
                         {"storeys", 1}};
  building.rotation_order = 2;
  building.mirror_normals = {V3::UnitX(), V3::UnitY()};
  StoreyTransform st;
  st.base_z = hp;
  building.storeys = {st};
  return building;
}

}  // namespace muta::synth
