#include "sstable/bloom.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace strata::sstable {
namespace {

constexpr size_t kHeaderBytes = 2;  // Format byte, probe count.
constexpr uint32_t kMaxProbes = 30;

uint64_t Delta(uint64_t hash) { return (hash >> 33) | 1; }

}  // namespace

uint64_t KeyHash(absl::string_view key) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a offset basis.
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;  // FNV prime.
  }
  // fmix64: every input bit reaches every output bit.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

void BloomFilterBuilder::Finish(uint32_t bits_per_key, std::string* dst) const {
  // ln 2 probes per bit per key minimise the false-positive rate.
  const uint32_t probes = std::clamp<uint32_t>(
      static_cast<uint32_t>(std::lround(bits_per_key * 0.69)), 1, kMaxProbes);
  uint64_t bits = std::max<uint64_t>(64, uint64_t{bits_per_key} * count());
  bits = (bits + 7) / 8 * 8;
  const size_t start = dst->size();
  dst->push_back(static_cast<char>(kBloomFormat));
  dst->push_back(static_cast<char>(probes));
  dst->resize(start + kHeaderBytes + bits / 8, '\0');
  char* array = dst->data() + start + kHeaderBytes;
  for (uint64_t h : hashes_) {
    const uint64_t delta = Delta(h);
    for (uint32_t i = 0; i < probes; ++i) {
      const uint64_t bit = (h + i * delta) % bits;
      array[bit / 8] |= static_cast<char>(1 << (bit % 8));
    }
  }
}

absl::Status BloomFilter::Parse(std::string block, absl::string_view what,
                                uint64_t offset, BloomFilter* out) {
  if (block.size() < kHeaderBytes + 8) {
    return absl::DataLossError(absl::StrFormat(
        "sst: %s at offset %d: a filter block of %d bytes is too short", what,
        offset, block.size()));
  }
  const uint8_t format = static_cast<uint8_t>(block[0]);
  if (format != kBloomFormat) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "sst: %s at offset %d: filter format %d is not %d (written by a newer "
        "format version?)",
        what, offset, format, kBloomFormat));
  }
  const uint32_t probes = static_cast<uint8_t>(block[1]);
  if (probes == 0 || probes > kMaxProbes) {
    return absl::DataLossError(
        absl::StrFormat("sst: %s at offset %d: %d probes is not in [1, %d]",
                        what, offset + 1, probes, kMaxProbes));
  }
  out->probes_ = probes;
  out->bits_ = uint64_t{block.size() - kHeaderBytes} * 8;
  out->block_ = std::move(block);
  return absl::OkStatus();
}

bool BloomFilter::MayContain(uint64_t hash) const {
  const char* array = block_.data() + kHeaderBytes;
  const uint64_t delta = Delta(hash);
  for (uint32_t i = 0; i < probes_; ++i) {
    const uint64_t bit = (hash + i * delta) % bits_;
    if ((array[bit / 8] & (1 << (bit % 8))) == 0) return false;
  }
  return true;
}

}  // namespace strata::sstable
