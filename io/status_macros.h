// The project's early-return macros, shared by every package.
//
//   STRATA_RETURN_IF_ERROR(fs->SyncDir(dir));
//   STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, Reader::Open(...));
//
// Each returns the failed absl::Status unchanged from the enclosing function
// (which returns absl::Status or an absl::StatusOr). Where an error must be
// changed or recorded first (the engine's Fail, a message with more
// context), the code says so by hand instead.
//
// A status ignored on purpose is ignored with .IgnoreError() (where the
// reason is not plain, a comment says it); a cast to void is kept for C
// calls and other non-status values.

#ifndef STRATA_IO_STATUS_MACROS_H_
#define STRATA_IO_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define STRATA_RETURN_IF_ERROR(expr)                                    \
  do {                                                                  \
    if (::absl::Status strata_status_ = (expr); !strata_status_.ok()) { \
      return strata_status_;                                            \
    }                                                                   \
  } while (0)

#define STRATA_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define STRATA_STATUS_MACROS_CONCAT_(a, b) \
  STRATA_STATUS_MACROS_CONCAT_INNER_(a, b)

// Declares (or assigns) `lhs` from the value of the absl::StatusOr `rexpr`,
// or returns its status. `lhs` may be a declaration: `T name`.
#define STRATA_ASSIGN_OR_RETURN(lhs, rexpr) \
  STRATA_ASSIGN_OR_RETURN_IMPL_(            \
      STRATA_STATUS_MACROS_CONCAT_(strata_statusor_, __LINE__), lhs, rexpr)

#define STRATA_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = *std::move(statusor)

#endif  // STRATA_IO_STATUS_MACROS_H_
