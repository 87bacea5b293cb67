#include "engine/memtable.h"

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

TEST(MemTableTest, CollectHonoursTheRangeAndLsn) {
  MemTable mem;
  for (int i = 0; i < 10; ++i) {
    mem.Add({std::string(1, 'a' + i), uint64_t(i + 1), EntryKind::kPut, "v"});
  }
  std::vector<OwnedEntry> out;
  mem.Collect("c", "g", 5, &out);  // c, d, e (LSNs 3..5); f has LSN 6.
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].key, "c");
  EXPECT_EQ(out[2].key, "e");
  out.clear();
  mem.Collect("h", "", 100, &out);
  EXPECT_EQ(out.size(), 3u);
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
  std::vector<OwnedEntry> mem = {{"a", 5, EntryKind::kDelete, ""},
                                 {"b", 4, EntryKind::kPut, "b4"}};
  std::vector<std::unique_ptr<EntryIterator>> children;
  children.push_back(NewVectorIterator(mem));
  children.push_back(NewTableIterator(std::move(table)));
  std::unique_ptr<EntryIterator> it = NewMergingIterator(std::move(children));
  std::vector<std::pair<std::string, uint64_t>> seen;
  for (; it->Valid(); it->Next()) {
    seen.emplace_back(std::string(it->entry().key), it->entry().lsn);
  }
  ASSERT_OK(it->status());
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, uint64_t>>{
                      {"a", 5}, {"a", 1}, {"b", 4}, {"c", 3}}));
}

}  // namespace
}  // namespace strata::engine
