// Engine: the public face (engine/engine.h), forwarding to EngineImpl
// (engine/engine_impl.h).

#include <utility>

#include "engine/engine.h"
#include "engine/engine_impl.h"

namespace strata::engine {

Engine::Engine(std::unique_ptr<EngineImpl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() = default;  // ~EngineImpl closes.

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(io::FileSystem* fs,
                                                     std::string dir,
                                                     EngineOptions options) {
  absl::StatusOr<std::unique_ptr<EngineImpl>> impl =
      EngineImpl::Open(fs, std::move(dir), std::move(options));
  if (!impl.ok()) return impl.status();
  return std::unique_ptr<Engine>(new Engine(*std::move(impl)));
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::OpenFollower(
    io::FileSystem* fs, std::string dir, EngineOptions options) {
  absl::StatusOr<std::unique_ptr<EngineImpl>> impl =
      EngineImpl::OpenFollower(fs, std::move(dir), std::move(options));
  if (!impl.ok()) return impl.status();
  return std::unique_ptr<Engine>(new Engine(*std::move(impl)));
}

absl::StatusOr<CatchUpReport> Engine::CatchUp() { return impl_->CatchUp(); }

absl::Status Engine::Put(absl::string_view key, absl::string_view value) {
  return impl_->Put(key, value);
}

absl::Status Engine::Delete(absl::string_view key) {
  return impl_->Delete(key);
}

absl::Status Engine::DeleteRange(absl::string_view start,
                                 absl::string_view end) {
  return impl_->DeleteRange(start, end);
}

absl::Status Engine::Write(const WriteBatch& batch) {
  return impl_->Write(batch);
}

absl::Status Engine::Write(const WriteBatch& batch, uint64_t* lsn) {
  return impl_->Write(batch, lsn);
}

uint64_t Engine::LatestLsn() const { return impl_->LatestLsn(); }

absl::StatusOr<std::string> Engine::Get(absl::string_view key) const {
  return impl_->Get(key);
}

absl::StatusOr<std::string> Engine::Get(const ReadOptions& options,
                                        absl::string_view key) const {
  return impl_->Get(options, key);
}

std::unique_ptr<Iterator> Engine::NewIterator(
    const ReadOptions& options) const {
  return impl_->NewIterator(options);
}

absl::StatusOr<std::vector<KeyValue>> Engine::Scan(const ReadOptions& options,
                                                   absl::string_view start,
                                                   absl::string_view end,
                                                   size_t limit) const {
  return impl_->Scan(options, start, end, limit);
}

absl::StatusOr<std::vector<KeyValue>> Engine::Scan(absl::string_view start,
                                                   absl::string_view end,
                                                   size_t limit) const {
  return impl_->Scan(start, end, limit);
}

const Snapshot* Engine::GetSnapshot() { return impl_->GetSnapshot(); }

void Engine::ReleaseSnapshot(const Snapshot* snapshot) {
  impl_->ReleaseSnapshot(snapshot);
}

absl::Status Engine::Flush() { return impl_->Flush(); }

absl::Status Engine::Compact(const ProgressFn& progress) {
  return impl_->Compact(progress);
}

absl::StatusOr<CheckReport> Engine::Check(const ProgressFn& progress) const {
  return impl_->Check(progress);
}

absl::Status Engine::health() const { return impl_->health(); }

EngineStats Engine::stats() const { return impl_->stats(); }

const OpenReport& Engine::open_report() const { return impl_->open_report(); }

absl::StatusOr<CheckpointReport> Engine::Checkpoint(const std::string& dest) {
  return impl_->Checkpoint(dest);
}

std::shared_ptr<const manifest::State> Engine::manifest_state() const {
  return impl_->manifest_state();
}

absl::Status Engine::Close() { return impl_->Close(); }

}  // namespace strata::engine
