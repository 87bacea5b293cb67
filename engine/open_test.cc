// Opening a directory the way users meet it: missing, empty, someone else's,
// a database whose manifest is gone, a database to inspect without changing
// it (read-only, against a frozen disk and against a live writer in another
// process). A refused open changes nothing on disk: every test compares the
// whole tree before and after.

#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/engine.h"
#include "engine/repair.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/posix_file_system.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace strata::engine {
namespace {

using ::strata::testing::IsOkAndHolds;
using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kDir[] = "/db";

// Every file under `dir` with its bytes, and every directory (as "<dir>").
using Tree = std::map<std::string, std::string>;

void AddTree(io::FileSystem* fs, const std::string& dir, Tree* tree) {
  absl::StatusOr<std::vector<std::string>> names = fs->ListDir(dir);
  if (!names.ok()) return;
  for (const std::string& name : *names) {
    const std::string path = io::JoinPath(dir, name);
    if (fs->ListDir(path).ok()) {
      (*tree)[path] = "<dir>";
      AddTree(fs, path, tree);
    } else {
      (*tree)[path] = io::ReadFileToString(fs, path).value_or("<unreadable>");
    }
  }
}

Tree TreeOf(io::FileSystem* fs, const std::string& dir) {
  Tree tree;
  if (fs->FileExists(dir).ok()) tree[dir] = "<dir>";
  AddTree(fs, dir, &tree);
  return tree;
}

EngineOptions Small() {
  EngineOptions o;
  o.memtable_bytes = 2048;
  o.background_work = false;
  o.table.block_size = 512;
  return o;
}

// A database with tables, frozen data and writes only in the WAL.
void MakeDatabase(io::FileSystem* fs, const std::string& dir) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(fs, dir, Small()));
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK(
        engine->Put(absl::StrCat("key", i), std::string(50, 'a' + i % 26)));
  }
  ASSERT_OK(engine->Flush());
  ASSERT_OK(engine->Put("only-in-wal", "v"));
  ASSERT_OK(engine->Close());
}

TEST(OpenTest, AMissingDirectoryIsCreatedOnlyIfAllowed) {
  testing::MemFileSystem fs;
  EngineOptions options = Small();
  options.create_if_missing = false;
  EXPECT_THAT(
      Engine::Open(&fs, kDir, options),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("no database at /db")));
  EXPECT_FALSE(fs.FileExists(kDir).ok());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, Small()));
  EXPECT_TRUE(engine->open_report().created);
}

TEST(OpenTest, AnEmptyDirectoryOrAnInterruptedCreationIsCreated) {
  testing::MemFileSystem fs;
  ASSERT_OK(fs.CreateDir(kDir));
  ASSERT_OK(fs.CreateDir("/db/wal"));
  ASSERT_OK(fs.CreateDir("/db/sst"));
  ASSERT_OK(fs.CreateDir("/db/manifest"));
  ASSERT_OK(io::WriteFileSynced(&fs, "/db/LOCK", ""));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, Small()));
  EXPECT_TRUE(engine->open_report().created);
}

// A database's directory entries (its own, wal/, sst/, manifest/) were made
// durable by the open that created them, before its manifest was written:
// a reopen syncs no directory, and a power loss after it loses nothing.
TEST(OpenTest, AReopenSyncsNoDirectoryItDidNotCreate) {
  testing::MemFileSystem mem;
  testing::FaultInjectionFileSystem fs(&mem);
  MakeDatabase(&fs, kDir);
  // A directory sync in the reopen fails it.
  fs.FailNext(testing::FsOp::kDirSync);
  EngineOptions o = Small();
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, o));
    ASSERT_OK(engine->Put("after-reopen", "v"));
    ASSERT_OK(engine->Close());
  }
  fs.ClearFaults();
  ASSERT_OK(fs.SimulateCrash());
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, o));
    EXPECT_THAT(engine->Get("after-reopen"), IsOkAndHolds("v"));
    EXPECT_THAT(engine->Get("only-in-wal"), IsOkAndHolds("v"));
    EXPECT_THAT(engine->Get("key7"), IsOkAndHolds(std::string(50, 'h')));
    ASSERT_OK(engine->Close());
  }
}

TEST(OpenTest, ErrorIfExistsRefusesADatabase) {
  testing::MemFileSystem fs;
  MakeDatabase(&fs, kDir);
  const Tree before = TreeOf(&fs, kDir);
  EngineOptions options = Small();
  options.error_if_exists = true;
  EXPECT_THAT(Engine::Open(&fs, kDir, options),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(TreeOf(&fs, kDir), before);
}

TEST(OpenTest, ADirectoryHoldingSomeoneElsesFilesIsRefused) {
  testing::MemFileSystem fs;
  ASSERT_OK(fs.CreateDir(kDir));
  ASSERT_OK(fs.CreateDir("/db/wal"));
  ASSERT_OK(io::WriteFileSynced(&fs, "/db/notes.txt", "mine"));
  ASSERT_OK(io::WriteFileSynced(&fs, "/db/wal/000001.log", "not a segment"));
  const Tree before = TreeOf(&fs, kDir);
  EXPECT_THAT(Engine::Open(&fs, kDir, Small()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not a Strata database: it holds "
                                 "/db/notes.txt")));
  EXPECT_EQ(TreeOf(&fs, kDir), before);
  // Read-only says the same.
  EngineOptions read_only = Small();
  read_only.read_only = true;
  EXPECT_THAT(Engine::Open(&fs, kDir, read_only),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(TreeOf(&fs, kDir), before);
}

// A mount point holds lost+found: empty, it is no one's data, and the
// database is created (and reopened, and repaired) beside it; once fsck
// has put something in it, the directory is refused as before.
TEST(OpenTest, AnEmptyLostAndFoundAtAMountPointIsAccepted) {
  testing::MemFileSystem fs;
  ASSERT_OK(fs.CreateDir(kDir));
  ASSERT_OK(fs.CreateDir("/db/lost+found"));
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, Small()));
    EXPECT_TRUE(engine->open_report().created);
    ASSERT_OK(engine->Put("k", "v"));
    ASSERT_OK(engine->Close());
  }
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, Small()));
    EXPECT_THAT(engine->Get("k"), IsOkAndHolds("v"));
  }
  const std::vector<std::string> listed = fs.ListDir("/db/manifest").value();
  for (const std::string& f : listed) {
    ASSERT_OK(fs.RemoveFile("/db/manifest/" + f));
  }
  ASSERT_OK(Repair(&fs, kDir).status());
  testing::MemFileSystem other;
  ASSERT_OK(other.CreateDir(kDir));
  ASSERT_OK(other.CreateDir("/db/lost+found"));
  ASSERT_OK(io::WriteFileSynced(&other, "/db/lost+found/#1234", "fsck's"));
  EXPECT_THAT(
      Engine::Open(&other, kDir, Small()),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("lost+found")));
}

TEST(OpenTest, DataWithoutAManifestIsDataLossAndNothingChanges) {
  testing::MemFileSystem fs;
  MakeDatabase(&fs, kDir);
  // The reproduction: the manifest directory deleted.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> files,
                       fs.ListDir("/db/manifest"));
  for (const std::string& f : files) {
    ASSERT_OK(fs.RemoveFile(io::JoinPath("/db/manifest", f)));
  }
  for (bool remove_dir : {false, true}) {
    if (remove_dir) ASSERT_OK(fs.RemoveDir("/db/manifest"));
    const Tree before = TreeOf(&fs, kDir);
    for (bool read_only : {false, true}) {
      EngineOptions options = Small();
      options.read_only = read_only;
      EXPECT_THAT(Engine::Open(&fs, kDir, options),
                  StatusIs(absl::StatusCode::kDataLoss,
                           HasSubstr("run `strata repair`")));
      EXPECT_EQ(TreeOf(&fs, kDir), before);
    }
  }
}

TEST(OpenTest, ZeroFilledTailsOfTheDataWalAndManifestLogAreTornTails) {
  testing::MemFileSystem fs;
  MakeDatabase(&fs, kDir);
  for (const char* dir : {"/db/wal", "/db/manifest"}) {
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> names, fs.ListDir(dir));
    std::string newest_log;
    for (const std::string& n : names) {
      if (absl::EndsWith(n, ".log")) newest_log = io::JoinPath(dir, n);
    }
    ASSERT_OK_AND_ASSIGN(std::string bytes,
                         io::ReadFileToString(&fs, newest_log));
    ASSERT_OK(
        io::WriteFileSynced(&fs, newest_log, bytes + std::string(40, '\0')));
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, Small()));
  EXPECT_TRUE(engine->open_report().repaired_wal_tail);
  EXPECT_THAT(engine->open_report().wal_tail, HasSubstr("zeros from offset"));
  EXPECT_TRUE(engine->open_report().manifest.repaired_torn_tail);
  EXPECT_THAT(engine->Get("only-in-wal"), IsOkAndHolds("v"));
  EXPECT_THAT(engine->Get("key99"), IsOkAndHolds(std::string(50, 'v')));
}

TEST(OpenTest, WalRecoveryChoosesWhatADamagedLastRecordMeans) {
  testing::MemFileSystem fs;
  EngineOptions options = Small();
  options.memtable_bytes = 1 << 20;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, options));
    ASSERT_OK(engine->Put("first", "1"));
    ASSERT_OK(engine->Put("last", std::string(100, 'z')));  // Synced.
    ASSERT_OK(engine->Close());
  }
  // The acknowledged last record's payload is damaged later.
  const std::string wal = "/db/wal/000001.log";
  ASSERT_OK_AND_ASSIGN(std::string bytes, io::ReadFileToString(&fs, wal));
  bytes[bytes.size() - 10] ^= 1;
  ASSERT_OK(io::WriteFileSynced(&fs, wal, bytes));
  const Tree before = TreeOf(&fs, kDir);

  options.wal_recovery = WalRecovery::kAbsoluteConsistency;
  EXPECT_THAT(Engine::Open(&fs, kDir, options),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("000001.log: fragment checksum mismatch")));
  EXPECT_EQ(TreeOf(&fs, kDir), before);

  options.wal_recovery = WalRecovery::kTolerateCorruptedTail;  // The default.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, options));
  const OpenReport& report = engine->open_report();
  EXPECT_TRUE(report.repaired_wal_tail);
  EXPECT_EQ(report.wal_tail_segment, 1u);
  EXPECT_EQ(report.wal_tail_offset + report.wal_tail_bytes, bytes.size());
  EXPECT_GT(report.wal_tail_bytes, 100u);
  EXPECT_THAT(engine->Get("first"), IsOkAndHolds("1"));
  EXPECT_THAT(engine->Get("last"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(OpenTest, ReadOnlyOpenChangesNothingAndRefusesWrites) {
  testing::MemFileSystem mem;
  MakeDatabase(&mem, kDir);
  // A torn tail in the active WAL segment, which a writable open would cut.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> wals, mem.ListDir("/db/wal"));
  const std::string active = io::JoinPath("/db/wal", wals.back());
  ASSERT_OK_AND_ASSIGN(std::string bytes, io::ReadFileToString(&mem, active));
  ASSERT_OK(io::WriteFileSynced(&mem, active, bytes + std::string(5, 'x')));
  ASSERT_OK(mem.RemoveFile("/db/LOCK"));
  const Tree before = TreeOf(&mem, kDir);

  // A disk on which every change fails: a read-only mount.
  testing::FaultInjectionFileSystem fs(&mem);
  fs.FreezeAt(fs.operation_count());
  EngineOptions options = Small();
  options.read_only = true;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, options));
  EXPECT_TRUE(engine->open_report().repaired_wal_tail);  // Reported, not cut.
  EXPECT_THAT(engine->Get("key7"), IsOkAndHolds(std::string(50, 'h')));
  EXPECT_THAT(engine->Get("only-in-wal"), IsOkAndHolds("v"));
  ASSERT_OK_AND_ASSIGN(std::vector<KeyValue> all, engine->Scan("", ""));
  EXPECT_EQ(all.size(), 101u);
  ASSERT_OK(engine->Check().status());
  const auto refused =
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("read-only"));
  EXPECT_THAT(engine->Put("k", "v"), refused);
  EXPECT_THAT(engine->Delete("key1"), refused);
  EXPECT_THAT(engine->Flush(), refused);
  EXPECT_THAT(engine->Compact(), refused);
  ASSERT_OK(engine->Close());
  EXPECT_EQ(fs.operation_count(), 0u) << "a read-only open tried to change "
                                         "the disk";
  EXPECT_EQ(TreeOf(&mem, kDir), before);
}

TEST(OpenTest, ReadOnlyOpenOfNothingIsNotFoundAndCreatesNothing) {
  testing::MemFileSystem fs;
  EngineOptions options = Small();
  options.read_only = true;
  EXPECT_THAT(
      Engine::Open(&fs, "/typo", options),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("no database at /typo")));
  EXPECT_FALSE(fs.FileExists("/typo").ok());
  ASSERT_OK(fs.CreateDir("/empty"));
  EXPECT_THAT(Engine::Open(&fs, "/empty", options),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(fs.ListDir("/empty"), IsOkAndHolds(::testing::IsEmpty()));
}

// Forwards to another file system, and calls a hook once, before the first
// open of a file whose path contains `part` for reading.
class HookedFileSystem final : public io::FileSystem {
 public:
  HookedFileSystem(io::FileSystem* base, std::string part,
                   std::function<void()> hook)
      : base_(base), part_(std::move(part)), hook_(std::move(hook)) {}
  absl::StatusOr<std::unique_ptr<io::WritableFile>> NewWritableFile(
      const std::string& path) override {
    return base_->NewWritableFile(path);
  }
  absl::StatusOr<std::unique_ptr<io::WritableFile>> NewAppendableFile(
      const std::string& path) override {
    return base_->NewAppendableFile(path);
  }
  absl::StatusOr<std::unique_ptr<io::SequentialFile>> NewSequentialFile(
      const std::string& path) override {
    Maybe(path);
    return base_->NewSequentialFile(path);
  }
  absl::StatusOr<std::unique_ptr<io::RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    Maybe(path);
    return base_->NewRandomAccessFile(path);
  }
  absl::Status CreateDir(const std::string& path) override {
    return base_->CreateDir(path);
  }
  absl::Status RemoveDir(const std::string& path) override {
    return base_->RemoveDir(path);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) override {
    return base_->ListDir(dir);
  }
  absl::Status FileExists(const std::string& path) override {
    return base_->FileExists(path);
  }
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    return base_->GetFileSize(path);
  }
  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override {
    return base_->RenameFile(from, to);
  }
  absl::Status RemoveFile(const std::string& path) override {
    return base_->RemoveFile(path);
  }
  absl::Status TruncateFile(const std::string& path, uint64_t size) override {
    return base_->TruncateFile(path, size);
  }
  absl::Status SyncDir(const std::string& dir) override {
    return base_->SyncDir(dir);
  }
  absl::StatusOr<std::unique_ptr<io::FileLock>> LockFile(
      const std::string& path) override {
    return base_->LockFile(path);
  }

 private:
  void Maybe(const std::string& path) {
    if (hook_ && absl::StrContains(path, part_)) std::exchange(hook_, {})();
  }
  io::FileSystem* const base_;
  const std::string part_;
  std::function<void()> hook_;
};

// A read-only open whose load meets a segment the live writer retired
// meanwhile (here: between reading the manifest and replaying the WAL)
// loads again and sees the writer's newer state; damage that stays put is
// still reported at once.
TEST(OpenTest, ReadOnlyOpenRetriesWhenALiveWriterMovesFilesDuringTheLoad) {
  testing::MemFileSystem mem;
  EngineOptions writer_options = Small();
  writer_options.background_work = false;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> writer,
                       Engine::Open(&mem, kDir, writer_options));
  ASSERT_OK(writer->Put("k", "v1"));
  HookedFileSystem fs(&mem, "/wal/", [&] {
    // Enough to retire the active segment: its file is deleted.
    for (int i = 0; i < 40; ++i) {
      ASSERT_OK(writer->Put("k", std::string(200, 'a' + i % 26)));
    }
    ASSERT_OK(writer->Flush());
    ASSERT_OK(writer->Put("k", "v2"));
  });
  EngineOptions read_only = Small();
  read_only.read_only = true;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> reader,
                       Engine::Open(&fs, kDir, read_only));
  EXPECT_THAT(reader->Get("k"), IsOkAndHolds("v2"));
  ASSERT_OK(reader->Close());
  ASSERT_OK(writer->Close());
  // With nothing moving, a missing segment is DataLoss at the first try.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> wals, mem.ListDir("/db/wal"));
  ASSERT_FALSE(wals.empty());
  ASSERT_OK(mem.RemoveFile("/db/wal/" + wals.back()));
  EXPECT_THAT(Engine::Open(&mem, kDir, read_only),
              StatusIs(absl::StatusCode::kDataLoss));
}

// The writer lives in a child process and holds the LOCK; the parent
// inspects the database read-only while it does.
TEST(OpenTest, ReadOnlyOpenBesideALiveWriterInAnotherProcess) {
  testing::TempDir tmp;
  const std::string dir = io::JoinPath(tmp.path(), "db");
  io::FileSystem* fs = io::PosixFileSystem();
  MakeDatabase(fs, dir);
  int ready[2], release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto engine = Engine::Open(fs, dir, Small());
    int code = engine.ok() && (*engine)->Put("from-child", "1").ok() ? 0 : 1;
    char c = static_cast<char>(code);
    if (write(ready[1], &c, 1) != 1) _exit(2);
    if (read(release[0], &c, 1) != 1) _exit(3);
    _exit(code);
  }
  char c = 9;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 0) << "the child could not open and write";
  // A writable open is refused: the child holds the lock.
  EXPECT_THAT(Engine::Open(fs, dir, Small()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EngineOptions options = Small();
  options.read_only = true;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(fs, dir, options));
    EXPECT_THAT(engine->Get("key3"), IsOkAndHolds(std::string(50, 'd')));
    EXPECT_THAT(engine->Get("from-child"), IsOkAndHolds("1"));
    ASSERT_OK(engine->Check().status());
  }
  ASSERT_EQ(write(release[1], &c, 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace strata::engine
