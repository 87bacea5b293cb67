#include "tools/manifest_inspect.h"

#include <memory>
#include <variant>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "io/status_macros.h"
#include "manifest/load.h"
#include "re2/re2.h"
#include "tools/table_dump.h"

namespace strata::tools {
namespace {

using manifest::Edit;
using manifest::Op;
using manifest::State;
using manifest::TableMeta;

bool Keep(const RE2* filter, const TableMeta& t) {
  return filter == nullptr || RE2::PartialMatch(t.smallest_key, *filter) ||
         RE2::PartialMatch(t.largest_key, *filter);
}

std::string TableText(const TableMeta& t) {
  return absl::StrFormat(
      "table %d: level %d, %d bytes, %d entries (%d tombstones), keys "
      "\"%s\" .. \"%s\", lsn %d .. %d, checksum 0x%08x",
      t.number, t.level, t.file_size, t.entries, t.tombstones,
      absl::CEscape(t.smallest_key), absl::CEscape(t.largest_key),
      t.smallest_lsn, t.largest_lsn, t.checksum);
}

std::string TableJson(const TableMeta& t) {
  return absl::StrFormat(
      "{\"number\":%d,\"level\":%d,\"file_size\":%d,\"entries\":%d,"
      "\"tombstones\":%d,\"smallest_key\":%s,\"largest_key\":%s,"
      "\"smallest_lsn\":%d,\"largest_lsn\":%d,\"checksum\":%d}",
      t.number, t.level, t.file_size, t.entries, t.tombstones,
      JsonString(t.smallest_key), JsonString(t.largest_key), t.smallest_lsn,
      t.largest_lsn, t.checksum);
}

// One op as text or JSON; tables the filter rejects are left out.
struct OpRenderer {
  bool json;
  const RE2* filter;

  std::string Scalar(const char* name, uint64_t v) const {
    return json ? absl::StrFormat("{\"op\":\"%s\",\"value\":%d}", name, v)
                : absl::StrFormat("%s %d", name, v);
  }
  std::string Tables(const std::vector<TableMeta>& tables) const {
    std::vector<std::string> parts;
    for (const TableMeta& t : tables) {
      if (Keep(filter, t)) parts.push_back(json ? TableJson(t) : TableText(t));
    }
    return json ? absl::StrCat("[", absl::StrJoin(parts, ","), "]")
                : absl::StrJoin(parts, "; ");
  }

  std::string operator()(const manifest::SetVersion& o) const {
    return Scalar("SetVersion", o.version);
  }
  std::string operator()(const manifest::SetActiveWal& o) const {
    return Scalar("SetActiveWal", o.wal);
  }
  std::string operator()(const manifest::AddFrozenWal& o) const {
    return Scalar("AddFrozenWal", o.wal);
  }
  std::string operator()(const manifest::RemoveFrozenWal& o) const {
    return Scalar("RemoveFrozenWal", o.wal);
  }
  std::string operator()(const manifest::AddTable& o) const {
    return json
               ? absl::StrCat(
                     "{\"op\":\"AddTable\",\"tables\":", Tables({o.table}), "}")
               : absl::StrCat("AddTable ", Tables({o.table}));
  }
  std::string operator()(const manifest::RemoveTable& o) const {
    return Scalar("RemoveTable", o.number);
  }
  std::string operator()(const manifest::UpdateLsn& o) const {
    return Scalar("UpdateLsn", o.lsn);
  }
  std::string operator()(const manifest::AllocateTableId& o) const {
    return Scalar("AllocateTableId", o.number);
  }
  std::string operator()(const manifest::Compaction& o) const {
    if (json) {
      return absl::StrCat("{\"op\":\"Compaction\",\"added\":", Tables(o.added),
                          ",\"removed\":[", absl::StrJoin(o.removed, ","),
                          "]}");
    }
    return absl::StrCat("Compaction removes [", absl::StrJoin(o.removed, ", "),
                        "] adds [", Tables(o.added), "]");
  }
};

void StateText(const State& s, const RE2* filter, std::string* out) {
  absl::StrAppendFormat(
      out,
      "state after edit %d:\n  version %d, last lsn %d, active wal %d, "
      "frozen wals [%s], next table id %d, %d live tables\n",
      s.last_sequence, s.version, s.last_lsn, s.active_wal,
      absl::StrJoin(s.frozen_wals, ", "), s.next_table_number, s.tables.size());
  s.tables.ForEach([&](const TableMeta& t) {
    if (Keep(filter, t)) absl::StrAppend(out, "  ", TableText(t), "\n");
  });
}

void StateJson(const State& s, const RE2* filter, std::string* out) {
  std::vector<std::string> tables;
  s.tables.ForEach([&](const TableMeta& t) {
    if (Keep(filter, t)) tables.push_back(TableJson(t));
  });
  absl::StrAppendFormat(
      out,
      "\"state\":{\"last_sequence\":%d,\"version\":%d,\"last_lsn\":%d,"
      "\"active_wal\":%d,\"frozen_wals\":[%s],\"next_table_number\":%d,"
      "\"tables\":[%s]}",
      s.last_sequence, s.version, s.last_lsn, s.active_wal,
      absl::StrJoin(s.frozen_wals, ","), s.next_table_number,
      absl::StrJoin(tables, ","));
}

std::string RecoveryNotes(const manifest::RecoveryReport& r) {
  std::string notes;
  if (r.used_previous_generation) {
    absl::StrAppend(&notes,
                    "  newest snapshot damaged, previous generation "
                    "used: ",
                    r.snapshot_error, "\n");
  }
  if (r.repaired_torn_tail) {
    absl::StrAppend(&notes, "  torn tail (Open cuts it off): ", r.torn_tail,
                    "\n");
  }
  return notes;
}

}  // namespace

absl::Status DumpManifest(io::FileSystem* fs, const std::string& dir,
                          const ManifestDumpOptions& options,
                          std::string* out) {
  std::unique_ptr<RE2> filter;
  if (!options.filter.empty()) {
    filter = std::make_unique<RE2>(options.filter, RE2::Quiet);
    if (!filter->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest_dump: bad --filter \"", options.filter,
                       "\": ", filter->error()));
    }
  }
  const OpRenderer render{options.json, filter.get()};
  std::vector<std::string> edits;
  absl::StatusOr<manifest::Loaded> loaded = manifest::Load(
      fs, dir, /*best_effort=*/false,
      [&](const Edit& edit, const std::string& file, uint64_t offset) {
        std::vector<std::string> ops;
        for (const Op& op : edit.ops) ops.push_back(std::visit(render, op));
        edits.push_back(
            options.json
                ? absl::StrFormat("{\"sequence\":%d,\"file\":%s,\"offset\":%d,"
                                  "\"ops\":[%s]}",
                                  edit.sequence, JsonString(file), offset,
                                  absl::StrJoin(ops, ","))
                : absl::StrFormat("edit %d (%s @ %d): %s\n", edit.sequence,
                                  file, offset, absl::StrJoin(ops, "; ")));
      });
  if (!loaded.ok()) return loaded.status();
  if (loaded->empty) {
    return absl::NotFoundError(
        absl::StrCat("manifest_dump: ", dir, " holds no manifest"));
  }
  const manifest::RecoveryReport& r = loaded->report;
  if (options.json) {
    absl::StrAppendFormat(
        out,
        "{\"dir\":%s,\"generation\":%d,\"snapshot_sequence\":%d,"
        "\"used_previous_generation\":%s,\"torn_tail\":%s,\"edits\":[%s],",
        JsonString(dir), loaded->generation, r.snapshot_sequence,
        r.used_previous_generation ? "true" : "false",
        r.repaired_torn_tail ? JsonString(r.torn_tail) : "null",
        absl::StrJoin(edits, ","));
    StateJson(loaded->state, filter.get(), out);
    absl::StrAppend(out, "}\n");
    return absl::OkStatus();
  }
  absl::StrAppendFormat(out,
                        "manifest %s: generation %d, snapshot at edit %d, %d "
                        "edits in the logs after it\n%s",
                        dir, loaded->generation, r.snapshot_sequence,
                        r.edits_replayed, RecoveryNotes(r));
  for (const std::string& e : edits) absl::StrAppend(out, e);
  StateText(loaded->state, filter.get(), out);
  return absl::OkStatus();
}

absl::Status CheckManifest(io::FileSystem* fs, const std::string& dir,
                           std::string* summary) {
  STRATA_ASSIGN_OR_RETURN(manifest::Loaded loaded,
                          manifest::Load(fs, dir, /*best_effort=*/false));
  if (loaded.empty) {
    return absl::NotFoundError(
        absl::StrCat("manifest_check: ", dir, " holds no manifest"));
  }
  *summary = absl::StrFormat(
      "ok: %s: generation %d, %d edits after its snapshot, last edit %d, %d "
      "live tables\n%s",
      dir, loaded.generation, loaded.report.edits_replayed,
      loaded.state.last_sequence, loaded.state.tables.size(),
      RecoveryNotes(loaded.report));
  return absl::OkStatus();
}

}  // namespace strata::tools
