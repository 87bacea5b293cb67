// A deadline for a test step that might never return (a reader looping on
// bad input): if the step is still running when the deadline passes, the
// watchdog prints what hung and aborts the test binary at once, instead of
// leaving it to spin until the test runner's timeout.
//
//   testing::Watchdog watchdog(std::chrono::seconds(5));
//   for (...) {
//     watchdog.Step("reading a log of " + ...);  // The deadline restarts.
//     ... the step ...
//   }
//   // Disarmed when it goes out of scope.
//
// Thread-safety: safe for concurrent use.

#ifndef STRATA_TESTING_WATCHDOG_H_
#define STRATA_TESTING_WATCHDOG_H_

#include <chrono>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "io/mutex.h"

namespace strata::testing {

class Watchdog {
 public:
  // Each step must end within `deadline` of its start.
  Watchdog(std::chrono::milliseconds deadline, std::string what = "a step");
  // Disarms the watchdog: the step returned in time.
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Starts the next step, named `what` in a hang report: its deadline runs
  // from now. One watchdog serves many steps (a thread per step would cost
  // more than the steps).
  void Step(std::string what) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Watch() ABSL_LOCKS_EXCLUDED(mu_);

  const std::chrono::milliseconds deadline_;

  Mutex mu_;
  CondVar cv_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::string what_ ABSL_GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point until_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace strata::testing

#endif  // STRATA_TESTING_WATCHDOG_H_
