#include "manifest/codec.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "encoding/tagged.h"
#include "io/status_macros.h"

namespace strata::manifest {
namespace {

// Field numbers. Never reuse one; add new ones at the end.
namespace edit_field {
constexpr uint32_t kSequence = 1;
constexpr uint32_t kSetVersion = 2;
constexpr uint32_t kSetActiveWal = 3;
constexpr uint32_t kAddFrozenWal = 4;
constexpr uint32_t kRemoveFrozenWal = 5;
constexpr uint32_t kAddTable = 6;
constexpr uint32_t kRemoveTable = 7;
constexpr uint32_t kUpdateLsn = 8;
constexpr uint32_t kAllocateTableId = 9;
constexpr uint32_t kCompaction = 10;
}  // namespace edit_field

namespace compaction_field {
constexpr uint32_t kAdded = 1;
constexpr uint32_t kRemoved = 2;
}  // namespace compaction_field

namespace table_field {
constexpr uint32_t kNumber = 1;
constexpr uint32_t kFileSize = 2;
constexpr uint32_t kEntries = 3;
constexpr uint32_t kTombstones = 4;
constexpr uint32_t kSmallestKey = 5;
constexpr uint32_t kLargestKey = 6;
constexpr uint32_t kSmallestLsn = 7;
constexpr uint32_t kLargestLsn = 8;
constexpr uint32_t kLevel = 9;
constexpr uint32_t kChecksum = 10;
}  // namespace table_field

namespace state_field {
constexpr uint32_t kLastSequence = 1;
constexpr uint32_t kVersion = 2;
constexpr uint32_t kLastLsn = 3;
constexpr uint32_t kActiveWal = 4;
constexpr uint32_t kFrozenWal = 5;  // Repeated.
constexpr uint32_t kNextTableNumber = 6;
constexpr uint32_t kTable = 7;  // Repeated.
}  // namespace state_field

// A table's fields are written straight into a buffer sized first: a
// snapshot encodes a million of them, and a string append per field would
// cost more than the bytes.
size_t EncodedTableSize(const TableMeta& t) {
  using namespace table_field;
  return TaggedVarintSize(kNumber, t.number) +
         TaggedVarintSize(kFileSize, t.file_size) +
         TaggedVarintSize(kEntries, t.entries) +
         TaggedVarintSize(kTombstones, t.tombstones) +
         TaggedBytesSize(kSmallestKey, t.smallest_key.size()) +
         TaggedBytesSize(kLargestKey, t.largest_key.size()) +
         TaggedVarintSize(kSmallestLsn, t.smallest_lsn) +
         TaggedVarintSize(kLargestLsn, t.largest_lsn) +
         TaggedVarintSize(kLevel, t.level) +
         TaggedVarintSize(kChecksum, t.checksum);
}

char* EncodeTableTo(const TableMeta& t, char* p) {
  using namespace table_field;
  p = EncodeTaggedVarint(p, kNumber, t.number);
  p = EncodeTaggedVarint(p, kFileSize, t.file_size);
  p = EncodeTaggedVarint(p, kEntries, t.entries);
  p = EncodeTaggedVarint(p, kTombstones, t.tombstones);
  p = EncodeTaggedBytes(p, kSmallestKey, t.smallest_key);
  p = EncodeTaggedBytes(p, kLargestKey, t.largest_key);
  p = EncodeTaggedVarint(p, kSmallestLsn, t.smallest_lsn);
  p = EncodeTaggedVarint(p, kLargestLsn, t.largest_lsn);
  p = EncodeTaggedVarint(p, kLevel, t.level);
  return EncodeTaggedVarint(p, kChecksum, t.checksum);
}

// Appends `t` as a bytes field `number` of an enclosing record.
void AppendTableField(uint32_t number, const TableMeta& t, std::string* dst) {
  const size_t body = EncodedTableSize(t);
  const size_t old = dst->size();
  dst->resize(old + TaggedBytesSize(number, body));
  EncodeTableTo(t, EncodeTaggedBytesHeader(&(*dst)[old], number, body));
}

// The layout EncodeTableTo writes, decoded without the general reader:
// every field present once, in order. False, with `*t` untouched, for any
// other layout — fields in another order or missing, a field this build
// does not know, damage — which DecodeTable then reads field by field (and
// reports, if it is damage). Open decodes a snapshot's million tables, and
// this is most of its time.
bool DecodeCanonicalTable(absl::string_view in, TableMeta* t) {
  using namespace table_field;
  uint64_t k, n, size, entries, tombstones, smallest_lsn, largest_lsn, level,
      checksum;
  absl::string_view smallest, largest;
  const auto varint = [&in, &k](uint32_t number, uint64_t* v) {
    return GetVarint64(&in, &k) && k == TaggedKey(number, WireType::kVarint) &&
           GetVarint64(&in, v);
  };
  const auto bytes = [&in, &k](uint32_t number, absl::string_view* v) {
    uint64_t length;
    if (!GetVarint64(&in, &k) || k != TaggedKey(number, WireType::kBytes) ||
        !GetVarint64(&in, &length) || length > in.size()) {
      return false;
    }
    *v = in.substr(0, length);
    in.remove_prefix(length);
    return true;
  };
  if (!varint(kNumber, &n) || !varint(kFileSize, &size) ||
      !varint(kEntries, &entries) || !varint(kTombstones, &tombstones) ||
      !bytes(kSmallestKey, &smallest) || !bytes(kLargestKey, &largest) ||
      !varint(kSmallestLsn, &smallest_lsn) ||
      !varint(kLargestLsn, &largest_lsn) || !varint(kLevel, &level) ||
      !varint(kChecksum, &checksum) || !in.empty() || level > UINT32_MAX ||
      checksum > UINT32_MAX) {
    return false;
  }
  t->number = n;
  t->file_size = size;
  t->entries = entries;
  t->tombstones = tombstones;
  t->smallest_key.assign(smallest.data(), smallest.size());
  t->largest_key.assign(largest.data(), largest.size());
  t->smallest_lsn = smallest_lsn;
  t->largest_lsn = largest_lsn;
  t->level = static_cast<uint32_t>(level);
  t->checksum = static_cast<uint32_t>(checksum);
  return true;
}

absl::Status DecodeTable(absl::string_view bytes, const Decoder& outer,
                         uint64_t offset, TableMeta* t) {
  using namespace table_field;
  if (bytes.size() <= outer.limits().max_bytes_length &&
      DecodeCanonicalTable(bytes, t)) {
    return absl::OkStatus();
  }
  Decoder in(bytes, outer.what(), offset, outer.limits());
  TaggedReader r(&in);
  TaggedField f;
  bool has_number = false;
  while (r.Next(&f)) {
    absl::Status s;
    switch (f.number) {
      case kNumber:
        s = r.Varint(f, &t->number);
        has_number = true;
        break;
      case kFileSize:
        s = r.Varint(f, &t->file_size);
        break;
      case kEntries:
        s = r.Varint(f, &t->entries);
        break;
      case kTombstones:
        s = r.Varint(f, &t->tombstones);
        break;
      case kSmallestKey:
        s = r.Bytes(f, &t->smallest_key);
        break;
      case kLargestKey:
        s = r.Bytes(f, &t->largest_key);
        break;
      case kSmallestLsn:
        s = r.Varint(f, &t->smallest_lsn);
        break;
      case kLargestLsn:
        s = r.Varint(f, &t->largest_lsn);
        break;
      case kLevel:
        s = r.Varint32(f, &t->level);
        break;
      case kChecksum:
        s = r.Varint32(f, &t->checksum);
        break;
      default:
        s = r.Unknown(f);
    }
    if (!s.ok()) return s;
  }
  if (!r.status().ok()) return r.status();
  if (!has_number) {
    return in.Error("table", "has no file number (field 1)");
  }
  return absl::OkStatus();
}

void EncodeCompaction(const Compaction& c, std::string* dst) {
  TaggedWriter w(dst);
  for (const TableMeta& t : c.added) {
    AppendTableField(compaction_field::kAdded, t, dst);
  }
  for (uint64_t number : c.removed)
    w.Varint(compaction_field::kRemoved, number);
}

absl::Status DecodeCompaction(absl::string_view bytes, const Decoder& outer,
                              uint64_t offset, Compaction* c) {
  Decoder in(bytes, outer.what(), offset, outer.limits());
  TaggedReader r(&in);
  TaggedField f;
  while (r.Next(&f)) {
    absl::Status s;
    switch (f.number) {
      case compaction_field::kAdded: {
        absl::string_view table;
        s = r.Bytes(f, &table);
        if (s.ok()) {
          s = DecodeTable(table, in, f.offset, &c->added.emplace_back());
        }
        break;
      }
      case compaction_field::kRemoved:
        s = r.Varint(f, &c->removed.emplace_back());
        break;
      default:
        s = r.Unknown(f);
    }
    if (!s.ok()) return s;
  }
  return r.status();
}

struct OpEncoder {
  TaggedWriter* w;
  std::string* dst;          // The one w appends to.
  std::string scratch = {};  // A compaction's body, before its length.

  void operator()(const SetVersion& op) {
    w->Varint(edit_field::kSetVersion, op.version);
  }
  void operator()(const SetActiveWal& op) {
    w->Varint(edit_field::kSetActiveWal, op.wal);
  }
  void operator()(const AddFrozenWal& op) {
    w->Varint(edit_field::kAddFrozenWal, op.wal);
  }
  void operator()(const RemoveFrozenWal& op) {
    w->Varint(edit_field::kRemoveFrozenWal, op.wal);
  }
  void operator()(const AddTable& op) {
    AppendTableField(edit_field::kAddTable, op.table, dst);
  }
  void operator()(const RemoveTable& op) {
    w->Varint(edit_field::kRemoveTable, op.number);
  }
  void operator()(const UpdateLsn& op) {
    w->Varint(edit_field::kUpdateLsn, op.lsn);
  }
  void operator()(const AllocateTableId& op) {
    w->Varint(edit_field::kAllocateTableId, op.number);
  }
  void operator()(const Compaction& op) {
    scratch.clear();
    EncodeCompaction(op, &scratch);
    w->Bytes(edit_field::kCompaction, scratch);
  }
};

}  // namespace

void EncodeEdit(const Edit& edit, std::string* dst) {
  TaggedWriter w(dst);
  w.Varint(edit_field::kSequence, edit.sequence);
  OpEncoder encoder{&w, dst};
  for (const Op& op : edit.ops) std::visit(encoder, op);
}

namespace {

// Decodes one op field `f` of an edit into edit->ops.
absl::Status DecodeOp(TaggedReader* r, const TaggedField& f, const Decoder& in,
                      Edit* edit) {
  using namespace edit_field;
  uint64_t v = 0;
  auto varint_op = [&](auto make) -> absl::Status {
    STRATA_RETURN_IF_ERROR(r->Varint(f, &v));
    edit->ops.push_back(make(v));
    return absl::OkStatus();
  };
  switch (f.number) {
    case kSetVersion:
      return varint_op([](uint64_t x) { return SetVersion{x}; });
    case kSetActiveWal:
      return varint_op([](uint64_t x) { return SetActiveWal{x}; });
    case kAddFrozenWal:
      return varint_op([](uint64_t x) { return AddFrozenWal{x}; });
    case kRemoveFrozenWal:
      return varint_op([](uint64_t x) { return RemoveFrozenWal{x}; });
    case kRemoveTable:
      return varint_op([](uint64_t x) { return RemoveTable{x}; });
    case kUpdateLsn:
      return varint_op([](uint64_t x) { return UpdateLsn{x}; });
    case kAllocateTableId:
      return varint_op([](uint64_t x) { return AllocateTableId{x}; });
    case kAddTable: {
      absl::string_view table;
      AddTable op;
      STRATA_RETURN_IF_ERROR(r->Bytes(f, &table));
      STRATA_RETURN_IF_ERROR(DecodeTable(table, in, f.offset, &op.table));
      edit->ops.push_back(std::move(op));
      return absl::OkStatus();
    }
    case kCompaction: {
      absl::string_view body;
      Compaction op;
      STRATA_RETURN_IF_ERROR(r->Bytes(f, &body));
      STRATA_RETURN_IF_ERROR(DecodeCompaction(body, in, f.offset, &op));
      edit->ops.push_back(std::move(op));
      return absl::OkStatus();
    }
    default:
      return r->Unknown(f);
  }
}

}  // namespace

absl::Status DecodeEdit(absl::string_view bytes, absl::string_view what,
                        uint64_t offset, Edit* edit) {
  Decoder in(bytes, what, offset);
  TaggedReader r(&in);
  TaggedField f;
  bool has_sequence = false;
  edit->ops.reserve(4);
  while (r.Next(&f)) {
    if (f.number == edit_field::kSequence) {
      STRATA_RETURN_IF_ERROR(r.Varint(f, &edit->sequence));
      has_sequence = true;
    } else {
      STRATA_RETURN_IF_ERROR(DecodeOp(&r, f, in, edit));
    }
  }
  STRATA_RETURN_IF_ERROR(r.status());
  if (!has_sequence) return in.Error("edit", "has no sequence (field 1)");
  return absl::OkStatus();
}

absl::Status EncodeStateInChunks(
    const State& state, size_t chunk_bytes,
    absl::FunctionRef<absl::Status(absl::string_view)> emit) {
  using namespace state_field;
  std::string out;
  out.reserve(std::min<size_t>(chunk_bytes, 1 << 20) + 512);
  TaggedWriter w(&out);
  w.Varint(kLastSequence, state.last_sequence);
  w.Varint(kVersion, state.version);
  w.Varint(kLastLsn, state.last_lsn);
  w.Varint(kActiveWal, state.active_wal);
  for (uint64_t wal : state.frozen_wals) w.Varint(kFrozenWal, wal);
  w.Varint(kNextTableNumber, state.next_table_number);
  absl::Status status;
  state.tables.ForEach([&](const TableMeta& meta) {
    if (!status.ok()) return;
    AppendTableField(kTable, meta, &out);
    if (out.size() >= chunk_bytes) {
      status = emit(out);
      out.clear();
    }
  });
  if (!status.ok()) return status;
  return out.empty() ? absl::OkStatus() : emit(out);
}

void EncodeState(const State& state, std::string* dst) {
  // Appending to a string cannot fail, so neither can this.
  EncodeStateInChunks(state, SIZE_MAX, [&](absl::string_view piece) {
    dst->append(piece.data(), piece.size());
    return absl::OkStatus();
  }).IgnoreError();
}

absl::Status DecodeState(absl::string_view bytes, absl::string_view what,
                         uint64_t offset, State* state, DecodeLimits limits) {
  StateDecoder decoder(state, what, limits);
  STRATA_RETURN_IF_ERROR(decoder.Decode(bytes, offset));
  return decoder.Finish(offset + bytes.size());
}

size_t LikelyTableFieldAt(absl::string_view state_bytes, size_t from,
                          size_t search) {
  // A table field is key 7 (bytes), a length, then the table's own
  // fields, the first of which is its number (key 1, varint). Four in a
  // row make a chance match inside keys negligible; a wrong guess costs
  // only time, as the caller checks it.
  constexpr int kRun = 4;
  constexpr unsigned char kTableKey =
      TaggedKey(state_field::kTable, WireType::kBytes);
  constexpr unsigned char kNumberKey =
      TaggedKey(table_field::kNumber, WireType::kVarint);
  const size_t end = std::min(state_bytes.size(), from + search);
  for (size_t at = from; at < end; ++at) {
    size_t p = at;
    int run = 0;
    for (; run < kRun; ++run) {
      if (p >= state_bytes.size() ||
          static_cast<unsigned char>(state_bytes[p]) != kTableKey) {
        break;
      }
      absl::string_view rest = state_bytes.substr(p + 1);
      uint64_t length;
      if (!GetVarint64(&rest, &length) || length == 0 || length > rest.size() ||
          static_cast<unsigned char>(rest[0]) != kNumberKey) {
        break;
      }
      p = state_bytes.size() - rest.size() + length;
    }
    // A run cut short by the end of the input counts too.
    if (run == kRun || (run > 0 && p == state_bytes.size())) return at;
  }
  return absl::string_view::npos;
}

namespace {
constexpr absl::string_view kNotOnlyTables =
    "manifest: a field other than a table in a part decoded apart";
}  // namespace

bool StateDecoder::IsNotOnlyTables(const absl::Status& status) {
  return absl::IsAborted(status) && status.message() == kNotOnlyTables;
}

absl::Status StateDecoder::Decode(absl::string_view piece, uint64_t offset) {
  using namespace state_field;
  State* const state = state_;
  Decoder in(piece, what_, offset, limits_);
  TaggedReader r(&in);
  TaggedField f;
  while (r.Next(&f)) {
    if (tables_only_ && f.number != kTable) {
      return absl::AbortedError(kNotOnlyTables);
    }
    absl::Status s;
    switch (f.number) {
      case kLastSequence:
        s = r.Varint(f, &state->last_sequence);
        break;
      case kVersion:
        s = r.Varint(f, &state->version);
        break;
      case kLastLsn:
        s = r.Varint(f, &state->last_lsn);
        break;
      case kActiveWal:
        s = r.Varint(f, &state->active_wal);
        break;
      case kFrozenWal: {
        uint64_t wal;
        if ((s = r.Varint(f, &wal)).ok()) {
          if (!state->frozen_wals.empty() && wal <= state->frozen_wals.back()) {
            s = r.Error(f, "frozen WALs are not in ascending order");
          } else {
            state->frozen_wals.push_back(wal);
          }
        }
        break;
      }
      case kNextTableNumber:
        s = r.Varint(f, &state->next_table_number);
        break;
      case kTable: {
        absl::string_view bytes;
        TableMeta meta;
        if ((s = r.Bytes(f, &bytes)).ok() &&
            (s = DecodeTable(bytes, in, f.offset, &meta)).ok()) {
          const uint64_t number = meta.number;
          if (!state->tables.Insert(std::move(meta))) {
            s = r.Error(f, absl::StrFormat("table %d appears twice", number));
          }
        }
        break;
      }
      default:
        s = r.Unknown(f);
    }
    if (!s.ok()) return s;
  }
  return r.status();
}

absl::Status StateDecoder::Finish(uint64_t end_offset) const {
  state_->tables.EndBulkLoad();
  const State& state = *state_;
  if (!state.tables.empty() &&
      state.tables.MaxNumber() >= state.next_table_number) {
    return Decoder(absl::string_view(), what_, end_offset, limits_)
        .Error("state", absl::StrFormat(
                            "table %d is at or past the next table id %d",
                            state.tables.MaxNumber(), state.next_table_number));
  }
  return absl::OkStatus();
}

}  // namespace strata::manifest
