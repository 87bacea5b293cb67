// Proves that a target outside Strata can depend on @strata//io and use it.
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "io/file_system.h"
#include "io/posix_file_system.h"

namespace {

TEST(ConsumerTest, WritesAndReadsThroughStrataIo) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  ASSERT_NE(tmp, nullptr);
  strata::io::FileSystem* fs = strata::io::PosixFileSystem();
  const std::string path = strata::io::JoinPath(tmp, "consumer-file");
  ASSERT_TRUE(strata::io::WriteFileSynced(fs, path, "from a consumer").ok());
  absl::StatusOr<std::string> back = strata::io::ReadFileToString(fs, path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "from a consumer");
}

}  // namespace
