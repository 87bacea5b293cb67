#include "testing/mem_file_system.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "io/status_macros.h"

namespace strata::testing {
namespace {

using Contents = MemFileSystem::Contents;

absl::Status NotFound(absl::string_view op, const std::string& path) {
  return absl::NotFoundError(
      absl::StrCat("memfs: ", op, " ", path, ": No such file or directory"));
}

// Strips trailing slashes so "a/b/" and "a/b" name one directory.
std::string Normalize(const std::string& path) {
  std::string out = path;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

class MemWritableFile final : public io::WritableFile {
 public:
  explicit MemWritableFile(std::shared_ptr<Contents> contents)
      : contents_(std::move(contents)) {}

  absl::Status Append(absl::string_view data) override {
    if (closed_) return Closed();
    MutexLock lock(&contents_->mu);
    contents_->data.append(data.data(), data.size());
    return absl::OkStatus();
  }
  absl::Status Flush() override {
    return closed_ ? Closed() : absl::OkStatus();
  }
  absl::Status Sync() override { return Flush(); }
  absl::Status DataSync() override { return Flush(); }
  absl::Status Close() override {
    if (closed_) return Closed();
    closed_ = true;
    return absl::OkStatus();
  }
  uint64_t Size() const override {
    MutexLock lock(&contents_->mu);
    return contents_->data.size();
  }

 private:
  static absl::Status Closed() {
    return absl::FailedPreconditionError("memfs: file already closed");
  }

  const std::shared_ptr<Contents> contents_;
  bool closed_ = false;
};

// Copies min(n, size - offset) bytes at `offset` into `scratch`.
absl::string_view ReadAt(Contents& contents, uint64_t offset, size_t n,
                         char* scratch) {
  MutexLock lock(&contents.mu);
  const size_t size = contents.data.size();
  if (offset >= size) return absl::string_view(scratch, 0);
  const size_t count = std::min<uint64_t>(n, size - offset);
  memcpy(scratch, contents.data.data() + offset, count);
  return absl::string_view(scratch, count);
}

class MemSequentialFile final : public io::SequentialFile {
 public:
  explicit MemSequentialFile(std::shared_ptr<Contents> contents)
      : contents_(std::move(contents)) {}

  absl::Status Read(size_t n, char* scratch,
                    absl::string_view* result) override {
    *result = ReadAt(*contents_, pos_, n, scratch);
    pos_ += result->size();
    return absl::OkStatus();
  }
  absl::Status Skip(uint64_t n) override {
    pos_ += n;
    return absl::OkStatus();
  }

 private:
  const std::shared_ptr<Contents> contents_;
  uint64_t pos_ = 0;
};

class MemRandomAccessFile final : public io::RandomAccessFile {
 public:
  MemRandomAccessFile(std::shared_ptr<Contents> contents, uint64_t size)
      : contents_(std::move(contents)), size_(size) {}

  absl::Status Read(uint64_t offset, size_t n, char* scratch,
                    absl::string_view* result) const override {
    *result = ReadAt(*contents_, offset, n, scratch);
    return absl::OkStatus();
  }
  uint64_t Size() const override { return size_; }

 private:
  const std::shared_ptr<Contents> contents_;
  const uint64_t size_;
};

}  // namespace

class MemFileSystem::Lock final : public io::FileLock {
 public:
  Lock(MemFileSystem* fs, std::string path) : fs_(fs), path_(std::move(path)) {}
  ~Lock() override { fs_->Unlock(path_); }

 private:
  MemFileSystem* const fs_;
  const std::string path_;
};

MemFileSystem::MemFileSystem() : dirs_{"/", "."} {}
MemFileSystem::~MemFileSystem() = default;

absl::Status MemFileSystem::CheckParentExists(const std::string& path) const {
  const std::string parent = io::DirName(path);
  if (dirs_.count(parent) == 0) return NotFound("parent directory of", path);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Contents>> MemFileSystem::Find(
    const std::string& path) {
  MutexLock lock(&mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return NotFound("open", path);
  return it->second;
}

absl::StatusOr<std::unique_ptr<io::WritableFile>> MemFileSystem::OpenForWrite(
    const std::string& path, bool truncate, bool exclusive) {
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(CheckParentExists(path));
  if (dirs_.count(path) > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("memfs: open ", path, ": is a directory"));
  }
  if (exclusive && files_.count(path) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("memfs: create exclusively ", path, ": the file exists"));
  }
  std::shared_ptr<Contents>& contents = files_[path];
  if (contents == nullptr) contents = std::make_shared<Contents>();
  if (truncate) {
    MutexLock data_lock(&contents->mu);
    contents->data.clear();
  }
  return std::make_unique<MemWritableFile>(contents);
}

absl::StatusOr<std::unique_ptr<io::WritableFile>>
MemFileSystem::NewWritableFile(const std::string& path) {
  return OpenForWrite(path, /*truncate=*/true);
}

absl::StatusOr<std::unique_ptr<io::WritableFile>>
MemFileSystem::NewExclusiveFile(const std::string& path) {
  return OpenForWrite(path, /*truncate=*/true, /*exclusive=*/true);
}

absl::StatusOr<std::unique_ptr<io::WritableFile>>
MemFileSystem::NewAppendableFile(const std::string& path) {
  return OpenForWrite(path, /*truncate=*/false);
}

absl::StatusOr<std::unique_ptr<io::SequentialFile>>
MemFileSystem::NewSequentialFile(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Contents> contents, Find(path));
  return std::make_unique<MemSequentialFile>(std::move(contents));
}

absl::StatusOr<std::unique_ptr<io::RandomAccessFile>>
MemFileSystem::NewRandomAccessFile(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Contents> contents, Find(path));
  uint64_t size;
  {
    MutexLock lock(&contents->mu);
    size = contents->data.size();
  }
  return std::make_unique<MemRandomAccessFile>(std::move(contents), size);
}

absl::Status MemFileSystem::CreateDir(const std::string& raw) {
  const std::string path = Normalize(raw);
  MutexLock lock(&mu_);
  if (dirs_.count(path) > 0) return absl::OkStatus();
  if (files_.count(path) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("memfs: mkdir ", path, ": exists and is not a directory"));
  }
  STRATA_RETURN_IF_ERROR(CheckParentExists(path));
  dirs_.insert(path);
  return absl::OkStatus();
}

absl::Status MemFileSystem::RemoveDir(const std::string& raw) {
  const std::string path = Normalize(raw);
  MutexLock lock(&mu_);
  if (dirs_.count(path) == 0) return NotFound("rmdir", path);
  const std::string prefix = path + "/";
  auto starts_with_prefix = [&](const std::string& p) {
    return p.compare(0, prefix.size(), prefix) == 0;
  };
  auto dir = dirs_.lower_bound(prefix);
  auto file = files_.lower_bound(prefix);
  if ((dir != dirs_.end() && starts_with_prefix(*dir)) ||
      (file != files_.end() && starts_with_prefix(file->first))) {
    return absl::FailedPreconditionError(
        absl::StrCat("memfs: rmdir ", path, ": Directory not empty"));
  }
  dirs_.erase(path);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> MemFileSystem::ListDir(
    const std::string& raw) {
  const std::string dir = Normalize(raw);
  MutexLock lock(&mu_);
  if (dirs_.count(dir) == 0) return NotFound("opendir", dir);
  std::vector<std::string> names;
  auto collect = [&](const std::string& path) {
    if (path != dir && io::DirName(path) == dir) {
      names.emplace_back(io::BaseName(path));
    }
  };
  for (const auto& [path, contents] : files_) collect(path);
  for (const std::string& path : dirs_) collect(path);
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status MemFileSystem::FileExists(const std::string& path) {
  MutexLock lock(&mu_);
  if (files_.count(path) > 0 || dirs_.count(Normalize(path)) > 0) {
    return absl::OkStatus();
  }
  return NotFound("access", path);
}

absl::StatusOr<uint64_t> MemFileSystem::GetFileSize(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Contents> contents, Find(path));
  MutexLock lock(&contents->mu);
  return contents->data.size();
}

absl::Status MemFileSystem::RenameFile(const std::string& from,
                                       const std::string& to) {
  MutexLock lock(&mu_);
  auto it = files_.find(from);
  if (it == files_.end() && dirs_.count(Normalize(from)) > 0) {
    // A directory: every path under it moves. `to` must be absent or an
    // empty directory, as rename(2) has it.
    const std::string src = Normalize(from);
    const std::string dst = Normalize(to);
    if (files_.count(dst) > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "memfs: rename ", src, " to ", dst, ": not a directory"));
    }
    const std::string dst_prefix = dst + "/";
    for (const auto& [path, contents] : files_) {
      if (path.compare(0, dst_prefix.size(), dst_prefix) == 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "memfs: rename ", src, " to ", dst, ": Directory not empty"));
      }
    }
    for (const std::string& d : dirs_) {
      if (d.compare(0, dst_prefix.size(), dst_prefix) == 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "memfs: rename ", src, " to ", dst, ": Directory not empty"));
      }
    }
    STRATA_RETURN_IF_ERROR(CheckParentExists(dst));
    const std::string prefix = src + "/";
    auto moved = [&](const std::string& p) {
      return dst + p.substr(src.size());
    };
    std::map<std::string, std::shared_ptr<Contents>> files;
    for (auto& [path, contents] : files_) {
      files[path.compare(0, prefix.size(), prefix) == 0 ? moved(path) : path] =
          std::move(contents);
    }
    files_ = std::move(files);
    std::set<std::string> dirs;
    for (const std::string& d : dirs_) {
      dirs.insert(
          d == src || d.compare(0, prefix.size(), prefix) == 0 ? moved(d) : d);
    }
    dirs_ = std::move(dirs);
    return absl::OkStatus();
  }
  if (it == files_.end()) return NotFound("rename", from);
  STRATA_RETURN_IF_ERROR(CheckParentExists(to));
  std::shared_ptr<Contents> contents = std::move(it->second);
  files_.erase(it);
  files_[to] = std::move(contents);
  return absl::OkStatus();
}

absl::Status MemFileSystem::LinkFile(const std::string& from,
                                     const std::string& to) {
  MutexLock lock(&mu_);
  auto it = files_.find(from);
  if (it == files_.end()) return NotFound("link", from);
  if (files_.count(to) > 0 || dirs_.count(Normalize(to)) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("memfs: link ", to, ": File exists"));
  }
  STRATA_RETURN_IF_ERROR(CheckParentExists(to));
  files_[to] = it->second;  // One Contents, two names.
  return absl::OkStatus();
}

absl::Status MemFileSystem::RemoveFile(const std::string& path) {
  MutexLock lock(&mu_);
  if (files_.erase(path) == 0) return NotFound("unlink", path);
  return absl::OkStatus();
}

absl::Status MemFileSystem::TruncateFile(const std::string& path,
                                         uint64_t size) {
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Contents> contents, Find(path));
  MutexLock lock(&contents->mu);
  contents->data.resize(size, '\0');
  return absl::OkStatus();
}

absl::Status MemFileSystem::SyncDir(const std::string& raw) {
  MutexLock lock(&mu_);
  if (dirs_.count(Normalize(raw)) == 0) return NotFound("open directory", raw);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<io::FileLock>> MemFileSystem::LockFile(
    const std::string& path) {
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(CheckParentExists(path));
  if (!locked_.insert(path).second) {
    return absl::FailedPreconditionError(absl::StrCat(
        "memfs: lock ", path, ": held by another user of the directory"));
  }
  if (files_.count(path) == 0) files_[path] = std::make_shared<Contents>();
  return std::make_unique<Lock>(this, path);
}

void MemFileSystem::Unlock(const std::string& path) {
  MutexLock lock(&mu_);
  locked_.erase(path);
}

}  // namespace strata::testing
