#include "io/file_system.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "io/status_macros.h"

namespace strata::io {

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  if (dir.empty()) return std::string(name);
  if (dir.back() == '/') return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

std::string DirName(absl::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

absl::string_view BaseName(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

std::string NumberedFileName(uint64_t number, absl::string_view suffix) {
  return absl::StrCat(absl::StrFormat("%06d", number), suffix);
}

std::optional<uint64_t> ParseNumberedFileName(absl::string_view name,
                                              absl::string_view suffix) {
  if (!absl::ConsumeSuffix(&name, suffix) || name.size() < 6) {
    return std::nullopt;
  }
  for (char c : name) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  uint64_t number;
  if (!absl::SimpleAtoi(name, &number)) return std::nullopt;
  return number;
}

absl::StatusOr<std::unique_ptr<WritableFile>> FileSystem::NewExclusiveFile(
    const std::string& path) {
  const absl::Status exists = FileExists(path);
  if (exists.ok()) {
    return absl::AlreadyExistsError(
        absl::StrCat("create ", path, ": the file exists"));
  }
  if (!absl::IsNotFound(exists)) return exists;
  return NewWritableFile(path);
}

absl::Status FileSystem::LinkFile(const std::string& from,
                                  const std::string& to) {
  return absl::UnimplementedError(
      absl::StrCat("link ", to, " to ", from, ": not supported here"));
}

absl::Status WriteFileSynced(FileSystem* fs, const std::string& path,
                             absl::string_view data) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                          fs->NewWritableFile(path));
  STRATA_RETURN_IF_ERROR(file->Append(data));
  STRATA_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

absl::StatusOr<std::string> ReadFileToString(FileSystem* fs,
                                             const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file,
                          fs->NewRandomAccessFile(path));
  // One allocation of the known size, not a string doubling as it grows.
  std::string contents(file->Size(), '\0');
  absl::string_view got;
  STRATA_RETURN_IF_ERROR(file->Read(0, contents.size(), contents.data(), &got));
  if (got.data() != contents.data()) {
    std::copy(got.begin(), got.end(), contents.begin());
  }
  contents.resize(got.size());
  return contents;
}

}  // namespace strata::io
