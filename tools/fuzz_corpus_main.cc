// fuzz_corpus OUT: writes a seed corpus of valid inputs for every decoder
// fuzzer into OUT/<fuzzer>/ (tools/fuzz.sh runs it before a fuzzer): real
// tables, snapshots, manifest logs, edits and states, WAL segments, segment
// programs and write batches, as Strata's own writers make them. Random
// bytes almost never pass a checksum; mutations of valid files reach the
// decoders behind it (all the more under --config=fuzz_past_checksums).

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/write_batch.h"
#include "io/file_system.h"
#include "io/posix_file_system.h"
#include "manifest/codec.h"
#include "manifest/edit.h"
#include "manifest/snapshot.h"
#include "sstable/table_writer.h"
#include "testing/mem_file_system.h"
#include "testing/random.h"
#include "wal/writer.h"

namespace strata {
namespace {

using testing::MemFileSystem;
using testing::Random;

// Writes the seeds of one fuzzer.
class Seeds {
 public:
  Seeds(const std::string& out, const std::string& fuzzer)
      : dir_(io::JoinPath(out, fuzzer)) {
    io::PosixFileSystem()->CreateDir(out).IgnoreError();
    io::PosixFileSystem()->CreateDir(dir_).IgnoreError();
  }
  void Add(const std::string& bytes) {
    const std::string path = io::JoinPath(dir_, absl::StrCat("seed-", n_++));
    if (!io::WriteFileSynced(io::PosixFileSystem(), path, bytes).ok()) {
      std::fprintf(stderr, "fuzz_corpus: cannot write %s\n", path.c_str());
    }
  }
  int count() const { return n_; }

 private:
  std::string dir_;
  int n_ = 0;
};

std::string Table(int entries, size_t block_size, uint64_t seed) {
  MemFileSystem fs;
  auto writer = sstable::TableWriter::Create(&fs, "/t.sst", {block_size});
  Random rnd(seed);
  for (int i = 0; i < entries; ++i) {
    const std::string key = absl::StrFormat("key%06d", i);
    const absl::Status s =
        rnd.OneIn(4)
            ? (*writer)->Delete(key, 1000 - i)
            : (*writer)->Put(key, 1000 - i, rnd.Printable(rnd.Uniform(40)));
    if (!s.ok()) return "";
  }
  if (!(*writer)->Finish().ok()) return "";
  return io::ReadFileToString(&fs, "/t.sst").value_or("");
}

manifest::TableMeta Meta(uint64_t number) {
  manifest::TableMeta t;
  t.number = number;
  t.file_size = 1000 + number;
  t.entries = 10 * number;
  t.tombstones = number % 3;
  t.smallest_key = absl::StrFormat("a%03d", number);
  t.largest_key = absl::StrFormat("z%03d", number);
  t.smallest_lsn = number * 100;
  t.largest_lsn = number * 100 + 99;
  t.level = number % 4;
  t.checksum = 0x1234 + number;
  return t;
}

// Edits a database makes: a WAL, table ids, flushes, a compaction.
std::vector<manifest::Edit> Edits(int tables) {
  std::vector<manifest::Edit> edits;
  manifest::Edit first;
  first.ops = {manifest::SetActiveWal{1},
               manifest::AllocateTableId{uint64_t(tables + 10)}};
  edits.push_back(first);
  for (int i = 1; i <= tables; ++i) {
    edits.push_back(manifest::Edit::Flush(Meta(i), 0, i * 100 + 99));
  }
  manifest::Edit compaction;
  compaction.ops = {manifest::Compaction{{Meta(tables + 1)}, {1, 2}},
                    manifest::UpdateLsn{uint64_t(tables) * 200}};
  edits.push_back(compaction);
  for (size_t i = 0; i < edits.size(); ++i) edits[i].sequence = i + 1;
  return edits;
}

manifest::State StateAfter(const std::vector<manifest::Edit>& edits) {
  manifest::State state;
  for (const manifest::Edit& e : edits) manifest::Apply(e, &state);
  return state;
}

// A WAL segment holding `records`, as the writer frames them.
std::string Segment(const std::vector<std::string>& records) {
  MemFileSystem fs;
  fs.CreateDir("/w").IgnoreError();
  wal::WriterOptions options;
  options.fixed_nonce = 5;
  {
    auto writer = wal::Writer::Create(&fs, "/w", 1, options);
    if (!writer.ok()) return "";
    for (const std::string& r : records) (*writer)->Append(r).IgnoreError();
    (*writer)->Close().IgnoreError();
  }
  return io::ReadFileToString(&fs, "/w/000001.log").value_or("");
}

std::vector<std::string> EditRecords(const std::vector<manifest::Edit>& edits) {
  std::vector<std::string> out;
  for (const manifest::Edit& e : edits) {
    out.emplace_back();
    manifest::EncodeEdit(e, &out.back());
  }
  return out;
}

void WriteAll(const std::string& out) {
  Seeds table(out, "table_fuzzer");
  table.Add(Table(1, 4096, 1));
  table.Add(Table(50, 256, 2));
  table.Add(Table(300, 1024, 3));

  Seeds snapshot(out, "snapshot_fuzzer"), codec(out, "codec_fuzzer");
  for (int tables : {0, 3, 20}) {
    const std::vector<manifest::Edit> edits = Edits(tables + 2);
    const manifest::State state = StateAfter(edits);
    snapshot.Add(std::string(1, '\0') + manifest::EncodeSnapshot(1, state));
    snapshot.Add(std::string(1, '\1') + Segment(EditRecords(edits)));
    std::string s;
    manifest::EncodeState(state, &s);
    codec.Add(s);
    for (const std::string& r : EditRecords(edits)) codec.Add(r);
  }

  Seeds reader(out, "reader_fuzzer");
  Random rnd(7);
  reader.Add(Segment({"a", "", "bcd"}));
  std::vector<std::string> records;
  for (int i = 0; i < 40; ++i) records.push_back(rnd.Bytes(rnd.Uniform(3000)));
  records.push_back(rnd.Bytes(40000));  // Spans blocks.
  reader.Add(Segment(records));

  Seeds segment(out, "segment_fuzzer");
  // Programs: record count, u16 sizes, u32 cut, damage kind, amount.
  segment.Add(std::string("\x03\x10\x00\x20\x00\x00\x01\xff\xff\xff\x7f", 11));
  segment.Add(
      std::string("\x02\x00\xf8\x10\x00\x00\x80\x00\x00\x01\x28\x00", 12));
  segment.Add(
      std::string("\x04\xe6\x7f\xe6\x7f\x01\x00\x05\x00\x10\x00\x00"
                  "\x00\x02\x07\x00",
                  16));

  Seeds batch(out, "write_batch_fuzzer");
  for (int n : {1, 3, 20}) {
    engine::WriteBatch b;
    for (int i = 0; i < n; ++i) {
      if (i % 3 == 2) {
        b.Delete(absl::StrCat("k", i));
      } else {
        b.Put(absl::StrCat("k", i), std::string(i * 7, 'v'));
      }
    }
    if (n > 1) {  // Format 2: with a range delete.
      b.DeleteRange(absl::StrCat("k", n), absl::StrCat("k", n, "z"));
    }
    std::string record;
    engine::EncodeBatch(b, 1000 * n, &record);
    batch.Add(record);
  }
  // The regression from the field: a format-2 batch of one range delete
  // that the round-trip check once refused.
  batch.Add(
      std::string("\x02\x00\x01\x03\x08\x01vv0\x00\x00\x00\x00"
                  "\x02k2",
                  16));
  std::printf(
      "fuzz_corpus: %s: %d table, %d snapshot, %d codec, %d reader, %d "
      "segment, %d write_batch seeds\n",
      out.c_str(), table.count(), snapshot.count(), codec.count(),
      reader.count(), segment.count(), batch.count());
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_corpus OUT_DIR\n");
    return 2;
  }
  strata::WriteAll(argv[1]);
  return 0;
}
