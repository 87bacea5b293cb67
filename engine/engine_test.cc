// The engine end to end against an in-memory model: random mixes of puts,
// deletes, range deletes, batches, scans, flushes and compactions, with
// reopens in between;
// and the behaviours one at a time (recovery of frozen WALs, orphans, the
// lock, pinned tables, a damaged compaction input, read-only after a
// failure).

#include "engine/engine.h"

#include <atomic>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/mutex.h"
#include "io/posix_file_system.h"
#include "sstable/format.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/random.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace strata::engine {
namespace {

using ::strata::testing::IsOkAndHolds;
using ::strata::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr char kDir[] = "/db";

// Small limits, so a few hundred writes flush and compact many times.
EngineOptions SmallOptions(bool background) {
  EngineOptions o;
  o.memtable_bytes = 4096;
  o.background_work = background;
  o.compaction.min_tables = 3;
  o.compaction.tier_base_bytes = 2048;
  o.compaction.tier_ratio = 3;
  o.table.block_size = 512;
  o.table_number_batch = 4;
  o.manifest.checkpoint_log_bytes = 2048;
  return o;
}

std::string Key(uint64_t i) { return absl::StrFormat("key%06d", i); }

// The tables in sst/, without the empty file the engine makes ahead for its
// next flush (a table is never empty: it ends in a footer).
std::vector<std::string> TableFiles(testing::MemFileSystem& fs) {
  std::vector<std::string> out;
  absl::StatusOr<std::vector<std::string>> names = fs.ListDir("/db/sst");
  EXPECT_OK(names.status());
  for (const std::string& name : names.value_or(std::vector<std::string>())) {
    if (fs.GetFileSize("/db/sst/" + name).value_or(0) > 0) out.push_back(name);
  }
  return out;
}

using Model = std::map<std::string, std::string>;

void ExpectMatchesModel(const Engine& engine, const Model& model,
                        uint64_t key_space) {
  for (uint64_t i = 0; i < key_space; ++i) {
    const std::string key = Key(i);
    absl::StatusOr<std::string> got = engine.Get(key);
    auto it = model.find(key);
    if (it == model.end()) {
      EXPECT_THAT(got, StatusIs(absl::StatusCode::kNotFound)) << key;
    } else {
      EXPECT_THAT(got, IsOkAndHolds(it->second)) << key;
    }
  }
  ASSERT_OK_AND_ASSIGN(std::vector<KeyValue> all, engine.Scan("", ""));
  std::vector<KeyValue> expected;
  for (const auto& [k, v] : model) expected.push_back({k, v});
  EXPECT_EQ(all, expected);
}

class EngineModelTest : public ::testing::TestWithParam<bool> {};

TEST_P(EngineModelTest, RandomOperationsMatchAModelAcrossReopens) {
  testing::MemFileSystem fs;
  testing::Random rnd(GetParam() ? 7 : 8);
  Model model;
  constexpr uint64_t kKeys = 300;
  for (int round = 0; round < 6; ++round) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, SmallOptions(GetParam())));
    ExpectMatchesModel(*engine, model, kKeys);
    for (int op = 0; op < 400; ++op) {
      const uint64_t choice = rnd.Uniform(100);
      const std::string key = Key(rnd.Uniform(kKeys));
      if (choice < 55) {
        const std::string value = rnd.Printable(1 + rnd.Uniform(60));
        ASSERT_OK(engine->Put(key, value));
        model[key] = value;
      } else if (choice < 70) {
        ASSERT_OK(engine->Delete(key));
        model.erase(key);
      } else if (choice < 75) {
        // A range of up to 20 keys, rarely: enough to cross tables.
        const uint64_t first = rnd.Uniform(kKeys);
        const std::string end = Key(first + 1 + rnd.Uniform(20));
        ASSERT_OK(engine->DeleteRange(Key(first), end));
        model.erase(model.lower_bound(Key(first)), model.lower_bound(end));
      } else if (choice < 85) {
        WriteBatch batch;
        Model after = model;
        for (int i = 0, n = 1 + rnd.Uniform(8); i < n; ++i) {
          const std::string k = Key(rnd.Uniform(kKeys));
          if (rnd.OneIn(10)) {
            const std::string end = Key(rnd.Uniform(kKeys) + 1);
            if (k < end) {
              batch.DeleteRange(k, end);
              after.erase(after.lower_bound(k), after.lower_bound(end));
            }
          } else if (rnd.OneIn(3)) {
            batch.Delete(k);
            after.erase(k);
          } else {
            const std::string v = rnd.Printable(1 + rnd.Uniform(30));
            batch.Put(k, v);
            after[k] = v;
          }
        }
        ASSERT_OK(engine->Write(batch));
        model = std::move(after);
      } else if (choice < 93) {
        const std::string start = Key(rnd.Uniform(kKeys));
        const std::string end = Key(rnd.Uniform(kKeys));
        const size_t limit = rnd.Uniform(20);
        ASSERT_OK_AND_ASSIGN(std::vector<KeyValue> got,
                             engine->Scan(start, end, limit));
        std::vector<KeyValue> expected;
        for (auto it = model.lower_bound(start);
             it != model.end() && it->first < end; ++it) {
          if (limit != 0 && expected.size() == limit) break;
          expected.push_back({it->first, it->second});
        }
        EXPECT_EQ(got, expected) << start << ".." << end << " " << limit;
      } else if (choice < 97) {
        ASSERT_OK(engine->Flush());
      } else if (choice < 99) {
        ASSERT_OK(engine->Compact());
      } else {
        const std::string k = Key(rnd.Uniform(kKeys));
        absl::StatusOr<std::string> got = engine->Get(k);
        if (model.count(k)) {
          EXPECT_THAT(got, IsOkAndHolds(model[k]));
        } else {
          EXPECT_THAT(got, StatusIs(absl::StatusCode::kNotFound));
        }
      }
    }
    ExpectMatchesModel(*engine, model, kKeys);
    EXPECT_GT(engine->stats().flushes, 0u);
    ASSERT_OK(engine->health());
    // Check verifies every live table. The background thread may still be
    // compacting: compare once no edit committed around the Check (with no
    // writes, the thread runs out of work; a version is published just
    // after its edit, so one more round may be needed).
    for (int attempt = 0;; ++attempt) {
      const EngineStats before = engine->stats();
      ASSERT_OK_AND_ASSIGN(CheckReport check, engine->Check());
      const EngineStats after = engine->stats();
      const bool still = before.manifest_edits == after.manifest_edits;
      if ((still && check.tables == after.live_tables) || attempt == 1000) {
        EXPECT_EQ(check.tables, after.live_tables);
        break;
      }
      std::this_thread::yield();
    }
    ASSERT_OK(engine->Close());
  }
}

INSTANTIATE_TEST_SUITE_P(InlineAndBackground, EngineModelTest,
                         ::testing::Bool(), [](const auto& info) {
                           return info.param ? "Background" : "Inline";
                         });

TEST(EngineTest, FlushWritesATableAndKeepsASmallWalSegment) {
  testing::MemFileSystem fs;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, SmallOptions(false)));
    EXPECT_TRUE(engine->open_report().created);
    ASSERT_OK(engine->Put("a", "1"));
    ASSERT_OK(engine->Put("b", "2"));
    ASSERT_OK(engine->Flush());
    EngineStats stats = engine->stats();
    EXPECT_EQ(stats.flushes, 1u);
    EXPECT_EQ(stats.live_tables, 1u);
    EXPECT_EQ(stats.wals_deleted, 0u);
    EXPECT_EQ(stats.last_lsn, 2u);
    // The segment stays active. Made ahead after the flush: the next
    // segment, and the next table files (empty).
    EXPECT_THAT(fs.ListDir("/db/wal"),
                IsOkAndHolds(ElementsAre("000001.log", "000002.log")));
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> sst, fs.ListDir("/db/sst"));
    EXPECT_EQ(sst.size(), 9u);  // The table and eight spares.
    EXPECT_THAT(TableFiles(fs), ElementsAre("000001.sst"));
    EXPECT_THAT(engine->Get("a"), IsOkAndHolds("1"));
    // An empty memtable makes no table.
    ASSERT_OK(engine->Flush());
    EXPECT_EQ(engine->stats().flushes, 1u);
    ASSERT_OK(engine->Put("a", "3"));
    ASSERT_OK(engine->Close());
    // Close removes what it made ahead.
    EXPECT_THAT(fs.ListDir("/db/wal"), IsOkAndHolds(ElementsAre("000001.log")));
    EXPECT_THAT(fs.ListDir("/db/sst"), IsOkAndHolds(ElementsAre("000001.sst")));
  }
  // The flushed records are read again but not replayed: their table has
  // them. Replaying them would flush them a second time.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, SmallOptions(false)));
  EXPECT_EQ(engine->open_report().wal_records, 3u);
  EXPECT_EQ(engine->open_report().wal_entries_flushed, 2u);
  EXPECT_THAT(engine->Get("a"), IsOkAndHolds("3"));
  EXPECT_THAT(engine->Get("b"), IsOkAndHolds("2"));
  ASSERT_OK(engine->Flush());
  ASSERT_OK_AND_ASSIGN(CheckReport check, engine->Check());
  EXPECT_EQ(check.tables, 2u);
  EXPECT_EQ(check.entries, 3u);  // a=1, b=2, then only a=3.
}

TEST(EngineTest, AFlushIntoATableMadeAheadSyncsNoDirectory) {
  testing::MemFileSystem mem;
  testing::FaultInjectionFileSystem fs(&mem);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, SmallOptions(false)));
  ASSERT_OK(engine->Put("a", "1"));
  ASSERT_OK(engine->Flush());  // Creates its table; then spares are made.
  EXPECT_EQ(engine->stats().flushes_into_spare, 0u);
  ASSERT_OK(engine->Put("b", "2"));
  // Any directory sync from here on fails, and would fail the flush.
  fs.FailNext(testing::FsOp::kDirSync, EIO);
  ASSERT_OK(engine->Flush());
  EXPECT_EQ(engine->stats().flushes_into_spare, 1u);
  ASSERT_OK(engine->health());
  fs.ClearFaults();
  // The flushed table survives a crash: its entry was durable beforehand.
  ASSERT_OK(fs.SimulateCrash());
  engine.reset();
  ASSERT_OK_AND_ASSIGN(engine, Engine::Open(&mem, kDir, SmallOptions(false)));
  EXPECT_THAT(engine->Get("b"), IsOkAndHolds("2"));
  ASSERT_OK(engine->Check().status());
}

TEST(EngineTest, FlushRetiresTheWalSegmentOnceItHoldsAMemtablesWorth) {
  testing::MemFileSystem fs;
  const EngineOptions options = SmallOptions(false);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, options));
  // Each round stays under the memtable limit (no freeze), but the segment
  // collects every round's records until a flush retires it.
  const std::string value(options.memtable_bytes / 4, 'v');
  uint64_t rounds = 0;
  while (engine->stats().wals_deleted == 0) {
    ASSERT_LT(rounds, 8u) << "the segment is never retired";
    ASSERT_OK(engine->Put(Key(rounds), value));
    ASSERT_OK(engine->Flush());
    ++rounds;
  }
  EXPECT_EQ(rounds, 4u);  // The fourth record brings it to memtable_bytes.
  EXPECT_EQ(engine->stats().flushes, 4u);
  ASSERT_OK(engine->Close());
  EXPECT_THAT(fs.ListDir("/db/wal"), IsOkAndHolds(ElementsAre("000002.log")));
  ASSERT_OK_AND_ASSIGN(engine, Engine::Open(&fs, kDir, options));
  EXPECT_EQ(engine->open_report().wal_records, 0u);
  for (uint64_t i = 0; i < rounds; ++i) {
    EXPECT_THAT(engine->Get(Key(i)), IsOkAndHolds(value));
  }
}

TEST(EngineTest, ReopenReplaysTheWalAndContinuesLsns) {
  testing::MemFileSystem fs;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, SmallOptions(false)));
    ASSERT_OK(engine->Put("k", "old"));
    ASSERT_OK(engine->Flush());
    ASSERT_OK(engine->Put("k", "new"));
    ASSERT_OK(engine->Delete("gone"));
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, SmallOptions(false)));
  // The flushed record is read but not replayed.
  EXPECT_EQ(engine->open_report().wal_records, 3u);
  EXPECT_EQ(engine->open_report().wal_entries_flushed, 1u);
  EXPECT_THAT(engine->Get("k"), IsOkAndHolds("new"));
  EXPECT_EQ(engine->stats().last_lsn, 3u);
  ASSERT_OK(engine->Put("k", "newer"));
  ASSERT_OK(engine->Flush());
  EXPECT_EQ(engine->stats().last_lsn, 4u);
  EXPECT_THAT(engine->Get("k"), IsOkAndHolds("newer"));
}

TEST(EngineTest, FrozenWalsAreReplayedAndFlushedOnOpen) {
  testing::MemFileSystem fs;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, SmallOptions(false)));
    ASSERT_OK(engine->Put("a", std::string(3000, 'a')));
    ASSERT_OK(engine->Put("b", std::string(3000, 'b')));
    // The next write freezes the full memtable (one edit), then its table
    // cannot be created: the WAL stays frozen and the engine read-only.
    ASSERT_OK(fs.RemoveDir("/db/sst"));
    EXPECT_THAT(engine->Put("c", "3"), StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(engine->health(), StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(engine->Put("d", "4"), StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(engine->Get("a"), IsOkAndHolds(std::string(3000, 'a')));
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, SmallOptions(false)));
  EXPECT_EQ(engine->open_report().wal_segments, 2u);
  EXPECT_EQ(engine->stats().flushes, 1u);  // The frozen one, on open.
  EXPECT_THAT(engine->Get("b"), IsOkAndHolds(std::string(3000, 'b')));
  EXPECT_THAT(engine->Get("c"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(fs.ListDir("/db/wal"), IsOkAndHolds(ElementsAre("000002.log")));
}

TEST(EngineTest, OpenDeletesOrphansAndLeavesOtherFilesAlone) {
  testing::MemFileSystem fs;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, SmallOptions(false)));
    ASSERT_OK(engine->Put("a", "1"));
    ASSERT_OK(engine->Flush());
  }
  // Table numbers 1..4 were reserved; table 1 is live.
  ASSERT_OK(io::WriteFileSynced(&fs, "/db/sst/000003.sst", "orphan"));
  ASSERT_OK(io::WriteFileSynced(&fs, "/db/sst/000004.sst.tmp", "partial"));
  ASSERT_OK(io::WriteFileSynced(&fs, "/db/wal/000077.log", "old segment"));
  ASSERT_OK(io::WriteFileSynced(&fs, "/db/sst/notes.txt", "not ours"));
  // Never allocated, so never written by an engine: not ours either.
  ASSERT_OK(io::WriteFileSynced(&fs, "/db/sst/000900.sst", "stranger"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, SmallOptions(false)));
  EXPECT_THAT(engine->open_report().orphans_deleted,
              ::testing::UnorderedElementsAre("/db/sst/000003.sst",
                                              "/db/sst/000004.sst.tmp",
                                              "/db/wal/000077.log"));
  EXPECT_OK(fs.FileExists("/db/sst/notes.txt"));
  EXPECT_OK(fs.FileExists("/db/sst/000900.sst"));
  EXPECT_THAT(engine->Get("a"), IsOkAndHolds("1"));
}

TEST(EngineTest, BackgroundThreadDeletesTableOrphansButNotItsOwnTables) {
  testing::MemFileSystem fs;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, SmallOptions(false)));
    ASSERT_OK(engine->Put("a", "1"));
    ASSERT_OK(engine->Flush());  // Reserves table numbers 1..4.
  }
  ASSERT_OK(io::WriteFileSynced(&fs, "/db/sst/000003.sst", "orphan"));
  EngineOptions options = SmallOptions(true);
  options.auto_compaction = false;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, options));
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(engine->Put(absl::StrCat("k", i), "v"));
    ASSERT_OK(engine->Flush());  // New tables, numbered from 5 on.
  }
  EXPECT_EQ(engine->stats().live_tables, 4u);
  ASSERT_OK(engine->Close());
  EXPECT_EQ(engine->stats().orphans_deleted_later, 1u);
  EXPECT_THAT(fs.FileExists("/db/sst/000003.sst"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(engine, Engine::Open(&fs, kDir, SmallOptions(false)));
  EXPECT_THAT(engine->open_report().orphans_deleted, ::testing::IsEmpty());
  ASSERT_OK(engine->Check().status());
}

TEST(EngineTest, BestEffortRecoveryOfADamagedWalDeletesNothing) {
  testing::MemFileSystem fs;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, SmallOptions(false)));
    ASSERT_OK(engine->Put("x", "flushed"));
    ASSERT_OK(engine->Flush());  // Table 1; numbers 1..4 reserved.
    ASSERT_OK(engine->Put("a", "1"));
    ASSERT_OK(engine->Put("b", "2"));
  }
  ASSERT_OK(io::WriteFileSynced(&fs, "/db/sst/000003.sst", "orphan"));
  // Damage the record of "a" in the active segment (header 28 bytes, the
  // flushed 13-byte record of "x" with its 7-byte fragment header, then
  // a's fragment header): a valid record follows, so this is DataLoss.
  ASSERT_OK_AND_ASSIGN(std::string wal,
                       io::ReadFileToString(&fs, "/db/wal/000001.log"));
  wal[28 + 7 + 13 + 7 + 2] ^= 0x01;
  ASSERT_OK(io::WriteFileSynced(&fs, "/db/wal/000001.log", wal));
  EXPECT_THAT(Engine::Open(&fs, kDir, SmallOptions(false)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("000001.log")));

  EngineOptions options = SmallOptions(false);
  options.best_effort = true;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, options));
  EXPECT_FALSE(engine->open_report().deletions_allowed);
  EXPECT_EQ(engine->open_report().wal_skipped.size(), 1u);
  EXPECT_THAT(engine->Get("a"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(engine->Get("b"), IsOkAndHolds("2"));
  EXPECT_THAT(engine->Get("x"), IsOkAndHolds("flushed"));
  ASSERT_OK(engine->Flush());
  // The flush retires the damaged segment, small as it is; the orphan and
  // the segment are both kept.
  EXPECT_OK(fs.FileExists("/db/sst/000003.sst"));
  EXPECT_OK(fs.FileExists("/db/wal/000001.log"));
  EXPECT_EQ(engine->stats().wals_deleted, 0u);
  ASSERT_OK(engine->Close());
  // The damage is behind the database now: a normal open succeeds and
  // deletes what is no longer needed.
  ASSERT_OK_AND_ASSIGN(engine, Engine::Open(&fs, kDir, SmallOptions(false)));
  EXPECT_THAT(engine->Get("b"), IsOkAndHolds("2"));
  EXPECT_THAT(engine->Get("x"), IsOkAndHolds("flushed"));
  EXPECT_THAT(fs.FileExists("/db/wal/000001.log"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(fs.FileExists("/db/sst/000003.sst"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(EngineTest, ASecondOpenOfTheSameDirectoryIsRefused) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, SmallOptions(false)));
  EXPECT_THAT(Engine::Open(&fs, kDir, SmallOptions(false)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot lock /db")));
}

TEST(EngineTest, CompactionDropsShadowedVersionsAndBottomTombstones) {
  testing::MemFileSystem fs;
  EngineOptions options = SmallOptions(false);
  options.auto_compaction = false;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, options));
  ASSERT_OK(engine->Put("a", "1"));
  ASSERT_OK(engine->Put("b", "1"));
  ASSERT_OK(engine->Flush());
  ASSERT_OK(engine->Put("a", "2"));
  ASSERT_OK(engine->Delete("b"));
  ASSERT_OK(engine->Flush());
  EXPECT_EQ(engine->stats().live_tables, 2u);
  ASSERT_OK(engine->Compact());
  EngineStats stats = engine->stats();
  EXPECT_EQ(stats.compactions, 1u);
  EXPECT_EQ(stats.live_tables, 1u);
  EXPECT_EQ(stats.tables_deleted, 2u);
  ASSERT_OK_AND_ASSIGN(CheckReport check, engine->Check());
  EXPECT_EQ(check.entries, 1u);  // Only a=2: b's tombstone had nothing below.
  EXPECT_THAT(engine->Get("a"), IsOkAndHolds("2"));
  EXPECT_THAT(engine->Get("b"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(EngineTest, CompactionWithADamagedInputKeepsItsInputs) {
  testing::MemFileSystem fs;
  EngineOptions options = SmallOptions(false);
  options.auto_compaction = false;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, options));
  for (int t = 0; t < 2; ++t) {
    for (int i = 0; i < 50; ++i) {
      ASSERT_OK(engine->Put(Key(i), absl::StrCat("value", t)));
    }
    ASSERT_OK(engine->Flush());
  }
  // Flip a byte in the first data block of the older table.
  const std::vector<std::string> names = TableFiles(fs);
  ASSERT_EQ(names.size(), 2u);
  const std::string victim = "/db/sst/" + names[0];
  ASSERT_OK_AND_ASSIGN(std::string bytes, io::ReadFileToString(&fs, victim));
  bytes[10] ^= 0x40;
  ASSERT_OK(io::WriteFileSynced(&fs, victim, bytes));

  EXPECT_THAT(engine->Compact(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(names[0])));
  EngineStats stats = engine->stats();
  EXPECT_EQ(stats.compaction_failures, 1u);
  EXPECT_EQ(stats.live_tables, 2u);
  ASSERT_OK(engine->health());  // Writes go on: the damage is in one table.
  // No output left: the inputs, and the spare made ahead.
  EXPECT_THAT(TableFiles(fs), ElementsAreArray(names));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> all, fs.ListDir("/db/sst"));
  EXPECT_GT(all.size(), names.size());
  EXPECT_THAT(engine->Check(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(engine->Get(Key(1)), IsOkAndHolds("value1"));  // Newer table.
}

TEST(EngineTest, AReaderPinsTheTablesACompactionRemoves) {
  testing::MemFileSystem fs;
  EngineOptions options = SmallOptions(false);
  options.auto_compaction = false;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, options));
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK(engine->Put(Key(i), std::string(100, 'v')));
    if (i % 50 == 49) {
      ASSERT_OK(engine->Flush());
    }
  }
  // Scans run while compactions replace the tables under them.
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) {
      absl::StatusOr<std::vector<KeyValue>> all = engine->Scan("", "");
      ASSERT_OK(all.status());
      ASSERT_EQ(all->size(), 200u);
    }
  });
  for (int round = 0; round < 20; ++round) {
    ASSERT_OK(engine->Put(Key(round), std::string(100, 'w')));
    ASSERT_OK(engine->Compact());
  }
  stop = true;
  reader.join();
  EXPECT_EQ(engine->stats().live_tables, 1u);
  // Every replaced table deleted in the end: by the next write-path step,
  // never by the reader that let the last of them go.
  ASSERT_OK(engine->Flush());
  EXPECT_EQ(TableFiles(fs).size(), 1u);
}

// The thread that drops the last version using a table is often a reader;
// an unlink can hold the disk for milliseconds, so no reader makes one.
TEST(EngineTest, NoReaderUnlinksATable) {
  for (const bool background : {false, true}) {
    SCOPED_TRACE(background ? "background" : "inline");
    testing::MemFileSystem mem;
    testing::FaultInjectionFileSystem fs(&mem);
    EngineOptions options = SmallOptions(background);
    options.auto_compaction = false;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, options));
    for (int t = 0; t < 4; ++t) {
      for (int i = t; i < 200; i += 4) {
        ASSERT_OK(engine->Put(Key(i), std::string(20, 'v')));
      }
      ASSERT_OK(engine->Flush());
    }
    // A reader thread holds the only version using the four tables while a
    // compaction replaces them, then lets it go.
    Mutex mu;
    std::set<std::thread::id> removers;
    fs.SetRemoveHook([&](const std::string& path) {
      if (path.find("/sst/") == std::string::npos) return;
      MutexLock lock(&mu);
      removers.insert(std::this_thread::get_id());
    });
    std::promise<void> holding, compacted, released;
    std::thread::id reader_id;
    std::thread reader([&] {
      reader_id = std::this_thread::get_id();
      std::unique_ptr<Iterator> it = engine->NewIterator();
      it->SeekToFirst();
      ASSERT_TRUE(it->Valid());
      holding.set_value();
      compacted.get_future().wait();
      it.reset();  // The last version using the four tables goes.
      released.set_value();
    });
    holding.get_future().wait();
    const size_t tables = TableFiles(mem).size();
    ASSERT_GE(tables, 4u);
    ASSERT_OK(engine->Compact());
    EXPECT_EQ(engine->stats().tables_deleted, 0u);  // Pinned by the reader.
    compacted.set_value();
    released.get_future().wait();
    reader.join();
    // Deleted by the background thread, or (inline) by the next Flush; Close
    // waits for the background thread.
    ASSERT_OK(engine->Flush());
    ASSERT_OK(engine->Close());
    EXPECT_EQ(engine->stats().tables_deleted, tables);
    EXPECT_EQ(TableFiles(mem).size(), 1u);
    MutexLock lock(&mu);
    EXPECT_FALSE(removers.empty());
    EXPECT_EQ(removers.count(reader_id), 0u);
  }
}

// 3000 puts over 700 keys: enough for many flushes, compactions and
// manifest checkpoints under SmallOptions.
void PutManyVersions(Engine* engine) {
  for (int i = 0; i < 3000; ++i) {
    ASSERT_OK(engine->Put(Key(i % 700), std::string(40, 'a' + i % 26)));
  }
}

TEST(EngineTest, AutomaticCompactionBoundsTheTableCount) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, SmallOptions(false)));
  ASSERT_NO_FATAL_FAILURE(PutManyVersions(engine.get()));
  EngineStats stats = engine->stats();
  EXPECT_GT(stats.flushes, 20u);
  EXPECT_GT(stats.compactions, 3u);
  EXPECT_LT(stats.live_tables, stats.flushes / 2);
  EXPECT_GT(stats.checkpoints, 0u);
  ASSERT_OK(engine->Check().status());
}

TEST(EngineTest, TheBackgroundThreadDeletesSupersededManifestGenerations) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, SmallOptions(true)));
  ASSERT_NO_FATAL_FAILURE(PutManyVersions(engine.get()));
  ASSERT_OK(engine->Flush());
  EXPECT_GE(engine->stats().checkpoints, 2u);
  ASSERT_OK(engine->Close());
  // Checkpoints left their predecessors to the thread (and Close): only
  // the newest generation and its fallback remain.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> files,
                       fs.ListDir("/db/manifest"));
  EXPECT_EQ(files.size(), 4u) << ::testing::PrintToString(files);
  ASSERT_OK_AND_ASSIGN(engine, Engine::Open(&fs, kDir, SmallOptions(true)));
  EXPECT_THAT(engine->Get(Key(699)),
              IsOkAndHolds(std::string(40, 'a' + 2799 % 26)));
}

TEST(EngineTest, ManifestLogStaysBoundedAcrossThousandsOfRestarts) {
  // What a thousand CLI commands do: open, write, flush, close. With the
  // default manifest options only the engine's checkpoint at close bounds
  // the log, and it must see the whole log, not this process's edits.
  testing::MemFileSystem fs;
  EngineOptions options = SmallOptions(/*background=*/false);
  options.manifest = {};
  uint64_t largest_log = 0;
  uint64_t generation = 0;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, options));
    const EngineStats stats = engine->stats();
    generation = stats.manifest_generation;
    ASSERT_OK_AND_ASSIGN(
        uint64_t size,
        fs.GetFileSize(absl::StrFormat("/db/manifest/%06d.log", generation)));
    ASSERT_EQ(stats.manifest_log_bytes, size) << "open " << i;
    largest_log = std::max(largest_log, size);
    ASSERT_OK(engine->Put(Key(i % 100), std::string(20, 'v')));
    ASSERT_OK(engine->Flush());
    ASSERT_OK(engine->Close());
  }
  // A flush edit is about a hundred bytes: 2000 of them would be 200 KB.
  // The engine checkpoints at close once the log passes 64 KiB.
  EXPECT_LE(largest_log, (64 + 1) << 10);
  EXPECT_GE(generation, 3u);
}

TEST(EngineTest, CheckDuringFlushesAndCompactionsRaisesNoFalseAlarm) {
  // Check pins the version it verifies: the background thread's
  // compactions and flushes delete inputs and WAL segments meanwhile.
  testing::MemFileSystem fs;
  EngineOptions options = SmallOptions(/*background=*/true);
  options.memtable_bytes = 1024;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, options));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 6000 && !done; ++i) {
      if (!engine->Put(Key(i % 300), std::string(40, 'a' + i % 26)).ok()) {
        break;
      }
    }
    done = true;
  });
  int checks = 0;
  while (!done) {
    absl::StatusOr<CheckReport> report = engine->Check();
    ASSERT_OK(report.status()) << "check " << checks;
    ++checks;
  }
  writer.join();
  EXPECT_GT(checks, 20);
  EXPECT_GT(engine->stats().compactions, 5u);
  ASSERT_OK(engine->Check().status());
}

TEST(EngineTest, ConcurrentWritersAndReaders) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, SmallOptions(true)));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string key = absl::StrFormat("t%d-%05d", t, i);
        ASSERT_OK(engine->Put(key, key));
        // A write is readable as soon as it is acknowledged.
        ASSERT_THAT(engine->Get(key), IsOkAndHolds(key));
        if (i % 100 == 99) {
          ASSERT_OK(engine->Flush());
        }
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 50; ++i) ASSERT_OK(engine->Scan("t", "u").status());
  });
  for (auto& t : threads) t.join();
  ASSERT_OK_AND_ASSIGN(std::vector<KeyValue> all, engine->Scan("", ""));
  EXPECT_EQ(all.size(), size_t{kThreads * kPerThread});
  ASSERT_OK(engine->Close());
  ASSERT_OK_AND_ASSIGN(engine, Engine::Open(&fs, kDir, SmallOptions(true)));
  ASSERT_OK_AND_ASSIGN(all, engine->Scan("", ""));
  EXPECT_EQ(all.size(), size_t{kThreads * kPerThread});
}

TEST(EngineTest, OversizedBatchIsRefusedAndChangesNothing) {
  testing::MemFileSystem fs;
  EngineOptions options = SmallOptions(false);
  options.max_batch_bytes = 1000;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, options));
  EXPECT_THAT(engine->Put("big", std::string(2000, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(engine->Put("small", "x"));
  EXPECT_THAT(engine->Get("big"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(engine->stats().last_lsn, 1u);
}

TEST(EngineTest, PosixDirectoryCanBeMoved) {
  testing::TempDir tmp;
  io::FileSystem* fs = io::PosixFileSystem();
  const std::string a = tmp.path() + "/a";
  const std::string b = tmp.path() + "/b";
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(fs, a, SmallOptions(false)));
    for (int i = 0; i < 100; ++i) ASSERT_OK(engine->Put(Key(i), Key(i)));
    ASSERT_OK(engine->Flush());
    ASSERT_OK(engine->Put("tail", "in the wal"));
  }
  ASSERT_OK(fs->RenameFile(a, b));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(fs, b, SmallOptions(false)));
  EXPECT_THAT(engine->Get(Key(42)), IsOkAndHolds(Key(42)));
  EXPECT_THAT(engine->Get("tail"), IsOkAndHolds("in the wal"));
  ASSERT_OK(engine->Check().status());
}

}  // namespace
}  // namespace strata::engine
