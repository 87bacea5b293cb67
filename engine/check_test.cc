#include "engine/check.h"

#include <memory>
#include <string>

#include "engine/build_table.h"
#include "engine/memtable.h"
#include "gtest/gtest.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"
#include "wal/format.h"

namespace strata::engine {
namespace {

using sstable::EntryKind;
using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

class CheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(fs_.CreateDir("/db"));
    ASSERT_OK(fs_.CreateDir("/db/sst"));
    ASSERT_OK(fs_.CreateDir("/db/wal"));
    for (uint64_t n = 1; n <= 2; ++n) {
      MemTable mem;
      mem.Add({"k" + std::to_string(n), n, EntryKind::kPut, "v"});
      ASSERT_OK_AND_ASSIGN(manifest::TableMeta t,
                           builder_.FromMemTable(n, nullptr, mem));
      pinned_.tables.Put(t);
    }
    pinned_.frozen_wals = {4};
    pinned_.active_wal = 5;
    for (uint64_t w : {4, 5}) {
      ASSERT_OK_AND_ASSIGN(auto f, fs_.NewWritableFile(WalPath(w)));
      ASSERT_OK(f->Close());
    }
    now_ = std::make_shared<manifest::State>(pinned_);
  }

  static std::string WalPath(uint64_t w) {
    return "/db/wal/" + wal::SegmentFileName(w);
  }

  absl::StatusOr<CheckReport> Check() {
    const CheckTarget target{
        &fs_, "/db/sst", "/db/wal",
        [this] { return std::shared_ptr<const manifest::State>(now_); }};
    return CheckFiles(target, pinned_);
  }

  // Replaces table `n`'s file with `bytes`.
  void Rewrite(uint64_t n, const std::string& bytes) {
    ASSERT_OK_AND_ASSIGN(auto f, fs_.NewWritableFile(builder_.TablePath(n)));
    ASSERT_OK(f->Append(bytes));
    ASSERT_OK(f->Close());
  }

  std::string Contents(uint64_t n) {
    auto f = fs_.NewRandomAccessFile(builder_.TablePath(n));
    EXPECT_OK(f.status());
    std::string scratch((*f)->Size(), '\0');
    absl::string_view read;
    EXPECT_OK((*f)->Read(0, scratch.size(), scratch.data(), &read));
    return std::string(read);
  }

  testing::MemFileSystem fs_;
  TableBuilder builder_{&fs_, "/db/sst", {}, CompactionOptions()};
  manifest::State pinned_;
  std::shared_ptr<manifest::State> now_;
};

TEST_F(CheckTest, AHealthyDatabaseIsCountedWhole) {
  ASSERT_OK_AND_ASSIGN(CheckReport r, Check());
  EXPECT_EQ(r.tables, 2u);
  EXPECT_EQ(r.entries, 2u);
  EXPECT_GT(r.table_bytes, 0u);
  EXPECT_EQ(r.wal_segments, 2u);
}

TEST_F(CheckTest, AMissingTableIsDataLossNamingIt) {
  ASSERT_OK(fs_.RemoveFile(builder_.TablePath(2)));
  EXPECT_THAT(Check().status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("table listed by the manifest")));
}

TEST_F(CheckTest, ATableOfTheWrongSizeIsDataLoss) {
  Rewrite(1, Contents(1) + "x");
  EXPECT_THAT(Check().status(), StatusIs(absl::StatusCode::kDataLoss,
                                         HasSubstr("/db/sst/000001.sst is ")));
}

TEST_F(CheckTest, ADamagedBlockIsDataLoss) {
  std::string bytes = Contents(2);
  bytes[1] ^= 0x01;  // Inside the first data block.
  Rewrite(2, bytes);
  EXPECT_THAT(Check().status(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(CheckTest, ATableWithAnotherChecksumIsDataLoss) {
  manifest::TableMeta t = *pinned_.tables.Find(1);
  t.checksum ^= 1;
  pinned_.tables.Put(t);
  EXPECT_THAT(Check().status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("has checksum")));
}

TEST_F(CheckTest, AMissingListedWalIsDataLoss) {
  ASSERT_OK(fs_.RemoveFile(WalPath(4)));
  EXPECT_THAT(Check().status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("data-WAL segment listed by the manifest")));
}

TEST_F(CheckTest, AWalRetiredSinceThePinIsSkipped) {
  ASSERT_OK(fs_.RemoveFile(WalPath(4)));
  now_->frozen_wals.clear();  // A flush retired it meanwhile.
  ASSERT_OK_AND_ASSIGN(CheckReport r, Check());
  EXPECT_EQ(r.wal_segments, 1u);
}

}  // namespace
}  // namespace strata::engine
