// What readers see: range deletes, snapshots, streaming iterators, bloom
// filters and tombstone compaction, one behaviour per test, and iterators
// beside background writes, flushes and compactions (run under TSan too:
// bazel test --config=tsan //engine:read_test).

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sstable/table_reader.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/random.h"
#include "testing/status_matchers.h"

namespace strata::engine {
namespace {

using ::strata::testing::IsOkAndHolds;
using ::strata::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kDir[] = "/db";
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;

std::string Key(int i) { return absl::StrFormat("key%04d", i); }

// Deterministic: no background thread, no automatic compaction unless a
// test turns it on, and a clock the test moves.
EngineOptions Options(std::atomic<int64_t>* clock = nullptr) {
  EngineOptions o;
  o.background_work = false;
  o.auto_compaction = false;
  o.table.block_size = 256;
  if (clock != nullptr) o.now_micros = [clock] { return clock->load(); };
  return o;
}

std::vector<std::string> Keys(Iterator* it, absl::string_view from = "") {
  std::vector<std::string> keys;
  for (it->Seek(from); it->Valid(); it->Next()) keys.emplace_back(it->key());
  EXPECT_OK(it->status());
  return keys;
}

std::vector<std::string> KeyRange(int from, int to) {
  std::vector<std::string> keys;
  for (int i = from; i < to; ++i) keys.push_back(Key(i));
  return keys;
}

TEST(RangeDeleteTest, HidesKeysInTheMemtableInTablesAndAfterReopen) {
  testing::MemFileSystem fs;
  auto open = [&] { return Engine::Open(&fs, kDir, Options()); };
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine, open());
  for (int i = 0; i < 20; ++i) ASSERT_OK(engine->Put(Key(i), "old"));
  ASSERT_OK(engine->Flush());  // 0..19 in a table.
  for (int i = 20; i < 40; ++i) ASSERT_OK(engine->Put(Key(i), "mem"));
  ASSERT_OK(engine->DeleteRange(Key(10), Key(30)));  // Across both.
  ASSERT_OK(engine->Put(Key(15), "after"));  // Newer than the tombstone.
  auto check = [&](const Engine& e) {
    EXPECT_THAT(e.Get(Key(9)), IsOkAndHolds("old"));
    EXPECT_THAT(e.Get(Key(10)), StatusIs(kNotFound));
    EXPECT_THAT(e.Get(Key(25)), StatusIs(kNotFound));
    EXPECT_THAT(e.Get(Key(15)), IsOkAndHolds("after"));
    EXPECT_THAT(e.Get(Key(30)), IsOkAndHolds("mem"));
    std::vector<std::string> want = KeyRange(0, 10);
    want.push_back(Key(15));
    for (const std::string& k : KeyRange(30, 40)) want.push_back(k);
    EXPECT_EQ(Keys(e.NewIterator().get()), want);
    ASSERT_OK_AND_ASSIGN(std::vector<KeyValue> some,
                         e.Scan(Key(5), Key(35), 7));
    ASSERT_EQ(some.size(), 7u);
    EXPECT_EQ(some[5].key, Key(15));
    EXPECT_EQ(some[6].key, Key(30));
  };
  check(*engine);
  ASSERT_OK(engine->Close());
  ASSERT_OK_AND_ASSIGN(engine, open());  // Replayed from the WAL.
  check(*engine);
  ASSERT_OK(engine->Flush());  // The tombstone in a table of its own run.
  check(*engine);
  ASSERT_OK(engine->Compact());  // Everything it covers is gone.
  check(*engine);
  EXPECT_EQ(engine->stats().live_tables, 1u);
  ASSERT_OK_AND_ASSIGN(CheckReport report, engine->Check());
  EXPECT_EQ(report.entries, 21u);  // 0..9, 15, 30..39: the tombstone went.
  ASSERT_OK(engine->Close());
  ASSERT_OK_AND_ASSIGN(engine, open());
  check(*engine);
}

TEST(RangeDeleteTest, AnEmptyOrBackwardRangeIsInvalidArgument) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, Options()));
  EXPECT_THAT(engine->DeleteRange("b", "b"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(engine->DeleteRange("c", "a"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(engine->stats().last_lsn, 0u);  // Nothing was written.
}

// The reference design's resurrection bug, end to end: its tombstone
// compaction judged "older" by table number, but a compaction's output has
// a new number and old data. Here the flush of the range tombstone writes
// into a file numbered before the compaction output that holds the key.
TEST(RangeDeleteTest, TombstoneCompactionDoesNotResurrectAnOlderNewerNumbered) {
  testing::MemFileSystem fs;
  std::atomic<int64_t> clock{1'000'000};
  EngineOptions o = Options(&clock);
  o.auto_compaction = true;
  o.compaction.min_tables = 100;  // Only the compactions the test asks for.
  o.compaction.tombstone_min_age_micros = 1000;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, o));
  ASSERT_OK(engine->Put("k", "deleted later"));
  ASSERT_OK(engine->Flush());
  ASSERT_OK(engine->Put("j", "x"));
  ASSERT_OK(engine->Flush());
  ASSERT_OK(engine->Compact());  // One output holding "k", new number.
  ASSERT_OK(engine->DeleteRange("a", "z"));
  ASSERT_OK(engine->Flush());  // The tombstone, into a spare made earlier.
  EXPECT_EQ(engine->stats().live_tables, 2u);
  // The precondition of the bug: the tombstone's table is numbered before
  // the table of older data (names sort by number).
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> names, fs.ListDir("/db/sst"));
  std::vector<uint64_t> tombstones_in;  // Per non-empty table, in order.
  for (const std::string& name : names) {
    if (fs.GetFileSize("/db/sst/" + name).value_or(0) == 0) continue;
    ASSERT_OK_AND_ASSIGN(auto table,
                         sstable::TableReader::Open(&fs, "/db/sst/" + name));
    tombstones_in.push_back(table->properties().range_tombstones);
  }
  EXPECT_EQ(tombstones_in, (std::vector<uint64_t>{1, 0}));
  clock += 2000;
  ASSERT_OK(engine->Put("zz", "v"));
  ASSERT_OK(engine->Flush());  // Runs due compactions: the tombstone table.
  EXPECT_EQ(engine->stats().tombstone_compactions, 1u);
  EXPECT_THAT(engine->Get("k"), StatusIs(kNotFound));
  EXPECT_THAT(engine->Get("j"), StatusIs(kNotFound));
  ASSERT_OK(engine->Close());
  ASSERT_OK_AND_ASSIGN(engine, Engine::Open(&fs, kDir, o));
  EXPECT_THAT(engine->Get("k"), StatusIs(kNotFound));
  EXPECT_EQ(Keys(engine->NewIterator().get()), std::vector<std::string>{"zz"});
}

TEST(TombstoneCompactionTest, ATableDenseWithTombstonesIsCompactedOnceOld) {
  testing::MemFileSystem fs;
  std::atomic<int64_t> clock{1'000'000};
  EngineOptions o = Options(&clock);
  o.auto_compaction = true;
  o.compaction.min_tables = 100;  // No size-tiered compaction.
  o.compaction.tombstone_min_age_micros = 1000;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, o));
  // A queue: written and consumed within one memtable.
  for (int i = 0; i < 100; ++i) ASSERT_OK(engine->Put(Key(i), "job"));
  for (int i = 0; i < 100; ++i) ASSERT_OK(engine->Delete(Key(i)));
  ASSERT_OK(engine->Flush());
  const uint64_t bytes = engine->stats().live_table_bytes;
  EXPECT_EQ(engine->stats().tombstone_compactions, 0u);  // Too young.
  clock += 999;
  ASSERT_OK(engine->Put("x", "1"));
  ASSERT_OK(engine->Flush());
  EXPECT_EQ(engine->stats().tombstone_compactions, 0u);
  clock += 1;
  ASSERT_OK(engine->Put("y", "1"));
  ASSERT_OK(engine->Flush());
  // The first table is old enough: compacted alone, to nothing. The two
  // young ones hold no tombstones.
  EXPECT_EQ(engine->stats().tombstone_compactions, 1u);
  EXPECT_EQ(engine->stats().live_tables, 2u);
  EXPECT_LT(engine->stats().live_table_bytes, bytes);
  EXPECT_THAT(engine->Get(Key(5)), StatusIs(kNotFound));
  EXPECT_EQ(Keys(engine->NewIterator().get()),
            (std::vector<std::string>{"x", "y"}));
}

TEST(SnapshotTest, ASnapshotReadsItsStateThroughFlushAndCompaction) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, Options()));
  for (int i = 0; i < 10; ++i) ASSERT_OK(engine->Put(Key(i), "v1"));
  const Snapshot* snap = engine->GetSnapshot();
  EXPECT_EQ(engine->stats().live_snapshots, 1u);
  ASSERT_OK(engine->Put(Key(1), "v2"));
  ASSERT_OK(engine->Delete(Key(2)));
  ASSERT_OK(engine->DeleteRange(Key(5), Key(8)));
  ASSERT_OK(engine->Put(Key(20), "new"));
  const ReadOptions at{snap};
  auto check = [&] {
    EXPECT_THAT(engine->Get(at, Key(1)), IsOkAndHolds("v1"));
    EXPECT_THAT(engine->Get(at, Key(2)), IsOkAndHolds("v1"));
    EXPECT_THAT(engine->Get(at, Key(6)), IsOkAndHolds("v1"));
    EXPECT_THAT(engine->Get(at, Key(20)), StatusIs(kNotFound));
    EXPECT_EQ(Keys(engine->NewIterator(at).get()), KeyRange(0, 10));
    EXPECT_THAT(engine->Get(Key(1)), IsOkAndHolds("v2"));
    EXPECT_THAT(engine->Get(Key(6)), StatusIs(kNotFound));
    std::vector<std::string> now = {Key(0), Key(1), Key(3), Key(4),
                                    Key(8), Key(9), Key(20)};
    EXPECT_EQ(Keys(engine->NewIterator().get()), now);
  };
  check();
  ASSERT_OK(engine->Flush());
  check();
  ASSERT_OK(engine->Compact());
  check();
  ASSERT_OK_AND_ASSIGN(CheckReport kept, engine->Check());
  engine->ReleaseSnapshot(snap);
  EXPECT_EQ(engine->stats().live_snapshots, 0u);
  ASSERT_OK(engine->Put("zz", "1"));  // Compact() skips a lone clean table.
  ASSERT_OK(engine->Compact());
  ASSERT_OK_AND_ASSIGN(CheckReport after, engine->Check());
  // The versions only the snapshot saw are gone once it is released:
  // key 1's v1, key 2's put and tombstone, keys 5..7 and the tombstone.
  EXPECT_EQ(kept.entries - after.entries + 1, 1u + 2u + 3u + 1u);
}

TEST(IteratorTest, AnIteratorKeepsReadingTheTablesACompactionReplaced) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, Options()));
  for (int t = 0; t < 4; ++t) {
    for (int i = t; i < 200; i += 4) ASSERT_OK(engine->Put(Key(i), "v"));
    ASSERT_OK(engine->Flush());
  }
  std::unique_ptr<Iterator> it = engine->NewIterator();
  it->Seek(Key(50));
  ASSERT_TRUE(it->Valid());
  ASSERT_OK(engine->Compact());  // Replaces the four tables it reads.
  EXPECT_EQ(engine->stats().tables_deleted, 0u);  // Pinned.
  std::vector<std::string> rest;
  for (; it->Valid(); it->Next()) rest.emplace_back(it->key());
  ASSERT_OK(it->status());
  EXPECT_EQ(rest, KeyRange(50, 200));
  it.reset();
  // The reader that let them go does not unlink them: without a background
  // thread, the next write-path step does.
  EXPECT_EQ(engine->stats().tables_deleted, 0u);
  ASSERT_OK(engine->Flush());
  EXPECT_EQ(engine->stats().tables_deleted, 4u);
}

TEST(IteratorTest, ALimitedScanReadsAFewBlocksWhateverTheTableCount) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, Options()));
  // 100 tables of disjoint ranges: one run, read one table at a time.
  for (int t = 0; t < 100; ++t) {
    for (int i = 0; i < 50; ++i) ASSERT_OK(engine->Put(Key(t * 50 + i), "v"));
    ASSERT_OK(engine->Flush());
  }
  const uint64_t before = engine->stats().table_blocks_read;
  ASSERT_OK_AND_ASSIGN(std::vector<KeyValue> ten,
                       engine->Scan(Key(2500), "", 10));
  ASSERT_EQ(ten.size(), 10u);
  EXPECT_EQ(ten[9].key, Key(2509));
  EXPECT_LE(engine->stats().table_blocks_read - before, 2u);
}

TEST(IteratorTest, AMissingTableIsDataLossAndAClosedEngineRefuses) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, Options()));
  for (int t = 0; t < 3; ++t) {
    for (int i = 0; i < 10; ++i) ASSERT_OK(engine->Put(Key(t * 10 + i), "v"));
    ASSERT_OK(engine->Flush());
  }
  // The middle table's file goes missing (nothing has opened it yet).
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> names, fs.ListDir("/db/sst"));
  std::vector<std::string> tables;
  for (const std::string& name : names) {
    if (fs.GetFileSize("/db/sst/" + name).value_or(0) > 0) {
      tables.push_back(name);
    }
  }
  ASSERT_EQ(tables.size(), 3u);
  ASSERT_OK(fs.RemoveFile("/db/sst/" + tables[1]));
  std::unique_ptr<Iterator> it = engine->NewIterator();
  std::vector<std::string> seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) seen.emplace_back(it->key());
  EXPECT_EQ(seen, KeyRange(0, 10));  // Then the missing table stops it.
  EXPECT_THAT(it->status(), StatusIs(absl::StatusCode::kDataLoss));
  it->Seek(Key(25));  // Past it: the last table reads.
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(25));
  it.reset();
  ASSERT_OK(engine->Close());
  it = engine->NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(it->status(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

// Every table's range holds the missing keys, so only the filters keep a
// lookup from reading a block of each.
TEST(BloomTest, AGetOfAMissingKeyOver100TablesReadsAFewBlocks) {
  for (const uint32_t bits : {10u, 0u}) {
    testing::MemFileSystem fs;
    EngineOptions o = Options();
    o.table.bloom_bits_per_key = bits;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, o));
    for (int t = 0; t < 100; ++t) {
      for (int i = 0; i < 20; ++i) {
        ASSERT_OK(engine->Put(Key(2 * (t + 100 * i)), "v"));  // Even keys.
      }
      ASSERT_OK(engine->Flush());
    }
    ASSERT_EQ(engine->stats().live_tables, 100u);
    const uint64_t before = engine->stats().table_blocks_read;
    const uint64_t hits_before = engine->stats().block_cache_hits;
    constexpr int kGets = 200;
    for (int i = 0; i < kGets; ++i) {
      // Odd, so absent; between 200 and 3800, inside every table's range.
      ASSERT_THAT(engine->Get(Key(2 * (100 + i * 9 % 1800) + 1)),
                  StatusIs(kNotFound));
    }
    const uint64_t blocks = engine->stats().table_blocks_read - before;
    const uint64_t hits = engine->stats().block_cache_hits - hits_before;
    if (bits == 0) {
      // Every table's block is looked up: read once, then from the cache.
      EXPECT_EQ(blocks, 100u);
      EXPECT_EQ(blocks + hits, 100u * kGets);
    } else {
      EXPECT_LE(blocks, 3u * kGets);  // About 1 per lookup at 1%.
      EXPECT_GE(engine->stats().filter_skips, 90u * kGets);
    }
    ASSERT_THAT(engine->Get(Key(2 * 1234)), IsOkAndHolds("v"));
  }
}

TEST(BloomTest, TablesWithoutAFilterStillOpenAndRead) {
  testing::MemFileSystem fs;
  EngineOptions old = Options();
  old.table.bloom_bits_per_key = 0;  // What every table was before.
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, old));
    for (int i = 0; i < 50; ++i) ASSERT_OK(engine->Put(Key(i), "old"));
    ASSERT_OK(engine->Flush());
    ASSERT_OK(engine->Close());
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, Options()));
  ASSERT_OK(engine->Put(Key(100), "new"));
  ASSERT_OK(engine->Flush());
  EXPECT_THAT(engine->Get(Key(7)), IsOkAndHolds("old"));
  EXPECT_THAT(engine->Get(Key(100)), IsOkAndHolds("new"));
  EXPECT_THAT(engine->Get(Key(77)), StatusIs(kNotFound));
  ASSERT_OK_AND_ASSIGN(CheckReport report, engine->Check());
  EXPECT_EQ(report.tables, 2u);
  ASSERT_OK(engine->Compact());  // The merged table has a filter.
  EXPECT_THAT(engine->Get(Key(7)), IsOkAndHolds("old"));
}

// Readers iterate, at snapshots and at the latest state, while writers put
// and delete ranges and the background thread flushes and compacts. A
// snapshot's view never changes; every view is sorted and complete.
TEST(IteratorTest, IteratorsReadBesideWritesFlushesAndCompactions) {
  testing::MemFileSystem fs;
  EngineOptions o;
  o.memtable_bytes = 8 << 10;
  o.compaction.min_tables = 3;
  o.compaction.tier_base_bytes = 16 << 10;
  o.table.block_size = 512;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, kDir, o));
  // Keys 0..199 always hold a value; writers rewrite and range-delete only
  // keys 200 and up.
  for (int i = 0; i < 200; ++i) ASSERT_OK(engine->Put(Key(i), "fixed"));
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    testing::Random rnd(5);
    for (int n = 0; n < 3000; ++n) {
      const int k = 200 + rnd.Uniform(800);
      if (rnd.OneIn(20)) {
        ASSERT_OK(engine->DeleteRange(Key(k), Key(k + 30)));
      } else {
        ASSERT_OK(engine->Put(Key(k), rnd.Printable(40)));
      }
    }
    stop = true;
  });
  std::thread reader([&] {
    while (!stop) {
      const Snapshot* snap = engine->GetSnapshot();
      std::unique_ptr<Iterator> it = engine->NewIterator({snap});
      const std::vector<std::string> first = Keys(it.get());
      ASSERT_TRUE(std::is_sorted(first.begin(), first.end()));
      ASSERT_GE(first.size(), 200u);
      ASSERT_EQ(first[199], Key(199));
      std::this_thread::yield();
      EXPECT_EQ(Keys(engine->NewIterator({snap}).get()), first);
      it.reset();
      engine->ReleaseSnapshot(snap);
    }
  });
  writer.join();
  reader.join();
  EXPECT_GT(engine->stats().compactions, 0u);
  ASSERT_OK(engine->health());
  ASSERT_OK(engine->Close());
}

}  // namespace
}  // namespace strata::engine

namespace strata::engine {
namespace {

// A disk that fails reads of tables: a bad sector under a table, or a
// device that drops out for a while. Reads report it, the engine stays up,
// and reads succeed again once the disk does.
TEST(ReadErrorTest, AnIoErrorOnATableReadIsReturnedNamingFileAndOffset) {
  for (const bool mmap : {false, true}) {
    SCOPED_TRACE(mmap ? "mmap" : "pread");
    testing::MemFileSystem mem;
    testing::FaultInjectionFileSystem fs(&mem);
    EngineOptions o = Options();
    o.mmap_reads = mmap;
    o.auto_compaction = true;
    o.compaction.min_tables = 5;  // Due at the fifth table.
    {
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                           Engine::Open(&fs, kDir, o));
      for (int t = 0; t < 4; ++t) {
        for (int i = t; i < 400; i += 4) ASSERT_OK(engine->Put(Key(i), "v"));
        ASSERT_OK(engine->Flush());
      }
    }
    // Reopened: nothing cached, every block must come from the disk.
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, kDir, o));
    std::atomic<int> failing{EIO};
    std::atomic<int> failed_reads{0};
    fs.SetReadFault([&](const std::string& path, uint64_t, size_t) {
      if (path.find("/sst/") == std::string::npos) return 0;
      const int err = failing.load();
      if (err != 0) ++failed_reads;
      return err;
    });
    const auto names_the_read =
        AllOf(HasSubstr("/db/sst/"), HasSubstr(".sst"), HasSubstr("at offset"),
              HasSubstr("Input/output error"));
    EXPECT_THAT(engine->Get(Key(101)),
                StatusIs(absl::StatusCode::kUnknown, names_the_read));
    {
      std::unique_ptr<Iterator> it = engine->NewIterator();
      it->SeekToFirst();
      EXPECT_FALSE(it->Valid());
      EXPECT_THAT(it->status(),
                  StatusIs(absl::StatusCode::kUnknown, names_the_read));
    }
    EXPECT_THAT(engine->Scan("", ""), StatusIs(absl::StatusCode::kUnknown));
    // The fifth table makes a compaction due, which cannot read its
    // inputs: it fails and keeps them, without writing them off as damaged
    // (as it would a table that fails its checksum).
    ASSERT_OK(engine->Put("fresh", "yes"));
    EXPECT_FALSE(engine->Flush().ok());
    EXPECT_GT(failed_reads.load(), 0);
    EXPECT_EQ(engine->stats().live_tables, 5u);
    // Writes, and reads the memtable answers, go on.
    EXPECT_OK(engine->health());
    ASSERT_OK(engine->Put("fresher", "yes"));
    EXPECT_THAT(engine->Get("fresher"), IsOkAndHolds("yes"));

    failing = 0;  // The disk is back.
    EXPECT_THAT(engine->Get(Key(101)), IsOkAndHolds("v"));
    ASSERT_OK_AND_ASSIGN(std::vector<KeyValue> all, engine->Scan("", ""));
    EXPECT_EQ(all.size(), 402u);
    // The next flush makes six tables; all of them are merged.
    ASSERT_OK(engine->Flush());
    EXPECT_EQ(engine->stats().live_tables, 1u);
    EXPECT_THAT(engine->Get(Key(399)), IsOkAndHolds("v"));
    fs.SetReadFault(nullptr);
  }
}

}  // namespace
}  // namespace strata::engine
