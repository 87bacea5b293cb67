// wal::Writer appends records to a sequence of WAL segments
// (docs/wal_format.md) with group commit.
//
// Concurrent Append calls are gathered by a leader: one waiting caller
// writes the records at the front of the queue, in the order they were
// queued, issues one sync for all of them (as the SyncPolicy asks), and
// tells each caller its own result. Under SyncPolicy::Always() no caller
// returns success before its bytes are durable; a new segment's file and
// directory entry are durable before the first record in it is acknowledged.
//
// Under SyncPolicy::Always() a group's members cannot submit again until
// its sync ends, so a leader that starts at once splits N steady appenders
// into alternating groups of about N/2. So while fewer callers are queued
// than the distinct threads of the last two groups, no one leads: the first
// caller waits for the rest, and the caller that completes the group leads
// it at once (it is running already; waking the first one would add a
// thread wake-up to every group). The first caller's wait has a deadline: a
// quarter of the last sync's duration, or two syncs' if the last group was
// completed in time (in a steady closed loop the group forms well within
// it, so the timer never fires). At the deadline it leads what is queued.
// A lone appender never waits.
//
// Sticky failure: after a failed write or sync the file's contents are
// unknown, so every later call returns the first error.
//
// Thread-safety: safe for concurrent use.

#ifndef STRATA_WAL_WRITER_H_
#define STRATA_WAL_WRITER_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "io/file_system.h"
#include "io/mutex.h"

namespace strata::wal {

// When appended bytes are made durable.
struct SyncPolicy {
  enum class Mode { kAlways, kNever, kPeriodic };
  Mode mode = Mode::kAlways;
  // kPeriodic: sync once this many bytes are unsynced (0: no byte trigger),
  uint64_t bytes = 0;
  // or once the last sync is this old (zero: no time trigger). Checked when
  // records are appended; a writer with no appends does not sync by itself.
  std::chrono::milliseconds interval{0};

  // Durable before Append returns.
  static SyncPolicy Always() { return {}; }
  // Left to the operating system (and to Sync, Rotate and Close).
  static SyncPolicy Never() { return {Mode::kNever, 0, {}}; }
  static SyncPolicy Every(uint64_t bytes, std::chrono::milliseconds interval) {
    return {Mode::kPeriodic, bytes, interval};
  }
};

struct WriterOptions {
  SyncPolicy sync = SyncPolicy::Always();
  // A segment that reaches this size is closed and the next one started
  // before further records are written.
  uint64_t max_segment_size = uint64_t{64} << 20;
  // Append refuses larger records with InvalidArgument.
  uint64_t max_record_size = uint64_t{64} << 20;
  // Most record bytes one group commit gathers.
  uint64_t max_group_bytes = uint64_t{4} << 20;
  // Let a group wait briefly for recent appenders (see above). Turn it off
  // when a single thread commits on behalf of others.
  bool gather_window = true;
  // Sync a new segment's header and its directory entry as soon as it is
  // created. Off, the header is synced with the first records (their sync
  // covers it) and the caller must sync the directory itself before it
  // appends: for a caller that creates a segment as part of a larger step
  // with one directory sync of its own (a manifest checkpoint). A newest
  // segment no longer than a header holds no record, so losing it loses
  // nothing.
  bool durable_create = true;
  // The segment a rotation (or PrepareNextSegment) starts is the current
  // one + 1, or this number if that is larger: for a caller that found
  // files past its current segment it may not reuse (a best-effort open
  // whose lost edits had rotated further).
  uint64_t min_next_segment = 0;
  // For golden-bytes tests only: the segment nonce, normally random.
  std::optional<uint64_t> fixed_nonce;
};

class Writer {
  struct Waiter;  // One caller's request in the commit queue.

 public:
  // Creates segment `segment_number` in `dir` (creating `dir`, durably, if
  // it does not exist) and makes it and its directory entry durable.
  // AlreadyExists, touching nothing, if a file longer than a segment header
  // has that name: a segment is always created exclusively (so is
  // PrepareNextSegment's and a rotation's); only a file that can hold no
  // record (a spare whose removal a crash undid) is replaced.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Writer>> Create(
      io::FileSystem* fs, std::string dir, uint64_t segment_number,
      WriterOptions options);

  // Continues segment `segment_number`, whose whole records end at
  // `valid_end` (Reader::tail()): torn bytes after it are truncated, and the
  // segment is synced before Reopen returns — the records it holds may have
  // been written, never synced, by a process that died, and the caller is
  // about to serve them. A `valid_end` below the
  // segment header's size means the segment holds no record (the reader
  // found its header torn or zeroed): it is created anew, durably, as by
  // Create.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Writer>> Reopen(
      io::FileSystem* fs, std::string dir, uint64_t segment_number,
      uint64_t valid_end, WriterOptions options);

  // Syncs and closes, ignoring errors; call Close() to see them.
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // A place in the commit queue, from Enqueue, redeemed by Wait.
  class Ticket {
   public:
    Ticket(Ticket&&) noexcept;
    Ticket& operator=(Ticket&&) noexcept;
    ~Ticket();

   private:
    friend class Writer;
    explicit Ticket(std::unique_ptr<Waiter> waiter);
    std::unique_ptr<Waiter> waiter_;
  };

  // Appends one record.
  [[nodiscard]] absl::Status Append(absl::string_view record);
  // The two halves of AppendBatch, for callers that must fix their records'
  // order in the log under a lock of their own without holding it through
  // the sync: Enqueue places `records` in the commit queue and returns at
  // once (records are written in the order Enqueue was called); Wait blocks
  // until they are committed and returns their result. `records` must stay
  // alive until Wait returns. Every ticket must be waited for.
  [[nodiscard]] Ticket Enqueue(absl::Span<const absl::string_view> records);
  [[nodiscard]] absl::Status Wait(Ticket ticket);
  // Appends several records, in order, in one group commit.
  [[nodiscard]] absl::Status AppendBatch(
      absl::Span<const absl::string_view> records);
  // Makes every record appended so far durable, whatever the policy.
  [[nodiscard]] absl::Status Sync();
  // Syncs and closes the current segment and starts the next one
  // (current + 1, or WriterOptions::min_next_segment), durably. Returns the new
  // segment's number.
  [[nodiscard]] absl::StatusOr<uint64_t> Rotate();
  // Creates the next segment (current + 1) now, its directory entry durable
  // (its header is synced with its first records), so that a later rotation
  // only switches to it and syncs nothing. For a caller with idle time (a
  // background thread) that wants rotation off its critical path. Appends are
  // not held up meanwhile; a rotation waits for it. An error leaves the writer
  // as it was (rotation then creates the segment itself).
  [[nodiscard]] absl::Status PrepareNextSegment() ABSL_LOCKS_EXCLUDED(mu_);
  // Syncs and closes. Later calls fail. A segment PrepareNextSegment made
  // and no rotation used is removed (best effort: it holds no record).
  [[nodiscard]] absl::Status Close();

  // The segment records are appended to now.
  uint64_t segment_number() const;

  struct Stats {
    uint64_t records = 0;
    uint64_t groups = 0;  // Leader rounds that wrote records.
    uint64_t syncs = 0;   // fdatasync/fsync calls on segments.
    uint64_t bytes = 0;   // Bytes written to segments, framing included.
    // Size of the segment records go to now, including what Reopen found
    // in it: what a size threshold across restarts should compare.
    uint64_t segment_bytes = 0;
    uint64_t segments_created = 0;
    // Time leaders spent in the syncs that made records durable: the part
    // of a commit the disk decides. It includes handing the file the bytes
    // it still buffers (a write call) just before each sync.
    uint64_t sync_nanos = 0;
    // Time groups spent gathering (see above): from when their first
    // caller began to wait for the rest to when a leader took them.
    uint64_t gather_nanos = 0;
  };
  Stats stats() const;

 private:
  Writer(io::FileSystem* fs, std::string dir, WriterOptions options);

  absl::Status Commit(Waiter* w) ABSL_LOCKS_EXCLUDED(mu_);
  // After Create or Reopen: what stats() and segment_number() report.
  void PublishInitialState() ABSL_LOCKS_EXCLUDED(mu_);
  // Checks `records` against max_record_size and fills in `w`; false (and
  // w->status) if one is too large.
  bool Prepare(absl::Span<const absl::string_view> records, Waiter* w) const;
  void Push(Waiter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits until `w` is done, leading groups when no one else does.
  absl::Status Await(Waiter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Commits the group at the front of the queue. Releases mu_ while
  // writing and syncing.
  void LeadOneGroup() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // How many queued callers make a group complete (1: no waiting).
  size_t ExpectedGroupSize() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // As the gatherer: waits for the group to complete or be taken over by a
  // leader, until the deadline; at the deadline leads what is queued.
  void Gather(Waiter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RememberThreads(absl::Span<Waiter* const> group)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Leader-only (see below).
  absl::Status WriteGroup(absl::Span<Waiter* const> group);
  void AddRecord(absl::string_view record);
  absl::Status SyncSegment();
  // Creates segment `number` exclusively, or rewrites it if `replace`.
  absl::Status StartSegment(uint64_t number, bool replace = false);
  // Closes the current segment and continues in segment_ + 1: the prepared
  // one if there is one, else a new one.
  absl::Status NextSegment();
  // Creates the file of a new segment exclusively; one already there is
  // replaced only if it is no longer than a header (it holds no record).
  absl::StatusOr<std::unique_ptr<io::WritableFile>> CreateSegmentFile(
      const std::string& path);
  // The number of the segment that follows `number`.
  uint64_t SegmentAfter(uint64_t number) const;
  absl::Status ContinueSegment(uint64_t number, uint64_t valid_end);
  bool PeriodicSyncDue() const;

  io::FileSystem* const fs_;
  const std::string dir_;
  const WriterOptions options_;

  mutable Mutex mu_;
  std::deque<Waiter*> queue_ ABSL_GUARDED_BY(mu_);
  // Signaled once per committed group: its callers return, and a caller
  // still waiting becomes the next leader.
  CondVar done_cv_;
  // The caller waiting, with a deadline, for the rest of the next group
  // (null: none). The leader that takes the group over clears it.
  const Waiter* gatherer_ ABSL_GUARDED_BY(mu_) = nullptr;
  // When that wait began (the epoch: no group is gathering).
  std::chrono::steady_clock::time_point gather_start_ ABSL_GUARDED_BY(mu_);
  // Whether the last group was complete before its gather deadline.
  bool last_gather_complete_ ABSL_GUARDED_BY(mu_) = false;
  // The leader's last sync duration, for the gather deadline.
  std::chrono::nanoseconds sync_estimate_ ABSL_GUARDED_BY(mu_){0};
  // A caller is committing a group; the others wait for it.
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
  // Threads served by the last two groups, for the gather window.
  std::vector<std::thread::id> recent_threads_[2] ABSL_GUARDED_BY(mu_);
  // Distinct threads in recent_threads_ (at least 1).
  size_t recent_thread_count_ ABSL_GUARDED_BY(mu_) = 1;
  absl::Status status_ ABSL_GUARDED_BY(mu_);  // Sticky.
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  uint64_t published_segment_ ABSL_GUARDED_BY(mu_) = 0;
  // PrepareNextSegment's work: a durable, empty segment spare_number_.
  bool preparing_ ABSL_GUARDED_BY(mu_) = false;
  CondVar prepared_cv_;  // Signaled when preparing_ clears.
  std::unique_ptr<io::WritableFile> spare_ ABSL_GUARDED_BY(mu_);
  uint64_t spare_number_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t spare_nonce_ ABSL_GUARDED_BY(mu_) = 0;

  // Touched only by the leader — the one caller with leading_ set — or by
  // the factory functions before the writer is shared. The role passes from
  // one thread to the next under mu_, which orders these accesses.
  std::unique_ptr<io::WritableFile> file_;
  uint64_t segment_ = 0;
  uint32_t crc_seed_ = 0;
  uint64_t block_offset_ = 0;  // Offset within the current block.
  uint64_t unsynced_bytes_ = 0;
  std::chrono::steady_clock::time_point last_sync_;
  std::chrono::nanoseconds last_sync_duration_{0};
  std::string buffer_;  // One group's framed bytes.
  Stats leader_stats_;  // Folded into stats_ after each group.
};

}  // namespace strata::wal

#endif  // STRATA_WAL_WRITER_H_
