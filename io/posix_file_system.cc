#include "io/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "io/status_macros.h"

namespace strata::io {
namespace {

constexpr size_t kWriteBufferSize = 64 << 10;

// What errno `err` says, from strerror_r into a local buffer. (Not
// absl::ErrnoToStatus's message: that reads a table the prebuilt abseil
// builds once, and TSan, which cannot see that library's synchronization,
// reports the first reader on another thread as a race.)
std::string ErrnoText(int err) {
  char buffer[256];
  // The GNU strerror_r returns the text, in `buffer` or a static string.
  const char* text = strerror_r(err, buffer, sizeof(buffer));
  return text != nullptr ? std::string(text) : absl::StrCat("errno ", err);
}

absl::Status PosixError(absl::string_view op, const std::string& path,
                        int err) {
  return absl::Status(
      absl::ErrnoToStatusCode(err),
      absl::StrCat("io: ", op, " ", path, ": ", ErrnoText(err)));
}

// Opens with EINTR retried.
int OpenRetrying(const std::string& path, int flags, mode_t mode = 0644) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Writes all of `data`, looping over partial writes and EINTR.
absl::Status WriteFully(int fd, const std::string& path,
                        absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return PosixError("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) Close().IgnoreError();
  }

  absl::Status Append(absl::string_view data) override {
    if (fd_ < 0) return Closed();
    size_ += data.size();
    if (buffer_.size() + data.size() <= kWriteBufferSize) {
      buffer_.append(data.data(), data.size());
      return absl::OkStatus();
    }
    STRATA_RETURN_IF_ERROR(Flush());
    if (data.size() < kWriteBufferSize) {
      buffer_.append(data.data(), data.size());
      return absl::OkStatus();
    }
    return WriteFully(fd_, path_, data);
  }

  absl::Status Flush() override {
    if (fd_ < 0) return Closed();
    absl::Status s = WriteFully(fd_, path_, buffer_);
    buffer_.clear();
    return s;
  }

  absl::Status Sync() override {
    STRATA_RETURN_IF_ERROR(Flush());
    if (::fsync(fd_) != 0) return PosixError("fsync", path_, errno);
    return absl::OkStatus();
  }

  absl::Status DataSync() override {
    STRATA_RETURN_IF_ERROR(Flush());
    if (::fdatasync(fd_) != 0) return PosixError("fdatasync", path_, errno);
    return absl::OkStatus();
  }

  absl::Status StartWriteback() override {
    STRATA_RETURN_IF_ERROR(Flush());
    // Errors here are not the caller's concern: Sync reports real ones.
    (void)::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (fd_ < 0) return Closed();
    absl::Status s = Flush();
    if (::close(fd_) != 0 && s.ok()) s = PosixError("close", path_, errno);
    fd_ = -1;
    return s;
  }

  uint64_t Size() const override { return size_; }

 private:
  absl::Status Closed() const {
    return absl::FailedPreconditionError(
        absl::StrCat("io: file already closed: ", path_));
  }

  const std::string path_;
  int fd_;
  uint64_t size_;
  std::string buffer_;
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }

  absl::Status Read(size_t n, char* scratch,
                    absl::string_view* result) override {
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::read(fd_, scratch + done, n - done);
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError("read", path_, errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    *result = absl::string_view(scratch, done);
    return absl::OkStatus();
  }

  absl::Status Skip(uint64_t n) override {
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0) {
      return PosixError("lseek", path_, errno);
    }
    return absl::OkStatus();
  }

 private:
  const std::string path_;
  const int fd_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  absl::Status Read(uint64_t offset, size_t n, char* scratch,
                    absl::string_view* result) const override {
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::pread(fd_, scratch + done, n - done,
                                static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError("pread", path_, errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    *result = absl::string_view(scratch, done);
    return absl::OkStatus();
  }

  uint64_t Size() const override { return size_; }

 private:
  const std::string path_;
  const int fd_;
  const uint64_t size_;
};

// A file mapped whole: reads are views of the mapping, with no system call
// and no copy. Tables are immutable once written, so the mapping never
// outgrows the file.
class PosixMappedFile final : public RandomAccessFile {
 public:
  PosixMappedFile(const char* base, uint64_t size) : base_(base), size_(size) {}
  ~PosixMappedFile() override {
    ::munmap(const_cast<char*>(base_), static_cast<size_t>(size_));
  }

  absl::Status Read(uint64_t offset, size_t n, char* scratch,
                    absl::string_view* result) const override {
    if (offset >= size_) {
      *result = absl::string_view(scratch, 0);
    } else {
      *result = absl::string_view(base_ + offset,
                                  std::min<uint64_t>(n, size_ - offset));
    }
    return absl::OkStatus();
  }

  uint64_t Size() const override { return size_; }
  absl::string_view Mapped() const override {
    return absl::string_view(base_, static_cast<size_t>(size_));
  }

 private:
  const char* const base_;
  const uint64_t size_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  const int fd_;
};

absl::StatusOr<uint64_t> FdSize(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return PosixError("fstat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

// Opens `path` read-only into *fd and returns its size; on an error, no
// descriptor is left open.
absl::StatusOr<uint64_t> OpenForReading(const std::string& path, int* fd) {
  *fd = OpenRetrying(path, O_RDONLY);
  if (*fd < 0) return PosixError("open", path, errno);
  absl::StatusOr<uint64_t> size = FdSize(*fd, path);
  if (!size.ok()) ::close(*fd);
  return size;
}

class Posix final : public FileSystem {
 public:
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    const int fd = OpenRetrying(path, O_WRONLY | O_CREAT | O_TRUNC);
    if (fd < 0) return PosixError("create", path, errno);
    return std::make_unique<PosixWritableFile>(path, fd, 0);
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewExclusiveFile(
      const std::string& path) override {
    const int fd = OpenRetrying(path, O_WRONLY | O_CREAT | O_EXCL);
    if (fd < 0) return PosixError("create exclusively", path, errno);
    return std::make_unique<PosixWritableFile>(path, fd, 0);
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    const int fd = OpenRetrying(path, O_WRONLY | O_CREAT | O_APPEND);
    if (fd < 0) return PosixError("open for append", path, errno);
    absl::StatusOr<uint64_t> size = FdSize(fd, path);
    if (!size.ok()) {
      ::close(fd);
      return size.status();
    }
    return std::make_unique<PosixWritableFile>(path, fd, *size);
  }

  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override {
    const int fd = OpenRetrying(path, O_RDONLY);
    if (fd < 0) return PosixError("open", path, errno);
    return std::make_unique<PosixSequentialFile>(path, fd);
  }

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    int fd;
    STRATA_ASSIGN_OR_RETURN(const uint64_t size, OpenForReading(path, &fd));
    return std::make_unique<PosixRandomAccessFile>(path, fd, size);
  }

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewMappedFile(
      const std::string& path) override {
    int fd;
    STRATA_ASSIGN_OR_RETURN(const uint64_t size, OpenForReading(path, &fd));
    // An empty file cannot be mapped; nor, on a 32-bit address space, a
    // huge one. Those are read with pread.
    void* base = MAP_FAILED;
    if (size != 0 && size <= SIZE_MAX) {
      base = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_SHARED,
                    fd, 0);
    }
    if (base == MAP_FAILED) {
      return std::make_unique<PosixRandomAccessFile>(path, fd, size);
    }
    ::close(fd);  // The mapping keeps the file.
    return std::make_unique<PosixMappedFile>(static_cast<const char*>(base),
                                             size);
  }

  absl::Status CreateDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) == 0) return absl::OkStatus();
    if (errno == EEXIST) {
      struct stat st;
      if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        return absl::OkStatus();
      }
      return absl::AlreadyExistsError(
          absl::StrCat("io: mkdir ", path, ": exists and is not a directory"));
    }
    return PosixError("mkdir", path, errno);
  }

  absl::Status RemoveDir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0) return PosixError("rmdir", path, errno);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError("opendir", dir, errno);
    std::vector<std::string> names;
    errno = 0;
    while (const struct dirent* entry = ::readdir(d)) {
      const absl::string_view name(entry->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return PosixError("readdir", dir, err);
    std::sort(names.begin(), names.end());
    return names;
  }

  absl::Status FileExists(const std::string& path) override {
    if (::access(path.c_str(), F_OK) == 0) return absl::OkStatus();
    return PosixError("access", path, errno);
  }

  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return PosixError("rename to " + to + " from", from, errno);
    }
    return absl::OkStatus();
  }

  absl::Status LinkFile(const std::string& from,
                        const std::string& to) override {
    if (::link(from.c_str(), to.c_str()) != 0) {
      const int err = errno;
      // Another device, or a file system without hard links: the caller
      // copies.
      if (err == EXDEV || err == EPERM || err == ENOTSUP || err == EMLINK) {
        return absl::UnimplementedError(
            absl::StrCat("io: link ", to, " to ", from, ": ", ErrnoText(err)));
      }
      return PosixError("link " + to + " to", from, err);
    }
    return absl::OkStatus();
  }

  absl::Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink", path, errno);
    return absl::OkStatus();
  }

  absl::Status RemoveFileInSteps(const std::string& path,
                                 uint64_t step) override {
    const int fd = OpenRetrying(path, O_WRONLY);
    if (fd >= 0) {
      struct stat st;
      if (step > 0 && ::fstat(fd, &st) == 0) {
        // Holes, not truncation: a reader that has the file mapped reads
        // zeros (and reports a checksum mismatch) instead of taking SIGBUS.
        // Best effort: a step that fails leaves the rest to the unlink.
        for (uint64_t end = static_cast<uint64_t>(st.st_size); end > 0;) {
          const uint64_t n = std::min(end, step);
          end -= n;
          if (::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                          static_cast<off_t>(end),
                          static_cast<off_t>(n)) != 0 ||
              ::fsync(fd) != 0) {
            break;
          }
        }
      }
      ::close(fd);
    }
    return RemoveFile(path);
  }

  absl::Status TruncateFile(const std::string& path, uint64_t size) override {
    int r;
    do {
      r = ::truncate(path.c_str(), static_cast<off_t>(size));
    } while (r != 0 && errno == EINTR);
    if (r != 0) return PosixError("truncate", path, errno);
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& dir) override {
    const int fd = OpenRetrying(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return PosixError("open directory", dir, errno);
    absl::Status s;
    if (::fsync(fd) != 0) s = PosixError("fsync directory", dir, errno);
    ::close(fd);
    return s;
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override {
    const int fd = OpenRetrying(path, O_RDWR | O_CREAT);
    if (fd < 0) return PosixError("open lock file", path, errno);
    int r;
    do {
      r = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (r != 0 && errno == EINTR);
    if (r != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return absl::FailedPreconditionError(absl::StrCat(
            "io: lock ", path, ": held by another user of the directory"));
      }
      return PosixError("flock", path, err);
    }
    return std::make_unique<PosixFileLock>(fd);
  }
};

}  // namespace

FileSystem* PosixFileSystem() {
  static Posix* const fs = new Posix();
  return fs;
}

}  // namespace strata::io
