// FileSystem over POSIX system calls.
//
// Writes loop over partial write(2)s and reads over short read(2)s, retrying
// EINTR, so callers never see either. Errors carry the errno's meaning
// (absl::ErrnoToStatus) and name the operation and the path.
//
// Locks use flock(2) on an open descriptor: released when the FileLock is
// destroyed or the process dies. flock locks are per open file description,
// so a second LockFile of the same path in this process fails as it should.

#ifndef STRATA_IO_POSIX_FILE_SYSTEM_H_
#define STRATA_IO_POSIX_FILE_SYSTEM_H_

#include "io/file_system.h"

namespace strata::io {

// The process-wide POSIX file system. Never null; never destroyed.
FileSystem* PosixFileSystem();

}  // namespace strata::io

#endif  // STRATA_IO_POSIX_FILE_SYSTEM_H_
