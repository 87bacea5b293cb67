// EventListener: a listener that mirrors the manifest state from events
// alone equals the engine's after random workloads, injected failures and
// reopens; events come in edit order, flush and compaction events right
// after their edit, deletions after the edit that removed the table; a
// stall is reported at its beginning and end; a slow listener loses
// nothing.

#include <atomic>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/engine.h"
#include "gtest/gtest.h"
#include "io/mutex.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/random.h"
#include "testing/status_matchers.h"

namespace strata::engine {
namespace {

using ::strata::testing::FaultInjectionFileSystem;
using ::strata::testing::FsOp;

// Builds the manifest state from events alone, and checks their order.
class Mirror : public EventListener {
 public:
  void OnRecovered(const RecoveredInfo& info) override {
    MutexLock lock(&mu_);
    state_ = *info.state;
    ++recoveries_;
    last_edit_ = state_.last_sequence;
  }
  void OnEditCommitted(const manifest::Edit& edit) override {
    MutexLock lock(&mu_);
    if (edit.sequence != state_.last_sequence + 1) {
      Error(absl::StrCat("edit ", edit.sequence, " after ",
                         state_.last_sequence));
    }
    for (const manifest::Op& op : edit.ops) {
      if (const auto* r = std::get_if<manifest::RemoveTable>(&op)) {
        removed_.insert(r->number);
      }
      if (const auto* c = std::get_if<manifest::Compaction>(&op)) {
        removed_.insert(c->removed.begin(), c->removed.end());
      }
    }
    manifest::Apply(edit, &state_);
    last_edit_ = edit.sequence;
  }
  void OnFlushCompleted(const FlushInfo& info) override {
    MutexLock lock(&mu_);
    ++flushes_;
    if (info.sequence != last_edit_) Error("a flush not right after its edit");
    if (info.table.has_value() && state_.tables.count(info.table->number) == 0)
      Error("a flushed table not live");
  }
  void OnCompactionCompleted(const CompactionInfo& info) override {
    MutexLock lock(&mu_);
    ++compactions_;
    if (info.sequence != last_edit_) {
      Error("a compaction not right after its edit");
    }
    for (const manifest::TableMeta& t : info.inputs) {
      if (state_.tables.count(t.number) != 0) Error("an input still live");
    }
    for (const manifest::TableMeta& t : info.outputs) {
      if (state_.tables.count(t.number) == 0) Error("an output not live");
    }
  }
  void OnTableDeleted(const TableDeletedInfo& info) override {
    MutexLock lock(&mu_);
    ++deleted_;
    if (state_.tables.count(info.number) != 0 ||
        removed_.count(info.number) == 0) {
      Error(absl::StrCat("table ", info.number, " deleted while live"));
    }
  }
  void OnBackgroundError(const absl::Status& error) override {
    MutexLock lock(&mu_);
    ++errors_;
  }

  manifest::State state() {
    MutexLock lock(&mu_);
    return state_;
  }
  std::string errors() {
    MutexLock lock(&mu_);
    return problems_;
  }
  int flushes() {
    MutexLock lock(&mu_);
    return flushes_;
  }
  int compactions() {
    MutexLock lock(&mu_);
    return compactions_;
  }
  int background_errors() {
    MutexLock lock(&mu_);
    return errors_;
  }
  int recoveries() {
    MutexLock lock(&mu_);
    return recoveries_;
  }
  int deleted() {
    MutexLock lock(&mu_);
    return deleted_;
  }

 private:
  void Error(const std::string& what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::StrAppend(&problems_, what, "\n");
  }

  Mutex mu_;
  manifest::State state_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> removed_ ABSL_GUARDED_BY(mu_);
  uint64_t last_edit_ ABSL_GUARDED_BY(mu_) = 0;
  int recoveries_ ABSL_GUARDED_BY(mu_) = 0;
  int flushes_ ABSL_GUARDED_BY(mu_) = 0;
  int compactions_ ABSL_GUARDED_BY(mu_) = 0;
  int deleted_ ABSL_GUARDED_BY(mu_) = 0;
  int errors_ ABSL_GUARDED_BY(mu_) = 0;
  std::string problems_ ABSL_GUARDED_BY(mu_);
};

TEST(EventsTest, AMirrorOfTheEventsEqualsTheManifestThroughFailuresAndReopens) {
  testing::MemFileSystem base;
  FaultInjectionFileSystem fs(&base);
  testing::Random rnd(42);
  int failures = 0, flushes = 0, compactions = 0, deleted = 0;
  for (int cycle = 0; cycle < 12; ++cycle) {
    SCOPED_TRACE(absl::StrCat("cycle ", cycle));
    auto mirror = std::make_shared<Mirror>();
    EngineOptions o;
    o.memtable_bytes = 4 << 10;
    o.compaction.min_tables = 3;
    o.background_work = cycle % 2 == 0;
    o.wal_sync = wal::SyncPolicy::Never();
    o.listeners = {mirror};
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, "/db", o));
    // Every third cycle, a sync or a write fails somewhere in it.
    if (cycle % 3 == 2) {
      fs.FailOperationAt(fs.operation_count() + 20 + rnd.Uniform(200));
    }
    for (int i = 0; i < 1500; ++i) {
      const std::string key = absl::StrFormat("k%04d", rnd.Uniform(600));
      absl::Status s = rnd.Uniform(10) == 0
                           ? engine->Delete(key)
                           : engine->Put(key, std::string(30, 'a' + cycle));
      if (!s.ok()) break;
      if (rnd.Uniform(300) == 0 && !engine->Flush().ok()) break;
      if (rnd.Uniform(700) == 0 && !engine->Compact().ok()) break;
    }
    const bool failed = !engine->health().ok();
    ASSERT_OK(engine->Close().ok() || failed ? absl::OkStatus()
                                             : absl::InternalError("close"));
    // Close delivered every event; the mirror is the committed state.
    EXPECT_EQ(mirror->errors(), "");
    EXPECT_TRUE(mirror->state() == *engine->manifest_state())
        << "mirror at edit " << mirror->state().last_sequence
        << ", manifest at " << engine->manifest_state()->last_sequence;
    EXPECT_EQ(mirror->recoveries(), 1);
    EXPECT_EQ(mirror->background_errors(), failed ? 1 : 0);
    EXPECT_EQ(mirror->flushes(), static_cast<int>(engine->stats().flushes));
    failures += failed;
    flushes += mirror->flushes();
    compactions += mirror->compactions();
    deleted += mirror->deleted();
    engine.reset();
    fs.ClearFaults();
  }
  // The workload reached what it is for.
  EXPECT_GE(failures, 2);
  EXPECT_GE(flushes, 50);
  EXPECT_GE(compactions, 5);
  EXPECT_GE(deleted, 10);
}

// Holds every flush's table sync while armed; signals when one is held.
class StallListener : public EventListener {
 public:
  void OnWriteStallBegin(const StallInfo& info) override {
    if (!began_.exchange(true)) begin_.set_value(info.frozen_memtables);
  }
  void OnWriteStallEnd(const StallInfo&) override {
    if (!ended_.exchange(true)) end_.set_value();
  }
  std::future<size_t> began() { return begin_.get_future(); }
  std::future<void> ended() { return end_.get_future(); }

 private:
  std::atomic<bool> began_{false}, ended_{false};
  std::promise<size_t> begin_;
  std::promise<void> end_;
};

TEST(EventsTest, AStallIsReportedAtItsBeginningAndEnd) {
  testing::MemFileSystem base;
  FaultInjectionFileSystem fs(&base);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> hold{true};
  // Flushes wait at their table's sync until the stall was reported.
  fs.SetSyncHook([&](const std::string& path) {
    if (hold.load() && absl::EndsWith(path, ".sst")) released.wait();
  });
  auto listener = std::make_shared<StallListener>();
  EngineOptions o;
  o.memtable_bytes = 1024;
  o.max_frozen_memtables = 1;
  o.auto_compaction = false;
  o.listeners = {listener};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, "/db", o));
  std::future<size_t> began = listener->began();
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      ASSERT_OK(engine->Put(absl::StrCat("k", i), std::string(100, 'v')));
    }
  });
  EXPECT_EQ(began.get(), 1u);  // Blocks until the writer stalled.
  hold = false;
  release.set_value();
  writer.join();
  listener->ended().wait();
  ASSERT_OK(engine->Close());
  fs.SetSyncHook({});
}

// Blocks in every callback until released: background work waits for it,
// and no event is lost.
class SlowListener : public EventListener {
 public:
  explicit SlowListener(std::shared_future<void> go) : go_(std::move(go)) {}
  void OnRecovered(const RecoveredInfo& info) override {
    recovered_ = info.state->last_sequence;
  }
  uint64_t recovered() const { return recovered_.load(); }
  void OnEditCommitted(const manifest::Edit&) override {
    go_.wait();
    ++edits_;
  }
  int edits() const { return edits_.load(); }

 private:
  std::shared_future<void> go_;
  std::atomic<int> edits_{0};
  std::atomic<uint64_t> recovered_{0};
};

TEST(EventsTest, ASlowListenerLosesNothing) {
  testing::MemFileSystem fs;
  std::promise<void> go;
  auto slow = std::make_shared<SlowListener>(go.get_future().share());
  EngineOptions o;
  o.memtable_bytes = 1024;
  o.listeners = {slow};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, "/db", o));
  for (int i = 0; i < 300; ++i) {
    ASSERT_OK(engine->Put(absl::StrCat("k", i), std::string(100, 'v')));
  }
  go.set_value();
  ASSERT_OK(engine->Flush());
  const uint64_t edits = engine->manifest_state()->last_sequence;
  ASSERT_OK(engine->Close());
  // Every edit after the recovered state arrived.
  EXPECT_GT(slow->edits(), 10);
  EXPECT_EQ(slow->recovered() + slow->edits(), edits);
}

}  // namespace
}  // namespace strata::engine
