#include "tools/synth/building_parts.h"

#include <cmath>

#include "core/error.h"
#include "core/file_io.h"

namespace muta::synth {

std::uint64_t Rng::Next() {
  // SplitMix64 (Steele, Lea, Flood 2014).
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Rng::Uniform(double lo, double hi) {
  const double unit = static_cast<double>(Next() >> 11) * 0x1.0p-53;
  return lo + (hi - lo) * unit;
}

int Rng::UniformInt(int lo, int hi) {
  const auto span = static_cast<std::uint64_t>(hi - lo + 1);
  return lo + static_cast<int>(Next() % span);
}

std::uint64_t DeriveSeed(std::uint64_t seed, std::string_view label) {
  Rng rng(Hash64(label, seed));
  return rng.Next();
}

std::vector<V2> RegularPolygon(int n, double r, double start) {
  std::vector<V2> poly;
  for (int k = 0; k < n; ++k) {
    const double a = start + 2.0 * M_PI * k / n;
    poly.emplace_back(r * std::cos(a), r * std::sin(a));
  }
  return poly;
}

int MeshBuilder::BeginPart(Part part) {
  parts_.push_back(std::move(part));
  current_ = static_cast<int>(parts_.size()) - 1;
  NewUvOffset();
  return current_;
}

void MeshBuilder::NewUvOffset(double u_quantum) {
  uv_offset_ = V2(rng_.Uniform(0.0, 16.0), rng_.Uniform(0.0, 16.0));
  if (u_quantum > 0.0) uv_offset_.x() = u_quantum * std::floor(uv_offset_.x() / u_quantum);
}

std::uint32_t MeshBuilder::AddVertex(const V3& world, const V2& uv_metres) {
  MUTA_INTERNAL_CHECK(current_ >= 0) << "no part begun";
  const MaterialKind material = parts_[current_].material;
  V2 uv = (uv_metres + uv_offset_) / MaterialTileMetres(material);
  // Stone courses and roof tiles have v running down the wall / slope.
  if (material == MaterialKind::kStone || material == MaterialKind::kRoofTile) uv.y() = -uv.y();
  mesh_.vertices.push_back(world.cast<float>());
  mesh_.uvs.push_back(uv.cast<float>());
  return static_cast<std::uint32_t>(mesh_.vertices.size() - 1);
}

void MeshBuilder::AddFace(std::uint32_t a, std::uint32_t b, std::uint32_t c, int part) {
  mesh_.faces.emplace_back(a, b, c);
  mesh_.part_ids.push_back(part < 0 ? current_ : part);
}

void MeshBuilder::AddQuad(const V3& la, const V3& lb, const V3& lc, const V3& ld, const V3& v_dir) {
  const V3 a = World(la), b = World(lb), c = World(lc), d = World(ld);
  V3 n = (b - a).cross(c - a) + (c - a).cross(d - a);
  n.normalize();
  V3 v = WorldDir(v_dir);
  v -= n * n.dot(v);
  if (v.norm() < 1e-6) v = (d - a).normalized();
  v.normalize();
  const V3 u = v.cross(n);
  auto uv = [&](const V3& p) { return V2((p - a).dot(u), (p - a).dot(v)); };
  const std::uint32_t ia = AddVertex(a, uv(a)), ib = AddVertex(b, uv(b)), ic = AddVertex(c, uv(c)),
                      id = AddVertex(d, uv(d));
  AddFace(ia, ib, ic);
  AddFace(ia, ic, id);
}

void MeshBuilder::AddBox(const V3& centre, const Eigen::Matrix3d& axes, const V3& half, int grain) {
  for (int i = 0; i < 3; ++i) {
    const int j = (i + 1) % 3, k = (i + 2) % 3;
    V3 v_dir;
    if (grain == j || grain == k) {
      v_dir = axes.col(grain);
    } else {
      v_dir = half[j] <= half[k] ? axes.col(j) : axes.col(k);
    }
    for (int s : {1, -1}) {
      const V3 fc = centre + s * half[i] * axes.col(i);
      const V3 ej = half[j] * axes.col(j), ek = half[k] * axes.col(k);
      const V3 p0 = fc - ej - ek, p1 = fc + ej - ek, p2 = fc + ej + ek, p3 = fc - ej + ek;
      if (s > 0) {
        AddQuad(p0, p1, p2, p3, v_dir);
      } else {
        AddQuad(p0, p3, p2, p1, v_dir);
      }
    }
  }
}

void MeshBuilder::AddAabb(const V3& lo, const V3& hi, int grain) {
  AddBox(0.5 * (lo + hi), Eigen::Matrix3d::Identity(), 0.5 * (hi - lo), grain);
}

void MeshBuilder::AddBeam(const V3& a, const V3& b, double width, double height, bool grain_along) {
  const V3 x = (b - a).normalized();
  V3 z = V3::UnitZ() - x * x.z();
  if (z.norm() < 1e-6) z = V3::UnitX();
  z.normalize();
  const V3 y = z.cross(x);
  Eigen::Matrix3d axes;
  axes << x, y, z;
  AddBox(0.5 * (a + b), axes, V3(0.5 * (b - a).norm(), 0.5 * width, 0.5 * height),
         grain_along ? 0 : 2);
}

namespace {

// A fan over a closed ring of world points; `up` selects the winding (counter-clockwise seen
// from the side the normal points to). UVs planar in metres.
void AddFan(MeshBuilder& b, const std::vector<V3>& ring, bool up) {
  V3 centre = V3::Zero();
  for (const auto& p : ring) centre += p;
  centre /= static_cast<double>(ring.size());
  V3 n = V3::Zero();
  for (std::size_t i = 0; i < ring.size(); ++i) {
    n += (ring[i] - centre).cross(ring[(i + 1) % ring.size()] - centre);
  }
  n.normalize();
  V3 u = std::abs(n.z()) > 0.9 ? V3::UnitX() : V3::UnitZ().cross(n);
  u = (u - n * n.dot(u)).normalized();
  const V3 v = n.cross(u);
  auto uv = [&](const V3& p) { return V2((p - centre).dot(u), (p - centre).dot(v)); };
  const std::uint32_t c = b.AddVertex(centre, uv(centre));
  std::vector<std::uint32_t> ids;
  for (const auto& p : ring) ids.push_back(b.AddVertex(p, uv(p)));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::uint32_t p = ids[i], q = ids[(i + 1) % ids.size()];
    if (up) {
      b.AddFace(c, p, q);
    } else {
      b.AddFace(c, q, p);
    }
  }
}

}  // namespace

void MeshBuilder::AddPrism(const std::vector<V2>& polygon, double z0, double z1, bool top,
                           bool bottom) {
  const std::size_t n = polygon.size();
  for (std::size_t i = 0; i < n; ++i) {
    const V2& p = polygon[i];
    const V2& q = polygon[(i + 1) % n];
    AddQuad(V3(p.x(), p.y(), z0), V3(q.x(), q.y(), z0), V3(q.x(), q.y(), z1), V3(p.x(), p.y(), z1),
            V3::UnitZ());
  }
  std::vector<V3> ring;
  if (top) {
    for (const auto& p : polygon) ring.push_back(World(V3(p.x(), p.y(), z1)));
    AddFan(*this, ring, true);
  }
  if (bottom) {
    ring.clear();
    for (const auto& p : polygon) ring.push_back(World(V3(p.x(), p.y(), z0)));
    AddFan(*this, ring, false);
  }
}

void MeshBuilder::AddRevolved(const V3& centre, const std::vector<V2>& profile, int segments,
                              double start) {
  const std::size_t rings = profile.size();
  // World points, (segments + 1) per ring (the seam is duplicated for UVs).
  std::vector<V3> pts(rings * (segments + 1));
  for (std::size_t i = 0; i < rings; ++i) {
    for (int j = 0; j <= segments; ++j) {
      const double a = start + 2.0 * M_PI * (j % segments) / segments;
      pts[i * (segments + 1) + j] = World(
          centre + V3(profile[i].x() * std::cos(a), profile[i].x() * std::sin(a), profile[i].y()));
    }
  }
  // v: length along the first meridian; u: length around each ring.
  std::vector<double> v(rings, 0.0);
  for (std::size_t i = 1; i < rings; ++i) {
    v[i] = v[i - 1] + (pts[i * (segments + 1)] - pts[(i - 1) * (segments + 1)]).norm();
  }
  std::vector<std::uint32_t> ids(pts.size());
  for (std::size_t i = 0; i < rings; ++i) {
    double u = 0;
    for (int j = 0; j <= segments; ++j) {
      const std::size_t k = i * (segments + 1) + j;
      if (j > 0) u += (pts[k] - pts[k - 1]).norm();
      ids[k] = AddVertex(pts[k], V2(u, v[i]));
    }
  }
  for (std::size_t i = 0; i + 1 < rings; ++i) {
    const bool bottom_point = profile[i].x() <= 0.0, top_point = profile[i + 1].x() <= 0.0;
    for (int j = 0; j < segments; ++j) {
      const std::uint32_t b0 = ids[i * (segments + 1) + j], b1 = ids[i * (segments + 1) + j + 1];
      const std::uint32_t t0 = ids[(i + 1) * (segments + 1) + j],
                          t1 = ids[(i + 1) * (segments + 1) + j + 1];
      if (bottom_point && top_point) continue;
      if (bottom_point) {
        AddFace(b0, t1, t0);
      } else if (top_point) {
        AddFace(b0, b1, t0);
      } else {
        AddFace(b0, b1, t1);
        AddFace(b0, t1, t0);
      }
    }
  }
  auto ring_of = [&](std::size_t i) {
    std::vector<V3> ring;
    for (int j = 0; j < segments; ++j) ring.push_back(pts[i * (segments + 1) + j]);
    return ring;
  };
  if (profile.front().x() > 0.0) AddFan(*this, ring_of(0), false);
  if (profile.back().x() > 0.0) AddFan(*this, ring_of(rings - 1), true);
}

void MeshBuilder::AddGrid(const std::vector<V3>& points, int rows, int cols, bool flip,
                          const std::function<int(int, int)>& cell_part,
                          const std::vector<V2>* uv_metres) {
  const int w = cols + 1;
  std::vector<V3> world(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) world[i] = World(points[i]);
  std::vector<std::uint32_t> ids(points.size());
  if (uv_metres != nullptr) {
    for (std::size_t i = 0; i < points.size(); ++i) ids[i] = AddVertex(world[i], (*uv_metres)[i]);
  } else {
    // u along each row; v along the middle column, the same for a whole row.
    std::vector<double> v(rows + 1, 0.0);
    const int mid = cols / 2;
    for (int r = 1; r <= rows; ++r) {
      v[r] = v[r - 1] + (world[r * w + mid] - world[(r - 1) * w + mid]).norm();
    }
    for (int r = 0; r <= rows; ++r) {
      double u = 0;
      for (int c = 0; c <= cols; ++c) {
        if (c > 0) u += (world[r * w + c] - world[r * w + c - 1]).norm();
        ids[r * w + c] = AddVertex(world[r * w + c], V2(u, v[r]));
      }
    }
  }
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const int part = cell_part ? cell_part(r, c) : current_;
      const std::uint32_t a = ids[r * w + c], b = ids[r * w + c + 1], d = ids[(r + 1) * w + c],
                          e = ids[(r + 1) * w + c + 1];
      // Diagonals mirror about the middle column, so a grid symmetric under u -> 1 - u is
      // triangulated symmetrically too.
      const bool main_diagonal = 2 * c < cols;
      if (main_diagonal && !flip) {
        AddFace(a, b, e, part);
        AddFace(a, e, d, part);
      } else if (main_diagonal) {
        AddFace(a, e, b, part);
        AddFace(a, d, e, part);
      } else if (!flip) {
        AddFace(a, b, d, part);
        AddFace(b, e, d, part);
      } else {
        AddFace(a, d, b, part);
        AddFace(b, d, e, part);
      }
    }
  }
}

void MeshBuilder::AddSweep(const std::vector<V3>& path, double width, double height, const V3& up) {
  const std::size_t n = path.size();
  MUTA_INTERNAL_CHECK(n >= 2) << "sweep needs two points";
  // Cross-section corners per path point (local), then to world.
  std::vector<std::array<V3, 4>> sections(n);
  for (std::size_t i = 0; i < n; ++i) {
    const V3 t = (path[std::min(i + 1, n - 1)] - path[i == 0 ? 0 : i - 1]).normalized();
    V3 nrm = up - t * t.dot(up);
    nrm.normalize();
    const V3 s = nrm.cross(t);
    const V3 p = path[i];
    sections[i] = {World(p - 0.5 * width * s), World(p + 0.5 * width * s),
                   World(p + 0.5 * width * s + height * nrm),
                   World(p - 0.5 * width * s + height * nrm)};
  }
  std::vector<double> along(n, 0.0);
  for (std::size_t i = 1; i < n; ++i)
    along[i] = along[i - 1] + (World(path[i]) - World(path[i - 1])).norm();
  const double perim[5] = {0, width, width + height, 2 * width + height, 2 * width + 2 * height};
  for (int m = 0; m < 4; ++m) {
    std::vector<std::uint32_t> a(n), b(n);
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = AddVertex(sections[i][m], V2(perim[m], along[i]));
      b[i] = AddVertex(sections[i][(m + 1) % 4], V2(perim[m + 1], along[i]));
    }
    for (std::size_t i = 0; i + 1 < n; ++i) {
      AddFace(a[i], b[i], b[i + 1]);
      AddFace(a[i], b[i + 1], a[i + 1]);
    }
  }
  // End caps: (c0, c3, c2, c1) at the start faces -t; (c0, c1, c2, c3) at the end faces +t.
  auto cap = [&](const std::array<V3, 4>& c, bool forward) {
    std::vector<std::uint32_t> ids;
    for (int m = 0; m < 4; ++m) {
      ids.push_back(AddVertex(c[m], V2(m == 1 || m == 2 ? width : 0.0, m >= 2 ? height : 0.0)));
    }
    if (forward) {
      AddFace(ids[0], ids[1], ids[2]);
      AddFace(ids[0], ids[2], ids[3]);
    } else {
      AddFace(ids[0], ids[3], ids[2]);
      AddFace(ids[0], ids[2], ids[1]);
    }
  };
  cap(sections.front(), false);
  cap(sections.back(), true);
}

Mesh MeshBuilder::TakeMesh() {
  for (auto& p : parts_) p.face_count = 0;
  for (const int id : mesh_.part_ids) ++parts_[id].face_count;
  mesh_.ComputeVertexNormals();
  Mesh out = std::move(mesh_);
  mesh_ = Mesh();
  return out;
}

}  // namespace muta::synth
