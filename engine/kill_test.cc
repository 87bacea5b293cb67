// Real process kills: the engine runs in a child process on the real file
// system (background work on, a small memtable so flushes and compactions
// never stop), several threads writing with SyncPolicy::Always. Before each
// operation a thread tells the parent through a pipe what it is about to
// do, and after it is acknowledged, that it was. The parent kills the child
// with SIGKILL at a random moment, reopens the database and checks: every
// acknowledged write reads back (an unacknowledged one may or may not), no
// deleted key returns, no orphan file is left, and Check passes. The state
// carries over from kill to kill.
//
// STRATA_KILLS sets the number of kills (default 20; the soak target runs
// 1000) and STRATA_KILL_SEED the seed.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/engine.h"
#include "gtest/gtest.h"
#include "io/posix_file_system.h"
#include "testing/random.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace strata::engine {
namespace {

constexpr int kThreads = 4;
constexpr uint64_t kKeys = 400;
constexpr char kDeleted[] = "-";  // An intent to delete.

std::string Key(uint64_t i) { return absl::StrFormat("key%04d", i); }

EngineOptions ChildOptions() {
  EngineOptions o;
  o.memtable_bytes = 8 << 10;
  o.background_work = true;
  o.compaction.min_tables = 3;
  o.compaction.tier_base_bytes = 8 << 10;
  o.table.block_size = 1024;
  o.manifest.checkpoint_log_bytes = 16 << 10;
  return o;
}

// The child: writes until it is killed. Never returns.
[[noreturn]] void RunChild(const std::string& dir, int out, uint64_t seed) {
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Open(io::PosixFileSystem(), dir, ChildOptions());
  if (!engine.ok()) {
    std::fprintf(stderr, "child: open: %s\n",
                 engine.status().ToString().c_str());
    _exit(2);
  }
  std::mutex pipe_mu;
  auto say = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(pipe_mu);
    if (write(out, line.data(), line.size()) !=
        static_cast<ssize_t>(line.size())) {
      _exit(3);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      testing::Random rnd(seed * 100 + t);
      for (uint64_t n = 0;; ++n) {
        // Each thread owns the keys equal to t modulo kThreads.
        const std::string key =
            Key(rnd.Uniform(kKeys / kThreads) * kThreads + t);
        const bool del = rnd.OneIn(5);
        const std::string value =
            del ? kDeleted : absl::StrFormat("v%d-%d-%d", seed, t, n);
        say(absl::StrCat("I ", key, " ", value, "\n"));
        const absl::Status s =
            del ? (*engine)->Delete(key) : (*engine)->Put(key, value);
        if (!s.ok()) {
          std::fprintf(stderr, "child: %s\n", s.ToString().c_str());
          _exit(4);
        }
        say(absl::StrCat("A ", key, "\n"));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  _exit(0);
}

// What the parent knows: the acknowledged value of each key (absent:
// deleted or never written), and the operation in flight on it, if any.
struct Model {
  std::map<std::string, std::string> acked;
  std::map<std::string, std::string> pending;

  void Take(const std::string& line) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    if (f.size() == 3 && f[0] == "I") {
      pending[f[1]] = f[2];
    } else if (f.size() == 2 && f[0] == "A") {
      auto it = pending.find(f[1]);
      if (it == pending.end()) return;
      if (it->second == kDeleted) {
        acked.erase(f[1]);
      } else {
        acked[f[1]] = it->second;
      }
      pending.erase(it);
    }
  }
};

struct Totals {
  uint64_t acked_ops = 0;
  uint64_t unacked_found_durable = 0;
  uint64_t unacked_not_durable = 0;
};

// Reads the child's lines until it is killed at `deadline`.
void Listen(int in, pid_t child, std::chrono::steady_clock::time_point deadline,
            Model* model, Totals* totals) {
  std::string buffer;
  char chunk[4096];
  bool killed = false;
  while (true) {
    if (!killed && std::chrono::steady_clock::now() >= deadline) {
      kill(child, SIGKILL);
      killed = true;
    }
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(in, &fds);
    timeval tv{0, 2000};
    if (select(in + 1, &fds, nullptr, nullptr, &tv) <= 0) continue;
    const ssize_t n = read(in, chunk, sizeof(chunk));
    if (n <= 0) break;  // The child is gone and the pipe drained.
    buffer.append(chunk, n);
    size_t end;
    while ((end = buffer.find('\n')) != std::string::npos) {
      const std::string line = buffer.substr(0, end);
      if (line[0] == 'A') ++totals->acked_ops;
      model->Take(line);
      buffer.erase(0, end + 1);
    }
  }
}

// Reopens, checks every key against the model, and adopts writes that were
// durable though not acknowledged.
void Verify(const std::string& dir, Model* model, Totals* totals) {
  EngineOptions options = ChildOptions();
  options.background_work = false;  // Orphans are deleted by open itself.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(io::PosixFileSystem(), dir, options));
  for (uint64_t i = 0; i < kKeys; ++i) {
    const std::string key = Key(i);
    absl::StatusOr<std::string> got = engine->Get(key);
    ASSERT_TRUE(got.ok() || absl::IsNotFound(got.status())) << got.status();
    const std::optional<std::string> value =
        got.ok() ? std::optional<std::string>(*got) : std::nullopt;
    auto acked = model->acked.find(key);
    const std::optional<std::string> want =
        acked == model->acked.end() ? std::nullopt
                                    : std::optional<std::string>(acked->second);
    auto pending = model->pending.find(key);
    if (value == want) {
      if (pending != model->pending.end()) ++totals->unacked_not_durable;
    } else {
      ASSERT_NE(pending, model->pending.end())
          << key << " reads " << value.value_or("(none)") << "; acknowledged "
          << want.value_or("(none)") << ", and nothing was in flight";
      const std::optional<std::string> in_flight =
          pending->second == kDeleted
              ? std::nullopt
              : std::optional<std::string>(pending->second);
      ASSERT_EQ(value, in_flight)
          << key << ": neither the acknowledged value nor the one in flight";
      ++totals->unacked_found_durable;
      if (in_flight.has_value()) {
        model->acked[key] = *in_flight;
      } else {
        model->acked.erase(key);
      }
    }
  }
  model->pending.clear();
  ASSERT_OK_AND_ASSIGN(CheckReport check, engine->Check());
  // No orphan: every table file is live, every segment listed.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> tables,
                       io::PosixFileSystem()->ListDir(dir + "/sst"));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> segments,
                       io::PosixFileSystem()->ListDir(dir + "/wal"));
  EXPECT_EQ(tables.size(), check.tables) << absl::StrJoin(tables, " ");
  EXPECT_EQ(segments.size(), check.wal_segments)
      << absl::StrJoin(segments, " ");
  ASSERT_OK(engine->Close());
}

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoull(v, nullptr, 10) : fallback;
}

TEST(KillTest, AcknowledgedWritesSurviveSigkillAtRandomMoments) {
  const uint64_t kills = EnvOr("STRATA_KILLS", 20);
  testing::Random rnd(EnvOr("STRATA_KILL_SEED", 1));
  testing::TempDir tmp;
  const std::string dir = tmp.path() + "/db";
  Model model;
  Totals totals;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t kill_no = 1; kill_no <= kills; ++kill_no) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      RunChild(dir, fds[1], kill_no);
    }
    close(fds[1]);
    // Anywhere from inside open to well into the writes.
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(rnd.Uniform(250));
    Listen(fds[0], child, deadline, &model, &totals);
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child ended by itself (status " << status << ") before kill "
        << kill_no;
    SCOPED_TRACE(absl::StrCat("after kill ", kill_no));
    ASSERT_NO_FATAL_FAILURE(Verify(dir, &model, &totals));
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf(
      "kill test: %d kills in %.1f s; %d acknowledged operations verified; "
      "in flight at a kill: %d found durable, %d not\n",
      kills, secs, totals.acked_ops, totals.unacked_found_durable,
      totals.unacked_not_durable);
  RecordProperty("kills", static_cast<int>(kills));
  RecordProperty("acked_ops", static_cast<int>(totals.acked_ops));
  EXPECT_GT(totals.acked_ops, kills);  // The children did write.
}

}  // namespace
}  // namespace strata::engine
