// Engine::OpenFollower and CatchUp: a follower of a live primary serves,
// after every catch-up, exactly the primary's acknowledged writes up to the
// follower's LSN — across flushes, compactions, checkpoints and hundreds of
// manifest generations between two calls — never fails a read because the
// primary deleted a table, writes nothing, and keeps serving its last state
// when the primary is killed.
//
// The primary's writes are a deterministic stream, one op per LSN, so the
// state at any LSN is known to the test without asking the primary.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/engine.h"
#include "gtest/gtest.h"
#include "io/posix_file_system.h"
#include "manifest/load.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace strata::engine {
namespace {

using ::strata::testing::StatusIs;
using Contents = std::map<std::string, std::string>;

// Op `i` (from 1) of the stream: a put or, one in eight, a delete.
struct StreamOp {
  std::string key;
  bool put = true;
  std::string value;
};
StreamOp OpAt(uint64_t i) {
  uint64_t h = i * 0x9E3779B97F4A7C15ull;
  h ^= h >> 29;
  StreamOp op;
  op.key = absl::StrFormat("k%04d", h % 700);
  op.put = (h >> 20) % 8 != 0;
  if (op.put) op.value = absl::StrCat("v", i, std::string(h % 60, 'x'));
  return op;
}

// The stream's state, advanced to any LSN.
class Model {
 public:
  void AdvanceTo(uint64_t lsn) {
    for (; applied_ < lsn; ++applied_) {
      const StreamOp op = OpAt(applied_ + 1);
      if (op.put) {
        state_[op.key] = op.value;
      } else {
        state_.erase(op.key);
      }
    }
  }
  const Contents& state() const { return state_; }
  uint64_t lsn() const { return applied_; }

 private:
  Contents state_;
  uint64_t applied_ = 0;
};

Contents ReadAll(const Engine& engine) {
  absl::StatusOr<std::vector<KeyValue>> all = engine.Scan("", "");
  EXPECT_TRUE(all.ok()) << all.status();
  Contents out;
  if (all.ok()) {
    for (KeyValue& kv : *all) out[kv.key] = kv.value;
  }
  return out;
}

EngineOptions PrimaryOptions() {
  EngineOptions o;
  o.memtable_bytes = 6 << 10;
  o.compaction.min_tables = 3;
  o.wal_sync = wal::SyncPolicy::Never();
  // A new manifest generation every few edits.
  o.manifest.checkpoint_log_bytes = 256;
  o.manifest.checkpoint_snapshot_ratio = 0.5;
  return o;
}

// Checks the follower's reads against the model at its LSN: every key by
// a scan, and a few by Get. A read that met a table the primary deleted
// caught up first (so the LSN is taken after each read).
void CheckFollower(const Engine& follower, Model* model, uint64_t lsn) {
  ASSERT_GE(lsn, model->lsn());
  const Contents got = ReadAll(follower);
  lsn = follower.LatestLsn();
  model->AdvanceTo(lsn);
  std::string diff;
  for (const auto& [k, v] : model->state()) {
    auto it = got.find(k);
    if (it == got.end()) {
      absl::StrAppend(&diff, k, ": missing, want ", v, "\n");
    } else if (it->second != v) {
      absl::StrAppend(&diff, k, ": ", it->second, ", want ", v, "\n");
    }
  }
  for (const auto& [k, v] : got) {
    if (model->state().count(k) == 0) {
      absl::StrAppend(&diff, k, ": ", v, ", want none\n");
    }
  }
  ASSERT_EQ(diff, "") << "at LSN " << lsn;
  for (int k = 0; k < 700; k += 97) {
    const std::string key = absl::StrFormat("k%04d", k);
    absl::StatusOr<std::string> got = follower.Get(key);
    model->AdvanceTo(follower.LatestLsn());
    auto want = model->state().find(key);
    if (want == model->state().end()) {
      EXPECT_TRUE(absl::IsNotFound(got.status())) << key << " " << got.status();
    } else {
      EXPECT_EQ(got.value_or("<error>"), want->second) << key;
    }
  }
}

TEST(FollowerTest, FollowsFlushesCompactionsAndGenerationsInProcess) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> primary,
                       Engine::Open(&fs, "/db", PrimaryOptions()));
  ASSERT_OK(primary->Put(OpAt(1).key, OpAt(1).value));
  // The follower's own view of the file system counts every mutating
  // operation it makes: there must be none.
  testing::FaultInjectionFileSystem watched(&fs);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> follower,
                       Engine::OpenFollower(&watched, "/db"));
  EXPECT_THAT(follower->Put("x", "y"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(primary->CatchUp().status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  Model model;
  CheckFollower(*follower, &model, follower->LatestLsn());
  uint64_t crossed = 0, reloaded = 0;
  for (uint64_t i = 2; i <= 6000; ++i) {
    const StreamOp op = OpAt(i);
    uint64_t lsn = 0;
    WriteBatch batch;
    if (op.put) {
      batch.Put(op.key, op.value);
    } else {
      batch.Delete(op.key);
    }
    ASSERT_OK(primary->Write(batch, &lsn));
    ASSERT_EQ(lsn, i);
    if (i % 500 == 0) {
      ASSERT_OK(primary->Compact());
    }
    // Catch up at irregular distances: from one write to many
    // generations behind.
    if (i % 7 == 0 || i % 1000 < 5 || (i > 3000 && i % 900 == 0)) {
      ASSERT_OK_AND_ASSIGN(CatchUpReport r, follower->CatchUp());
      crossed += r.generations_crossed;
      reloaded += r.reloaded;
      EXPECT_EQ(r.lsn, follower->LatestLsn());
      CheckFollower(*follower, &model, r.lsn);
    }
  }
  ASSERT_OK(primary->Flush());
  ASSERT_OK_AND_ASSIGN(CatchUpReport last, follower->CatchUp());
  EXPECT_EQ(last.lsn, 6000u);
  CheckFollower(*follower, &model, last.lsn);
  // Nothing new: nothing read.
  ASSERT_OK_AND_ASSIGN(CatchUpReport idle, follower->CatchUp());
  EXPECT_EQ(idle.edits, 0u);
  EXPECT_EQ(idle.bytes_read, 0u);
  EXPECT_EQ(idle.lsn, idle.lsn_before);
  EXPECT_GT(primary->stats().manifest_generation, 30u);
  // Followed from one log to the next, or reloaded when a checkpoint ran
  // ahead (which of the two depends on the checkpointer thread's timing).
  EXPECT_GT(crossed + reloaded, 0u);
  std::printf("in process: %llu generations followed, %llu reloads\n",
              static_cast<unsigned long long>(crossed),
              static_cast<unsigned long long>(reloaded));
  ASSERT_OK(primary->Close());
  ASSERT_OK(follower->Close());
  EXPECT_EQ(watched.operation_count(), 0u) << "the follower wrote";
}

TEST(FollowerTest, AFollowerFarBehindReloadsAndMissesNothing) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> primary,
                       Engine::Open(&fs, "/db", PrimaryOptions()));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> follower,
                       Engine::OpenFollower(&fs, "/db"));
  Model model;
  for (uint64_t i = 1; i <= 3000; ++i) {
    const StreamOp op = OpAt(i);
    ASSERT_OK(op.put ? primary->Put(op.key, op.value)
                     : primary->Delete(op.key));
  }
  ASSERT_OK(primary->Compact());
  // Many generations were made and deleted since the follower's.
  ASSERT_OK_AND_ASSIGN(CatchUpReport r, follower->CatchUp());
  EXPECT_TRUE(r.reloaded);
  EXPECT_EQ(r.lsn, 3000u);
  CheckFollower(*follower, &model, r.lsn);
  ASSERT_OK(primary->Close());
}

TEST(FollowerTest, AReadThatMeetsADeletedTableCatchesUpAndRetries) {
  testing::MemFileSystem fs;
  EngineOptions o = PrimaryOptions();
  o.background_work = false;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> primary,
                       Engine::Open(&fs, "/db", o));
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK(primary->Put(absl::StrFormat("k%03d", i), "first"));
  }
  ASSERT_OK(primary->Flush());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> follower,
                       Engine::OpenFollower(&fs, "/db"));
  // The primary rewrites every table and deletes the old ones before the
  // follower has opened any of them.
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK(primary->Put(absl::StrFormat("k%03d", i), "second"));
  }
  ASSERT_OK(primary->Compact());
  EXPECT_EQ(*follower->Get("k050"), "second");
  ASSERT_OK_AND_ASSIGN(std::vector<KeyValue> all, follower->Scan("", ""));
  EXPECT_EQ(all.size(), 100u);
  std::unique_ptr<Iterator> it = follower->NewIterator();
  it->SeekToFirst();
  EXPECT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "second");
  ASSERT_OK(it->status());
}

TEST(FollowerTest, AKeyRewrittenAndFlushedBetweenCatchUpsReadsItsNewest) {
  testing::MemFileSystem fs;
  EngineOptions o;
  o.background_work = false;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> primary,
                       Engine::Open(&fs, "/db", o));
  ASSERT_OK(primary->Put("k", "v1"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> follower,
                       Engine::OpenFollower(&fs, "/db"));
  EXPECT_EQ(*follower->Get("k"), "v1");
  // The same segment stays active through the flush (it is small), so the
  // follower reads v2 from it after the edit that put v2 in a table.
  ASSERT_OK(primary->Put("k", "v2"));
  ASSERT_OK(primary->Flush());
  ASSERT_OK(primary->Put("other", "x"));
  ASSERT_OK_AND_ASSIGN(CatchUpReport r, follower->CatchUp());
  EXPECT_GE(r.edits, 1u);
  EXPECT_EQ(r.lsn, 3u);
  EXPECT_EQ(*follower->Get("k"), "v2");
  ASSERT_OK_AND_ASSIGN(std::vector<KeyValue> all, follower->Scan("", ""));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].value, "v2");
}

// The primary in a child process; the follower here. The child writes the
// stream (checking each LSN), flushes, compacts and checkpoints; the parent
// catches up in a loop, checking every catch-up, kills the child half-way
// through a later stretch, and checks that the follower serves on.
TEST(FollowerTest, FollowsAPrimaryInAnotherProcessAndOutlivesItsDeath) {
  testing::TempDir tmp;
  io::FileSystem* fs = io::PosixFileSystem();
  const std::string dir = io::JoinPath(tmp.path(), "db");
  constexpr uint64_t kOps = 40000;
  {  // Made before the fork, so the follower has a database to open.
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> primary,
                         Engine::Open(fs, dir, PrimaryOptions()));
    ASSERT_OK(primary->Close());
  }
  // Flow control, not timing: the primary stays at most kLead writes ahead
  // of what the follower has checked (a slow build — a sanitizer — would
  // otherwise let it run hundreds of generations ahead of every read).
  constexpr uint64_t kLead = 4000;
  const std::string progress = dir + "-progress";
  ASSERT_OK(io::WriteFileSynced(fs, progress, "0"));
  auto wait_for_follower = [&](uint64_t i) {
    while (true) {
      absl::StatusOr<std::string> text = io::ReadFileToString(fs, progress);
      uint64_t checked = 0;
      if (text.ok() && absl::SimpleAtoi(*text, &checked) &&
          i <= checked + kLead) {
        return;
      }
      usleep(1000);
    }
  };
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Flushes, compactions and manifest checkpoints run inline in the
    // writer: the same stream makes the same generations on any machine.
    EngineOptions inline_work = PrimaryOptions();
    inline_work.background_work = false;
    absl::StatusOr<std::unique_ptr<Engine>> primary =
        Engine::Open(fs, dir, inline_work);
    if (!primary.ok()) _exit(2);
    for (uint64_t i = 1; i <= kOps; ++i) {
      if (i % 100 == 0) wait_for_follower(i);
      const StreamOp op = OpAt(i);
      WriteBatch batch;
      if (op.put) {
        batch.Put(op.key, op.value);
      } else {
        batch.Delete(op.key);
      }
      uint64_t lsn = 0;
      if (!(*primary)->Write(batch, &lsn).ok() || lsn != i) _exit(3);
      if (i % 2000 == 0 && !(*primary)->Compact().ok()) _exit(4);
      if (i % 5000 == 0 &&
          !(*primary)
               ->Checkpoint(io::JoinPath(dir + "-checkpoints", absl::StrCat(i)))
               .ok()) {
        _exit(5);
      }
      if (i == 1) {
        if (!fs->CreateDir(dir + "-checkpoints").ok()) _exit(6);
      }
    }
    // Then writes on until killed.
    for (uint64_t i = kOps + 1;; ++i) {
      if (i % 100 == 0) wait_for_follower(i);
      const StreamOp op = OpAt(i);
      if (!(op.put ? (*primary)->Put(op.key, op.value)
                   : (*primary)->Delete(op.key))
               .ok()) {
        _exit(7);
      }
    }
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> follower,
                       Engine::OpenFollower(fs, dir));
  Model model;
  uint64_t catch_ups = 0, crossed = 0;
  std::vector<std::string> history;
  bool killed = false;
  while (true) {
    ASSERT_OK_AND_ASSIGN(CatchUpReport r, follower->CatchUp());
    ++catch_ups;
    crossed += r.generations_crossed;
    history.push_back(absl::StrCat("g", r.generation, " e", r.sequence, " +",
                                   r.edits, " x", r.generations_crossed,
                                   r.reloaded ? " R" : "", " lsn", r.lsn));
    CheckFollower(*follower, &model, r.lsn);
    {
      // Tell the primary how far the follower got (renamed into place).
      const std::string next = progress + ".tmp";
      ASSERT_OK(
          io::WriteFileSynced(fs, next, absl::StrCat(follower->LatestLsn())));
      ASSERT_OK(fs->RenameFile(next, progress));
    }
    if (HasFailure()) {
      ADD_FAILURE() << absl::StrJoin(history, "\n");
      // What the follower and the directory looked like, for the log.
      std::string listing;
      for (const std::string& sub : {"manifest", "wal"}) {
        const std::string d = io::JoinPath(dir, sub);
        absl::StatusOr<std::vector<std::string>> names = fs->ListDir(d);
        for (const std::string& n :
             names.value_or(std::vector<std::string>{})) {
          absl::StrAppend(&listing, sub, "/", n, ":",
                          fs->GetFileSize(io::JoinPath(d, n)).value_or(0), " ");
        }
      }
      ADD_FAILURE() << "follower at generation " << r.generation << ", edit "
                    << r.sequence << ", lsn " << r.lsn << ", reloaded "
                    << r.reloaded << "; " << listing;
      break;
    }
    if (!killed && r.lsn >= kOps + 2000) {
      ASSERT_EQ(kill(child, SIGKILL), 0);
      int status = 0;
      ASSERT_EQ(waitpid(child, &status, 0), child);
      ASSERT_TRUE(WIFSIGNALED(status))
          << "the primary exited with " << WEXITSTATUS(status);
      killed = true;
      continue;  // One more catch-up after the death.
    }
    if (killed) break;
    int status = 0;
    if (waitpid(child, &status, WNOHANG) == child) {
      FAIL() << "the primary exited with " << WEXITSTATUS(status);
    }
  }
  if (!killed) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  }
  // The follower serves its last state after the primary's death.
  const uint64_t last = follower->LatestLsn();
  CheckFollower(*follower, &model, last);
  ASSERT_OK_AND_ASSIGN(
      manifest::Listing listing,
      manifest::ListManifestDir(fs, io::JoinPath(dir, "manifest")));
  ASSERT_FALSE(listing.logs.empty());
  // How often the follower caught up, and how many generations it followed
  // rather than reloaded, depend on the machine's speed: reported, not
  // asserted. The primary's generations do not (its work is inline).
  std::printf(
      "follower: %llu catch-ups, %llu generations followed; "
      "primary at generation %llu\n",
      static_cast<unsigned long long>(catch_ups),
      static_cast<unsigned long long>(crossed),
      static_cast<unsigned long long>(*listing.logs.rbegin()));
  EXPECT_GT(follower->manifest_state()->last_sequence, 1000u);
  EXPECT_GT(*listing.logs.rbegin(), 200u) << "manifest generations made";
  ASSERT_OK(follower->Close());
  // What the follower served, the primary's recovery keeps.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> reopened,
                       Engine::Open(fs, dir, PrimaryOptions()));
  EXPECT_GE(reopened->LatestLsn(), last);
  Model again;
  again.AdvanceTo(reopened->LatestLsn());
  EXPECT_EQ(ReadAll(*reopened), again.state());
  // A checkpoint the primary took opens as the stream at its LSN.
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Engine> copy,
      Engine::Open(fs, io::JoinPath(dir + "-checkpoints", "20000"),
                   PrimaryOptions()));
  Model at_copy;
  at_copy.AdvanceTo(copy->LatestLsn());
  EXPECT_EQ(copy->LatestLsn(), 20000u);
  EXPECT_EQ(ReadAll(*copy), at_copy.state());
}

}  // namespace
}  // namespace strata::engine
