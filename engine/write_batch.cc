#include "engine/write_batch.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "encoding/coding.h"
#include "io/status_macros.h"

namespace strata::engine {

void WriteBatch::Put(absl::string_view key, absl::string_view value) {
  ops_.push_back(
      {sstable::EntryKind::kPut, std::string(key), std::string(value)});
  payload_bytes_ += key.size() + value.size();
}

void WriteBatch::Delete(absl::string_view key) {
  ops_.push_back({sstable::EntryKind::kDelete, std::string(key), {}});
  payload_bytes_ += key.size();
}

void WriteBatch::DeleteRange(absl::string_view start, absl::string_view end) {
  ops_.push_back(
      {sstable::EntryKind::kRangeDelete, std::string(start), std::string(end)});
  payload_bytes_ += start.size() + end.size();
  ++range_deletes_;
}

void WriteBatch::Clear() {
  ops_.clear();
  payload_bytes_ = 0;
  range_deletes_ = 0;
}

absl::Status WriteBatch::Validate() const {
  for (const Op& op : ops_) {
    if (op.kind == sstable::EntryKind::kRangeDelete && !(op.key < op.value)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "engine: DeleteRange(\"%s\", \"%s\"): the start must sort before "
          "the end",
          absl::CEscape(op.key), absl::CEscape(op.value)));
    }
  }
  return absl::OkStatus();
}

void EncodeBatch(const WriteBatch& batch, uint64_t first_lsn,
                 std::string* dst) {
  dst->reserve(dst->size() + 12 + batch.payload_bytes() + 6 * batch.count());
  dst->push_back(static_cast<char>(batch.has_range_deletes()
                                       ? kBatchFormatVersionWithRanges
                                       : kBatchFormatVersion));
  PutVarint64(dst, first_lsn);
  PutVarint64(dst, batch.count());
  for (const WriteBatch::Op& op : batch.ops()) {
    dst->push_back(static_cast<char>(op.kind));
    PutLengthPrefixed(dst, op.key);
    if (op.kind != sstable::EntryKind::kDelete) {
      PutLengthPrefixed(dst, op.value);
    }
  }
}

absl::Status DecodeBatch(absl::string_view record, absl::string_view what,
                         uint64_t offset, DecodedBatch* batch) {
  const std::string name = absl::StrFormat("%s batch", what);
  Decoder in(record, name, offset);
  absl::string_view version;
  STRATA_RETURN_IF_ERROR(in.GetBytes("format version", 1, &version));
  const uint8_t format = static_cast<uint8_t>(version[0]);
  if (format != kBatchFormatVersion &&
      format != kBatchFormatVersionWithRanges) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "engine: %s at offset %d: format version %d is not %d or %d (written "
        "by a newer format version?)",
        name, offset, format, kBatchFormatVersion,
        kBatchFormatVersionWithRanges));
  }
  uint64_t count;
  STRATA_RETURN_IF_ERROR(in.GetVarint64("first lsn", &batch->first_lsn));
  // An op takes at least a kind byte and a key length.
  STRATA_RETURN_IF_ERROR(in.GetCount("op count", &count, 2));
  if (count == 0) return in.Error("op count", "a batch holds no operation");
  batch->entries.clear();
  batch->entries.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    sstable::Entry e;
    e.lsn = batch->first_lsn + i;
    absl::string_view kind;
    STRATA_RETURN_IF_ERROR(in.GetBytes("op kind", 1, &kind));
    e.kind = static_cast<sstable::EntryKind>(kind[0]);
    const bool range = e.kind == sstable::EntryKind::kRangeDelete;
    if (e.kind != sstable::EntryKind::kPut &&
        e.kind != sstable::EntryKind::kDelete &&
        !(range && format == kBatchFormatVersionWithRanges)) {
      return in.Error("op kind", absl::StrFormat("unknown kind %d",
                                                 static_cast<int>(kind[0])));
    }
    STRATA_RETURN_IF_ERROR(
        in.GetLengthPrefixed(range ? "start" : "key", &e.key));
    if (e.kind != sstable::EntryKind::kDelete) {
      STRATA_RETURN_IF_ERROR(
          in.GetLengthPrefixed(range ? "end" : "value", &e.value));
    }
    if (range && !(e.key < e.value)) {
      return in.Error("end", "a range delete's end is not after its start");
    }
    batch->entries.push_back(e);
  }
  return in.ExpectEnd();
}

}  // namespace strata::engine
