// WriteBatch: puts and deletes applied atomically, and the data-WAL record
// that carries one (docs/engine_format.md).
//
// A batch is one WAL record: all of it is replayed after a crash or none of
// it. Its operations take consecutive LSNs, the first one stored in the
// record.
//
// Thread-compatible value type.

#ifndef STRATA_ENGINE_WRITE_BATCH_H_
#define STRATA_ENGINE_WRITE_BATCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "sstable/format.h"

namespace strata::engine {

class WriteBatch {
 public:
  struct Op {
    sstable::EntryKind kind = sstable::EntryKind::kPut;
    std::string key;
    std::string value;  // Empty for a delete; the end for a range delete.
  };

  void Put(absl::string_view key, absl::string_view value);
  void Delete(absl::string_view key);
  // Deletes every key in [start, end) written before this operation.
  // Engine::Write refuses the batch (InvalidArgument) unless start < end.
  void DeleteRange(absl::string_view start, absl::string_view end);
  void Clear();

  const std::vector<Op>& ops() const { return ops_; }
  size_t count() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  // Bytes of keys and values.
  size_t payload_bytes() const { return payload_bytes_; }
  bool has_range_deletes() const { return range_deletes_ != 0; }
  // OK, or InvalidArgument naming the first range delete whose start is not
  // before its end.
  [[nodiscard]] absl::Status Validate() const;

 private:
  std::vector<Op> ops_;
  size_t payload_bytes_ = 0;
  size_t range_deletes_ = 0;
};

// The data-WAL record format's version byte: 1 for a batch of puts and
// deletes (what every batch was before range deletes), 2 for one that also
// holds a range delete, so that a reader that predates them refuses it as
// newer rather than as damaged.
constexpr uint8_t kBatchFormatVersion = 1;
constexpr uint8_t kBatchFormatVersionWithRanges = 2;

// Appends the record for `batch`, whose operations take the LSNs
// first_lsn, first_lsn + 1, ….
void EncodeBatch(const WriteBatch& batch, uint64_t first_lsn, std::string* dst);

// A decoded record: its entries point into the record's bytes.
struct DecodedBatch {
  uint64_t first_lsn = 0;
  std::vector<sstable::Entry> entries;  // With their LSNs filled in.
};

// Decodes `record`, found at `offset` of the file `what` names. DataLoss
// naming the file, offset and field for bad bytes; FailedPrecondition for a
// record written by a newer format version.
[[nodiscard]] absl::Status DecodeBatch(absl::string_view record,
                                       absl::string_view what, uint64_t offset,
                                       DecodedBatch* batch);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_WRITE_BATCH_H_
