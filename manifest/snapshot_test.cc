#include "manifest/snapshot.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "encoding/crc32c.h"
#include "encoding/tagged.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/posix_file_system.h"
#include "manifest/codec.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

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

TEST(SnapshotTest, HeaderAndTrailerRoundTripAndPinTheirBytes) {
  std::string bytes;
  SnapshotHeader(7).EncodeTo(&bytes);
  ASSERT_EQ(bytes.size(), SnapshotHeader::kSize);
  EXPECT_EQ(absl::BytesToHexString(bytes.substr(0, 20)),
            "534d534e"          // magic "SMSN"
            "0100"              // version 1
            "0000"              // reserved
            "0700000000000000"  // generation 7
            "00000000");        // reserved
  SnapshotHeader header(0);
  ASSERT_OK(SnapshotHeader::DecodeFrom(bytes, "snap", &header));
  EXPECT_EQ(header.generation(), 7u);
  bytes[9] ^= 1;  // Generation damaged: the header checksum catches it.
  EXPECT_THAT(SnapshotHeader::DecodeFrom(bytes, "snap", &header),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("snap header")));

  bytes.clear();
  SnapshotTrailer(300, 0xdeadbeef).EncodeTo(&bytes);
  ASSERT_EQ(bytes.size(), SnapshotTrailer::kSize);
  EXPECT_EQ(absl::BytesToHexString(bytes.substr(0, 12)),
            "2c01000000000000"  // body length 300
            "efbeadde");        // body crc
  SnapshotTrailer trailer(0, 0);
  ASSERT_OK(SnapshotTrailer::DecodeFrom(bytes, "snap", 99, &trailer));
  EXPECT_EQ(trailer.body_length(), 300u);
  EXPECT_EQ(trailer.masked_body_crc(), 0xdeadbeefu);
  bytes[0] ^= 1;
  EXPECT_THAT(SnapshotTrailer::DecodeFrom(bytes, "snap", 99, &trailer),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("snap trailer")));
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

// A state whose encoding has fields of every kind and tables of many sizes,
// one with a key far longer than the small read windows below.
State ManyTables() {
  State state;
  state.last_sequence = 77;
  state.version = 3;
  state.last_lsn = 123456;
  state.active_wal = 9;
  state.frozen_wals = {5, 7, 8};
  state.next_table_number = 100;
  for (uint64_t n = 1; n < 60; n += 2) {
    TableMeta t;
    t.number = n;
    t.file_size = n * 1000;
    t.entries = n * 10;
    t.smallest_key = std::string(n % 7 + 1, static_cast<char>('a' + n % 26));
    t.largest_key = t.smallest_key + "z";
    t.largest_lsn = n * 100;
    t.checksum = static_cast<uint32_t>(n * 2654435761u);
    if (n == 31) t.largest_key = std::string(3000, 'k');
    state.tables.Put(t);
  }
  return state;
}

TEST(SnapshotTest, ReadInAnyWindowGivesTheSameState) {
  testing::MemFileSystem fs;
  ASSERT_OK(fs.CreateDir("/m"));
  const State state = ManyTables();
  ASSERT_OK(WriteSnapshot(&fs, "/m", 2, state).status());
  for (size_t window : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64},
                        size_t{100}, size_t{4096}, kSnapshotReadWindow}) {
    EXPECT_THAT(ReadSnapshot(&fs, "/m", 2, window),
                testing::IsOkAndHolds(state))
        << "window " << window;
  }
}

TEST(SnapshotTest, DamageReadInSmallWindowsIsChecksumMismatchNeverAState) {
  testing::MemFileSystem fs;
  ASSERT_OK(fs.CreateDir("/m"));
  const State state = ManyTables();
  ASSERT_OK(WriteSnapshot(&fs, "/m", 2, state).status());
  const std::string bytes = *io::ReadFileToString(&fs, "/m/000002.snapshot");
  const size_t body_end = bytes.size() - kSnapshotTrailerSize;
  for (size_t at = 0; at < bytes.size(); ++at) {
    std::string bad = bytes;
    bad[at] ^= 0x40;
    ASSERT_OK(io::WriteFileSynced(&fs, "/m/000002.snapshot", bad));
    for (size_t window : {size_t{5}, size_t{64}}) {
      const absl::StatusOr<State> got = ReadSnapshot(&fs, "/m", 2, window);
      ASSERT_FALSE(got.ok()) << "byte " << at << " window " << window;
      EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss)
          << got.status();
      if (at >= kSnapshotHeaderSize && at < body_end) {
        // Whatever the damage does to decoding, the body's checksum is
        // what is reported, as when it is checked first.
        EXPECT_THAT(got.status().message(),
                    HasSubstr("body: checksum mismatch at offset 24"))
            << "byte " << at << " window " << window;
      }
    }
  }
}

// A snapshot file around `body`, with a correct header and trailer.
std::string Framed(uint64_t generation, absl::string_view body) {
  std::string file = EncodeSnapshot(generation, State());
  file.resize(kSnapshotHeaderSize);
  file.append(body.data(), body.size());
  char trailer[12];
  EncodeFixed64(trailer, body.size());
  EncodeFixed32(trailer + 8, Checksum::Of(body));
  file.append(trailer, 12);
  char trailer_crc[4];
  EncodeFixed32(trailer_crc, Checksum::Of(absl::string_view(trailer, 12)));
  file.append(trailer_crc, 4);
  return file;
}

TEST(SnapshotTest, BodyLongerThanItsFieldsIsDataLoss) {
  // A body whose last field the trailer cuts: a valid checksum over a
  // truncated encoding (a writer bug, not damage) is reported by the
  // decoder at the offset of the cut field, in any window.
  testing::MemFileSystem fs;
  ASSERT_OK(fs.CreateDir("/m"));
  std::string body;
  EncodeState(ManyTables(), &body);
  body.resize(body.size() - 5);
  ASSERT_OK(io::WriteFileSynced(&fs, "/m/000002.snapshot", Framed(2, body)));
  for (size_t window : {size_t{1}, size_t{64}, kSnapshotReadWindow}) {
    const absl::StatusOr<State> got = ReadSnapshot(&fs, "/m", 2, window);
    EXPECT_THAT(got, StatusIs(absl::StatusCode::kDataLoss,
                              HasSubstr("000002.snapshot body: field value at "
                                        "offset")))
        << "window " << window;
    EXPECT_THAT(got.status().message(), HasSubstr("truncated"));
  }
}

// Tables [first, last] with keys of a few dozen bytes: 30,000 of them make a
// body over 1 MiB, which a mapping file system decodes in two parts (any
// body over 256 KiB is).
State Tables(uint64_t first, uint64_t last) {
  State state;
  state.last_sequence = 9;
  state.last_lsn = 4242;
  state.active_wal = 3;
  state.next_table_number = last + 1;
  for (uint64_t n = first; n <= last; ++n) {
    TableMeta t;
    t.number = n;
    t.file_size = n * 1000;
    t.entries = n;
    t.smallest_key = absl::StrFormat("key-%012d", n);
    t.largest_key = absl::StrFormat("key-%012d-z", n);
    t.smallest_lsn = n;
    t.largest_lsn = n + 7;
    t.checksum = static_cast<uint32_t>(n * 2654435761u);
    state.tables.Put(t);
  }
  return state;
}

// The same bytes read through a mapping file system (POSIX: decoded in two
// parts) and through one that does not map (memory: one pass in windows).
class TwoPartTest : public ::testing::Test {
 protected:
  TwoPartTest() { EXPECT_OK(mem_.CreateDir("/m")); }

  void Put(const std::string& file) {
    ASSERT_OK(io::WriteFileSynced(io::PosixFileSystem(),
                                  io::JoinPath(dir_.path(), "000002.snapshot"),
                                  file));
    ASSERT_OK(io::WriteFileSynced(&mem_, "/m/000002.snapshot", file));
  }
  absl::StatusOr<State> Posix() {
    return ReadSnapshot(io::PosixFileSystem(), dir_.path(), 2);
  }
  absl::StatusOr<State> Mem() { return ReadSnapshot(&mem_, "/m", 2); }

  testing::TempDir dir_;
  testing::MemFileSystem mem_;
};

TEST_F(TwoPartTest, TwoPartsGiveTheStateOnePassGives) {
  const State state = Tables(1, 30000);
  std::string body;
  EncodeState(state, &body);
  ASSERT_GT(body.size(), size_t{1} << 20);
  Put(Framed(2, body));
  EXPECT_THAT(Posix(), testing::IsOkAndHolds(state));
  EXPECT_THAT(Mem(), testing::IsOkAndHolds(state));
}

// A field other than a table in the second half, and tables out of order
// across the halves: the parts cannot be joined as decoded, and the body is
// decoded in one pass instead — the same state as the window reader's.
TEST_F(TwoPartTest, WhatTwoPartsCannotJoinIsDecodedInOnePass) {
  std::string body;
  EncodeState(Tables(1, 30000), &body);
  TaggedWriter(&body).Varint(3, 99);  // Last LSN, after every table.
  Put(Framed(2, body));
  ASSERT_OK_AND_ASSIGN(State posix, Posix());
  EXPECT_EQ(posix.last_lsn, 99u);
  EXPECT_THAT(Mem(), testing::IsOkAndHolds(posix));

  // The newer tables first, the older ones (tables only) after them.
  std::string newer, older, prefix;
  EncodeState(Tables(15001, 30000), &newer);
  State low = Tables(1, 15000);
  EncodeState(low, &older);
  low.tables = TableSet();
  EncodeState(low, &prefix);  // The same scalars, no table.
  Put(Framed(2, newer + older.substr(prefix.size())));
  ASSERT_OK_AND_ASSIGN(State joined, Posix());
  EXPECT_EQ(joined.tables.size(), 30000u);
  EXPECT_NE(joined.tables.Find(7), nullptr);
  EXPECT_THAT(Mem(), testing::IsOkAndHolds(joined));
}

// The parts meet at a guessed field boundary. Keys that hold encoded table
// fields can fool the guess: the first part's decode then fails at the cut,
// and the body is decoded in one pass — the same state, never an error.
TEST_F(TwoPartTest, AWrongGuessAtTheBoundaryIsCaught) {
  std::string fake;  // Four table fields, as a key's bytes.
  {
    State four = Tables(1, 4);
    std::string scalars, all;
    EncodeState(four, &all);
    four.tables = TableSet();
    EncodeState(four, &scalars);
    fake = all.substr(scalars.size());
  }
  bool fooled = false;
  for (int pad = 0; pad < 200 && !fooled; pad += 7) {
    State state = Tables(1, 0);
    state.next_table_number = 3001;
    for (uint64_t n = 1; n <= 3000; ++n) {
      TableMeta t;
      t.number = n;
      t.smallest_key =
          absl::StrFormat("%06d", n) + std::string(pad, 'p') + fake;
      t.largest_key = t.smallest_key + "z";
      state.tables.Put(t);
    }
    std::string body;
    EncodeState(state, &body);
    ASSERT_GT(body.size(), size_t{256} << 10);
    const size_t guess = LikelyTableFieldAt(body, body.size() / 2);
    ASSERT_NE(guess, absl::string_view::npos);
    State prefix;
    // Not a field boundary: the fields before it do not end there.
    fooled = !DecodeState(body.substr(0, guess), "body", 0, &prefix).ok();
    if (!fooled) continue;
    Put(Framed(2, body));
    EXPECT_THAT(Posix(), testing::IsOkAndHolds(state)) << pad;
    EXPECT_THAT(Mem(), testing::IsOkAndHolds(state)) << pad;
  }
  EXPECT_TRUE(fooled) << "no key layout fooled the guess";
}

// No boundary seen near the middle (it lies inside a 200 KB key): one pass.
TEST_F(TwoPartTest, NoBoundaryNearTheMiddleIsDecodedInOnePass) {
  State state = Tables(1, 0);
  state.next_table_number = 4;
  for (uint64_t n = 1; n <= 3; ++n) {
    TableMeta t;
    t.number = n;
    t.smallest_key = std::string(200000, static_cast<char>('a' + n));
    t.largest_key = t.smallest_key + "z";
    state.tables.Put(t);
  }
  std::string body;
  EncodeState(state, &body);
  ASSERT_GT(body.size(), size_t{256} << 10);
  ASSERT_EQ(LikelyTableFieldAt(body, body.size() / 2), absl::string_view::npos);
  Put(Framed(2, body));
  EXPECT_THAT(Posix(), testing::IsOkAndHolds(state));
  EXPECT_THAT(Mem(), testing::IsOkAndHolds(state));
}

TEST_F(TwoPartTest, DamageInEitherHalfIsTheChecksumMismatch) {
  std::string body;
  EncodeState(Tables(1, 30000), &body);
  const std::string good = Framed(2, body);
  for (size_t at : {kSnapshotHeaderSize + 100, good.size() / 2 + 7,
                    good.size() - kSnapshotTrailerSize - 3}) {
    std::string bad = good;
    bad[at] ^= 0x10;
    Put(bad);
    EXPECT_THAT(Posix(), StatusIs(absl::StatusCode::kDataLoss,
                                  HasSubstr("body: checksum mismatch")))
        << at;
    EXPECT_THAT(Mem(), StatusIs(absl::StatusCode::kDataLoss,
                                HasSubstr("body: checksum mismatch")))
        << at;
  }
}

}  // namespace
}  // namespace strata::manifest
