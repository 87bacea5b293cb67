// What the manifest records about a table, taken from the table's own
// properties block: the one mapping from sstable::TableProperties to
// manifest::TableMeta, shared by flushes, compactions and repair.

#ifndef STRATA_ENGINE_TABLE_META_H_
#define STRATA_ENGINE_TABLE_META_H_

#include <cstdint>

#include "manifest/table_meta.h"
#include "sstable/properties.h"

namespace strata::engine {

inline manifest::TableMeta MetaFromProperties(uint64_t number,
                                              const sstable::TableProperties& p,
                                              uint32_t level) {
  manifest::TableMeta t;
  t.number = number;
  t.file_size = p.file_size;
  t.entries = p.entries;
  t.tombstones = p.tombstones;
  t.smallest_key = p.smallest_key;
  t.largest_key = p.largest_key;
  t.smallest_lsn = p.smallest_lsn;
  t.largest_lsn = p.largest_lsn;
  t.level = level;
  t.checksum = p.file_checksum;
  return t;
}

}  // namespace strata::engine

#endif  // STRATA_ENGINE_TABLE_META_H_
