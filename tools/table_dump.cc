#include "tools/table_dump.h"

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "io/status_macros.h"
#include "re2/re2.h"

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
      absl::CEscape(p.smallest_key), absl::CEscape(p.largest_key),
      p.smallest_lsn, p.largest_lsn, p.file_checksum);
}

void PropertiesJson(const std::string& path, const TableProperties& p,
                    std::string* out) {
  absl::StrAppendFormat(
      out,
      "{\"path\":%s,\"properties\":{\"entries\":%d,\"tombstones\":%d,"
      "\"data_blocks\":%d,\"data_size\":%d,\"file_size\":%d,"
      "\"smallest_key\":%s,\"largest_key\":%s,\"smallest_lsn\":%d,"
      "\"largest_lsn\":%d,\"file_checksum\":%d}",
      JsonString(path), p.entries, p.tombstones, p.data_blocks, p.data_size,
      p.file_size, JsonString(p.smallest_key), JsonString(p.largest_key),
      p.smallest_lsn, p.largest_lsn, p.file_checksum);
}

void EntryText(const Entry& e, std::string* out) {
  if (e.kind == EntryKind::kPut) {
    absl::StrAppendFormat(out, "\"%s\" @%d PUT \"%s\"\n", absl::CEscape(e.key),
                          e.lsn, absl::CEscape(e.value));
  } else {
    absl::StrAppendFormat(out, "\"%s\" @%d DELETE\n", absl::CEscape(e.key),
                          e.lsn);
  }
}

void EntryJson(const Entry& e, bool first, std::string* out) {
  absl::StrAppend(out, first ? "" : ",", "{\"key\":", JsonString(e.key),
                  ",\"lsn\":", e.lsn, ",\"kind\":\"",
                  e.kind == EntryKind::kPut ? "put" : "delete", "\"");
  if (e.kind == EntryKind::kPut) {
    absl::StrAppend(out, ",\"value\":", JsonString(e.value));
  }
  absl::StrAppend(out, "}");
}

}  // namespace

std::string JsonString(absl::string_view bytes) {
  std::string out = "\"";
  for (unsigned char c : bytes) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    }
  }
  out.push_back('"');
  return out;
}

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
  if (options.json) absl::StrAppend(out, "]}\n");
  return it->status();
}

}  // namespace strata::tools
