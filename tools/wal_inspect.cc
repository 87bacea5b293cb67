#include "tools/wal_inspect.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "encoding/escaping.h"
#include "engine/write_batch.h"
#include "io/status_macros.h"
#include "wal/reader.h"

namespace strata::tools {
namespace {

const char* KindName(sstable::EntryKind kind) {
  return kind == sstable::EntryKind::kPut ? "put" : "delete";
}

void RenderBatch(const wal::RecordPosition& pos,
                 const engine::DecodedBatch& batch,
                 const WalDumpOptions& options, std::string* out) {
  const uint64_t last = batch.first_lsn + batch.entries.size() - 1;
  if (!options.json) {
    absl::StrAppendFormat(out, "%06d.log @%d: batch lsn %d..%d\n", pos.segment,
                          pos.offset, batch.first_lsn, last);
    for (const sstable::Entry& e : batch.entries) {
      absl::StrAppendFormat(out, "  %s \"%s\"", KindName(e.kind),
                            EscapeBytes(e.key));
      if (e.kind == sstable::EntryKind::kPut) {
        if (options.values) {
          absl::StrAppendFormat(out, " = \"%s\"", EscapeBytes(e.value));
        } else {
          absl::StrAppendFormat(out, " (%d bytes)", e.value.size());
        }
      }
      out->push_back('\n');
    }
    return;
  }
  std::vector<std::string> ops;
  for (const sstable::Entry& e : batch.entries) {
    std::string op =
        absl::StrFormat(R"({"kind":"%s","lsn":%d,)", KindName(e.kind), e.lsn);
    AppendJsonBytes("key", e.key, &op);
    if (e.kind == sstable::EntryKind::kPut) {
      absl::StrAppendFormat(&op, R"(,"value_size":%d)", e.value.size());
      if (options.values) {
        op += ",";
        AppendJsonBytes("value", e.value, &op);
      }
    }
    ops.push_back(op + "}");
  }
  absl::StrAppendFormat(
      out,
      R"({"segment":%d,"offset":%d,"first_lsn":%d,"ops":[%s]})"
      "\n",
      pos.segment, pos.offset, batch.first_lsn, absl::StrJoin(ops, ","));
}

void RenderEnd(const wal::Reader& reader, uint64_t records,
               const WalDumpOptions& options, std::string* out) {
  const wal::Tail& tail = reader.tail();
  if (options.json) {
    absl::StrAppendFormat(
        out,
        R"({"records":%d,"tail":{"segment":%d,"valid_end":%d,"file_size":%d,"torn":%s,"reason":%s},"skipped":%d})"
        "\n",
        records, tail.segment, tail.valid_end, tail.file_size,
        tail.torn() ? "true" : "false", JsonString(tail.reason),
        reader.skipped().size());
    return;
  }
  absl::StrAppendFormat(out, "%d records; %06d.log valid to offset %d of %d",
                        records, tail.segment, tail.valid_end, tail.file_size);
  if (tail.torn()) absl::StrAppend(out, " (torn tail: ", tail.reason, ")");
  out->push_back('\n');
  for (const wal::SkippedRange& r : reader.skipped()) {
    absl::StrAppendFormat(out, "skipped %06d.log [%d, %d): %s\n", r.segment,
                          r.begin, r.end, r.reason);
  }
}

}  // namespace

absl::Status DumpWal(io::FileSystem* fs, const std::string& dir,
                     const WalDumpOptions& options, std::string* out) {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> segments,
                          wal::ListSegments(fs, dir));
  if (segments.empty()) {
    return absl::NotFoundError(absl::StrCat("wal_dump: no segment in ", dir));
  }
  wal::ReaderOptions ropts;
  ropts.best_effort = options.best_effort;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<wal::Reader> reader,
                          wal::Reader::Open(fs, dir, segments, ropts));
  absl::string_view record;
  wal::RecordPosition pos;
  engine::DecodedBatch batch;
  uint64_t records = 0;
  while (reader->Next(&record, &pos)) {
    STRATA_RETURN_IF_ERROR(engine::DecodeBatch(
        record, reader->SegmentPath(pos.segment), pos.offset, &batch));
    RenderBatch(pos, batch, options, out);
    ++records;
  }
  if (!reader->status().ok()) return reader->status();
  RenderEnd(*reader, records, options, out);
  return absl::OkStatus();
}

}  // namespace strata::tools
