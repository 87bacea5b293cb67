// Crash at every file-system operation of a write+sync sequence, with and
// without torn unsynced bytes, and check what must survive.

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"
#include "wal/reader.h"
#include "wal/wal_test_util.h"
#include "wal/writer.h"

namespace strata::wal {
namespace {

using ::strata::testing::FaultInjectionFileSystem;

struct Outcome {
  std::vector<std::string> attempted;
  size_t acknowledged = 0;  // A prefix of `attempted`.
  bool finished = false;
};

// Creates a log, appends records of several sizes (one spanning blocks),
// rotates, appends more. Stops at the first error, as an engine would.
Outcome RunSequence(io::FileSystem* fs, SyncPolicy policy) {
  Outcome out;
  absl::StatusOr<std::unique_ptr<Writer>> writer =
      Writer::Create(fs, "/db/wal", 1, {.sync = policy});
  if (!writer.ok()) return out;
  const std::vector<std::string> records = {"first", std::string(40000, 's'),
                                            "third", "fourth", "fifth"};
  for (size_t i = 0; i < records.size(); ++i) {
    if (i == 3 && !(*writer)->Rotate().ok()) return out;
    out.attempted.push_back(records[i]);
    if (!(*writer)->Append(records[i]).ok()) return out;
    if (policy.mode == SyncPolicy::Mode::kAlways) out.acknowledged = i + 1;
  }
  if (!(*writer)->Sync().ok()) return out;
  out.acknowledged = records.size();
  out.finished = (*writer)->Close().ok();
  return out;
}

struct CrashCase {
  SyncPolicy policy;
  bool torn;
};

class WalCrashTest : public ::testing::TestWithParam<CrashCase> {};

TEST_P(WalCrashTest, EveryCrashPointKeepsAcknowledgedRecords) {
  const CrashCase c = GetParam();
  int points = 0;
  for (uint64_t point = 0;; ++point, ++points) {
    SCOPED_TRACE(::testing::Message() << "crash point " << point);
    testing::MemFileSystem mem;
    FaultInjectionFileSystem fs(&mem);
    ASSERT_OK(fs.CreateDir("/db"));
    ASSERT_OK(fs.SyncDir("/"));
    fs.FreezeAt(fs.operation_count() + point);
    const Outcome out = RunSequence(&fs, c.policy);
    ASSERT_OK(fs.SimulateCrash({.torn = c.torn, .seed = point + 1}));

    std::vector<std::string> found;
    uint64_t tail_segment = 0, valid_end = 0;
    if (mem.FileExists("/db/wal").ok()) {
      // Nothing the writer did before the crash may read as corruption.
      ASSERT_OK_AND_ASSIGN(Replay replay, ReadAll(&mem, "/db/wal"));
      found = replay.records;
      tail_segment = replay.tail.segment;
      valid_end = replay.tail.valid_end;
    }
    // What survives is a prefix of what was attempted, holding at least
    // everything acknowledged.
    ASSERT_LE(found.size(), out.attempted.size());
    ASSERT_GE(found.size(), out.acknowledged);
    for (size_t i = 0; i < found.size(); ++i) {
      ASSERT_EQ(found[i], out.attempted[i]) << "record " << i;
    }

    // The log can be continued after recovery.
    if (tail_segment > 0) {
      ASSERT_OK_AND_ASSIGN(
          auto writer, Writer::Reopen(&mem, "/db/wal", tail_segment, valid_end,
                                      WriterOptions()));
      ASSERT_OK(writer->Append("after recovery"));
      ASSERT_OK(writer->Close());
      ASSERT_OK_AND_ASSIGN(Replay again, ReadAll(&mem, "/db/wal"));
      ASSERT_EQ(again.records.size(), found.size() + 1);
      ASSERT_EQ(again.records.back(), "after recovery");
    }
    if (out.finished) break;
  }
  EXPECT_GT(points, 10);  // The sweep really visited the sequence.
}

INSTANTIATE_TEST_SUITE_P(
    Policies, WalCrashTest,
    ::testing::Values(CrashCase{SyncPolicy::Always(), false},
                      CrashCase{SyncPolicy::Always(), true},
                      CrashCase{SyncPolicy::Never(), false},
                      CrashCase{SyncPolicy::Never(), true},
                      CrashCase{SyncPolicy::Every(100, {}), true}));

}  // namespace
}  // namespace strata::wal
