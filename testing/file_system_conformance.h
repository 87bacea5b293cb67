// One behavioural test suite that every io::FileSystem must pass, so the
// in-memory and fault-injecting file systems used by crash tests behave like
// the POSIX one used in production.
//
// To run it over a file system, instantiate it with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(Posix, FileSystemConformanceTest,
//                            ::testing::Values(&MakePosixUnderTest));

#ifndef STRATA_TESTING_FILE_SYSTEM_CONFORMANCE_H_
#define STRATA_TESTING_FILE_SYSTEM_CONFORMANCE_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "io/file_system.h"

namespace strata::testing {

// A file system and an empty directory on it that a test may fill.
class FileSystemUnderTest {
 public:
  virtual ~FileSystemUnderTest() = default;
  virtual io::FileSystem* fs() = 0;
  virtual std::string root() = 0;
};

using FileSystemFactory = std::unique_ptr<FileSystemUnderTest> (*)();

class FileSystemConformanceTest
    : public ::testing::TestWithParam<FileSystemFactory> {
 protected:
  void SetUp() override { under_test_ = GetParam()(); }
  io::FileSystem* fs() { return under_test_->fs(); }
  std::string Path(absl::string_view name) {
    return io::JoinPath(under_test_->root(), name);
  }

 private:
  std::unique_ptr<FileSystemUnderTest> under_test_;
};

}  // namespace strata::testing

#endif  // STRATA_TESTING_FILE_SYSTEM_CONFORMANCE_H_
