#include "testing/watchdog.h"

#include <cstdio>
#include <cstdlib>

namespace strata::testing {

Watchdog::Watchdog(std::chrono::milliseconds deadline, std::string what)
    : deadline_(deadline) {
  Step(std::move(what));
  thread_ = std::thread([this] { Watch(); });
}

Watchdog::~Watchdog() {
  {
    MutexLock lock(&mu_);
    done_ = true;
  }
  cv_.SignalAll();
  thread_.join();
}

void Watchdog::Step(std::string what) {
  MutexLock lock(&mu_);
  what_ = std::move(what);
  until_ = std::chrono::steady_clock::now() + deadline_;
}

void Watchdog::Watch() {
  MutexLock lock(&mu_);
  while (!done_) {
    const auto left = until_ - std::chrono::steady_clock::now();
    if (left <= left.zero()) {
      std::fprintf(stderr, "watchdog: %s did not finish within %lld ms\n",
                   what_.c_str(), static_cast<long long>(deadline_.count()));
      std::fflush(stderr);
      std::abort();
    }
    cv_.WaitFor(&mu_, left);
  }
}

}  // namespace strata::testing
