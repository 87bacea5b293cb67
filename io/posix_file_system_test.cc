#include "io/posix_file_system.h"

#include <sys/wait.h>
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/file_system_conformance.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace strata::io {
namespace {

using ::strata::testing::FileSystemConformanceTest;
using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

class PosixUnderTest final : public testing::FileSystemUnderTest {
 public:
  FileSystem* fs() override { return PosixFileSystem(); }
  std::string root() override { return dir_.path(); }

 private:
  testing::TempDir dir_;
};

std::unique_ptr<testing::FileSystemUnderTest> MakePosix() {
  return std::make_unique<PosixUnderTest>();
}

INSTANTIATE_TEST_SUITE_P(Posix, FileSystemConformanceTest,
                         ::testing::Values(&MakePosix));

TEST(PosixFileSystemTest, ErrorsCarryErrnoMeaningAndPath) {
  testing::TempDir dir;
  const std::string missing = JoinPath(dir.path(), "missing");
  EXPECT_THAT(
      PosixFileSystem()->NewSequentialFile(missing),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("io: open " + missing)));
  EXPECT_THAT(PosixFileSystem()->SyncDir(missing),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(missing)));
}

TEST(PosixFileSystemTest, CreateDirOverFileFails) {
  testing::TempDir dir;
  const std::string path = JoinPath(dir.path(), "file");
  ASSERT_OK(WriteFileSynced(PosixFileSystem(), path, "x"));
  EXPECT_THAT(PosixFileSystem()->CreateDir(path),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

// Runs `child` in a forked process and returns its exit code.
template <typename Fn>
int RunInChild(Fn child) {
  const pid_t pid = fork();
  if (pid == 0) _exit(child());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(PosixFileSystemTest, LockExcludesOtherProcesses) {
  testing::TempDir dir;
  const std::string lock_path = JoinPath(dir.path(), "LOCK");
  ASSERT_OK_AND_ASSIGN(auto lock, PosixFileSystem()->LockFile(lock_path));
  EXPECT_EQ(RunInChild([&] {
              return PosixFileSystem()->LockFile(lock_path).ok() ? 1 : 0;
            }),
            0);
  lock.reset();
  EXPECT_EQ(RunInChild([&] {
              return PosixFileSystem()->LockFile(lock_path).ok() ? 0 : 1;
            }),
            0);
}

TEST(PosixFileSystemTest, LockIsReleasedWhenHolderDies) {
  testing::TempDir dir;
  const std::string lock_path = JoinPath(dir.path(), "LOCK");
  // The child takes the lock and exits without releasing it.
  EXPECT_EQ(RunInChild([&] {
              auto lock = PosixFileSystem()->LockFile(lock_path);
              if (!lock.ok()) return 1;
              (void)lock->release();  // Leaked on purpose: no destructor.
              return 0;
            }),
            0);
  EXPECT_OK(PosixFileSystem()->LockFile(lock_path));
}

}  // namespace
}  // namespace strata::io
