#include "testing/temp_dir.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>

#include "gtest/gtest.h"

namespace strata::testing {
namespace {

std::string ScratchRoot() {
  for (const char* var : {"TEST_TMPDIR", "TMPDIR"}) {
    const char* value = getenv(var);
    if (value != nullptr && value[0] != '\0') return value;
  }
  return std::filesystem::temp_directory_path().string();
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = ScratchRoot() + "/strata-XXXXXX";
  char* made = mkdtemp(pattern.data());
  if (made == nullptr) {
    ADD_FAILURE() << "TempDir: mkdtemp " << pattern << " failed";
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace strata::testing
