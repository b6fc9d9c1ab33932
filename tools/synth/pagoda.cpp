// The octagonal pagoda: a stone platform with steps on every side, then storeys of columns,
// walls with lattice windows, beams, bracket sets and an upturned tiled roof; storeys above
// the first stand on a balcony with a railing; a bronze finial crowns the top roof.
//
// Each storey is built in storey 1's frame and mapped by (scale_r, scale_r, scale_h) plus a
// lift, so storeys repeat exactly (scene.json's storey transforms), except that storey 1 has
// no balcony and the top storey's roof closes at the finial.
#include <cmath>
#include <string>

#include "core/error.h"
#include "tools/synth/building_parts.h"

namespace muta::synth {
namespace {

constexpr int kSides = 8;
constexpr double kHalfAngle = M_PI / kSides;  // 22.5 degrees

struct PagodaParams {
  int storeys = 5;
  double radius = 5.0;  // column ring circumradius of storey 1, m
  int columns_per_side = 3;
  int bracket_layers = 3;
  double roof_curve = 1.7;     // profile exponent
  double corner_lift = 0.8;    // m
  double overhang = 2.0;       // eave beyond the column line (apothem), m
  double column_height = 3.5;  // m
  double radius_taper = 0.9;   // storey-to-storey radius factor
  double height_taper = 0.92;  // storey-to-storey height factor
  double platform_margin = 2.0;
  double platform_height = 1.2;
  double balcony_depth = 1.1;
  double roof_pitch = 0.65;  // rise / run
  double finial_scale = 1.0;
};

PagodaParams DrawParams(const BuildingOptions& o) {
  Rng rng(DeriveSeed(o.seed, "pagoda"));
  PagodaParams p;
  // Draw everything, always in the same order, so pinning one parameter leaves the others as
  // the seed made them.
  static constexpr int kStoreyWeights[] = {1, 2, 4, 2, 2, 1, 1};  // 3..9 storeys, 5 likeliest
  int pick = rng.UniformInt(0, 12);
  int storeys = 3;
  for (int w : kStoreyWeights) {
    if (pick < w) break;
    pick -= w;
    ++storeys;
  }
  p.storeys = storeys;
  p.radius = rng.Uniform(4.0, 6.5);
  p.columns_per_side = rng.UniformInt(2, 4);
  p.bracket_layers = rng.UniformInt(2, 4);
  p.roof_curve = rng.Uniform(1.3, 2.2);
  p.corner_lift = rng.Uniform(0.55, 1.1);
  p.overhang = rng.Uniform(1.7, 2.4);
  p.column_height = rng.Uniform(3.0, 4.0);
  p.radius_taper = rng.Uniform(0.86, 0.93);
  p.height_taper = rng.Uniform(0.88, 0.95);
  p.platform_margin = rng.Uniform(1.6, 2.6);
  p.platform_height = rng.Uniform(0.8, 1.5);
  p.balcony_depth = rng.Uniform(0.9, 1.3);
  p.roof_pitch = rng.Uniform(0.55, 0.8);
  p.finial_scale = rng.Uniform(0.85, 1.2);
  if (o.storeys) p.storeys = *o.storeys;
  if (o.radius) p.radius = *o.radius;
  if (o.columns_per_side) p.columns_per_side = *o.columns_per_side;
  if (o.bracket_layers) p.bracket_layers = *o.bracket_layers;
  if (o.roof_curve) p.roof_curve = *o.roof_curve;
  return p;
}

Json ParamsJson(const PagodaParams& p) {
  return {{"storeys", p.storeys},
          {"radius", p.radius},
          {"columns_per_side", p.columns_per_side},
          {"bracket_layers", p.bracket_layers},
          {"roof_curve", p.roof_curve},
          {"corner_lift", p.corner_lift},
          {"overhang", p.overhang},
          {"column_height", p.column_height},
          {"radius_taper", p.radius_taper},
          {"height_taper", p.height_taper},
          {"platform_margin", p.platform_margin},
          {"platform_height", p.platform_height},
          {"balcony_depth", p.balcony_depth},
          {"roof_pitch", p.roof_pitch},
          {"finial_scale", p.finial_scale},
          {"sides", kSides}};
}

// Corner k of an octagon of circumradius r (corner k starts side k; side k faces angle k*45°).
V3 Corner(int k, double r, double z) {
  const double a = (2 * k - 1) * kHalfAngle;
  return V3(r * std::cos(a), r * std::sin(a), z);
}
V3 SideNormal(int k) {
  const double a = 2 * k * kHalfAngle;
  return V3(std::cos(a), std::sin(a), 0);
}
std::vector<V2> Octagon(double r) {
  return RegularPolygon(kSides, r, -kHalfAngle);
}

std::string S(int storey) {
  return "s" + std::to_string(storey);
}
std::string Side(int k) {
  return "side" + std::to_string(k + 1);
}

Part MakePart(PartKind kind, MaterialKind material, std::string name, int storey, int side = 0,
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

void AddPlatformAndSteps(MeshBuilder& b, const PagodaParams& p) {
  const double rp = p.radius + p.platform_margin, hp = p.platform_height;
  b.BeginPart(MakePart(PartKind::kPlatform, MaterialKind::kStone, "platform", 0));
  b.AddPrism(Octagon(rp), -0.05, hp, true, false);
  const double apothem = rp * std::cos(kHalfAngle);
  const double side_len = 2 * rp * std::sin(kHalfAngle);
  const int steps = std::max(3, static_cast<int>(std::ceil(hp / 0.18)));
  const double rise = hp / (steps + 1), depth = 0.32, half_w = 0.21 * side_len;
  for (int k = 0; k < kSides; ++k) {
    b.BeginPart(MakePart(PartKind::kSteps, MaterialKind::kStone, "steps " + Side(k), 0, k + 1));
    const V3 o = SideNormal(k), t = V3::UnitZ().cross(o);
    Eigen::Matrix3d axes;
    axes << o, t, V3::UnitZ();
    for (int i = 1; i <= steps; ++i) {
      const double z0 = i == 1 ? -0.05 : rise * (i - 1), z1 = rise * i;
      const double r0 = apothem - 0.02, r1 = apothem + (steps + 1 - i) * depth;
      b.AddBox(o * (0.5 * (r0 + r1)) + V3(0, 0, 0.5 * (z0 + z1)), axes,
               V3(0.5 * (r1 - r0), half_w, 0.5 * (z1 - z0)), 1);
    }
  }
}

// Storey-local layout heights (storey 1's frame, floor at z = 0).
struct StoreyLayout {
  double beam_height = 0.45;
  double beam_top = 0;
  double bracket_top = 0;
  double eave_z = 0;
  double eave_apothem = 0;
  double balcony_thickness = 0.35;
  double next_floor = 0;  // T: where the next storey's floor lies, in this storey's frame
};

StoreyLayout Layout(const PagodaParams& p) {
  StoreyLayout l;
  l.beam_top = p.column_height + l.beam_height;
  l.bracket_top = l.beam_top + BracketHeight(p.bracket_layers);
  l.eave_z = l.bracket_top - 0.12;
  l.eave_apothem = p.radius * std::cos(kHalfAngle) + p.overhang;
  const double top_r = p.radius_taper * (p.radius + p.balcony_depth) * 0.92;
  const double run = l.eave_apothem - top_r * std::cos(kHalfAngle);
  const double top_z = l.eave_z + p.roof_pitch * run;
  l.next_floor = top_z + l.balcony_thickness * p.height_taper - 0.05;
  return l;
}

void AddStorey(MeshBuilder& b, const PagodaParams& p, const StoreyLayout& l, int storey, Rng& decor,
               std::pair<int, int> plaque) {
  const int s = storey;
  const double r = p.radius, hc = p.column_height;
  const double rc = std::clamp(0.06 * hc, 0.18, 0.28);
  const int c = p.columns_per_side;
  const bool top = storey == p.storeys;

  if (storey > 1) {
    b.BeginPart(MakePart(PartKind::kBalcony, MaterialKind::kWood, "balcony " + S(s), s));
    b.AddPrism(Octagon(r + p.balcony_depth), -l.balcony_thickness, 0.0, true, true);
    const double rr = r + p.balcony_depth - 0.12;
    for (int k = 0; k < kSides; ++k) {
      b.BeginPart(MakePart(PartKind::kRailing, MaterialKind::kRailing,
                           "railing " + S(s) + " " + Side(k), s, k + 1));
      const V3 c0 = Corner(k, rr, 0), c1 = Corner(k + 1, rr, 0);
      // Boxes aligned with the plan (corner post radially), so the railing is symmetric.
      const V3 radial = Corner(k, 1, 0), o = SideNormal(k);
      Eigen::Matrix3d post_axes, axes;
      post_axes << radial, V3::UnitZ().cross(radial), V3::UnitZ();
      axes << o, V3::UnitZ().cross(o), V3::UnitZ();
      b.AddBox(c0 + V3(0, 0, 0.525), post_axes, V3(0.07, 0.07, 0.525));
      b.AddBeam(c0 + V3(0, 0, 0.95), c1 + V3(0, 0, 0.95), 0.08, 0.07);
      b.AddBeam(c0 + V3(0, 0, 0.55), c1 + V3(0, 0, 0.55), 0.05, 0.05);
      b.AddBeam(c0 + V3(0, 0, 0.12), c1 + V3(0, 0, 0.12), 0.08, 0.1);
      const int m = std::max(2, static_cast<int>(std::lround((c1 - c0).norm() / 0.45)));
      for (int i = 1; i < m; ++i) {
        const V3 q = c0 + (c1 - c0) * (static_cast<double>(i) / m);
        b.AddBox(q + V3(0, 0, 0.5425), axes, V3(0.025, 0.025, 0.3725));
      }
    }
  }

  // Walls (plaster) with doors and windows that differ from side to side and storey to storey
  // (as on real pagodas – and so that photographs of different sides can be told apart); one
  // name plaque on the whole building.
  const double rw = r - 0.6 * rc;
  const double wall_apothem = rw * std::cos(kHalfAngle);
  for (int k = 0; k < kSides; ++k) {
    b.BeginPart(MakePart(PartKind::kWall, MaterialKind::kPlaster, "wall " + S(s) + " " + Side(k), s,
                         k + 1));
    const V3 a = Corner(k, rw, 0), e = Corner(k + 1, rw, 0);
    b.AddQuad(a, e, e + V3(0, 0, l.beam_top), a + V3(0, 0, l.beam_top), V3::UnitZ());
    b.BeginPart(MakePart(PartKind::kWindow, MaterialKind::kWood, "window " + S(s) + " " + Side(k),
                         s, k + 1));
    const V3 o = SideNormal(k), t = V3::UnitZ().cross(o);
    Eigen::Matrix3d axes;
    axes << o, t, V3::UnitZ();
    const double side_len = 2 * rw * std::sin(kHalfAngle), bay = side_len / c;
    bool any = false;
    for (int j = 0; j < c; ++j) {
      // 0 lattice window, 1 door, 2 small high window, 3 blank wall (never all blank).
      int type = decor.UniformInt(0, 3);
      if (type == 3 && j == c - 1 && !any) type = 0;
      const V3 along = o * (wall_apothem + 0.03) + t * (((j + 0.5) / c - 0.5) * side_len);
      const double w = decor.Uniform(0.45, 0.65) * bay;
      if (type == 0) {
        const double h = decor.Uniform(0.35, 0.55) * hc;
        b.AddBox(along + V3(0, 0, 0.58 * hc), axes, V3(0.04, 0.5 * w, 0.5 * h));
      } else if (type == 1) {
        b.AddBox(along + V3(0, 0, 0.38 * hc), axes, V3(0.06, 0.5 * w, 0.36 * hc));
      } else if (type == 2) {
        b.AddBox(along + V3(0, 0, 0.72 * hc), axes, V3(0.04, 0.3 * w, 0.12 * hc));
      }
      any = any || type != 3;
    }
    if (s == plaque.first && k == plaque.second) {
      b.BeginPart(MakePart(PartKind::kPlaque, MaterialKind::kPaintedBeam,
                           "plaque " + S(s) + " " + Side(k), s, k + 1));
      b.AddBox(o * (r + 0.25) + V3(0, 0, hc - 0.1), axes, V3(0.05, 0.22 * side_len, 0.3));
    }
  }
  for (int k = 0; k < kSides; ++k) {
    for (int j = 0; j < c; ++j) {
      b.BeginPart(MakePart(PartKind::kColumn, MaterialKind::kWood,
                           "column " + S(s) + " " + Side(k) + " #" + std::to_string(j + 1), s,
                           k + 1, 0, j + 1));
      const V3 q = Corner(k, r, 0) + (Corner(k + 1, r, 0) - Corner(k, r, 0)) * (double(j) / c);
      b.AddRevolved(q, {{1.3 * rc, 0.0}, {1.3 * rc, 0.14}, {rc, 0.14}, {rc, hc}}, 16, 0.0);
    }
  }
  // Beams: the architrave on the columns and a tie beam below it.
  for (int k = 0; k < kSides; ++k) {
    b.BeginPart(MakePart(PartKind::kBeam, MaterialKind::kPaintedBeam,
                         "beam " + S(s) + " " + Side(k), s, k + 1));
    const V3 a = Corner(k, r, 0), e = Corner(k + 1, r, 0);
    const V3 along = (e - a).normalized() * 0.17;
    const double zc = hc + 0.5 * l.beam_height;
    b.AddBeam(a - along + V3(0, 0, zc), e + along + V3(0, 0, zc), 0.34, l.beam_height, false);
    b.AddBeam(a + V3(0, 0, hc - 0.45), e + V3(0, 0, hc - 0.45), 0.26, 0.26, false);
  }
  // Bracket sets on every column; corner sets point along the corner's bisector.
  for (int k = 0; k < kSides; ++k) {
    for (int j = 0; j < c; ++j) {
      b.BeginPart(MakePart(PartKind::kBracketSet, MaterialKind::kPaintedBeam,
                           "bracket_set " + S(s) + " " + Side(k) + " #" + std::to_string(j + 1), s,
                           k + 1, 0, j + 1));
      const V3 q = Corner(k, r, 0) + (Corner(k + 1, r, 0) - Corner(k, r, 0)) * (double(j) / c);
      const V3 out = j == 0 ? Corner(k, 1, 0) : SideNormal(k);
      AddBracketSet(b, q + V3(0, 0, l.beam_top), out, p.bracket_layers, 0.5 * p.overhang);
    }
  }
  // Roof.
  RoofSpec roof;
  const double eave_r = l.eave_apothem / std::cos(kHalfAngle);
  const double top_r = top ? 0.45 : p.radius_taper * (p.radius + p.balcony_depth) * 0.92;
  const double run = l.eave_apothem - top_r * std::cos(kHalfAngle);
  const double top_z = l.eave_z + p.roof_pitch * run * (top ? 1.15 : 1.0);
  for (int k = 0; k < kSides; ++k) {
    roof.eave.push_back(Corner(k, eave_r, l.eave_z));
    roof.top.push_back(Corner(k, top_r, top_z));
    roof.soffit.push_back(Corner(k, r - 0.3, l.bracket_top + 0.06));
  }
  roof.gamma = p.roof_curve;
  roof.corner_lift = p.corner_lift;
  roof.side_part = [&](int k) {
    return MakePart(PartKind::kRoof, MaterialKind::kRoofTile, "roof " + S(s) + " " + Side(k), s,
                    k + 1);
  };
  roof.corner_part = [&](int k) {
    return MakePart(PartKind::kEaveCorner, MaterialKind::kRoofTile,
                    "eave_corner " + S(s) + " corner" + std::to_string(k + 1), s, 0, k + 1);
  };
  AddRoof(b, roof);

  if (top) {
    b.BeginPart(MakePart(PartKind::kFinial, MaterialKind::kMetal, "finial", 0));
    const double f = p.finial_scale;
    // The base drum is wider than the top roof's opening (0.45 m), which it closes.
    std::vector<V2> profile = {{0.62, -0.4}, {0.62, 0.35}, {0.3, 0.35}, {0.3, 0.5},
                               {0.5, 0.62},  {0.42, 0.8},  {0.16, 0.85}};
    for (int i = 0; i < 7; ++i) {
      const double z0 = 0.9 + 0.3 * i, rr = 0.36 - 0.025 * i;
      profile.insert(profile.end(), {{0.16, z0}, {rr, z0}, {rr, z0 + 0.07}, {0.16, z0 + 0.07}});
    }
    profile.insert(
        profile.end(),
        {{0.16, 3.0}, {0.3, 3.15}, {0.32, 3.3}, {0.2, 3.5}, {0.06, 3.6}, {0.04, 4.4}, {0.0, 4.6}});
    for (auto& q : profile) q *= f;
    b.AddRevolved(V3(0, 0, top_z), profile, 16, 0.0);
  }
}

}  // namespace

Building BuildPagoda(const BuildingOptions& options) {
  const PagodaParams p = DrawParams(options);
  const StoreyLayout l = Layout(p);
  MeshBuilder b(DeriveSeed(options.seed, "uv"));
  AddPlatformAndSteps(b, p);
  Building building;
  building.scene = SceneType::kPagoda;
  building.seed = options.seed;
  double z = p.platform_height;
  Rng decor(DeriveSeed(options.seed, "decor"));
  const std::pair<int, int> plaque = {decor.UniformInt(1, std::min(2, p.storeys)),
                                      decor.UniformInt(0, kSides - 1)};
  for (int s = 1; s <= p.storeys; ++s) {
    const double sr = std::pow(p.radius_taper, s - 1), sh = std::pow(p.height_taper, s - 1);
    Eigen::Affine3d xf = Eigen::Translation3d(0, 0, z) * Eigen::Scaling(sr, sr, sh);
    b.SetTransform(xf);
    AddStorey(b, p, l, s, decor, plaque);
    StoreyTransform st;
    st.storey = s;
    st.base_z = z;
    st.scale = V3(sr, sr, sh);
    st.translation = V3(0, 0, z - sh * p.platform_height);
    building.storeys.push_back(st);
    z += l.next_floor * sh;
  }
  building.mesh = b.TakeMesh();
  building.parts = std::move(b.parts());
  building.parameters = ParamsJson(p);
  building.rotation_order = kSides;
  for (int m = 0; m < kSides; ++m) {
    const double a = m * kHalfAngle;
    building.mirror_normals.emplace_back(-std::sin(a), std::cos(a), 0.0);
  }
  return building;
}

}  // namespace muta::synth
