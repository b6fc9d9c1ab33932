#pragma once
// Triangle meshes and point clouds.
//
// Positions are in metres in the scene's world frame (z-up for Muta's workspaces unless a file
// says otherwise). Optional arrays are either empty or have one entry per vertex (per face for
// face attributes). Colours are 8-bit sRGB.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

namespace muta {

using Vec3f = Eigen::Vector3f;
using Vec2f = Eigen::Vector2f;
using Color3u8 = Eigen::Matrix<std::uint8_t, 3, 1>;
using Face = Eigen::Matrix<std::uint32_t, 3, 1>;

/// Where a triangle comes from (London Charter / Seville Principles). Stored as uint8 in files.
enum class Provenance : std::uint8_t {
  kObserved = 0,             ///< measured from photographs
  kInferredSymmetry = 1,     ///< copied from a symmetric counterpart
  kInferredRepetition = 2,   ///< copied from a repeated element (e.g. the storey below)
  kInferredLearned = 3,      ///< predicted by the learned completion model
  kInferredSmooth = 4,       ///< smooth hole filling
};

/// "observed", "inferred:symmetry", ...; ParseProvenance returns nullopt for unknown text.
std::string_view ProvenanceName(Provenance p);
std::optional<Provenance> ParseProvenance(std::string_view name);
inline bool IsInferred(Provenance p) { return p != Provenance::kObserved; }

/// A scalar property of a file format that Muta has no field for, kept so that reading and
/// writing a file does not lose it (e.g. COLMAP's fused.ply, a scanner's "quality").
/// Values are stored as double; `type` is the PLY type name to write back ("float", "uchar"...).
struct ExtraProperty {
  std::string name;
  std::string type;
  std::vector<double> values;
};

struct PointCloud {
  std::vector<Vec3f> points;
  std::vector<Vec3f> normals;     ///< empty or one unit vector per point
  std::vector<Color3u8> colors;   ///< empty or one per point
  std::vector<ExtraProperty> extra;

  std::size_t size() const { return points.size(); }
  bool HasNormals() const { return !normals.empty(); }
  bool HasColors() const { return !colors.empty(); }
  /// Throws muta::Error if an optional array has the wrong size.
  void Check() const;
};

struct Mesh {
  // Per vertex.
  std::vector<Vec3f> vertices;
  std::vector<Vec3f> normals;     ///< empty or one per vertex
  std::vector<Color3u8> colors;   ///< empty or one per vertex
  std::vector<Vec2f> uvs;         ///< empty or one per vertex; (0,0) = bottom-left of texture
  std::vector<ExtraProperty> vertex_extra;

  // Per face (triangle).
  std::vector<Face> faces;
  std::vector<std::int32_t> part_ids;      ///< empty or one per face (synth: building part)
  std::vector<Provenance> provenance;      ///< empty (= all observed) or one per face
  std::vector<float> confidence;           ///< empty (= 1) or one per face, in [0, 1]
  std::vector<ExtraProperty> face_extra;

  std::size_t NumVertices() const { return vertices.size(); }
  std::size_t NumFaces() const { return faces.size(); }
  /// Throws muta::Error if an index is out of range or an optional array has the wrong size.
  void Check() const;

  /// Recomputes area-weighted vertex normals.
  void ComputeVertexNormals();
  /// Total surface area (m^2).
  double Area() const;
  /// Appends `other`, offsetting its indices. Optional arrays present in only one mesh are
  /// filled with defaults (normal 0, grey, uv 0, part -1, observed, confidence 1); extras are
  /// kept only when both meshes have them.
  void Append(const Mesh& other);
};

/// Axis-aligned bounding box.
struct Box3f {
  Vec3f min = Vec3f::Constant(std::numeric_limits<float>::max());
  Vec3f max = Vec3f::Constant(std::numeric_limits<float>::lowest());
  bool Empty() const { return (min.array() > max.array()).any(); }
  void Extend(const Vec3f& p) {
    min = min.cwiseMin(p);
    max = max.cwiseMax(p);
  }
  Vec3f Center() const { return 0.5f * (min + max); }
  Vec3f Size() const { return max - min; }
};

Box3f BoundingBox(const std::vector<Vec3f>& points);

}  // namespace muta
