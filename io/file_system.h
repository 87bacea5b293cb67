// The FileSystem interface: every byte of Strata's I/O goes through it.
//
// Production code uses PosixFileSystem (io/posix_file_system.h); tests use the
// in-memory and fault-injecting file systems in //testing, which is how crash
// orderings are checked. Paths are plain strings joined with '/'.
//
// Errors are absl::Status values. An OS error carries the errno's meaning as
// its code and names the path and the operation in its message.
//
// Thread-safety: a FileSystem is safe for concurrent use. A file object is
// thread-compatible: callers that share one serialize access themselves.

#ifndef STRATA_IO_FILE_SYSTEM_H_
#define STRATA_IO_FILE_SYSTEM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata::io {

// A file open for appending. Bytes passed to Append may be buffered in
// memory until Flush, Sync, DataSync or Close.
class WritableFile {
 public:
  virtual ~WritableFile() = default;

  // Appends `data` at the end of the file.
  [[nodiscard]] virtual absl::Status Append(absl::string_view data) = 0;
  // Hands buffered bytes to the operating system (not durable yet).
  [[nodiscard]] virtual absl::Status Flush() = 0;
  // Makes the file's data and metadata durable (fsync). A new file's
  // directory entry additionally needs FileSystem::SyncDir on its parent.
  [[nodiscard]] virtual absl::Status Sync() = 0;
  // Makes the file's data durable, and the metadata needed to read it back
  // (fdatasync).
  [[nodiscard]] virtual absl::Status DataSync() = 0;
  // Hands buffered bytes to the operating system and asks it to start
  // writing them to the device without waiting, so a later Sync has less
  // to do. A hint only: it makes nothing durable.
  [[nodiscard]] virtual absl::Status StartWriteback() { return Flush(); }
  // Flushes and closes. Further calls fail. Does not sync.
  [[nodiscard]] virtual absl::Status Close() = 0;
  // Bytes in the file, including those still buffered.
  virtual uint64_t Size() const = 0;
};

// A file read from front to back.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;

  // Reads up to `n` bytes into `scratch`, pointing `*result` at them. Fewer
  // than `n` bytes (possibly zero) means the end of the file was reached.
  [[nodiscard]] virtual absl::Status Read(size_t n, char* scratch,
                                          absl::string_view* result) = 0;
  // Skips `n` bytes (or to the end of the file).
  [[nodiscard]] virtual absl::Status Skip(uint64_t n) = 0;
};

// A file read at arbitrary offsets. Safe for concurrent use.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;

  // Reads up to `n` bytes at `offset` into `scratch`, pointing `*result` at
  // them (a file from NewMappedFile may point it at its own memory
  // instead). Fewer than `n` bytes means the end of the file was reached.
  [[nodiscard]] virtual absl::Status Read(uint64_t offset, size_t n,
                                          char* scratch,
                                          absl::string_view* result) const = 0;
  // The file's size in bytes when it was opened.
  virtual uint64_t Size() const = 0;
  // All of the file, if it is mapped in memory (NewMappedFile), valid while
  // it is open; else empty.
  virtual absl::string_view Mapped() const { return {}; }
};

// An exclusive lock on a file, held until this object is destroyed (or the
// process dies).
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Creates `path`, or truncates it if it exists, and opens it for writing.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<WritableFile>>
  NewWritableFile(const std::string& path) = 0;
  // Creates `path` and opens it for writing; AlreadyExists if anything is
  // there already, which is left untouched (O_CREAT | O_EXCL). Strata creates
  // every file of its own this way, so that no number reused by mistake (a
  // best-effort open, a repair) can overwrite what a lost edit wrote; an
  // atomic replace goes through a temporary name and RenameFile. The
  // default, for file systems written before it, checks and then creates:
  // not atomic against a concurrent creator.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<WritableFile>>
  NewExclusiveFile(const std::string& path);
  // Opens `path` for appending after its current end; creates it if missing.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<WritableFile>>
  NewAppendableFile(const std::string& path) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<SequentialFile>>
  NewSequentialFile(const std::string& path) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>>
  NewRandomAccessFile(const std::string& path) = 0;
  // For an immutable file read often (a table): Read may point *result into
  // memory the file owns — valid while it is open — instead of copying into
  // scratch (the POSIX file system maps the file). The file must not shrink
  // while open. By default, NewRandomAccessFile.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>>
  NewMappedFile(const std::string& path) {
    return NewRandomAccessFile(path);
  }

  // Creates directory `path`; succeeds if it already exists.
  [[nodiscard]] virtual absl::Status CreateDir(const std::string& path) = 0;
  // Removes the empty directory `path`.
  [[nodiscard]] virtual absl::Status RemoveDir(const std::string& path) = 0;
  // The names (not paths) of the entries in `dir`, without "." and "..",
  // sorted.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) = 0;
  // OK if `path` exists, NotFound if it does not, another error otherwise.
  [[nodiscard]] virtual absl::Status FileExists(const std::string& path) = 0;
  [[nodiscard]] virtual absl::StatusOr<uint64_t> GetFileSize(
      const std::string& path) = 0;

  // Atomically replaces `to` with `from`. Durable after SyncDir of the
  // parent directories. `from` may be a directory (then `to` must not exist
  // or be an empty directory).
  [[nodiscard]] virtual absl::Status RenameFile(const std::string& from,
                                                const std::string& to) = 0;
  // Durable after SyncDir of the parent directory.
  [[nodiscard]] virtual absl::Status RemoveFile(const std::string& path) = 0;
  // Makes `to` a second name of the file `from` (a hard link): the same
  // bytes, with no copy. AlreadyExists if `to` exists, which is left
  // untouched. Unimplemented where the file system cannot (`to` on another
  // device, or no links at all: the default), so that the caller copies
  // instead. Durable after SyncDir of the parent of `to`. Strata links only
  // files that nothing writes again (tables).
  [[nodiscard]] virtual absl::Status LinkFile(const std::string& from,
                                              const std::string& to);
  // RemoveFile for a large file that others' syncs must not wait behind.
  // On a file system that discards freed blocks when its journal commits
  // (ext4 mounted with `discard`), unlinking a 68 MB file holds every
  // fsync on the device for about 15 ms; so the file's blocks are given
  // back `step` bytes at a time (holes punched from the end, each synced on
  // its own) before the unlink. A reader that still has the file open
  // reads zeros where the holes are. Until the parent directory is synced,
  // a crash may leave the file in place, with holes. A `step` of 0, and
  // the default implementation, remove it at once (RemoveFile).
  [[nodiscard]] virtual absl::Status RemoveFileInSteps(const std::string& path,
                                                       uint64_t step) {
    (void)step;
    return RemoveFile(path);
  }
  // Sets the file's size to `size`. Durable after a sync of the file.
  [[nodiscard]] virtual absl::Status TruncateFile(const std::string& path,
                                                  uint64_t size) = 0;
  // Makes the creations, renames and removals in directory `dir` durable.
  [[nodiscard]] virtual absl::Status SyncDir(const std::string& dir) = 0;

  // Takes an exclusive lock on `path` (created if missing). Fails with
  // FailedPrecondition if another holder, in this process or another, has it.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) = 0;
};

// "a/b" + "c" -> "a/b/c".
std::string JoinPath(absl::string_view dir, absl::string_view name);
// "a/b/c" -> "a/b"; "c" -> "."; "/c" -> "/".
std::string DirName(absl::string_view path);
// "a/b/c" -> "c".
absl::string_view BaseName(absl::string_view path);

// Strata names files by number: "000042" + `suffix` (at least six digits,
// more when the number needs them), e.g. NumberedFileName(42, ".log").
std::string NumberedFileName(uint64_t number, absl::string_view suffix);
// The number in a name NumberedFileName would give for `suffix`, or nullopt
// for any other name ("42.log", "000042.log.tmp", "0000x2.log").
std::optional<uint64_t> ParseNumberedFileName(absl::string_view name,
                                              absl::string_view suffix);

// Writes `data` to `path` (create or truncate), syncs it and closes it.
[[nodiscard]] absl::Status WriteFileSynced(FileSystem* fs,
                                           const std::string& path,
                                           absl::string_view data);
// Reads the whole file at `path`.
[[nodiscard]] absl::StatusOr<std::string> ReadFileToString(
    FileSystem* fs, const std::string& path);

}  // namespace strata::io

#endif  // STRATA_IO_FILE_SYSTEM_H_
