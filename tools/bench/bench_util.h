#pragma once
// Helpers shared by the timed bench programs (export_bench, stream_bench).
#include <chrono>

#include "core/mesh.h"

namespace muta::bench {

/// One 1-to-4 midpoint subdivision (midpoints shared between neighbours); per-face data is
/// copied to the four children.
Mesh Subdivide(const Mesh& in);

/// Labels every face whose part id is 1 mod 5 inferred:symmetry with confidence 0.6, all others
/// observed – a stand-in restoration for export and streaming benchmarks.
void LabelEveryFifthPartInferred(Mesh& mesh);

/// CPU time (user + system) of the process so far, seconds: on a machine shared with other
/// builds, wall time is an upper bound and CPU time the work done.
double CpuSeconds();

/// Wall seconds since `since`.
double Seconds(std::chrono::steady_clock::time_point since);

}  // namespace muta::bench
