#include "testing/fault_injection_file_system.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "io/status_macros.h"

namespace strata::testing {

absl::string_view FsOpName(FsOp op) {
  switch (op) {
    case FsOp::kCreate:
      return "create";
    case FsOp::kWrite:
      return "write";
    case FsOp::kSync:
      return "sync";
    case FsOp::kRename:
      return "rename";
    case FsOp::kRemove:
      return "remove";
    case FsOp::kTruncate:
      return "truncate";
    case FsOp::kDirSync:
      return "directory sync";
    case FsOp::kCreateDir:
      return "mkdir";
  }
  return "unknown";
}

namespace {

uint64_t NextRandom(uint64_t& state) {
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1DULL;
}

// Removes `path` and, if it is a directory, everything below it.
absl::Status RemoveTree(io::FileSystem* fs, const std::string& path) {
  absl::StatusOr<std::vector<std::string>> children = fs->ListDir(path);
  if (!children.ok()) return fs->RemoveFile(path);
  for (const std::string& child : *children) {
    STRATA_RETURN_IF_ERROR(RemoveTree(fs, io::JoinPath(path, child)));
  }
  return fs->RemoveDir(path);
}

bool IsUnder(absl::string_view path, absl::string_view dir) {
  return path.size() > dir.size() && absl::StartsWith(path, dir) &&
         path[dir.size()] == '/';
}

}  // namespace

// A writable file whose appends reach the base file system at once (this
// wrapper plays the OS page cache) and whose syncs mark bytes durable.
class FaultInjectionFileSystem::File final : public io::WritableFile {
 public:
  File(FaultInjectionFileSystem* fs, std::string path,
       std::unique_ptr<io::WritableFile> base, std::shared_ptr<FileState> state,
       uint64_t epoch)
      : fs_(fs),
        path_(std::move(path)),
        base_(std::move(base)),
        state_(std::move(state)),
        epoch_(epoch) {}

  absl::Status Append(absl::string_view data) override {
    return fs_->FileAppend(*this, data);
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Sync() override { return fs_->FileSync(*this, false); }
  absl::Status DataSync() override { return fs_->FileSync(*this, true); }
  absl::Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 private:
  friend class FaultInjectionFileSystem;
  FaultInjectionFileSystem* const fs_;
  const std::string path_;
  const std::unique_ptr<io::WritableFile> base_;
  const std::shared_ptr<FileState> state_;
  const uint64_t epoch_;
};

FaultInjectionFileSystem::FaultInjectionFileSystem(io::FileSystem* base)
    : base_(base) {}
FaultInjectionFileSystem::~FaultInjectionFileSystem() = default;

uint64_t FaultInjectionFileSystem::operation_count() const {
  MutexLock lock(&mu_);
  return op_count_;
}

void FaultInjectionFileSystem::FailOperationAt(uint64_t index, int err) {
  MutexLock lock(&mu_);
  fail_at_[index] = err;
}

void FaultInjectionFileSystem::FailNext(FsOp op, int err) {
  MutexLock lock(&mu_);
  fail_next_[op] = err;
}

void FaultInjectionFileSystem::FreezeAt(uint64_t index) {
  MutexLock lock(&mu_);
  freeze_at_ = index;
}

void FaultInjectionFileSystem::ClearFaults() {
  MutexLock lock(&mu_);
  fail_at_.clear();
  fail_next_.clear();
  freeze_at_.reset();
}

absl::Status FaultInjectionFileSystem::BeforeOp(FsOp op,
                                                const std::string& path) {
  const uint64_t index = op_count_++;
  int err = 0;
  if (freeze_at_.has_value() && index >= *freeze_at_) {
    err = EIO;
  } else if (auto it = fail_at_.find(index); it != fail_at_.end()) {
    err = it->second;
    fail_at_.erase(it);
  } else if (auto kind = fail_next_.find(op); kind != fail_next_.end()) {
    err = kind->second;
    fail_next_.erase(kind);
  }
  if (err == 0) return absl::OkStatus();
  return absl::ErrnoToStatus(
      err, absl::StrCat("fault injection: ", FsOpName(op), " ", path,
                        " (operation ", index, ")"));
}

absl::Status FaultInjectionFileSystem::CheckEpoch(
    uint64_t epoch, const std::string& path) const {
  if (epoch == epoch_) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "fault injection: ", path, ": handle opened before a simulated crash"));
}

std::shared_ptr<FaultInjectionFileSystem::FileState>
FaultInjectionFileSystem::StateFor(const std::string& path) {
  std::shared_ptr<FileState>& state = files_[path];
  if (state == nullptr) {
    state = std::make_shared<FileState>();
    absl::StatusOr<uint64_t> size = base_->GetFileSize(path);
    state->synced_size = size.ok() ? *size : 0;
  }
  return state;
}

absl::StatusOr<uint64_t> FaultInjectionFileSystem::DurableSizeLocked(
    const std::string& path) {
  absl::StatusOr<uint64_t> size = base_->GetFileSize(path);
  if (!size.ok()) return size;
  auto it = files_.find(path);
  if (it == files_.end()) return *size;
  return std::min(*size, it->second->synced_size);
}

std::optional<std::string> FaultInjectionFileSystem::DurableContents(
    const std::string& path) {
  absl::StatusOr<std::string> data = io::ReadFileToString(base_, path);
  if (!data.ok()) return std::nullopt;
  auto it = files_.find(path);
  if (it == files_.end()) return *std::move(data);
  const FileState& state = *it->second;
  if (state.cut_at.has_value()) {
    data->resize(*state.cut_at);
    return *data + state.cut_tail;
  }
  data->resize(std::min<uint64_t>(data->size(), state.synced_size));
  return *std::move(data);
}

uint64_t FaultInjectionFileSystem::DurableSize(const std::string& path) {
  MutexLock lock(&mu_);
  std::optional<std::string> data = DurableContents(path);
  return data.has_value() ? data->size() : 0;
}

size_t FaultInjectionFileSystem::PendingDirOps() const {
  MutexLock lock(&mu_);
  return dir_ops_.size();
}

absl::StatusOr<std::unique_ptr<io::WritableFile>>
FaultInjectionFileSystem::OpenForWrite(const std::string& path, bool truncate,
                                       bool exclusive) {
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(BeforeOp(FsOp::kCreate, path));
  const bool existed = base_->FileExists(path).ok();
  // What a crash must restore if the re-creation is not synced.
  std::optional<std::string> old_durable;
  if (existed && truncate) old_durable = DurableContents(path);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<io::WritableFile> file,
                          exclusive  ? base_->NewExclusiveFile(path)
                          : truncate ? base_->NewWritableFile(path)
                                     : base_->NewAppendableFile(path));
  std::shared_ptr<FileState> state = StateFor(path);
  if (!existed) {
    state->synced_size = 0;
    dir_ops_.push_back(
        DirOp{FsOp::kCreate, path, "", std::nullopt, {io::DirName(path)}});
  } else if (old_durable.has_value()) {
    state->synced_size = 0;
    state->cut_at = 0;
    state->cut_tail = *std::move(old_durable);
  }
  return std::make_unique<File>(this, path, std::move(file), state, epoch_);
}

absl::StatusOr<std::unique_ptr<io::WritableFile>>
FaultInjectionFileSystem::NewWritableFile(const std::string& path) {
  return OpenForWrite(path, /*truncate=*/true);
}

absl::StatusOr<std::unique_ptr<io::WritableFile>>
FaultInjectionFileSystem::NewExclusiveFile(const std::string& path) {
  return OpenForWrite(path, /*truncate=*/true, /*exclusive=*/true);
}

absl::StatusOr<std::unique_ptr<io::WritableFile>>
FaultInjectionFileSystem::NewAppendableFile(const std::string& path) {
  return OpenForWrite(path, /*truncate=*/false);
}

absl::Status FaultInjectionFileSystem::FileAppend(File& file,
                                                  absl::string_view data) {
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(CheckEpoch(file.epoch_, file.path_));
  STRATA_RETURN_IF_ERROR(BeforeOp(FsOp::kWrite, file.path_));
  STRATA_RETURN_IF_ERROR(file.base_->Append(data));
  return file.base_->Flush();
}

namespace {

std::shared_ptr<const std::function<void(const std::string&)>> ShareHook(
    std::function<void(const std::string& path)> hook) {
  return hook ? std::make_shared<const std::function<void(const std::string&)>>(
                    std::move(hook))
              : nullptr;
}

}  // namespace

void FaultInjectionFileSystem::SetSyncHook(
    std::function<void(const std::string& path)> hook) {
  MutexLock lock(&mu_);
  sync_hook_ = ShareHook(std::move(hook));
}

void FaultInjectionFileSystem::SetRemoveHook(
    std::function<void(const std::string& path)> hook) {
  MutexLock lock(&mu_);
  remove_hook_ = ShareHook(std::move(hook));
}

absl::Status FaultInjectionFileSystem::FileSync(File& file, bool data_only) {
  std::shared_ptr<const std::function<void(const std::string&)>> hook;
  {
    MutexLock lock(&mu_);
    hook = sync_hook_;
  }
  if (hook != nullptr) (*hook)(file.path_);
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(CheckEpoch(file.epoch_, file.path_));
  STRATA_RETURN_IF_ERROR(BeforeOp(FsOp::kSync, file.path_));
  STRATA_RETURN_IF_ERROR(data_only ? file.base_->DataSync()
                                   : file.base_->Sync());
  file.state_->synced_size = file.base_->Size();
  file.state_->cut_at.reset();
  file.state_->cut_tail.clear();
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<io::SequentialFile>>
FaultInjectionFileSystem::NewSequentialFile(const std::string& path) {
  return base_->NewSequentialFile(path);
}

// Asks the file system's read fault before each read.
class FaultInjectionFileSystem::FaultyReadFile final
    : public io::RandomAccessFile {
 public:
  FaultyReadFile(FaultInjectionFileSystem* fs, std::string path,
                 std::unique_ptr<io::RandomAccessFile> base)
      : fs_(fs), path_(std::move(path)), base_(std::move(base)) {}

  absl::Status Read(uint64_t offset, size_t n, char* scratch,
                    absl::string_view* result) const override {
    std::shared_ptr<const ReadFault> fault;
    {
      MutexLock lock(&fs_->mu_);
      fault = fs_->read_fault_;
    }
    if (fault != nullptr) {
      if (int err = (*fault)(path_, offset, n); err != 0) {
        return absl::ErrnoToStatus(
            err, absl::StrCat("fault injection: read ", path_, " at ", offset,
                              " (", n, " bytes)"));
      }
    }
    return base_->Read(offset, n, scratch, result);
  }
  uint64_t Size() const override { return base_->Size(); }
  // Never a mapping: every read must pass the fault.

 private:
  FaultInjectionFileSystem* const fs_;
  const std::string path_;
  const std::unique_ptr<io::RandomAccessFile> base_;
};

void FaultInjectionFileSystem::SetReadFault(ReadFault fault) {
  MutexLock lock(&mu_);
  read_fault_ =
      fault ? std::make_shared<const ReadFault>(std::move(fault)) : nullptr;
}

absl::StatusOr<std::unique_ptr<io::RandomAccessFile>>
FaultInjectionFileSystem::NewRandomAccessFile(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<io::RandomAccessFile> base,
                          base_->NewRandomAccessFile(path));
  return std::make_unique<FaultyReadFile>(this, path, std::move(base));
}

absl::StatusOr<std::unique_ptr<io::RandomAccessFile>>
FaultInjectionFileSystem::NewMappedFile(const std::string& path) {
  // A copy, not a view of a mapping: each read can then fail.
  return NewRandomAccessFile(path);
}

absl::Status FaultInjectionFileSystem::CreateDir(const std::string& path) {
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(BeforeOp(FsOp::kCreateDir, path));
  const bool existed = base_->FileExists(path).ok();
  STRATA_RETURN_IF_ERROR(base_->CreateDir(path));
  if (!existed) {
    dir_ops_.push_back(
        DirOp{FsOp::kCreateDir, path, "", std::nullopt, {io::DirName(path)}});
  }
  return absl::OkStatus();
}

absl::Status FaultInjectionFileSystem::RemoveDir(const std::string& path) {
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(BeforeOp(FsOp::kRemove, path));
  return base_->RemoveDir(path);
}

absl::StatusOr<std::vector<std::string>> FaultInjectionFileSystem::ListDir(
    const std::string& dir) {
  return base_->ListDir(dir);
}

absl::Status FaultInjectionFileSystem::FileExists(const std::string& path) {
  return base_->FileExists(path);
}

absl::StatusOr<uint64_t> FaultInjectionFileSystem::GetFileSize(
    const std::string& path) {
  return base_->GetFileSize(path);
}

absl::Status FaultInjectionFileSystem::RenameFile(const std::string& from,
                                                  const std::string& to) {
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(BeforeOp(FsOp::kRename, from));
  if (base_->ListDir(from).ok()) {  // A directory.
    STRATA_RETURN_IF_ERROR(base_->RenameFile(from, to));
    MoveStatesUnder(from, to);  // Before this rename is recorded.
    dir_ops_.push_back(DirOp{FsOp::kRename,
                             to,
                             from,
                             std::nullopt,
                             {io::DirName(from), io::DirName(to)}});
    return absl::OkStatus();
  }
  std::optional<std::string> replaced = DurableContents(to);
  STRATA_RETURN_IF_ERROR(base_->RenameFile(from, to));
  std::shared_ptr<FileState> state = StateFor(from);
  files_.erase(from);
  files_[to] = std::move(state);
  dir_ops_.push_back(DirOp{FsOp::kRename,
                           to,
                           from,
                           std::move(replaced),
                           {io::DirName(from), io::DirName(to)}});
  return absl::OkStatus();
}

void FaultInjectionFileSystem::MoveStatesUnder(const std::string& from,
                                               const std::string& to) {
  // Directory operations not yet durable name paths under it too.
  auto moved_path = [&](std::string* p) {
    if (*p == from || IsUnder(*p, from)) *p = to + p->substr(from.size());
  };
  for (DirOp& op : dir_ops_) {
    moved_path(&op.path);
    moved_path(&op.from);
    std::set<std::string> dirs;
    for (std::string d : op.unsynced_dirs) {
      moved_path(&d);
      dirs.insert(std::move(d));
    }
    op.unsynced_dirs = std::move(dirs);
  }
  std::map<std::string, std::shared_ptr<FileState>> moved;
  for (auto it = files_.begin(); it != files_.end();) {
    if (IsUnder(it->first, from)) {
      moved[to + it->first.substr(from.size())] = std::move(it->second);
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [path, state] : moved) files_[path] = std::move(state);
}

absl::Status FaultInjectionFileSystem::LinkFile(const std::string& from,
                                                const std::string& to) {
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(BeforeOp(FsOp::kCreate, to));
  STRATA_RETURN_IF_ERROR(base_->LinkFile(from, to));
  dir_ops_.push_back(
      DirOp{FsOp::kCreate, to, "", std::nullopt, {io::DirName(to)}});
  return absl::OkStatus();
}

absl::Status FaultInjectionFileSystem::RemoveFile(const std::string& path) {
  std::shared_ptr<const std::function<void(const std::string&)>> hook;
  {
    MutexLock lock(&mu_);
    hook = remove_hook_;
  }
  if (hook != nullptr) (*hook)(path);
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(BeforeOp(FsOp::kRemove, path));
  std::optional<std::string> durable = DurableContents(path);
  STRATA_RETURN_IF_ERROR(base_->RemoveFile(path));
  files_.erase(path);
  dir_ops_.push_back(
      DirOp{FsOp::kRemove, path, "", std::move(durable), {io::DirName(path)}});
  return absl::OkStatus();
}

absl::Status FaultInjectionFileSystem::TruncateFile(const std::string& path,
                                                    uint64_t size) {
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(BeforeOp(FsOp::kTruncate, path));
  std::optional<std::string> durable = DurableContents(path);
  STRATA_RETURN_IF_ERROR(base_->TruncateFile(path, size));
  std::shared_ptr<FileState> state = StateFor(path);
  if (durable.has_value() && size < durable->size() &&
      !state->cut_at.has_value()) {
    state->cut_at = size;
    state->cut_tail = durable->substr(size);
  }
  state->synced_size = std::min(state->synced_size, size);
  return absl::OkStatus();
}

absl::Status FaultInjectionFileSystem::SyncDir(const std::string& dir) {
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(BeforeOp(FsOp::kDirSync, dir));
  STRATA_RETURN_IF_ERROR(base_->SyncDir(dir));
  for (DirOp& op : dir_ops_) op.unsynced_dirs.erase(dir);
  dir_ops_.erase(
      std::remove_if(dir_ops_.begin(), dir_ops_.end(),
                     [](const DirOp& op) { return op.unsynced_dirs.empty(); }),
      dir_ops_.end());
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<io::FileLock>>
FaultInjectionFileSystem::LockFile(const std::string& path) {
  return base_->LockFile(path);
}

absl::Status FaultInjectionFileSystem::UndoDirOp(const DirOp& op) {
  switch (op.kind) {
    case FsOp::kCreate:
      files_.erase(op.path);
      return base_->RemoveFile(op.path);
    case FsOp::kCreateDir:
      for (auto it = files_.begin(); it != files_.end();) {
        it = IsUnder(it->first, op.path) ? files_.erase(it) : std::next(it);
      }
      return RemoveTree(base_, op.path);
    case FsOp::kRemove:
      files_.erase(op.path);
      return io::WriteFileSynced(base_, op.path, op.replaced.value_or(""));
    case FsOp::kRename: {
      STRATA_RETURN_IF_ERROR(base_->RenameFile(op.path, op.from));
      if (base_->ListDir(op.from).ok()) {
        // A directory: what is under it moves back. (Copies: `op` itself
        // is one of the operations renamed.)
        const std::string to = op.path;
        const std::string from = op.from;
        MoveStatesUnder(to, from);
        return absl::OkStatus();
      }
      auto it = files_.find(op.path);
      if (it != files_.end()) {
        files_[op.from] = std::move(it->second);
        files_.erase(op.path);
      }
      if (!op.replaced.has_value()) return absl::OkStatus();
      return io::WriteFileSynced(base_, op.path, *op.replaced);
    }
    default:
      return absl::InternalError("fault injection: bad directory operation");
  }
}

absl::Status FaultInjectionFileSystem::DropUnsynced(const std::string& path,
                                                    FileState& state,
                                                    const CrashOptions& options,
                                                    uint64_t& rng) {
  absl::StatusOr<uint64_t> size = base_->GetFileSize(path);
  if (!size.ok()) return absl::OkStatus();  // Removed after being written.
  if (state.cut_at.has_value()) {
    std::optional<std::string> durable = DurableContents(path);
    return io::WriteFileSynced(base_, path, durable.value_or(""));
  }
  if (*size <= state.synced_size) return absl::OkStatus();
  uint64_t keep = state.synced_size;
  if (options.torn) keep += NextRandom(rng) % (*size - state.synced_size + 1);
  if (!options.torn || NextRandom(rng) % 3 != 0) {
    return base_->TruncateFile(path, keep);
  }
  // The file's size reached the disk and the rest of its data did not: it
  // reads as zeros from `keep` on.
  STRATA_ASSIGN_OR_RETURN(std::string bytes, io::ReadFileToString(base_, path));
  std::fill(bytes.begin() + keep, bytes.end(), '\0');
  return io::WriteFileSynced(base_, path, bytes);
}

absl::Status FaultInjectionFileSystem::SimulateCrash(CrashOptions options) {
  MutexLock lock(&mu_);
  for (auto op = dir_ops_.rbegin(); op != dir_ops_.rend(); ++op) {
    absl::Status s = UndoDirOp(*op);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  dir_ops_.clear();
  uint64_t rng = options.seed | 1;
  for (auto& [path, state] : files_) {
    STRATA_RETURN_IF_ERROR(DropUnsynced(path, *state, options, rng));
  }
  files_.clear();  // Everything left is durable now.
  fail_at_.clear();
  fail_next_.clear();
  freeze_at_.reset();
  ++epoch_;
  return absl::OkStatus();
}

}  // namespace strata::testing
