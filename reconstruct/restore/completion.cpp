#include "reconstruct/restore/completion.h"

#include <algorithm>

#include "core/error.h"

namespace muta::restore {

RestoredMeshBuilder::RestoredMeshBuilder(const Mesh& observed) : mesh_(observed) {
  observed_faces_ = mesh_.NumFaces();
  observed_vertices_ = mesh_.NumVertices();
  if (mesh_.provenance.empty()) mesh_.provenance.assign(observed_faces_, Provenance::kObserved);
  if (mesh_.confidence.empty()) mesh_.confidence.assign(observed_faces_, 1.0f);
  auto add_extra = [&](const char* name) {
    for (std::size_t i = 0; i < mesh_.face_extra.size(); ++i) {
      if (mesh_.face_extra[i].name == name) return i;  // kept as read (e.g. a restored input)
    }
    mesh_.face_extra.push_back({name, "int", std::vector<double>(observed_faces_, -1.0)});
    return mesh_.face_extra.size() - 1;
  };
  source_index_ = add_extra("source");
  region_index_ = add_extra("region");
}

std::uint32_t RestoredMeshBuilder::AddVertex(const Vec3f& position, const Vec3f* normal,
                                             const Color3u8* color, const Vec2f* uv) {
  const auto index = static_cast<std::uint32_t>(mesh_.vertices.size());
  mesh_.vertices.push_back(position);
  if (!mesh_.normals.empty()) mesh_.normals.push_back(normal ? *normal : Vec3f::Zero());
  if (!mesh_.colors.empty()) mesh_.colors.push_back(color ? *color : Color3u8(128, 128, 128));
  if (!mesh_.uvs.empty()) mesh_.uvs.push_back(uv ? *uv : Vec2f::Zero());
  for (auto& e : mesh_.vertex_extra) e.values.push_back(0.0);
  return index;
}

void RestoredMeshBuilder::AddFace(std::uint32_t a, std::uint32_t b, std::uint32_t c,
                                  Provenance provenance, float confidence, int source, int region) {
  MUTA_INTERNAL_CHECK(a >= observed_vertices_ && b >= observed_vertices_ && c >= observed_vertices_)
      << "inferred faces use new vertices only";
  mesh_.faces.emplace_back(a, b, c);
  if (!mesh_.part_ids.empty()) mesh_.part_ids.push_back(-1);
  mesh_.provenance.push_back(provenance);
  mesh_.confidence.push_back(std::clamp(confidence, 0.0f, 1.0f));
  for (std::size_t i = 0; i < mesh_.face_extra.size(); ++i) {
    double v = 0.0;
    if (i == source_index_) v = source;
    if (i == region_index_) v = region;
    mesh_.face_extra[i].values.push_back(v);
  }
}

const std::vector<std::string>& CompletionMethodNames() {
  static const std::vector<std::string> names = {"symmetry", "smooth", "learned"};
  return names;
}

std::unique_ptr<CompletionMethod> MakeCompletionMethod(std::string_view name) {
  if (name == "smooth") return MakeSmoothCompletion();
  if (name == "symmetry") return MakeSymmetryCompletion();
  if (name == "learned") return MakeLearnedCompletion(DefaultLearnedWeights());
  MUTA_FAIL << "restore: unknown completion method '" << name
            << "' (use auto, symmetry, smooth or learned)";
  return nullptr;
}

}  // namespace muta::restore
