// A FileSystem wrapper that models what a power loss leaves behind, and
// fails chosen operations, so tests can prove crash orderings.
//
// What it remembers:
//  - per file written through it, how many bytes were made durable by
//    Sync/DataSync (bytes of files it never wrote are durable);
//  - a truncation not yet followed by a sync (the cut bytes come back);
//  - every creation, rename and removal not yet made durable by SyncDir of
//    the directories involved.
//
// SimulateCrash() rewrites the wrapped file system to what a power loss
// would leave: unsynced directory operations undone (newest first: removed
// files come back with their durable bytes, renames move back, created files
// vanish), then unsynced bytes dropped — or, with `torn`, a random prefix of
// them kept, and for about one file in three the rest kept as zeros rather
// than cut (its size reached the disk, its data did not). Handles opened
// before the crash fail from then on.
//
// Faults: every mutating operation (create/open-for-write, append, sync,
// rename, remove, truncate, directory sync, mkdir) has an index, counted by
// operation_count(). A test can fail the operation at one index, fail the
// next operation of a kind, or freeze the disk at an index (that operation
// and every later one fail) and then crash — which, looped over every index,
// visits every crash point of a procedure. Injected errors are EIO or ENOSPC
// as errno statuses naming the path.
//
// Thread-safety: safe for concurrent use. Mutating operations are
// serialized.

#ifndef STRATA_TESTING_FAULT_INJECTION_FILE_SYSTEM_H_
#define STRATA_TESTING_FAULT_INJECTION_FILE_SYSTEM_H_

#include <cerrno>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "io/file_system.h"
#include "io/mutex.h"

namespace strata::testing {

enum class FsOp {
  kCreate,     // NewWritableFile, NewExclusiveFile, NewAppendableFile
  kWrite,      // WritableFile::Append
  kSync,       // WritableFile::Sync, WritableFile::DataSync
  kRename,     // RenameFile
  kRemove,     // RemoveFile, RemoveDir
  kTruncate,   // TruncateFile
  kDirSync,    // SyncDir
  kCreateDir,  // CreateDir
};

absl::string_view FsOpName(FsOp op);

class FaultInjectionFileSystem final : public io::FileSystem {
 public:
  // `base` must outlive this object.
  explicit FaultInjectionFileSystem(io::FileSystem* base);
  ~FaultInjectionFileSystem() override;

  // --- Faults ---------------------------------------------------------------
  // Mutating operations performed (or failed) so far.
  uint64_t operation_count() const ABSL_LOCKS_EXCLUDED(mu_);
  // The operation with index `index` fails with `err`, once.
  void FailOperationAt(uint64_t index, int err = EIO) ABSL_LOCKS_EXCLUDED(mu_);
  // The next operation of kind `op` fails with `err`, once.
  void FailNext(FsOp op, int err = EIO) ABSL_LOCKS_EXCLUDED(mu_);
  // The operation with index `index` and every later one fail with EIO and
  // have no effect, as if the power went out just before it.
  void FreezeAt(uint64_t index) ABSL_LOCKS_EXCLUDED(mu_);
  // Clears all pending faults and unfreezes.
  void ClearFaults() ABSL_LOCKS_EXCLUDED(mu_);
  // Calls `hook(path)` at the start of every file sync, before the sync is
  // counted or fails, with no lock held: a test can hold a sync there to
  // order other threads around it. An empty hook removes it.
  void SetSyncHook(std::function<void(const std::string& path)> hook)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The same at the start of every file removal.
  void SetRemoveHook(std::function<void(const std::string& path)> hook)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Decides the fate of every read of a file opened for random access
  // (NewRandomAccessFile, NewMappedFile: reads are not counted operations):
  // a non-zero errno fails the read with it, as a disk's bad sector would;
  // 0 lets it through. Files keep their fault hook from open on: a test
  // clears the fault by returning 0. An empty function removes the hook.
  using ReadFault =
      std::function<int(const std::string& path, uint64_t offset, size_t n)>;
  void SetReadFault(ReadFault fault) ABSL_LOCKS_EXCLUDED(mu_);

  // --- Crashes --------------------------------------------------------------
  struct CrashOptions {
    // Keep a random prefix of each file's unsynced bytes instead of none;
    // for about one file in three, the rest of its size reads as zeros.
    bool torn = false;
    uint64_t seed = 1;
  };
  // Makes the wrapped file system what a power loss now would leave, then
  // clears all faults. Every handle opened before this call fails afterwards.
  [[nodiscard]] absl::Status SimulateCrash(CrashOptions options)
      ABSL_LOCKS_EXCLUDED(mu_);
  [[nodiscard]] absl::Status SimulateCrash() {
    return SimulateCrash(CrashOptions());
  }
  // Bytes of `path` a crash now would keep (without tearing).
  uint64_t DurableSize(const std::string& path) ABSL_LOCKS_EXCLUDED(mu_);
  // Directory operations not yet made durable.
  size_t PendingDirOps() const ABSL_LOCKS_EXCLUDED(mu_);

  // --- io::FileSystem --------------------------------------------------------
  absl::StatusOr<std::unique_ptr<io::WritableFile>> NewWritableFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<io::WritableFile>> NewExclusiveFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<io::WritableFile>> NewAppendableFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<io::SequentialFile>> NewSequentialFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<io::RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<io::RandomAccessFile>> NewMappedFile(
      const std::string& path) override;
  absl::Status CreateDir(const std::string& path) override;
  absl::Status RemoveDir(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) override;
  absl::Status FileExists(const std::string& path) override;
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override;
  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override;
  absl::Status RemoveFile(const std::string& path) override;
  // Counted as a creation (FsOp::kCreate) of `to`; a crash before the
  // directory sync removes the name.
  absl::Status LinkFile(const std::string& from,
                        const std::string& to) override;
  absl::Status TruncateFile(const std::string& path, uint64_t size) override;
  absl::Status SyncDir(const std::string& dir) override;
  absl::StatusOr<std::unique_ptr<io::FileLock>> LockFile(
      const std::string& path) override;

 private:
  class File;

  // Moves the remembered state of every file under directory `from` to the
  // same name under `to` (a directory renamed).
  void MoveStatesUnder(const std::string& from, const std::string& to)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Durability of one file written through this wrapper.
  struct FileState {
    uint64_t synced_size = 0;
    // A truncation (or re-creation) not yet synced: a crash restores
    // `cut_tail` at `cut_at`.
    std::optional<uint64_t> cut_at;
    std::string cut_tail;
  };

  // A creation, rename or removal not yet durable.
  struct DirOp {
    FsOp kind;         // kCreate, kRename, kRemove or kCreateDir
    std::string path;  // created, removed, or rename target
    std::string from;  // rename source
    // Durable bytes of the file a removal or rename replaced, if any.
    std::optional<std::string> replaced;
    std::set<std::string> unsynced_dirs;
  };

  absl::Status BeforeOp(FsOp op, const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckEpoch(uint64_t epoch, const std::string& path) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::unique_ptr<io::WritableFile>> OpenForWrite(
      const std::string& path, bool truncate, bool exclusive = false)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The bytes of `path` that a crash now would keep, or nullopt if the file
  // does not exist.
  std::optional<std::string> DurableContents(const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<uint64_t> DurableSizeLocked(const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::shared_ptr<FileState> StateFor(const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status UndoDirOp(const DirOp& op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status DropUnsynced(const std::string& path, FileState& state,
                            const CrashOptions& options, uint64_t& rng)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // File handle hooks.
  absl::Status FileAppend(File& file, absl::string_view data)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status FileSync(File& file, bool data_only) ABSL_LOCKS_EXCLUDED(mu_);

  io::FileSystem* const base_;
  mutable Mutex mu_;
  uint64_t op_count_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, int> fail_at_ ABSL_GUARDED_BY(mu_);
  std::map<FsOp, int> fail_next_ ABSL_GUARDED_BY(mu_);
  std::optional<uint64_t> freeze_at_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const std::function<void(const std::string&)>> sync_hook_
      ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const std::function<void(const std::string&)>> remove_hook_
      ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const ReadFault> read_fault_ ABSL_GUARDED_BY(mu_);
  class FaultyReadFile;
  std::map<std::string, std::shared_ptr<FileState>> files_ ABSL_GUARDED_BY(mu_);
  std::vector<DirOp> dir_ops_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::testing

#endif  // STRATA_TESTING_FAULT_INJECTION_FILE_SYSTEM_H_
