#include "testing/random.h"

namespace strata::testing {

std::string Random::Bytes(size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(Next64() >> 56);
  return out;
}

std::string Random::Printable(size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(' ' + Uniform(95));
  return out;
}

}  // namespace strata::testing
