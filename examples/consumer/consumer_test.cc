// Proves that a target outside Strata can build on its public targets
// alone: @strata//engine (open, write, flush, read back), @strata//manifest
// (the reference design's one-op API), @strata//io, and the //testing
// helpers a consumer's own crash tests use.
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/engine.h"
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

}  // namespace
