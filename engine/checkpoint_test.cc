// Engine::Checkpoint: the copy opens with exactly the state at its LSN,
// diverges without touching the source, is whole or absent after a crash at
// any step, and equals a model at its LSN when taken under concurrent
// writes, flushes and compactions.

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/db_dir.h"
#include "engine/engine.h"
#include "gtest/gtest.h"
#include "io/posix_file_system.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/random.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace strata::engine {
namespace {

using ::strata::testing::FaultInjectionFileSystem;
using ::strata::testing::StatusIs;

using Contents = std::map<std::string, std::string>;

EngineOptions Inline() {
  EngineOptions o;
  o.background_work = false;
  o.auto_compaction = false;
  return o;
}

Contents ReadAll(const Engine& engine) {
  absl::StatusOr<std::vector<KeyValue>> all = engine.Scan("", "");
  EXPECT_TRUE(all.ok()) << all.status();
  Contents out;
  if (all.ok()) {
    for (KeyValue& kv : *all) out[kv.key] = kv.value;
  }
  return out;
}

// One op of a model: a put (value), a delete (no value) or a range delete.
struct Op {
  uint64_t lsn = 0;
  enum Kind { kPut, kDelete, kDeleteRange } kind = kPut;
  std::string key;
  std::string value;  // kPut: the value; kDeleteRange: the end.
};

Contents ModelAt(std::vector<Op> ops, uint64_t lsn) {
  std::sort(ops.begin(), ops.end(),
            [](const Op& a, const Op& b) { return a.lsn < b.lsn; });
  Contents m;
  for (const Op& op : ops) {
    if (op.lsn > lsn) break;
    switch (op.kind) {
      case Op::kPut:
        m[op.key] = op.value;
        break;
      case Op::kDelete:
        m.erase(op.key);
        break;
      case Op::kDeleteRange:
        m.erase(m.lower_bound(op.key), m.lower_bound(op.value));
        break;
    }
  }
  return m;
}

TEST(CheckpointTest, TheCopyHoldsTheStateAtItsLsnAndDiverges) {
  testing::TempDir tmp;
  io::FileSystem* fs = io::PosixFileSystem();
  const std::string src = io::JoinPath(tmp.path(), "db");
  const std::string dest = io::JoinPath(tmp.path(), "copy");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(fs, src, Inline()));
  for (int i = 0; i < 50; ++i) {
    ASSERT_OK(engine->Put(absl::StrFormat("k%03d", i), "in-table"));
  }
  ASSERT_OK(engine->Flush());
  for (int i = 0; i < 50; i += 2) {
    ASSERT_OK(engine->Put(absl::StrFormat("k%03d", i), "in-memtable"));
  }
  ASSERT_OK(engine->DeleteRange("k010", "k020"));
  ASSERT_OK(engine->Delete("k030"));
  const Contents want = ReadAll(*engine);

  ASSERT_OK_AND_ASSIGN(CheckpointReport report, engine->Checkpoint(dest));
  EXPECT_EQ(report.lsn, engine->LatestLsn());
  EXPECT_EQ(report.tables, 1u);
  EXPECT_EQ(report.tables_linked, 1u);
  EXPECT_EQ(report.wal_entries, 27u);  // 25 puts, a range delete, a delete.
  EXPECT_THAT(engine->Checkpoint(dest).status(),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // The CHECKPOINT file's bytes (docs/engine.md, "Checkpoints").
  EXPECT_EQ(*io::ReadFileToString(fs, io::JoinPath(dest, kCheckpointFile)),
            absl::StrCat("strata checkpoint\nsource ", src, "\nlsn ",
                         report.lsn, "\n"));

  // The source goes on; the copy does not see it.
  ASSERT_OK(engine->Put("k001", "source-after"));
  ASSERT_OK(engine->Compact());
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> copy,
                         Engine::Open(fs, dest, Inline()));
    EXPECT_EQ(copy->LatestLsn(), report.lsn);
    EXPECT_EQ(ReadAll(*copy), want);
    EXPECT_TRUE(copy->open_report().foreign_files.empty());
    // The copy diverges, and compacts away its linked table.
    ASSERT_OK(copy->Put("k002", "copy-after"));
    ASSERT_OK(copy->Compact());
    ASSERT_OK(copy->Close());
  }
  EXPECT_EQ(*engine->Get("k001"), "source-after");
  EXPECT_EQ(*engine->Get("k002"), "in-memtable");
  ASSERT_OK(engine->Check().status());
  ASSERT_OK(engine->Close());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> copy,
                       Engine::Open(fs, dest, Inline()));
  EXPECT_EQ(*copy->Get("k002"), "copy-after");
  EXPECT_EQ(*copy->Get("k001"), "in-table");
}

TEST(CheckpointTest, WhatIsNotAStrataLeftoverIsRefusedAndKept) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, "/db", Inline()));
  ASSERT_OK(engine->Put("a", "1"));
  ASSERT_OK(fs.CreateDir("/exists"));
  EXPECT_THAT(engine->Checkpoint("/exists").status(),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK(fs.CreateDir("/cp.checkpoint-tmp"));
  ASSERT_OK(io::WriteFileSynced(&fs, "/cp.checkpoint-tmp/mine", "user data"));
  EXPECT_THAT(engine->Checkpoint("/cp").status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(*io::ReadFileToString(&fs, "/cp.checkpoint-tmp/mine"), "user data");
  EXPECT_TRUE(absl::IsNotFound(fs.FileExists("/cp")));
  // A trailing slash names the same directory.
  ASSERT_OK(engine->Checkpoint("/slash/").status());
  EXPECT_TRUE(absl::IsNotFound(fs.FileExists("/slash/.checkpoint-tmp")));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> copy,
                       Engine::Open(&fs, "/slash", Inline()));
  EXPECT_EQ(*copy->Get("a"), "1");
}

// A database in `fs` at /db with tables, frozen-free memtable content and
// range deletes; returns its contents.
Contents MakeSource(io::FileSystem* fs) {
  EngineOptions o = Inline();
  o.memtable_bytes = 2048;  // Several tables.
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(fs, "/db", o);
  EXPECT_TRUE(engine.ok()) << engine.status();
  for (int i = 0; i < 120; ++i) {
    EXPECT_TRUE((*engine)
                    ->Put(absl::StrFormat("key%03d", i % 70),
                          absl::StrCat("value-", i, std::string(20, 'x')))
                    .ok());
  }
  EXPECT_TRUE((*engine)->DeleteRange("key010", "key015").ok());
  EXPECT_TRUE((*engine)->Delete("key020").ok());
  Contents want = ReadAll(**engine);
  EXPECT_TRUE((*engine)->Close().ok());
  return want;
}

TEST(CheckpointTest, ACrashAtEveryStepLeavesTheCopyWholeOrAbsent) {
  int whole = 0, absent = 0;
  for (uint64_t step = 0;; ++step) {
    SCOPED_TRACE(absl::StrCat("crash at step ", step));
    testing::MemFileSystem base;
    const Contents want = MakeSource(&base);
    FaultInjectionFileSystem fs(&base);
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, "/db", Inline()));
    fs.FreezeAt(fs.operation_count() + step);
    absl::StatusOr<CheckpointReport> report = engine->Checkpoint("/cp");
    engine.reset();
    ASSERT_OK(fs.SimulateCrash());
    if (report.ok()) {
      // Returned: the copy is durable.
      ASSERT_OK(fs.FileExists("/cp"));
    }
    if (fs.FileExists("/cp").ok()) {
      ++whole;
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> copy,
                           Engine::Open(&fs, "/cp", Inline()));
      EXPECT_EQ(ReadAll(*copy), want);
      ASSERT_OK(copy->Close());
    } else {
      ++absent;
      // What the crash left does not stop the next checkpoint.
      ASSERT_OK_AND_ASSIGN(engine, Engine::Open(&fs, "/db", Inline()));
      ASSERT_OK(engine->Checkpoint("/cp").status());
      ASSERT_OK(engine->Close());
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> copy,
                           Engine::Open(&fs, "/cp", Inline()));
      EXPECT_EQ(ReadAll(*copy), want);
    }
    // The source is untouched.
    ASSERT_OK_AND_ASSIGN(engine, Engine::Open(&fs, "/db", Inline()));
    EXPECT_EQ(ReadAll(*engine), want);
    ASSERT_OK(engine->Check().status());
    if (report.ok()) break;
  }
  EXPECT_GT(absent, 10);
  EXPECT_GE(whole, 1);
}

TEST(CheckpointTest, CheckpointsUnderConcurrentWorkEqualTheModelAtTheirLsn) {
  testing::TempDir tmp;
  io::FileSystem* fs = io::PosixFileSystem();
  const std::string src = io::JoinPath(tmp.path(), "db");
  EngineOptions o;
  o.memtable_bytes = 8 << 10;  // Flushes and compactions throughout.
  o.compaction.min_tables = 2;
  o.wal_sync = wal::SyncPolicy::Never();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(fs, src, o));
  constexpr int kWriters = 2;
  constexpr int kOpsPerWriter = 3000;
  std::vector<std::vector<Op>> logs(kWriters);
  std::atomic<int> done{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      testing::Random rnd(w + 1);
      for (int i = 0; i < kOpsPerWriter; ++i) {
        Op op;
        op.key = absl::StrFormat("k%03d", rnd.Uniform(400));
        const int pick = rnd.Uniform(20);
        WriteBatch batch;
        if (pick == 0) {
          op.kind = Op::kDeleteRange;
          op.value = absl::StrFormat("k%03d", rnd.Uniform(400));
          if (op.value <= op.key) op.value = op.key + "~";
          batch.DeleteRange(op.key, op.value);
        } else if (pick < 5) {
          op.kind = Op::kDelete;
          batch.Delete(op.key);
        } else {
          op.value = absl::StrCat("w", w, "-", i, std::string(40, 'v'));
          batch.Put(op.key, op.value);
        }
        ASSERT_OK(engine->Write(batch, &op.lsn));
        logs[w].push_back(op);
      }
      ++done;
    });
  }
  struct Taken {
    std::string dir;
    uint64_t acknowledged_before = 0;
    CheckpointReport report;
  };
  std::vector<Taken> taken;
  for (int k = 0; done.load() < kWriters || k < 2; ++k) {
    Taken t;
    t.dir = io::JoinPath(tmp.path(), absl::StrCat("cp", k));
    t.acknowledged_before = engine->LatestLsn();
    ASSERT_OK_AND_ASSIGN(t.report, engine->Checkpoint(t.dir));
    taken.push_back(std::move(t));
  }
  for (std::thread& t : writers) t.join();
  std::vector<Op> all;
  for (const auto& log : logs) all.insert(all.end(), log.begin(), log.end());
  ASSERT_GE(engine->stats().compactions, 1u);
  ASSERT_OK(engine->Close());
  for (const Taken& t : taken) {
    SCOPED_TRACE(t.dir);
    EXPECT_GE(t.report.lsn, t.acknowledged_before);
    EngineOptions ro;
    ro.read_only = true;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> copy,
                         Engine::Open(fs, t.dir, ro));
    EXPECT_EQ(copy->LatestLsn(), t.report.lsn);
    EXPECT_EQ(ReadAll(*copy), ModelAt(all, t.report.lsn));
  }
  EXPECT_GE(taken.size(), 2u);
}

}  // namespace
}  // namespace strata::engine
