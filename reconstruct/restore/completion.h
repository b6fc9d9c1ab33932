#pragma once
// Completion methods: fill what damage detection found, adding inferred triangles beside the
// observed ones (never changing them). One interface, one implementation per method, chosen by
// name (DESIGN.md "Interface + factory"): "smooth" (a membrane fill of each hole), "symmetry"
// (the building's rotated counterpart transferred into each missing region), "learned" (a 3D U-Net,
// learned_completion.cpp).
//
// Output contract: inferred faces use only new vertices (so that a viewer can colour them
// without touching observed ones); a new vertex that meets the observed surface is put at the
// observed vertex's exact position (no crack). Every inferred face carries its provenance,
// a confidence in [0, 1], the id of the source transform (face property "source": k for the
// rotation by k * 360/order degrees, -1 for none) and its region (face property "region").

#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/mesh.h"
#include "reconstruct/restore/damage.h"

namespace muta {
class PointIndex;
}

namespace muta::restore {

/// The output mesh under construction: the observed mesh (unchanged, first) plus inferred
/// vertices and faces appended.
class RestoredMeshBuilder {
 public:
  /// Copies `observed`; its faces get provenance/confidence (kept if present) and the face
  /// properties "source" and "region" (-1).
  explicit RestoredMeshBuilder(const Mesh& observed);

  /// A new vertex; absent attributes get defaults (normal 0, grey, uv 0, extras 0).
  std::uint32_t AddVertex(const Vec3f& position, const Vec3f* normal = nullptr,
                          const Color3u8* color = nullptr, const Vec2f* uv = nullptr);
  void AddFace(std::uint32_t a, std::uint32_t b, std::uint32_t c, Provenance provenance,
               float confidence, int source, int region);

  const Mesh& mesh() const { return mesh_; }
  Mesh& mesh() { return mesh_; }
  std::size_t num_observed_faces() const { return observed_faces_; }
  std::size_t num_observed_vertices() const { return observed_vertices_; }
  std::size_t NumInferredFaces() const { return mesh_.NumFaces() - observed_faces_; }

 private:
  Mesh mesh_;
  std::size_t observed_faces_ = 0;
  std::size_t observed_vertices_ = 0;
  std::size_t source_index_ = 0;  ///< into face_extra
  std::size_t region_index_ = 0;
};

/// Everything a method may read.
struct CompletionContext {
  const Mesh& observed;
  const TriangleBvh& bvh;  ///< over `observed`
  const Damage& damage;
  /// Observed vertices (for snapping); built by the caller.
  const PointIndex& vertex_index;
};

/// What a method did with one region or hole (one entry of report.json).
struct CompletionResult {
  std::string target;  ///< "region 2" or "hole 5"
  std::string method;  ///< "symmetry", "smooth"
  std::size_t faces = 0;
  double area = 0;        ///< inferred area, m^2
  double confidence = 0;  ///< of its faces
  std::string source;     ///< e.g. "rotation:1 (45 deg)"; "" for none
  /// The faces' label when not "inferred:" + method (the symmetry method's storey transfer:
  /// "inferred:repetition").
  std::string provenance;
  std::string why;
  std::vector<int> holes_closed;  ///< holes this completion also closed
};

class CompletionMethod {
 public:
  virtual ~CompletionMethod() = default;
  virtual std::string_view Name() const = 0;
  virtual Provenance Label() const = 0;
  /// Completes missing region `region` (an id into context.damage.regions); nullopt when the
  /// method cannot (the caller may try another), with `why` saying so.
  virtual std::optional<CompletionResult> CompleteRegion(const CompletionContext& context,
                                                         int region, RestoredMeshBuilder& out,
                                                         std::string& why) = 0;
  /// Closes hole `hole` (an id into context.damage.holes); nullopt when it cannot.
  virtual std::optional<CompletionResult> CompleteHole(const CompletionContext& context, int hole,
                                                       RestoredMeshBuilder& out,
                                                       std::string& why) = 0;
};

/// A smooth membrane (discrete harmonic surface) spanning the boundary loop of `hole` in `observed`
/// (the smooth method's fill, smooth_fill.cpp): concentric rings to the loop's centroid relaxed by
/// umbrella smoothing with the boundary fixed. positions[0 .. loop size) are the loop's vertices,
/// exactly.
struct Membrane {
  std::vector<Eigen::Vector3d> positions;
  std::vector<std::array<std::size_t, 3>> triangles;
};
Membrane SpanHole(const Mesh& observed, const Hole& hole);

/// The method names accepted by MakeCompletionMethod ("auto" is a rule, not a method).
const std::vector<std::string>& CompletionMethodNames();
/// "smooth", "symmetry" or "learned" (with DefaultLearnedWeights(); throws muta::Error naming
/// the weights file when it is missing or corrupt); other names throw listing the valid ones.
std::unique_ptr<CompletionMethod> MakeCompletionMethod(std::string_view name);

// The implementations' factories (each class is private to its .cpp).
std::unique_ptr<CompletionMethod> MakeSmoothCompletion();
std::unique_ptr<CompletionMethod> MakeSymmetryCompletion();
/// The learned method with the network in `weights` (learned_net.h); throws muta::Error naming
/// the file when it is missing, truncated or corrupt.
std::unique_ptr<CompletionMethod> MakeLearnedCompletion(const std::filesystem::path& weights);
/// The weights "learned" uses: $MUTA_COMPLETION_WEIGHTS when set, else the shipped
/// assets/completion/unet.pt (share/muta/completion/unet.pt).
std::filesystem::path DefaultLearnedWeights();

}  // namespace muta::restore
