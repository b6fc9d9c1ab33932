#pragma once
// Internal to the symmetry completion (symmetry_transfer.cpp, storey_transfer.cpp): what the
// rotation transfer and the storey transfer share – the test that a moved triangle would double
// observed surface, and copying moved vertices into the restored mesh. Not part of the
// library's interface.

#include <cstdint>
#include <unordered_map>

#include <Eigen/Core>

#include "core/closest_point.h"
#include "reconstruct/restore/completion.h"

namespace muta::restore {

/// A moved triangle doubles observed surface when at least three of its centroid and edge
/// midpoints lie within `duplicate` of it (corners are not used: a wall face between a floor
/// and a beam has all its corners on observed surface).
inline bool DoublesObserved(const TriangleBvh& observed, const Eigen::Vector3d (&corner)[3],
                            double duplicate) {
  int on = observed.Closest((corner[0] + corner[1] + corner[2]) / 3.0).distance <= duplicate;
  for (int c = 0; c < 3; ++c) {
    on += observed.Closest(0.5 * (corner[c] + corner[(c + 1) % 3])).distance <= duplicate;
  }
  return on >= 3;
}

/// Observed vertices moved by a map (a rotation, a storey map) and added to the restored mesh,
/// each once: a moved vertex within `snap` of an observed one is put exactly on it (the copy
/// meets the observed surface without a crack); colour and UV come along, the normal through
/// `normal_map` (the map's inverse transpose; renormalised when `renormalise`).
class MovedVertices {
 public:
  MovedVertices(const CompletionContext& context, RestoredMeshBuilder& out, double snap,
                const Eigen::Matrix3d& normal_map, bool renormalise)
      : context_(context),
        out_(out),
        snap_(snap),
        normal_map_(normal_map),
        renormalise_(renormalise) {}

  std::uint32_t Add(std::uint32_t source, const Eigen::Vector3d& moved) {
    auto it = ids_.find(source);
    if (it != ids_.end()) return it->second;
    const Mesh& m = context_.observed;
    Vec3f p = moved.cast<float>();
    const NearestPoint near = context_.vertex_index.Nearest(moved);
    if (near.distance <= snap_) p = m.vertices[near.index];
    Vec3f normal;
    const Vec3f* normal_ptr = nullptr;
    if (!m.normals.empty()) {
      Eigen::Vector3d n = normal_map_ * m.normals[source].cast<double>();
      if (renormalise_ && n.norm() > 0) n.normalize();
      normal = n.cast<float>();
      normal_ptr = &normal;
    }
    const Color3u8* colour = m.colors.empty() ? nullptr : &m.colors[source];
    const Vec2f* uv = m.uvs.empty() ? nullptr : &m.uvs[source];
    return ids_.emplace(source, out_.AddVertex(p, normal_ptr, colour, uv)).first->second;
  }

 private:
  const CompletionContext& context_;
  RestoredMeshBuilder& out_;
  double snap_;
  Eigen::Matrix3d normal_map_;
  bool renormalise_;
  std::unordered_map<std::uint32_t, std::uint32_t> ids_;
};

}  // namespace muta::restore
