// A model-based randomized test of the engine, in the manner of RocksDB's
// db_stress with its expected state and Pebble's metamorphic test: random
// operations run against the engine on a FaultInjectionFileSystem and
// against an in-memory model that answers a read at any LSN exactly.
//
// Operations: puts, deletes, range deletes and batches; reads at the
// newest state and at snapshots; iterators stepped across later writes;
// flushes and compactions (tombstone compaction too, on an injected
// clock); reopens with changed options; power losses, torn and untorn,
// between operations and in the middle of a write's file operations; a
// process killed after a write's append but before its sync (its bytes
// stay, unsynced); and a write held inside its sync while another thread
// flushes and compacts and this one reads at a snapshot.
//
// After a crash the engine must recover to the state at an LSN between the
// last acknowledged write and the last attempted one, and to exactly the
// model's state there. A failure prints the seed, the operations (shrunk by
// removing runs of them while the failure persists) and what differed.
//
// The fast slice runs in the suite; `model_soak_test` (tag soak) runs many
// more seeds for as long as STRATA_MODEL_SOAK_SECONDS says (default 1800).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/engine.h"
#include "engine/repair.h"
#include "gtest/gtest.h"
#include "sstable/compression.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/random.h"

namespace strata::engine {
namespace {

using ::strata::testing::FaultInjectionFileSystem;
using ::strata::testing::FsOp;

constexpr char kDir[] = "/db";
constexpr int kKeys = 24;

std::string Key(uint64_t i) { return absl::StrFormat("k%02d", i % kKeys); }

// ---------------------------------------------------------------- Ops

struct Op {
  enum Kind {
    kPut,
    kDelete,
    kDeleteRange,
    kBatch,
    kGet,
    kSnapshot,
    kReadSnapshot,
    kRelease,
    kNewIterator,
    kStepIterator,
    kFlush,
    kCompact,
    kAdvanceClock,
    kReopen,
    kPowerLoss,
    kPowerLossMidWrite,
    kKillMidWrite,
    kHeldWriteBesideFlush,
    kRepair,
    kCloseBesideWork,
    kBestEffortCopy,
    kRepairDamagedWal,
  } kind;
  uint64_t a = 0;  // A key, an index, a step count or an option variant.
  uint64_t b = 0;  // A second key, or a seed.
  std::string value;
  std::vector<Op> batch;  // kBatch: puts, deletes and range deletes.
};

std::string Describe(const Op& op) {
  switch (op.kind) {
    case Op::kPut:
      return absl::StrCat("put ", Key(op.a), "=", op.value);
    case Op::kDelete:
      return absl::StrCat("delete ", Key(op.a));
    case Op::kDeleteRange:
      return absl::StrCat("delete-range [", Key(op.a), ", ", Key(op.b), ")");
    case Op::kBatch: {
      std::vector<std::string> parts;
      for (const Op& o : op.batch) parts.push_back(Describe(o));
      return absl::StrCat("batch {", absl::StrJoin(parts, "; "), "}");
    }
    case Op::kGet:
      return absl::StrCat("get ", Key(op.a));
    case Op::kSnapshot:
      return "snapshot";
    case Op::kReadSnapshot:
      return absl::StrCat("read snapshot #", op.a, " ", Key(op.b));
    case Op::kRelease:
      return absl::StrCat("release snapshot #", op.a);
    case Op::kNewIterator:
      return "new iterator";
    case Op::kStepIterator:
      return absl::StrCat("step iterator #", op.a, " by ", op.b);
    case Op::kFlush:
      return "flush";
    case Op::kCompact:
      return "compact";
    case Op::kAdvanceClock:
      return "advance clock 2h";
    case Op::kReopen:
      return absl::StrCat("reopen with options #", op.a);
    case Op::kPowerLoss:
      return absl::StrCat("power loss", op.a % 2 ? " (torn)" : "", " seed ",
                          op.b);
    case Op::kPowerLossMidWrite:
      return absl::StrCat("power loss at file operation ", op.a, " of put ",
                          Key(op.b), "=", op.value);
    case Op::kKillMidWrite:
      return absl::StrCat("kill after the append of put ", Key(op.b), "=",
                          op.value);
    case Op::kHeldWriteBesideFlush:
      return absl::StrCat("put ", Key(op.b), "=", op.value,
                          " held in its sync beside flush+compact");
    case Op::kRepair:
      return "close, delete the manifest, repair, open";
    case Op::kCloseBesideWork:
      return "close while another thread flushes and compacts";
    case Op::kBestEffortCopy:
      return absl::StrCat("on a copy: damage manifest byte ", op.a,
                          ", open best effort, write, flush");
    case Op::kRepairDamagedWal:
      return absl::StrCat("close, damage byte ", op.a,
                          " of the newest WAL segment, delete the manifest, "
                          "repair, open");
  }
  return "?";
}

Op RandomWrite(testing::Random& rnd, int id) {
  const uint64_t dice = rnd.Uniform(100);
  const std::string value = absl::StrCat("v", id);
  if (dice < 60) return {Op::kPut, rnd.Uniform(kKeys), 0, value};
  if (dice < 85) return {Op::kDelete, rnd.Uniform(kKeys)};
  const uint64_t start = rnd.Uniform(kKeys);
  return {Op::kDeleteRange, start, start + 1 + rnd.Uniform(6)};
}

std::vector<Op> RandomOps(uint64_t seed, int count) {
  testing::Random rnd(seed);
  std::vector<Op> ops;
  for (int i = 0; i < count; ++i) {
    const uint64_t dice = rnd.Uniform(1000);
    if (dice < 450) {
      ops.push_back(RandomWrite(rnd, i));
    } else if (dice < 520) {
      Op batch{Op::kBatch};
      const int n = 2 + static_cast<int>(rnd.Uniform(4));
      for (int j = 0; j < n; ++j) batch.batch.push_back(RandomWrite(rnd, i));
      ops.push_back(std::move(batch));
    } else if (dice < 640) {
      ops.push_back({Op::kGet, rnd.Uniform(kKeys)});
    } else if (dice < 670) {
      ops.push_back({Op::kSnapshot});
    } else if (dice < 730) {
      ops.push_back({Op::kReadSnapshot, rnd.Uniform(8), rnd.Uniform(kKeys)});
    } else if (dice < 750) {
      ops.push_back({Op::kRelease, rnd.Uniform(8)});
    } else if (dice < 770) {
      ops.push_back({Op::kNewIterator});
    } else if (dice < 830) {
      ops.push_back({Op::kStepIterator, rnd.Uniform(4), 1 + rnd.Uniform(5)});
    } else if (dice < 880) {
      ops.push_back({Op::kFlush});
    } else if (dice < 900) {
      ops.push_back({Op::kCompact});
    } else if (dice < 915) {
      ops.push_back({Op::kAdvanceClock});
    } else if (dice < 935) {
      ops.push_back({Op::kReopen, rnd.Uniform(4)});
    } else if (dice < 955) {
      ops.push_back({Op::kPowerLoss, rnd.Uniform(2), rnd.Uniform(1000)});
    } else if (dice < 970) {
      ops.push_back({Op::kPowerLossMidWrite, rnd.Uniform(12),
                     rnd.Uniform(kKeys), absl::StrCat("m", i)});
    } else if (dice < 985) {
      ops.push_back(
          {Op::kKillMidWrite, 0, rnd.Uniform(kKeys), absl::StrCat("x", i)});
    } else if (dice < 990) {
      ops.push_back({Op::kHeldWriteBesideFlush, 0, rnd.Uniform(kKeys),
                     absl::StrCat("h", i)});
    } else if (dice < 992) {
      ops.push_back({Op::kRepair});
    } else if (dice < 994) {
      ops.push_back({Op::kRepairDamagedWal, rnd.Uniform(1 << 20)});
    } else if (dice < 997) {
      ops.push_back({Op::kCloseBesideWork});
    } else {
      ops.push_back({Op::kBestEffortCopy, rnd.Uniform(1 << 20)});
    }
  }
  return ops;
}

// ---------------------------------------------------------------- Model

using State = std::map<std::string, std::string>;

void ApplyTo(const Op& op, State* state) {
  switch (op.kind) {
    case Op::kPut:
      (*state)[Key(op.a)] = op.value;
      break;
    case Op::kDelete:
      state->erase(Key(op.a));
      break;
    case Op::kDeleteRange:
      for (uint64_t k = op.a; k < std::min<uint64_t>(op.b, kKeys); ++k) {
        state->erase(Key(k));
      }
      break;
    case Op::kBatch:
      for (const Op& o : op.batch) ApplyTo(o, state);
      break;
    default:
      break;
  }
}

void AddTo(const Op& op, WriteBatch* batch) {
  switch (op.kind) {
    case Op::kPut:
      batch->Put(Key(op.a), op.value);
      break;
    case Op::kDelete:
      batch->Delete(Key(op.a));
      break;
    case Op::kDeleteRange:
      // Key(kKeys) wraps: the end of the key space is "k99".
      batch->DeleteRange(Key(op.a), op.b >= kKeys ? "k99" : Key(op.b));
      break;
    case Op::kBatch:
      for (const Op& o : op.batch) AddTo(o, batch);
      break;
    default:
      break;
  }
}

// The states the database has been in, by the LSN of the batch that made
// each one, and what has been acknowledged.
class History {
 public:
  History() { states_[0] = {}; }
  uint64_t acked() const { return acked_; }
  uint64_t next_lsn() const { return next_lsn_; }
  const State& current() const { return states_.at(acked_); }
  // The state readers at `lsn` see.
  const State& At(uint64_t lsn) const {
    return std::prev(states_.upper_bound(lsn))->second;
  }
  // A batch of `count` LSNs was handed to the engine; `acked` if its write
  // returned OK.
  void Attempt(const Op& op, uint64_t count, bool acked) {
    State next = std::prev(states_.end())->second;
    ApplyTo(op, &next);
    next_lsn_ += count;
    states_[next_lsn_ - 1] = std::move(next);
    if (acked) acked_ = next_lsn_ - 1;
  }
  // The LSN of a state equal to `state`, newest first, if any.
  std::optional<uint64_t> Find(const State& state) const {
    for (auto it = states_.rbegin(); it != states_.rend(); ++it) {
      if (it->second == state) return it->first;
    }
    return std::nullopt;
  }
  // After a lossy recovery (damage repaired) whose engine continues from
  // `lsn` with the state the model had at `at`.
  void ContinueFrom(uint64_t lsn, uint64_t at) {
    State state = states_.at(at);
    states_.erase(states_.upper_bound(std::min(lsn, at)), states_.end());
    states_[lsn] = std::move(state);
    acked_ = lsn;
    next_lsn_ = lsn + 1;
  }
  // After a recovery to `lsn`: what was attempted past it never happened.
  std::optional<std::string> RecoveredTo(uint64_t lsn) {
    if (lsn < acked_) {
      return absl::StrCat("recovered to lsn ", lsn,
                          ", below the acknowledged lsn ", acked_);
    }
    if (states_.count(lsn) == 0) {
      return absl::StrCat("recovered to lsn ", lsn,
                          ", which no attempted batch ended at (attempted "
                          "up to ",
                          next_lsn_ - 1, ")");
    }
    states_.erase(states_.upper_bound(lsn), states_.end());
    acked_ = lsn;
    next_lsn_ = lsn + 1;
    return std::nullopt;
  }

 private:
  std::map<uint64_t, State> states_;
  uint64_t acked_ = 0;
  uint64_t next_lsn_ = 1;
};

// ---------------------------------------------------------------- Runner

std::string Text(const absl::StatusOr<std::string>& r) {
  if (r.ok()) return *r;
  return absl::IsNotFound(r.status())
             ? "<none>"
             : absl::StrCat("<", r.status().ToString(), ">");
}

std::string Expected(const State& s, const std::string& key) {
  auto it = s.find(key);
  return it == s.end() ? "<none>" : it->second;
}

class Runner {
 public:
  Runner() : fs_(&mem_) {}
  ~Runner() { Drop(); }

  // Runs `ops`; the first difference from the model, if any.
  std::optional<std::string> Run(const std::vector<Op>& ops) {
    if (auto e = Open(0)) return e;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (auto e = Step(ops[i])) {
        return absl::StrCat("op ", i, " (", Describe(ops[i]), "): ", *e);
      }
    }
    if (auto e = CheckAll("at the end")) return e;
    Drop();
    return std::nullopt;
  }

 private:
  struct Snap {
    const Snapshot* snapshot;
    uint64_t lsn;
  };
  struct Iter {
    std::unique_ptr<Iterator> it;
    uint64_t lsn;
    bool started = false;  // SeekToFirst has been called.
  };

  EngineOptions OptionsFor(uint64_t variant) {
    EngineOptions o;
    o.background_work = false;  // Deterministic: the same ops, the same run.
    o.memtable_bytes = std::vector<size_t>{512, 2048, 8192, 1024}[variant % 4];
    o.compaction.min_tables = 2 + variant % 3;
    o.compaction.tier_base_bytes = 1024;
    o.compaction.tombstone_min_age_micros = int64_t{3600} * 1000 * 1000;
    o.table.block_size = 256;
    o.table_number_batch = 4;
    o.manifest.checkpoint_log_bytes = 1024;
    // Reads at scale: tables compressed or not (a reopen may change it, so
    // both formats live side by side), few tables open at once, a block
    // cache of a few blocks or none, and now and then mapped reads.
    o.table.compression = std::vector<sstable::Compression>{
        sstable::Compression::kNone, sstable::Compression::kLz4,
        sstable::Compression::kZstd}[variant % 3];
    o.max_open_tables = std::vector<size_t>{0, 2, 8}[variant / 3 % 3];
    o.block_cache_bytes =
        std::vector<size_t>{8 << 20, 0, 16 << 10}[variant % 3];
    o.mmap_reads = variant % 5 == 4;
    o.now_micros = [this] { return clock_->load(); };
    return o;
  }

  std::optional<std::string> Open(uint64_t variant) {
    options_ = variant;
    absl::StatusOr<std::unique_ptr<Engine>> e =
        Engine::Open(&fs_, kDir, OptionsFor(variant));
    if (!e.ok()) return absl::StrCat("open: ", e.status().ToString());
    engine_ = *std::move(e);
    if (auto err = history_.RecoveredTo(engine_->stats().last_lsn)) {
      return err;
    }
    return CheckAll("after open");
  }

  // Releases what reads hold and closes (or abandons, after a crash).
  void Drop() {
    iters_.clear();
    for (Snap& s : snaps_) engine_->ReleaseSnapshot(s.snapshot);
    snaps_.clear();
    engine_.reset();
  }

  std::optional<std::string> Reopen(uint64_t variant) {
    Drop();
    return Open(variant);
  }

  std::optional<std::string> Write(const Op& op) {
    WriteBatch batch;
    AddTo(op, &batch);
    const absl::Status s = engine_->Write(batch);
    history_.Attempt(op, batch.count(), s.ok());
    if (!s.ok()) return absl::StrCat("write failed: ", s.ToString());
    return std::nullopt;
  }

  std::optional<std::string> Get(const ReadOptions& at, uint64_t lsn,
                                 const std::string& key) {
    const std::string got = Text(engine_->Get(at, key));
    const std::string want = Expected(history_.At(lsn), key);
    if (got == want) return std::nullopt;
    return absl::StrCat("get ", key, " at lsn ", lsn, ": got ", got, ", want ",
                        want);
  }

  // Every key, by Get and by a scan, at the newest state.
  std::optional<std::string> CheckAll(const std::string& when) {
    const State& want = history_.current();
    for (int k = 0; k < kKeys; ++k) {
      if (auto e = Get({}, history_.acked(), Key(k))) {
        return absl::StrCat(when, ": ", *e);
      }
    }
    absl::StatusOr<std::vector<KeyValue>> all = engine_->Scan("", "");
    if (!all.ok())
      return absl::StrCat(when, ": scan: ", all.status().ToString());
    State got;
    for (KeyValue& kv : *all) got[kv.key] = kv.value;
    if (got != want) {
      return absl::StrCat(when, ": a scan holds ", got.size(),
                          " keys, the model ", want.size());
    }
    return std::nullopt;
  }

  std::optional<std::string> StepIterator(Iter& iter, uint64_t steps) {
    const State& want = history_.At(iter.lsn);
    for (uint64_t i = 0; i < steps; ++i) {
      State::const_iterator expected;
      if (!iter.started) {
        iter.it->SeekToFirst();
        iter.started = true;
        expected = want.begin();
      } else if (!iter.it->Valid()) {
        break;  // At the end.
      } else {
        expected = want.upper_bound(std::string(iter.it->key()));
        iter.it->Next();
      }
      if (!iter.it->status().ok()) return iter.it->status().ToString();
      const std::string got =
          iter.it->Valid() ? absl::StrCat(iter.it->key(), "=", iter.it->value())
                           : "the end";
      const std::string wanted =
          expected == want.end()
              ? "the end"
              : absl::StrCat(expected->first, "=", expected->second);
      if (got != wanted) {
        return absl::StrCat("iterator at lsn ", iter.lsn, ": got ", got,
                            ", want ", wanted);
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> PowerLoss(bool torn, uint64_t seed) {
    if (!fs_.SimulateCrash({.torn = torn, .seed = seed}).ok()) {
      return "SimulateCrash failed";
    }
    return Reopen(options_);
  }

  std::optional<std::string> HeldWriteBesideFlush(const Op& op) {
    std::promise<void> held;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<bool> armed{true};
    fs_.SetSyncHook([&](const std::string& path) {
      if (absl::StrContains(path, "/wal/") && armed.exchange(false)) {
        held.set_value();
        released.wait();
      }
    });
    WriteBatch batch;
    batch.Put(Key(op.b), op.value);
    absl::Status written;
    std::thread writer([&] { written = engine_->Write(batch); });
    held.get_future().wait();
    auto other = std::async(std::launch::async, [&] {
      absl::Status s = engine_->Flush();
      return s.ok() ? engine_->Compact() : s;
    });
    // A correct flush waits for the held write; the reads below are right
    // whichever way this goes.
    other.wait_for(std::chrono::milliseconds(20));
    const Snapshot* snap = engine_->GetSnapshot();
    ReadOptions at;
    at.snapshot = snap;
    std::optional<std::string> e;
    // The snapshot's LSN is the acknowledged one, or the held write's once
    // a flush made it durable and visible.
    const uint64_t lsn = snap->lsn();
    if (lsn != history_.acked() && lsn != history_.next_lsn()) {
      e = absl::StrCat("a snapshot at lsn ", lsn, " beside a held write");
    }
    State if_written = history_.current();
    if_written[Key(op.b)] = op.value;
    for (int k = 0; k < kKeys && !e.has_value(); ++k) {
      const std::string got = Text(engine_->Get(at, Key(k)));
      const State& want =
          lsn == history_.acked() ? history_.current() : if_written;
      if (got != Expected(want, Key(k))) {
        e = absl::StrCat("beside a held write, snapshot at lsn ", lsn, ": get ",
                         Key(k), " = ", got, ", want ", Expected(want, Key(k)));
      }
    }
    release.set_value();
    writer.join();
    const absl::Status flushed = other.get();
    fs_.SetSyncHook({});
    engine_->ReleaseSnapshot(snap);
    history_.Attempt(Op{Op::kPut, op.b, 0, op.value}, 1, written.ok());
    if (e.has_value()) return e;
    if (!written.ok()) return absl::StrCat("held write: ", written.ToString());
    if (!flushed.ok()) return absl::StrCat("flush: ", flushed.ToString());
    return CheckAll("after the held write");
  }

  // Every file below `dir` of `fs`, with its bytes.
  static std::map<std::string, std::string> Files(io::FileSystem* fs,
                                                  const std::string& dir) {
    std::map<std::string, std::string> out;
    absl::StatusOr<std::vector<std::string>> names = fs->ListDir(dir);
    if (!names.ok()) return out;
    for (const std::string& name : *names) {
      const std::string path = io::JoinPath(dir, name);
      if (fs->ListDir(path).ok()) {
        out.merge(Files(fs, path));
      } else {
        out[path] = io::ReadFileToString(fs, path).value_or("<unreadable>");
      }
    }
    return out;
  }

  // With the engine closed: every manifest file deleted (durably), then
  // `strata repair`, then an open.
  std::optional<std::string> LoseManifestRepairAndOpen(RepairReport* report) {
    const std::string dir = io::JoinPath(kDir, "manifest");
    for (const std::string& name :
         fs_.ListDir(dir).value_or(std::vector<std::string>())) {
      if (!fs_.RemoveFile(io::JoinPath(dir, name)).ok()) return "remove";
    }
    if (!fs_.SyncDir(dir).ok()) return "sync";
    absl::StatusOr<RepairReport> repaired = Repair(&fs_, kDir);
    if (!repaired.ok()) {
      return absl::StrCat("repair: ", repaired.status().ToString());
    }
    *report = *std::move(repaired);
    absl::StatusOr<std::unique_ptr<Engine>> e =
        Engine::Open(&fs_, kDir, OptionsFor(options_));
    if (!e.ok()) return absl::StrCat("open: ", e.status().ToString());
    engine_ = *std::move(e);
    return std::nullopt;
  }

  // A user loses the manifest and repairs: with every acknowledged write
  // durable and nothing damaged, repair gives back exactly the newest
  // state. (Its LSN may be lower than the last one acknowledged: repair
  // knows only the LSNs tables and WAL records still hold, and a compaction
  // may have dropped the newest tombstones along with all they deleted.)
  std::optional<std::string> RepairOp() {
    Drop();
    RepairReport report;
    if (auto e = LoseManifestRepairAndOpen(&report)) return e;
    const uint64_t lsn = engine_->stats().last_lsn;
    if (lsn > history_.acked()) {
      return absl::StrCat("repaired to lsn ", lsn, ", past the last write ",
                          history_.acked());
    }
    history_.ContinueFrom(lsn, history_.acked());
    return CheckAll("after repair");
  }

  // Close while another thread flushes and compacts: once Close returns,
  // nothing in the directory changes.
  std::optional<std::string> CloseBesideWork() {
    iters_.clear();
    for (Snap& s : snaps_) engine_->ReleaseSnapshot(s.snapshot);
    snaps_.clear();
    std::atomic<bool> stop{false};
    std::thread worker([&] {
      while (!stop && engine_->Flush().ok() && engine_->Compact().ok()) {
      }
    });
    for (int i = 0; i < 8; ++i) {
      const Op put{Op::kPut, static_cast<uint64_t>(i), 0,
                   absl::StrCat("c", history_.next_lsn())};
      if (auto e = Write(put)) {
        stop = true;
        worker.join();
        return e;
      }
    }
    const absl::Status closed = engine_->Close();
    const auto at_close = Files(&mem_, kDir);
    stop = true;
    worker.join();
    if (!closed.ok()) return absl::StrCat("close: ", closed.ToString());
    if (Files(&mem_, kDir) != at_close) {
      return "the directory changed after Close returned";
    }
    return Reopen(options_);
  }

  // Damage in the data WAL, then repair: whatever is lost, the result is a
  // state the database was in (never a mix: no deleted key comes back).
  std::optional<std::string> RepairDamagedWal(uint64_t where) {
    Drop();
    std::string newest;
    for (const std::string& name :
         fs_.ListDir("/db/wal").value_or(std::vector<std::string>())) {
      newest = io::JoinPath("/db/wal", name);
    }
    absl::StatusOr<std::string> bytes = io::ReadFileToString(&fs_, newest);
    if (bytes.ok() && bytes->size() > 64) {
      const size_t at = 28 + where % (bytes->size() - 28);
      (*bytes)[at] = static_cast<char>(~(*bytes)[at]);
      if (!io::WriteFileSynced(&fs_, newest, *bytes).ok()) return "damage";
    }
    RepairReport report;
    if (auto e = LoseManifestRepairAndOpen(&report)) return e;
    absl::StatusOr<std::vector<KeyValue>> all = engine_->Scan("", "");
    if (!all.ok()) return absl::StrCat("scan: ", all.status().ToString());
    State got;
    for (KeyValue& kv : *all) got[kv.key] = kv.value;
    const std::optional<uint64_t> at = history_.Find(got);
    if (!at.has_value()) {
      std::string keys;
      for (const auto& [k, v] : got) absl::StrAppend(&keys, k, "=", v, " ");
      return absl::StrCat(
          "after repair the database holds a state it was "
          "never in: ",
          keys, "\nrepair said:\n", RepairReportText(report));
    }
    history_.ContinueFrom(engine_->stats().last_lsn, *at);
    return CheckAll("after repairing damage");
  }

  // On a copy of the directory: a damaged byte in the newest manifest log,
  // a best-effort open, writes and a flush. Whatever the open recovers,
  // no file that was there is written over (a WAL segment may only grow).
  std::optional<std::string> BestEffortCopy(uint64_t where) {
    Drop();
    const auto before = Files(&mem_, kDir);
    testing::MemFileSystem copy;
    for (const auto& [path, bytes] : before) {
      std::vector<std::string> parents;
      for (std::string d = io::DirName(path); d != "/"; d = io::DirName(d)) {
        parents.push_back(d);
      }
      for (auto it = parents.rbegin(); it != parents.rend(); ++it) {
        if (!copy.CreateDir(*it).ok()) return "copy: mkdir";
      }
      if (!io::WriteFileSynced(&copy, path, bytes).ok()) return "copy: write";
    }
    std::string newest_log;
    for (const auto& [path, bytes] : before) {
      if (absl::StartsWith(path, "/db/manifest/") &&
          absl::EndsWith(path, ".log")) {
        newest_log = path;
      }
    }
    const std::string& log = before.at(newest_log);
    if (log.size() > 64) {
      std::string damaged = log;
      const size_t at = 32 + where % (log.size() - 32);
      damaged[at] = static_cast<char>(~damaged[at]);
      if (!io::WriteFileSynced(&copy, newest_log, damaged).ok()) {
        return "copy: damage";
      }
    }
    EngineOptions o = OptionsFor(options_);
    o.best_effort = true;
    absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(&copy, kDir, o);
    if (e.ok()) {
      for (int i = 0; i < 40; ++i) {
        (*e)->Put(Key(i), std::string(64, 'b')).IgnoreError();
      }
      (*e)->Flush().IgnoreError();
      (*e)->Close().IgnoreError();
    }
    for (const auto& [path, bytes] : before) {
      if (absl::StartsWith(path, "/db/manifest/")) continue;
      const std::string now =
          io::ReadFileToString(&copy, path).value_or("<gone>");
      const bool grew_only =
          absl::StartsWith(path, "/db/wal/") && absl::StartsWith(now, bytes);
      if (now != bytes && !grew_only) {
        return absl::StrCat("a best-effort open wrote over ", path);
      }
    }
    return Open(options_);
  }

  std::optional<std::string> Step(const Op& op) {
    switch (op.kind) {
      case Op::kPut:
      case Op::kDelete:
      case Op::kDeleteRange:
      case Op::kBatch:
        return Write(op);
      case Op::kGet:
        return Get({}, history_.acked(), Key(op.a));
      case Op::kSnapshot:
        snaps_.push_back({engine_->GetSnapshot(), history_.acked()});
        if (snaps_.back().snapshot->lsn() != history_.acked()) {
          return absl::StrCat("a snapshot at lsn ",
                              snaps_.back().snapshot->lsn(), ", not ",
                              history_.acked());
        }
        return std::nullopt;
      case Op::kReadSnapshot: {
        if (snaps_.empty()) return std::nullopt;
        const Snap& s = snaps_[op.a % snaps_.size()];
        ReadOptions at;
        at.snapshot = s.snapshot;
        return Get(at, s.lsn, Key(op.b));
      }
      case Op::kRelease:
        if (snaps_.empty()) return std::nullopt;
        engine_->ReleaseSnapshot(snaps_[op.a % snaps_.size()].snapshot);
        snaps_.erase(snaps_.begin() + op.a % snaps_.size());
        return std::nullopt;
      case Op::kNewIterator:
        iters_.push_back({engine_->NewIterator(), history_.acked()});
        if (iters_.size() > 4) iters_.erase(iters_.begin());
        return std::nullopt;
      case Op::kStepIterator:
        if (iters_.empty()) return std::nullopt;
        return StepIterator(iters_[op.a % iters_.size()], op.b);
      case Op::kFlush:
        if (absl::Status s = engine_->Flush(); !s.ok()) return s.ToString();
        return std::nullopt;
      case Op::kCompact:
        if (absl::Status s = engine_->Compact(); !s.ok()) return s.ToString();
        return std::nullopt;
      case Op::kAdvanceClock:
        clock_->fetch_add(int64_t{7200} * 1000 * 1000);
        return std::nullopt;
      case Op::kReopen:
        return Reopen(op.a);
      case Op::kPowerLoss:
        return PowerLoss(op.a % 2 == 1, op.b);
      case Op::kPowerLossMidWrite: {
        fs_.FreezeAt(fs_.operation_count() + op.a);
        WriteBatch batch;
        batch.Put(Key(op.b), op.value);
        const absl::Status s = engine_->Write(batch);
        history_.Attempt(Op{Op::kPut, op.b, 0, op.value}, 1, s.ok());
        return PowerLoss(op.a % 2 == 1, op.a);
      }
      case Op::kKillMidWrite: {
        fs_.FailNext(FsOp::kSync);
        WriteBatch batch;
        batch.Put(Key(op.b), op.value);
        const absl::Status s = engine_->Write(batch);
        history_.Attempt(Op{Op::kPut, op.b, 0, op.value}, 1, s.ok());
        fs_.ClearFaults();
        return Reopen(options_);  // The process dies: no power loss.
      }
      case Op::kHeldWriteBesideFlush:
        return HeldWriteBesideFlush(op);
      case Op::kRepair:
        return RepairOp();
      case Op::kCloseBesideWork:
        return CloseBesideWork();
      case Op::kBestEffortCopy:
        return BestEffortCopy(op.a);
      case Op::kRepairDamagedWal:
        return RepairDamagedWal(op.a);
    }
    return std::nullopt;
  }

  testing::MemFileSystem mem_;
  FaultInjectionFileSystem fs_;
  std::unique_ptr<std::atomic<int64_t>> clock_ =
      std::make_unique<std::atomic<int64_t>>(int64_t{1} << 40);
  History history_;
  std::unique_ptr<Engine> engine_;
  uint64_t options_ = 0;
  std::vector<Snap> snaps_;
  std::vector<Iter> iters_;
};

std::optional<std::string> RunOnce(const std::vector<Op>& ops) {
  Runner runner;
  return runner.Run(ops);
}

// Removes runs of operations while the run still fails, halving the run
// length down to one operation.
std::vector<Op> Shrink(std::vector<Op> ops) {
  for (size_t chunk = ops.size() / 2; chunk >= 1; chunk /= 2) {
    for (size_t start = 0; start + chunk <= ops.size();) {
      std::vector<Op> fewer(ops.begin(), ops.begin() + start);
      fewer.insert(fewer.end(), ops.begin() + start + chunk, ops.end());
      if (RunOnce(fewer).has_value()) {
        ops = std::move(fewer);
      } else {
        start += chunk;
      }
    }
  }
  return ops;
}

// Runs `count` operations from `seed`; on a failure, the shrunk replay.
void CheckSeed(uint64_t seed, int count) {
  const std::vector<Op> ops = RandomOps(seed, count);
  std::optional<std::string> failure = RunOnce(ops);
  if (!failure.has_value()) return;
  const std::vector<Op> shrunk = Shrink(ops);
  std::string log;
  for (size_t i = 0; i < shrunk.size(); ++i) {
    absl::StrAppend(&log, "  ", i, ": ", Describe(shrunk[i]), "\n");
  }
  ADD_FAILURE() << "seed " << seed << " (" << count
                << " operations): " << *failure << "\nshrunk to "
                << shrunk.size() << " operations, which fail with: "
                << RunOnce(shrunk).value_or("(passes alone)") << "\n"
                << log;
}

TEST(ModelTest, RandomOperationsMatchTheModel) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    CheckSeed(seed, 400);
    if (HasFailure()) break;
  }
}

// The soak: seeds from STRATA_MODEL_SEED_BASE on, for
// STRATA_MODEL_SOAK_SECONDS (only in the soak-tagged target).
TEST(ModelTest, Soak) {
  const char* seconds = std::getenv("STRATA_MODEL_SOAK_SECONDS");
  if (seconds == nullptr) GTEST_SKIP() << "the soak target sets its length";
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::seconds(std::atoll(seconds));
  const char* base = std::getenv("STRATA_MODEL_SEED_BASE");
  uint64_t seed = base != nullptr ? std::strtoull(base, nullptr, 10) : 1000;
  uint64_t ops = 0;
  while (std::chrono::steady_clock::now() < until && !HasFailure()) {
    CheckSeed(seed++, 2000);
    ops += 2000;
  }
  RecordProperty("operations", static_cast<int>(ops));
  std::printf("model soak: %llu operations, no failure\n",
              static_cast<unsigned long long>(ops));
}

}  // namespace
}  // namespace strata::engine
