// Helpers shared by the manifest tests.

#ifndef STRATA_MANIFEST_MANIFEST_TEST_UTIL_H_
#define STRATA_MANIFEST_MANIFEST_TEST_UTIL_H_

#include <cstdint>
#include <string>

#include "manifest/edit.h"

namespace strata::manifest {

// A table with metadata derived from its number.
inline TableMeta TestTable(uint64_t number, uint32_t level = 0) {
  TableMeta t;
  t.number = number;
  t.file_size = 4096 + number;
  t.entries = 100 + number;
  t.tombstones = number % 7;
  t.smallest_key = "key" + std::to_string(number * 10);
  t.largest_key = "key" + std::to_string(number * 10 + 9);
  t.smallest_lsn = number * 100;
  t.largest_lsn = number * 100 + 99;
  t.level = level;
  t.checksum = static_cast<uint32_t>(number * 2654435761u);
  return t;
}

}  // namespace strata::manifest

#endif  // STRATA_MANIFEST_MANIFEST_TEST_UTIL_H_
