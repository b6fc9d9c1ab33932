#pragma once
// Internal to the symmetry completion (symmetry_transfer.cpp, restore.cpp): completing a hole
// from the storey above or below through the estimated storey repetition. Not part of the
// library's interface.

#include <optional>
#include <string>

#include "reconstruct/restore/completion.h"

namespace muta::restore {

/// The per-face `source` of a storey transfer: kStoreySource + d for the storey d = +1 (above)
/// or -1 (below) the hole's.
constexpr int kStoreySource = 1000;

/// Completes hole `hole_id` with the observed surface one storey up or down, mapped onto the
/// hole's storey: where the loop's edge midpoints, mapped there, lie on observed surface (>= 60 %
/// of them, within the duplicate distance), the surface connected to them that would not double
/// observed surface once mapped back is transferred (vertex colours, UVs and normals along; corners
/// within the duplicate distance of an observed vertex put on it). nullopt (with `why`) when no
/// storey repetition was found or neither neighbouring storey fits.
std::optional<CompletionResult> StoreyTransferHole(const CompletionContext& context, int hole_id,
                                                   RestoredMeshBuilder& out, std::string& why);

}  // namespace muta::restore
