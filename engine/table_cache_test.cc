// The bounded table cache: TableCache's eviction on its own, then an engine
// over 100,000 live tables with max_open_tables = 256, on a real file
// system, counting the process's open descriptors.

#include "engine/table_cache.h"

#include <dirent.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/build_table.h"
#include "engine/db_dir.h"
#include "engine/engine.h"
#include "gtest/gtest.h"
#include "io/posix_file_system.h"
#include "io/status_macros.h"
#include "manifest/manifest.h"
#include "manifest/snapshot.h"
#include "sstable/table_writer.h"
#include "testing/mem_file_system.h"
#include "testing/random.h"
#include "testing/status_matchers.h"
#include "wal/writer.h"

namespace strata::engine {
namespace {

using ::strata::testing::IsOkAndHolds;

// Writes table `number` holding `keys` puts of "k<n>"... at LSN `number`.
absl::StatusOr<manifest::TableMeta> WriteTable(io::FileSystem* fs,
                                               const std::string& sst_dir,
                                               uint64_t number, int keys) {
  const std::string path =
      io::JoinPath(sst_dir, sstable::TableFileName(number));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<sstable::TableWriter> writer,
                          sstable::TableWriter::Create(fs, path));
  for (int i = 0; i < keys; ++i) {
    const std::string key = absl::StrFormat("k%08d.%d", number, i);
    STRATA_RETURN_IF_ERROR(writer->Put(key, number, absl::StrCat("v", number)));
  }
  STRATA_ASSIGN_OR_RETURN(sstable::TableProperties p, writer->Finish());
  return MetaFromProperties(number, p, /*level=*/0);
}

TEST(TableCacheTest, KeepsAtMostMaxOpenAndReopensWhatItLetGo) {
  testing::MemFileSystem fs;
  ASSERT_OK(fs.CreateDir("/sst"));
  for (uint64_t n = 1; n <= 10; ++n) {
    ASSERT_OK(WriteTable(&fs, "/sst", n, 3).status());
  }
  TableCache cache(&fs, "/sst", TableCacheOptions{4, false, {}});
  for (uint64_t n = 1; n <= 10; ++n) {
    ASSERT_OK(cache.Get(n).status());
    EXPECT_LE(cache.open_tables(), 4u);
  }
  EXPECT_EQ(cache.opens(), 10u);
  EXPECT_EQ(cache.evictions(), 6u);
  // 7..10 are open: no new open for them; 1 was let go.
  for (uint64_t n = 7; n <= 10; ++n) ASSERT_OK(cache.Get(n).status());
  EXPECT_EQ(cache.opens(), 10u);
  ASSERT_OK(cache.Get(1).status());
  EXPECT_EQ(cache.opens(), 11u);
}

TEST(TableCacheTest, TheLeastRecentlyUsedGoesFirst) {
  testing::MemFileSystem fs;
  ASSERT_OK(fs.CreateDir("/sst"));
  for (uint64_t n = 1; n <= 4; ++n) {
    ASSERT_OK(WriteTable(&fs, "/sst", n, 3).status());
  }
  TableCache cache(&fs, "/sst", TableCacheOptions{3, false, {}});
  for (uint64_t n : {1, 2, 3, 1, 4}) ASSERT_OK(cache.Get(n).status());
  // 4 pushed out 2, the least recently used; 1 stayed.
  const uint64_t opens = cache.opens();
  ASSERT_OK(cache.Get(1).status());
  EXPECT_EQ(cache.opens(), opens);
  ASSERT_OK(cache.Get(2).status());
  EXPECT_EQ(cache.opens(), opens + 1);
}

TEST(TableCacheTest, AReaderHeldOutlivesItsEvictionAndAPinningCacheKeepsAll) {
  testing::MemFileSystem fs;
  ASSERT_OK(fs.CreateDir("/sst"));
  for (uint64_t n = 1; n <= 5; ++n) {
    ASSERT_OK(WriteTable(&fs, "/sst", n, 3).status());
  }
  TableCache cache(&fs, "/sst", TableCacheOptions{1, false, {}});
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const sstable::TableReader> held,
                       cache.Get(1));
  for (uint64_t n = 2; n <= 5; ++n) ASSERT_OK(cache.Get(n).status());
  ASSERT_OK(fs.RemoveFile(cache.TablePath(1)));
  // Let go by the cache, deleted from the directory, still readable.
  ASSERT_OK_AND_ASSIGN(std::optional<sstable::Found> found,
                       held->Get("k00000001.0"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->value, "v1");

  TableCache pinning(&fs, "/sst", TableCacheOptions{1, true, {}});
  for (uint64_t n = 2; n <= 5; ++n) ASSERT_OK(pinning.Get(n).status());
  EXPECT_EQ(pinning.open_tables(), 4u);
  EXPECT_EQ(pinning.evictions(), 0u);
  pinning.Evict(3);
  EXPECT_EQ(pinning.open_tables(), 3u);
}

// Descriptors this process has open.
size_t OpenDescriptors() {
  size_t n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return 0;
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

// A directory on tmpfs where there is one (100,000 table syncs are then
// free), removed with its contents.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string base = std::filesystem::is_directory("/dev/shm")
                           ? "/dev/shm"
                           : (tmp != nullptr ? tmp : "/tmp");
    std::string tmpl = base + "/strata-table-cache-XXXXXX";
    path_ = mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

constexpr uint64_t kTables = 100000;
constexpr int kKeysPerTable = 3;
constexpr size_t kMaxOpen = 256;
// The engine's own descriptors: the lock, the WAL segment, the manifest
// log, directories opened for syncs, the reader a read in progress holds.
constexpr size_t kSlack = 16;

std::string KeyOf(uint64_t table, int i) {
  return absl::StrFormat("k%08d.%d", table, i);
}

// A database of kTables live tables, disjoint, made directly: the tables,
// a manifest snapshot listing them, an empty first WAL segment.
void MakeDatabase(const std::string& dir) {
  io::FileSystem* fs = io::PosixFileSystem();
  const std::string sst = io::JoinPath(dir, kSstDir);
  const std::string man = io::JoinPath(dir, kManifestDir);
  const std::string wal = io::JoinPath(dir, kWalDir);
  for (const std::string& d : {dir, man, sst, wal}) ASSERT_OK(fs->CreateDir(d));
  manifest::State state;
  state.last_sequence = 1;
  state.active_wal = 1;
  state.next_table_number = kTables + 1;
  state.last_lsn = kTables;
  for (uint64_t n = 1; n <= kTables; ++n) {
    ASSERT_OK_AND_ASSIGN(manifest::TableMeta t,
                         WriteTable(fs, sst, n, kKeysPerTable));
    state.tables.Put(std::move(t));
  }
  { ASSERT_OK(manifest::Manifest::Open(fs, man).status()); }
  ASSERT_OK(manifest::WriteSnapshot(fs, man, 1, state).status());
  ASSERT_OK(wal::Writer::Create(fs, wal, 1, wal::WriterOptions()).status());
}

TEST(BoundedTableCacheTest, HundredThousandTablesWithinTheDescriptorLimit) {
  ScratchDir scratch;
  ASSERT_FALSE(scratch.path().empty());
  const std::string dir = scratch.path() + "/db";
  ASSERT_NO_FATAL_FAILURE(MakeDatabase(dir));
  const size_t baseline = OpenDescriptors();
  ASSERT_GT(baseline, 0u);
  const size_t limit = baseline + kMaxOpen + kSlack;

  EngineOptions options;
  options.max_open_tables = kMaxOpen;
  options.background_work = false;
  options.auto_compaction = false;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(io::PosixFileSystem(), dir, options));
  ASSERT_EQ(engine->stats().live_tables, kTables);

  // Random point reads, each in a table of its own.
  testing::Random rnd(30);
  for (int i = 0; i < 20000; ++i) {
    const uint64_t t = 1 + rnd.Uniform(kTables);
    ASSERT_THAT(engine->Get(KeyOf(t, rnd.Uniform(kKeysPerTable))),
                IsOkAndHolds(absl::StrCat("v", t)));
    if (i % 1000 == 0) {
      ASSERT_LE(OpenDescriptors(), limit) << i;
    }
  }
  EXPECT_LE(engine->stats().open_tables, kMaxOpen);
  EXPECT_GT(engine->stats().table_opens, kMaxOpen);

  // Iterators: short scans from random places, and one over everything
  // (one run of disjoint tables: one table open at a time).
  for (int i = 0; i < 200; ++i) {
    const uint64_t t = 1 + rnd.Uniform(kTables - 10);
    ASSERT_OK_AND_ASSIGN(std::vector<KeyValue> got,
                         engine->Scan(KeyOf(t, 0), "", 10));
    ASSERT_EQ(got.size(), 10u);
    EXPECT_EQ(got[9].key, KeyOf(t + 3, 0));
  }
  {
    std::unique_ptr<Iterator> it = engine->NewIterator();
    uint64_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (++n % 50000 == 0) {
        ASSERT_LE(OpenDescriptors(), limit) << n;
      }
    }
    ASSERT_OK(it->status());
    EXPECT_EQ(n, kTables * kKeysPerTable);
  }

  // New writes over old keys, then a compaction of every table: its merge
  // reads run by run, so it too holds few tables open.
  for (uint64_t t = 1; t <= kTables; t += 1000) {
    ASSERT_OK(engine->Put(KeyOf(t, 0), "new"));
  }
  ASSERT_OK(engine->Flush());
  size_t most_open = 0;
  ASSERT_OK(engine->Compact([&](uint64_t, uint64_t) {
    most_open = std::max(most_open, OpenDescriptors());
  }));
  EXPECT_GT(most_open, 0u);
  EXPECT_LE(most_open, limit);
  EXPECT_EQ(engine->stats().live_tables, 1u);
  EXPECT_THAT(engine->Get(KeyOf(1, 0)), IsOkAndHolds("new"));
  EXPECT_THAT(engine->Get(KeyOf(1, 1)), IsOkAndHolds("v1"));
  EXPECT_THAT(engine->Get(KeyOf(kTables, 2)),
              IsOkAndHolds(absl::StrCat("v", kTables)));
  engine.reset();
  EXPECT_LE(OpenDescriptors(), baseline);
}

}  // namespace
}  // namespace strata::engine
