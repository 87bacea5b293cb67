#include "tools/manifest_inspect.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "encoding/escaping.h"
#include "io/status_macros.h"
#include "manifest/load.h"
#include "re2/re2.h"
#include "sstable/format.h"

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
      EscapeBytes(t.smallest_key), EscapeBytes(t.largest_key), t.smallest_lsn,
      t.largest_lsn, t.checksum);
}

std::string TableJson(const TableMeta& t) {
  std::string keys;
  AppendJsonBytes("smallest_key", t.smallest_key, &keys);
  keys += ",";
  AppendJsonBytes("largest_key", t.largest_key, &keys);
  return absl::StrFormat(
      "{\"number\":%d,\"level\":%d,\"file_size\":%d,\"entries\":%d,"
      "\"tombstones\":%d,%s,\"smallest_lsn\":%d,\"largest_lsn\":%d,"
      "\"checksum\":%d}",
      t.number, t.level, t.file_size, t.entries, t.tombstones, keys,
      t.smallest_lsn, t.largest_lsn, t.checksum);
}

// One op as text or JSON. With a filter, only ops about matching tables
// are shown (nullopt for the rest): an AddTable of one, and a compaction
// that adds one or removes one added earlier in the logs shown.
struct OpRenderer {
  bool json;
  const RE2* filter;
  std::set<uint64_t>* matched;  // Numbers of the matching tables seen.

  std::optional<std::string> Scalar(const char* name, uint64_t v) const {
    if (filter != nullptr) return std::nullopt;
    return json ? absl::StrFormat("{\"op\":\"%s\",\"value\":%d}", name, v)
                : absl::StrFormat("%s %d", name, v);
  }
  std::string Tables(const std::vector<TableMeta>& tables) const {
    std::vector<std::string> parts;
    for (const TableMeta& t : tables) {
      if (!Keep(filter, t)) continue;
      matched->insert(t.number);
      parts.push_back(json ? TableJson(t) : TableText(t));
    }
    return json ? absl::StrCat("[", absl::StrJoin(parts, ","), "]")
                : absl::StrJoin(parts, "; ");
  }
  bool AnyKept(const std::vector<TableMeta>& tables) const {
    for (const TableMeta& t : tables) {
      if (Keep(filter, t)) return true;
    }
    return false;
  }

  std::optional<std::string> operator()(const manifest::SetVersion& o) const {
    return Scalar("SetVersion", o.version);
  }
  std::optional<std::string> operator()(const manifest::SetActiveWal& o) const {
    return Scalar("SetActiveWal", o.wal);
  }
  std::optional<std::string> operator()(const manifest::AddFrozenWal& o) const {
    return Scalar("AddFrozenWal", o.wal);
  }
  std::optional<std::string> operator()(
      const manifest::RemoveFrozenWal& o) const {
    return Scalar("RemoveFrozenWal", o.wal);
  }
  std::optional<std::string> operator()(const manifest::AddTable& o) const {
    if (!Keep(filter, o.table)) return std::nullopt;
    return json
               ? absl::StrCat(
                     "{\"op\":\"AddTable\",\"tables\":", Tables({o.table}), "}")
               : absl::StrCat("AddTable ", Tables({o.table}));
  }
  std::optional<std::string> operator()(const manifest::RemoveTable& o) const {
    if (filter != nullptr && matched->count(o.number) == 0) return std::nullopt;
    return json ? absl::StrFormat("{\"op\":\"RemoveTable\",\"value\":%d}",
                                  o.number)
                : absl::StrFormat("RemoveTable %d", o.number);
  }
  std::optional<std::string> operator()(const manifest::UpdateLsn& o) const {
    return Scalar("UpdateLsn", o.lsn);
  }
  std::optional<std::string> operator()(
      const manifest::AllocateTableId& o) const {
    return Scalar("AllocateTableId", o.number);
  }
  std::optional<std::string> operator()(const manifest::Compaction& o) const {
    std::vector<uint64_t> removed;
    for (uint64_t n : o.removed) {
      if (filter == nullptr || matched->count(n) > 0) removed.push_back(n);
    }
    if (filter != nullptr && removed.empty() && !AnyKept(o.added)) {
      return std::nullopt;
    }
    if (json) {
      return absl::StrCat("{\"op\":\"Compaction\",\"added\":", Tables(o.added),
                          ",\"removed\":[", absl::StrJoin(removed, ","), "]}");
    }
    return absl::StrCat("Compaction removes [", absl::StrJoin(removed, ", "),
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
      return absl::InvalidArgumentError(absl::StrCat(
          "bad --filter \"", options.filter, "\": ", filter->error()));
    }
  }
  std::set<uint64_t> matched;
  const OpRenderer render{options.json, filter.get(), &matched};
  std::vector<std::string> edits;
  absl::StatusOr<manifest::Loaded> loaded = manifest::Load(
      fs, dir, /*best_effort=*/false,
      [&](const Edit& edit, const std::string& file, uint64_t offset) {
        std::vector<std::string> ops;
        for (const Op& op : edit.ops) {
          std::optional<std::string> shown = std::visit(render, op);
          if (shown.has_value()) ops.push_back(*std::move(shown));
        }
        if (ops.empty() && !edit.ops.empty()) return;  // Filtered out.
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
    return absl::NotFoundError(absl::StrCat(dir, " holds no manifest"));
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

namespace {

// Where the tables of the manifest in `dir` live: sst/ beside it, if `dir`
// is a database's manifest/ and that directory exists.
std::optional<std::string> TableDirOf(io::FileSystem* fs,
                                      const std::string& dir) {
  if (io::BaseName(dir) != "manifest") return std::nullopt;
  const std::string sst = io::JoinPath(io::DirName(dir), "sst");
  // Not listed: it may hold a million names.
  if (!fs->FileExists(sst).ok()) return std::nullopt;
  return sst;
}

// Checks that every table `state` lists is in `sst_dir`.
absl::Status CheckTablesPresent(io::FileSystem* fs, const std::string& sst_dir,
                                const State& state) {
  std::vector<std::string> missing;
  state.tables.ForEach([&](const TableMeta& t) {
    const std::string name = sstable::TableFileName(t.number);
    if (absl::IsNotFound(fs->FileExists(io::JoinPath(sst_dir, name)))) {
      missing.push_back(name);
    }
  });
  if (missing.empty()) return absl::OkStatus();
  const size_t shown = std::min<size_t>(missing.size(), 10);
  return absl::DataLossError(absl::StrFormat(
      "%d of the %d tables the manifest lists are missing from %s: %s%s",
      missing.size(), state.tables.size(), sst_dir,
      absl::StrJoin(missing.begin(), missing.begin() + shown, ", "),
      missing.size() > shown ? ", ..." : ""));
}

}  // namespace

std::string EditJson(const manifest::Edit& edit) {
  std::set<uint64_t> matched;
  const OpRenderer render{/*json=*/true, /*filter=*/nullptr, &matched};
  std::vector<std::string> ops;
  for (const Op& op : edit.ops) {
    std::optional<std::string> shown = std::visit(render, op);
    if (shown.has_value()) ops.push_back(*std::move(shown));
  }
  return absl::StrFormat("{\"sequence\":%d,\"ops\":[%s]}", edit.sequence,
                         absl::StrJoin(ops, ","));
}

absl::Status CheckManifest(io::FileSystem* fs, const std::string& dir,
                           std::string* summary) {
  STRATA_ASSIGN_OR_RETURN(manifest::Loaded loaded,
                          manifest::Load(fs, dir, /*best_effort=*/false));
  if (loaded.empty) {
    return absl::NotFoundError(absl::StrCat(dir, " holds no manifest"));
  }
  std::string tables = "tables not looked for (no sst/ beside the manifest)";
  if (std::optional<std::string> sst = TableDirOf(fs, dir)) {
    STRATA_RETURN_IF_ERROR(CheckTablesPresent(fs, *sst, loaded.state));
    tables = absl::StrCat("every one present in ", *sst);
  }
  *summary = absl::StrFormat(
      "ok: %s: generation %d, %d edits after its snapshot, last edit %d, %d "
      "live tables, %s\n%s",
      dir, loaded.generation, loaded.report.edits_replayed,
      loaded.state.last_sequence, loaded.state.tables.size(), tables,
      RecoveryNotes(loaded.report));
  return absl::OkStatus();
}

}  // namespace strata::tools
