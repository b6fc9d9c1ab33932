#include "reconstruct/texture/atlas.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include "core/error.h"
#include "core/pose.h"
#include "core/progress.h"
#include "reconstruct/texture/seam_blending.h"
#include "reconstruct/texture/texel_visibility.h"

namespace muta::reconstruct::tex {
namespace {

constexpr int kNeutralSize = 4;        // texels of the neutral chart (plus padding)
constexpr double kMarginTexels = 1.0;  // texels outside a face that are still baked from it
constexpr double kPackSlack = 1.08;    // atlas area / chart area aimed for by the shelf packer

// The views not among face f's candidates that face it (cosine above 0.05) with all three
// corners in front of the camera, the largest projected area first.
std::vector<std::int32_t> OtherFacingViews(const std::vector<TextureView>& views,
                                           const std::vector<Eigen::Vector3d>& centres,
                                           const FaceCandidates& cand, std::uint32_t f,
                                           const Eigen::Vector3d corner[3],
                                           const Eigen::Vector3d& normal) {
  const Eigen::Vector3d centroid = (corner[0] + corner[1] + corner[2]) / 3.0;
  std::vector<std::pair<double, std::int32_t>> found;
  for (std::size_t v = 0; v < views.size(); ++v) {
    if (std::find(cand.views.begin() + cand.offsets[f], cand.views.begin() + cand.offsets[f + 1],
                  std::int32_t(v)) != cand.views.begin() + cand.offsets[f + 1]) {
      continue;
    }
    const Eigen::Vector3d to_cam = centres[v] - centroid;
    if (!(normal.dot(to_cam) > 0.05 * to_cam.norm())) continue;
    Eigen::Vector2d px[3];
    double depth = 0;
    bool ok = true;
    for (int k = 0; k < 3 && ok; ++k) ok = ProjectToPixel(views[v], corner[k], &px[k], &depth);
    if (!ok) continue;
    const double area = std::abs((px[1] - px[0]).x() * (px[2] - px[0]).y() -
                                 (px[1] - px[0]).y() * (px[2] - px[0]).x());
    found.emplace_back(area, std::int32_t(v));
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a > b; });
  std::vector<std::int32_t> out;
  for (const auto& [area, v] : found) out.push_back(v);
  return out;
}

}  // namespace

ChartLayout BuildCharts(const Mesh& mesh, const FaceAdjacency& adj,
                        const std::vector<std::int32_t>& labels, const std::vector<float>& face_gsd,
                        const std::vector<TextureView>& views) {
  const std::size_t nf = mesh.faces.size();
  constexpr std::uint32_t kUnassigned = std::numeric_limits<std::uint32_t>::max();
  ChartLayout out;
  out.face_chart.assign(nf, kUnassigned);
  std::vector<std::uint32_t> queue;
  for (std::size_t seed = 0; seed < nf; ++seed) {
    if (out.face_chart[seed] != kUnassigned || labels[seed] < 0) continue;
    const auto id = std::uint32_t(out.charts.size());
    Chart chart;
    chart.view = labels[seed];
    queue.assign(1, std::uint32_t(seed));
    out.face_chart[seed] = id;
    for (std::size_t q = 0; q < queue.size(); ++q) {
      const std::uint32_t f = queue[q];
      chart.faces.push_back(f);
      for (std::uint32_t e = adj.offsets[f]; e < adj.offsets[f + 1]; ++e) {
        const std::uint32_t g = adj.neighbors[e];
        if (out.face_chart[g] == kUnassigned && labels[g] == chart.view) {
          out.face_chart[g] = id;
          queue.push_back(g);
        }
      }
    }
    out.charts.push_back(std::move(chart));
  }
  out.textured_charts = out.charts.size();
  {  // every face no view sees: one neutral chart
    Chart neutral;
    for (std::size_t f = 0; f < nf; ++f) {
      if (labels[f] < 0) {
        out.face_chart[f] = std::uint32_t(out.charts.size());
        neutral.faces.push_back(std::uint32_t(f));
      }
    }
    if (!neutral.faces.empty()) out.charts.push_back(std::move(neutral));
  }

  // One output vertex per (chart, original vertex).
  std::vector<std::uint64_t> keys(3 * nf);
  for (std::size_t f = 0; f < nf; ++f) {
    for (int k = 0; k < 3; ++k) {
      keys[3 * f + k] = (std::uint64_t(out.face_chart[f]) << 32) | mesh.faces[f][k];
    }
  }
  std::vector<std::uint64_t> unique = keys;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  out.vertex_source.resize(unique.size());
  out.vertex_chart.resize(unique.size());
  for (std::size_t i = 0; i < unique.size(); ++i) {
    out.vertex_chart[i] = std::uint32_t(unique[i] >> 32);
    out.vertex_source[i] = std::uint32_t(unique[i] & 0xFFFFFFFFu);
  }
  out.faces.resize(nf);
  tbb::parallel_for(std::size_t{0}, nf, [&](std::size_t f) {
    for (int k = 0; k < 3; ++k) {
      out.faces[f][k] = std::uint32_t(
          std::lower_bound(unique.begin(), unique.end(), keys[3 * f + k]) - unique.begin());
    }
  });

  out.vertex_pixel.assign(unique.size(), Eigen::Vector2d::Zero());
  tbb::parallel_for(std::size_t{0}, unique.size(), [&](std::size_t v) {
    const Chart& chart = out.charts[out.vertex_chart[v]];
    if (chart.view < 0) return;
    Eigen::Vector2d px;
    double depth = 0;
    // Every vertex of a textured chart's faces is in front of the chart's view (the faces
    // passed the visibility test); behind it would be a broken invariant.
    const bool ok = ProjectToPixel(views[std::size_t(chart.view)],
                                   mesh.vertices[out.vertex_source[v]].cast<double>(), &px, &depth);
    out.vertex_pixel[v] = ok ? px : Eigen::Vector2d::Zero();
  });
  for (Chart& chart : out.charts) {
    chart.pixel_min = Eigen::Vector2d::Constant(std::numeric_limits<double>::max());
    chart.pixel_max = Eigen::Vector2d::Constant(std::numeric_limits<double>::lowest());
    double gsd = 0;
    for (const std::uint32_t f : chart.faces) {
      for (int k = 0; k < 3; ++k) {
        const Eigen::Vector2d& p = out.vertex_pixel[out.faces[f][k]];
        chart.pixel_min = chart.pixel_min.cwiseMin(p);
        chart.pixel_max = chart.pixel_max.cwiseMax(p);
      }
      gsd += face_gsd[f];
    }
    chart.gsd = chart.faces.empty() ? 0 : gsd / double(chart.faces.size());
    if (chart.view < 0) chart.pixel_min = chart.pixel_max = Eigen::Vector2d::Zero();
  }
  return out;
}

double SizeCharts(ChartLayout& layout, double texel_size, int padding) {
  MUTA_INTERNAL_CHECK(texel_size > 0) << "texel size " << texel_size;
  double total = 0;
  for (Chart& c : layout.charts) {
    double w = kNeutralSize, h = kNeutralSize;
    if (c.view >= 0) {
      c.scale = c.gsd / texel_size;
      const Eigen::Vector2d extent = (c.pixel_max - c.pixel_min) * c.scale;
      w = std::ceil(extent.x()) + 1;
      h = std::ceil(extent.y()) + 1;
    }
    w += 2.0 * padding;
    h += 2.0 * padding;
    total += w * h;
    // Sizes beyond int are refused by the caller (from the total) before any packing.
    c.width = int(std::min(w, double(1 << 30)));
    c.height = int(std::min(h, double(1 << 30)));
  }
  return total;
}

Eigen::Vector2i PackCharts(std::vector<Chart>& charts) {
  double area = 0;
  int max_width = 4;
  for (const Chart& c : charts) {
    area += double(c.width) * c.height;
    max_width = std::max(max_width, c.width);
  }
  int width = std::max(max_width, int(std::ceil(std::sqrt(area * kPackSlack))));
  width = (width + 3) & ~3;
  std::vector<std::uint32_t> order(charts.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return charts[a].height != charts[b].height ? charts[a].height > charts[b].height
                                                : charts[a].width > charts[b].width;
  });
  int x = 0, y = 0, shelf = 0;
  for (const std::uint32_t i : order) {
    Chart& c = charts[i];
    if (x + c.width > width) {
      y += shelf;
      x = 0;
      shelf = 0;
    }
    c.x = x;
    c.y = y;
    x += c.width;
    shelf = std::max(shelf, c.height);
  }
  const int height = std::max(4, (y + shelf + 3) & ~3);
  return {width, height};
}

Eigen::Vector2d AtlasPosition(const ChartLayout& layout, std::uint32_t v, int padding) {
  const Chart& c = layout.charts[layout.vertex_chart[v]];
  if (c.view < 0) return Eigen::Vector2d(c.x + 0.5 * c.width, c.y + 0.5 * c.height);
  return Eigen::Vector2d(c.x + padding, c.y + padding) +
         (layout.vertex_pixel[v] - c.pixel_min) * c.scale;
}

Image BakeAtlas(const ChartLayout& layout, const std::vector<TextureView>& views,
                const Eigen::Vector2i& size, const std::vector<Eigen::Vector3f>& offsets,
                int padding, Progress& progress, const SeamBlend* blend,
                const TexelVisibility* visibility, BakeStats* stats) {
  const int W = size.x(), H = size.y();
  std::vector<Eigen::Vector3d> centres;
  for (const TextureView& v : views) centres.push_back(CameraCenter(v.cam_from_world));
  std::atomic<std::size_t> n_texels{0}, n_other{0}, n_partly{0}, n_unseen{0}, n_rejected{0},
      n_disagreeing{0};
  Image atlas(W, H, 3, kNeutralGrey);
  // 0: empty, 1: dilated, 2: within kMarginTexels of a face, 3: inside a face.
  std::vector<std::uint8_t> level(std::size_t(W) * H, 0);
  progress.Begin("texture: baking", layout.charts.size(), "charts");
  tbb::parallel_for(std::size_t{0}, layout.charts.size(), [&](std::size_t ci) {
    CheckInterrupted();
    const Chart& c = layout.charts[ci];
    if (c.view < 0) {
      progress.Advance();
      return;
    }
    const Image& image = views[std::size_t(c.view)].image;
    const Eigen::Vector2d origin(c.x + padding, c.y + padding);
    std::size_t texels = 0, other = 0, partly = 0, unseen = 0, rejected = 0, disagreeing = 0;
    std::vector<Eigen::Vector3f> seen;  // consensus: the samples of the views that see a texel
    std::vector<float> channel;
    auto put = [&](int x, int y, const Eigen::Vector3f& rgb, std::uint8_t lvl) {
      const std::size_t i = std::size_t(y) * W + x;
      if (lvl <= level[i]) return;
      level[i] = lvl;
      for (int k = 0; k < 3; ++k) {
        atlas.pixels[3 * i + k] = std::uint8_t(std::clamp(std::lround(rgb[k]), 0L, 255L));
      }
    };
    for (const std::uint32_t f : c.faces) {
      const Face& face = layout.faces[f];
      Eigen::Vector3d corner[3];
      Eigen::Vector3d face_normal = Eigen::Vector3d::UnitZ();
      if (visibility) {
        for (int k = 0; k < 3; ++k) {
          corner[k] = visibility->mesh->vertices[layout.vertex_source[face[k]]].cast<double>();
        }
        const Eigen::Vector3d n = (corner[1] - corner[0]).cross(corner[2] - corner[0]);
        if (n.norm() > 0) face_normal = n.normalized();
      }
      std::vector<std::int32_t> extra;  // built when a texel of the face needs it
      bool extra_built = false;
      Eigen::Vector2d p[3];
      for (int k = 0; k < 3; ++k) p[k] = AtlasPosition(layout, face[k], padding);
      const double area2 =
          (p[1] - p[0]).x() * (p[2] - p[0]).y() - (p[1] - p[0]).y() * (p[2] - p[0]).x();
      if (!(std::abs(area2) > 1e-12)) continue;  // degenerate in the atlas: left to neighbours
      const double sign = area2 > 0 ? 1 : -1;
      double edge_len[3];
      for (int k = 0; k < 3; ++k) edge_len[k] = (p[(k + 1) % 3] - p[k]).norm();
      const int x0 = std::max(c.x, int(std::floor(std::min({p[0].x(), p[1].x(), p[2].x()}) - 1)));
      const int x1 =
          std::min(c.x + c.width - 1, int(std::ceil(std::max({p[0].x(), p[1].x(), p[2].x()}) + 1)));
      const int y0 = std::max(c.y, int(std::floor(std::min({p[0].y(), p[1].y(), p[2].y()}) - 1)));
      const int y1 = std::min(c.y + c.height - 1,
                              int(std::ceil(std::max({p[0].y(), p[1].y(), p[2].y()}) + 1)));
      for (int y = y0; y <= y1; ++y) {
        for (int x = x0; x <= x1; ++x) {
          const Eigen::Vector2d q(x + 0.5, y + 0.5);
          // e[k]: twice the signed area opposite corner (k + 2) % 3 ... as barycentrics.
          double e[3];
          bool inside = true, near = true;
          for (int k = 0; k < 3; ++k) {
            const Eigen::Vector2d& a = p[k];
            const Eigen::Vector2d& b = p[(k + 1) % 3];
            e[k] = sign * ((b.x() - a.x()) * (q.y() - a.y()) - (b.y() - a.y()) * (q.x() - a.x()));
            if (e[k] < 0) inside = false;
            if (e[k] < -kMarginTexels * edge_len[k]) near = false;
          }
          if (!near) continue;
          // Barycentric weight of corner k is the area opposite it: edge (k+1, k+2).
          Eigen::Vector3d bary(std::max(0.0, e[1]), std::max(0.0, e[2]), std::max(0.0, e[0]));
          const double s = bary.sum();
          bary = s > 0 ? Eigen::Vector3d(bary / s) : Eigen::Vector3d(1.0 / 3, 1.0 / 3, 1.0 / 3);
          const Eigen::Vector2d pixel = c.pixel_min + (q - origin) / c.scale;
          Eigen::Vector3f rgb;
          bool own = true;  // from the chart's view (levelling offsets apply)
          if (visibility) {
            // The texel's surface point (unclamped barycentrics: margin texels continue the
            // face's plane), sampled where it projects, with depth-tested taps.
            Eigen::Vector3d wb(e[1], e[2], e[0]);
            wb /= wb.sum();
            Eigen::Vector3d point = Eigen::Vector3d::Zero();
            for (int k = 0; k < 3; ++k) point += wb[k] * corner[k];
            ++texels;
            const VisibleSample mine =
                SampleVisible(views[std::size_t(c.view)], visibility->depths[std::size_t(c.view)],
                              point, face_normal);
            if (mine.weight >= kSeenWeight) {
              rgb = mine.rgb;
              rejected += mine.weight < 0.999f;
              if (visibility->consensus) {
                const FaceCandidates& cand = *visibility->candidates;
                const bool all = !cand.consensus_offsets.empty();  // outliers excluded: they vote
                const std::vector<std::uint32_t>& voter_offsets =
                    all ? cand.consensus_offsets : cand.offsets;
                const std::vector<std::int32_t>& voters = all ? cand.consensus_views : cand.views;
                seen.assign(1, mine.rgb);
                for (std::uint32_t i = voter_offsets[f]; i < voter_offsets[f + 1]; ++i) {
                  const std::int32_t v = voters[i];
                  if (v == c.view) continue;
                  const VisibleSample t =
                      SampleVisible(views[std::size_t(v)], visibility->depths[std::size_t(v)],
                                    point, face_normal);
                  if (t.weight >= kSeenWeight) seen.push_back(t.rgb);
                }
                if (seen.size() >= 3) {
                  Eigen::Vector3f median;
                  channel.resize(seen.size());
                  for (int k = 0; k < 3; ++k) {
                    for (std::size_t i = 0; i < seen.size(); ++i) channel[i] = seen[i][k];
                    const auto mid = channel.begin() + std::ptrdiff_t(channel.size() / 2);
                    std::nth_element(channel.begin(), mid, channel.end());
                    median[k] = *mid;
                  }
                  rgb = median;
                  own = false;  // no one view's levelling offsets
                  ++disagreeing;
                }
              }
            } else {
              // Hidden in the chart's view: the face's next candidate that sees the point.
              const FaceCandidates& cand = *visibility->candidates;
              VisibleSample best = mine;
              bool found = false;
              // Takes view v's colour when it sees the point; else remembers the best partial.
              auto try_view = [&](std::int32_t v) {
                const VisibleSample t = SampleVisible(
                    views[std::size_t(v)], visibility->depths[std::size_t(v)], point, face_normal);
                if (t.weight >= kSeenWeight) {
                  rgb = t.rgb;
                  found = true;
                } else if (t.weight > best.weight) {
                  best = t;
                  own = false;
                }
              };
              for (std::uint32_t i = cand.offsets[f]; i < cand.offsets[f + 1] && !found; ++i) {
                if (cand.views[i] != c.view) try_view(cand.views[i]);
              }
              // Then the views the candidate list left out (partly hidden, or below the data
              // term's cut), the largest projection of the face first.
              if (!found && !extra_built) {
                extra_built = true;
                extra = OtherFacingViews(views, centres, cand, f, corner, face_normal);
              }
              for (std::size_t i = 0; i < extra.size() && !found; ++i) try_view(extra[i]);
              if (found) {
                own = false;
                ++other;
              } else if (best.weight > 0) {
                rgb = best.rgb;
                ++partly;
              } else {
                own = true;
                rgb = SampleBilinear(image, pixel.x(), pixel.y());
                ++unseen;
              }
            }
          } else {
            rgb = SampleBilinear(image, pixel.x(), pixel.y());
          }
          if (own && !offsets.empty()) {
            for (int k = 0; k < 3; ++k) rgb += float(bary[k]) * offsets[face[k]];
          }
          if (blend && blend->offsets[f] != blend->offsets[f + 1]) {
            Eigen::Vector3d point = Eigen::Vector3d::Zero();
            for (int k = 0; k < 3; ++k) {
              point +=
                  bary[k] * blend->mesh->vertices[layout.vertex_source[face[k]]].cast<double>();
            }
            rgb = BlendAtPoint(*blend, layout, views, offsets, f, point, rgb, visibility);
          }
          put(x, y, rgb, inside ? 3 : 2);
        }
      }
    }
    // Dilation: `padding` rounds, each filling the empty texels of the chart's rectangle that
    // touch filled ones with their mean.
    std::vector<std::pair<std::size_t, Eigen::Vector3f>> fills;
    for (int round = 0; round < padding; ++round) {
      fills.clear();
      for (int y = c.y; y < c.y + c.height; ++y) {
        for (int x = c.x; x < c.x + c.width; ++x) {
          if (level[std::size_t(y) * W + x] != 0) continue;
          Eigen::Vector3f sum = Eigen::Vector3f::Zero();
          int n = 0;
          for (int dy = -1; dy <= 1; ++dy) {
            for (int dx = -1; dx <= 1; ++dx) {
              const int nx = x + dx, ny = y + dy;
              if (nx < c.x || ny < c.y || nx >= c.x + c.width || ny >= c.y + c.height) continue;
              const std::size_t j = std::size_t(ny) * W + nx;
              if (level[j] == 0) continue;
              for (int k = 0; k < 3; ++k) sum[k] += atlas.pixels[3 * j + k];
              ++n;
            }
          }
          if (n > 0) fills.push_back({std::size_t(y) * W + x, sum / float(n)});
        }
      }
      if (fills.empty()) break;
      for (const auto& [i, rgb] : fills) {
        level[i] = 1;
        for (int k = 0; k < 3; ++k) {
          atlas.pixels[3 * i + k] = std::uint8_t(std::lround(rgb[k]));
        }
      }
    }
    n_texels += texels, n_other += other, n_partly += partly, n_unseen += unseen;
    n_rejected += rejected;
    n_disagreeing += disagreeing;
    progress.Advance();
  });
  progress.End();
  if (stats) {
    stats->texels = n_texels, stats->other_view = n_other, stats->partly_hidden = n_partly;
    stats->unseen = n_unseen, stats->rejected_taps = n_rejected;
    stats->consensus = n_disagreeing;
    if (stats->mip_levels > 0) {
      stats->mip_bleeding = MeasureMipBleeding(layout, atlas, level, stats->mip_levels);
    }
  }
  return atlas;
}

std::vector<MipBleedLevel> MeasureMipBleeding(const ChartLayout& layout, const Image& atlas,
                                              const std::vector<std::uint8_t>& texel_level,
                                              int levels) {
  const int W = atlas.width, H = atlas.height;
  MUTA_CHECK(texel_level.size() == std::size_t(W) * H) << "mip bleeding: level map size";
  std::vector<MipBleedLevel> out;
  for (int L = 1; L <= levels; ++L) {
    const int b = 1 << L;
    struct Sum {
      std::size_t blocks = 0, visible = 0;
      double step = 0;
    };
    const Sum total = tbb::parallel_reduce(
        tbb::blocked_range<std::size_t>(0, layout.charts.size()), Sum{},
        [&](const tbb::blocked_range<std::size_t>& range, Sum s) {
          for (std::size_t ci = range.begin(); ci != range.end(); ++ci) {
            const Chart& c = layout.charts[ci];
            if (c.view < 0) continue;
            // Aligned blocks overlapping the chart's rectangle.
            for (int by = c.y / b * b; by < c.y + c.height; by += b) {
              for (int bx = c.x / b * b; bx < c.x + c.width; bx += b) {
                double all[3] = {0, 0, 0}, own[3] = {0, 0, 0};
                int n_all = 0, n_own = 0;
                bool inside = false;
                for (int y = by; y < std::min(by + b, H); ++y) {
                  for (int x = bx; x < std::min(bx + b, W); ++x) {
                    const std::size_t i = std::size_t(y) * W + x;
                    const std::uint8_t* px = &atlas.pixels[3 * i];
                    for (int k = 0; k < 3; ++k) all[k] += px[k];
                    ++n_all;
                    const bool mine =
                        x >= c.x && y >= c.y && x < c.x + c.width && y < c.y + c.height;
                    if (!mine || texel_level[i] == 0) continue;
                    for (int k = 0; k < 3; ++k) own[k] += px[k];
                    ++n_own;
                    inside = inside || texel_level[i] == 3;
                  }
                }
                if (!inside) continue;
                double step = 0;
                for (int k = 0; k < 3; ++k) {
                  step = std::max(step, std::abs(all[k] / n_all - own[k] / n_own));
                }
                ++s.blocks;
                s.step += step;
                s.visible += step > kVisibleBleed;
              }
            }
          }
          return s;
        },
        [](Sum a, const Sum& b2) {
          a.blocks += b2.blocks, a.visible += b2.visible, a.step += b2.step;
          return a;
        });
    MipBleedLevel r;
    r.level = L;
    r.blocks = total.blocks;
    r.mean_step = total.blocks ? total.step / double(total.blocks) : 0.0;
    r.share_visible = total.blocks ? double(total.visible) / double(total.blocks) : 0.0;
    out.push_back(r);
  }
  return out;
}

}  // namespace muta::reconstruct::tex
