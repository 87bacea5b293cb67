#include "tools/table_dump.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "encoding/escaping.h"
#include "io/status_macros.h"
#include "re2/re2.h"
#include "sstable/compression.h"

namespace strata::tools {
namespace {

using sstable::Entry;
using sstable::EntryKind;
using sstable::TableProperties;

void PropertiesText(const std::string& path, const TableProperties& p,
                    std::string* out) {
  absl::StrAppendFormat(
      out,
      "table %s\n  entries %d, tombstones %d, data blocks %d, data bytes %d, "
      "file bytes %d\n  keys \"%s\" .. \"%s\", lsn %d .. %d, file checksum "
      "0x%08x\n",
      path, p.entries, p.tombstones, p.data_blocks, p.data_size, p.file_size,
      EscapeBytes(p.smallest_key), EscapeBytes(p.largest_key), p.smallest_lsn,
      p.largest_lsn, p.file_checksum);
  absl::StrAppendFormat(
      out,
      "  range tombstones %d, filter bytes %d, created %d us, compression "
      "%s\n",
      p.range_tombstones, p.filter_size, p.created_micros,
      sstable::CompressionName(
          static_cast<sstable::Compression>(p.compression)));
}

void PropertiesJson(const std::string& path, const TableProperties& p,
                    std::string* out) {
  std::string keys;
  AppendJsonBytes("smallest_key", p.smallest_key, &keys);
  keys += ",";
  AppendJsonBytes("largest_key", p.largest_key, &keys);
  absl::StrAppendFormat(
      out,
      "{\"path\":%s,\"properties\":{\"entries\":%d,\"tombstones\":%d,"
      "\"data_blocks\":%d,\"data_size\":%d,\"file_size\":%d,%s,"
      "\"smallest_lsn\":%d,\"largest_lsn\":%d,\"file_checksum\":%d,"
      "\"range_tombstones\":%d,\"filter_size\":%d,\"created_micros\":%d,"
      "\"compression\":%s}",
      JsonString(path), p.entries, p.tombstones, p.data_blocks, p.data_size,
      p.file_size, keys, p.smallest_lsn, p.largest_lsn, p.file_checksum,
      p.range_tombstones, p.filter_size, p.created_micros,
      JsonString(sstable::CompressionName(
          static_cast<sstable::Compression>(p.compression))));
}

void EntryText(const Entry& e, std::string* out) {
  if (e.kind == EntryKind::kPut) {
    absl::StrAppendFormat(out, "\"%s\" @%d PUT \"%s\"\n", EscapeBytes(e.key),
                          e.lsn, EscapeBytes(e.value));
  } else {
    absl::StrAppendFormat(out, "\"%s\" @%d DELETE\n", EscapeBytes(e.key),
                          e.lsn);
  }
}

void EntryJson(const Entry& e, bool first, std::string* out) {
  absl::StrAppend(out, first ? "" : ",", "{");
  AppendJsonBytes("key", e.key, out);
  absl::StrAppend(out, ",\"lsn\":", e.lsn, ",\"kind\":\"",
                  e.kind == EntryKind::kPut ? "put" : "delete", "\"");
  if (e.kind == EntryKind::kPut) {
    absl::StrAppend(out, ",");
    AppendJsonBytes("value", e.value, out);
  }
  absl::StrAppend(out, "}");
}

// Lists the range tombstones after the entries; in JSON, also closes the
// object.
void RangeTombstones(const sstable::TableReader& table, bool json,
                     std::string* out) {
  if (json) absl::StrAppend(out, "],\"range_tombstones\":[");
  bool first = true;
  for (const sstable::RangeTombstone& t :
       table.range_tombstones().tombstones()) {
    if (json) {
      absl::StrAppend(out, first ? "" : ",", "{");
      AppendJsonBytes("start", t.start, out);
      absl::StrAppend(out, ",");
      AppendJsonBytes("end", t.end, out);
      absl::StrAppend(out, ",\"lsn\":", t.lsn, "}");
    } else {
      absl::StrAppendFormat(out, "[\"%s\", \"%s\") @%d RANGE DELETE\n",
                            EscapeBytes(t.start), EscapeBytes(t.end), t.lsn);
    }
    first = false;
  }
  if (json) absl::StrAppend(out, "]}\n");
}

}  // namespace

absl::Status DumpTable(const sstable::TableReader& table,
                       const TableDumpOptions& options, std::string* out) {
  std::unique_ptr<RE2> filter;
  if (!options.filter.empty()) {
    filter = std::make_unique<RE2>(options.filter, RE2::Quiet);
    if (!filter->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("sst_dump: bad --filter \"", options.filter,
                       "\": ", filter->error()));
    }
  }
  if (options.verify) {
    STRATA_RETURN_IF_ERROR(table.Verify());
  }
  if (options.json) {
    PropertiesJson(table.path(), table.properties(), out);
  } else {
    PropertiesText(table.path(), table.properties(), out);
    if (options.verify)
      absl::StrAppend(
          out, "  verified: every block and the whole-file checksum match\n");
  }
  if (options.properties_only) {
    if (options.json) absl::StrAppend(out, "}\n");
    return absl::OkStatus();
  }
  if (options.json) {
    absl::StrAppend(out, options.verify ? ",\"verified\":true" : "",
                    ",\"entries\":[");
  }
  auto it = table.NewIterator();
  bool first = true;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const Entry& e = it->entry();
    if (filter != nullptr &&
        !RE2::PartialMatch(re2::StringPiece(e.key.data(), e.key.size()),
                           *filter)) {
      continue;
    }
    options.json ? EntryJson(e, first, out) : EntryText(e, out);
    first = false;
  }
  STRATA_RETURN_IF_ERROR(it->status());
  RangeTombstones(table, options.json, out);
  return absl::OkStatus();
}

}  // namespace strata::tools
