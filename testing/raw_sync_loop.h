// The physical limits durable appends are measured against, shared by the
// benchmarks.

#ifndef STRATA_TESTING_RAW_SYNC_LOOP_H_
#define STRATA_TESTING_RAW_SYNC_LOOP_H_

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "testing/bench_dir.h"

namespace strata::testing {

// Sorts `us` (latencies in microseconds) and reports its p50, p99 and max
// as the benchmark's counters; nothing if it is empty.
inline void SetLatencyCounters(benchmark::State& state,
                               std::vector<double>* us) {
  if (us->empty()) return;
  std::sort(us->begin(), us->end());
  state.counters["p50_us"] = (*us)[us->size() / 2];
  state.counters["p99_us"] = (*us)[(us->size() - 1) * 99 / 100];
  state.counters["max_us"] = us->back();
}

// One caller: append `size` bytes to a file with pwrite and make them
// durable with fdatasync, once per benchmark iteration.
inline void RunRawAppendFdatasync(benchmark::State& state, size_t size) {
  BenchDir dir;
  const std::string path = dir.path() + "/raw";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    state.SkipWithError("open failed");
    return;
  }
  const std::string bytes(size, 'r');
  off_t offset = 0;
  std::vector<double> us;  // Each round's latency: the device's spread.
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    if (pwrite(fd, bytes.data(), bytes.size(), offset) !=
            static_cast<ssize_t>(bytes.size()) ||
        fdatasync(fd) != 0) {
      state.SkipWithError("pwrite/fdatasync failed");
      break;
    }
    us.push_back(std::chrono::duration<double, std::micro>(
                     std::chrono::steady_clock::now() - start)
                     .count());
    offset += bytes.size();
  }
  close(fd);
  state.SetBytesProcessed(state.iterations() * bytes.size());
  SetLatencyCounters(state, &us);
}

// The ceiling of group commit for a multithreaded benchmark (->Threads(n))
// in which each thread makes one `size`-byte record durable per iteration
// and waits for it before the next: the best any group commit can do is one
// pwrite+fdatasync of all n records per round, plus putting the n threads
// to sleep and waking them again. Here the threads meet at a barrier, the
// last to arrive writes and syncs the round's n records, and a second
// barrier releases them all: no queue, no framing, no leader election.
// Items: records made durable. Each thread's rounds, barrier to barrier,
// give the p50, p99 and max counters. With `records`, the round's last
// caller adds its n records to it once they are durable (a benchmark's
// other thread can follow the progress).
struct RawGroupLoop {
  BenchDir dir;
  int fd = -1;
  pthread_barrier_t arrive;
  pthread_barrier_t release;
  // Touched by one thread per round, between the barriers.
  off_t offset = 0;
  bool failed = false;
  std::chrono::nanoseconds sync_time{0};  // In fdatasync, all rounds.
  // Per thread, each round's latency (appended inside the loop, whose end
  // is a barrier: all in when thread 0 reads them).
  std::vector<std::vector<double>> us;
};
// The loop of the benchmark running now; set up and torn down by thread 0.
inline RawGroupLoop* raw_group_loop = nullptr;

// Thread 0 of RunRawGroupFdatasync, past the benchmark's stop barrier:
// every thread is past its loop, and only this one touches the loop after
// it. Reports the figures, then tears the loop down.
inline void FinishRawGroupLoop(benchmark::State& state,
                               std::chrono::steady_clock::time_point start) {
  RawGroupLoop* const loop = raw_group_loop;
  if (loop->failed) state.SkipWithError("open/pwrite/fdatasync failed");
  // Each thread ran the same number of rounds. What is not the sync is
  // the barriers: putting the threads to sleep and waking them.
  const double rounds = static_cast<double>(state.iterations());
  state.counters["us_per_round"] = std::chrono::duration<double, std::micro>(
                                       std::chrono::steady_clock::now() - start)
                                       .count() /
                                   rounds;
  state.counters["sync_us_per_round"] =
      std::chrono::duration<double, std::micro>(loop->sync_time).count() /
      rounds;
  std::vector<double> us;
  for (const std::vector<double>& t : loop->us) {
    us.insert(us.end(), t.begin(), t.end());
  }
  SetLatencyCounters(state, &us);
  if (loop->fd >= 0) close(loop->fd);
  pthread_barrier_destroy(&loop->arrive);
  pthread_barrier_destroy(&loop->release);
  delete loop;
  raw_group_loop = nullptr;
}

inline void RunRawGroupFdatasync(benchmark::State& state, size_t size,
                                 std::atomic<uint64_t>* records = nullptr) {
  const auto n = static_cast<unsigned>(state.threads());
  if (state.thread_index() == 0) {
    // Benchmark's start barrier orders this before any thread's first
    // iteration.
    auto* const loop = new RawGroupLoop;
    const std::string path = loop->dir.path() + "/raw";
    loop->fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pthread_barrier_init(&loop->arrive, nullptr, n);
    pthread_barrier_init(&loop->release, nullptr, n);
    loop->us.resize(n);
    raw_group_loop = loop;
  }
  const std::string round(size * n, 'r');
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    RawGroupLoop* const loop = raw_group_loop;  // Set before the start.
    const auto round_start = std::chrono::steady_clock::now();
    // Every thread runs the same number of iterations, so the barriers
    // always fill.
    if (pthread_barrier_wait(&loop->arrive) == PTHREAD_BARRIER_SERIAL_THREAD) {
      if (loop->fd < 0 ||
          pwrite(loop->fd, round.data(), round.size(), loop->offset) !=
              static_cast<ssize_t>(round.size())) {
        loop->failed = true;
      }
      const auto sync_start = std::chrono::steady_clock::now();
      if (loop->fd < 0 || fdatasync(loop->fd) != 0) loop->failed = true;
      loop->sync_time += std::chrono::steady_clock::now() - sync_start;
      loop->offset += round.size();
      if (records != nullptr) *records += n;
    }
    pthread_barrier_wait(&loop->release);
    loop->us[state.thread_index()].push_back(
        std::chrono::duration<double, std::micro>(
            std::chrono::steady_clock::now() - round_start)
            .count());
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) FinishRawGroupLoop(state, start);
}

}  // namespace strata::testing

#endif  // STRATA_TESTING_RAW_SYNC_LOOP_H_
