#pragma once
// `muta eval texture -w WORKSPACE --photos DIR`: the textured reconstruction scored on real
// photographs it never saw. Where there is no ground truth (a real building), the only test of
// a texture is a photograph kept out of the reconstruction: each photograph of DIR is posed by
// the reconstruction's own SfM (reconstruct/localise.h, the model unchanged), undistorted to
// that camera, and compared with the textured and the vertex-coloured model rendered from that
// pose on the pixels both draw a surface on (the scene has no building mask; what neither model
// covers – sky, the parts not reconstructed – is left out). The novel-view-synthesis
// benchmarks' protocol on real scenes (docs/texture.md, "Photographs kept out").

#include <string>

namespace muta::cli::texture_eval {

struct PhotosArgs {
  std::string workspace, photos, save_renders;
  bool json = false;
};

/// Runs the scoring; prints text or (json) one JSON object. Throws muta::Error naming the
/// folder or photograph and the fix for a workspace without a textured model, vertex colours or
/// SfM database, a folder without photographs, a photograph that is one of the
/// reconstruction's, or photographs none of which registers.
int RunHeldOutPhotos(const PhotosArgs& args);

}  // namespace muta::cli::texture_eval
