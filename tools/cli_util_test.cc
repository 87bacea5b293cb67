#include "tools/cli_util.h"

#include <cstdlib>
#include <vector>

#include "absl/flags/flag.h"
#include "gtest/gtest.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"

ABSL_FLAG(int, cli_util_test_count, 1, "a flag for the test");
ABSL_FLAG(bool, cli_util_test_switch, false, "a flag for the test");

namespace strata::tools {
namespace {

absl::Status Check(std::vector<const char*> args) {
  args.insert(args.begin(), "tool");
  return CheckFlags(args.size(), const_cast<char**>(args.data()));
}

TEST(CliUtilTest, BadFlagsAreUsageErrorsNamingThem) {
  EXPECT_OK(Check({"get", "k", "--cli_util_test_count=3"}));
  EXPECT_OK(Check({"--cli_util_test_count", "3", "get"}));
  EXPECT_OK(Check({"--cli_util_test_switch", "--nocli_util_test_switch"}));
  EXPECT_OK(Check({"put", "k", "-"}));           // "-" is stdin.
  EXPECT_OK(Check({"get", "--", "--no_such"}));  // A key after "--".
  EXPECT_THAT(Check({"--no_such_flag"}),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("--no_such_flag")));
  EXPECT_THAT(Check({"--cli_util_test_count=many"}),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("bad value \"many\"")));
  EXPECT_THAT(Check({"--cli_util_test_count"}),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(absl::GetFlag(FLAGS_cli_util_test_count), 1);  // Not set.
}

TEST(CliUtilTest, ExitCodes) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("x")), 1);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("x")), 2);
  EXPECT_EQ(ExitCodeFor(absl::DataLossError("x")), 3);
  EXPECT_EQ(ExitCodeFor(absl::FailedPreconditionError("x")), 4);
  EXPECT_EQ(ExitCodeFor(absl::InternalError("x")), 4);
}

TEST(CliUtilTest, RelativePathsFollowBazelRun) {
  ASSERT_EQ(unsetenv("BUILD_WORKING_DIRECTORY"), 0);
  EXPECT_EQ(ResolveUserPath("db"), "db");
  ASSERT_EQ(setenv("BUILD_WORKING_DIRECTORY", "/home/me/work", 1), 0);
  EXPECT_EQ(ResolveUserPath("db"), "/home/me/work/db");
  EXPECT_EQ(ResolveUserPath("a/b/manifest"), "/home/me/work/a/b/manifest");
  EXPECT_EQ(ResolveUserPath("/abs/db"), "/abs/db");
  ASSERT_EQ(unsetenv("BUILD_WORKING_DIRECTORY"), 0);
}

TEST(CliUtilTest, HelpIsAskedForManyWays) {
  const char* a[] = {"tool", "--help"};
  const char* b[] = {"tool", "help", "get"};
  const char* c[] = {"tool", "get", "-h"};
  const char* d[] = {"tool", "get", "--", "--help"};  // A key named --help.
  const char* e[] = {"tool", "get", "help"};
  EXPECT_TRUE(WantsHelp(2, const_cast<char**>(a)));
  EXPECT_TRUE(WantsHelp(3, const_cast<char**>(b)));
  EXPECT_TRUE(WantsHelp(3, const_cast<char**>(c)));
  EXPECT_FALSE(WantsHelp(4, const_cast<char**>(d)));
  EXPECT_FALSE(WantsHelp(3, const_cast<char**>(e)));
}

TEST(CliUtilTest, PartDirectoryAcceptsTheDatabaseOrThePart) {
  testing::MemFileSystem fs;
  ASSERT_OK(fs.CreateDir("/db"));
  ASSERT_OK(fs.CreateDir("/db/manifest"));
  EXPECT_EQ(PartDirectory(&fs, "/db", "manifest"), "/db/manifest");
  EXPECT_EQ(PartDirectory(&fs, "/db/manifest", "manifest"), "/db/manifest");
  EXPECT_EQ(PartDirectory(&fs, "/elsewhere", "wal"), "/elsewhere");
}

}  // namespace
}  // namespace strata::tools
