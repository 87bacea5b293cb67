// Decodes arbitrary bytes as a manifest edit and as a manifest state: never
// a crash, and whatever decodes re-encodes to bytes that decode the same.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "manifest/codec.h"

namespace {

void Check(bool ok) {
  if (!ok) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata::manifest;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  Edit edit;
  if (DecodeEdit(input, "fuzz", 0, &edit).ok()) {
    std::string again;
    EncodeEdit(edit, &again);
    Edit back;
    Check(DecodeEdit(again, "fuzz", 0, &back).ok());
    std::string third;
    EncodeEdit(back, &third);
    Check(third == again);
  }
  State state;
  if (DecodeState(input, "fuzz", 0, &state,
                  {.max_bytes_length = 4096, .max_count = 1 << 16})
          .ok()) {
    std::string again;
    EncodeState(state, &again);
    State back;
    Check(DecodeState(again, "fuzz", 0, &back).ok());
    Check(back == state);
  }
  return 0;
}
