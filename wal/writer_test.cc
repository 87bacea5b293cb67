#include "wal/writer.h"

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "encoding/coding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/random.h"
#include "testing/status_matchers.h"
#include "wal/format.h"
#include "wal/reader.h"
#include "wal/wal_test_util.h"

namespace strata::wal {
namespace {

using ::strata::testing::FaultInjectionFileSystem;
using ::strata::testing::FsOp;
using ::strata::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

class WriterTest : public ::testing::Test {
 protected:
  WriterTest() {
    EXPECT_OK(fs_.CreateDir("/db"));
    EXPECT_OK(fs_.SyncDir("/"));
    EXPECT_OK(fs_.SyncDir("/db"));
  }

  std::unique_ptr<Writer> Create(WriterOptions options = {}) {
    // Segments are created exclusively: each writer here starts anew.
    if (fs_.FileExists("/db/wal").ok()) {
      const std::vector<std::string> listed = fs_.ListDir("/db/wal").value();
      for (const std::string& name : listed) {
        EXPECT_OK(fs_.RemoveFile("/db/wal/" + name));
      }
    }
    absl::StatusOr<std::unique_ptr<Writer>> w =
        Writer::Create(&fs_, "/db/wal", 1, options);
    EXPECT_OK(w.status());
    return w.ok() ? *std::move(w) : nullptr;
  }

  std::vector<std::string> Records() {
    absl::StatusOr<Replay> replay = ReadAll(&fs_, "/db/wal");
    EXPECT_OK(replay.status());
    return replay.ok() ? replay->records : std::vector<std::string>{};
  }

  testing::MemFileSystem mem_;
  FaultInjectionFileSystem fs_{&mem_};
};

TEST_F(WriterTest, CreateMakesSegmentAndDirectoryDurable) {
  auto writer = Create();
  EXPECT_EQ(fs_.PendingDirOps(), 0u);
  EXPECT_EQ(fs_.DurableSize("/db/wal/000001.log"), SegmentHeader::kSize);
  EXPECT_EQ(writer->segment_number(), 1u);
}

TEST_F(WriterTest, AlwaysPolicyIsDurableBeforeReturn) {
  auto writer = Create();
  ASSERT_OK(writer->Append("one"));
  const uint64_t durable = fs_.DurableSize("/db/wal/000001.log");
  EXPECT_EQ(durable, SegmentHeader::kSize + FragmentHeader::kSize + 3);
  ASSERT_OK(writer->AppendBatch({"two", "three"}));
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_THAT(Records(), ElementsAre("one", "two", "three"));
}

TEST_F(WriterTest, NeverPolicyLeavesSyncToCallers) {
  auto writer = Create({.sync = SyncPolicy::Never()});
  const uint64_t syncs = writer->stats().syncs;
  ASSERT_OK(writer->Append("one"));
  EXPECT_EQ(writer->stats().syncs, syncs);
  EXPECT_EQ(fs_.DurableSize("/db/wal/000001.log"), SegmentHeader::kSize);
  ASSERT_OK(writer->Sync());
  EXPECT_EQ(writer->stats().syncs, syncs + 1);
  EXPECT_GT(fs_.DurableSize("/db/wal/000001.log"), SegmentHeader::kSize);
}

TEST_F(WriterTest, PeriodicPolicySyncsEveryNBytes) {
  auto writer =
      Create({.sync = SyncPolicy::Every(1000, std::chrono::milliseconds(0))});
  const uint64_t syncs = writer->stats().syncs;
  for (int i = 0; i < 10; ++i) ASSERT_OK(writer->Append(std::string(93, 'x')));
  // 10 records of 100 framed bytes: exactly one sync, at the tenth.
  EXPECT_EQ(writer->stats().syncs, syncs + 1);
  EXPECT_EQ(fs_.DurableSize("/db/wal/000001.log"), SegmentHeader::kSize + 1000);
}

TEST_F(WriterTest, PeriodicPolicySyncsAfterTheInterval) {
  auto writer =
      Create({.sync = SyncPolicy::Every(0, std::chrono::milliseconds(20))});
  const uint64_t syncs = writer->stats().syncs;
  ASSERT_OK(writer->Append("early"));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  ASSERT_OK(writer->Append("late"));
  EXPECT_GE(writer->stats().syncs, syncs + 1);
}

TEST_F(WriterTest, RotateStartsTheNextSegmentDurably) {
  auto writer = Create({.sync = SyncPolicy::Never()});
  ASSERT_OK(writer->Append("in one"));
  ASSERT_OK_AND_ASSIGN(uint64_t next, writer->Rotate());
  EXPECT_EQ(next, 2u);
  EXPECT_EQ(writer->segment_number(), 2u);
  ASSERT_OK(writer->Append("in two"));
  ASSERT_OK(writer->Sync());
  // The old segment was synced whole and both entries are durable.
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_THAT(Records(), ElementsAre("in one", "in two"));
}

TEST_F(WriterTest, APreparedSegmentMakesRotationSyncNothing) {
  auto writer = Create();
  ASSERT_OK(writer->Append("in one"));
  ASSERT_OK(writer->PrepareNextSegment());
  // The prepared segment's directory entry is durable already; its header
  // is synced with the first records.
  EXPECT_EQ(fs_.PendingDirOps(), 0u);
  EXPECT_EQ(fs_.DurableSize("/db/wal/000002.log"), 0u);
  ASSERT_OK(writer->PrepareNextSegment());  // Already prepared: no-op.
  const uint64_t ops = fs_.operation_count();
  ASSERT_OK_AND_ASSIGN(uint64_t next, writer->Rotate());
  EXPECT_EQ(next, 2u);
  EXPECT_EQ(fs_.operation_count(), ops);  // No create, no sync.
  ASSERT_OK(writer->Append("in two"));
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_THAT(Records(), ElementsAre("in one", "in two"));
}

TEST_F(WriterTest, CloseRemovesAPreparedSegmentNoRotationUsed) {
  auto writer = Create();
  ASSERT_OK(writer->Append("only"));
  ASSERT_OK(writer->PrepareNextSegment());
  EXPECT_OK(fs_.FileExists("/db/wal/000002.log"));
  ASSERT_OK(writer->Close());
  EXPECT_THAT(fs_.FileExists("/db/wal/000002.log"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(fs_.FileExists("/db/wal/000001.log"));
  EXPECT_THAT(Records(), ElementsAre("only"));
}

TEST_F(WriterTest, ACrashBeforeTheFirstRecordInAPreparedSegmentLosesNothing) {
  auto writer = Create();
  ASSERT_OK(writer->Append("in one"));
  ASSERT_OK(writer->PrepareNextSegment());
  ASSERT_OK(writer->Rotate().status());
  ASSERT_OK(fs_.SimulateCrash());
  // Segment 2 survives empty (no header): a torn tail holding no record.
  ASSERT_OK_AND_ASSIGN(Replay replay, ReadAll(&fs_, "/db/wal"));
  EXPECT_THAT(replay.records, ElementsAre("in one"));
  EXPECT_EQ(replay.tail.segment, 2u);
  ASSERT_OK_AND_ASSIGN(
      auto reopened,
      Writer::Reopen(&fs_, "/db/wal", 2, replay.tail.valid_end, {}));
  ASSERT_OK(reopened->Append("in two"));
  EXPECT_THAT(Records(), ElementsAre("in one", "in two"));
}

TEST_F(WriterTest, PreparingRacesRotationWithoutTruncatingALiveSegment) {
  auto writer = Create();
  std::atomic<bool> stop{false};
  std::thread preparer([&] {
    while (!stop) ASSERT_OK(writer->PrepareNextSegment());
  });
  std::vector<std::string> expected;
  for (int i = 0; i < 200; ++i) {
    expected.push_back(absl::StrCat("record ", i));
    ASSERT_OK(writer->Append(expected.back()));
    if (i % 3 == 0) {
      ASSERT_OK(writer->Rotate().status());
    }
  }
  stop = true;
  preparer.join();
  ASSERT_OK(writer->Close());
  // A spare segment past the last one may remain: it holds no record.
  EXPECT_THAT(Records(), ElementsAreArray(expected));
}

TEST_F(WriterTest, RotatesWhenASegmentIsFull) {
  auto writer = Create({.max_segment_size = 1000});
  for (int i = 0; i < 30; ++i) ASSERT_OK(writer->Append(std::string(100, 'r')));
  EXPECT_GT(writer->segment_number(), 2u);
  ASSERT_OK_AND_ASSIGN(auto segments, ListSegments(&fs_, "/db/wal"));
  EXPECT_EQ(segments.size(), writer->segment_number());
  EXPECT_EQ(Records().size(), 30u);
}

TEST_F(WriterTest, RefusesOversizedRecords) {
  auto writer = Create({.max_record_size = 10});
  EXPECT_THAT(writer->Append(std::string(11, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("exceeds max_record_size 10")));
  EXPECT_OK(writer->Append("fine"));  // Not sticky: nothing was written.
}

TEST_F(WriterTest, ReopenTruncatesATornTailAndContinues) {
  {
    auto writer = Create();
    ASSERT_OK(writer->Append("kept"));
    ASSERT_OK(writer->Append(std::string(500, 't')));
    ASSERT_OK(writer->Close());
  }
  std::string bytes = ReadSegment(&fs_, "/db/wal", 1);
  WriteSegment(&fs_, "/db/wal", 1, bytes.substr(0, bytes.size() - 100));
  ASSERT_OK_AND_ASSIGN(Replay replay, ReadAll(&fs_, "/db/wal"));
  ASSERT_TRUE(replay.tail.torn());
  ASSERT_OK_AND_ASSIGN(auto writer,
                       Writer::Reopen(&fs_, "/db/wal", 1, replay.tail.valid_end,
                                      WriterOptions()));
  // The truncation is durable before anything is appended.
  EXPECT_EQ(fs_.DurableSize("/db/wal/000001.log"), replay.tail.valid_end);
  ASSERT_OK(writer->Append("after reopen"));
  EXPECT_THAT(Records(), ElementsAre("kept", "after reopen"));
}

TEST_F(WriterTest, ReopenOfATornHeaderRewritesTheSegment) {
  ASSERT_OK(fs_.CreateDir("/db/wal"));
  ASSERT_OK(io::WriteFileSynced(&fs_, "/db/wal/000001.log", "SW"));
  ASSERT_OK_AND_ASSIGN(auto writer,
                       Writer::Reopen(&fs_, "/db/wal", 1, 0, WriterOptions()));
  ASSERT_OK(writer->Append("x"));
  EXPECT_THAT(Records(), ElementsAre("x"));
}

TEST_F(WriterTest, FailedWriteIsSticky) {
  for (int err : {EIO, ENOSPC}) {
    auto writer = Create();
    fs_.FailNext(FsOp::kWrite, err);
    const absl::Status first = writer->Append("lost");
    EXPECT_FALSE(first.ok());
    EXPECT_EQ(writer->Append("refused"), first);
    EXPECT_EQ(writer->Sync(), first);
    EXPECT_EQ(writer->Rotate().status(), first);
    EXPECT_EQ(writer->Close(), first);
  }
}

TEST_F(WriterTest, FailedSyncIsSticky) {
  for (int err : {EIO, ENOSPC}) {
    auto writer = Create();
    ASSERT_OK(writer->Append("durable"));
    fs_.FailNext(FsOp::kSync, err);
    const absl::Status first = writer->Append("unknown");
    EXPECT_THAT(first, StatusIs(absl::ErrnoToStatus(err, "").code(),
                                HasSubstr("sync /db/wal/000001.log")));
    EXPECT_EQ(writer->Append("refused"), first);
  }
}

TEST_F(WriterTest, ConcurrentAppendersAreGroupCommitted) {
  auto writer = Create();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string record;
        PutFixed32(&record, t);
        PutFixed32(&record, i);
        EXPECT_OK(writer->Append(record));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const Writer::Stats stats = writer->stats();
  EXPECT_EQ(stats.records, kThreads * kPerThread);
  EXPECT_LE(stats.groups, stats.records);
  // Every record is there once, and each thread's records are in order.
  std::vector<int> next(kThreads, 0);
  for (const std::string& r : Records()) {
    ASSERT_EQ(r.size(), 8u);
    const uint32_t t = DecodeFixed32(r.data());
    const uint32_t i = DecodeFixed32(r.data() + 4);
    ASSERT_LT(t, static_cast<uint32_t>(kThreads));
    EXPECT_EQ(static_cast<int>(i), next[t]++);
  }
  for (int n : next) EXPECT_EQ(n, kPerThread);
}

// Two threads append together until their groups come complete, so the
// next group waits for both; then one stops. The caller left waiting for
// its partner leads at the deadline, every time: nothing hangs.
TEST_F(WriterTest, AGroupWhosePartnerStoppedIsLedAtTheDeadline) {
  auto writer = Create();
  // Two records queued while a group is in its sync are committed together
  // by the next leader: the first sync is held by a hook until both are
  // queued (no timing decides it).
  std::promise<void> held, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first{true};
  fs_.SetSyncHook([&](const std::string&) {
    if (first.exchange(false)) {
      held.set_value();
      released.wait();
    }
    // A disk-like sync, so that the deadlines are the sync's multiples.
    std::this_thread::sleep_for(std::chrono::microseconds(300));
  });
  std::thread leader([&] { EXPECT_OK(writer->Append("x")); });
  held.get_future().wait();
  const absl::string_view a[] = {"a"}, b[] = {"b"};
  Writer::Ticket ta = writer->Enqueue(a);
  Writer::Ticket tb = writer->Enqueue(b);
  release.set_value();
  leader.join();
  EXPECT_OK(writer->Wait(std::move(ta)));
  EXPECT_OK(writer->Wait(std::move(tb)));
  const uint64_t groups_together = writer->stats().groups;
  EXPECT_EQ(groups_together, 2u);  // "x" alone, then "a" and "b" together.
  // The partner stopped: each lone append still commits, in a group of its
  // own, once its gather deadline (if any) passes.
  constexpr int kAlone = 20;
  for (int i = 0; i < kAlone; ++i) ASSERT_OK(writer->Append("a"));
  fs_.SetSyncHook({});
  EXPECT_EQ(writer->stats().groups, groups_together + kAlone);
  EXPECT_EQ(Records().size(), 3u + kAlone);
}

TEST_F(WriterTest, StatsTimeRecordSyncsAndALoneAppenderNeverGathers) {
  auto writer = Create();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) ASSERT_OK(writer->Append("record"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const Writer::Stats stats = writer->stats();
  EXPECT_GT(stats.sync_nanos, 0u);
  EXPECT_LE(stats.sync_nanos,
            static_cast<uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed)
                    .count()));
  EXPECT_EQ(stats.gather_nanos, 0u);

  // Records left to the operating system are not synced, so not timed.
  auto never =
      Writer::Create(&fs_, "/db/never", 1, {.sync = SyncPolicy::Never()});
  ASSERT_OK(never.status());
  ASSERT_OK((*never)->Append("record"));
  EXPECT_EQ((*never)->stats().sync_nanos, 0u);
}

TEST_F(WriterTest, EachWaiterGetsItsOwnResult) {
  auto writer = Create();
  // One oversized record is refused; the others in flight succeed.
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const absl::Status s =
          writer->Append(t == 0 ? std::string(200 << 20, 'x') : "small");
      if (s.ok()) ++ok;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok, 3);
}

TEST_F(WriterTest, EnqueueFixesLogOrderAndWaitReportsEachResult) {
  auto writer = Create({.max_record_size = 8});
  const std::vector<absl::string_view> a = {"a1", "a2"};
  const std::vector<absl::string_view> b = {"b1"};
  const std::vector<absl::string_view> big = {"too long to log"};
  Writer::Ticket ta = writer->Enqueue(a);
  Writer::Ticket tbig = writer->Enqueue(big);
  Writer::Ticket tb = writer->Enqueue(b);
  // Waiting out of order: b's wait commits a's records first.
  EXPECT_OK(writer->Wait(std::move(tb)));
  EXPECT_THAT(writer->Wait(std::move(tbig)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(writer->Wait(std::move(ta)));
  EXPECT_THAT(Records(), ElementsAre("a1", "a2", "b1"));
}

}  // namespace
}  // namespace strata::wal
