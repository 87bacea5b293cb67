// Encode/decode throughput of the primitives and of a realistic record, and
// CRC32C next to the raw ISA-L call it wraps.
//
//   bazel run -c opt --config=opt //encoding:coding_benchmark

#include <isa-l/crc.h>

#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "encoding/coding.h"
#include "encoding/crc32c.h"
#include "encoding/tagged.h"
#include "testing/random.h"

namespace strata {
namespace {

constexpr int kValues = 4096;

std::vector<uint64_t> SkewedValues() {
  testing::Random rnd(1);
  std::vector<uint64_t> values(kValues);
  for (uint64_t& v : values) v = rnd.Skewed64();
  return values;
}

void BM_PutVarint64(benchmark::State& state) {
  const std::vector<uint64_t> values = SkewedValues();
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (uint64_t v : values) PutVarint64(&out, v);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * out.size());
  state.SetItemsProcessed(state.iterations() * kValues);
}
BENCHMARK(BM_PutVarint64);

void BM_GetVarint64(benchmark::State& state) {
  std::string encoded;
  for (uint64_t v : SkewedValues()) PutVarint64(&encoded, v);
  for (auto _ : state) {
    absl::string_view in = encoded;
    uint64_t v = 0, sum = 0;
    while (GetVarint64(&in, &v)) sum += v;
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(state.iterations() * encoded.size());
  state.SetItemsProcessed(state.iterations() * kValues);
}
BENCHMARK(BM_GetVarint64);

void BM_DecoderVarint64(benchmark::State& state) {
  std::string encoded;
  for (uint64_t v : SkewedValues()) PutVarint64(&encoded, v);
  for (auto _ : state) {
    Decoder in(encoded);
    uint64_t v = 0, sum = 0;
    while (!in.empty() && in.GetVarint64("v", &v).ok()) sum += v;
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(state.iterations() * encoded.size());
  state.SetItemsProcessed(state.iterations() * kValues);
}
BENCHMARK(BM_DecoderVarint64);

void BM_PutFixed64(benchmark::State& state) {
  const std::vector<uint64_t> values = SkewedValues();
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (uint64_t v : values) PutFixed64(&out, v);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * out.size());
}
BENCHMARK(BM_PutFixed64);

void BM_DecoderFixed64(benchmark::State& state) {
  std::string encoded;
  for (uint64_t v : SkewedValues()) PutFixed64(&encoded, v);
  for (auto _ : state) {
    Decoder in(encoded);
    uint64_t v = 0, sum = 0;
    while (!in.empty() && in.GetFixed64("v", &v).ok()) sum += v;
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(state.iterations() * encoded.size());
}
BENCHMARK(BM_DecoderFixed64);

// The shape of an SSTable's manifest entry: two file numbers, two 16-64 byte
// keys, sizes and LSNs, as tagged fields.
struct TableEntry {
  uint64_t number = 0;
  uint64_t wal_number = 0;
  std::string smallest;
  std::string largest;
  uint64_t file_size = 0;
  uint64_t entries = 0;
  uint64_t smallest_lsn = 0;
  uint64_t largest_lsn = 0;
};

void EncodeEntry(const TableEntry& e, std::string* out) {
  TaggedWriter w(out);
  w.Varint(1, e.number);
  w.Varint(2, e.wal_number);
  w.Bytes(3, e.smallest);
  w.Bytes(4, e.largest);
  w.Varint(5, e.file_size);
  w.Varint(6, e.entries);
  w.Varint(7, e.smallest_lsn);
  w.Varint(8, e.largest_lsn);
}

absl::Status DecodeEntry(Decoder& in, TableEntry* e) {
  TaggedReader r(&in);
  TaggedField f;
  while (r.Next(&f)) {
    absl::Status s;
    switch (f.number) {
      case 1:
        s = r.Varint(f, &e->number);
        break;
      case 2:
        s = r.Varint(f, &e->wal_number);
        break;
      case 3:
        s = r.Bytes(f, &e->smallest);
        break;
      case 4:
        s = r.Bytes(f, &e->largest);
        break;
      case 5:
        s = r.Varint(f, &e->file_size);
        break;
      case 6:
        s = r.Varint(f, &e->entries);
        break;
      case 7:
        s = r.Varint(f, &e->smallest_lsn);
        break;
      case 8:
        s = r.Varint(f, &e->largest_lsn);
        break;
      default:
        s = r.Unknown(f);
    }
    if (!s.ok()) return s;
  }
  return r.status();
}

std::vector<TableEntry> Entries(int n) {
  testing::Random rnd(2);
  std::vector<TableEntry> entries(n);
  for (TableEntry& e : entries) {
    e.number = 1000 + rnd.Uniform(1 << 20);
    e.wal_number = rnd.Uniform(1 << 16);
    e.smallest = rnd.Printable(16 + rnd.Uniform(49));
    e.largest = rnd.Printable(16 + rnd.Uniform(49));
    e.file_size = rnd.Uniform(uint64_t{1} << 30);
    e.entries = rnd.Uniform(1 << 22);
    e.smallest_lsn = rnd.Uniform(uint64_t{1} << 40);
    e.largest_lsn = e.smallest_lsn + rnd.Uniform(1 << 20);
  }
  return entries;
}

void BM_EncodeTableEntry(benchmark::State& state) {
  const std::vector<TableEntry> entries = Entries(1024);
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (const TableEntry& e : entries) EncodeEntry(e, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * out.size());
  state.SetItemsProcessed(state.iterations() * entries.size());
}
BENCHMARK(BM_EncodeTableEntry);

// Decodes length-prefixed entries into a reused struct, as a snapshot load
// or a log replay does.
void BM_DecodeTableEntry(benchmark::State& state) {
  std::string encoded;
  std::vector<std::string> records;
  for (const TableEntry& e : Entries(1024)) {
    std::string one;
    EncodeEntry(e, &one);
    PutLengthPrefixed(&encoded, one);
  }
  TableEntry e;
  for (auto _ : state) {
    Decoder in(encoded);
    while (!in.empty()) {
      absl::string_view record;
      if (!in.GetLengthPrefixed("entry", &record).ok()) break;
      Decoder one(record);
      if (!DecodeEntry(one, &e).ok()) state.SkipWithError("decode failed");
    }
    benchmark::DoNotOptimize(e.number);
  }
  state.SetBytesProcessed(state.iterations() * encoded.size());
  state.SetItemsProcessed(state.iterations() * 1024);
}
BENCHMARK(BM_DecodeTableEntry);

void BM_Crc32c(benchmark::State& state) {
  const std::string data = testing::Random(3).Bytes(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(crc32c::Value(data));
  state.SetBytesProcessed(state.iterations() * data.size());
}
BENCHMARK(BM_Crc32c)->Arg(128)->Arg(4096)->Arg(1 << 20);

// The physical limit: ISA-L's crc32_iscsi called directly.
void BM_IsalCrc32cRaw(benchmark::State& state) {
  std::string data = testing::Random(3).Bytes(state.range(0));
  auto* p = reinterpret_cast<unsigned char*>(data.data());
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        crc32_iscsi(p, static_cast<int>(data.size()), 0xffffffffu));
  }
  state.SetBytesProcessed(state.iterations() * data.size());
}
BENCHMARK(BM_IsalCrc32cRaw)->Arg(128)->Arg(4096)->Arg(1 << 20);

}  // namespace
}  // namespace strata

BENCHMARK_MAIN();
