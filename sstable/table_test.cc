#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "encoding/coding.h"
#include "encoding/crc32c.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sstable/block_cache.h"
#include "sstable/compression.h"
#include "sstable/format.h"
#include "sstable/properties.h"
#include "sstable/table_reader.h"
#include "sstable/table_writer.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/random.h"
#include "testing/status_matchers.h"

namespace strata::sstable {
namespace {

using ::strata::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr absl::StatusCode kDataLoss = absl::StatusCode::kDataLoss;

struct Version {
  std::string key;
  uint64_t lsn;
  EntryKind kind;
  std::string value;
};

class TableTest : public ::testing::Test {
 protected:
  TableTest() { EXPECT_OK(fs_.CreateDir("/sst")); }

  // Writes `versions` (already in table order) and opens the result.
  std::unique_ptr<TableReader> Build(
      const std::vector<Version>& versions, size_t block_size = 256,
      uint32_t bloom_bits_per_key = 10,
      const std::vector<RangeTombstone>& ranges = {}) {
    auto writer = TableWriter::Create(
        &fs_, "/sst/000001.sst.tmp",
        {.block_size = block_size, .bloom_bits_per_key = bloom_bits_per_key});
    EXPECT_OK(writer.status());
    for (const Version& v : versions) {
      EXPECT_OK((*writer)->Add({v.key, v.lsn, v.kind, v.value}));
    }
    for (const RangeTombstone& r : ranges) {
      EXPECT_OK((*writer)->AddRangeTombstone(r.start, r.end, r.lsn));
    }
    absl::StatusOr<TableProperties> props = (*writer)->Finish();
    EXPECT_OK(props.status());
    EXPECT_OK(InstallTable(&fs_, "/sst/000001.sst.tmp", kPath));
    written_ = props.value_or(TableProperties());
    auto reader = TableReader::Open(&fs_, kPath, &counters_);
    EXPECT_OK(reader.status());
    return reader.ok() ? *std::move(reader) : nullptr;
  }

  std::string Bytes() { return *io::ReadFileToString(&fs_, kPath); }
  void Rewrite(const std::string& bytes) {
    ASSERT_OK(io::WriteFileSynced(&fs_, kPath, bytes));
  }

  static constexpr const char* kPath = "/sst/000001.sst";
  testing::MemFileSystem fs_;
  TableProperties written_;
  ReadCounters counters_;
};

std::vector<Version> Scan(const TableReader& table) {
  std::vector<Version> out;
  auto it = table.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const Entry& e = it->entry();
    out.push_back({std::string(e.key), e.lsn, e.kind, std::string(e.value)});
  }
  EXPECT_OK(it->status());
  return out;
}

bool operator==(const Version& a, const Version& b) {
  return a.key == b.key && a.lsn == b.lsn && a.kind == b.kind &&
         a.value == b.value;
}

// Many keys, several versions each, some tombstones.
std::vector<Version> MultiVersion(int keys, testing::Random& rnd) {
  std::vector<Version> out;
  for (int k = 0; k < keys; ++k) {
    const std::string key = absl::StrFormat("key%06d", k);
    const int versions = 1 + rnd.Uniform(4);
    for (int v = versions; v >= 1; --v) {
      const uint64_t lsn = 10 * k + v;
      if (rnd.OneIn(5)) {
        out.push_back({key, lsn, EntryKind::kDelete, ""});
      } else {
        out.push_back({key, lsn, EntryKind::kPut, rnd.Bytes(rnd.Uniform(40))});
      }
    }
  }
  return out;
}

TEST_F(TableTest, EmptyTable) {
  auto table = Build({});
  EXPECT_EQ(table->properties().entries, 0u);
  EXPECT_TRUE(Scan(*table).empty());
  EXPECT_THAT(table->Get("a"),
              testing::IsOkAndHolds(::testing::Eq(std::nullopt)));
  EXPECT_OK(table->Verify());
}

TEST_F(TableTest, OneEntry) {
  auto table = Build({{"k", 5, EntryKind::kPut, "v"}});
  EXPECT_EQ(Scan(*table).size(), 1u);
  ASSERT_OK_AND_ASSIGN(std::optional<Found> found, table->Get("k"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->value, "v");
  EXPECT_EQ(found->lsn, 5u);
  EXPECT_OK(table->Verify());
}

TEST_F(TableTest, RoundTripManyBlocksVersionsAndTombstones) {
  testing::Random rnd(1);
  const std::vector<Version> versions = MultiVersion(2000, rnd);
  auto table = Build(versions);
  EXPECT_GT(table->properties().data_blocks, 50u);
  EXPECT_EQ(Scan(*table), versions);
  EXPECT_OK(table->Verify());
  // What Finish returned is what the reader finds.
  EXPECT_EQ(table->properties(), written_);
  EXPECT_EQ(written_.entries, versions.size());
  EXPECT_EQ(written_.smallest_key, "key000000");
  EXPECT_EQ(written_.largest_key, "key001999");
  int tombstones = 0;
  for (const Version& v : versions) tombstones += v.kind == EntryKind::kDelete;
  EXPECT_EQ(written_.tombstones, static_cast<uint64_t>(tombstones));
}

TEST_F(TableTest, LargeKeysAndValues) {
  testing::Random rnd(2);
  std::vector<Version> versions;
  for (int i = 0; i < 20; ++i) {
    versions.push_back({absl::StrFormat("%05d", i) + rnd.Printable(3000), 1,
                        EntryKind::kPut, rnd.Bytes(100000)});
  }
  auto table = Build(versions);
  EXPECT_EQ(Scan(*table), versions);
  EXPECT_OK(table->Verify());
}

TEST_F(TableTest, LookupsAtEveryLsnBoundary) {
  // Key "k" at LSNs 40 (put), 30 (delete), 20 (put), 10 (put); block size 1
  // puts every version in its own block.
  auto table = Build({{"a", 1, EntryKind::kPut, "a"},
                      {"k", 40, EntryKind::kPut, "v40"},
                      {"k", 30, EntryKind::kDelete, ""},
                      {"k", 20, EntryKind::kPut, "v20"},
                      {"k", 10, EntryKind::kPut, "v10"},
                      {"z", 5, EntryKind::kPut, "z"}},
                     /*block_size=*/1);
  for (uint64_t lsn = 0; lsn <= 50; ++lsn) {
    ASSERT_OK_AND_ASSIGN(std::optional<Found> found, table->Get("k", lsn));
    if (lsn < 10) {
      EXPECT_FALSE(found.has_value()) << lsn;
      continue;
    }
    ASSERT_TRUE(found.has_value()) << lsn;
    const uint64_t expect = lsn >= 40   ? 40
                            : lsn >= 30 ? 30
                            : lsn >= 20 ? 20
                                        : 10;
    EXPECT_EQ(found->lsn, expect) << lsn;
    EXPECT_EQ(found->kind, expect == 30 ? EntryKind::kDelete : EntryKind::kPut);
  }
  EXPECT_THAT(table->Get("b"),
              testing::IsOkAndHolds(::testing::Eq(std::nullopt)));
  EXPECT_THAT(table->Get("zz"),
              testing::IsOkAndHolds(::testing::Eq(std::nullopt)));
}

TEST_F(TableTest, SeekSemantics) {
  auto table = Build({{"b", 9, EntryKind::kPut, "b9"},
                      {"b", 3, EntryKind::kPut, "b3"},
                      {"d", 7, EntryKind::kPut, "d7"}},
                     /*block_size=*/1);
  auto it = table->NewIterator();
  it->Seek("a");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->entry().key, "b");
  EXPECT_EQ(it->entry().lsn, 9u);
  it->Seek("b", 5);  // The newest version at or below LSN 5.
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->entry().lsn, 3u);
  it->Seek("b", 2);  // No version of b at or below 2: the next key.
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->entry().key, "d");
  it->Seek("c");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->entry().key, "d");
  it->Next();
  EXPECT_FALSE(it->Valid());
  it->Seek("e");
  EXPECT_FALSE(it->Valid());
  EXPECT_OK(it->status());
}

TEST_F(TableTest, OutOfOrderInputIsInvalidArgumentNotACorruptFile) {
  auto writer = *TableWriter::Create(&fs_, "/sst/x.tmp");
  ASSERT_OK(writer->Put("b", 5, "v"));
  EXPECT_THAT(writer->Put("a", 6, "v"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("does not sort after")));
  EXPECT_THAT(writer->Put("b", 5, "v"),  // Same key and LSN.
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(writer->Put("b", 7, "v"),  // Newer version after older.
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(writer->Put("b", 4, "older"));
  ASSERT_OK(writer->Finish().status());
  auto table = *TableReader::Open(&fs_, "/sst/x.tmp");
  EXPECT_OK(table->Verify());
  EXPECT_EQ(table->properties().entries, 2u);
}

TEST_F(TableTest, FinishSyncsSoTheInstalledTableSurvivesACrash) {
  testing::MemFileSystem mem;
  testing::FaultInjectionFileSystem fs(&mem);
  ASSERT_OK(fs.CreateDir("/sst"));
  ASSERT_OK(fs.SyncDir("/"));
  auto writer = *TableWriter::Create(&fs, "/sst/000002.sst.tmp");
  ASSERT_OK(writer->Put("k", 1, "v"));
  ASSERT_OK(writer->Finish().status());
  ASSERT_OK(InstallTable(&fs, "/sst/000002.sst.tmp", "/sst/000002.sst"));
  ASSERT_OK(fs.SimulateCrash());
  ASSERT_OK_AND_ASSIGN(auto table, TableReader::Open(&mem, "/sst/000002.sst"));
  EXPECT_OK(table->Verify());
}

TEST_F(TableTest, WritesIntoAFileMadeAheadWhoseEntryIsAlreadyDurable) {
  testing::MemFileSystem mem;
  testing::FaultInjectionFileSystem fs(&mem);
  ASSERT_OK(fs.CreateDir("/sst"));
  ASSERT_OK(fs.SyncDir("/"));
  // Made ahead: created empty and its directory entry synced.
  ASSERT_OK_AND_ASSIGN(auto file, fs.NewWritableFile("/sst/000003.sst"));
  ASSERT_OK(fs.SyncDir("/sst"));
  ASSERT_OK_AND_ASSIGN(auto writer,
                       TableWriter::Create(std::move(file), "/sst/000003.sst"));
  ASSERT_OK(writer->Put("k", 1, "v"));
  ASSERT_OK(writer->Finish().status());
  // No directory sync after Finish: the table survives on its own sync.
  ASSERT_OK(fs.SimulateCrash());
  ASSERT_OK_AND_ASSIGN(auto table, TableReader::Open(&mem, "/sst/000003.sst"));
  EXPECT_OK(table->Verify());
  ASSERT_OK_AND_ASSIGN(std::optional<Found> found, table->Get("k", 1));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->value, "v");
}

TEST_F(TableTest, RefusesToWriteIntoAFileThatIsNotEmpty) {
  ASSERT_OK_AND_ASSIGN(auto file, fs_.NewWritableFile("/sst/000004.sst"));
  ASSERT_OK(file->Append("x"));
  EXPECT_THAT(TableWriter::Create(std::move(file), "/sst/000004.sst").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("/sst/000004.sst")));
}

// A table without a filter or range tombstones: the bytes every table had
// before either existed, so this also pins that such tables still read.
TEST_F(TableTest, GoldenBytes) {
  auto table =
      Build({{"a", 1, EntryKind::kPut, "x"}, {"b", 2, EntryKind::kDelete, ""}},
            /*block_size=*/4096, /*bloom_bits_per_key=*/0);
  ASSERT_OK_AND_ASSIGN(std::optional<Found> a, table->Get("a"));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->value, "x");
  EXPECT_TRUE(table->MayContain("zzz"));  // No filter: it cannot tell.
  const std::string hex = absl::BytesToHexString(Bytes());
  // Data block 0 at offset 0: "a" lsn 1 put "x" | "b" lsn 2 delete.
  EXPECT_EQ(hex.substr(0, 2 * 10),
            "0161"
            "01"
            "01"
            "0178"
            "0162"
            "02"
            "02");
  // Index block at offset 14: last key "b", lsn 2, offset 0, size 10.
  EXPECT_EQ(hex.substr(2 * 14, 2 * 5),
            "0162"
            "02"
            "00"
            "0a");
  // Properties block at offset 23, tagged fields 1..8: entries 2,
  // tombstones 1, smallest "a", largest "b", lsn 1..2, data size 14, one
  // data block.
  EXPECT_EQ(hex.substr(2 * 23, 2 * 18),
            "0802"
            "1001"
            "1a0161"
            "220162"
            "2801"
            "3002"
            "380e"
            "4001");
  // The footer's last 12 bytes: version 1, the footer checksum, magic
  // "SSTB".
  EXPECT_EQ(hex.substr(hex.size() - 2 * 12, 2 * 4), "01000000");
  EXPECT_EQ(hex.substr(hex.size() - 2 * 4), "53535442");
  // Handles in the footer: index at 14, 5 bytes; properties after the
  // index's trailer, at 23.
  const size_t footer = hex.size() - 2 * Footer::kSize;
  EXPECT_EQ(hex.substr(footer, 2 * 24),
            "0e00000000000000"
            "0500000000000000"
            "1700000000000000");
  // Every byte, checksums included, computed independently of this code
  // (a bit-at-a-time CRC32C in Python, masked).
  EXPECT_EQ(hex,
            "016101010178016202022466b5c1"          // data block + trailer
            "016202000aec1e06b9"                    // index block + trailer
            "080210011a016122016228013002380e4001"  // properties block
            "887e7a18"                              // its trailer
            "0e00000000000000050000000000000017000000000000001200000000000000"
            "64c68ff9"
            "01000000"
            "953ae783"
            "53535442");  // footer
}

// A range tombstone and a filter: the blocks go between the data and the
// index, range tombstones first. Computed independently of this code
// (/docs/sstable_format.md describes each field; the filter bits and every
// CRC32C were computed by a separate Python implementation).
TEST_F(TableTest, GoldenBytesWithARangeTombstoneAndAFilter) {
  auto table =
      Build({{"a", 1, EntryKind::kPut, "x"}, {"b", 2, EntryKind::kDelete, ""}},
            /*block_size=*/4096, /*bloom_bits_per_key=*/10, {{"c", "e", 3}});
  EXPECT_EQ(absl::BytesToHexString(Bytes()),
            "01610101017801620202"  // data block at 0
            "2466b5c1"
            "0163016503"  // range-tombstone block at 14: ["c", "e") lsn 3
            "a6fb5870"
            "0107"  // filter block at 23: format 1, 7 probes, 64 bits
            "0081218c14422010"
            "8e376fbb"
            "016202000a"  // index block at 37
            "ec1e06b9"
            // properties at 46: fields 1..8 (largest key "e", the
            // tombstone's end; largest lsn 3), 9 one range tombstone,
            // 10/11 its block at 14+5, 12/13 (skippable) the filter at
            // 23+10.
            "080210011a016122016528013003380e4001"
            "4801500e5805"
            "64176c0a"
            "bff1ed67"
            "2500000000000000"  // footer: index 37+5, properties 46+28
            "0500000000000000"
            "2e00000000000000"
            "1c00000000000000"
            "4acd29b0"
            "01000000"
            "432717b0"
            "53535442");
  EXPECT_EQ(written_.range_tombstones, 1u);
  EXPECT_EQ(written_.largest_key, "e");
  EXPECT_EQ(written_.largest_lsn, 3u);
  ASSERT_EQ(table->range_tombstones().tombstones().size(), 1u);
  EXPECT_EQ(table->range_tombstones().MaxCovering("d", UINT64_MAX), 3u);
  EXPECT_EQ(table->range_tombstones().MaxCovering("e", UINT64_MAX), 0u);
  EXPECT_OK(table->Verify());
}

TEST_F(TableTest, TheFilterSkipsAbsentKeysWithoutReadingABlock) {
  std::vector<Version> versions;
  for (int i = 0; i < 2000; ++i) {
    versions.push_back(
        {absl::StrFormat("key%06d", 2 * i), 1, EntryKind::kPut, "v"});
  }
  auto table = Build(versions);
  ASSERT_GT(table->properties().filter_size, 2000u * 10 / 8);
  for (const Version& v : versions) {  // No false negative.
    ASSERT_OK_AND_ASSIGN(std::optional<Found> found, table->Get(v.key));
    ASSERT_TRUE(found.has_value()) << v.key;
  }
  EXPECT_EQ(counters_.data_blocks_read.load(), 2000u);
  EXPECT_EQ(counters_.filter_skips.load(), 0u);
  counters_.data_blocks_read = 0;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_OK_AND_ASSIGN(std::optional<Found> found,
                         table->Get(absl::StrFormat("key%06d", 2 * i + 1)));
    EXPECT_FALSE(found.has_value());
  }
  // 10 bits per key: about 1% false positives; allow 3%.
  EXPECT_LT(counters_.data_blocks_read.load(), 60u);
  EXPECT_EQ(counters_.filter_skips.load() + counters_.data_blocks_read.load(),
            2000u);
  EXPECT_OK(table->Verify());
}

TEST_F(TableTest, RangeTombstonesRoundTripInAnyOrderAndAloneInATable) {
  auto table =
      Build({}, 256, 10, {{"m", "p", 9}, {"a", "c", 4}, {"b", "z", 7}});
  EXPECT_EQ(table->properties().entries, 0u);
  EXPECT_EQ(table->properties().smallest_key, "a");
  EXPECT_EQ(table->properties().largest_key, "z");
  EXPECT_EQ(table->properties().smallest_lsn, 4u);
  EXPECT_EQ(table->properties().largest_lsn, 9u);
  const TombstoneIndex& r = table->range_tombstones();
  EXPECT_EQ(r.tombstones(), (std::vector<RangeTombstone>{
                                {"a", "c", 4}, {"b", "z", 7}, {"m", "p", 9}}));
  EXPECT_EQ(r.MaxCovering("b", UINT64_MAX), 7u);
  EXPECT_EQ(r.MaxCovering("b", 6), 4u);
  EXPECT_EQ(r.MaxCovering("n", UINT64_MAX), 9u);
  EXPECT_EQ(r.MaxCovering("z", UINT64_MAX), 0u);
  EXPECT_TRUE(Scan(*table).empty());
  EXPECT_OK(table->Verify());
}

TEST_F(TableTest, AnEmptyRangeTombstoneIsInvalidArgument) {
  auto writer = TableWriter::Create(&fs_, kPath);
  ASSERT_OK(writer.status());
  EXPECT_THAT((*writer)->AddRangeTombstone("b", "b", 1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT((*writer)->AddRangeTombstone("c", "b", 1),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(TableTest, DamagedRangeTombstoneOrFilterBlockIsRefusedAtOpen) {
  Build({{"a", 1, EntryKind::kPut, "x"}}, 4096, 10, {{"c", "e", 3}});
  const std::string good = Bytes();
  for (const auto& [offset, name] :
       {std::pair{written_.range_tombstones_offset, "range-tombstone block"},
        std::pair{written_.filter_offset, "filter block"}}) {
    std::string bytes = good;
    bytes[offset + 1] ^= 0x01;
    Rewrite(bytes);
    EXPECT_THAT(TableReader::Open(&fs_, kPath),
                StatusIs(kDataLoss, AllOf(HasSubstr(name), HasSubstr(kPath))));
  }
}

// Field 14, the creation time: skippable (key 14 << 3 | 4 = 0x74), its
// value a zig-zag varint; written only when set.
TEST_F(TableTest, CreationTimeIsASkippableZigZagPropertiesField) {
  TableProperties p;
  std::string bytes;
  EncodeProperties(p, &bytes);
  EXPECT_EQ(absl::BytesToHexString(bytes), "080010001a0022002800300038004000");
  p.created_micros = 1;
  bytes.clear();
  EncodeProperties(p, &bytes);
  EXPECT_EQ(absl::BytesToHexString(bytes),
            "080010001a0022002800300038004000"
            "7402");
  TableProperties back;
  ASSERT_OK(DecodeProperties(bytes, "p", 0, &back));
  EXPECT_EQ(back.created_micros, 1);
  // Written by a table and read back from it.
  auto writer = TableWriter::Create(&fs_, kPath);
  ASSERT_OK(writer.status());
  ASSERT_OK((*writer)->Put("a", 1, "x"));
  (*writer)->set_created_micros(1764460800000000);
  ASSERT_OK((*writer)->Finish().status());
  ASSERT_OK_AND_ASSIGN(auto table, TableReader::Open(&fs_, kPath));
  EXPECT_EQ(table->properties().created_micros, 1764460800000000);
}

// ---- Corruption: one test per kind ----

TEST_F(TableTest, DamagedDataBlockIsDataLossNamingBlockAndOffset) {
  testing::Random rnd(3);
  auto table = Build(MultiVersion(200, rnd));
  std::string bytes = Bytes();
  bytes[600] ^= 0x40;  // Inside data block 2 (blocks are ~260 bytes).
  Rewrite(bytes);
  ASSERT_OK_AND_ASSIGN(table, TableReader::Open(&fs_, kPath));  // Lazy.
  EXPECT_THAT(table->Verify(),
              StatusIs(kDataLoss, HasSubstr("/sst/000001.sst data block")));
  auto it = table->NewIterator();
  size_t seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++seen;
  EXPECT_THAT(it->status(), StatusIs(kDataLoss, HasSubstr("checksum mismatch "
                                                          "at offset")));
  EXPECT_LT(seen, table->properties().entries);  // Nothing past the damage.
}

// Found by fuzzing past the checksums: a block whose checksum matches but
// whose entries do not decode (bad bytes written before the checksum was
// computed) is DataLoss naming the file and the block, read by the iterator,
// by Get and by the index load alike.
TEST_F(TableTest, ABlockThatPassesItsChecksumButDoesNotDecodeIsDataLoss) {
  auto table =
      Build({{"a", 2, EntryKind::kPut, "x"}, {"b", 1, EntryKind::kPut, "y"}},
            /*block_size=*/4096);
  ASSERT_EQ(table->properties().data_blocks, 1u);
  std::string bytes = Bytes();
  const size_t size = table->properties().data_size - kBlockTrailerSize;
  std::fill(bytes.begin(), bytes.begin() + size, '\xff');  // No varint ends.
  std::string crc;
  PutFixed32(&crc, Checksum::Of(absl::string_view(bytes.data(), size)));
  bytes.replace(size, kBlockTrailerSize, crc);
  Rewrite(bytes);
  ASSERT_OK_AND_ASSIGN(table, TableReader::Open(&fs_, kPath));
  auto it = table->NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(it->status(),
              StatusIs(kDataLoss, HasSubstr("sst: /sst/000001.sst data block "
                                            "0: ")));
  EXPECT_THAT(table->Get("a"),
              StatusIs(kDataLoss, HasSubstr("sst: /sst/000001.sst data block "
                                            "0: ")));
}

// Found by fuzzing past the checksums: block handles whose offset and size
// add up past 2^64 wrapped around the bounds checks and asked for a
// terabyte. A footer with a valid checksum and such handles is DataLoss.
// Rewrites the properties block of the table at kPath through `change`,
// with every checksum made right again: only the reader's own checks can
// tell.
void RewriteProperties(testing::MemFileSystem& fs, const char* path,
                       const std::function<void(TableProperties*)>& change) {
  std::string bytes = *io::ReadFileToString(&fs, path);
  Footer footer;
  ASSERT_OK(Footer::DecodeFrom(
      absl::string_view(bytes).substr(bytes.size() - Footer::kSize), path,
      bytes.size() - Footer::kSize, &footer));
  TableProperties p;
  ASSERT_OK(
      DecodeProperties(absl::string_view(bytes).substr(footer.properties.offset,
                                                       footer.properties.size),
                       path, footer.properties.offset, &p));
  change(&p);
  std::string block;
  EncodeProperties(p, &block);
  bytes.resize(footer.properties.offset);
  bytes += block;
  PutFixed32(&bytes, Checksum::Of(block));
  footer.properties.size = block.size();
  footer.EncodeTo(&bytes);
  ASSERT_OK(io::WriteFileSynced(&fs, path, bytes));
}

TEST_F(TableTest, OptionalBlocksOutOfPlaceOrMiscountedAreRefusedAtOpen) {
  Build({{"a", 1, EntryKind::kPut, "x"}}, 4096, 10, {{"c", "e", 3}});
  const std::string good = Bytes();
  const std::vector<
      std::pair<std::function<void(TableProperties*)>, std::string>>
      cases = {
          {[](TableProperties* p) { ++p->filter_offset; }, "the filter block"},
          {[](TableProperties* p) { --p->range_tombstones_offset; },
           "the range-tombstone block"},
          {[](TableProperties* p) { p->range_tombstones = 2; },
           "1 tombstones, but the properties say 2"},
          {[](TableProperties* p) { p->filter_size = p->filter_offset = 0; },
           "does not follow the blocks before it"},
          {[](TableProperties* p) { p->data_size += 4; },
           "data blocks ending at"},
      };
  for (const auto& [change, message] : cases) {
    Rewrite(good);
    RewriteProperties(fs_, kPath, change);
    EXPECT_THAT(
        TableReader::Open(&fs_, kPath),
        StatusIs(kDataLoss, AllOf(HasSubstr(kPath), HasSubstr(message))))
        << message;
  }
  Rewrite(good);
  RewriteProperties(fs_, kPath, [](TableProperties*) {});
  EXPECT_OK(TableReader::Open(&fs_, kPath).status());  // The helper is exact.
}

TEST_F(TableTest, BlockHandlesThatOverflowAreRefusedNotAllocated) {
  Build({{"a", 1, EntryKind::kPut, "x"}});
  const std::string good = Bytes();
  const size_t footer = good.size() - Footer::kSize;
  constexpr uint64_t kTerabyte = uint64_t{1} << 40;
  // Offset and size whose sum with the trailer wraps to 3.
  for (int handle : {0, 1}) {  // The index's, the properties block's.
    std::string bytes = good;
    std::string fields;
    PutFixed64(&fields, uint64_t{0} - kTerabyte + 3 - kBlockTrailerSize);
    PutFixed64(&fields, kTerabyte);
    bytes.replace(footer + 16 * handle, 16, fields);
    std::string crc;
    PutFixed32(&crc, Checksum::Of(absl::string_view(&bytes[footer], 40)));
    bytes.replace(footer + 40, 4, crc);
    Rewrite(bytes);
    EXPECT_THAT(TableReader::Open(&fs_, kPath), StatusIs(kDataLoss))
        << "handle " << handle;
  }
}

TEST_F(TableTest, DamagedFooterIsRefusedAtOpen) {
  Build({{"k", 1, EntryKind::kPut, "v"}});
  std::string bytes = Bytes();
  bytes[bytes.size() - 20] ^= 1;
  Rewrite(bytes);
  EXPECT_THAT(TableReader::Open(&fs_, kPath),
              StatusIs(kDataLoss, HasSubstr("footer: checksum mismatch")));
}

TEST_F(TableTest, BadMagicOrTruncatedFileIsRefused) {
  Build({{"k", 1, EntryKind::kPut, "v"}});
  const std::string bytes = Bytes();
  Rewrite(bytes.substr(0, bytes.size() - 1));
  EXPECT_THAT(TableReader::Open(&fs_, kPath),
              StatusIs(kDataLoss, HasSubstr("bad magic")));
  Rewrite("tiny");
  EXPECT_THAT(TableReader::Open(&fs_, kPath),
              StatusIs(kDataLoss, HasSubstr("too short")));
}

TEST_F(TableTest, DamagedIndexOrPropertiesBlockIsRefusedAtOpen) {
  auto table = Build({{"k", 1, EntryKind::kPut, "v"}}, 256,
                     /*bloom_bits_per_key=*/0);
  const std::string good = Bytes();
  // The properties block ends right before the footer; the index right
  // before the properties block.
  std::string props = good;
  props[good.size() - Footer::kSize - 6] ^= 1;
  Rewrite(props);
  EXPECT_THAT(TableReader::Open(&fs_, kPath),
              StatusIs(kDataLoss, HasSubstr("properties block")));
  std::string index = good;
  index[10] ^= 1;  // The data block is 6 bytes + 4 of trailer.
  Rewrite(index);
  EXPECT_THAT(TableReader::Open(&fs_, kPath),
              StatusIs(kDataLoss, HasSubstr("index block")));
}

TEST_F(TableTest, WholeFileChecksumCatchesWhatBlocksMiss) {
  // Change a data byte and fix its block checksum, as a buggy copier
  // might: only the whole-file checksum can tell.
  Build({{"k", 1, EntryKind::kPut, "value"}});
  std::string bytes = Bytes();
  const size_t data_size = 1 + 1 + 1 + 1 + 1 + 5;  // "k", lsn, kind, "value"
  bytes[data_size - 1] = 'X';
  const uint32_t crc = Checksum::Of(absl::string_view(bytes.data(), data_size));
  memcpy(bytes.data() + data_size, &crc, 4);
  Rewrite(bytes);
  ASSERT_OK_AND_ASSIGN(auto table, TableReader::Open(&fs_, kPath));
  EXPECT_THAT(table->Verify(),
              StatusIs(kDataLoss, HasSubstr("whole-file checksum mismatch")));
}

TEST_F(TableTest, EveryByteFlipIsCaughtByOpenOrVerify) {
  testing::Random rnd(4);
  Build(MultiVersion(30, rnd));
  const std::string good = Bytes();
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x01;
    Rewrite(bad);
    absl::StatusOr<std::unique_ptr<TableReader>> table =
        TableReader::Open(&fs_, kPath);
    if (table.ok()) {
      EXPECT_FALSE((*table)->Verify().ok()) << "byte " << i;
    } else {
      EXPECT_TRUE(absl::IsDataLoss(table.status()) ||
                  absl::IsFailedPrecondition(table.status()))
          << table.status();
    }
  }
}

}  // namespace
}  // namespace strata::sstable

namespace strata::sstable {
namespace {

// Every way a table can be read: mapped, pread, pread through a cache.
struct ReadPath {
  const char* name;
  bool mmap;
  bool cache;
};
constexpr ReadPath kReadPaths[] = {
    {"mmap", true, false}, {"pread", false, false}, {"cached", false, true}};

// Values that compress about 2:1: half random bytes, half repeated.
std::vector<Version> Compressible(int keys, testing::Random& rnd) {
  std::vector<Version> out = MultiVersion(keys, rnd);
  for (Version& v : out) {
    if (v.kind == EntryKind::kPut)
      v.value = rnd.Bytes(30) + std::string(30, 'z');
  }
  return out;
}

class CompressedTableTest : public TableTest {
 protected:
  std::unique_ptr<TableReader> BuildWith(const std::vector<Version>& versions,
                                         Compression compression,
                                         const TableReadOptions& read) {
    auto writer =
        TableWriter::Create(&fs_, "/sst/000001.sst.tmp",
                            {.block_size = 1024, .compression = compression});
    EXPECT_OK(writer.status());
    for (const Version& v : versions) {
      EXPECT_OK((*writer)->Add({v.key, v.lsn, v.kind, v.value}));
    }
    absl::StatusOr<TableProperties> props = (*writer)->Finish();
    EXPECT_OK(props.status());
    written_ = props.value_or(TableProperties());
    EXPECT_OK(InstallTable(&fs_, "/sst/000001.sst.tmp", kPath));
    auto reader = TableReader::Open(&fs_, kPath, read);
    EXPECT_OK(reader.status());
    return reader.ok() ? *std::move(reader) : nullptr;
  }
};

TEST_F(CompressedTableTest, EveryCompressionReadsBackOnEveryReadPath) {
  testing::Random rnd(7);
  const std::vector<Version> versions = Compressible(1500, rnd);
  uint64_t raw_size = 0;
  for (Compression c :
       {Compression::kNone, Compression::kLz4, Compression::kZstd}) {
    for (const ReadPath& path : kReadPaths) {
      SCOPED_TRACE(absl::StrCat(CompressionName(c), " ", path.name));
      BlockCache cache(1 << 20);
      fs_.RemoveFile(kPath).IgnoreError();  // The previous round's.
      auto table = BuildWith(
          versions, c, {nullptr, path.mmap, path.cache ? &cache : nullptr});
      ASSERT_NE(table, nullptr);
      EXPECT_EQ(table->format_version(), c == Compression::kNone
                                             ? kFormatVersion
                                             : kCompressedFormatVersion);
      EXPECT_EQ(table->properties().compression, static_cast<uint64_t>(c));
      EXPECT_EQ(table->properties(), written_);
      if (c == Compression::kNone) raw_size = written_.data_size;
      if (c != Compression::kNone) {
        // Values compress about 2:1; keys and LSNs less.
        EXPECT_LT(written_.data_size, raw_size * 3 / 4);
      }
      // Twice: the second pass reads from the cache, if there is one.
      for (int pass = 0; pass < 2; ++pass) {
        EXPECT_EQ(Scan(*table), versions);
        for (size_t i = 0; i < versions.size(); i += 7) {
          const Version& v = versions[i];
          ASSERT_OK_AND_ASSIGN(std::optional<Found> found,
                               table->Get(v.key, v.lsn));
          ASSERT_TRUE(found.has_value()) << v.key;
          EXPECT_EQ(found->lsn, v.lsn);
          EXPECT_EQ(found->value, v.value);
        }
        ASSERT_OK_AND_ASSIGN(std::optional<Found> none,
                             table->Get("key000003", 0));
        EXPECT_EQ(none, std::nullopt);
      }
      EXPECT_OK(table->Verify());
      if (path.cache) {
        EXPECT_GT(cache.hits(), 0u);
        EXPECT_GT(cache.usage(), 0u);
      }
    }
  }
}

TEST_F(CompressedTableTest, GoldenBytesOfABlockStoredRaw) {
  // Ten bytes do not shrink by an eighth: the block is stored raw, behind
  // its type byte 0, in a version-2 table whose properties name LZ4.
  auto table = BuildWith(
      {{"a", 1, EntryKind::kPut, "x"}, {"b", 2, EntryKind::kDelete, ""}},
      Compression::kLz4, {});
  ASSERT_NE(table, nullptr);
  const std::string hex = absl::BytesToHexString(Bytes());
  // Data block at 0: type 0, then the entries as in GoldenBytes (11 bytes),
  // then its trailer; the filter (the 64-bit minimum and its two header
  // bytes) at 15; the index at 29: last key "b", lsn 2, offset 0, size 11.
  EXPECT_EQ(hex.substr(0, 2 * 11),
            "00016101010178016202"
            "02");
  EXPECT_EQ(hex.substr(2 * 15, 2 * 2), "0107");  // Filter: format 1, k 7.
  EXPECT_EQ(hex.substr(2 * 29, 2 * 5),
            "0162"
            "02"
            "00"
            "0b");
  // Properties: ... data size 15, one block, ... field 15 = 1 (LZ4).
  EXPECT_NE(hex.find("380f4001"), std::string::npos);
  EXPECT_NE(hex.find("7801"), std::string::npos);
  // The footer's version: 2.
  EXPECT_EQ(hex.substr(hex.size() - 2 * 12, 2 * 4), "02000000");
  ASSERT_OK_AND_ASSIGN(std::optional<Found> a, table->Get("a"));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->value, "x");
}

TEST_F(CompressedTableTest, ACompressedBlockThatDoesNotExpandIsDataLoss) {
  testing::Random rnd(8);
  auto table = BuildWith(Compressible(200, rnd), Compression::kLz4, {});
  ASSERT_NE(table, nullptr);
  std::string bytes = Bytes();
  // Block 0 is compressed: its type byte is 1. Cut its declared size by
  // one and fix its checksum, so only the expansion can tell.
  ASSERT_EQ(bytes[0], 1);
  uint64_t size = 0;
  absl::string_view rest(bytes.data() + 1, 10);
  ASSERT_TRUE(GetVarint64(&rest, &size));
  ASSERT_EQ(bytes[1] & 0x80, 0x80);  // Two varint bytes for ~1 KiB.
  bytes[1] =
      static_cast<char>((bytes[1] & 0x7f) == 0 ? bytes[1] + 1 : bytes[1] - 1);
  // Block 0's stored size is its index entry's; recompute its trailer.
  std::string index_bytes;
  {
    const std::string full = Bytes();
    Footer footer;
    ASSERT_OK(Footer::DecodeFrom(
        absl::string_view(full).substr(full.size() - Footer::kSize), kPath,
        full.size() - Footer::kSize, &footer));
    index_bytes = full.substr(footer.index.offset, footer.index.size);
  }
  Decoder in(index_bytes, "index", 0);
  absl::string_view last_key;
  uint64_t last_lsn, offset, block_size;
  ASSERT_OK(in.GetLengthPrefixed("k", &last_key));
  ASSERT_OK(in.GetVarint64("l", &last_lsn));
  ASSERT_OK(in.GetVarint64("o", &offset));
  ASSERT_OK(in.GetVarint64("s", &block_size));
  const std::string trailer = [&] {
    std::string t;
    PutFixed32(&t, Checksum::Of(absl::string_view(bytes.data(), block_size)));
    return t;
  }();
  bytes.replace(block_size, 4, trailer);
  Rewrite(bytes);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TableReader> damaged,
                       TableReader::Open(&fs_, kPath, TableReadOptions{}));
  auto it = damaged->NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(
      it->status(),
      StatusIs(kDataLoss, AllOf(HasSubstr(kPath), HasSubstr("data block 0"),
                                HasSubstr("does not expand"))));
  EXPECT_THAT(damaged->Get(std::string(last_key)),
              StatusIs(kDataLoss, HasSubstr("data block 0")));
}

TEST_F(TableTest, AnIoErrorOnAReadIsAnErrorNamingFileAndOffsetThenClears) {
  testing::FaultInjectionFileSystem faulty(&fs_);
  testing::Random rnd(9);
  const std::vector<Version> versions = MultiVersion(300, rnd);
  Build(versions);  // Written to fs_, read below through `faulty`.
  for (const ReadPath& path : kReadPaths) {
    SCOPED_TRACE(path.name);
    BlockCache cache(1 << 20);
    ASSERT_OK_AND_ASSIGN(
        std::unique_ptr<TableReader> table,
        TableReader::Open(&faulty, kPath,
                          {nullptr, path.mmap, path.cache ? &cache : nullptr}));
    int failing = EIO;
    faulty.SetReadFault([&](const std::string& p, uint64_t, size_t) {
      return p == kPath ? failing : 0;
    });
    const Version& v = versions[versions.size() / 2];
    EXPECT_THAT(table->Get(v.key, v.lsn),
                StatusIs(absl::StatusCode::kUnknown,
                         AllOf(HasSubstr(kPath), HasSubstr("data block"),
                               HasSubstr("at offset"),
                               HasSubstr("fault injection: read"))));
    auto it = table->NewIterator();
    it->SeekToFirst();
    EXPECT_FALSE(it->Valid());
    EXPECT_THAT(it->status(), StatusIs(absl::StatusCode::kUnknown,
                                       HasSubstr("data block 0 at offset 0")));
    failing = 0;  // The fault clears: the same reader reads again.
    ASSERT_OK_AND_ASSIGN(std::optional<Found> found, table->Get(v.key, v.lsn));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->value, v.value);
    EXPECT_EQ(Scan(*table), versions);
    faulty.SetReadFault(nullptr);
  }
}

}  // namespace
}  // namespace strata::sstable
