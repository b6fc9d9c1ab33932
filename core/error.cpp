#include "core/error.h"

namespace muta::internal {

ThrowStream::~ThrowStream() noexcept(false) { throw Error(kind_, stream_.str(), file_, line_); }

}  // namespace muta::internal
