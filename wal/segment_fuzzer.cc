// Fuzzes the WAL reader by the shape of a segment rather than only its
// bytes: the input is a small program — record sizes, a length to cut the
// segment to, optional zeros appended or a byte flipped — that a real
// Writer carries out. Every read must end (libFuzzer's -timeout catches a
// loop). A segment that was only cut must read back exactly the records
// that were fully written, and a writer reopened at its end must append a
// record that reads back after them.
//
// Program (little-endian; missing bytes read as zero):
//   u8  records (modulo 17)
//   u16 each record's size: below 0xf000 it is taken modulo 2048, above
//       it counts 16-byte units (up to 64 KiB: records that span blocks)
//   u32 cut: the segment is cut to cut % (its length + 1) bytes
//   u8  damage: 0 none, 1 append zeros, 2 flip a byte, else none
//   u16 how many zeros, or which byte (modulo the length) to flip
//   ... any further bytes are appended to the segment raw (damage).

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "encoding/crc32c.h"
#include "io/file_system.h"
#include "testing/mem_file_system.h"
#include "wal/format.h"
#include "wal/reader.h"
#include "wal/writer.h"

namespace {

using strata::wal::Reader;
using strata::wal::ReaderOptions;
using strata::wal::Writer;
using strata::wal::WriterOptions;

constexpr char kDir[] = "/wal";
constexpr char kPath[] = "/wal/000001.log";

// Reads little-endian integers off the input; zeros once it is used up.
class Program {
 public:
  Program(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint64_t Take(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
      const uint64_t b = pos_ < size_ ? data_[pos_] : 0;
      ++pos_;
      v |= b << (8 * i);
    }
    return v;
  }
  std::string Rest() const {
    return pos_ < size_
               ? std::string(reinterpret_cast<const char*>(data_) + pos_,
                             size_ - pos_)
               : std::string();
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

void Check(bool ok) {
  if (!ok) std::abort();
}

WriterOptions Options() {
  WriterOptions options;
  options.fixed_nonce = 3;
  return options;
}

std::string Record(size_t index, size_t size) {
  return std::string(size, static_cast<char>('a' + index % 26));
}

// Reads the segment; the records, or nothing if the read failed.
struct Read {
  bool ok = false;
  std::vector<std::string> records;
  uint64_t valid_end = 0;
};

Read ReadSegment(strata::io::FileSystem* fs, bool strict) {
  Read out;
  auto reader =
      Reader::Open(fs, kDir, {1}, ReaderOptions{.strict_tail = strict});
  if (!reader.ok()) return out;
  absl::string_view record;
  strata::wal::RecordPosition position;
  while ((*reader)->Next(&record, &position)) out.records.emplace_back(record);
  out.ok = (*reader)->status().ok();
  if (out.ok) out.valid_end = (*reader)->tail().valid_end;
  return out;
}

}  // namespace

namespace {

// Writes the program's records to a new segment; returns the size of the
// segment after each.
std::vector<uint64_t> WriteRecords(Program& program,
                                   strata::testing::MemFileSystem* fs,
                                   std::vector<std::string>* records) {
  std::vector<uint64_t> ends;
  auto writer = Writer::Create(fs, kDir, 1, Options());
  Check(writer.ok());
  const size_t count = program.Take(1) % 17;
  for (size_t i = 0; i < count; ++i) {
    const uint64_t raw = program.Take(2);
    records->push_back(
        Record(i, raw < 0xf000 ? raw % 2048 : (raw - 0xf000) * 16));
    Check((*writer)->Append(records->back()).ok());
    ends.push_back(fs->GetFileSize(kPath).value_or(0));
  }
  Check((*writer)->Close().ok());
  return ends;
}

// Cuts the segment at the program's length and damages it as the program
// says; returns the cut and whether anything was damaged.
std::pair<uint64_t, bool> CutAndDamage(Program& program,
                                       strata::testing::MemFileSystem* fs) {
  std::string bytes = *strata::io::ReadFileToString(fs, kPath);
  const uint64_t cut = program.Take(4) % (bytes.size() + 1);
  bytes.resize(cut);
  const uint64_t damage = program.Take(1);
  const uint64_t amount = program.Take(2);
  const std::string raw = program.Rest();
  bool damaged = !raw.empty();
  if (damage == 1 && amount > 0) {
    bytes.append(amount, '\0');
    damaged = true;
  } else if (damage == 2 && !bytes.empty()) {
    bytes[amount % bytes.size()] ^= 0x5a;
    damaged = true;
  }
  bytes += raw;
  Check(strata::io::WriteFileSynced(fs, kPath, bytes).ok());
  return {cut, damaged};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Program program(data, size);
  strata::testing::MemFileSystem fs;
  if (!fs.CreateDir(kDir).ok()) return 0;
  std::vector<std::string> records;
  const std::vector<uint64_t> ends = WriteRecords(program, &fs, &records);
  const auto [cut, damaged] = CutAndDamage(program, &fs);

  size_t whole = 0;
  while (whole < ends.size() && ends[whole] <= cut) ++whole;
  for (bool strict : {false, true}) {
    const Read read = ReadSegment(&fs, strict);
    // With checksums bypassed a cut fragment cannot be told from a damaged
    // one: any verdict will do then too. It must only end.
    if (damaged || strata::crc32c::kChecksumsBypassed) continue;
    Check(read.ok);
    Check(read.records.size() == whole);
    for (size_t i = 0; i < whole; ++i) Check(read.records[i] == records[i]);
  }
  if (damaged || strata::crc32c::kChecksumsBypassed) return 0;
  // Continue where the reader says whole records end.
  const Read before = ReadSegment(&fs, false);
  {
    auto writer = Writer::Reopen(&fs, kDir, 1, before.valid_end, Options());
    Check(writer.ok());
    Check((*writer)->Append("appended").ok());
    Check((*writer)->Close().ok());
  }
  const Read after = ReadSegment(&fs, true);
  Check(after.ok && after.records.size() == whole + 1 &&
        after.records.back() == "appended");
  return 0;
}
