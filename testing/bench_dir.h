// A fresh directory for one benchmark, removed with its contents afterwards:
// under $STRATA_BENCH_DIR (point it at the disk to measure), else the
// system's temp directory.

#ifndef STRATA_TESTING_BENCH_DIR_H_
#define STRATA_TESTING_BENCH_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace strata::testing {

class BenchDir {
 public:
  BenchDir() {
    const char* root = getenv("STRATA_BENCH_DIR");
    std::string pattern =
        (root != nullptr ? std::string(root)
                         : std::filesystem::temp_directory_path().string()) +
        "/strata-bench-XXXXXX";
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~BenchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;

  // Empty if the directory could not be made.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace strata::testing

#endif  // STRATA_TESTING_BENCH_DIR_H_
