// An in-memory FileSystem for fast tests, most often wrapped by
// FaultInjectionFileSystem to enumerate crash points.
//
// Files behave as on POSIX: an open file keeps its bytes after it is renamed
// or removed, renames replace their target atomically, and a directory must
// exist before files are created in it ("/" and "." always exist). Nothing is
// ever lost here: crashes are FaultInjectionFileSystem's job.
//
// Thread-safety: safe for concurrent use.

#ifndef STRATA_TESTING_MEM_FILE_SYSTEM_H_
#define STRATA_TESTING_MEM_FILE_SYSTEM_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "io/file_system.h"
#include "io/mutex.h"

namespace strata::testing {

class MemFileSystem final : public io::FileSystem {
 public:
  MemFileSystem();
  ~MemFileSystem() override;

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
  absl::Status CreateDir(const std::string& path) override;
  absl::Status RemoveDir(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) override;
  absl::Status FileExists(const std::string& path) override;
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override;
  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override;
  absl::Status RemoveFile(const std::string& path) override;
  absl::Status LinkFile(const std::string& from,
                        const std::string& to) override;
  absl::Status TruncateFile(const std::string& path, uint64_t size) override;
  absl::Status SyncDir(const std::string& dir) override;
  absl::StatusOr<std::unique_ptr<io::FileLock>> LockFile(
      const std::string& path) override;

  // The bytes of one file, shared by the name and every open handle.
  struct Contents {
    Mutex mu;
    std::string data ABSL_GUARDED_BY(mu);
  };

 private:
  class Lock;

  absl::Status CheckParentExists(const std::string& path) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::shared_ptr<Contents>> Find(const std::string& path)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::unique_ptr<io::WritableFile>> OpenForWrite(
      const std::string& path, bool truncate, bool exclusive = false)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Unlock(const std::string& path) ABSL_LOCKS_EXCLUDED(mu_);

  Mutex mu_;
  std::map<std::string, std::shared_ptr<Contents>> files_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> dirs_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> locked_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::testing

#endif  // STRATA_TESTING_MEM_FILE_SYSTEM_H_
