#include "testing/mem_file_system.h"

#include "gtest/gtest.h"
#include "testing/fault_injection_file_system.h"
#include "testing/file_system_conformance.h"

namespace strata::testing {
namespace {

class MemUnderTest final : public FileSystemUnderTest {
 public:
  io::FileSystem* fs() override { return &fs_; }
  std::string root() override { return "/db"; }
  MemUnderTest() { fs_.CreateDir("/db").IgnoreError(); }

 private:
  MemFileSystem fs_;
};

// The fault-injecting wrapper must be transparent while no fault is set.
class FaultOverMemUnderTest final : public FileSystemUnderTest {
 public:
  io::FileSystem* fs() override { return &fault_; }
  std::string root() override { return "/db"; }
  FaultOverMemUnderTest() { fault_.CreateDir("/db").IgnoreError(); }

 private:
  MemFileSystem mem_;
  FaultInjectionFileSystem fault_{&mem_};
};

std::unique_ptr<FileSystemUnderTest> MakeMem() {
  return std::make_unique<MemUnderTest>();
}
std::unique_ptr<FileSystemUnderTest> MakeFaultOverMem() {
  return std::make_unique<FaultOverMemUnderTest>();
}

INSTANTIATE_TEST_SUITE_P(Mem, FileSystemConformanceTest,
                         ::testing::Values(&MakeMem));
INSTANTIATE_TEST_SUITE_P(FaultOverMem, FileSystemConformanceTest,
                         ::testing::Values(&MakeFaultOverMem));

}  // namespace
}  // namespace strata::testing
