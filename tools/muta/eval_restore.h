#pragma once
// `muta eval restore`: a restored mesh scored on the damaged regions of a synthetic scene
// (docs/restore.md, "Evaluation").

#include <functional>

namespace CLI {
class App;
}

namespace muta::cli {

/// Adds the `restore` subcommand to `eval`; returns it and the function that runs it.
CLI::App* AddEvalRestore(CLI::App& eval, std::function<int()>& run);

}  // namespace muta::cli
