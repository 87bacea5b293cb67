// Engine: following a live primary (OpenFollower, CatchUp). The tailing
// itself is engine/follower.cc; this file publishes what it read to the
// engine's readers.

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/db_dir.h"
#include "engine/engine_impl.h"
#include "io/status_macros.h"

namespace strata::engine {

absl::StatusOr<std::unique_ptr<EngineImpl>> EngineImpl::OpenFollower(
    io::FileSystem* fs, std::string dir, EngineOptions options) {
  options.read_only = true;
  options.background_work = false;
  options.best_effort = false;
  std::unique_ptr<EngineImpl> engine(
      new EngineImpl(fs, std::move(dir), options, /*follower=*/true));
  const OpenIntent intent{/*create_if_missing=*/false,
                          /*error_if_exists=*/false, /*read_only=*/true};
  STRATA_RETURN_IF_ERROR(CheckDbDirForOpen(fs, engine->dir_, intent,
                                           &engine->report_.foreign_files));
  engine->follower_ = std::make_unique<Follower>(fs, engine->dir_);
  // Edits are kept for listeners, and to open the tables they add.
  engine->follower_->set_collect_edits(true);
  STRATA_ASSIGN_OR_RETURN(CatchUpReport first, engine->CatchUp());
  engine->report_.duration = first.duration;
  engine->report_.deletions_allowed = false;
  MutexLock lock(&engine->mu_);
  engine->stats_.open_time = first.duration;
  return engine;
}

absl::StatusOr<CatchUpReport> EngineImpl::CatchUp() {
  if (follower_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "engine: ", dir_, " was not opened as a follower (OpenFollower)"));
  }
  const auto start = std::chrono::steady_clock::now();
  MutexLock follow(&follow_mu_);
  {
    MutexLock lock(&mu_);
    if (closing_) return absl::FailedPreconditionError("engine: closed");
  }
  CatchUpReport report;
  STRATA_ASSIGN_OR_RETURN(Follower::View view, follower_->CatchUp(&report));
  // A new version only when an edit came; its read index is built by the
  // first read that needs it, not here (engine/version.h).
  std::shared_ptr<const Version> next;
  if (view.state_changed) next = versions_.Make(view.state);
  // The tables the new edits add are opened now, and the ones they remove
  // let go: an open table stays readable after the primary deletes it, so
  // a reader never meets a table that vanished between a catch-up and its
  // read (only tables older than this follower's open are opened when
  // first read, catching up again if the primary deleted one meanwhile).
  for (const manifest::Edit& edit : view.edits) {
    for (const manifest::Op& op : edit.ops) {
      if (const auto* add = std::get_if<manifest::AddTable>(&op)) {
        tables_.Get(add->table.number).IgnoreError();
      } else if (const auto* rm = std::get_if<manifest::RemoveTable>(&op)) {
        tables_.Evict(rm->number);
      } else if (const auto* c = std::get_if<manifest::Compaction>(&op)) {
        for (uint64_t n : c->removed) tables_.Evict(n);
        for (const manifest::TableMeta& t : c->added) {
          tables_.Get(t.number).IgnoreError();
        }
      }
    }
  }
  if (events_ != nullptr) {
    // The first catch-up (and a reload) gives the state; then each edit.
    if (view.reloaded) {
      events_->Push(
          [state = view.state](EventListener& l) { l.OnRecovered({state}); });
    }
    for (manifest::Edit& edit : view.edits) {
      events_->Push([edit = std::move(edit)](EventListener& l) {
        l.OnEditCommitted(edit);
      });
    }
  }
  {
    MutexLock lock(&mu_);
    if (next != nullptr) std::swap(current_, next);
    mem_ = std::move(view.active);
    frozen_.clear();
    for (FrozenMemTable& f : view.frozen) frozen_.push_back(std::move(f));
    RaiseVisibleLsn(view.lsn);
  }
  report.duration = std::chrono::steady_clock::now() - start;
  return report;
}

bool EngineImpl::CatchUpForRead() const {
  // CatchUp changes only what readers see, which a const read may ask for
  // as a cache fill: the engine itself is never const.
  absl::StatusOr<CatchUpReport> r = const_cast<EngineImpl*>(this)->CatchUp();
  return r.ok() && (r->edits > 0 || r->reloaded);
}

}  // namespace strata::engine
