// Decodes arbitrary bytes as a data-WAL record (one write batch): never a
// crash, and a batch that decodes re-encodes to the same bytes' meaning:
// the same entries, with the same LSNs. The seed corpus (tools/fuzz.sh)
// holds valid batches, range deletes among them; the regression test also
// runs engine/testdata/write_batch_fuzzer_range_delete.bin, the format-2
// batch that aborted the round trip when this fuzzer predated range
// deletes.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/write_batch.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata::engine;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  DecodedBatch decoded;
  if (!DecodeBatch(input, "fuzz", 0, &decoded).ok()) return 0;
  Check(!decoded.entries.empty());
  WriteBatch batch;
  for (const strata::sstable::Entry& e : decoded.entries) {
    switch (e.kind) {
      case strata::sstable::EntryKind::kPut:
        batch.Put(e.key, e.value);
        break;
      case strata::sstable::EntryKind::kRangeDelete:
        // The decoder has checked start < end: an encoder can write it.
        batch.DeleteRange(e.key, e.value);
        break;
      default:
        batch.Delete(e.key);
        break;
    }
  }
  std::string again;
  EncodeBatch(batch, decoded.first_lsn, &again);
  DecodedBatch back;
  Check(DecodeBatch(again, "fuzz", 0, &back).ok());
  Check(back.first_lsn == decoded.first_lsn &&
        back.entries.size() == decoded.entries.size());
  for (size_t i = 0; i < back.entries.size(); ++i) {
    const auto& a = back.entries[i];
    const auto& b = decoded.entries[i];
    Check(a.key == b.key && a.value == b.value && a.lsn == b.lsn &&
          a.kind == b.kind);
  }
  return 0;
}
