#include "manifest/codec.h"

#include <string>

#include "absl/strings/escaping.h"
#include "encoding/tagged.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/random.h"
#include "testing/status_matchers.h"

namespace strata::manifest {
namespace {

using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

TableMeta RandomTable(testing::Random& rnd, uint64_t number) {
  TableMeta t;
  t.number = number;
  t.file_size = rnd.Skewed64();
  t.entries = rnd.Skewed64();
  t.tombstones = rnd.Skewed64();
  t.smallest_key = rnd.Bytes(16 + rnd.Uniform(49));
  t.largest_key = rnd.Bytes(16 + rnd.Uniform(49));
  t.smallest_lsn = rnd.Skewed64();
  t.largest_lsn = rnd.Skewed64();
  t.level = static_cast<uint32_t>(rnd.Uniform(8));
  t.checksum = static_cast<uint32_t>(rnd.Next64());
  return t;
}

Edit RandomEdit(testing::Random& rnd) {
  Edit e;
  e.sequence = rnd.Skewed64();
  const int n = rnd.Uniform(6);
  for (int i = 0; i < n; ++i) {
    switch (rnd.Uniform(9)) {
      case 0:
        e.ops.push_back(SetVersion{rnd.Skewed64()});
        break;
      case 1:
        e.ops.push_back(SetActiveWal{rnd.Skewed64()});
        break;
      case 2:
        e.ops.push_back(AddFrozenWal{rnd.Skewed64()});
        break;
      case 3:
        e.ops.push_back(RemoveFrozenWal{rnd.Skewed64()});
        break;
      case 4:
        e.ops.push_back(AddTable{RandomTable(rnd, rnd.Skewed64())});
        break;
      case 5:
        e.ops.push_back(RemoveTable{rnd.Skewed64()});
        break;
      case 6:
        e.ops.push_back(UpdateLsn{rnd.Skewed64()});
        break;
      case 7:
        e.ops.push_back(AllocateTableId{rnd.Skewed64()});
        break;
      default:
        e.ops.push_back(
            Compaction{{RandomTable(rnd, 5), RandomTable(rnd, 6)}, {1, 2, 3}});
    }
  }
  return e;
}

bool SameEdit(const Edit& a, const Edit& b) {
  if (a.sequence != b.sequence || a.ops.size() != b.ops.size()) return false;
  // Compare through their encodings, which are canonical.
  std::string ea, eb;
  EncodeEdit(a, &ea);
  EncodeEdit(b, &eb);
  return ea == eb;
}

TEST(ManifestCodecTest, EditRoundTrips) {
  testing::Random rnd(1);
  for (int i = 0; i < 2000; ++i) {
    const Edit edit = RandomEdit(rnd);
    std::string bytes;
    EncodeEdit(edit, &bytes);
    Edit back;
    ASSERT_OK(DecodeEdit(bytes, "edit", 0, &back));
    ASSERT_TRUE(SameEdit(edit, back));
    // Same op kinds in the same order.
    for (size_t j = 0; j < edit.ops.size(); ++j) {
      ASSERT_EQ(edit.ops[j].index(), back.ops[j].index());
    }
  }
}

TEST(ManifestCodecTest, StateRoundTrips) {
  testing::Random rnd(2);
  State state;
  state.version = 3;
  state.last_sequence = 77;
  state.last_lsn = 123456;
  state.active_wal = 9;
  state.frozen_wals = {7, 8};
  state.next_table_number = 1000;
  for (uint64_t n = 1; n < 1000; n += 3) state.tables.Put(RandomTable(rnd, n));
  std::string bytes;
  EncodeState(state, &bytes);
  State back;
  ASSERT_OK(DecodeState(bytes, "snapshot", 0, &back));
  EXPECT_EQ(back, state);
}

// The checksums and the rest of the framing live in the log and snapshot
// formats; these bytes pin the edit and table encodings themselves.
TEST(ManifestCodecGoldenTest, FlushEdit) {
  TableMeta t;
  t.number = 5;
  t.file_size = 300;
  t.entries = 2;
  t.tombstones = 1;
  t.smallest_key = "a";
  t.largest_key = "b";
  t.smallest_lsn = 7;
  t.largest_lsn = 8;
  t.level = 0;
  t.checksum = 0x11;
  Edit edit = Edit::Flush(t, 3, 8);
  edit.sequence = 12;
  std::string bytes;
  EncodeEdit(edit, &bytes);
  EXPECT_EQ(absl::BytesToHexString(bytes),
            "080c"  // 1: sequence 12
            "3217"  // 6: AddTable, 23 bytes:
            "0805"
            "10ac02"
            "1802"
            "2001"
            "2a0161"
            "320162"
            "3807"
            "4008"
            "4800"
            "5011"
            "2803"    // 5: RemoveFrozenWal 3
            "4008");  // 8: UpdateLsn 8
}

TEST(ManifestCodecGoldenTest, FreezeFlushActiveAndCompactEdits) {
  std::string bytes;
  Edit freeze = Edit::Freeze(1, 2);
  freeze.sequence = 3;
  EncodeEdit(freeze, &bytes);
  EXPECT_EQ(absl::BytesToHexString(bytes),
            "0803"    // 1: sequence 3
            "2001"    // 4: AddFrozenWal 1
            "1802");  // 3: SetActiveWal 2

  TableMeta t;
  t.number = 5;
  Edit flush = Edit::FlushActive(t, 9, 4);
  flush.sequence = 4;
  bytes.clear();
  EncodeEdit(flush, &bytes);
  EXPECT_EQ(absl::BytesToHexString(bytes),
            "0804"  // 1: sequence 4
            "3214"  // 6: AddTable, 20 bytes: number 5, the rest zero
            "0805100018002000"
            "2a0032003800400048005000"
            "4009"    // 8: UpdateLsn 9
            "1804");  // 3: SetActiveWal 4
  EXPECT_EQ(Edit::FlushActive(t, 9, std::nullopt).ops.size(), 2u);

  Edit compact = Edit::Compact({t}, {1, 2});
  compact.sequence = 5;
  bytes.clear();
  EncodeEdit(compact, &bytes);
  ASSERT_EQ(compact.ops.size(), 1u);
  Edit back;
  ASSERT_OK(DecodeEdit(bytes, "edit", 0, &back));
  EXPECT_EQ(std::get<Compaction>(back.ops[0]).removed,
            (std::vector<uint64_t>{1, 2}));
}

TEST(ManifestCodecTest, UnknownOpFromANewerFormatIsRefused) {
  std::string bytes;
  EncodeEdit(Edit{0, {AddFrozenWal{1}, SetActiveWal{2}, UpdateLsn{3}}}, &bytes);
  TaggedWriter(&bytes).Varint(40, 1);  // An op this build does not know.
  Edit edit;
  EXPECT_THAT(DecodeEdit(bytes, "manifest/000002.log record", 64, &edit),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("newer format version")));
}

TEST(ManifestCodecTest, SkippableUnknownFieldIsSkipped) {
  std::string bytes;
  EncodeEdit(Edit{0, {AddFrozenWal{1}, SetActiveWal{2}, UpdateLsn{3}}}, &bytes);
  TaggedWriter(&bytes).Bytes(41, "hint", IfUnknown::kSkip);
  Edit edit;
  ASSERT_OK(DecodeEdit(bytes, "edit", 0, &edit));
  EXPECT_EQ(edit.ops.size(), 3u);
}

// Tables are decoded by a fast path for the layout this build writes; any
// other layout (fields in another order, a skippable field it does not
// know, one it must refuse, a value out of range) goes to the field-by-field
// reader, with its results and its errors.
TEST(ManifestCodecTest, ATableInAnotherLayoutDecodesAsTheFieldReaderReadsIt) {
  // A state's table field (7) around the table's own fields.
  const auto state_with = [](const std::string& table) {
    std::string bytes;
    TaggedWriter w(&bytes);
    w.Varint(6, 100);  // Next table number.
    w.Bytes(7, table);
    return bytes;
  };
  std::string table;
  {
    TaggedWriter w(&table);
    w.Varint(10, 77);  // Checksum first, number last.
    w.Bytes(6, "zz");
    w.Bytes(5, "aa");
    w.Varint(9, 2);
    w.Bytes(30, "hint", IfUnknown::kSkip);
    w.Varint(1, 12);
  }
  State state;
  ASSERT_OK(DecodeState(state_with(table), "s", 0, &state));
  const TableMeta* t = state.tables.Find(12);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->smallest_key, "aa");
  EXPECT_EQ(t->largest_key, "zz");
  EXPECT_EQ(t->level, 2u);
  EXPECT_EQ(t->checksum, 77u);

  // The canonical layout with a field this build must refuse after it.
  TableMeta canonical;
  canonical.number = 5;
  canonical.smallest_key = "a";
  canonical.largest_key = "b";
  std::string encoded;
  {
    State one;
    one.next_table_number = 100;
    one.tables.Put(canonical);
    EncodeState(one, &encoded);
  }
  State plain;
  ASSERT_OK(DecodeState(encoded, "s", 0, &plain));
  EXPECT_EQ(*plain.tables.Find(5), canonical);
  std::string refused;
  {
    std::string body;
    TaggedWriter w(&body);
    w.Varint(1, 5);
    w.Varint(31, 1);  // Unknown, not skippable.
    refused = state_with(body);
  }
  State s1;
  EXPECT_THAT(DecodeState(refused, "s", 0, &s1),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("newer format version")));
  std::string wide;
  {
    std::string body;
    TaggedWriter w(&body);
    w.Varint(1, 5);
    w.Varint(9, uint64_t{1} << 33);  // Level past 32 bits.
    wide = state_with(body);
  }
  State s2;
  EXPECT_THAT(DecodeState(wide, "s", 0, &s2),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ManifestCodecTest, MissingSequenceOrTableNumberIsDataLoss) {
  Edit edit;
  EXPECT_THAT(DecodeEdit("", "edit", 0, &edit),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no sequence")));
  std::string bytes;
  TaggedWriter w(&bytes);
  w.Varint(1, 1);
  std::string table;
  TaggedWriter(&table).Varint(2, 10);  // file size but no number
  w.Bytes(6, table);
  EXPECT_THAT(
      DecodeEdit(bytes, "edit", 0, &edit),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no file number")));
}

TEST(ManifestCodecTest, StateWithDuplicateOrUnallocatedTableIsDataLoss) {
  State state;
  state.next_table_number = 3;
  TableMeta two;
  two.number = 2;
  state.tables.Put(two);
  std::string bytes;
  EncodeState(state, &bytes);
  std::string dup = bytes;
  std::string table;
  TaggedWriter(&table).Varint(1, 2);
  TaggedWriter(&dup).Bytes(7, table);
  State back;
  EXPECT_THAT(DecodeState(dup, "snapshot", 0, &back),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("table 2 appears twice")));
  state.next_table_number = 2;
  bytes.clear();
  EncodeState(state, &bytes);
  State back2;
  EXPECT_THAT(DecodeState(bytes, "snapshot", 0, &back2),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("at or past the next table id")));
}

TEST(ManifestCodecTest, EveryTruncationIsDataLossOrAShorterEdit) {
  testing::Random rnd(3);
  Edit edit = RandomEdit(rnd);
  edit.ops.push_back(Compaction{{RandomTable(rnd, 9)}, {4}});
  std::string bytes;
  EncodeEdit(edit, &bytes);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    Edit back;
    const absl::Status s = DecodeEdit(bytes.substr(0, cut), "edit", 0, &back);
    if (!s.ok()) {
      EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    } else {
      EXPECT_LT(back.ops.size(), edit.ops.size());
    }
  }
}

}  // namespace
}  // namespace strata::manifest
