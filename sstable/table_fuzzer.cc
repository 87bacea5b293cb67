// Opens arbitrary bytes as an SSTable and reads everything it can: must
// never crash, and never return an entry from a block whose checksum failed.

#include <cstdint>
#include <string>

#include "io/file_system.h"
#include "sstable/table_reader.h"
#include "testing/mem_file_system.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::testing::MemFileSystem fs;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  if (!strata::io::WriteFileSynced(&fs, "/t.sst", bytes).ok()) return 0;
  auto table = strata::sstable::TableReader::Open(&fs, "/t.sst");
  if (!table.ok()) return 0;
  (*table)->Verify().IgnoreError();
  auto it = (*table)->NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
  }
  it->Seek("m");
  (*table)->Get("a").IgnoreError();
  return 0;
}
