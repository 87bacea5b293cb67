// The manifest state the benchmarks and //manifest:open_timing measure: a
// given number of live tables, each with the metadata of a 64 MiB table of
// user keys (68 bytes encoded).

#ifndef STRATA_MANIFEST_BENCH_STATE_H_
#define STRATA_MANIFEST_BENCH_STATE_H_

#include <cstdint>
#include <string>

#include "manifest/edit.h"

namespace strata::manifest {

inline TableMeta BenchTable(uint64_t number) {
  TableMeta t;
  t.number = number;
  t.file_size = 64 << 20;
  t.entries = 500000 + number;
  t.tombstones = number % 100;
  t.smallest_key = "user" + std::to_string(1000000000 + number * 37);
  t.largest_key = "user" + std::to_string(1000000000 + number * 37 + 36);
  t.smallest_lsn = number * 1000;
  t.largest_lsn = number * 1000 + 999;
  t.level = number % 4;
  t.checksum = static_cast<uint32_t>(number * 2654435761u);
  return t;
}

// A state holding tables 1..`tables`, as the newest snapshot of a manifest.
inline State StateWithTables(uint64_t tables) {
  State s;
  s.last_sequence = 1;
  s.active_wal = 1;
  s.next_table_number = tables + 1;
  for (uint64_t n = 1; n <= tables; ++n) s.tables.Put(BenchTable(n));
  return s;
}

}  // namespace strata::manifest

#endif  // STRATA_MANIFEST_BENCH_STATE_H_
