// Repair against every way a user loses a manifest: the directory deleted,
// every file in it deleted, both generations' snapshots corrupted, a log
// corrupted mid-way, a manifest from an older copy of the directory. After
// repair every acknowledged write reads back (checked against a model,
// including writes that were only in the WAL), no deleted key returns, and
// Check passes. Also: repair of a healthy database, the data WAL's point in
// time, a table a committed compaction removed, and a crash at every
// file-system operation of repair itself.

#include "engine/repair.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/random.h"
#include "testing/status_matchers.h"
#include "wal/format.h"
#include "wal/reader.h"

namespace strata::engine {
namespace {

using ::strata::testing::IsOkAndHolds;
using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kDir[] = "/db";
constexpr uint64_t kKeys = 200;

using Model = std::map<std::string, std::string>;

std::string Key(uint64_t i) { return absl::StrFormat("key%05d", i); }

EngineOptions Options() {
  EngineOptions o;
  o.memtable_bytes = 4096;
  o.background_work = false;
  o.compaction.min_tables = 3;
  o.compaction.tier_base_bytes = 2048;
  o.compaction.tier_ratio = 3;
  o.table.block_size = 512;
  o.table_number_batch = 4;
  o.manifest.checkpoint_log_bytes = 2048;
  return o;
}

// Random puts and deletes (many flushes, compactions and checkpoints), the
// last ones left only in the WAL.
void Work(Engine* engine, Model* model, uint64_t seed, int ops) {
  testing::Random rnd(seed);
  for (int i = 0; i < ops; ++i) {
    const std::string key = Key(rnd.Uniform(kKeys));
    if (rnd.OneIn(4)) {
      ASSERT_OK(engine->Delete(key));
      model->erase(key);
    } else {
      const std::string value = rnd.Printable(10 + rnd.Uniform(60));
      ASSERT_OK(engine->Put(key, value));
      (*model)[key] = value;
    }
  }
}

void ExpectModel(Engine* engine, const Model& model) {
  for (uint64_t i = 0; i < kKeys; ++i) {
    const std::string key = Key(i);
    auto it = model.find(key);
    if (it == model.end()) {
      EXPECT_THAT(engine->Get(key), StatusIs(absl::StatusCode::kNotFound))
          << key << " came back";
    } else {
      EXPECT_THAT(engine->Get(key), IsOkAndHolds(it->second)) << key;
    }
  }
  ASSERT_OK_AND_ASSIGN(std::vector<KeyValue> all, engine->Scan("", ""));
  EXPECT_EQ(all.size(), model.size());
  EXPECT_OK(engine->Check().status());
}

// Repairs, then opens and checks every key against the model.
void RepairAndExpect(io::FileSystem* fs, const Model& model,
                     RepairOptions options = {}) {
  ASSERT_OK_AND_ASSIGN(RepairReport report, Repair(fs, kDir, options));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(fs, kDir, Options()));
  ExpectModel(engine.get(), model);
}

std::vector<std::string> ManifestFiles(io::FileSystem* fs) {
  return fs->ListDir("/db/manifest").value_or(std::vector<std::string>{});
}

void Flip(io::FileSystem* fs, const std::string& path, uint64_t offset) {
  ASSERT_OK_AND_ASSIGN(std::string bytes, io::ReadFileToString(fs, path));
  ASSERT_LT(offset, bytes.size()) << path;
  bytes[offset] = static_cast<char>(~bytes[offset]);
  ASSERT_OK(io::WriteFileSynced(fs, path, bytes));
}

class RepairTest : public ::testing::Test {
 protected:
  // A database with tables, several manifest generations and writes only
  // in the WAL.
  void Build(int ops = 1500) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs_, kDir, Options()));
    Work(engine.get(), &model_, 1, ops);
    ASSERT_GT(engine->stats().compactions, 0u);
    if (ops >= 1500) ASSERT_GT(engine->stats().checkpoints, 0u);
    ASSERT_GT(engine->stats().memtable_bytes, 0u);  // Some only in the WAL.
    ASSERT_OK(engine->Close());
  }

  testing::MemFileSystem fs_;
  Model model_;
};

TEST_F(RepairTest, ManifestDirectoryDeleted) {
  ASSERT_NO_FATAL_FAILURE(Build());
  for (const std::string& f : ManifestFiles(&fs_)) {
    ASSERT_OK(fs_.RemoveFile(io::JoinPath("/db/manifest", f)));
  }
  ASSERT_OK(fs_.RemoveDir("/db/manifest"));
  EXPECT_THAT(Engine::Open(&fs_, kDir, Options()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("repair")));
  RepairAndExpect(&fs_, model_);
}

TEST_F(RepairTest, EverySnapshotAndLogDeleted) {
  ASSERT_NO_FATAL_FAILURE(Build());
  for (const std::string& f : ManifestFiles(&fs_)) {
    ASSERT_OK(fs_.RemoveFile(io::JoinPath("/db/manifest", f)));
  }
  RepairAndExpect(&fs_, model_);
}

TEST_F(RepairTest, BothGenerationsSnapshotsCorrupted) {
  ASSERT_NO_FATAL_FAILURE(Build());
  int corrupted = 0;
  for (const std::string& f : ManifestFiles(&fs_)) {
    if (!absl::EndsWith(f, ".snapshot")) continue;
    Flip(&fs_, io::JoinPath("/db/manifest", f), 30);
    ++corrupted;
  }
  ASSERT_EQ(corrupted, 2);
  EXPECT_THAT(Engine::Open(&fs_, kDir, Options()),
              StatusIs(absl::StatusCode::kDataLoss));
  RepairAndExpect(&fs_, model_);
  // The old manifest is kept, whole, in lost/.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> lost, fs_.ListDir("/db/lost"));
  EXPECT_GE(std::count_if(lost.begin(), lost.end(),
                          [](const std::string& n) {
                            return absl::StartsWith(n, "manifest-");
                          }),
            4);
}

// The records of the newest manifest log, by offset.
std::vector<wal::RecordPosition> LogRecords(io::FileSystem* fs,
                                            uint64_t* generation) {
  std::vector<wal::RecordPosition> out;
  absl::StatusOr<std::vector<uint64_t>> logs =
      wal::ListSegments(fs, "/db/manifest");
  EXPECT_OK(logs.status());
  *generation = logs->back();
  auto reader = wal::Reader::Open(fs, "/db/manifest", {*generation});
  EXPECT_OK(reader.status());
  absl::string_view record;
  wal::RecordPosition pos;
  while ((*reader)->Next(&record, &pos)) out.push_back(pos);
  return out;
}

TEST_F(RepairTest, LogCorruptedMidway) {
  ASSERT_NO_FATAL_FAILURE(Build());
  uint64_t g = 0;
  std::vector<wal::RecordPosition> records = LogRecords(&fs_, &g);
  ASSERT_GE(records.size(), 3u);
  // A payload byte of a record in the middle: valid records follow it.
  Flip(&fs_, io::JoinPath("/db/manifest", wal::SegmentFileName(g)),
       records[records.size() / 2].offset + 10);
  EXPECT_THAT(
      Engine::Open(&fs_, kDir, Options()),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("valid data follows")));
  RepairAndExpect(&fs_, model_);
}

TEST_F(RepairTest, ManifestFromAnOlderCopyOfTheDirectory) {
  ASSERT_NO_FATAL_FAILURE(Build(800));
  std::map<std::string, std::string> old;
  for (const std::string& f : ManifestFiles(&fs_)) {
    const std::string path = io::JoinPath("/db/manifest", f);
    old[path] = *io::ReadFileToString(&fs_, path);
  }
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs_, kDir, Options()));
    Work(engine.get(), &model_, 2, 1500);
    ASSERT_OK(engine->Close());
  }
  for (const std::string& f : ManifestFiles(&fs_)) {
    ASSERT_OK(fs_.RemoveFile(io::JoinPath("/db/manifest", f)));
  }
  for (const auto& [path, bytes] : old) {
    ASSERT_OK(io::WriteFileSynced(&fs_, path, bytes));
  }
  RepairAndExpect(&fs_, model_);
}

TEST_F(RepairTest, RepairOfAHealthyDatabaseKeepsEveryKey) {
  ASSERT_NO_FATAL_FAILURE(Build());
  RepairAndExpect(&fs_, model_);
  // And again: repair is repeatable.
  RepairAndExpect(&fs_, model_);
}

TEST_F(RepairTest, ATableACommittedCompactionRemovedIsNotResurrected) {
  EngineOptions options = Options();
  options.auto_compaction = false;
  options.manifest.checkpoint_log_bytes = 1 << 20;
  std::string first_table;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs_, kDir, options));
    ASSERT_OK(engine->Put("k", "old"));
    ASSERT_OK(engine->Put("other", "1"));
    ASSERT_OK(engine->Flush());
    first_table = *io::ReadFileToString(&fs_, "/db/sst/000001.sst");
    ASSERT_OK(engine->Delete("k"));
    // Enough that the flush retires the WAL segment holding the delete:
    // only the tables know it.
    ASSERT_OK(engine->Put("filler", std::string(5000, 'f')));
    ASSERT_OK(engine->Flush());
    // Merges both tables: "k" and its tombstone are dropped, and the
    // inputs deleted.
    ASSERT_OK(engine->Compact());
    ASSERT_FALSE(fs_.FileExists("/db/sst/000001.sst").ok());
    ASSERT_OK(engine->Put("x", "2"));
    ASSERT_OK(engine->Flush());
    ASSERT_OK(engine->Put("y", "3"));
    ASSERT_OK(engine->Flush());
    ASSERT_OK(engine->Close());
  }
  // The deletion of the first table was interrupted: it is back on disk.
  ASSERT_OK(io::WriteFileSynced(&fs_, "/db/sst/000001.sst", first_table));
  // The log is damaged after the compaction's edit: the two flushes after
  // it, one of them unreadable, with valid data after it.
  uint64_t g = 0;
  std::vector<wal::RecordPosition> records = LogRecords(&fs_, &g);
  ASSERT_GE(records.size(), 2u);
  Flip(&fs_, io::JoinPath("/db/manifest", wal::SegmentFileName(g)),
       records[records.size() - 2].offset + 10);
  ASSERT_OK_AND_ASSIGN(RepairReport report, Repair(&fs_, kDir));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs_, kDir, Options()));
  EXPECT_THAT(engine->Get("k"), StatusIs(absl::StatusCode::kNotFound))
      << RepairReportText(report);
  EXPECT_THAT(engine->Get("other"), IsOkAndHolds("1"));
  EXPECT_THAT(engine->Get("x"), IsOkAndHolds("2"));
  EXPECT_THAT(engine->Get("y"), IsOkAndHolds("3"));
  EXPECT_OK(fs_.FileExists("/db/lost/sst-000001.sst"));
}

TEST_F(RepairTest, DamagedDataWalIsReplayedToAPointInTime) {
  EngineOptions options = Options();
  options.memtable_bytes = 1 << 20;  // Everything stays in the WAL.
  Model before;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs_, kDir, options));
    for (int i = 0; i < 40; ++i) {
      ASSERT_OK(engine->Put(Key(i), std::string(100, 'a' + i % 26)));
      if (i < 20) before[Key(i)] = std::string(100, 'a' + i % 26);
    }
    ASSERT_OK(engine->Close());
  }
  // Damage record 21 (LSN 21): the records after it are valid.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> wals, fs_.ListDir("/db/wal"));
  const std::string wal = io::JoinPath("/db/wal", wals.back());
  const uint64_t record = wal::SegmentHeader::kSize;  // Header + 7 + batch.
  ASSERT_OK_AND_ASSIGN(std::string bytes, io::ReadFileToString(&fs_, wal));
  const uint64_t stride = (bytes.size() - record) / 40;
  Flip(&fs_, wal, record + 20 * stride + 12);
  for (const std::string& f : ManifestFiles(&fs_)) {
    ASSERT_OK(fs_.RemoveFile(io::JoinPath("/db/manifest", f)));
  }
  testing::MemFileSystem copy;  // For the salvage run: the segment alone.
  ASSERT_OK(copy.CreateDir("/db"));
  ASSERT_OK(copy.CreateDir("/db/wal"));
  ASSERT_OK(io::WriteFileSynced(&copy, wal, *io::ReadFileToString(&fs_, wal)));

  ASSERT_OK_AND_ASSIGN(RepairReport report, Repair(&fs_, kDir));
  ASSERT_EQ(report.unrecovered.size(), 1u) << RepairReportText(report);
  EXPECT_EQ(report.unrecovered[0].after_lsn, 20u);
  EXPECT_EQ(report.wal_records, 20u);
  EXPECT_EQ(report.moved.size(), 1u);  // The segment, to lost/.
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs_, kDir, Options()));
    ExpectModel(engine.get(), before);
  }
  ASSERT_OK(fs_.FileExists(report.moved[0].to));

  // Salvage reads past the damage: every record but the damaged one.
  ASSERT_OK_AND_ASSIGN(report, Repair(&copy, kDir, {.salvage_wal = true}));
  EXPECT_EQ(report.wal_records, 39u) << RepairReportText(report);
  ASSERT_EQ(report.unrecovered.size(), 1u);
  EXPECT_EQ(report.unrecovered[0].after_lsn, 20u);
  EXPECT_EQ(report.unrecovered[0].before_lsn, 22u);
}

TEST_F(RepairTest, RefusesWhatIsNotADatabaseOrIsOpen) {
  EXPECT_THAT(Repair(&fs_, "/nothing"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(fs_.CreateDir("/foreign"));
  ASSERT_OK(io::WriteFileSynced(&fs_, "/foreign/x.txt", "x"));
  EXPECT_THAT(Repair(&fs_, "/foreign"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs_, kDir, Options()));
  EXPECT_THAT(Repair(&fs_, kDir),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is the database open")));
}

TEST_F(RepairTest, ACrashAtEveryOperationOfRepairThenRepairAgain) {
  ASSERT_NO_FATAL_FAILURE(Build(600));
  for (const std::string& f : ManifestFiles(&fs_)) {
    ASSERT_OK(fs_.RemoveFile(io::JoinPath("/db/manifest", f)));
  }
  // The damaged directory, copied afresh for every crash point.
  std::map<std::string, std::string> files;
  std::vector<std::string> dirs = {"/db", "/db/wal", "/db/sst", "/db/manifest"};
  for (const std::string& d : {"/db/wal", "/db/sst"}) {
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> names, fs_.ListDir(d));
    for (const std::string& f : names) {
      files[io::JoinPath(d, f)] =
          *io::ReadFileToString(&fs_, io::JoinPath(d, f));
    }
  }
  for (uint64_t crash_at = 0;; ++crash_at) {
    testing::MemFileSystem mem;
    for (const std::string& d : dirs) ASSERT_OK(mem.CreateDir(d));
    for (const auto& [path, bytes] : files) {
      ASSERT_OK(io::WriteFileSynced(&mem, path, bytes));
    }
    testing::FaultInjectionFileSystem fs(&mem);
    fs.FreezeAt(crash_at);
    const bool finished = Repair(&fs, kDir).ok();
    ASSERT_OK(fs.SimulateCrash({.torn = crash_at % 2 == 1, .seed = crash_at}));
    SCOPED_TRACE(absl::StrCat("crash at operation ", crash_at));
    if (finished) {
      // A repair that returned is durable: open without repairing again.
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                           Engine::Open(&fs, kDir, Options()));
      ExpectModel(engine.get(), model_);
      // Every operation of the repair was a crash point.
      EXPECT_GT(crash_at, 10u);
      break;
    }
    RepairAndExpect(&fs, model_);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace strata::engine
