// Decodes arbitrary bytes as a manifest edit and as a manifest state: never
// a crash, and whatever decodes re-encodes to bytes that decode the same. A
// state decoded in pieces of whole fields (as a snapshot read in small
// windows is) gives the same result as decoded at once.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "encoding/tagged.h"
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
  const strata::DecodeLimits limits{.max_bytes_length = 4096,
                                    .max_count = 1 << 16};
  State state;
  const bool whole_ok = DecodeState(input, "fuzz", 0, &state, limits).ok();

  // Pieces: every 5 bytes read, the whole fields held so far are decoded.
  State pieces;
  StateDecoder decoder(&pieces, "fuzz", limits);
  absl::Status s;
  size_t decoded = 0;
  for (size_t read = 0; s.ok() && read < size;) {
    read = std::min(read + 5, size);
    const absl::string_view held = input.substr(decoded, read - decoded);
    uint64_t next_field = 0;
    const size_t whole =
        read == size ? held.size() : strata::TaggedPrefix(held, &next_field);
    s = decoder.Decode(held.substr(0, whole), decoded);
    decoded += whole;
  }
  if (s.ok()) s = decoder.Finish(size);
  Check(s.ok() == whole_ok);
  if (whole_ok) Check(pieces == state);

  if (whole_ok) {
    std::string again;
    EncodeState(state, &again);
    State back;
    Check(DecodeState(again, "fuzz", 0, &back).ok());
    Check(back == state);
  }
  return 0;
}
