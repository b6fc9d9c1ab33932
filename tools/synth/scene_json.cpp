// gt/scene.json and gt/damage.json (documented in docs/formats.md).
#include <cmath>

#include "tools/synth/building_parts.h"

namespace muta::synth {
namespace {

Json Vec(const Eigen::Vector3d& v) {
  return Json::array({v.x(), v.y(), v.z()});
}
Json Vec(const Vec3f& v) {
  return Json::array({v.x(), v.y(), v.z()});
}

Json BoxJson(const Box3f& box) {
  if (box.Empty()) return nullptr;
  return {{"min", Vec(box.min)}, {"max", Vec(box.max)}};
}

// The counterparts' names (readable) for a list of ids.
Json Names(const Building& b, const std::vector<int>& ids) {
  Json names = Json::array();
  for (const int id : ids) names.push_back(b.parts[id].name);
  return names;
}

}  // namespace

Json SceneJson(const Building& building, const SynthOptions& options, const SparseModel& rig) {
  const Box3f box = BoundingBox(building.mesh.vertices);
  const std::vector<PartGeometry> geo = MeasureParts(building.mesh, building.parts.size());
  Json parts = Json::array();
  for (std::size_t i = 0; i < building.parts.size(); ++i) {
    const Part& p = building.parts[i];
    parts.push_back({{"id", i},
                     {"name", p.name},
                     {"kind", PartKindName(p.kind)},
                     {"material", MaterialName(p.material)},
                     {"storey", p.storey},
                     {"side", p.side},
                     {"corner", p.corner},
                     {"bay", p.bay},
                     {"index", p.index},
                     {"counterparts", p.counterparts},
                     {"faces", p.face_count},
                     {"area_m2", geo[i].area},
                     {"centroid", Vec(geo[i].centroid)},
                     {"bounding_box", BoxJson(geo[i].box)}});
  }
  Json mirrors = Json::array();
  for (const auto& n : building.mirror_normals) {
    mirrors.push_back({{"point", Json::array({0.0, 0.0, 0.0})}, {"normal", Vec(n)}});
  }
  // Parts no symmetry maps onto another (on the axis, or deliberately unique like the doors,
  // windows and plaque that make each side different).
  Json unique = Json::array();
  for (std::size_t i = 0; i < building.parts.size(); ++i) {
    if (building.parts[i].counterparts.empty()) unique.push_back(i);
  }
  Json storeys = Json::array();
  for (const auto& s : building.storeys) {
    storeys.push_back({{"storey", s.storey},
                       {"base_z", s.base_z},
                       {"scale", Vec(s.scale)},
                       {"translation", Vec(s.translation)}});
  }
  const Camera& cam = rig.cameras.begin()->second;
  Json pinned = Json::object();
  const BuildingOptions& bo = options.building;
  if (bo.storeys) pinned["storeys"] = *bo.storeys;
  if (bo.radius) pinned["radius"] = *bo.radius;
  if (bo.columns_per_side) pinned["columns_per_side"] = *bo.columns_per_side;
  if (bo.bracket_layers) pinned["bracket_layers"] = *bo.bracket_layers;
  if (bo.roof_curve) pinned["roof_curve"] = *bo.roof_curve;
  return {
      {"format", "muta.synth.scene"},
      {"version", 1},
      {"scene", SceneTypeName(building.scene)},
      {"seed", building.seed},
      {"scale", "metres"},
      {"up", "+z"},
      {"parameters", building.parameters},
      {"pinned", pinned},
      {"damage", options.damage},
      {"symmetry",
       {{"axis", {{"point", Json::array({0.0, 0.0, 0.0})}, {"direction", Json::array({0, 0, 1})}}},
        {"rotation_order", building.rotation_order},
        {"mirror_planes", mirrors},
        {"parts_without_counterpart", unique}}},
      {"storey_repetition",
       {{"note",
         "p_storey = scale * p_storey1 + translation (component-wise); storey 1 has no balcony "
         "or railing and the top storey's roof closes at the finial"},
        {"storeys", storeys}}},
      {"bounding_box", BoxJson(box)},
      {"diagonal", box.Size().norm()},
      {"faces", building.mesh.NumFaces()},
      {"vertices", building.mesh.NumVertices()},
      {"area_m2", building.mesh.Area()},
      {"cameras",
       {{"count", rig.images.size()},
        {"model", CameraModelName(cam.model)},
        {"width", cam.width},
        {"height", cam.height},
        {"focal_px", cam.FocalX()},
        {"radial", options.rig.radial ? Json(*options.rig.radial) : Json(nullptr)}}},
      {"materials_tile_metres",
       [] {
         Json m = Json::object();
         for (int k = 0; k <= static_cast<int>(MaterialKind::kGround); ++k) {
           const auto kind = static_cast<MaterialKind>(k);
           m[std::string(MaterialName(kind))] = MaterialTileMetres(kind);
         }
         return m;
       }()},
      {"parts", parts},
  };
}

Json DamageJson(const Building& building, const DamagedBuilding& damaged, std::string_view damage) {
  Json regions = Json::array();
  double total_area = 0;
  std::size_t total_faces = 0;
  for (const DamageRegion& r : damaged.regions) {
    regions.push_back({{"spec", r.entry.text},
                       {"action", DamageActionName(r.entry.action)},
                       {"kind", PartKindName(r.entry.kind)},
                       {"parts", Names(building, r.parts)},
                       {"part_ids", r.parts},
                       {"fraction", r.entry.fraction ? *r.entry.fraction : 1.0},
                       {"faces", r.faces.size()},
                       {"bounding_box", BoxJson(r.box)},
                       {"removed_area_m2", r.area},
                       {"has_counterpart", r.has_counterpart},
                       {"intact_counterparts", Names(building, r.intact_counterparts)}});
    total_area += r.area;
    total_faces += r.faces.size();
  }
  return {{"format", "muta.synth.damage"},
          {"version", 1},
          {"damage", damage},
          {"seed", building.seed},
          {"removed_faces", total_faces},
          {"removed_area_m2", total_area},
          {"regions", regions}};
}

}  // namespace muta::synth
