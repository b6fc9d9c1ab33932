#pragma once
// The learned completion network (docs/restore.md, "learned"): a small 3D U-Net over voxel
// blocks, behind a pimpl so that libtorch stays inside learned_net.cpp.
//
// Input: four channels per voxel – the observed surface's occupancy (1 where observed surface
// passes within 0.6 voxel of the voxel's centre), the known mask (1 = observed space,
// 0 = unknown, i.e. the damaged region to complete), and the building's own symmetry as a hint:
// the *counterpart* channel (1 where the observed surface occupies one of the voxel's rotated
// positions R_k x, k = 1..order-1, that lies in known, covered space) and the *counterpart
// valid* channel (1 where a symmetry was found and at least one such rotated position exists;
// both 0 without a symmetry). Output: per voxel the probability that
// the intact building's surface passes there (same occupancy definition). Grids are stored x
// fastest, then y, then z (index (z * ny + y) * nx + x); the network takes any size (padded
// internally to a multiple of 4).
//
// Architecture: 3 levels of two 3x3x3 conv + ReLU with `base`, 2 base, 4 base channels,
// max-pool down, transposed-conv up with skip connections, 1x1x1 conv to one logit.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace muta::restore {

/// Dimensions of a voxel grid: {nx, ny, nz}.
using GridDims = std::array<int, 3>;

inline std::size_t GridSize(const GridDims& d) {
  return std::size_t(d[0]) * std::size_t(d[1]) * std::size_t(d[2]);
}

/// One training example: a block with input channels and the target occupancy (0/1 bytes).
struct CompletionSample {
  GridDims dims{0, 0, 0};
  std::vector<std::uint8_t> occupancy;          ///< observed surface
  std::vector<std::uint8_t> known;              ///< 1 observed space, 0 unknown
  std::vector<std::uint8_t> counterpart;        ///< observed surface at a rotated position
  std::vector<std::uint8_t> counterpart_valid;  ///< 1 where the counterpart channel says something
  std::vector<std::uint8_t> target;             ///< intact surface
};

/// The weights file format this Muta reads and writes: 2 = four input channels (occupancy, known,
/// counterpart, counterpart valid). Format 1 (two input channels, no symmetry hint) is refused.
inline constexpr int kCompletionNetFormat = 2;
/// Input channels of the network (format 2).
inline constexpr int kCompletionInputChannels = 4;

/// What a weights file says about itself (stored inside it beside the parameters).
struct CompletionNetInfo {
  int format_version = kCompletionNetFormat;
  int base_channels = 16;
  double voxel_size = 0.12;  ///< metres per voxel the network was trained at
  std::int64_t steps = 0;    ///< training steps behind these weights
};

class CompletionNet {
 public:
  /// A freshly initialised network (deterministic for `seed`).
  CompletionNet(const CompletionNetInfo& info, std::uint64_t seed);
  ~CompletionNet();
  CompletionNet(CompletionNet&&) noexcept;
  CompletionNet& operator=(CompletionNet&&) noexcept;

  /// Reads a weights file written by Save. Throws muta::Error naming the file when it is
  /// missing, truncated, corrupt or not a Muta completion network.
  static CompletionNet Load(const std::filesystem::path& path);
  /// Writes the weights and the info atomically.
  void Save(const std::filesystem::path& path) const;

  const CompletionNetInfo& info() const;
  void set_steps(std::int64_t steps);
  std::size_t NumParameters() const;
  /// True when every parameter tensor equals `other`'s exactly.
  bool SameParameters(const CompletionNet& other) const;

  /// Probability of surface per voxel for one grid (every channel as 0/1 floats, one value per
  /// voxel; counterpart channels all 0 when the building has no symmetry).
  std::vector<float> Predict(const GridDims& dims, std::span<const float> occupancy,
                             std::span<const float> known, std::span<const float> counterpart,
                             std::span<const float> counterpart_valid) const;

  /// The number of threads libtorch uses for its operators (process-wide).
  static void SetThreads(int threads);

 private:
  friend class CompletionTrainer;
  struct Impl;
  explicit CompletionNet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct TrainOptions {
  double learning_rate = 1e-3;
  /// Loss weight of known (observed-space) voxels relative to unknown ones.
  double known_weight = 0.25;
  /// BCE weight of positive (surface) voxels.
  double positive_weight = 2.0;
  /// Share of training blocks whose symmetry hint (counterpart and counterpart-valid channels)
  /// is dropped (set to 0), so that the network also completes without one.
  double hint_drop = 0.3;
};

/// Figures of one batch.
struct BatchFigures {
  double loss = 0;
  /// Intersection over union of predicted (p > 0.5) and target surface in the unknown voxels.
  double unknown_iou = 0;
};

/// Adam on a CompletionNet, with random dihedral augmentation (flips of x and y, swap of x and
/// y: the 8 symmetries of a square about the vertical axis) and random hint dropping.
class CompletionTrainer {
 public:
  CompletionTrainer(CompletionNet& net, const TrainOptions& options);
  ~CompletionTrainer();

  /// One optimisation step on `batch` (all of one size); `augment_seed` picks each sample's
  /// augmentation and whether its hint is dropped. Returns the batch's figures before the update.
  BatchFigures Step(std::span<const CompletionSample* const> batch, std::uint64_t augment_seed,
                    double learning_rate);
  /// The batch's figures without an update (validation).
  BatchFigures Evaluate(std::span<const CompletionSample* const> batch) const;

  /// Optimizer state (for resuming), written and read atomically; Load throws muta::Error
  /// naming the file.
  void SaveOptimizer(const std::filesystem::path& path) const;
  void LoadOptimizer(const std::filesystem::path& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace muta::restore
