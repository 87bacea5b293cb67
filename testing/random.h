// Deterministic data for tests and benchmarks: the same seed gives the same
// bytes on every machine and every run, so a failure can be replayed.

#ifndef STRATA_TESTING_RANDOM_H_
#define STRATA_TESTING_RANDOM_H_

#include <cstdint>
#include <string>

namespace strata::testing {

// xorshift64* generator. Thread-compatible.
class Random {
 public:
  explicit Random(uint64_t seed)
      : state_(seed == 0 ? 0x9E3779B97F4A7C15 : seed) {}

  uint64_t Next64() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
  }
  // Uniform in [0, n); n must be positive.
  uint64_t Uniform(uint64_t n) { return Next64() % n; }
  // True with probability 1/n.
  bool OneIn(uint64_t n) { return Uniform(n) == 0; }
  // A value with a random bit length, so small and large magnitudes are
  // equally common: good for varint and boundary coverage.
  uint64_t Skewed64() {
    const int bits = static_cast<int>(Uniform(65));
    return bits == 0 ? 0 : Next64() >> (64 - bits);
  }
  // `n` random bytes, each in the full 0..255 range.
  std::string Bytes(size_t n);
  // `n` random printable ASCII characters.
  std::string Printable(size_t n);

 private:
  uint64_t state_;
};

}  // namespace strata::testing

#endif  // STRATA_TESTING_RANDOM_H_
