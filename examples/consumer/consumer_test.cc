// Proves that a target outside Strata can build on its public targets
// alone: @strata//engine (open, write, flush, read back), @strata//manifest
// (the reference design's one-op API), @strata//io, and the //testing
// helpers a consumer's own crash tests use — and what a backup agent, a
// read replica and a metrics exporter build on: a checkpoint, an event
// listener and a follower.
#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/events.h"
#include "gtest/gtest.h"
#include "io/file_system.h"
#include "io/posix_file_system.h"
#include "manifest/manifest.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"

namespace {

std::string TempDir(const char* name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return strata::io::JoinPath(tmp != nullptr ? tmp : "/tmp", name);
}

TEST(ConsumerTest, EngineWritesFlushesAndReadsBack) {
  strata::io::FileSystem* fs = strata::io::PosixFileSystem();
  const std::string dir = TempDir("consumer-db");
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<strata::engine::Engine> db,
                         strata::engine::Engine::Open(fs, dir));
    strata::engine::WriteBatch batch;
    batch.Put("apple", "red");
    batch.Put("banana", "yellow");
    batch.Delete("apple");
    ASSERT_OK(db->Write(batch));
    ASSERT_OK(db->Flush());
    EXPECT_EQ(db->stats().live_tables, 1u);
    ASSERT_OK(db->Close());
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<strata::engine::Engine> db,
                       strata::engine::Engine::Open(fs, dir));
  EXPECT_THAT(db->Get("banana"), strata::testing::IsOkAndHolds("yellow"));
  EXPECT_THAT(db->Get("apple"),
              strata::testing::StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(strata::engine::CheckReport check, db->Check());
  EXPECT_EQ(check.tables, 1u);
}

TEST(ConsumerTest, ManifestOneOpApiSurvivesACrash) {
  strata::testing::MemFileSystem mem;
  strata::testing::FaultInjectionFileSystem fs(&mem);
  ASSERT_OK(fs.CreateDir("/db"));
  ASSERT_OK(fs.SyncDir("/"));
  {
    ASSERT_OK_AND_ASSIGN(auto m,
                         strata::manifest::Manifest::Open(&fs, "/db/manifest"));
    ASSERT_OK(m->SetActiveWal(1));
    ASSERT_OK_AND_ASSIGN(uint64_t id, m->AllocateOneTableId());
    strata::manifest::TableMeta table;
    table.number = id;
    table.smallest_key = "a";
    table.largest_key = "z";
    ASSERT_OK(m->AddTable(table));
    ASSERT_OK(m->UpdateLsn(10));
  }
  ASSERT_OK(fs.SimulateCrash());
  ASSERT_OK_AND_ASSIGN(auto m,
                       strata::manifest::Manifest::Open(&fs, "/db/manifest"));
  EXPECT_EQ(m->current()->active_wal, 1u);
  EXPECT_EQ(m->current()->last_lsn, 10u);
  EXPECT_EQ(m->current()->tables.size(), 1u);
}

// A metrics exporter's view: counts flushes and the edits committed.
class FlushCounter : public strata::engine::EventListener {
 public:
  void OnFlushCompleted(const strata::engine::FlushInfo&) override {
    ++flushes;
  }
  void OnEditCommitted(const strata::manifest::Edit& edit) override {
    last_sequence = edit.sequence;
  }
  std::atomic<int> flushes{0};
  std::atomic<uint64_t> last_sequence{0};
};

TEST(ConsumerTest, CheckpointListenerAndFollower) {
  strata::io::FileSystem* fs = strata::io::PosixFileSystem();
  const std::string dir = TempDir("consumer-primary");
  const std::string backup = TempDir("consumer-backup");
  auto counter = std::make_shared<FlushCounter>();
  strata::engine::EngineOptions options;
  options.listeners = {counter};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<strata::engine::Engine> db,
                       strata::engine::Engine::Open(fs, dir, options));
  strata::engine::WriteBatch batch;
  batch.Put("k1", "v1");
  batch.Put("k2", "v2");
  uint64_t lsn = 0;
  ASSERT_OK(db->Write(batch, &lsn));
  EXPECT_EQ(lsn, db->LatestLsn());
  ASSERT_OK(db->Flush());

  // A backup agent: a checkpoint as of now, then the primary moves on.
  ASSERT_OK_AND_ASSIGN(strata::engine::CheckpointReport cp,
                       db->Checkpoint(backup));
  EXPECT_EQ(cp.lsn, lsn);

  // A read replica: follows the primary without its lock.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<strata::engine::Engine> replica,
                       strata::engine::Engine::OpenFollower(fs, dir));
  ASSERT_OK(db->Put("k1", "v1-new"));
  ASSERT_OK_AND_ASSIGN(strata::engine::CatchUpReport caught,
                       replica->CatchUp());
  EXPECT_EQ(caught.lsn, db->LatestLsn());
  EXPECT_THAT(replica->Get("k1"), strata::testing::IsOkAndHolds("v1-new"));
  {
    strata::engine::ScopedSnapshot snapshot(replica.get());
    ASSERT_OK_AND_ASSIGN(std::vector<strata::engine::KeyValue> all,
                         replica->Scan(snapshot.read_options(), "", ""));
    EXPECT_EQ(all.size(), 2u);
  }
  ASSERT_OK(replica->Close());
  ASSERT_OK(db->Close());
  EXPECT_GE(counter->flushes.load(), 1);
  EXPECT_GT(counter->last_sequence.load(), 0u);

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<strata::engine::Engine> restored,
                       strata::engine::Engine::Open(fs, backup));
  EXPECT_THAT(restored->Get("k1"), strata::testing::IsOkAndHolds("v1"));
}

}  // namespace
