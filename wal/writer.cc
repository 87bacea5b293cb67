#include "wal/writer.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_format.h"
#include "io/status_macros.h"
#include "wal/format.h"

namespace strata::wal {

// One caller's request, queued until a leader has handled it.
struct Writer::Waiter {
  absl::Span<const absl::string_view> records;
  uint64_t bytes = 0;
  bool force_sync = false;
  bool rotate = false;
  bool refused = false;  // By Enqueue, before it was queued.
  bool done = false;
  absl::Status status;
  uint64_t new_segment = 0;  // For rotate.
  std::thread::id thread = std::this_thread::get_id();
};

namespace {

uint64_t RandomNonce() {
  std::random_device device;
  return (uint64_t{device()} << 32) ^ device();
}

}  // namespace

Writer::Writer(io::FileSystem* fs, std::string dir, WriterOptions options)
    : fs_(fs), dir_(std::move(dir)), options_(options) {}

absl::StatusOr<std::unique_ptr<Writer>> Writer::Create(io::FileSystem* fs,
                                                       std::string dir,
                                                       uint64_t segment_number,
                                                       WriterOptions options) {
  std::unique_ptr<Writer> writer(new Writer(fs, std::move(dir), options));
  if (!fs->FileExists(writer->dir_).ok()) {
    STRATA_RETURN_IF_ERROR(fs->CreateDir(writer->dir_));
    STRATA_RETURN_IF_ERROR(fs->SyncDir(io::DirName(writer->dir_)));
  }
  STRATA_RETURN_IF_ERROR(writer->StartSegment(segment_number));
  writer->PublishInitialState();
  return writer;
}

absl::StatusOr<std::unique_ptr<Writer>> Writer::Reopen(io::FileSystem* fs,
                                                       std::string dir,
                                                       uint64_t segment_number,
                                                       uint64_t valid_end,
                                                       WriterOptions options) {
  std::unique_ptr<Writer> writer(new Writer(fs, std::move(dir), options));
  STRATA_RETURN_IF_ERROR(
      valid_end < SegmentHeader::kSize
          ? writer->StartSegment(segment_number, /*replace=*/true)
          : writer->ContinueSegment(segment_number, valid_end));
  writer->PublishInitialState();
  return writer;
}

void Writer::PublishInitialState() {
  MutexLock lock(&mu_);
  published_segment_ = segment_;
  stats_ = leader_stats_;
}

Writer::~Writer() { Close().IgnoreError(); }

absl::Status Writer::StartSegment(uint64_t number, bool replace) {
  const std::string path = io::JoinPath(dir_, SegmentFileName(number));
  // A new segment never replaces a file: one already under its number was
  // written by someone (an edit that was lost, another tool) and is left as
  // it is. Only Reopen rewrites its own segment, whose header it found torn.
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<io::WritableFile> file,
      replace ? fs_->NewWritableFile(path) : CreateSegmentFile(path));
  const SegmentHeader header(number,
                             options_.fixed_nonce.value_or(RandomNonce()));
  std::string bytes;
  header.EncodeTo(&bytes);
  STRATA_RETURN_IF_ERROR(file->Append(bytes));
  if (options_.durable_create) {
    STRATA_RETURN_IF_ERROR(file->Sync());
    STRATA_RETURN_IF_ERROR(fs_->SyncDir(dir_));
    leader_stats_.syncs += 2;
  } else
    STRATA_RETURN_IF_ERROR(file->Flush());
  file_ = std::move(file);
  segment_ = number;
  crc_seed_ = FragmentCrcSeed(header.nonce());
  block_offset_ = SegmentHeader::kSize;
  // Without durable_create the header rides on the first sync.
  unsynced_bytes_ = options_.durable_create ? 0 : bytes.size();
  last_sync_ = std::chrono::steady_clock::now();
  leader_stats_.bytes += bytes.size();
  leader_stats_.segment_bytes = bytes.size();
  ++leader_stats_.segments_created;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<io::WritableFile>> Writer::CreateSegmentFile(
    const std::string& path) {
  absl::StatusOr<std::unique_ptr<io::WritableFile>> file =
      fs_->NewExclusiveFile(path);
  if (!absl::IsAlreadyExists(file.status())) return file;
  // A file no longer than a header holds no record: a spare whose removal
  // a crash undid, say. Anything longer is someone's data, left alone.
  absl::StatusOr<uint64_t> size = fs_->GetFileSize(path);
  if (!size.ok() || *size > SegmentHeader::kSize) {
    return absl::AlreadyExistsError(absl::StrFormat(
        "wal: %s exists and holds %d bytes; a new segment never replaces "
        "one that may hold records",
        path, size.value_or(0)));
  }
  STRATA_RETURN_IF_ERROR(fs_->RemoveFile(path));
  return fs_->NewExclusiveFile(path);
}

uint64_t Writer::SegmentAfter(uint64_t number) const {
  return std::max(number + 1, options_.min_next_segment);
}

absl::Status Writer::NextSegment() {
  STRATA_RETURN_IF_ERROR(file_->Close());
  std::unique_ptr<io::WritableFile> spare;
  uint64_t nonce = 0;
  {
    MutexLock lock(&mu_);
    while (preparing_) prepared_cv_.Wait(&mu_);
    if (spare_ != nullptr && spare_number_ == SegmentAfter(segment_)) {
      spare = std::move(spare_);
      nonce = spare_nonce_;
    }
    spare_.reset();
    // From here on PrepareNextSegment prepares the segment after this one.
    published_segment_ = SegmentAfter(segment_);
  }
  if (spare == nullptr) return StartSegment(SegmentAfter(segment_));
  file_ = std::move(spare);
  segment_ = SegmentAfter(segment_);
  // Counted now, by the leader, which owns the statistics.
  leader_stats_.syncs += 1;  // The directory sync.
  leader_stats_.bytes += SegmentHeader::kSize;
  leader_stats_.segment_bytes = SegmentHeader::kSize;
  ++leader_stats_.segments_created;
  crc_seed_ = FragmentCrcSeed(nonce);
  block_offset_ = SegmentHeader::kSize;
  unsynced_bytes_ = SegmentHeader::kSize;  // Synced with the first records.
  last_sync_ = std::chrono::steady_clock::now();
  return absl::OkStatus();
}

absl::Status Writer::PrepareNextSegment() {
  uint64_t number;
  {
    MutexLock lock(&mu_);
    if (!status_.ok()) return status_;
    number = SegmentAfter(published_segment_);
    if (preparing_ || (spare_ != nullptr && spare_number_ == number)) {
      return absl::OkStatus();
    }
    preparing_ = true;
  }
  const uint64_t nonce = options_.fixed_nonce.value_or(RandomNonce());
  std::string bytes;
  SegmentHeader(number, nonce).EncodeTo(&bytes);
  absl::StatusOr<std::unique_ptr<io::WritableFile>> file =
      CreateSegmentFile(io::JoinPath(dir_, SegmentFileName(number)));
  // Only the directory entry is synced now. The header rides on the first
  // sync of records in the segment; a crash before that leaves a newest
  // segment with a torn header and no record, which Reopen rewrites.
  absl::Status s = file.status();
  if (s.ok()) s = (*file)->Append(bytes);
  if (s.ok()) s = (*file)->Flush();
  if (s.ok()) s = fs_->SyncDir(dir_);
  MutexLock lock(&mu_);
  preparing_ = false;
  prepared_cv_.SignalAll();
  if (!s.ok()) return s;
  // A rotation cannot have passed `number` while preparing_ was set.
  spare_ = std::move(*file);
  spare_number_ = number;
  spare_nonce_ = nonce;
  return absl::OkStatus();
}

absl::Status Writer::ContinueSegment(uint64_t number, uint64_t valid_end) {
  const std::string path = io::JoinPath(dir_, SegmentFileName(number));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<io::RandomAccessFile> reader,
                          fs_->NewRandomAccessFile(path));
  if (valid_end > reader->Size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "wal: reopen %s: valid end %d is past the file's %d bytes", path,
        valid_end, reader->Size()));
  }
  char scratch[SegmentHeader::kSize];
  absl::string_view bytes;
  STRATA_RETURN_IF_ERROR(reader->Read(0, sizeof(scratch), scratch, &bytes));
  SegmentHeader header(0, 0);
  STRATA_RETURN_IF_ERROR(SegmentHeader::DecodeFrom(bytes, path, &header));
  if (header.segment_number() != number) {
    return absl::DataLossError(absl::StrFormat(
        "wal: %s: header names segment %d", path, header.segment_number()));
  }
  if (valid_end < reader->Size()) {
    STRATA_RETURN_IF_ERROR(fs_->TruncateFile(path, valid_end));
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<io::WritableFile> file,
                          fs_->NewAppendableFile(path));
  // Synced whether or not anything was cut: the records before valid_end
  // are about to be served (a caller replayed them), but the process that
  // wrote them may have died before its sync. Unsynced, a power loss could
  // take back what readers were shown, and no later sync would cover them:
  // they are not this writer's appends.
  STRATA_RETURN_IF_ERROR(file->Sync());
  ++leader_stats_.syncs;
  file_ = std::move(file);
  segment_ = number;
  crc_seed_ = FragmentCrcSeed(header.nonce());
  block_offset_ = valid_end % kBlockSize;
  leader_stats_.segment_bytes = valid_end;
  unsynced_bytes_ = 0;
  last_sync_ = std::chrono::steady_clock::now();
  return absl::OkStatus();
}

Writer::Ticket::Ticket(std::unique_ptr<Waiter> waiter)
    : waiter_(std::move(waiter)) {}
Writer::Ticket::Ticket(Ticket&&) noexcept = default;
Writer::Ticket& Writer::Ticket::operator=(Ticket&&) noexcept = default;
Writer::Ticket::~Ticket() = default;

absl::Status Writer::Append(absl::string_view record) {
  return AppendBatch(absl::MakeConstSpan(&record, 1));
}

absl::Status Writer::AppendBatch(absl::Span<const absl::string_view> records) {
  // Not Wait(Enqueue()): one lock acquisition and no allocation per call.
  Waiter w;
  if (!Prepare(records, &w)) return w.status;
  return Commit(&w);
}

bool Writer::Prepare(absl::Span<const absl::string_view> records,
                     Waiter* w) const {
  w->records = records;
  for (absl::string_view r : records) {
    if (r.size() > options_.max_record_size) {
      w->status = absl::InvalidArgumentError(
          absl::StrFormat("wal: record of %d bytes exceeds max_record_size %d",
                          r.size(), options_.max_record_size));
      w->refused = true;
      return false;
    }
    w->bytes += r.size();
  }
  return true;
}

Writer::Ticket Writer::Enqueue(absl::Span<const absl::string_view> records) {
  auto w = std::make_unique<Waiter>();
  if (Prepare(records, w.get())) {
    MutexLock lock(&mu_);
    Push(w.get());
  }
  return Ticket(std::move(w));
}

absl::Status Writer::Wait(Ticket ticket) {
  Waiter* w = ticket.waiter_.get();
  if (w->refused) return w->status;  // Never queued: no other thread saw it.
  MutexLock lock(&mu_);
  return Await(w);
}

absl::Status Writer::Sync() {
  Waiter w;
  w.force_sync = true;
  return Commit(&w);
}

absl::StatusOr<uint64_t> Writer::Rotate() {
  Waiter w;
  w.rotate = true;
  STRATA_RETURN_IF_ERROR(Commit(&w));
  return w.new_segment;
}

absl::Status Writer::Close() {
  {
    MutexLock lock(&mu_);
    if (closed_) return status_;
    if (file_ == nullptr) {  // Create or Reopen failed: nothing to sync.
      closed_ = true;
      status_ = absl::FailedPreconditionError("wal: writer is closed");
      return absl::OkStatus();
    }
  }
  absl::Status s = Sync();
  MutexLock lock(&mu_);
  if (closed_) return status_;
  closed_ = true;
  while (preparing_) prepared_cv_.Wait(&mu_);
  if (spare_ != nullptr) {
    // Never used: it holds no record, and no reader expects it.
    spare_->Close().IgnoreError();
    spare_.reset();
    fs_->RemoveFile(io::JoinPath(dir_, SegmentFileName(spare_number_)))
        .IgnoreError();
  }
  if (file_ != nullptr) {
    absl::Status close = file_->Close();
    if (s.ok()) s = close;
    file_.reset();
  }
  if (status_.ok()) {
    status_ =
        s.ok() ? absl::FailedPreconditionError("wal: writer is closed") : s;
  }
  return s;
}

uint64_t Writer::segment_number() const {
  MutexLock lock(&mu_);
  return published_segment_;
}

Writer::Stats Writer::stats() const {
  MutexLock lock(&mu_);
  return stats_;
}

absl::Status Writer::Commit(Waiter* w) {
  MutexLock lock(&mu_);
  Push(w);
  return Await(w);
}

void Writer::Push(Waiter* w) { queue_.push_back(w); }

absl::Status Writer::Await(Waiter* w) {
  while (!w->done) {
    if (leading_) {
      done_cv_.Wait(&mu_);
    } else if (queue_.size() >= ExpectedGroupSize()) {
      // The group is complete: its last caller leads it at once.
      if (gatherer_ != nullptr) last_gather_complete_ = true;
      LeadOneGroup();
    } else if (gatherer_ == nullptr) {
      Gather(w);
    } else {
      done_cv_.Wait(&mu_);
    }
  }
  return w->status;
}

size_t Writer::ExpectedGroupSize() const {
  if (!options_.gather_window ||
      options_.sync.mode != SyncPolicy::Mode::kAlways) {
    return 1;
  }
  return recent_thread_count_;
}

void Writer::Gather(Waiter* w) {
  gatherer_ = w;
  gather_start_ = std::chrono::steady_clock::now();
  const auto deadline =
      gather_start_ +
      (last_gather_complete_ ? 2 * sync_estimate_ : sync_estimate_ / 4);
  last_gather_complete_ = false;
  auto now = gather_start_;
  while (!w->done && !leading_ && queue_.size() < ExpectedGroupSize() &&
         now < deadline) {
    done_cv_.WaitFor(&mu_, deadline - now);
    now = std::chrono::steady_clock::now();
  }
  if (gatherer_ != w) return;  // A leader took the group over.
  gatherer_ = nullptr;
  // Complete: Await has this caller lead it. At the deadline it leads what
  // is queued.
  if (queue_.size() < ExpectedGroupSize()) {
    LeadOneGroup();
  }
}

void Writer::LeadOneGroup() {
  leading_ = true;
  gatherer_ = nullptr;
  if (gather_start_ != std::chrono::steady_clock::time_point()) {
    leader_stats_.gather_nanos +=
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now() - gather_start_)
            .count();
    gather_start_ = {};
  }
  // Take the waiters at the front that fit in one group. A rotation ends a
  // group, so records queued before it land in the old segment.
  std::vector<Waiter*> group;
  uint64_t bytes = 0;
  for (Waiter* x : queue_) {
    if (!group.empty() && bytes + x->bytes > options_.max_group_bytes) break;
    group.push_back(x);
    bytes += x->bytes;
    if (x->rotate) break;
  }
  absl::Status s = status_;
  mu_.Unlock();

  if (s.ok()) s = WriteGroup(group);

  mu_.Lock();
  RememberThreads(group);
  sync_estimate_ = last_sync_duration_;
  if (!s.ok() && status_.ok()) status_ = s;
  stats_ = leader_stats_;
  published_segment_ = segment_;
  for (Waiter* x : group) {
    queue_.pop_front();
    x->status = s;
    x->done = true;
  }
  leading_ = false;
  // One wake-up for the whole group, and for whoever leads next.
  done_cv_.SignalAll();
}

void Writer::RememberThreads(absl::Span<Waiter* const> group) {
  recent_threads_[1] = std::move(recent_threads_[0]);
  recent_threads_[0].clear();
  for (const Waiter* w : group) {
    if (std::find(recent_threads_[0].begin(), recent_threads_[0].end(),
                  w->thread) == recent_threads_[0].end()) {
      recent_threads_[0].push_back(w->thread);
    }
  }
  size_t count = recent_threads_[0].size();
  for (std::thread::id t : recent_threads_[1]) {
    if (std::find(recent_threads_[0].begin(), recent_threads_[0].end(), t) ==
        recent_threads_[0].end()) {
      ++count;
    }
  }
  recent_thread_count_ = std::max<size_t>(1, count);
}

void Writer::AddRecord(absl::string_view record) {
  bool first = true;
  do {
    const uint64_t left_in_block = kBlockSize - block_offset_;
    if (left_in_block < FragmentHeader::kSize) {
      buffer_.append(left_in_block, '\0');  // Block trailer.
      block_offset_ = 0;
    }
    const size_t room = kBlockSize - block_offset_ - FragmentHeader::kSize;
    const size_t n = std::min<size_t>(room, record.size());
    const bool last = n == record.size();
    const FragmentType type = first && last ? FragmentType::kFull
                              : first       ? FragmentType::kFirst
                              : last        ? FragmentType::kLast
                                            : FragmentType::kMiddle;
    FragmentHeader::AppendFragment(crc_seed_, type, record.substr(0, n),
                                   &buffer_);
    block_offset_ += FragmentHeader::kSize + n;
    record.remove_prefix(n);
    first = false;
  } while (!record.empty());
}

bool Writer::PeriodicSyncDue() const {
  const SyncPolicy& p = options_.sync;
  if (p.bytes > 0 && unsynced_bytes_ >= p.bytes) return true;
  return p.interval.count() > 0 &&
         std::chrono::steady_clock::now() - last_sync_ >= p.interval;
}

absl::Status Writer::SyncSegment() {
  const auto start = std::chrono::steady_clock::now();
  STRATA_RETURN_IF_ERROR(file_->DataSync());
  ++leader_stats_.syncs;
  unsynced_bytes_ = 0;
  last_sync_ = std::chrono::steady_clock::now();
  last_sync_duration_ = last_sync_ - start;
  leader_stats_.sync_nanos += last_sync_duration_.count();
  return absl::OkStatus();
}

absl::Status Writer::WriteGroup(absl::Span<Waiter* const> group) {
  bool force_sync = false;
  bool rotate = false;
  uint64_t records = 0;
  for (Waiter* w : group) {
    records += w->records.size();
    force_sync |= w->force_sync;
    rotate |= w->rotate;
  }
  if (records > 0) {
    // A full segment is closed before more records go in.
    const uint64_t size = file_->Size();
    if (size > SegmentHeader::kSize && size >= options_.max_segment_size) {
      STRATA_RETURN_IF_ERROR(SyncSegment());
      STRATA_RETURN_IF_ERROR(NextSegment());
    }
    buffer_.clear();
    for (Waiter* w : group) {
      for (absl::string_view r : w->records) AddRecord(r);
    }
    STRATA_RETURN_IF_ERROR(file_->Append(buffer_));
    leader_stats_.bytes += buffer_.size();
    leader_stats_.segment_bytes += buffer_.size();
    leader_stats_.records += records;
    ++leader_stats_.groups;
    unsynced_bytes_ += buffer_.size();
  }
  const bool sync = unsynced_bytes_ > 0 &&
                    (force_sync || rotate ||
                     options_.sync.mode == SyncPolicy::Mode::kAlways ||
                     (options_.sync.mode == SyncPolicy::Mode::kPeriodic &&
                      PeriodicSyncDue()));
  if (sync) {
    STRATA_RETURN_IF_ERROR(SyncSegment());
  } else
    STRATA_RETURN_IF_ERROR(file_->Flush());
  if (rotate) {
    STRATA_RETURN_IF_ERROR(NextSegment());
    for (Waiter* w : group) w->new_segment = segment_;
  }
  return absl::OkStatus();
}

}  // namespace strata::wal
