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

// Crashes repair at every file-system operation (torn and untorn), then
// repairs again: the result always equals the model.
void SweepRepairCrashes(testing::MemFileSystem& fs_, const Model& model_) {
  // The damaged directory, copied afresh for every crash point.
  std::map<std::string, std::string> files;
  std::vector<std::string> dirs = {"/db", "/db/wal", "/db/sst", "/db/manifest"};
  for (const std::string& d : {"/db/wal", "/db/sst", "/db/manifest"}) {
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
    if (::testing::Test::HasFailure()) break;
  }
}

TEST_F(RepairTest, ACrashAtEveryOperationOfRepairThenRepairAgain) {
  ASSERT_NO_FATAL_FAILURE(Build(600));
  for (const std::string& f : ManifestFiles(&fs_)) {
    ASSERT_OK(fs_.RemoveFile(io::JoinPath("/db/manifest", f)));
  }
  SweepRepairCrashes(fs_, model_);
}

// With the old manifest still there (damaged mid-way, so it is repaired,
// not opened): a crash after it went aside used to leave a second repair
// nothing to tell it which WAL segments were retired.
TEST_F(RepairTest, ACrashDuringRepairOfADamagedManifestThenRepairAgain) {
  ASSERT_NO_FATAL_FAILURE(Build(600));
  uint64_t g = 0;
  std::vector<wal::RecordPosition> records = LogRecords(&fs_, &g);
  ASSERT_GE(records.size(), 3u);
  Flip(&fs_, io::JoinPath("/db/manifest", wal::SegmentFileName(g)),
       records[records.size() / 2].offset + 10);
  SweepRepairCrashes(fs_, model_);
}

// Defect 3, as a new user met it: a deleted key came back. The delete's
// WAL record is damaged, but every record of that segment is already in
// tables: none is replayed, and the result is the database's last state.
TEST_F(RepairTest, RecordsTheTablesHoldAreNotReplayedAgain) {
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs_, kDir, Options()));
    ASSERT_OK(engine->Put("k", "v1"));
    ASSERT_OK(engine->Flush());
    ASSERT_OK(engine->Delete("k"));
    ASSERT_OK(engine->Flush());
    ASSERT_OK(engine->Compact());
    ASSERT_OK(engine->Put("z", "1"));
    ASSERT_OK(engine->Flush());
    ASSERT_OK(engine->Close());
  }
  ASSERT_OK_AND_ASSIGN(std::vector<uint64_t> segments,
                       wal::ListSegments(&fs_, "/db/wal"));
  ASSERT_EQ(segments.size(), 1u);  // Flushes kept the small active segment.
  std::vector<wal::RecordPosition> records;
  {
    ASSERT_OK_AND_ASSIGN(auto reader,
                         wal::Reader::Open(&fs_, "/db/wal", segments));
    absl::string_view record;
    wal::RecordPosition pos;
    while (reader->Next(&record, &pos)) records.push_back(pos);
  }
  ASSERT_EQ(records.size(), 3u);
  Flip(&fs_, io::JoinPath("/db/wal", wal::SegmentFileName(segments[0])),
       records[1].offset + 10);  // Inside the delete's record.
  for (const std::string& f : ManifestFiles(&fs_)) {
    ASSERT_OK(fs_.RemoveFile(io::JoinPath("/db/manifest", f)));
  }
  ASSERT_OK_AND_ASSIGN(RepairReport report, Repair(&fs_, kDir));
  EXPECT_EQ(report.covered_lsn, 3u);
  EXPECT_EQ(report.wal_entries, 0u);
  EXPECT_TRUE(report.not_point_in_time.empty());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs_, kDir, Options()));
  EXPECT_THAT(engine->Scan("", ""),
              IsOkAndHolds(std::vector<KeyValue>{{"z", "1"}}));
}

// A table the old manifest lists that repair cannot use: the report names
// it and its LSNs, as the result is not one point in time.
TEST_F(RepairTest, AMissingLiveTableIsReportedAsNotOnePointInTime) {
  ASSERT_NO_FATAL_FAILURE(Build(600));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs_, kDir, Options()));
  std::vector<std::string> tables;
  const std::vector<std::string> listed = fs_.ListDir("/db/sst").value();
  for (const std::string& f : listed) {
    if (fs_.GetFileSize("/db/sst/" + f).value_or(0) > 0) tables.push_back(f);
  }
  ASSERT_OK(engine->Close());
  ASSERT_FALSE(tables.empty());
  ASSERT_OK(fs_.RemoveFile("/db/sst/" + tables.front()));
  ASSERT_OK_AND_ASSIGN(RepairReport report, Repair(&fs_, kDir));
  ASSERT_EQ(report.not_point_in_time.size(), 1u);
  EXPECT_THAT(report.not_point_in_time[0], HasSubstr(tables.front()));
  EXPECT_THAT(RepairReportText(report), HasSubstr("NOT ONE POINT IN TIME"));
}

// Defect 4: a best-effort open recovers a prefix of a damaged manifest;
// the edits after the damage had allocated table numbers and written
// tables under them. Nothing those lost edits wrote may be written over:
// every file on disk before keeps its bytes (a WAL segment may only grow),
// with the engine's work inline and in the background.
TEST_F(RepairTest, ABestEffortOpenWritesOverNothingALostEditWrote) {
  ASSERT_NO_FATAL_FAILURE(Build(600));
  EngineOptions setup = Options();
  setup.memtable_bytes = 1 << 20;  // The active segment is kept throughout.
  setup.table_number_batch = 1;    // Each flush allocates in an edit.
  setup.manifest.checkpoint_log_bytes = 1 << 30;
  setup.auto_compaction = false;  // Lost edits delete nothing.
  uint64_t g = 0;
  size_t first_lost = 0;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs_, kDir, setup));
    first_lost = LogRecords(&fs_, &g).size();
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 5; ++i) {
        ASSERT_OK(engine->Put(absl::StrCat("late", round, "-", i), "v"));
      }
      ASSERT_OK(engine->Flush());
    }
    ASSERT_OK(engine->Put("unflushed", "v"));
    ASSERT_OK(engine->Close());
  }
  uint64_t g_after = 0;
  std::vector<wal::RecordPosition> records = LogRecords(&fs_, &g_after);
  ASSERT_EQ(g_after, g);
  ASSERT_GT(records.size(), first_lost + 3);
  Flip(&fs_, io::JoinPath("/db/manifest", wal::SegmentFileName(g)),
       records[first_lost].offset + 10);
  std::map<std::string, std::string> before;
  for (const std::string& d : {"/db/wal", "/db/sst", "/db/manifest"}) {
    const std::vector<std::string> listed = fs_.ListDir(d).value();
    for (const std::string& f : listed) {
      before[io::JoinPath(d, f)] =
          *io::ReadFileToString(&fs_, io::JoinPath(d, f));
    }
  }
  for (bool background : {false, true}) {
    SCOPED_TRACE(background ? "background work" : "inline work");
    testing::MemFileSystem fs;  // The damaged directory, afresh.
    for (const std::string& d : {"/db", "/db/wal", "/db/sst", "/db/manifest"}) {
      ASSERT_OK(fs.CreateDir(d));
    }
    for (const auto& [path, bytes] : before) {
      ASSERT_OK(io::WriteFileSynced(&fs, path, bytes));
    }
    EngineOptions o = Options();
    o.best_effort = true;
    o.background_work = background;
    {
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                           Engine::Open(&fs, kDir, o));
      Model ignored;
      Work(engine.get(), &ignored, 7, 300);  // Freezes, flushes, compactions.
      ASSERT_OK(engine->Flush());
      ASSERT_OK(engine->Close());
    }
    for (const auto& [path, bytes] : before) {
      if (absl::StartsWith(path, "/db/manifest/")) continue;
      ASSERT_OK_AND_ASSIGN(std::string now, io::ReadFileToString(&fs, path));
      if (absl::StartsWith(path, "/db/wal/")) {
        EXPECT_TRUE(absl::StartsWith(now, bytes)) << path << " was rewritten";
      } else {
        EXPECT_EQ(now, bytes) << path << " was rewritten";
      }
    }
  }
}

}  // namespace
}  // namespace strata::engine
