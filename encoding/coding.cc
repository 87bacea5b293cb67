#include "encoding/coding.h"

#include "absl/strings/str_format.h"
#include "io/status_macros.h"

namespace strata {

void PutFixed16(std::string* dst, uint16_t v) {
  char buf[2];
  EncodeFixed16(buf, v);
  dst->append(buf, 2);
}

void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  EncodeFixed32(buf, v);
  dst->append(buf, 4);
}

void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  EncodeFixed64(buf, v);
  dst->append(buf, 8);
}

void PutVarint32(std::string* dst, uint32_t v) { PutVarint64(dst, v); }

void PutVarint64(std::string* dst, uint64_t v) {
  char buf[kMaxVarint64Bytes];
  dst->append(buf, EncodeVarint64(buf, v) - buf);
}

void PutVarsint32(std::string* dst, int32_t v) {
  PutVarint64(dst, ZigZagEncode64(v));
}

void PutVarsint64(std::string* dst, int64_t v) {
  PutVarint64(dst, ZigZagEncode64(v));
}

void PutLengthPrefixed(std::string* dst, absl::string_view bytes) {
  PutVarint64(dst, bytes.size());
  dst->append(bytes.data(), bytes.size());
}

void PutBool(std::string* dst, bool v) { dst->push_back(v ? 1 : 0); }

bool internal::GetVarint64Slow(absl::string_view* in, uint64_t* v) {
  const auto* p = reinterpret_cast<const unsigned char*>(in->data());
  const size_t limit =
      in->size() < kMaxVarint64Bytes ? in->size() : kMaxVarint64Bytes;
  uint64_t result = 0;
  for (size_t i = 0; i < limit; ++i) {
    const uint64_t byte = p[i];
    // The tenth byte may only carry the top bit of a 64-bit value.
    if (i == kMaxVarint64Bytes - 1 && byte > 1) return false;
    result |= (byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      *v = result;
      in->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

bool GetVarint32(absl::string_view* in, uint32_t* v) {
  absl::string_view probe = *in;
  uint64_t wide;
  if (!GetVarint64(&probe, &wide) || wide > UINT32_MAX ||
      in->size() - probe.size() > kMaxVarint32Bytes) {
    return false;
  }
  *v = static_cast<uint32_t>(wide);
  *in = probe;
  return true;
}

absl::Status Decoder::Error(absl::string_view field,
                            absl::string_view problem) const {
  return absl::DataLossError(absl::StrFormat("%s: %s at offset %d: %s", what_,
                                             field, offset(), problem));
}

absl::Status Decoder::Truncated(absl::string_view field, size_t needed) const {
  return Error(field, absl::StrFormat("truncated: needs %d bytes, %d remain",
                                      needed, rest_.size()));
}

absl::Status Decoder::GetFixed16(absl::string_view field, uint16_t* v) {
  if (rest_.size() < 2) return Truncated(field, 2);
  *v = DecodeFixed16(rest_.data());
  rest_.remove_prefix(2);
  return absl::OkStatus();
}

absl::Status Decoder::VarintError(absl::string_view field) const {
  if (rest_.size() < kMaxVarint64Bytes) {
    bool ends = false;
    for (char c : rest_) ends |= (static_cast<unsigned char>(c) < 0x80);
    if (!ends) return Error(field, "truncated varint");
  }
  return Error(field, "varint overflows 64 bits");
}

absl::Status Decoder::LengthPrefixedError(absl::string_view field) const {
  absl::string_view probe = rest_;
  uint64_t length;
  if (!strata::GetVarint64(&probe, &length)) return VarintError(field);
  if (length > limits_.max_bytes_length) {
    return Error(field, absl::StrFormat("length %d exceeds the limit of %d",
                                        length, limits_.max_bytes_length));
  }
  return Error(field, absl::StrFormat("truncated: needs %d bytes, %d remain",
                                      length, probe.size()));
}

absl::Status Decoder::GetVarint32(absl::string_view field, uint32_t* v) {
  const uint64_t start = offset();
  uint64_t wide;
  STRATA_RETURN_IF_ERROR(GetVarint64(field, &wide));
  if (wide > UINT32_MAX || offset() - start > kMaxVarint32Bytes) {
    rest_ = data_.substr(start - base_);
    return Error(field, "varint overflows 32 bits");
  }
  *v = static_cast<uint32_t>(wide);
  return absl::OkStatus();
}

absl::Status Decoder::GetVarsint64(absl::string_view field, int64_t* v) {
  uint64_t raw;
  STRATA_RETURN_IF_ERROR(GetVarint64(field, &raw));
  *v = ZigZagDecode64(raw);
  return absl::OkStatus();
}

absl::Status Decoder::GetVarsint32(absl::string_view field, int32_t* v) {
  uint32_t raw;
  STRATA_RETURN_IF_ERROR(GetVarint32(field, &raw));
  *v = static_cast<int32_t>(ZigZagDecode64(raw));
  return absl::OkStatus();
}

absl::Status Decoder::GetBool(absl::string_view field, bool* v) {
  if (rest_.empty()) return Truncated(field, 1);
  const unsigned char byte = rest_[0];
  if (byte > 1) {
    return Error(field, absl::StrFormat("bool byte is %d, not 0 or 1", byte));
  }
  *v = byte == 1;
  rest_.remove_prefix(1);
  return absl::OkStatus();
}

absl::Status Decoder::GetBytes(absl::string_view field, size_t n,
                               absl::string_view* v) {
  if (rest_.size() < n) return Truncated(field, n);
  *v = rest_.substr(0, n);
  rest_.remove_prefix(n);
  return absl::OkStatus();
}

absl::Status Decoder::GetCount(absl::string_view field, uint64_t* n,
                               size_t min_element_bytes) {
  const uint64_t start = offset();
  STRATA_RETURN_IF_ERROR(GetVarint64(field, n));
  if (*n > limits_.max_count) {
    rest_ = data_.substr(start - base_);
    return Error(field, absl::StrFormat("count %d exceeds the limit of %d", *n,
                                        limits_.max_count));
  }
  const size_t left = rest_.size();
  if (min_element_bytes > 0 && *n > left / min_element_bytes) {
    rest_ = data_.substr(start - base_);
    return Error(
        field, absl::StrFormat("count %d of %d-byte elements cannot fit in the "
                               "%d bytes left",
                               *n, min_element_bytes, left));
  }
  return absl::OkStatus();
}

absl::Status Decoder::ExpectEnd() const {
  if (rest_.empty()) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrFormat("%s: %d unexpected trailing bytes at offset %d", what_,
                      rest_.size(), offset()));
}

}  // namespace strata
