#pragma once
// Procedural heritage buildings with exact ground truth (`muta synth`).
//
// A building is a triangle mesh in metres (world frame z-up, ground at z = 0, the symmetry axis
// through the origin) whose every face belongs to a *part*: an instance of an architectural
// element ("column s2 side5 #1", "eave_corner s2 corner4", "roof s1 side6") with a kind, a
// storey, a side/corner/bay, a material and its symmetric counterparts. Everything is
// deterministic for a given seed; the parameters the seed draws can be pinned by options.
//
// Flow: BuildBuilding -> ResolveDamage + ApplyDamage -> MakeCameraRig -> WriteSynthDataset
// (renders images with muta::render and writes the ground truth; formats in docs/formats.md).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "core/colmap_model.h"
#include "core/json.h"
#include "core/mesh.h"
#include "tools/synth/textures.h"

namespace muta {
class Progress;
}

namespace muta::synth {

enum class SceneType { kPagoda, kHall, kGate };
std::string_view SceneTypeName(SceneType type);
/// "pagoda", "hall", "gate"; nullopt otherwise.
std::optional<SceneType> ParseSceneType(std::string_view name);

/// What an element of a building is.
enum class PartKind {
  kPlatform,    ///< stone base
  kSteps,       ///< a flight of steps
  kColumn,      ///< a column (or a gate post)
  kPlinth,      ///< a post's stone base block (gate)
  kWall,        ///< plaster wall of a storey side
  kWindow,      ///< lattice windows / door leaves of a side
  kBeam,        ///< architrave and tie beams of a side (or a bay of a gate)
  kPlaque,      ///< the name board of a gate
  kBracketSet,  ///< one dougong bracket set
  kRoof,        ///< the middle of one roof side (tiles, eave edge and soffit)
  kEaveCorner,  ///< an upturned roof corner: both adjoining roof wedges and the hip ridge
  kRidge,       ///< the main ridge of a hall or gate roof with its end ornaments
  kBalcony,     ///< the floor slab of a balcony (pagoda storeys above the first)
  kRailing,     ///< the railing of one balcony side
  kFinial,      ///< the pagoda's spire
};
std::string_view PartKindName(PartKind kind);
std::optional<PartKind> ParsePartKind(std::string_view name);

/// One instance of an element. Numbers are 1-based; 0 means "not applicable".
struct Part {
  std::string name;  ///< unique, e.g. "column s2 side5 #1"
  PartKind kind = PartKind::kPlatform;
  MaterialKind material = MaterialKind::kStone;
  int storey = 0;  ///< 1 = ground storey; 0 for the platform and parts outside storeys
  int side = 0;    ///< side of the plan (pagoda 1..8, counter-clockwise from +x; hall 1 = front)
  int corner = 0;  ///< plan corner (corner k is where side k starts)
  int bay = 0;     ///< gate bay, 1..bays from -x to +x
  int index = 0;   ///< #index along a side/bay
  std::vector<int> counterparts;  ///< ids of the parts the building's symmetries map this onto
  std::size_t face_count = 0;
};

/// How storey `storey` repeats storey 1: p_storey = scale .* p_storey1 + translation.
struct StoreyTransform {
  int storey = 1;
  double base_z = 0;  ///< floor height, metres
  Eigen::Vector3d scale = Eigen::Vector3d::Ones();
  Eigen::Vector3d translation = Eigen::Vector3d::Zero();
};

/// Parameters of a building. Unset optionals are drawn from the seed within the type's range.
struct BuildingOptions {
  SceneType scene = SceneType::kPagoda;
  std::uint64_t seed = 1;
  std::optional<int> storeys;           ///< pagoda: 1..12 (drawn 3..9)
  std::optional<double> radius;         ///< pagoda: column ring circumradius, m (drawn 4..6.5)
  std::optional<int> columns_per_side;  ///< pagoda: 1..5 (drawn 2..4)
  std::optional<int> bracket_layers;    ///< all: 1..5 (drawn 2..4)
  std::optional<double> roof_curve;     ///< roof profile exponent, 1..3 (drawn 1.3..2.2)
  /// Throws muta::Error naming the field when a value is out of range.
  void Check() const;
};

/// A building: its intact mesh, parts and symmetries.
struct Building {
  SceneType scene = SceneType::kPagoda;
  std::uint64_t seed = 1;
  Json parameters = Json::object();  ///< every parameter used (metres, counts)
  /// Vertices (m), vertex normals, UVs in texture tiles (metres / MaterialTileMetres), faces
  /// wound counter-clockwise seen from outside, part_ids into `parts`.
  Mesh mesh;
  std::vector<Part> parts;
  int rotation_order = 1;                       ///< about the z axis through the origin
  std::vector<Eigen::Vector3d> mirror_normals;  ///< mirror planes through the origin
  std::vector<StoreyTransform> storeys;         ///< one per storey, storey 1 first

  /// The part with this name, or -1.
  int FindPart(std::string_view name) const;
};

/// Builds the building described by `options` (Check()ed first).
Building BuildBuilding(const BuildingOptions& options);

/// Per-part figures recomputed from a mesh's faces: vertex centroid, bounding box, area.
struct PartGeometry {
  Eigen::Vector3d centroid = Eigen::Vector3d::Zero();
  Box3f box;
  double area = 0;
  std::size_t faces = 0;
};
std::vector<PartGeometry> MeasureParts(const Mesh& mesh, std::size_t num_parts);

// ---- damage -------------------------------------------------------------------------------

enum class DamageAction { kMissing, kBroken, kCollapsed, kLost };
std::string_view DamageActionName(DamageAction action);

/// One entry of a damage SPEC (grammar in docs/formats.md), e.g. "broken:eave_corner:s2:c5".
struct DamageEntry {
  DamageAction action = DamageAction::kMissing;
  PartKind kind = PartKind::kColumn;
  std::optional<int> storey, side, corner, bay, index;
  /// Fraction of each selected part's area removed (its outer or upper portion); nullopt =
  /// the whole part. `broken` defaults to 0.5.
  std::optional<double> fraction;
  std::string text;  ///< the entry as written
};

/// Parses "ENTRY,ENTRY,...". Throws muta::Error quoting the bad entry and the grammar.
std::vector<DamageEntry> ParseDamageSpec(std::string_view spec);

/// The default mix placed by `seed`: one broken eave corner, two missing columns or bracket
/// sets, one collapsed roof section – each a part with an intact symmetric counterpart.
std::vector<DamageEntry> DefaultDamage(const Building& building, std::uint64_t seed);

/// "none" -> {}, "default" -> DefaultDamage, else ParseDamageSpec.
std::vector<DamageEntry> ResolveDamage(const Building& building, std::string_view damage,
                                       std::uint64_t seed);

/// One removed region (one damage entry).
struct DamageRegion {
  DamageEntry entry;
  std::vector<int> parts;            ///< part ids touched
  std::vector<std::uint32_t> faces;  ///< removed faces (indices into the intact mesh)
  Box3f box;                         ///< of the removed faces, metres
  double area = 0;                   ///< removed area, m^2
  bool has_counterpart = false;      ///< every touched part has an undamaged counterpart
  std::vector<int> intact_counterparts;
};

struct DamagedBuilding {
  Mesh mesh;                              ///< intact mesh without the removed faces
  std::vector<std::uint32_t> kept_faces;  ///< for each face of `mesh`, its intact face index
  std::vector<DamageRegion> regions;
};

/// Removes the faces `entries` select. Throws muta::Error naming an entry that selects no
/// part or a face twice.
DamagedBuilding ApplyDamage(const Building& building, std::span<const DamageEntry> entries);

// ---- cameras --------------------------------------------------------------------------------

struct RigOptions {
  int images = 24;                 ///< number of photographs, >= 2
  int width = 1024;                ///< pixels
  int height = 768;                ///< pixels
  std::optional<double> focal_px;  ///< focal length in pixels (default 0.9 * width)
  std::optional<double> fov_deg;   ///< horizontal field of view instead of focal_px
  std::optional<double> radial;    ///< SIMPLE_RADIAL k (else PINHOLE)
  /// Direction (radians from +x, counter-clockwise) the rig's arc is centred on when it does
  /// not go all round (default: drawn from the seed).
  std::optional<double> center_azimuth;
  void Check() const;
  double FocalPixels() const;
};

/// Cameras around the building, all looking at it: a main ring at about a third of its height
/// (half the images), a higher ring looking down on the roofs (a quarter) and close-ups at
/// several heights (a quarter). Neighbouring main-ring views are at most 20 degrees apart, so
/// fewer than 18 main-ring views cover an arc (centred on center_azimuth) rather than the full
/// circle. One shared camera (id 1), images "view_NNN.jpg" with ids 1..N and no points.
/// Deterministic for (building, options, seed).
SparseModel MakeCameraRig(const Building& building, const RigOptions& options, std::uint64_t seed);

/// `count` held-out views for evaluating a reconstruction (e.g. `muta eval texture`): on the
/// main ring of MakeCameraRig(building, options, seed), framed like its views, at azimuths
/// between neighbouring main-ring views (spread evenly over the gaps; views sharing a gap split
/// it evenly, so none coincides with a training view). Same camera (id 1), images
/// "holdout_NNN.jpg" with ids 1..count and no points. Then `close_count` close-ups at half the
/// main ring's distance from the building's axis (at least 2 m outside its plan), aimed at
/// several heights, at azimuths in the same gaps: "holdout_close_NNN.jpg", ids count+1... – the
/// distance at which people explore a model, where a texture's detail shows. Throws muta::Error unless both are
/// 0..1000 and at least one view is asked for.
SparseModel MakeHoldoutRig(const Building& building, const RigOptions& options, std::uint64_t seed,
                           int count, int close_count = 0);

/// A three-quarter view of the whole building (elevation ~22 degrees, looking at its middle)
/// from `azimuth` (radians), framed with a margin for `camera`.
Rigid3d OverviewPose(const Building& building, const Camera& camera, double azimuth);

// ---- the dataset ------------------------------------------------------------------------------

struct SynthOptions {
  BuildingOptions building;
  RigOptions rig;
  std::string damage = "none";   ///< "none", "default" or a SPEC
  int texture_size = 512;        ///< pixels per texture tile (MakeTexture size), 64..4096
  int texture_repeats = 4;       ///< tiles per side of a weathered atlas, 1..8
  int jpeg_quality = 92;         ///< 1..100
  double visible_density = 200;  ///< samples per m^2 for gt/visible.ply, > 0
  std::size_t max_visible_samples = 2'000'000;
  bool gt_only = false;  ///< skip rendering (no images, no visible.ply)
  /// Held-out views (MakeHoldoutRig) written to holdout/images/ and holdout/sparse/, never
  /// into images/ (a reconstruction of images/ never sees them); 0 = none. 0..1000.
  int holdout = 0;
  /// Held-out close-ups (MakeHoldoutRig's close_count), beside the held-out views; 0..1000.
  int holdout_close = 0;
  /// When set, also writes a contact sheet of all images (PNG or JPEG by extension) this many
  /// pixels wide (contact_sheet_width).
  std::optional<std::filesystem::path> contact_sheet;
  int contact_sheet_width = 1600;
  /// When set, also renders a three-quarter overview of the (damaged) building to this file,
  /// at the photographs' size.
  std::optional<std::filesystem::path> overview;
  void Check() const;
};

/// Figures of a written dataset (also printed by `muta synth`).
struct SynthSummary {
  std::size_t faces = 0;         ///< of gt/mesh.ply
  std::size_t intact_faces = 0;  ///< of gt/intact.ply
  std::size_t parts = 0;
  std::size_t removed_faces = 0;
  std::size_t images = 0;
  std::size_t holdout_images = 0;
  std::size_t visible_points = 0;
  double render_seconds = 0;
  double total_seconds = 0;
};

/// Writes the dataset into `dir` (created if missing): images/, gt/{mesh,intact,visible}.ply,
/// gt/sparse/*.txt, gt/scene.json, gt/damage.json, and with options.holdout > 0
/// holdout/images/ + holdout/sparse/*.txt (rendered like images/; gt_only writes the sparse
/// model only). Reports one unit per image on `progress`
/// and checks for interrupts between images.
SynthSummary WriteSynthDataset(const SynthOptions& options, const std::filesystem::path& dir,
                               Progress& progress);

/// The scene.json and damage.json documents (formats in docs/formats.md).
Json SceneJson(const Building& building, const SynthOptions& options, const SparseModel& rig);
Json DamageJson(const Building& building, const DamagedBuilding& damaged, std::string_view damage);

/// One mesh per material with the building's faces (damaged or not) plus nothing else; the
/// renderer-facing helper splits by material. Returns (material, mesh) pairs for materials
/// with faces, in MaterialKind order.
std::vector<std::pair<MaterialKind, Mesh>> SplitByMaterial(const Mesh& mesh,
                                                           std::span<const Part> parts);

/// A weathered atlas: `tile` (a seamless texture of `kind`) repeated `repeats` x `repeats`
/// times and modulated by stains, fading and paint loss that do not repeat within the atlas
/// (at the scale of 0.5 to 2.5 m). Map it with UVs (in tiles) divided by `repeats`. Seamless.
Image WeatheredAtlas(const Image& tile, int repeats, MaterialKind kind, std::uint64_t seed);

/// Thumbnails of `images` in rows of `columns`, `width` pixels wide in all, 4 px gaps on a
/// dark background. Images may differ in size (each is fitted into its cell).
Image MakeContactSheet(std::span<const Image> images, int columns, int width);

/// The textured ground (z = 0, not part of the ground truth): a square of 6 m cells reaching
/// at least `inner` metres from the origin, each cell with its own texture rotation and offset
/// (drawn from `seed`), framed by plain ground out to `outer` metres. UVs in kGround tiles.
Mesh MakeGround(double inner, double outer, std::uint64_t seed);

}  // namespace muta::synth
