// Fuzzes every decoder entry point of //encoding: the Decoder primitives
// and TaggedReader. Each input is decoded as a sequence of primitives chosen
// by its first bytes; whatever decodes is re-encoded and decoded again and
// must come back equal. Limits are small so that a length past them must be
// refused rather than allocated.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "encoding/coding.h"
#include "encoding/tagged.h"

namespace strata {
namespace {

constexpr DecodeLimits kLimits{.max_bytes_length = 512, .max_count = 1000};

void Check(bool ok) {
  if (!ok) abort();
}

// Decodes one integer of kind `kind` (0..3) and checks its round trip.
bool DecodeInteger(int kind, Decoder& in) {
  std::string out;
  switch (kind) {
    case 0: {
      uint64_t v = 0;
      if (!in.GetVarint64("v64", &v).ok()) return false;
      PutVarint64(&out, v);
      uint64_t back;
      Check(Decoder(out).GetVarint64("", &back).ok() && back == v);
      return true;
    }
    case 1: {
      uint32_t v = 0;
      if (!in.GetVarint32("v32", &v).ok()) return false;
      PutVarint32(&out, v);
      uint32_t back;
      Check(Decoder(out).GetVarint32("", &back).ok() && back == v);
      return true;
    }
    case 2: {
      int64_t v = 0;
      if (!in.GetVarsint64("s64", &v).ok()) return false;
      PutVarsint64(&out, v);
      int64_t back;
      Check(Decoder(out).GetVarsint64("", &back).ok() && back == v);
      return true;
    }
    case 3: {
      uint64_t v = 0;
      if (!in.GetFixed64("f64", &v).ok()) return false;
      PutFixed64(&out, v);
      Check(DecodeFixed64(out.data()) == v);
      return true;
    }
  }
  return false;
}

// Decodes one primitive of kind `kind` and checks its round trip.
bool DecodeOne(int kind, Decoder& in) {
  if (kind % 8 < 4) return DecodeInteger(kind % 8, in);
  std::string out;
  switch (kind % 8) {
    case 4: {
      bool v = false;
      if (!in.GetBool("bool", &v).ok()) return false;
      PutBool(&out, v);
      Check(out.size() == 1 && out[0] == (v ? 1 : 0));
      return true;
    }
    case 5: {
      absl::string_view v;
      if (!in.GetLengthPrefixed("bytes", &v).ok()) return false;
      Check(v.size() <= kLimits.max_bytes_length);
      PutLengthPrefixed(&out, v);
      absl::string_view back;
      Check(Decoder(out).GetLengthPrefixed("", &back).ok() && back == v);
      return true;
    }
    case 6: {
      uint64_t n;
      if (!in.GetCount("count", &n, 2).ok()) return false;
      Check(n <= kLimits.max_count && n * 2 <= in.remaining());
      return true;
    }
    default: {
      uint16_t v = 0;
      if (!in.GetFixed16("f16", &v).ok()) return false;
      return true;
    }
  }
}

void FuzzPrimitives(absl::string_view data) {
  if (data.empty()) return;
  const unsigned char plan = data[0];
  Decoder in(data.substr(1), "fuzz", 1, kLimits);
  for (int step = 0; !in.empty(); ++step) {
    const uint64_t before = in.offset();
    const bool ok = DecodeOne(plan + step, in);
    // Success consumes input; failure consumes none.
    Check(ok ? in.offset() > before : in.offset() == before);
    if (!ok) return;
  }
}

void FuzzTagged(absl::string_view data) {
  Decoder in(data, "fuzz", 0, kLimits);
  TaggedReader reader(&in);
  std::string reencoded;
  TaggedWriter writer(&reencoded);
  TaggedField f;
  while (reader.Next(&f)) {
    const IfUnknown skip = f.skippable ? IfUnknown::kSkip : IfUnknown::kRefuse;
    switch (f.type) {
      case WireType::kVarint:
        writer.Varint(f.number, f.value, skip);
        break;
      case WireType::kFixed64:
        writer.Fixed64(f.number, f.value, skip);
        break;
      case WireType::kBytes:
        Check(f.bytes.size() <= kLimits.max_bytes_length);
        writer.Bytes(f.number, f.bytes, skip);
        break;
    }
    // Unknown() must answer without crashing either way.
    Check(reader.Unknown(f).ok() == f.skippable);
  }
  // Everything that decoded re-encodes to fields that decode the same.
  Decoder again(reencoded);
  TaggedReader back(&again);
  TaggedField g;
  while (back.Next(&g)) {
  }
  Check(back.status().ok());
}

}  // namespace
}  // namespace strata

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  strata::FuzzPrimitives(input);
  strata::FuzzTagged(input);
  return 0;
}
