// Cursor codecs for Strata's on-disk formats. docs/encoding.md specifies
// every byte.
//
// Encoders append to a std::string. Decoding goes through a Decoder: a
// cursor over a byte range that advances itself, checks every length and
// count against DecodeLimits before allocating anything, and reports bad
// input as DataLoss naming the structure, the field and the absolute offset:
//
//   Decoder in(bytes, "manifest/000003.log record", record_offset);
//   uint64_t number;
//   absl::string_view key;
//   if (auto s = in.GetVarint64("file number", &number); !s.ok()) return s;
//   if (auto s = in.GetLengthPrefixed("smallest key", &key); !s.ok()) ...
//   return in.ExpectEnd();
//
// The raw Encode/Decode functions on char pointers are for fixed-size headers
// whose layout a small class draws (see wal/format.h).
//
// A Get that fails leaves the cursor where it was.
//
// Thread-safety: a Decoder is thread-compatible; the free functions are
// thread-safe.

#ifndef STRATA_ENCODING_CODING_H_
#define STRATA_ENCODING_CODING_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/base/config.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace strata {

static_assert(ABSL_IS_LITTLE_ENDIAN, "Strata's codecs assume little-endian");

constexpr size_t kMaxVarint32Bytes = 5;
constexpr size_t kMaxVarint64Bytes = 10;

// ---- Fixed-width little-endian, on raw buffers -----------------------------

inline void EncodeFixed16(char* dst, uint16_t v) { memcpy(dst, &v, 2); }
inline void EncodeFixed32(char* dst, uint32_t v) { memcpy(dst, &v, 4); }
inline void EncodeFixed64(char* dst, uint64_t v) { memcpy(dst, &v, 8); }
inline uint16_t DecodeFixed16(const char* p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

// ---- Append-style encoders -------------------------------------------------

void PutFixed16(std::string* dst, uint16_t v);
void PutFixed32(std::string* dst, uint32_t v);
void PutFixed64(std::string* dst, uint64_t v);
void PutVarint32(std::string* dst, uint32_t v);
void PutVarint64(std::string* dst, uint64_t v);
// Zig-zag signed varints: small magnitudes of either sign stay short.
void PutVarsint32(std::string* dst, int32_t v);
void PutVarsint64(std::string* dst, int64_t v);
// A varint length followed by the bytes.
void PutLengthPrefixed(std::string* dst, absl::string_view bytes);
// One byte: 0 or 1.
void PutBool(std::string* dst, bool v);

// Writes the varint for `v` at `dst` (room for kMaxVarint64Bytes) and
// returns the byte after it. Inline: encoders call it per field.
inline char* EncodeVarint64(char* dst, uint64_t v) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  while (v >= 0x80) {
    *p++ = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<unsigned char>(v);
  return reinterpret_cast<char*>(p);
}
// Bytes the varint encoding of `v` takes.
inline int VarintLength(uint64_t v) {
  int len = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++len;
  }
  return len;
}

constexpr uint64_t ZigZagEncode64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr int64_t ZigZagDecode64(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// ---- Bool-returning decoders on a self-advancing string_view --------------
// False on truncation or overflow, leaving *in unchanged. For hot loops;
// everything else uses Decoder, which says what went wrong and where.

namespace internal {
bool GetVarint64Slow(absl::string_view* in, uint64_t* v);
}  // namespace internal

inline bool GetVarint64(absl::string_view* in, uint64_t* v) {
  if (!in->empty() && static_cast<unsigned char>((*in)[0]) < 0x80) {
    *v = static_cast<unsigned char>((*in)[0]);
    in->remove_prefix(1);
    return true;
  }
  return internal::GetVarint64Slow(in, v);
}
bool GetVarint32(absl::string_view* in, uint32_t* v);
inline bool GetFixed32(absl::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  *v = DecodeFixed32(in->data());
  in->remove_prefix(4);
  return true;
}
inline bool GetFixed64(absl::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = DecodeFixed64(in->data());
  in->remove_prefix(8);
  return true;
}

// ---- Limits -----------------------------------------------------------------

// Bounds on what a decoder accepts, checked before any allocation, so a
// corrupt length costs an error and nothing else.
struct DecodeLimits {
  // Longest length-prefixed byte string.
  uint64_t max_bytes_length = uint64_t{64} << 20;
  // Largest element count of a repeated field.
  uint64_t max_count = uint64_t{1} << 24;
};

// ---- Decoder ------------------------------------------------------------

class Decoder {
 public:
  // Decodes `data`, which starts at byte `base_offset` of the structure
  // named by `what` (a file and what in it, for error messages). `data` must
  // outlive the decoder and every string_view it returns; `what` must
  // outlive the decoder (it is kept as a view: no temporary).
  explicit Decoder(absl::string_view data, absl::string_view what = "input",
                   uint64_t base_offset = 0, DecodeLimits limits = {})
      : data_(data),
        rest_(data),
        what_(what),
        base_(base_offset),
        limits_(limits) {}

  [[nodiscard]] absl::Status GetFixed16(absl::string_view field, uint16_t* v);
  [[nodiscard]] absl::Status GetFixed32(absl::string_view field, uint32_t* v) {
    if (strata::GetFixed32(&rest_, v)) return absl::OkStatus();
    return Truncated(field, 4);
  }
  [[nodiscard]] absl::Status GetFixed64(absl::string_view field, uint64_t* v) {
    if (strata::GetFixed64(&rest_, v)) return absl::OkStatus();
    return Truncated(field, 8);
  }
  [[nodiscard]] absl::Status GetVarint32(absl::string_view field, uint32_t* v);
  [[nodiscard]] absl::Status GetVarint64(absl::string_view field, uint64_t* v) {
    if (strata::GetVarint64(&rest_, v)) return absl::OkStatus();
    return VarintError(field);
  }
  [[nodiscard]] absl::Status GetVarsint32(absl::string_view field, int32_t* v);
  [[nodiscard]] absl::Status GetVarsint64(absl::string_view field, int64_t* v);
  // A strict bool: a byte other than 0 or 1 is DataLoss.
  [[nodiscard]] absl::Status GetBool(absl::string_view field, bool* v);
  // A length-prefixed byte string, at most limits().max_bytes_length long.
  // `*v` points into the input.
  [[nodiscard]] absl::Status GetLengthPrefixed(absl::string_view field,
                                               absl::string_view* v) {
    absl::string_view probe = rest_;
    uint64_t length;
    if (strata::GetVarint64(&probe, &length) &&
        length <= limits_.max_bytes_length && length <= probe.size()) {
      *v = probe.substr(0, length);
      rest_ = probe.substr(length);
      return absl::OkStatus();
    }
    return LengthPrefixedError(field);
  }
  // The element count of a repeated field whose elements each take at least
  // `min_element_bytes`: at most limits().max_count, and no more than the
  // remaining input could hold, so the caller may reserve() it safely.
  [[nodiscard]] absl::Status GetCount(absl::string_view field, uint64_t* n,
                                      size_t min_element_bytes = 1);
  // The next `n` bytes, raw.
  [[nodiscard]] absl::Status GetBytes(absl::string_view field, size_t n,
                                      absl::string_view* v);
  // DataLoss if any input remains.
  [[nodiscard]] absl::Status ExpectEnd() const;

  // A DataLoss error at the current offset: "<what>: <field> at offset N:
  // <problem>".
  [[nodiscard]] absl::Status Error(absl::string_view field,
                                   absl::string_view problem) const;

  bool empty() const { return rest_.empty(); }
  size_t remaining() const { return rest_.size(); }
  // Absolute offset of the next byte to decode.
  uint64_t offset() const { return base_ + (data_.size() - rest_.size()); }
  const DecodeLimits& limits() const { return limits_; }
  absl::string_view what() const { return what_; }

 private:
  absl::Status Truncated(absl::string_view field, size_t needed) const;
  absl::Status VarintError(absl::string_view field) const;
  absl::Status LengthPrefixedError(absl::string_view field) const;

  const absl::string_view data_;
  absl::string_view rest_;
  const absl::string_view what_;
  const uint64_t base_;
  const DecodeLimits limits_;
};

}  // namespace strata

#endif  // STRATA_ENCODING_CODING_H_
