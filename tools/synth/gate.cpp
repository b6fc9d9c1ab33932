// The gate (paifang): a row of posts on stone plinths over a low stone base, two beams per
// bay with a name plaque between them, two-sided bracket sets on the upper beam and a small
// hipped roof over each bay, the middle bay's higher. Bays run from -x to +x; the gate faces
// -y (roof side 1 is the front).
#include <cmath>
#include <string>

#include "tools/synth/building_parts.h"

namespace muta::synth {
namespace {

struct GateParams {
  int bays = 3;
  double middle_width = 4.4;  // m, between post centres
  double side_width = 3.2;
  double post_height = 6.0;
  int bracket_layers = 2;
  double roof_curve = 1.6;
  double corner_lift = 0.35;
  double roof_pitch = 0.7;
};

GateParams DrawParams(const BuildingOptions& o) {
  Rng rng(DeriveSeed(o.seed, "gate"));
  GateParams p;
  p.bays = rng.UniformInt(0, 3) == 0 ? 1 : 3;
  p.middle_width = rng.Uniform(3.6, 5.0);
  p.side_width = p.middle_width * rng.Uniform(0.65, 0.8);
  p.post_height = rng.Uniform(5.0, 7.0);
  p.bracket_layers = rng.UniformInt(2, 3);
  p.roof_curve = rng.Uniform(1.3, 2.0);
  p.corner_lift = rng.Uniform(0.25, 0.45);
  p.roof_pitch = rng.Uniform(0.6, 0.85);
  if (o.bracket_layers) p.bracket_layers = *o.bracket_layers;
  if (o.roof_curve) p.roof_curve = *o.roof_curve;
  return p;
}

Part GatePart(PartKind kind, MaterialKind material, std::string name, int bay = 0, int index = 0,
              int side = 0, int corner = 0) {
  Part p;
  p.name = std::move(name);
  p.kind = kind;
  p.material = material;
  p.storey = 1;
  p.bay = bay;
  p.index = index;
  p.side = side;
  p.corner = corner;
  return p;
}

}  // namespace

Building BuildGate(const BuildingOptions& options) {
  const GateParams p = DrawParams(options);
  MeshBuilder b(DeriveSeed(options.seed, "uv"));
  const double base_h = 0.25;

  // Post x positions and per-bay geometry.
  std::vector<double> xs;
  std::vector<double> widths;
  if (p.bays == 1) {
    xs = {-0.5 * p.middle_width, 0.5 * p.middle_width};
    widths = {p.middle_width};
  } else {
    const double m = 0.5 * p.middle_width;
    xs = {-m - p.side_width, -m, m, m + p.side_width};
    widths = {p.side_width, p.middle_width, p.side_width};
  }
  const int middle = p.bays / 2;
  auto beam_top = [&](int bay) { return p.post_height * (bay == middle ? 0.9 : 0.78); };
  auto beam_low = [&](int bay) { return p.post_height * (bay == middle ? 0.66 : 0.58); };

  b.BeginPart(GatePart(PartKind::kPlatform, MaterialKind::kStone, "platform"));
  const double half_len = 0.5 * (xs.back() - xs.front()) + 1.2;
  b.AddAabb(V3(-half_len, -1.4, -0.05), V3(half_len, 1.4, base_h), 0);

  for (std::size_t i = 0; i < xs.size(); ++i) {
    const int idx = static_cast<int>(i) + 1;
    // The post's height reaches above the upper beam of the highest bay it carries.
    double top = 0;
    if (i > 0) top = std::max(top, beam_top(static_cast<int>(i) - 1));
    if (i < widths.size()) top = std::max(top, beam_top(static_cast<int>(i)));
    b.BeginPart(GatePart(PartKind::kColumn, MaterialKind::kWood,
                         "column s1 #" + std::to_string(idx), 0, idx));
    b.AddAabb(V3(xs[i] - 0.25, -0.25, base_h), V3(xs[i] + 0.25, 0.25, base_h + top + 0.35));
    b.BeginPart(GatePart(PartKind::kPlinth, MaterialKind::kStone, "plinth #" + std::to_string(idx),
                         0, idx));
    b.AddAabb(V3(xs[i] - 0.45, -0.8, base_h), V3(xs[i] + 0.45, -0.25, base_h + 0.95), 0);
    b.AddAabb(V3(xs[i] - 0.45, 0.25, base_h), V3(xs[i] + 0.45, 0.8, base_h + 0.95), 0);
  }

  for (int bay = 0; bay < p.bays; ++bay) {
    const int bn = bay + 1;
    const std::string bs = "b" + std::to_string(bn);
    const double x0 = xs[bay], x1 = xs[bay + 1], w = x1 - x0, xc = 0.5 * (x0 + x1);
    const double zt = base_h + beam_top(bay), zl = base_h + beam_low(bay);
    b.BeginPart(GatePart(PartKind::kBeam, MaterialKind::kPaintedBeam, "beam " + bs, bn));
    b.AddBeam(V3(x0 - 0.25, 0, zt - 0.25), V3(x1 + 0.25, 0, zt - 0.25), 0.42, 0.5, false);
    b.AddBeam(V3(x0 + 0.25, 0, zl - 0.18), V3(x1 - 0.25, 0, zl - 0.18), 0.32, 0.36, false);
    b.BeginPart(GatePart(PartKind::kPlaque, MaterialKind::kPaintedBeam, "plaque " + bs, bn));
    const double ph = (zt - 0.5) - zl - 0.1;
    b.AddAabb(V3(xc - 0.3 * w, -0.07, zl + 0.05), V3(xc + 0.3 * w, 0.07, zl + 0.05 + ph));

    const int sets = std::max(2, static_cast<int>(std::lround(w / 0.9)));
    for (int j = 0; j < sets; ++j) {
      b.BeginPart(GatePart(PartKind::kBracketSet, MaterialKind::kPaintedBeam,
                           "bracket_set " + bs + " #" + std::to_string(j + 1), bn, j + 1));
      const double x = x0 + w * (j + 0.5) / sets;
      AddBracketSet(b, V3(x, 0, zt), V3::UnitY(), p.bracket_layers, 0.45, true);
    }
    const double bracket_top = zt + BracketHeight(p.bracket_layers);
    const double eave_z = bracket_top - 0.08;
    const double ex = 0.5 * w + 0.7, ey = 1.0 + 0.1 * p.bracket_layers;
    const double rx = 0.5 * w + 0.1, ry = 0.08;
    const double top_z = eave_z + p.roof_pitch * (ey - ry);
    RoofSpec roof;
    roof.eave = {{xc - ex, -ey, eave_z},
                 {xc + ex, -ey, eave_z},
                 {xc + ex, ey, eave_z},
                 {xc - ex, ey, eave_z}};
    roof.top = {
        {xc - rx, -ry, top_z}, {xc + rx, -ry, top_z}, {xc + rx, ry, top_z}, {xc - rx, ry, top_z}};
    const double sz = bracket_top + 0.04, sx = 0.5 * w, sy = 0.3;
    roof.soffit = {{xc - sx, -sy, sz}, {xc + sx, -sy, sz}, {xc + sx, sy, sz}, {xc - sx, sy, sz}};
    roof.gamma = p.roof_curve;
    roof.corner_lift = p.corner_lift;
    roof.lift_length = 1.2;
    roof.plan_sag = 0.1;
    roof.thickness = 0.18;
    roof.corner_length = 0.8;
    roof.rows = 8;
    roof.hip_width = 0.16;
    roof.hip_height = 0.15;
    roof.side_part = [&](int k) {
      return GatePart(PartKind::kRoof, MaterialKind::kRoofTile,
                      "roof " + bs + " side" + std::to_string(k + 1), bn, 0, k + 1);
    };
    roof.corner_part = [&](int k) {
      return GatePart(PartKind::kEaveCorner, MaterialKind::kRoofTile,
                      "eave_corner " + bs + " corner" + std::to_string(k + 1), bn, 0, 0, k + 1);
    };
    AddRoof(b, roof);
    b.BeginPart(GatePart(PartKind::kRidge, MaterialKind::kRoofTile, "ridge " + bs, bn));
    b.AddAabb(V3(xc - rx - 0.2, -0.2, top_z - 0.08), V3(xc + rx + 0.2, 0.2, top_z + 0.35), 0);
    for (double s : {-1.0, 1.0}) {
      const double xe = xc + s * (rx + 0.2);
      b.AddAabb(V3(xe - 0.18, -0.16, top_z + 0.1), V3(xe + 0.18, 0.16, top_z + 0.75));
    }
  }

  Building building;
  building.scene = SceneType::kGate;
  building.seed = options.seed;
  building.mesh = b.TakeMesh();
  building.parts = std::move(b.parts());
  building.parameters = {{"bays", p.bays},
                         {"middle_width", p.middle_width},
                         {"side_width", p.bays > 1 ? p.side_width : 0.0},
                         {"post_height", p.post_height},
                         {"bracket_layers", p.bracket_layers},
                         {"roof_curve", p.roof_curve},
                         {"corner_lift", p.corner_lift},
                         {"roof_pitch", p.roof_pitch},
                         {"storeys", 1}};
  building.rotation_order = 2;
  building.mirror_normals = {V3::UnitX(), V3::UnitY()};
  StoreyTransform st;
  st.base_z = base_h;
  building.storeys = {st};
  return building;
}

}  // namespace muta::synth
