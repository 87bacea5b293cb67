#include "testing/file_system_conformance.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "testing/random.h"
#include "testing/status_matchers.h"

namespace strata::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_P(FileSystemConformanceTest, WriteThenReadBack) {
  ASSERT_OK_AND_ASSIGN(auto file, fs()->NewWritableFile(Path("f")));
  ASSERT_OK(file->Append("hello "));
  ASSERT_OK(file->Append("world"));
  EXPECT_EQ(file->Size(), 11u);
  ASSERT_OK(file->Sync());
  ASSERT_OK(file->Close());
  EXPECT_THAT(io::ReadFileToString(fs(), Path("f")),
              IsOkAndHolds(std::string("hello world")));
  EXPECT_THAT(fs()->GetFileSize(Path("f")), IsOkAndHolds(11u));
}

TEST_P(FileSystemConformanceTest, LargeAppendsSurviveBuffering) {
  Random rnd(7);
  std::string expected;
  ASSERT_OK_AND_ASSIGN(auto file, fs()->NewWritableFile(Path("big")));
  for (size_t size : {1u, 70000u, 3u, 200000u, 65536u, 10u}) {
    const std::string chunk = rnd.Bytes(size);
    expected += chunk;
    ASSERT_OK(file->Append(chunk));
  }
  ASSERT_OK(file->DataSync());
  EXPECT_EQ(file->Size(), expected.size());
  ASSERT_OK(file->Close());
  EXPECT_THAT(io::ReadFileToString(fs(), Path("big")), IsOkAndHolds(expected));
}

TEST_P(FileSystemConformanceTest, NewWritableFileTruncates) {
  ASSERT_OK(io::WriteFileSynced(fs(), Path("f"), "old contents"));
  ASSERT_OK(io::WriteFileSynced(fs(), Path("f"), "new"));
  EXPECT_THAT(io::ReadFileToString(fs(), Path("f")),
              IsOkAndHolds(std::string("new")));
}

TEST_P(FileSystemConformanceTest, ExclusiveFileNeverReplacesOne) {
  ASSERT_OK(io::WriteFileSynced(fs(), Path("f"), "someone's bytes"));
  absl::StatusOr<std::unique_ptr<io::WritableFile>> again =
      fs()->NewExclusiveFile(Path("f"));
  EXPECT_TRUE(absl::IsAlreadyExists(again.status())) << again.status();
  EXPECT_THAT(again.status().message(), HasSubstr(Path("f")));
  EXPECT_THAT(io::ReadFileToString(fs(), Path("f")),
              IsOkAndHolds(std::string("someone's bytes")));
  ASSERT_OK_AND_ASSIGN(auto file, fs()->NewExclusiveFile(Path("g")));
  ASSERT_OK(file->Append("new"));
  ASSERT_OK(file->Close());
  EXPECT_THAT(io::ReadFileToString(fs(), Path("g")),
              IsOkAndHolds(std::string("new")));
}

TEST_P(FileSystemConformanceTest, LinkIsASecondNameOfTheSameBytes) {
  ASSERT_OK(io::WriteFileSynced(fs(), Path("f"), "table bytes"));
  ASSERT_OK(io::WriteFileSynced(fs(), Path("taken"), "someone's"));
  const absl::Status taken = fs()->LinkFile(Path("f"), Path("taken"));
  if (absl::IsUnimplemented(taken)) GTEST_SKIP() << "no links here";
  EXPECT_TRUE(absl::IsAlreadyExists(taken)) << taken;
  EXPECT_THAT(io::ReadFileToString(fs(), Path("taken")),
              IsOkAndHolds(std::string("someone's")));
  ASSERT_OK(fs()->LinkFile(Path("f"), Path("g")));
  ASSERT_OK(fs()->RemoveFile(Path("f")));
  EXPECT_THAT(io::ReadFileToString(fs(), Path("g")),
              IsOkAndHolds(std::string("table bytes")));
  EXPECT_FALSE(fs()->LinkFile(Path("missing"), Path("h")).ok());
}

TEST_P(FileSystemConformanceTest, RenameMovesADirectoryWithItsFiles) {
  ASSERT_OK(fs()->CreateDir(Path("d")));
  ASSERT_OK(fs()->CreateDir(Path("d/sub")));
  ASSERT_OK(io::WriteFileSynced(fs(), Path("d/sub/f"), "inside"));
  ASSERT_OK(fs()->RenameFile(Path("d"), Path("e")));
  EXPECT_TRUE(absl::IsNotFound(fs()->FileExists(Path("d"))));
  EXPECT_THAT(io::ReadFileToString(fs(), Path("e/sub/f")),
              IsOkAndHolds(std::string("inside")));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> names,
                       fs()->ListDir(Path("e")));
  EXPECT_EQ(names, std::vector<std::string>{"sub"});
}

TEST_P(FileSystemConformanceTest, AppendableFileContinuesAtEnd) {
  ASSERT_OK(io::WriteFileSynced(fs(), Path("f"), "abc"));
  ASSERT_OK_AND_ASSIGN(auto file, fs()->NewAppendableFile(Path("f")));
  EXPECT_EQ(file->Size(), 3u);
  ASSERT_OK(file->Append("def"));
  ASSERT_OK(file->Close());
  EXPECT_THAT(io::ReadFileToString(fs(), Path("f")),
              IsOkAndHolds(std::string("abcdef")));
}

TEST_P(FileSystemConformanceTest, ClosedFileRefusesWrites) {
  ASSERT_OK_AND_ASSIGN(auto file, fs()->NewWritableFile(Path("f")));
  ASSERT_OK(file->Close());
  EXPECT_FALSE(file->Append("x").ok());
}

TEST_P(FileSystemConformanceTest, SequentialReadShortAtEndAndSkip) {
  ASSERT_OK(io::WriteFileSynced(fs(), Path("f"), "0123456789"));
  ASSERT_OK_AND_ASSIGN(auto file, fs()->NewSequentialFile(Path("f")));
  char scratch[16];
  absl::string_view got;
  ASSERT_OK(file->Read(4, scratch, &got));
  EXPECT_EQ(got, "0123");
  ASSERT_OK(file->Skip(2));
  ASSERT_OK(file->Read(16, scratch, &got));
  EXPECT_EQ(got, "6789");
  ASSERT_OK(file->Read(16, scratch, &got));
  EXPECT_TRUE(got.empty());
}

TEST_P(FileSystemConformanceTest, RandomAccessReads) {
  ASSERT_OK(io::WriteFileSynced(fs(), Path("f"), "0123456789"));
  ASSERT_OK_AND_ASSIGN(auto file, fs()->NewRandomAccessFile(Path("f")));
  EXPECT_EQ(file->Size(), 10u);
  char scratch[16];
  absl::string_view got;
  ASSERT_OK(file->Read(3, 4, scratch, &got));
  EXPECT_EQ(got, "3456");
  ASSERT_OK(file->Read(8, 10, scratch, &got));
  EXPECT_EQ(got, "89");
  ASSERT_OK(file->Read(20, 4, scratch, &got));
  EXPECT_TRUE(got.empty());
}

// A mapped file reads the same bytes, wherever it puts them; an empty one
// reads nothing; a missing one is NotFound.
TEST_P(FileSystemConformanceTest, MappedFilesReadLikeRandomAccessFiles) {
  ASSERT_OK(io::WriteFileSynced(fs(), Path("f"), "0123456789"));
  ASSERT_OK_AND_ASSIGN(auto file, fs()->NewMappedFile(Path("f")));
  EXPECT_EQ(file->Size(), 10u);
  char scratch[16];
  absl::string_view got;
  ASSERT_OK(file->Read(0, 10, scratch, &got));
  EXPECT_EQ(got, "0123456789");
  ASSERT_OK(file->Read(8, 10, scratch, &got));
  EXPECT_EQ(got, "89");
  ASSERT_OK(file->Read(10, 4, scratch, &got));
  EXPECT_TRUE(got.empty());
  // The bytes stay readable after the name is gone (the engine deletes a
  // table a reader may still hold).
  ASSERT_OK(fs()->RemoveFile(Path("f")));
  ASSERT_OK(file->Read(2, 3, scratch, &got));
  EXPECT_EQ(got, "234");
  ASSERT_OK(io::WriteFileSynced(fs(), Path("empty"), ""));
  ASSERT_OK_AND_ASSIGN(auto empty, fs()->NewMappedFile(Path("empty")));
  EXPECT_EQ(empty->Size(), 0u);
  ASSERT_OK(empty->Read(0, 4, scratch, &got));
  EXPECT_TRUE(got.empty());
  EXPECT_THAT(fs()->NewMappedFile(Path("missing")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
}

TEST_P(FileSystemConformanceTest, RemoveFileInStepsRemovesTheFile) {
  // 3.5 steps' worth, and a step larger than the file, and no step.
  std::string bytes(3 * 4096 + 2048, 'x');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i);
  for (uint64_t step : {uint64_t{4096}, uint64_t{1} << 20, uint64_t{0}}) {
    SCOPED_TRACE(step);
    ASSERT_OK(io::WriteFileSynced(fs(), Path("big"), bytes));
    // A reader that has the file mapped keeps reading it safely: the old
    // bytes or, where the steps freed them, zeros — never a fault.
    ASSERT_OK_AND_ASSIGN(auto mapped, fs()->NewMappedFile(Path("big")));
    ASSERT_OK(fs()->RemoveFileInSteps(Path("big"), step));
    EXPECT_THAT(fs()->FileExists(Path("big")),
                StatusIs(absl::StatusCode::kNotFound));
    char scratch[16];
    absl::string_view got;
    for (size_t at = 0; at < bytes.size(); at += 1000) {
      ASSERT_OK(mapped->Read(at, 1, scratch, &got));
      ASSERT_EQ(got.size(), 1u) << at;
      EXPECT_TRUE(got[0] == bytes[at] || got[0] == 0) << at;
    }
  }
  EXPECT_THAT(fs()->RemoveFileInSteps(Path("missing"), 4096),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
}

TEST_P(FileSystemConformanceTest, MissingFilesAreNotFoundAndNamed) {
  EXPECT_THAT(fs()->NewSequentialFile(Path("missing")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
  EXPECT_THAT(fs()->NewRandomAccessFile(Path("missing")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
  EXPECT_THAT(fs()->FileExists(Path("missing")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(fs()->GetFileSize(Path("missing")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(fs()->RemoveFile(Path("missing")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
  EXPECT_THAT(fs()->RenameFile(Path("missing"), Path("other")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(fs()->NewWritableFile(Path("no_dir/f")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(FileSystemConformanceTest, DirectoriesListSortedEntries) {
  ASSERT_OK(fs()->CreateDir(Path("d")));
  ASSERT_OK(fs()->CreateDir(Path("d")));  // Idempotent.
  ASSERT_OK(io::WriteFileSynced(fs(), Path("d/b"), ""));
  ASSERT_OK(io::WriteFileSynced(fs(), Path("d/a"), ""));
  ASSERT_OK(fs()->CreateDir(Path("d/sub")));
  ASSERT_OK(io::WriteFileSynced(fs(), Path("d/sub/deeper"), ""));
  EXPECT_THAT(fs()->ListDir(Path("d")),
              IsOkAndHolds(ElementsAre("a", "b", "sub")));
  ASSERT_OK(fs()->SyncDir(Path("d")));
  EXPECT_FALSE(fs()->RemoveDir(Path("d/sub")).ok());  // Not empty.
  ASSERT_OK(fs()->RemoveFile(Path("d/sub/deeper")));
  ASSERT_OK(fs()->RemoveDir(Path("d/sub")));
  EXPECT_THAT(fs()->ListDir(Path("d")), IsOkAndHolds(ElementsAre("a", "b")));
  EXPECT_THAT(fs()->ListDir(Path("nope")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(FileSystemConformanceTest, RenameReplacesTarget) {
  ASSERT_OK(io::WriteFileSynced(fs(), Path("a"), "A"));
  ASSERT_OK(io::WriteFileSynced(fs(), Path("b"), "B"));
  ASSERT_OK(fs()->RenameFile(Path("a"), Path("b")));
  EXPECT_THAT(fs()->FileExists(Path("a")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(io::ReadFileToString(fs(), Path("b")),
              IsOkAndHolds(std::string("A")));
}

TEST_P(FileSystemConformanceTest, OpenFileKeepsBytesAcrossRename) {
  ASSERT_OK_AND_ASSIGN(auto file, fs()->NewWritableFile(Path("tmp")));
  ASSERT_OK(file->Append("one"));
  ASSERT_OK(fs()->RenameFile(Path("tmp"), Path("final")));
  ASSERT_OK(file->Append("two"));
  ASSERT_OK(file->Sync());
  ASSERT_OK(file->Close());
  EXPECT_THAT(io::ReadFileToString(fs(), Path("final")),
              IsOkAndHolds(std::string("onetwo")));
}

TEST_P(FileSystemConformanceTest, TruncateShrinks) {
  ASSERT_OK(io::WriteFileSynced(fs(), Path("f"), "0123456789"));
  ASSERT_OK(fs()->TruncateFile(Path("f"), 4));
  EXPECT_THAT(io::ReadFileToString(fs(), Path("f")),
              IsOkAndHolds(std::string("0123")));
  ASSERT_OK_AND_ASSIGN(auto file, fs()->NewAppendableFile(Path("f")));
  ASSERT_OK(file->Append("x"));
  ASSERT_OK(file->Close());
  EXPECT_THAT(io::ReadFileToString(fs(), Path("f")),
              IsOkAndHolds(std::string("0123x")));
}

TEST_P(FileSystemConformanceTest, LockIsExclusiveUntilReleased) {
  ASSERT_OK_AND_ASSIGN(auto lock, fs()->LockFile(Path("LOCK")));
  EXPECT_THAT(
      fs()->LockFile(Path("LOCK")),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("LOCK")));
  lock.reset();
  ASSERT_OK_AND_ASSIGN(auto again, fs()->LockFile(Path("LOCK")));
  EXPECT_OK(fs()->FileExists(Path("LOCK")));
}

}  // namespace
}  // namespace strata::testing
