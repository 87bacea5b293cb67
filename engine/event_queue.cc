#include "engine/event_queue.h"

#include <utility>

namespace strata::engine {

const char* CompactionReasonName(CompactionReason reason) {
  switch (reason) {
    case CompactionReason::kSizeTiered:
      return "size-tiered";
    case CompactionReason::kTombstones:
      return "tombstones";
    case CompactionReason::kManual:
      return "manual";
  }
  return "unknown";
}

EventQueue::EventQueue(std::vector<std::shared_ptr<EventListener>> listeners,
                       size_t max_queued)
    : listeners_(std::move(listeners)),
      max_queued_(max_queued == 0 ? 1 : max_queued),
      thread_([this] { Loop(); }) {}

EventQueue::~EventQueue() { Stop(); }

void EventQueue::Push(Event event) {
  MutexLock lock(&mu_);
  if (stopping_) return;
  queue_.push_back(std::move(event));
  ++pushed_;
  cv_.SignalAll();
}

void EventQueue::WaitForRoom() {
  MutexLock lock(&mu_);
  while (!stopping_ && queue_.size() >= max_queued_) cv_.Wait(&mu_);
}

void EventQueue::Drain() {
  MutexLock lock(&mu_);
  const uint64_t target = pushed_;
  while (delivered_ < target) cv_.Wait(&mu_);
}

void EventQueue::Stop() {
  {
    MutexLock lock(&mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
    thread_.join();
  }
}

void EventQueue::Loop() {
  while (true) {
    Event event;
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !stopping_) cv_.Wait(&mu_);
      if (queue_.empty()) return;  // Stopping, and everything delivered.
      event = std::move(queue_.front());
      queue_.pop_front();
    }
    for (const std::shared_ptr<EventListener>& listener : listeners_) {
      event(*listener);
    }
    MutexLock lock(&mu_);
    ++delivered_;
    cv_.SignalAll();
  }
}

}  // namespace strata::engine
