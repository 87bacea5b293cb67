// Progress of long work (a full compaction, a check, a repair), for a
// caller that shows it: called with how much of `total` is done, from the
// thread doing the work, at most every few thousand units and once at the
// end. Empty: no reports.

#ifndef STRATA_ENGINE_PROGRESS_H_
#define STRATA_ENGINE_PROGRESS_H_

#include <cstdint>
#include <functional>

namespace strata::engine {

using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

}  // namespace strata::engine

#endif  // STRATA_ENGINE_PROGRESS_H_
