#include "engine/cli.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iterator>
#include <map>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "encoding/escaping.h"
#include "io/status_macros.h"
#include "tools/manifest_inspect.h"

namespace strata::engine {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double Millis(std::chrono::nanoseconds d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// A small, fast generator (xorshift64*), one per thread.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull | 1) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1Dull;
  }
  uint64_t Uniform(uint64_t n) { return Next() % n; }

 private:
  uint64_t s_;
};

std::string DemoKey(uint64_t i) { return absl::StrFormat("demo-%08d", i); }

std::string Value(Rng& rng, size_t size) {
  std::string v(size, ' ');
  for (char& c : v) c = static_cast<char>('a' + rng.Uniform(26));
  return v;
}

// Progress on `err`: one line rewritten in place on a terminal; otherwise
// a whole line at each quarter, so that a log gets a few readable lines.
class Progress {
 public:
  Progress(std::ostream& err, bool in_place) : err_(err), in_place_(in_place) {}
  // `text` describes `done` out of `total`.
  void Report(const std::string& text, uint64_t done, uint64_t total) {
    if (in_place_) {
      err_ << "\r" << text << std::flush;
      return;
    }
    const uint64_t quarter = total == 0 ? 4 : done * 4 / total;
    if (quarter > last_quarter_) {
      last_quarter_ = quarter;
      err_ << text << "\n" << std::flush;
    }
  }
  // Ends the line rewritten in place.
  void Finish() {
    if (in_place_) err_ << "\n";
  }

 private:
  std::ostream& err_;
  const bool in_place_;
  uint64_t last_quarter_ = 0;
};

absl::Status Verify(const Engine& engine,
                    const std::map<std::string, std::string>& model) {
  for (const auto& [key, value] : model) {
    absl::StatusOr<std::string> got = engine.Get(key);
    if (!got.ok()) {
      return absl::DataLossError(
          absl::StrCat("demo: key ", key,
                       " is missing after reopen: ", got.status().message()));
    }
    if (*got != value) {
      return absl::DataLossError(
          absl::StrCat("demo: key ", key, " has the wrong value after reopen"));
    }
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<KeyValue> all, engine.Scan("", ""));
  if (all.size() != model.size()) {
    return absl::DataLossError(
        absl::StrFormat("demo: a full scan finds %d keys; the model holds %d",
                        all.size(), model.size()));
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

struct DemoCounts {
  uint64_t batches = 0;
  uint64_t puts = 0;
  uint64_t deletes = 0;
};

// Writes the demo's random batches, keeping `model` in step.
absl::StatusOr<DemoCounts> WriteDemoBatches(
    Engine* engine, const DemoOptions& demo,
    std::map<std::string, std::string>* model, std::ostream& err) {
  Rng rng(demo.seed);
  DemoCounts counts;
  counts.batches = (demo.operations + demo.batch - 1) / demo.batch;
  Progress progress(err, demo.progress_in_place);
  for (uint64_t b = 0; b < counts.batches; ++b) {
    WriteBatch batch;
    // The last batch is short: exactly demo.operations in all.
    const uint64_t n = std::min(demo.batch, demo.operations - b * demo.batch);
    for (uint64_t i = 0; i < n; ++i) {
      const std::string key = DemoKey(rng.Uniform(demo.keys));
      if (rng.Uniform(10) < 3) {
        batch.Delete(key);
        model->erase(key);
        ++counts.deletes;
      } else {
        std::string value = Value(rng, demo.value_size);
        batch.Put(key, value);
        (*model)[key] = std::move(value);
        ++counts.puts;
      }
    }
    STRATA_RETURN_IF_ERROR(engine->Write(batch));
    if ((b + 1) % (counts.batches / 20 + 1) == 0 || b + 1 == counts.batches) {
      progress.Report(
          absl::StrFormat("writing batches: %d/%d (%d%%)", b + 1,
                          counts.batches, (b + 1) * 100 / counts.batches),
          b + 1, counts.batches);
    }
  }
  progress.Finish();
  return counts;
}

void PrintDemoSummary(const DemoCounts& counts, double write_seconds,
                      const EngineStats& before, const OpenReport& report,
                      size_t keys, const CheckReport& check,
                      std::ostream& out) {
  const uint64_t ops = counts.puts + counts.deletes;
  out << absl::StrFormat(
      "operations: %d (%d puts, %d deletes) in %d batches, %.2f s "
      "(%.0f ops/s)\n",
      ops, counts.puts, counts.deletes, counts.batches, write_seconds,
      ops / write_seconds);
  out << absl::StrFormat(
      "flushes: %d, compactions: %d, live tables: %d (%d bytes)\n",
      before.flushes, before.compactions, before.live_tables,
      before.live_table_bytes);
  out << absl::StrFormat(
      "manifest: %d edits, log %d bytes, snapshot %d bytes, %d checkpoints, "
      "generation %d\n",
      before.manifest_edits, before.manifest_log_bytes,
      before.manifest_snapshot_bytes, before.checkpoints,
      before.manifest_generation);
  out << absl::StrFormat(
      "reopen: %.2f ms (%d WAL records replayed); verified %d live keys and "
      "%d tables\n",
      Millis(report.duration), report.wal_records, keys, check.tables);
}

}  // namespace

absl::Status RunDemo(io::FileSystem* fs, const std::string& dir,
                     EngineOptions options, const DemoOptions& demo,
                     std::ostream& out, std::ostream& err) {
  std::map<std::string, std::string> model;
  DemoCounts counts;
  EngineStats before;
  double write_seconds = 0;
  {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine,
                            Engine::Open(fs, dir, options));
    // The model starts from what the directory already holds.
    STRATA_ASSIGN_OR_RETURN(std::vector<KeyValue> existing,
                            engine->Scan("", ""));
    for (KeyValue& kv : existing) model[kv.key] = std::move(kv.value);
    out << absl::StrFormat("strata demo: %s (%d keys already there)\n", dir,
                           model.size());
    const auto start = Clock::now();
    STRATA_ASSIGN_OR_RETURN(counts,
                            WriteDemoBatches(engine.get(), demo, &model, err));
    STRATA_RETURN_IF_ERROR(engine->Flush());
    write_seconds = Seconds(Clock::now() - start);
    before = engine->stats();
    STRATA_RETURN_IF_ERROR(engine->Close());
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine,
                          Engine::Open(fs, dir, options));
  err << "verifying every key against the model\n";
  STRATA_RETURN_IF_ERROR(Verify(*engine, model));
  STRATA_ASSIGN_OR_RETURN(CheckReport check, engine->Check());
  PrintDemoSummary(counts, write_seconds, before, engine->open_report(),
                   model.size(), check, out);
  return engine->Close();
}

namespace {

struct WorkloadCounters {
  std::atomic<uint64_t> done{0}, reads{0}, found{0}, writes{0};
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  absl::Status first_error;  // Guarded by error_mu until the threads end.
};

// Thread `t` of a workload: `n` random reads and writes.
void RunWorkloadThread(Engine* engine, const WorkloadOptions& w, int t,
                       uint64_t n, WorkloadCounters* c) {
  Rng rng(w.seed * 1000 + t);
  for (uint64_t i = 0; i < n && !c->failed; ++i) {
    std::string key = absl::StrFormat("%0*d", w.key_size, rng.Uniform(w.keys));
    absl::Status s;
    if (static_cast<int>(rng.Uniform(100)) < w.read_percent) {
      absl::StatusOr<std::string> v = engine->Get(key);
      if (v.ok()) ++c->found;
      if (!v.ok() && !absl::IsNotFound(v.status())) s = v.status();
      ++c->reads;
    } else {
      s = engine->Put(key, Value(rng, w.value_size));
      ++c->writes;
    }
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(c->error_mu);
      if (c->first_error.ok()) c->first_error = s;
      c->failed = true;
    }
    ++c->done;
  }
}

}  // namespace

absl::Status RunWorkload(Engine* engine, const WorkloadOptions& w,
                         std::ostream& out, std::ostream& err) {
  if (w.threads < 1 || w.keys == 0 || w.key_size < 8 || w.read_percent < 0 ||
      w.read_percent > 100) {
    return absl::InvalidArgumentError(
        "workload: need --threads >= 1, --keys >= 1, --key_size >= 8 and "
        "--read_percent in 0..100");
  }
  WorkloadCounters c;
  const uint64_t per_thread = w.operations / w.threads;
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < w.threads; ++t) {
    threads.emplace_back(
        [&, t] { RunWorkloadThread(engine, w, t, per_thread, &c); });
  }
  const uint64_t total = per_thread * w.threads;
  Progress progress(err, w.progress_in_place);
  while (c.done < total && !c.failed) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const double secs = Seconds(Clock::now() - start);
    const uint64_t now_done = c.done.load();
    progress.Report(absl::StrFormat("workload: %d/%d ops, %.0f ops/s", now_done,
                                    total, now_done / secs),
                    now_done, total);
  }
  for (auto& t : threads) t.join();
  progress.Finish();
  STRATA_RETURN_IF_ERROR(c.first_error);
  const double secs = Seconds(Clock::now() - start);
  out << absl::StrFormat(
      "workload: %d ops in %.2f s on %d threads: %.0f ops/s (%d reads, %d "
      "found; %d writes, %.0f writes/s)\n",
      total, secs, w.threads, total / secs, c.reads.load(), c.found.load(),
      c.writes.load(), c.writes / secs);
  PrintStats(*engine, out);
  return absl::OkStatus();
}

namespace {

struct CommandInfo {
  const char* name;
  size_t min_args;
  size_t max_args;
  const char* usage;
  const char* help;
};

constexpr CommandInfo kCommands[] = {
    {"demo", 0, 0, "demo [--ops=N] [--value_size=N]",
     "Writes N random operations (default 300000), flushes, reopens and\n"
     "verifies every key against an in-memory model."},
    {"put", 2, 2, "put KEY VALUE",
     "Sets KEY to VALUE. A VALUE of - is read from stdin, raw bytes."},
    {"get", 1, 1, "get KEY [--raw]",
     "Prints the value of KEY (exit 1 if it has none). --raw prints its\n"
     "bytes exactly, with no newline."},
    {"delete", 1, 1, "delete KEY", "Deletes KEY."},
    {"delete-range", 2, 2, "delete-range START END",
     "Deletes every key in [START, END) with one range tombstone."},
    {"scan", 0, 2, "scan [START [END]] [--limit=N]",
     "Prints live pairs with keys in [START, END), KEY<tab>VALUE a line,\n"
     "as it reads them (a streaming iterator: the first lines come at once\n"
     "whatever the database's size)."},
    {"flush", 0, 0, "flush",
     "Writes the memtables to tables and says what it wrote."},
    {"compact", 0, 0, "compact",
     "Flushes, then merges every table into one, dropping shadowed\n"
     "versions and tombstones; says what it merged."},
    {"stats", 0, 0, "stats",
     "Prints the database's figures and this process's counters."},
    {"check", 0, 0, "check",
     "Verifies every live table (size, every block, whole-file checksum)\n"
     "and that the listed WAL segments exist."},
    {"repair", 0, 0, "repair [--json] [--salvage_wal]",
     "Rebuilds the manifest from the tables and the data WAL; damaged or\n"
     "superseded files are moved to lost/, never deleted."},
    {"checkpoint", 1, 1, "checkpoint DEST",
     "Makes DEST (a new directory) an independent copy of the database as\n"
     "of now: tables hard-linked, the WAL's records copied, one manifest\n"
     "snapshot. After a crash DEST is whole or absent."},
    {"follow", 0, 0, "follow [--interval=MS] [--polls=N]",
     "Follows a live database without its lock and without writing: prints\n"
     "the state it starts from, then each manifest edit the primary\n"
     "commits, one JSON object a line, as it happens (every MS ms)."},
    {"workload", 0, 0,
     "workload [--threads=N] [--ops=N] [--keys=N] [--read_percent=P]",
     "Random reads and writes from several threads; prints throughput."},
};

const CommandInfo* FindCommand(const std::string& name) {
  for (const CommandInfo& c : kCommands) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

// A key or value argument: hex-decoded with --hex; "-" for a value reads
// `in` to its end.
absl::StatusOr<std::string> Argument(const std::string& arg, const char* what,
                                     bool value, const CommandOptions& o) {
  if (value && arg == "-" && o.in != nullptr) {
    std::string bytes((std::istreambuf_iterator<char>(*o.in)),
                      std::istreambuf_iterator<char>());
    if (o.in->bad()) {
      return absl::DataLossError("strata: reading the value from stdin failed");
    }
    return bytes;
  }
  if (!o.hex) return arg;
  std::optional<std::string> bytes = ParseHex(arg);
  if (!bytes.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--hex: ", what, " \"", arg, "\" is not hex"));
  }
  return *std::move(bytes);
}

std::string Show(absl::string_view bytes, const CommandOptions& o) {
  return o.hex ? HexBytes(bytes) : EscapeBytes(bytes);
}

// Progress lines for compact and check, if the options ask for them.
ProgressFn ProgressTo(const CommandOptions& o, Progress* progress,
                      const char* what) {
  if (o.progress == nullptr) return {};
  return [progress, what](uint64_t done, uint64_t total) {
    progress->Report(absl::StrFormat("%s: %d/%d (%d%%)", what, done, total,
                                     total == 0 ? 100 : done * 100 / total),
                     done, total);
  };
}

absl::Status RunFlush(Engine* engine, std::ostream& out) {
  const EngineStats before = engine->stats();
  const auto start = Clock::now();
  STRATA_RETURN_IF_ERROR(engine->Flush());
  const EngineStats after = engine->stats();
  out << absl::StrFormat(
      "flush: %d memtables written to tables in %.1f ms; %d compactions "
      "followed; %d live tables (%d bytes)\n",
      after.flushes - before.flushes, Millis(Clock::now() - start),
      after.compactions - before.compactions, after.live_tables,
      after.live_table_bytes);
  return absl::OkStatus();
}

absl::Status RunCompact(Engine* engine, const CommandOptions& o,
                        std::ostream& out) {
  const EngineStats before = engine->stats();
  const auto start = Clock::now();
  Progress progress(o.progress != nullptr ? *o.progress : out,
                    o.progress_in_place);
  STRATA_RETURN_IF_ERROR(
      engine->Compact(ProgressTo(o, &progress, "compact: entries merged")));
  if (o.progress != nullptr) progress.Finish();
  const EngineStats after = engine->stats();
  out << absl::StrFormat(
      "compact: %d tables (%d bytes) became %d (%d bytes) in %.1f ms; %d "
      "memtables flushed first\n",
      before.live_tables, before.live_table_bytes, after.live_tables,
      after.live_table_bytes, Millis(Clock::now() - start),
      after.flushes - before.flushes);
  return absl::OkStatus();
}

absl::Status RunCheck(Engine* engine, const CommandOptions& o,
                      std::ostream& out) {
  Progress progress(o.progress != nullptr ? *o.progress : out,
                    o.progress_in_place);
  STRATA_ASSIGN_OR_RETURN(
      CheckReport report,
      engine->Check(ProgressTo(o, &progress, "check: tables verified")));
  if (o.progress != nullptr) progress.Finish();
  out << absl::StrFormat(
      "ok: %d tables (%d bytes, %d entries) verified; %d WAL segments "
      "present\n",
      report.tables, report.table_bytes, report.entries, report.wal_segments);
  return absl::OkStatus();
}

absl::Status RunScan(Engine* engine, const std::vector<std::string>& args,
                     const CommandOptions& o, std::ostream& out) {
  std::string start, end;
  if (!args.empty()) {
    STRATA_ASSIGN_OR_RETURN(start, Argument(args[0], "START", false, o));
  }
  if (args.size() > 1) {
    STRATA_ASSIGN_OR_RETURN(end, Argument(args[1], "END", false, o));
  }
  std::unique_ptr<Iterator> it = engine->NewIterator();
  size_t printed = 0;
  for (it->Seek(start); it->Valid(); it->Next()) {
    if (!end.empty() && it->key() >= end) break;
    out << Show(it->key(), o) << "\t" << Show(it->value(), o) << "\n";
    if (++printed == o.scan_limit) break;
  }
  out.flush();
  return it->status();
}

}  // namespace

absl::StatusOr<std::string> CommandHelp(const std::string& command) {
  if (command.empty()) {
    std::string text;
    for (const CommandInfo& c : kCommands) {
      absl::StrAppend(&text, "  strata ", c.usage, "\n");
    }
    return text;
  }
  const CommandInfo* c = FindCommand(command);
  if (c == nullptr) {
    return absl::NotFoundError(absl::StrCat("no command \"", command, "\""));
  }
  return absl::StrCat("usage: strata ", c->usage, "\n\n", c->help, "\n");
}

absl::Status RunSimpleCommand(Engine* engine, const std::string& command,
                              const std::vector<std::string>& args,
                              const CommandOptions& o, std::ostream& out) {
  const CommandInfo* info = FindCommand(command);
  if (info == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown command \"", command,
                     "\"; one of demo, put, get, delete, delete-range, scan, "
                     "flush, compact, stats, check, repair, workload"));
  }
  if (args.size() < info->min_args || args.size() > info->max_args) {
    return absl::InvalidArgumentError(
        absl::StrCat("usage: strata ", info->usage));
  }
  if (command == "put") {
    STRATA_ASSIGN_OR_RETURN(std::string key,
                            Argument(args[0], "KEY", false, o));
    STRATA_ASSIGN_OR_RETURN(std::string value,
                            Argument(args[1], "VALUE", true, o));
    return engine->Put(key, value);
  }
  if (command == "get") {
    STRATA_ASSIGN_OR_RETURN(std::string key,
                            Argument(args[0], "KEY", false, o));
    STRATA_ASSIGN_OR_RETURN(std::string value, engine->Get(key));
    if (o.raw) {
      out << value;
    } else {
      out << Show(value, o) << "\n";
    }
    return absl::OkStatus();
  }
  if (command == "delete") {
    STRATA_ASSIGN_OR_RETURN(std::string key,
                            Argument(args[0], "KEY", false, o));
    return engine->Delete(key);
  }
  if (command == "delete-range") {
    STRATA_ASSIGN_OR_RETURN(std::string start,
                            Argument(args[0], "START", false, o));
    STRATA_ASSIGN_OR_RETURN(std::string end,
                            Argument(args[1], "END", false, o));
    return engine->DeleteRange(start, end);
  }
  if (command == "scan") return RunScan(engine, args, o, out);
  if (command == "flush") return RunFlush(engine, out);
  if (command == "compact") return RunCompact(engine, o, out);
  if (command == "check") return RunCheck(engine, o, out);
  if (command == "checkpoint") {
    STRATA_ASSIGN_OR_RETURN(CheckpointReport r, engine->Checkpoint(args[0]));
    out << absl::StrFormat(
        "checkpoint of lsn %d in %s: %d tables (%d linked, %d copied, %d "
        "bytes), %d wal entries, in %.3f ms\n",
        r.lsn, args[0], r.tables, r.tables_linked, r.tables_copied,
        r.table_bytes, r.wal_entries, Millis(r.duration));
    return absl::OkStatus();
  }
  if (command == "stats") {
    PrintStats(*engine, out);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("strata ", command, " is not a simple command"));
}

void PrintStats(const Engine& engine, std::ostream& out) {
  const EngineStats s = engine.stats();
  const OpenReport& r = engine.open_report();
  out << "# the database now:\n";
  out << absl::StrFormat(
      "last lsn: %d\nlive tables: %d\nlive table bytes: %d\n"
      "frozen memtables: %d\nmemtable bytes: %d\n"
      "manifest log bytes: %d\nmanifest snapshot bytes: %d\n"
      "manifest generation: %d\n",
      s.last_lsn, s.live_tables, s.live_table_bytes, s.frozen_memtables,
      s.memtable_bytes, s.manifest_log_bytes, s.manifest_snapshot_bytes,
      s.manifest_generation);
  out << "# counted since this process opened it:\n";
  out << absl::StrFormat(
      "open time: %.3f ms\nwal records replayed: %d\n"
      "torn wal tail repaired: %s\norphans deleted: %d\n",
      Millis(s.open_time), r.wal_records,
      r.repaired_wal_tail ? r.wal_tail : "no", r.orphans_deleted.size());
  out << absl::StrFormat(
      "writes: %d\nflushes: %d\ncompactions: %d\ncompaction failures: %d\n"
      "wal bytes: %d\nwal syncs: %d\nmanifest edits: %d\ncheckpoints: %d\n",
      s.writes, s.flushes, s.compactions, s.compaction_failures, s.wal_bytes,
      s.wal_syncs, s.manifest_edits, s.checkpoints);
  out << absl::StrFormat(
      "tombstone compactions: %d\ntable blocks read: %d\n"
      "lookups the bloom filters answered: %d\n",
      s.tombstone_compactions, s.table_blocks_read, s.filter_skips);
  out << absl::StrFormat(
      "table opens: %d\nopen tables: %d\nblock cache hits: %d\n"
      "block cache misses: %d\nblock cache bytes: %d\n",
      s.table_opens, s.open_tables, s.block_cache_hits, s.block_cache_misses,
      s.block_cache_bytes);
  if (absl::Status h = engine.health(); !h.ok()) {
    out << "read-only after: " << h.ToString() << "\n";
  }
}

namespace {

// Prints what a follower's listener hears, a JSON line each.
class JsonLines : public EventListener {
 public:
  explicit JsonLines(std::ostream& out) : out_(out) {}
  void OnRecovered(const RecoveredInfo& info) override {
    const manifest::State& s = *info.state;
    out_ << absl::StrFormat(
                "{\"recovered\":{\"sequence\":%d,\"last_lsn\":%d,"
                "\"active_wal\":%d,\"frozen_wals\":%d,\"tables\":%d}}",
                s.last_sequence, s.last_lsn, s.active_wal, s.frozen_wals.size(),
                s.tables.size())
         << std::endl;
  }
  void OnEditCommitted(const manifest::Edit& edit) override {
    out_ << tools::EditJson(edit) << std::endl;
  }

 private:
  std::ostream& out_;
};

}  // namespace

absl::Status RunFollow(io::FileSystem* fs, const std::string& dir,
                       const FollowOptions& options, std::ostream& out,
                       std::ostream& err) {
  EngineOptions eo;
  eo.listeners = {std::make_shared<JsonLines>(out)};
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Engine> follower,
                          Engine::OpenFollower(fs, dir, eo));
  for (uint64_t poll = 1; options.polls == 0 || poll < options.polls; ++poll) {
    std::this_thread::sleep_for(options.interval);
    absl::StatusOr<CatchUpReport> r = follower->CatchUp();
    if (!r.ok()) {
      (void)follower->Close();
      return r.status();
    }
  }
  return follower->Close();  // Delivers every line first.
}

std::vector<std::string> CommandFlags(const std::string& command) {
  static const auto* const kFlags =
      new std::map<std::string, std::vector<std::string>>{
          {"demo", {"sync", "memtable_bytes", "ops", "value_size"}},
          {"put", {"sync", "memtable_bytes", "hex"}},
          {"get", {"hex", "raw"}},
          {"delete", {"sync", "memtable_bytes", "hex"}},
          {"delete-range", {"sync", "memtable_bytes", "hex"}},
          {"scan", {"hex", "limit"}},
          {"flush", {"sync", "memtable_bytes"}},
          {"compact", {"sync", "memtable_bytes"}},
          {"stats", {}},
          {"check", {}},
          {"repair", {"json", "salvage_wal"}},
          {"checkpoint", {}},
          {"follow", {"interval", "polls"}},
          {"workload",
           {"sync", "memtable_bytes", "ops", "threads", "keys", "key_size",
            "value_size", "read_percent"}},
      };
  auto it = kFlags->find(command);
  std::vector<std::string> flags;
  if (it == kFlags->end()) return flags;
  flags = it->second;
  flags.push_back("db");
  return flags;
}

bool IsReadOnlyCommand(const std::string& command) {
  return command == "get" || command == "scan" || command == "stats" ||
         command == "check";
}

void PrintOpenWarnings(const OpenReport& report, std::ostream& err) {
  auto warn = [&](const std::string& text) {
    err << "strata: warning: " << text << "\n";
  };
  const manifest::RecoveryReport& m = report.manifest;
  if (m.repaired_torn_tail) {
    warn(absl::StrCat("manifest: a torn tail was cut: ", m.torn_tail));
  }
  if (m.used_previous_generation) {
    warn(absl::StrCat("manifest: the newest snapshot is damaged (",
                      m.snapshot_error,
                      "); recovered from the previous generation"));
  }
  if (m.lost_data) warn(absl::StrCat("manifest: best effort: ", m.loss));
  if (report.repaired_wal_tail) {
    warn(absl::StrCat("data WAL: torn tail ",
                      report.deletions_allowed ? "cut" : "found", ": ",
                      report.wal_tail));
  }
  for (const wal::SkippedRange& r : report.wal_skipped) {
    warn(absl::StrFormat(
        "data WAL: best effort skipped segment %d bytes [%d, %d): %s",
        r.segment, r.begin, r.end, r.reason));
  }
  for (const std::string& path : report.orphans_deleted) {
    warn(absl::StrCat("deleted ", path, ": named by no manifest edit"));
  }
  for (const std::string& path : report.foreign_files) {
    warn(absl::StrCat(path, " was not written by Strata: left alone"));
  }
}

absl::Status RunRepair(io::FileSystem* fs, const std::string& dir,
                       RepairOptions options, bool json, std::ostream& out,
                       std::ostream* progress, bool progress_in_place) {
  std::optional<Progress> shown;
  if (progress != nullptr) {
    shown.emplace(*progress, progress_in_place);
    options.progress = [&shown](uint64_t done, uint64_t total) {
      shown->Report(absl::StrFormat("repair: files in sst/ looked at: %d/%d",
                                    done, total),
                    done, total);
    };
  }
  absl::StatusOr<RepairReport> repaired = Repair(fs, dir, options);
  if (shown.has_value()) shown->Finish();
  STRATA_ASSIGN_OR_RETURN(RepairReport report, std::move(repaired));
  out << (json ? RepairReportJson(report) : RepairReportText(report));
  return absl::OkStatus();
}

}  // namespace strata::engine
