// The per-table bloom filter (docs/sstable_format.md, "Filter block"): one
// filter over every key of a table, checked before a lookup reads a data
// block, so a Get of a key the table lacks usually reads nothing.
//
// The hash is KeyHash below: 64-bit FNV-1a over the key's bytes, then the
// MurmurHash3 fmix64 finalizer. It is part of the on-disk format: changing
// it needs a new filter format byte.
//
// Probe i (0 ≤ i < probes) sets bit (h + i * delta) mod bits, with h the
// hash and delta = (h >> 33) | 1, in 64-bit arithmetic.
//
// Thread-safety: a BloomFilter is immutable once parsed; the builder is
// thread-compatible.

#ifndef STRATA_SSTABLE_BLOOM_H_
#define STRATA_SSTABLE_BLOOM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace strata::sstable {

// The filter block's format byte.
constexpr uint8_t kBloomFormat = 1;

uint64_t KeyHash(absl::string_view key);

class BloomFilterBuilder {
 public:
  // Adds a key by its KeyHash. Repeats are harmless.
  void Add(uint64_t hash) { hashes_.push_back(hash); }
  size_t count() const { return hashes_.size(); }
  // Appends the filter block for the keys added, `bits_per_key` bits each
  // (at least 64 bits in all).
  void Finish(uint32_t bits_per_key, std::string* dst) const;

 private:
  std::vector<uint64_t> hashes_;
};

class BloomFilter {
 public:
  // Parses a filter block found at `offset` of the file `what` names.
  // DataLoss for a malformed block; FailedPrecondition for an unknown
  // format byte.
  [[nodiscard]] static absl::Status Parse(std::string block,
                                          absl::string_view what,
                                          uint64_t offset, BloomFilter* out);
  // False only if no key with this hash was added.
  bool MayContain(uint64_t hash) const;
  size_t bytes() const { return block_.size(); }

 private:
  std::string block_;  // Format byte, probe count, then the bit array.
  uint32_t probes_ = 0;
  uint64_t bits_ = 0;
};

}  // namespace strata::sstable

#endif  // STRATA_SSTABLE_BLOOM_H_
