// A fresh directory per test under TEST_TMPDIR (Bazel's per-test scratch
// space) or, outside Bazel, under TMPDIR; removed with its contents when
// the object is destroyed.

#ifndef STRATA_TESTING_TEMP_DIR_H_
#define STRATA_TESTING_TEMP_DIR_H_

#include <string>

namespace strata::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace strata::testing

#endif  // STRATA_TESTING_TEMP_DIR_H_
