#include "engine/cli.h"

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "io/status_macros.h"

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
    for (uint64_t i = 0; i < demo.batch; ++i) {
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

absl::Status RunSimpleCommand(Engine* engine, const std::string& command,
                              const std::vector<std::string>& args,
                              size_t scan_limit, std::ostream& out) {
  auto need = [&](size_t n, const char* usage) -> absl::Status {
    if (args.size() == n) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat("usage: strata ", usage));
  };
  if (command == "put") {
    STRATA_RETURN_IF_ERROR(need(2, "put KEY VALUE"));
    return engine->Put(args[0], args[1]);
  }
  if (command == "get") {
    STRATA_RETURN_IF_ERROR(need(1, "get KEY"));
    STRATA_ASSIGN_OR_RETURN(std::string value, engine->Get(args[0]));
    out << value << "\n";
    return absl::OkStatus();
  }
  if (command == "delete") {
    STRATA_RETURN_IF_ERROR(need(1, "delete KEY"));
    return engine->Delete(args[0]);
  }
  if (command == "scan") {
    if (args.size() > 2) {
      return absl::InvalidArgumentError("usage: strata scan [START [END]]");
    }
    STRATA_ASSIGN_OR_RETURN(
        std::vector<KeyValue> pairs,
        engine->Scan(args.empty() ? "" : args[0],
                     args.size() < 2 ? "" : args[1], scan_limit));
    for (const KeyValue& kv : pairs) {
      out << absl::CHexEscape(kv.key) << "\t" << absl::CHexEscape(kv.value)
          << "\n";
    }
    return absl::OkStatus();
  }
  if (command == "flush") return engine->Flush();
  if (command == "compact") return engine->Compact();
  if (command == "stats") {
    PrintStats(*engine, out);
    return absl::OkStatus();
  }
  if (command == "check") {
    STRATA_ASSIGN_OR_RETURN(CheckReport report, engine->Check());
    out << absl::StrFormat(
        "ok: %d tables (%d bytes, %d entries) verified; %d WAL segments "
        "present\n",
        report.tables, report.table_bytes, report.entries, report.wal_segments);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown command \"", command,
                   "\"; one of demo, put, get, delete, scan, flush, compact, "
                   "stats, check, workload"));
}

void PrintStats(const Engine& engine, std::ostream& out) {
  const EngineStats s = engine.stats();
  const OpenReport& r = engine.open_report();
  out << absl::StrFormat(
      "open time: %.3f ms\nwal records replayed: %d\n"
      "torn wal tail repaired: %s\norphans deleted: %d\n",
      Millis(s.open_time), r.wal_records,
      r.repaired_wal_tail ? r.wal_tail : "no", r.orphans_deleted.size());
  out << absl::StrFormat(
      "last lsn: %d\nwrites: %d\nflushes: %d\ncompactions: %d\n"
      "compaction failures: %d\nlive tables: %d\nlive table bytes: %d\n"
      "frozen memtables: %d\nmemtable bytes: %d\nwal bytes: %d\n"
      "wal syncs: %d\n",
      s.last_lsn, s.writes, s.flushes, s.compactions, s.compaction_failures,
      s.live_tables, s.live_table_bytes, s.frozen_memtables, s.memtable_bytes,
      s.wal_bytes, s.wal_syncs);
  out << absl::StrFormat(
      "manifest edits: %d\nmanifest log bytes: %d\nmanifest snapshot bytes: "
      "%d\nmanifest generation: %d\ncheckpoints: %d\n",
      s.manifest_edits, s.manifest_log_bytes, s.manifest_snapshot_bytes,
      s.manifest_generation, s.checkpoints);
  if (absl::Status h = engine.health(); !h.ok()) {
    out << "read-only after: " << h.ToString() << "\n";
  }
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
                       const RepairOptions& options, bool json,
                       std::ostream& out) {
  STRATA_ASSIGN_OR_RETURN(RepairReport report, Repair(fs, dir, options));
  out << (json ? RepairReportJson(report) : RepairReportText(report));
  return absl::OkStatus();
}

}  // namespace strata::engine
