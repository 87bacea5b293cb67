// Encodings of manifest edits (one per manifest log record) and of the
// state (the body of a snapshot). docs/manifest_format.md gives every field.
//
// Both are tagged records (encoding/tagged.h): fields carry numbers that are
// never reused, and an op or field from a newer format is refused with
// "written by a newer format version" unless its writer marked it
// skippable.

#ifndef STRATA_MANIFEST_CODEC_H_
#define STRATA_MANIFEST_CODEC_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "encoding/coding.h"
#include "manifest/edit.h"

namespace strata::manifest {

void EncodeEdit(const Edit& edit, std::string* dst);
// Decodes an edit from all of `bytes`. `what` names the record ("manifest/
// 000003.log record at offset 96") and `offset` is its first byte's.
[[nodiscard]] absl::Status DecodeEdit(absl::string_view bytes,
                                      absl::string_view what, uint64_t offset,
                                      Edit* edit);

void EncodeState(const State& state, std::string* dst);
// Encodes `state` in pieces of about `chunk_bytes`, handing each to `emit`
// (which may write it out) as soon as it is full; stops at emit's first
// error. The concatenated pieces equal EncodeState's bytes.
[[nodiscard]] absl::Status EncodeStateInChunks(
    const State& state, size_t chunk_bytes,
    absl::FunctionRef<absl::Status(absl::string_view)> emit);
[[nodiscard]] absl::Status DecodeState(absl::string_view bytes,
                                       absl::string_view what, uint64_t offset,
                                       State* state, DecodeLimits limits = {});

// A guess, for decoding a state's encoding in parts at once: the offset,
// at or after `from`, of what looks like the start of a run of table
// fields (several in a row whose framing holds), or npos if none is seen
// within `search` bytes. Only a guess: a caller must check that the fields
// before it end exactly there (a parse from the start that ends at a field
// boundary there proves it one).
size_t LikelyTableFieldAt(absl::string_view state_bytes, size_t from,
                          size_t search = size_t{1} << 16);

// DecodeState for a state encoding that arrives in pieces (a snapshot read a
// window at a time, see TaggedPrefix): each piece holds whole fields.
// Thread-compatible.
class StateDecoder {
 public:
  // `state` and `what` must outlive the decoder.
  // Tables go into `state` in bulk (TableSet::BeginBulkLoad) until Finish.
  // With `tables_only` (a part of a body decoded apart), any other field is
  // refused with an error for which IsNotOnlyTables holds.
  StateDecoder(State* state, absl::string_view what, DecodeLimits limits = {},
               bool tables_only = false)
      : state_(state), what_(what), limits_(limits), tables_only_(tables_only) {
    state_->tables.BeginBulkLoad();
  }
  static bool IsNotOnlyTables(const absl::Status& status);
  // Decodes the fields in `piece`, whose first byte is at `offset`.
  [[nodiscard]] absl::Status Decode(absl::string_view piece, uint64_t offset);
  // After the last piece, which ended at `end_offset`: the checks that
  // span fields.
  [[nodiscard]] absl::Status Finish(uint64_t end_offset) const;

 private:
  State* const state_;
  const absl::string_view what_;
  const DecodeLimits limits_;
  const bool tables_only_;
};

}  // namespace strata::manifest

#endif  // STRATA_MANIFEST_CODEC_H_
