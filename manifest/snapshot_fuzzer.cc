// Reads arbitrary bytes as a manifest file. The first byte chooses what:
// even, the rest is snapshot 1 (read whole and in small windows, which must
// agree; what reads re-encodes to a snapshot that reads the same); odd, the
// rest is log 1 beside a valid empty snapshot 1, loaded strictly and best
// effort. Never a crash, never a loop. The seed corpus (tools/fuzz.sh) holds
// valid snapshots and logs; under --config=fuzz_past_checksums mutations
// get past their checksums to the decoders.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "io/file_system.h"
#include "manifest/load.h"
#include "manifest/snapshot.h"
#include "testing/mem_file_system.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata::manifest;
  if (size == 0) return 0;
  strata::testing::MemFileSystem fs;
  Check(fs.CreateDir("/m").ok());
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    Check(strata::io::WriteFileSynced(&fs, "/m/000001.snapshot", rest).ok());
    absl::StatusOr<State> whole = ReadSnapshot(&fs, "/m", 1);
    absl::StatusOr<State> windows = ReadSnapshot(&fs, "/m", 1, /*window=*/64);
    Check(whole.ok() == windows.ok());
    if (!whole.ok()) return 0;
    Check(*whole == *windows);
    Check(strata::io::WriteFileSynced(&fs, "/m/000001.snapshot",
                                      EncodeSnapshot(1, *whole))
              .ok());
    absl::StatusOr<State> again = ReadSnapshot(&fs, "/m", 1);
    Check(again.ok() && *again == *whole);
    return 0;
  }
  Check(WriteSnapshot(&fs, "/m", 1, State()).ok());
  Check(strata::io::WriteFileSynced(&fs, "/m/000001.log", rest).ok());
  Load(&fs, "/m", /*best_effort=*/false).IgnoreError();
  Load(&fs, "/m", /*best_effort=*/true).IgnoreError();
  return 0;
}
