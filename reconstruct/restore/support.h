#pragma once
// Weakly supported surface (docs/restore.md): parts of a reconstructed mesh that few
// photographs back. The mesh stage's Poisson surface interpolates wherever the fused cloud is
// thin, so a face is weak when the fused point nearest to it is far away (the surface there was
// invented by the interpolation) or was seen by fewer than `min_views` images. Weak faces stay
// observed – they are evidence, only thin – and are reported as regions in damage.json, so a
// conservator knows where the model is guesswork of the photographs rather than of Muta.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "core/json.h"
#include "core/mesh.h"

namespace muta {
class Progress;
}

namespace muta::restore {

/// The fused cloud with the number of images seeing each point.
struct FusedSupport {
  std::vector<Vec3f> points;
  std::vector<std::uint32_t> views;  ///< per point
};

/// dense/fused.ply and dense/fused.ply.vis of a workspace's dense folder; nullopt when either
/// is absent. Throws muta::Error (naming the file) when they are corrupt or disagree.
std::optional<FusedSupport> ReadFusedSupport(const std::filesystem::path& dense_dir);

struct WeakSupportOptions {
  /// A face whose nearest fused point was seen by fewer images is weak.
  int min_views = 3;
  /// A face farther than this from every fused point is unsupported (weak); nullopt: 4 x the
  /// median distance of the faces' centres to their nearest fused point.
  std::optional<double> max_distance;
  /// Regions with less area are not reported, as a share of the mesh's area.
  double min_region_fraction = 0.001;
  void Check() const;
};

struct WeakRegion {
  int id = 0;
  std::size_t faces = 0;
  double area = 0;  ///< m^2
  Box3f box;
  double mean_views = 0;            ///< of the faces' nearest fused points (0 if unsupported)
  double unsupported_fraction = 0;  ///< share of its area with no fused point near
};

struct WeakSupport {
  bool known = false;  ///< whether fused support was available
  int min_views = 0;
  double max_distance = 0;          ///< metres, the threshold used
  double weak_fraction = 0;         ///< share of the mesh's area that is weak
  std::vector<WeakRegion> regions;  ///< largest first
};

/// Weakly supported regions of `mesh` given its fused cloud. Throws muta::Error for invalid
/// options or an empty cloud.
WeakSupport FindWeakRegions(const Mesh& mesh, const FusedSupport& support,
                            const WeakSupportOptions& options, Progress* progress = nullptr);

/// The "weak_support" object of damage.json.
Json ToJson(const WeakSupport& weak);

}  // namespace muta::restore
