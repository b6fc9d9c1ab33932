#pragma once
// `muta eval texture`: a textured reconstruction rendered from a synthetic scene's held-out
// views and compared with the held-out photographs, against the vertex-coloured mesh
// (docs/texture.md, "Evaluation").

#include <functional>

namespace CLI {
class App;
}

namespace muta::cli {

/// Adds the `texture` subcommand to `eval`; returns it and the function that runs it.
CLI::App* AddEvalTexture(CLI::App& eval, std::function<int()>& run);

}  // namespace muta::cli
