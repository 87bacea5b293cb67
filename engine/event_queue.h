// EventQueue: delivers engine events (engine/events.h) to listeners on a
// thread of its own, in the order they were pushed, with no engine lock
// held. Internal to the engine.
//
// Push never blocks (it is called under the engine's and the manifest's
// locks); the queue is bounded instead by WaitForRoom, which the engine's
// background work calls before each step, so a slow listener slows
// background work and loses nothing.
//
// Thread-safety: safe for concurrent use.

#ifndef STRATA_ENGINE_EVENT_QUEUE_H_
#define STRATA_ENGINE_EVENT_QUEUE_H_

#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "engine/events.h"
#include "io/mutex.h"

namespace strata::engine {

class EventQueue {
 public:
  using Event = std::function<void(EventListener&)>;

  // Starts the delivery thread.
  EventQueue(std::vector<std::shared_ptr<EventListener>> listeners,
             size_t max_queued);
  // Stop().
  ~EventQueue();
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Queues `event` for every listener. After Stop, does nothing.
  void Push(Event event) ABSL_LOCKS_EXCLUDED(mu_);
  // Returns once fewer than max_queued events await delivery (or stopped).
  void WaitForRoom() ABSL_LOCKS_EXCLUDED(mu_);
  // Returns once every event pushed before the call was delivered.
  void Drain() ABSL_LOCKS_EXCLUDED(mu_);
  // Delivers what is queued, then ends the thread. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);

  const std::vector<std::shared_ptr<EventListener>> listeners_;
  const size_t max_queued_;
  Mutex mu_;
  CondVar cv_;  // Pushed, delivered, or stopping.
  std::deque<Event> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t pushed_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_EVENT_QUEUE_H_
