#include "engine/memtable.h"

#include <memory>
#include <string>
#include <vector>

#include "engine/merging_iterator.h"
#include "gtest/gtest.h"
#include "sstable/table_reader.h"
#include "sstable/table_writer.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"

namespace strata::engine {
namespace {

using sstable::EntryKind;

TEST(MemTableTest, GetSeesTheNewestVersionAtOrBelowTheLsn) {
  MemTable mem;
  mem.Add({"k", 5, EntryKind::kPut, "five"});
  mem.Add({"k", 9, EntryKind::kDelete, {}});
  mem.Add({"k", 7, EntryKind::kPut, "seven"});
  mem.Add({"j", 8, EntryKind::kPut, "jay"});
  EXPECT_FALSE(mem.Get("k", 4).has_value());
  EXPECT_EQ(mem.Get("k", 6)->value, "five");
  EXPECT_EQ(mem.Get("k", 8)->value, "seven");
  EXPECT_EQ(mem.Get("k", 100)->kind, EntryKind::kDelete);
  EXPECT_FALSE(mem.Get("l", 100).has_value());
  EXPECT_EQ(mem.max_lsn(), 9u);
  EXPECT_EQ(mem.count(), 4u);
}

TEST(MemTableTest, ReplayingAnEntryTwiceChangesNothing) {
  MemTable mem;
  mem.Add({"k", 5, EntryKind::kPut, "v"});
  const size_t bytes = mem.ApproximateBytes();
  mem.Add({"k", 5, EntryKind::kPut, "v"});
  EXPECT_EQ(mem.count(), 1u);
  EXPECT_EQ(mem.ApproximateBytes(), bytes);
}

TEST(MemTableTest, ACursorWalksInPlaceAndSeesEntriesAddedBehindIt) {
  auto mem = std::make_shared<MemTable>();
  for (int i = 0; i < 10; i += 2) {
    mem->Add({std::string(1, 'a' + i), uint64_t(i + 1), EntryKind::kPut, "v"});
  }
  MemTable::Cursor cursor(mem.get());
  cursor.Seek("b");  // c
  ASSERT_TRUE(cursor.Valid());
  EXPECT_EQ(cursor.entry().key, "c");
  const char* where = cursor.entry().key.data();
  // Added while the cursor stands on "c": the next step finds "d".
  mem->Add({"d", 20, EntryKind::kPut, "new"});
  mem->Add({"a", 21, EntryKind::kPut, "behind"});
  EXPECT_EQ(cursor.entry().key.data(), where);  // Not copied, not moved.
  cursor.Next();
  ASSERT_TRUE(cursor.Valid());
  EXPECT_EQ(cursor.entry().key, "d");
  EXPECT_EQ(cursor.entry().value, "new");
  std::vector<std::string> rest;
  for (cursor.Next(); cursor.Valid(); cursor.Next()) {
    rest.emplace_back(cursor.entry().key);
  }
  EXPECT_EQ(rest, (std::vector<std::string>{"e", "g", "i"}));
  cursor.SeekToFirst();
  EXPECT_EQ(cursor.entry().key, "a");
  EXPECT_EQ(cursor.entry().lsn, 21u);
}

TEST(MemTableTest, RangeTombstonesAreHeldApartAndAnsweredByLsn) {
  MemTable mem;
  mem.Add({"b", 5, EntryKind::kRangeDelete, "f"});
  mem.Add({"d", 8, EntryKind::kRangeDelete, "e"});
  mem.Add({"d", 8, EntryKind::kRangeDelete, "e"});  // Replayed: ignored.
  mem.Add({"c", 6, EntryKind::kPut, "v"});
  EXPECT_EQ(mem.count(), 3u);
  EXPECT_EQ(mem.MaxCoveringTombstone("d", 100), 8u);
  EXPECT_EQ(mem.MaxCoveringTombstone("d", 7), 5u);
  EXPECT_EQ(mem.MaxCoveringTombstone("f", 100), 0u);
  EXPECT_EQ(mem.MaxCoveringTombstone("a", 100), 0u);
  EXPECT_EQ(mem.RangeTombstones(6).size(), 1u);
  EXPECT_EQ(mem.max_lsn(), 8u);
  int points = 0;
  mem.ForEach([&](const sstable::Entry&) { ++points; });
  EXPECT_EQ(points, 1);
}

TEST(MergingIteratorTest, MergesMemtablesAndTablesInInternalOrder) {
  testing::MemFileSystem fs;
  ASSERT_OK(fs.CreateDir("/t"));
  ASSERT_OK_AND_ASSIGN(auto writer,
                       sstable::TableWriter::Create(&fs, "/t/1.sst"));
  ASSERT_OK(writer->Put("a", 1, "a1"));
  ASSERT_OK(writer->Put("c", 3, "c3"));
  ASSERT_OK(writer->Finish().status());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<sstable::TableReader> table,
                       sstable::TableReader::Open(&fs, "/t/1.sst"));
  auto mem = std::make_shared<MemTable>();
  mem->Add({"a", 5, EntryKind::kDelete, ""});
  mem->Add({"b", 4, EntryKind::kPut, "b4"});
  std::vector<std::unique_ptr<EntryIterator>> children;
  children.push_back(NewMemTableIterator(mem));
  children.push_back(NewTableIterator(std::move(table)));
  std::unique_ptr<EntryIterator> it = NewMergingIterator(std::move(children));
  std::vector<std::pair<std::string, uint64_t>> seen;
  for (; it->Valid(); it->Next()) {
    seen.emplace_back(std::string(it->entry().key), it->entry().lsn);
  }
  ASSERT_OK(it->status());
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, uint64_t>>{
                      {"a", 5}, {"a", 1}, {"b", 4}, {"c", 3}}));
  it->Seek("b");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->entry().key, "b");
  it->Seek("bb");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->entry().key, "c");
  it->SeekToFirst();
  EXPECT_EQ(it->entry().lsn, 5u);
}

}  // namespace
}  // namespace strata::engine
