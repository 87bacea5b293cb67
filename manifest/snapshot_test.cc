#include "manifest/snapshot.h"

#include "absl/strings/escaping.h"
#include "encoding/crc32c.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "manifest/codec.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"

namespace strata::manifest {
namespace {

using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

TEST(SnapshotTest, GoldenLayout) {
  State state;
  state.last_sequence = 5;
  const std::string bytes = EncodeSnapshot(7, state);
  std::string body;
  EncodeState(state, &body);
  ASSERT_EQ(bytes.size(), kSnapshotHeaderSize + body.size() + 16);
  const std::string hex = absl::BytesToHexString(bytes);
  EXPECT_EQ(hex.substr(0, 40),
            "534d534e"
            "0100"
            "0000"
            "0700000000000000"
            "00000000");
  EXPECT_EQ(bytes.substr(kSnapshotHeaderSize, body.size()), body);
  // last sequence 5, version 0, last lsn 0, active WAL 0, next table id 1.
  EXPECT_EQ(absl::BytesToHexString(body),
            "0805"
            "1000"
            "1800"
            "2000"
            "3001");
  // Trailer: body length, then the checksums.
  EXPECT_EQ(hex.substr(2 * (kSnapshotHeaderSize + body.size()), 16),
            "0a00000000000000");
  // Whole header and trailer, checksums included; the checksums were
  // computed independently (a bit-at-a-time CRC32C in Python, then masked).
  EXPECT_EQ(hex.substr(0, 48),
            "534d534e"
            "0100"
            "0000"
            "0700000000000000"
            "00000000"
            "31b90a95");
  EXPECT_EQ(hex.substr(2 * (kSnapshotHeaderSize + body.size())),
            "0a00000000000000"
            "ed8784f9"
            "1fdc8bba");
  uint32_t body_crc;
  memcpy(&body_crc, bytes.data() + kSnapshotHeaderSize + body.size() + 8, 4);
  EXPECT_EQ(body_crc, Checksum::Of(body));
}

TEST(SnapshotTest, WriteThenReadAndErrorsNameTheFile) {
  testing::MemFileSystem fs;
  ASSERT_OK(fs.CreateDir("/m"));
  State state;
  state.last_sequence = 9;
  state.next_table_number = 3;
  TableMeta t;
  t.number = 2;
  t.smallest_key = "a";
  state.tables.Put(t);
  ASSERT_OK(WriteSnapshot(&fs, "/m", 4, state).status());
  EXPECT_THAT(ReadSnapshot(&fs, "/m", 4), testing::IsOkAndHolds(state));
  EXPECT_THAT(fs.ListDir("/m"),
              testing::IsOkAndHolds(::testing::ElementsAre("000004.snapshot")));

  std::string bytes = *io::ReadFileToString(&fs, "/m/000004.snapshot");
  ASSERT_OK(fs.RenameFile("/m/000004.snapshot", "/m/000005.snapshot"));
  EXPECT_THAT(ReadSnapshot(&fs, "/m", 5),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("000005.snapshot: header at offset 8 names "
                                 "generation 4")));
  for (size_t at : {size_t{2}, size_t{21}, size_t{30}, bytes.size() - 3}) {
    std::string bad = bytes;
    bad[at] ^= 1;
    ASSERT_OK(io::WriteFileSynced(&fs, "/m/000004.snapshot", bad));
    EXPECT_THAT(
        ReadSnapshot(&fs, "/m", 4),
        StatusIs(absl::StatusCode::kDataLoss, HasSubstr("/m/000004.snapshot")))
        << "byte " << at;
  }
  ASSERT_OK(
      io::WriteFileSynced(&fs, "/m/000004.snapshot", bytes.substr(0, 30)));
  EXPECT_THAT(ReadSnapshot(&fs, "/m", 4),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
}

}  // namespace
}  // namespace strata::manifest
