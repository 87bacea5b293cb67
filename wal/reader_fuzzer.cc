// Reads arbitrary bytes as a WAL segment, with every combination of the
// reader's options: it must end (libFuzzer's -timeout catches a loop) and
// never crash, and what it reads as records must stay within the file. The
// seed corpus (tools/fuzz.sh) holds valid segments; under
// --config=fuzz_past_checksums their mutations get past the fragment
// checksums to the record assembly behind them.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "io/file_system.h"
#include "testing/mem_file_system.h"
#include "wal/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::testing::MemFileSystem fs;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  if (!fs.CreateDir("/wal").ok() ||
      !strata::io::WriteFileSynced(&fs, "/wal/000001.log", bytes).ok()) {
    return 0;
  }
  for (int mode = 0; mode < 4; ++mode) {
    strata::wal::ReaderOptions options;
    options.strict_tail = (mode & 1) != 0;
    options.best_effort = (mode & 2) != 0;
    options.max_record_size = 1 << 20;
    auto reader = strata::wal::Reader::Open(&fs, "/wal", {1}, options);
    if (!reader.ok()) std::abort();
    absl::string_view record;
    strata::wal::RecordPosition position;
    uint64_t total = 0;
    while ((*reader)->Next(&record, &position)) {
      total += record.size();
      if (total > size || position.offset >= size) std::abort();
    }
    if ((*reader)->status().ok() && (*reader)->tail().valid_end > size) {
      std::abort();
    }
  }
  return 0;
}
