#pragma once
// Charts, atlas packing and baking for texturing (internal to reconstruct/texture;
// docs/texture.md).
//
// A chart is a connected set of faces (through shared edges) textured from the same view; all
// faces no view sees form one neutral chart. A chart's texels are an axis-aligned window of its
// view's image, resampled by `scale` texels per pixel (from the chart's ground sampling distance
// and the texel size), so texel -> pixel is one affine map per chart. Charts are packed into one
// atlas by shelf packing (tallest first); each keeps `padding` texels of border, filled by
// dilation after baking so that mipmaps do not mix charts.

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "core/image_io.h"
#include "core/mesh.h"
#include "reconstruct/texture/texture.h"
#include "reconstruct/texture/view_selection.h"

namespace muta::reconstruct::tex {

struct Chart {
  std::int32_t view = -1;  ///< -1: the neutral chart (faces no view sees)
  std::vector<std::uint32_t> faces;
  Eigen::Vector2d pixel_min = Eigen::Vector2d::Zero();  ///< bounds of its projection (pixels)
  Eigen::Vector2d pixel_max = Eigen::Vector2d::Zero();
  double gsd = 0;    ///< mean ground sampling distance of its faces (scene units / pixel)
  double scale = 1;  ///< texels per image pixel
  int width = 0;     ///< texels, padding included
  int height = 0;
  int x = 0;  ///< top-left of its rectangle in the atlas (texels, y down)
  int y = 0;
};

/// Charts and the output mesh's vertices (one per original vertex and chart it appears in).
struct ChartLayout {
  std::vector<Chart> charts;
  std::vector<std::uint32_t> face_chart;      ///< per face
  std::vector<std::uint32_t> vertex_source;   ///< per output vertex: original vertex
  std::vector<std::uint32_t> vertex_chart;    ///< per output vertex: its chart
  std::vector<Eigen::Vector2d> vertex_pixel;  ///< per output vertex: pixel in its chart's view
  std::vector<Face> faces;                    ///< faces over output vertices (input order)
  std::size_t textured_charts = 0;
};

/// Groups faces into charts by `labels` (view per face, -1 none) and duplicates vertices per
/// chart. `face_gsd` (per face, for its label) gives the charts' sampling distance.
ChartLayout BuildCharts(const Mesh& mesh, const FaceAdjacency& adjacency,
                        const std::vector<std::int32_t>& labels, const std::vector<float>& face_gsd,
                        const std::vector<TextureView>& views);

/// Sets every chart's scale and rectangle size for `texel_size` (scene units) and `padding`,
/// and returns the texels they need in all.
double SizeCharts(ChartLayout& layout, double texel_size, int padding);

/// Shelf-packs the charts (sets x, y); returns the atlas size (multiples of 4).
Eigen::Vector2i PackCharts(std::vector<Chart>& charts);

/// Atlas coordinates (texels, y down, from the atlas' top-left corner) of output vertex `v`.
Eigen::Vector2d AtlasPosition(const ChartLayout& layout, std::uint32_t v, int padding);

struct SeamBlend;
struct TexelVisibility;

/// Colour bleeding into one mipmap level (MeasureMipBleeding).
struct MipBleedLevel {
  int level = 0;             ///< 1: half resolution, 2: quarter, ...
  std::size_t blocks = 0;    ///< (block, chart) pairs: blocks holding a texel inside a chart's face
  double mean_step = 0;      ///< mean |box-filtered block - the chart's own texels' mean|, levels
  double share_visible = 0;  ///< share of those whose step exceeds kVisibleBleed levels
};

/// A colour step (largest of R, G, B; 8-bit levels) counted as visible bleeding.
inline constexpr double kVisibleBleed = 8.0;

/// Counts from BakeAtlas with per-texel visibility.
struct BakeStats {
  std::size_t texels = 0;         ///< texels baked from a view (inside faces and margins)
  std::size_t other_view = 0;     ///< of those, hidden in the chart's view: another view's
  std::size_t partly_hidden = 0;  ///< seen by no view whole: the best partial sample
  std::size_t unseen = 0;         ///< seen by no view at all: the chart view's plain sample
  std::size_t rejected_taps = 0;  ///< texels whose own-view sample dropped a tap (depth step)
  std::size_t consensus = 0;      ///< texels given the views' median (consensus baking)
  /// Levels 1..mip_levels of MeasureMipBleeding on the baked atlas (set mip_levels to ask).
  int mip_levels = 0;
  std::vector<MipBleedLevel> mip_bleeding;
};

/// What mipmapping does to the charts' colours: at level L every aligned 2^L x 2^L block is the
/// mean of its texels (a box-filtered power-of-two mipmap); for each chart with a texel inside
/// one of its faces in the block (`texel_level` 3, as BakeAtlas marks them: 0 empty, 1 dilated,
/// 2 margin, 3 inside), the block is compared with the mean of that chart's own texels in it
/// (baked or dilated). The two are equal until blocks reach beyond the chart's filled padding
/// into the neighbouring charts or the empty background: the step is their colour's share.
std::vector<MipBleedLevel> MeasureMipBleeding(const ChartLayout& layout, const Image& atlas,
                                              const std::vector<std::uint8_t>& texel_level,
                                              int levels);

/// Bakes the atlas: texels covered by a chart's faces (and one texel around them) get the
/// bilinear sample of the chart's view plus the colour offset interpolated from the face's
/// vertices (`offsets`, per output vertex, RGB levels; may be empty), blended with the
/// neighbouring charts' views near chart borders when `blend` is given (seam_blending.h); then
/// `padding` rounds of dilation; the neutral chart and the background are grey.
/// With `visibility` (texel_visibility.h) every texel's surface point is sampled at its
/// projection with depth-tested taps, and taken from the face's next candidate view that sees it
/// when the chart's view does not, then from the other views facing the face (no levelling
/// offset then); `stats` (optional) gets counts.
Image BakeAtlas(const ChartLayout& layout, const std::vector<TextureView>& views,
                const Eigen::Vector2i& size, const std::vector<Eigen::Vector3f>& offsets,
                int padding, Progress& progress, const SeamBlend* blend = nullptr,
                const TexelVisibility* visibility = nullptr, BakeStats* stats = nullptr);

/// The neutral material's colour (8-bit sRGB grey).
inline constexpr std::uint8_t kNeutralGrey = 150;

}  // namespace muta::reconstruct::tex
