#include "manifest/edit.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace strata::manifest {
namespace {

using ::strata::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TableMeta Table(uint64_t number, uint32_t level = 0) {
  TableMeta t;
  t.number = number;
  t.file_size = 1000 + number;
  t.entries = 10;
  t.smallest_key = "a";
  t.largest_key = "z";
  t.level = level;
  return t;
}

Edit Ops(std::vector<Op> ops) {
  Edit e;
  e.ops = std::move(ops);
  return e;
}

// Validates then applies, as the manifest does.
absl::Status Commit(State* state, Edit edit) {
  edit.sequence = state->last_sequence + 1;
  if (absl::Status s = Validate(*state, edit); !s.ok()) return s;
  Apply(edit, state);
  return absl::OkStatus();
}

// A state with WAL 1 active and tables 1 and 2 live (ids up to 4 allocated,
// so the counter is at 5).
State Started() {
  State s;
  EXPECT_OK(Commit(&s, Ops({SetActiveWal{1}, AllocateTableId{4}})));
  EXPECT_OK(Commit(&s, Ops({AddTable{Table(1)}, AddTable{Table(2)}})));
  return s;
}

TEST(EditTest, FreezeThenFlushAreEachOneEdit) {
  State s = Started();
  ASSERT_OK(Commit(&s, Edit::Freeze(1, 2)));
  EXPECT_EQ(s.active_wal, 2u);
  EXPECT_THAT(s.frozen_wals, ElementsAre(1));
  ASSERT_OK(Commit(&s, Edit::Flush(Table(3), 1, 100)));
  EXPECT_TRUE(s.frozen_wals.empty());
  EXPECT_EQ(s.tables.count(3), 1u);
  EXPECT_EQ(s.last_lsn, 100u);
  EXPECT_EQ(s.last_sequence, 4u);
}

TEST(EditTest, CompactionRemovesThenAddsAtomically) {
  State s = Started();
  ASSERT_OK(Commit(&s, Ops({Compaction{{Table(3, 1)}, {1, 2}}})));
  EXPECT_EQ(s.tables.size(), 1u);
  EXPECT_EQ(s.tables.Find(3)->level, 1u);
  // A compaction with one bad input changes nothing.
  const State before = s;
  EXPECT_THAT(Commit(&s, Ops({Compaction{{}, {3, 99}}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("table 99 is not live")));
  EXPECT_EQ(s, before);
}

TEST(EditTest, ValidationRefusesWhatTheReferenceAccepts) {
  const State s = Started();
  struct Case {
    Op op;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {RemoveTable{7}, "table 7 is not live"},
           {AddTable{Table(1)}, "table 1 is already live"},
           {AddTable{Table(5)}, "at or past the allocation counter 5"},
           {AllocateTableId{3}, "below the allocation counter 5"},
           {RemoveFrozenWal{1}, "WAL 1 is not frozen"},
           {AddFrozenWal{5}, "WAL 5 was never active"},
           {SetActiveWal{1}, "WAL ids are never reused"},
           {UpdateLsn{0}, ""},  // Equal is fine.
       }) {
    const absl::Status st = Validate(s, Ops({c.op}));
    if (std::string(c.error).empty()) {
      EXPECT_OK(st);
    } else {
      EXPECT_THAT(
          st, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.error)))
          << OpName(c.op);
    }
  }
}

TEST(EditTest, ValidationSeesEarlierOpsOfTheSameEdit) {
  State s = Started();
  EXPECT_OK(Validate(s, Ops({AllocateTableId{9}, AddTable{Table(9)}})));
  EXPECT_THAT(Validate(s, Ops({RemoveTable{1}, RemoveTable{1}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("edit op 1 (RemoveTable)")));
  EXPECT_THAT(Validate(s, Ops({RemoveTable{1}, AddTable{Table(1)}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("was live")));  // Ids are never reused.
  ASSERT_OK(Commit(&s, Ops({UpdateLsn{50}})));
  EXPECT_THAT(Validate(s, Ops({UpdateLsn{49}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("lower the last LSN from 50 to 49")));
}

TEST(EditTest, ReplayIsIdempotent) {
  State s = Started();
  const Edit freeze = [] {
    Edit e = Edit::Freeze(1, 2);
    e.ops.push_back(UpdateLsn{10});
    e.sequence = 3;
    return e;
  }();
  Apply(freeze, &s);
  const State once = s;
  Apply(freeze, &s);  // The same edit again: nothing changes.
  EXPECT_EQ(s, once);
  Edit compaction = Ops({Compaction{{Table(3)}, {1}}});
  compaction.sequence = 4;
  Apply(compaction, &s);
  const State compacted = s;
  Apply(compaction, &s);
  EXPECT_EQ(s, compacted);
  // UpdateLsn never lowers on replay either.
  Apply(Ops({UpdateLsn{1}}), &s);
  EXPECT_EQ(s.last_lsn, 10u);
}

TEST(EditTest, AllocatedIdsSurviveAndMoveTheCounter) {
  State s;
  ASSERT_OK(Commit(&s, Ops({AllocateTableId{1}})));
  EXPECT_EQ(s.next_table_number, 2u);
  ASSERT_OK(Commit(&s, Ops({AllocateTableId{10}})));
  EXPECT_EQ(s.next_table_number, 11u);
  // Replaying an older allocation does not move the counter back.
  Apply(Ops({AllocateTableId{1}}), &s);
  EXPECT_EQ(s.next_table_number, 11u);
}

}  // namespace
}  // namespace strata::manifest
