#include "tools/manifest_inspect.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "manifest/manifest.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"

namespace strata::tools {
namespace {

using ::strata::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class ManifestDumpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(fs_.CreateDir("/db"));
    auto m = *manifest::Manifest::Open(&fs_, "/db/manifest");
    ASSERT_OK(m->SetActiveWal(1));
    ASSERT_OK(m->AllocateTableId(2));
    manifest::TableMeta apple{.number = 1,
                              .file_size = 100,
                              .entries = 3,
                              .smallest_key = "apple",
                              .largest_key = "avocado"};
    manifest::TableMeta cherry{.number = 2,
                               .file_size = 200,
                               .entries = 5,
                               .smallest_key = "cherry",
                               .largest_key = "date"};
    ASSERT_OK(m->AddTable(apple));
    ASSERT_OK(m->Checkpoint());
    ASSERT_OK(m->AddTable(cherry));
    ASSERT_OK(m->Apply(manifest::Edit{0,
                                      {manifest::AddFrozenWal{1},
                                       manifest::SetActiveWal{2},
                                       manifest::UpdateLsn{42}}})
                  .status());
  }

  testing::MemFileSystem fs_;
};

TEST_F(ManifestDumpTest, TextShowsEditsAndState) {
  std::string out;
  ASSERT_OK(DumpManifest(&fs_, "/db/manifest", {}, &out));
  EXPECT_THAT(out, HasSubstr("generation 2, snapshot at edit 3, 2 edits"));
  EXPECT_THAT(out, HasSubstr("edit 5 (/db/manifest/000002.log @ "));
  EXPECT_THAT(out, HasSubstr("AddFrozenWal 1; SetActiveWal 2; UpdateLsn 42"));
  EXPECT_THAT(out, HasSubstr("active wal 2, frozen wals [1]"));
  EXPECT_THAT(out, HasSubstr("table 2: level 0, 200 bytes, 5 entries"));
}

TEST_F(ManifestDumpTest, JsonAndFilter) {
  std::string out;
  ASSERT_OK(DumpManifest(&fs_, "/db/manifest", {.json = true, .filter = "^ch"},
                         &out));
  EXPECT_THAT(out, HasSubstr("\"generation\":2"));
  EXPECT_THAT(out, HasSubstr("\"smallest_key\":\"cherry\""));
  EXPECT_THAT(out, Not(HasSubstr("apple")));
  // A filter shows only what matches: no edit without a matching table.
  EXPECT_THAT(out, Not(HasSubstr("UpdateLsn")));
  EXPECT_THAT(out, Not(HasSubstr("\"sequence\":5")));
  EXPECT_THAT(out, HasSubstr("\"sequence\":4"));
  out.clear();
  ASSERT_OK(DumpManifest(&fs_, "/db/manifest", {.filter = "^ch"}, &out));
  EXPECT_THAT(out, Not(HasSubstr("AddTable ;")));
  EXPECT_THAT(out, Not(HasSubstr("edit 5 (")));
  EXPECT_THAT(out, HasSubstr("edit 4"));
}

TEST_F(ManifestDumpTest, DumpAndCheckChangeNothing) {
  const auto before = *fs_.ListDir("/db/manifest");
  const std::string log =
      *io::ReadFileToString(&fs_, "/db/manifest/000002.log");
  ASSERT_OK(io::WriteFileSynced(&fs_, "/db/manifest/000002.log",
                                log.substr(0, log.size() - 3)));  // Torn.
  std::string summary;
  ASSERT_OK(CheckManifest(&fs_, "/db/manifest", &summary));
  EXPECT_THAT(summary, HasSubstr("torn tail (Open cuts it off)"));
  std::string out;
  ASSERT_OK(DumpManifest(&fs_, "/db/manifest", {}, &out));
  EXPECT_EQ(*fs_.ListDir("/db/manifest"), before);
  EXPECT_EQ(fs_.GetFileSize("/db/manifest/000002.log").value(), log.size() - 3);
}

TEST_F(ManifestDumpTest, CheckReportsDamage) {
  std::string log = *io::ReadFileToString(&fs_, "/db/manifest/000002.log");
  log[40] ^= 1;
  ASSERT_OK(io::WriteFileSynced(&fs_, "/db/manifest/000002.log", log));
  std::string summary;
  EXPECT_THAT(CheckManifest(&fs_, "/db/manifest", &summary),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("000002.log")));
  EXPECT_THAT(CheckManifest(&fs_, "/nowhere", &summary),
              Not(StatusIs(absl::StatusCode::kOk)));
}

}  // namespace
}  // namespace strata::tools
