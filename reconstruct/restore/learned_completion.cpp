// Learned completion: the 3D U-Net (learned_net.h) predicts the intact surface's occupancy in a
// voxel block around each damaged region; marching cubes at p = 0.5 turns the predicted
// occupancy inside the region (less the voxels the observed surface already occupies) into
// triangles, whose vertices then move up the probability's gradient onto its ridge (at most one
// voxel: the occupied band is about a voxel thick, and the ridge is the surface's best estimate).
// Triangles that would double the observed surface are dropped. Where the region borders
// boundary loops, the smooth membrane spanning each loop is proposed as well and kept
// triangle by triangle where the network predicts intact surface: it places a thin plate
// (a plaque, a door leaf) to within its own accuracy, which a 0.12 m voxel cannot, and
// marching-cubes triangles within the ridge's reach of a kept membrane are dropped. A loop on a
// small box-shaped piece (a plaque or a window leaf partly broken off, element_box.h) proposes
// the piece's box instead of the membrane: the sides' unobserved cells, each kept where the
// network predicts the element (at the cell or half a voxel inside it). Every
// triangle is labelled inferred:learned with the network's probability as its confidence.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "core/assets.h"
#include "core/closest_point.h"
#include "core/error.h"
#include "reconstruct/restore/completion.h"
#include "reconstruct/restore/element_box.h"
#include "reconstruct/restore/learned_net.h"
#include "reconstruct/restore/learned_voxel.h"

namespace muta::restore {
namespace {

namespace fs = std::filesystem;

constexpr int kContextVoxels = 8;        ///< observed context around the unknown box, each side
constexpr int kSingleBlock = 96;         ///< up to this many voxels per axis: one network call
constexpr int kTileCore = 64;            ///< larger blocks: tiles of this core size (+ context)
constexpr double kOpenTopRise = 4.0;     ///< column over an open top, x the loop's width
constexpr int kMaxVoxels = 480;          ///< per axis; larger regions are refused
constexpr double kIso = 0.5;             ///< probability of the extracted surface
constexpr double kDoubleVoxels = 0.5;    ///< closer to observed surface (voxels): doubling it
constexpr double kRidgeVoxels = 1.0;     ///< vertices move at most this far to the ridge
constexpr double kBoxCellVoxels = 0.25;  ///< a box proposal's cells, in voxels

Box3f Grown(Box3f b, double by) {
  b.min.array() -= float(by);
  b.max.array() += float(by);
  return b;
}

// The network's input channels as floats (learned_net.h).
struct Channels {
  std::vector<float> occupancy, known, counterpart, valid;
};

// Runs the network over `block`, in overlapping tiles when it is large.
std::vector<float> PredictTiled(const CompletionNet& net, const VoxelBlock& block,
                                const Channels& in) {
  const GridDims& d = block.dims;
  if (d[0] <= kSingleBlock && d[1] <= kSingleBlock && d[2] <= kSingleBlock) {
    return net.Predict(d, in.occupancy, in.known, in.counterpart, in.valid);
  }
  std::vector<float> out(GridSize(d), 0.0f);
  for (int z0 = 0; z0 < d[2]; z0 += kTileCore) {
    for (int y0 = 0; y0 < d[1]; y0 += kTileCore) {
      for (int x0 = 0; x0 < d[0]; x0 += kTileCore) {
        const int c0[3] = {x0, y0, z0};
        int lo[3], hi[3];
        GridDims td;
        for (int k = 0; k < 3; ++k) {
          lo[k] = std::max(0, c0[k] - kContextVoxels);
          hi[k] = std::min(d[k], c0[k] + kTileCore + kContextVoxels);
          td[k] = hi[k] - lo[k];
        }
        Channels t;
        for (auto* c : {&t.occupancy, &t.known, &t.counterpart, &t.valid}) c->resize(GridSize(td));
        VoxelBlock tile;
        tile.dims = td;
        for (int z = 0; z < td[2]; ++z)
          for (int y = 0; y < td[1]; ++y)
            for (int x = 0; x < td[0]; ++x) {
              const std::size_t i = block.Index(lo[0] + x, lo[1] + y, lo[2] + z);
              const std::size_t j = tile.Index(x, y, z);
              t.occupancy[j] = in.occupancy[i];
              t.known[j] = in.known[i];
              t.counterpart[j] = in.counterpart[i];
              t.valid[j] = in.valid[i];
            }
        const std::vector<float> p = net.Predict(td, t.occupancy, t.known, t.counterpart, t.valid);
        for (int z = z0; z < std::min(d[2], z0 + kTileCore); ++z)
          for (int y = y0; y < std::min(d[1], y0 + kTileCore); ++y)
            for (int x = x0; x < std::min(d[0], x0 + kTileCore); ++x)
              out[block.Index(x, y, z)] = p[tile.Index(x - lo[0], y - lo[1], z - lo[2])];
      }
    }
  }
  return out;
}

class LearnedCompletion final : public CompletionMethod {
 public:
  explicit LearnedCompletion(const fs::path& weights)
      : net_(CompletionNet::Load(weights)), weights_(weights) {}

  std::string_view Name() const override { return "learned"; }
  Provenance Label() const override { return Provenance::kInferredLearned; }

  std::optional<CompletionResult> CompleteRegion(const CompletionContext& context, int region_id,
                                                 RestoredMeshBuilder& out,
                                                 std::string& why) override {
    const MissingRegion& region = context.damage.regions.at(region_id);
    const double v = net_.info().voxel_size;
    std::vector<int> holes;
    for (const Hole& hole : context.damage.holes) {
      if (!hole.regular && hole.region == region_id) holes.push_back(hole.id);
    }
    std::vector<int> also_closed;
    auto r = Complete(context, Grown(region.box, v), region_id, holes, std::nullopt, false, out,
                      why, also_closed);
    if (!r) return r;
    r->target = fmt::format("region {}", region_id);
    r->holes_closed = holes;
    r->holes_closed.insert(r->holes_closed.end(), also_closed.begin(), also_closed.end());
    return r;
  }

  std::optional<CompletionResult> CompleteHole(const CompletionContext& context, int hole_id,
                                               RestoredMeshBuilder& out,
                                               std::string& why) override {
    const Hole& hole = context.damage.holes.at(hole_id);
    // A broken element's missing part reaches beyond its break line: the unknown box is the
    // loop's box grown by a quarter of its largest extent (at least two voxels).
    const double v = net_.info().voxel_size;
    const double extent = hole.loop.box.Size().maxCoeff();
    const double reach = std::max(2 * v, 0.25 * extent);
    Box3f unknown = Grown(hole.loop.box, reach);
    const double rise = hole.open_top ? OpenTopRise(context, hole) : 0.0;
    if (hole.open_top) {
      // The building's top left open (a spire's lost tip): what stood above is unknown, up to
      // a few times the loop's width – a column over the loop, not a band round its membrane.
      const Eigen::Vector3d up = context.damage.symmetry.axis_direction.normalized();
      for (int k = 0; k < 3; ++k) {
        if (up[k] > 0) unknown.max[k] += float(rise * up[k]);
        if (up[k] < 0) unknown.min[k] += float(rise * up[k]);
      }
    }
    std::vector<int> also_closed;
    auto r = Complete(context, unknown, hole.region.value_or(-1), {hole_id},
                      hole.open_top ? std::nullopt : std::optional<double>(reach), true, out, why,
                      also_closed);
    if (!r) return r;
    r->target = fmt::format("hole {}", hole_id);
    r->holes_closed.push_back(hole_id);
    r->holes_closed.insert(r->holes_closed.end(), also_closed.begin(), also_closed.end());
    if (hole.open_top) {
      r->why += fmt::format(
          "; the building's top left open: unknown is the column {:.1f} m above the loop", rise);
    }
    return r;
  }

 private:
  // How far above an open top the unknown column reaches: a few times the loop's width (a
  // spire's lost tip is tall and thin), at most a quarter of the building's height (the wall
  // tops of a hall whose whole roof fell are wide).
  static double OpenTopRise(const CompletionContext& context, const Hole& hole) {
    const Eigen::Vector3d up = context.damage.symmetry.axis_direction.normalized();
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const Vec3f& p : context.observed.vertices) {
      const double h = up.dot(p.cast<double>());
      lo = std::min(lo, h);
      hi = std::max(hi, h);
    }
    const Eigen::Vector3f size = hole.loop.box.Size();
    return std::min(kOpenTopRise * std::max(size.x(), size.y()), 0.25 * std::max(0.0, hi - lo));
  }

  std::optional<CompletionResult> Complete(const CompletionContext& context, const Box3f& unknown,
                                           int region_id, const std::vector<int>& holes,
                                           std::optional<double> hole_reach, bool hole_only,
                                           RestoredMeshBuilder& out, std::string& why,
                                           std::vector<int>& also_closed) {
    const auto start = std::chrono::steady_clock::now();
    const double v = net_.info().voxel_size;
    const Mesh& m = context.observed;
    // A loop on a small box-shaped piece (a plaque, a window leaf broken off): the piece's box
    // is proposed instead of the membrane (element_box.h), one box per piece; other loops on
    // the same piece are closed with it. The block reaches over the whole box.
    std::vector<std::optional<ElementBox>> boxes(holes.size());
    std::vector<char> on_box(holes.size(), 0);  // the loop's piece is a box (here or before)
    const WeldedTopology& topology = context.damage.topology;
    Box3f extent = unknown;
    if (!holes.empty()) {
      const WeldedFaceIndex face_index(m, topology);
      const auto box_options = ElementBoxOptions::ForMesh(context.damage.diagonal);
      for (std::size_t i = 0; i < holes.size(); ++i) {
        auto box = FitElementBox(m, topology, face_index, context.damage.holes.at(holes[i]).loop,
                                 box_options);
        if (!box) continue;
        on_box[i] = 1;
        const std::uint32_t piece = box->faces.front();
        if (boxed_.count(piece) || std::any_of(boxes.begin(), boxes.end(), [&](const auto& b) {
              return b && b->faces.front() == piece;
            })) {
          continue;
        }
        for (int c = 0; c < 8; ++c) {
          const Eigen::Vector3d q((c & 1 ? box->hi : box->lo).x(), (c & 2 ? box->hi : box->lo).y(),
                                  (c & 4 ? box->hi : box->lo).z());
          extent.Extend((box->axes * q).cast<float>());
        }
        boxes[i] = std::move(box);
      }
    }
    VoxelBlock block;
    block.voxel = v;
    for (int k = 0; k < 3; ++k) {
      // On a lattice fixed in the world, so that neighbouring regions agree.
      const double lo = std::floor(extent.min[k] / v) * v - kContextVoxels * v;
      block.origin[k] = lo;
      const double span = extent.max[k] + kContextVoxels * v - lo;
      block.dims[k] = int(std::ceil(span / v)) + 1;
    }
    if (*std::max_element(block.dims.begin(), block.dims.end()) > kMaxVoxels) {
      why = fmt::format(
          "the region is too large for the learned model ({} x {} x {} voxels of {:.2f} m; at "
          "most {} per axis)",
          block.dims[0], block.dims[1], block.dims[2], v, kMaxVoxels);
      return std::nullopt;
    }
    const std::vector<std::uint8_t> occ8 = SurfaceOccupancy(context.bvh, block);
    // The boxes are this completion's: later loops on their pieces are closed with them.
    for (const auto& box : boxes) {
      if (!box) continue;
      boxed_.insert(box->faces.front());
      std::set<std::uint32_t> welded;
      for (const auto f : box->faces) {
        for (int k = 0; k < 3; ++k) welded.insert(topology.representative[m.faces[f][k]]);
      }
      for (const Hole& other : context.damage.holes) {
        if (other.regular || other.loop.vertices.empty() ||
            std::find(holes.begin(), holes.end(), other.id) != holes.end() ||
            !welded.count(topology.representative[other.loop.vertices[0]])) {
          continue;
        }
        also_closed.push_back(other.id);
      }
    }
    // The membranes over the bordering loops: proposed as surface below, and for a hole the
    // unknown voxels are those within `hole_reach` of its membrane – the loop's box alone would,
    // for an element standing diagonally (a plaque on an octagon's side), take in the building
    // behind it, where the network would re-predict observed structure.
    std::vector<Membrane> membranes;
    Mesh span;
    for (const int h : holes) {
      membranes.push_back(SpanHole(m, context.damage.holes.at(h)));
      for (const auto& t : membranes.back().triangles) {
        const auto first = std::uint32_t(span.vertices.size());
        for (const auto k : t) span.vertices.push_back(membranes.back().positions[k].cast<float>());
        span.faces.emplace_back(first, first + 1, first + 2);
      }
    }
    std::vector<std::uint8_t> known8 = KnownMask(block, unknown);
    if (hole_reach && !span.faces.empty()) {
      const TriangleBvh span_bvh(span);
      for (int z = 0; z < block.dims[2]; ++z)
        for (int y = 0; y < block.dims[1]; ++y)
          for (int x = 0; x < block.dims[0]; ++x) {
            const std::size_t i = block.Index(x, y, z);
            if (!known8[i] && span_bvh.Closest(block.Centre(x, y, z)).distance > *hole_reach) {
              known8[i] = 1;
            }
          }
    }
    // The building's own symmetry as a hint (none when damage detection found no symmetry).
    const Symmetry& symmetry = context.damage.symmetry;
    const CounterpartChannels hint =
        MakeCounterpartChannels(context.bvh, block, &symmetry, unknown);
    const Channels in{{occ8.begin(), occ8.end()},
                      {known8.begin(), known8.end()},
                      {hint.counterpart.begin(), hint.counterpart.end()},
                      {hint.valid.begin(), hint.valid.end()}};
    std::vector<float> p = PredictTiled(net_, block, in);
    const std::vector<float> raw = p;  // also where the observed surface is
    // Only the unknown voxels the observed surface does not occupy are completed.
    float max_p = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (known8[i] || occ8[i]) p[i] = 0.0f;
      max_p = std::max(max_p, p[i]);
    }
    IsoSurface iso = MarchingCubes(block, p, kIso);
    SnapToRidge(block, p, kRidgeVoxels * v, iso);
    const double doubled = kDoubleVoxels * v;
    double area = 0, confidence_area = 0;
    std::size_t faces = 0, dropped = 0;
    std::vector<std::array<std::uint32_t, 3>> added;
    std::vector<float> added_confidence;
    auto colour_at = [&](const Eigen::Vector3d& x) {
      return m.colors.empty() ? Color3u8(128, 128, 128)
                              : m.colors[context.vertex_index.Nearest(x).index];
    };

    // Sub-voxel surface where the network agrees with the hole's membrane: the smooth
    // membrane spanning each boundary loop (the smooth method's geometry) is proposed, and each
    // of its triangles is kept only where the network predicts intact surface (p >= 0.5 at its
    // centroid, the observed surface's voxels included). The 0.12 m voxels cannot place a thin
    // plate better than that; the network decides where the membrane is right.
    Mesh accepted;
    std::size_t membrane_faces = 0, membrane_rejected = 0;
    std::size_t box_faces = 0, box_rejected = 0, boxes_used = 0;
    std::string box_notes;
    auto accept = [&](const Eigen::Vector3d& a, const Eigen::Vector3d& b, const Eigen::Vector3d& c,
                      const std::array<std::uint32_t, 3>& tri, double pc) {
      const double face_area = 0.5 * (b - a).cross(c - a).norm();
      added.push_back(tri);
      added_confidence.push_back(float(std::clamp(pc, 0.0, 1.0)));
      const auto first = std::uint32_t(accepted.vertices.size());
      for (const auto* x : {&a, &b, &c}) accepted.vertices.push_back(x->cast<float>());
      accepted.faces.emplace_back(first, first + 1, first + 2);
      area += face_area;
      confidence_area += std::clamp(pc, 0.0, 1.0) * face_area;
      ++faces;
    };
    // A box-shaped piece's box: its sides' unobserved cells where the network predicts the
    // element.
    for (std::size_t bi = 0; bi < boxes.size(); ++bi) {
      if (!boxes[bi]) continue;
      const ElementBox& box = *boxes[bi];
      ++boxes_used;
      std::map<std::array<float, 3>, std::uint32_t> ids;
      auto vertex = [&](const Eigen::Vector3d& x) {
        const Vec3f pos = x.cast<float>();
        auto it = ids.find({pos.x(), pos.y(), pos.z()});
        if (it != ids.end()) return it->second;
        const Color3u8 colour = colour_at(x);
        const std::uint32_t id = out.AddVertex(pos, nullptr, m.colors.empty() ? nullptr : &colour);
        ids.emplace(std::array<float, 3>{pos.x(), pos.y(), pos.z()}, id);
        return id;
      };
      const double tolerance = ElementBoxOptions{}.plane_tolerance;
      for (const BoxCell& cell : UnobservedBoxCells(box, m, kBoxCellVoxels * v, tolerance)) {
        const auto& [a, b, c] = cell.corners;
        // The network's belief that the element is there: at the cell or half a voxel inside
        // it (a plate thinner than a voxel is one band; its faces lie on the band's flanks).
        const Eigen::Vector3d centroid = (a + b + c) / 3.0;
        // Beyond the block the network said nothing (a large piece's far sides).
        const Eigen::Vector3d g = (centroid - block.origin) / v;
        if ((g.array() < 0).any() || g.x() > block.dims[0] - 1 || g.y() > block.dims[1] - 1 ||
            g.z() > block.dims[2] - 1) {
          ++box_rejected;
          continue;
        }
        const double pc =
            std::max(SampleTrilinear(block, raw, centroid),
                     SampleTrilinear(block, raw, centroid - 0.5 * v * box.SideNormal(cell.side)));
        if (pc < kIso) {
          ++box_rejected;
          continue;
        }
        accept(a, b, c, {vertex(a), vertex(b), vertex(c)}, pc);
        ++box_faces;
      }
      const Eigen::Vector3d size = box.hi - box.lo;
      box_notes +=
          fmt::format("{}a {:.2f} x {:.2f} x {:.2f} m box-shaped piece ({} observed faces)",
                      box_notes.empty() ? "" : ", ", size[0], size[1], size[2], box.faces.size());
    }
    for (std::size_t mi = 0; mi < holes.size(); ++mi) {
      if (on_box[mi]) continue;
      const Hole& hole = context.damage.holes.at(holes[mi]);
      const Membrane& membrane = membranes[mi];
      std::vector<std::int64_t> ids(membrane.positions.size(), -1);
      for (const auto& t : membrane.triangles) {
        const Eigen::Vector3d a = membrane.positions[t[0]], b = membrane.positions[t[1]],
                              c = membrane.positions[t[2]];
        const double face_area = 0.5 * (b - a).cross(c - a).norm();
        if (face_area <= 0) continue;
        const double pc = SampleTrilinear(block, raw, (a + b + c) / 3.0);
        if (pc < kIso) {
          ++membrane_rejected;
          continue;
        }
        std::array<std::uint32_t, 3> tri;
        for (int k = 0; k < 3; ++k) {
          if (ids[t[k]] < 0) {
            // Loop vertices sit exactly on the observed ones (no crack).
            const Vec3f pos = t[k] < hole.loop.vertices.size()
                                  ? m.vertices[hole.loop.vertices[t[k]]]
                                  : membrane.positions[t[k]].cast<float>();
            const Color3u8 colour = colour_at(membrane.positions[t[k]]);
            ids[t[k]] = out.AddVertex(pos, nullptr, m.colors.empty() ? nullptr : &colour);
          }
          tri[k] = std::uint32_t(ids[t[k]]);
        }
        accept(a, b, c, tri, pc);
        ++membrane_faces;
      }
    }
    std::optional<TriangleBvh> membrane_bvh;
    if (!accepted.faces.empty()) membrane_bvh.emplace(accepted);
    std::unordered_map<std::uint32_t, std::uint32_t> new_vertex;
    // A hole on a box-shaped piece is the piece's break: its box says what is missing, and
    // marching cubes would only add the band's blur beside it (the gap between a plaque and
    // its wall).
    std::size_t left_out = 0;
    const auto loops_on_boxes = std::size_t(std::count(on_box.begin(), on_box.end(), 1));
    if (hole_only && loops_on_boxes == holes.size()) {
      left_out = iso.faces.size();
      iso.faces.clear();
    }
    for (const Face& f : iso.faces) {
      const Eigen::Vector3d a = iso.vertices[f[0]], b = iso.vertices[f[1]], c = iso.vertices[f[2]];
      const double face_area = 0.5 * (b - a).cross(c - a).norm();
      if (face_area <= 0) continue;
      if (context.bvh.Closest((a + b + c) / 3.0).distance < doubled) {
        ++dropped;
        continue;
      }
      // The accepted membrane already places this surface (within the ridge's reach).
      if (membrane_bvh && membrane_bvh->Closest((a + b + c) / 3.0).distance < kRidgeVoxels * v) {
        ++dropped;
        continue;
      }
      std::array<std::uint32_t, 3> ids;
      for (int k = 0; k < 3; ++k) {
        auto it = new_vertex.find(f[k]);
        if (it == new_vertex.end()) {
          const Vec3f pos = iso.vertices[f[k]].cast<float>();
          const Color3u8 colour = colour_at(iso.vertices[f[k]]);
          it = new_vertex
                   .emplace(f[k], out.AddVertex(pos, nullptr, m.colors.empty() ? nullptr : &colour))
                   .first;
        }
        ids[k] = it->second;
      }
      const float confidence = std::clamp(
          (iso.vertex_value[f[0]] + iso.vertex_value[f[1]] + iso.vertex_value[f[2]]) / 3.0f, 0.0f,
          1.0f);
      added.push_back(ids);
      added_confidence.push_back(confidence);
      area += face_area;
      confidence_area += confidence * face_area;
      ++faces;
    }
    // Vertex normals (area-weighted face normals) when the mesh has normals.
    Mesh& mesh = out.mesh();
    if (!mesh.normals.empty()) {
      std::unordered_map<std::uint32_t, Eigen::Vector3d> sums;
      for (const auto& t : added) {
        const Eigen::Vector3d a = mesh.vertices[t[0]].cast<double>();
        const Eigen::Vector3d n =
            (mesh.vertices[t[1]].cast<double>() - a).cross(mesh.vertices[t[2]].cast<double>() - a);
        for (const auto id : t) sums.try_emplace(id, Eigen::Vector3d::Zero()).first->second += n;
      }
      for (const auto& [id, n] : sums) {
        if (n.norm() > 0) mesh.normals[id] = n.normalized().cast<float>();
      }
    }
    for (std::size_t i = 0; i < added.size(); ++i) {
      out.AddFace(added[i][0], added[i][1], added[i][2], Provenance::kInferredLearned,
                  added_confidence[i], -1, region_id);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (faces == 0) {
      why = fmt::format(
          "the network predicts no new surface there (highest probability {:.2f} in {} x {} x {} "
          "voxels; {} candidate triangles doubled observed surface)",
          max_p, block.dims[0], block.dims[1], block.dims[2], dropped);
      return std::nullopt;
    }
    CompletionResult r;
    r.method = "learned";
    r.faces = faces;
    r.area = area;
    r.confidence = confidence_area / area;
    r.source =
        fmt::format("model:unet3d-v{} {} ({} training steps, {:.3f} m voxels)",
                    net_.info().format_version, weights_.filename().string(), net_.info().steps, v);
    std::string loops_note;
    if (holes.size() > loops_on_boxes) {
      loops_note = fmt::format(
          ", {} membrane triangles over {} boundary loop(s) where the network predicts surface ({} "
          "rejected)",
          membrane_faces, holes.size() - loops_on_boxes, membrane_rejected);
    }
    if (boxes_used > 0) {
      loops_note += fmt::format(
          ", {} triangles of {} where the network predicts surface ({} rejected{})", box_faces,
          box_notes, box_rejected,
          left_out > 0 ? fmt::format("; {} marching-cubes triangles left out: the box says what "
                                     "the break took",
                                     left_out)
                       : std::string());
    }
    r.why = fmt::format(
        "3D U-Net completion of a {} x {} x {} voxel block ({:.2f} m voxels, {:.1f} s, {}): {} "
        "triangles by marching cubes at p = {:.1f} moved onto the probability ridge ({} dropped "
        "as doubling observed or membrane surface){}; confidence = mean network probability",
        block.dims[0], block.dims[1], block.dims[2], v, seconds,
        symmetry.found && symmetry.order >= 2
            ? fmt::format("hinted by the {}-fold rotational symmetry", symmetry.order)
            : std::string("no symmetry hint"),
        faces - membrane_faces - box_faces, kIso, dropped, loops_note);
    return r;
  }

  CompletionNet net_;
  fs::path weights_;
  /// Pieces already completed as boxes in this restore (their first face): one box per piece.
  std::set<std::uint32_t> boxed_;
};

}  // namespace

fs::path DefaultLearnedWeights() {
  if (const char* env = std::getenv("MUTA_COMPLETION_WEIGHTS"); env != nullptr && *env != '\0') {
    return fs::path(env);
  }
  return AssetDir() / "completion" / "unet.pt";
}

std::unique_ptr<CompletionMethod> MakeLearnedCompletion(const fs::path& weights) {
  return std::make_unique<LearnedCompletion>(weights);
}

}  // namespace muta::restore
