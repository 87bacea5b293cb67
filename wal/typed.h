// Typed views of a WAL: the manifest logs its edits and the engine its write
// batches through these, never touching framing.
//
// A Codec is a type with
//
//   using Value = ...;
//   static void Encode(const Value& value, std::string* dst);
//   static absl::Status Decode(absl::string_view bytes, absl::string_view what,
//                              Value* value);
//
// where `what` names the record ("wal/000007.log record at offset 96") for
// Decode's errors.

#ifndef STRATA_WAL_TYPED_H_
#define STRATA_WAL_TYPED_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "wal/reader.h"
#include "wal/writer.h"

namespace strata::wal {

// Thread-safety: as Writer (safe for concurrent use).
template <typename Codec>
class TypedWriter {
 public:
  using Value = typename Codec::Value;

  // `writer` must outlive this object.
  explicit TypedWriter(Writer* writer) : writer_(writer) {}

  [[nodiscard]] absl::Status Append(const Value& value) {
    std::string bytes;
    Codec::Encode(value, &bytes);
    return writer_->Append(bytes);
  }

 private:
  Writer* const writer_;
};

// Thread-safety: thread-compatible.
template <typename Codec>
class TypedReader {
 public:
  using Value = typename Codec::Value;

  // `reader` must outlive this object.
  explicit TypedReader(Reader* reader) : reader_(reader) {}

  // Reads and decodes the next record; false at the end or on an error,
  // which status() reports.
  [[nodiscard]] bool Next(Value* value, RecordPosition* position) {
    absl::string_view bytes;
    if (!status_.ok() || !reader_->Next(&bytes, position)) return false;
    status_ =
        Codec::Decode(bytes,
                      absl::StrFormat("%s record at offset %d",
                                      reader_->SegmentPath(position->segment),
                                      position->offset),
                      value);
    return status_.ok();
  }

  absl::Status status() const {
    return status_.ok() ? reader_->status() : status_;
  }

 private:
  Reader* const reader_;
  absl::Status status_;
};

}  // namespace strata::wal

#endif  // STRATA_WAL_TYPED_H_
