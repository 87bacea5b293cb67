#include "wal/format.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "encoding/coding.h"
#include "encoding/crc32c.h"
#include "io/file_system.h"
#include "io/status_macros.h"

namespace strata::wal {
namespace {

constexpr size_t kCrcCoveredBytes = 24;

}  // namespace

void SegmentHeader::EncodeTo(std::string* dst) const {
  const size_t start = dst->size();
  PutFixed32(dst, kMagic);
  PutFixed16(dst, kFormatVersion);
  PutFixed16(dst, 0);
  PutFixed64(dst, number_);
  PutFixed64(dst, nonce_);
  PutFixed32(dst, Checksum::Of(absl::string_view(dst->data() + start,
                                                 kCrcCoveredBytes)));
}

absl::Status SegmentHeader::DecodeFrom(absl::string_view in,
                                       absl::string_view file,
                                       SegmentHeader* header) {
  const std::string what = absl::StrCat(file, " segment header");
  if (in.size() < kSize) {
    return absl::DataLossError(absl::StrFormat("%s: truncated: %d of %d bytes",
                                               what, in.size(), kSize));
  }
  Decoder d(in.substr(0, kSize), what);
  uint32_t magic = 0, crc = 0;
  uint16_t version = 0, reserved = 0;
  uint64_t number = 0, nonce = 0;
  STRATA_RETURN_IF_ERROR(d.GetFixed32("magic", &magic));
  STRATA_RETURN_IF_ERROR(d.GetFixed16("version", &version));
  STRATA_RETURN_IF_ERROR(d.GetFixed16("reserved", &reserved));
  STRATA_RETURN_IF_ERROR(d.GetFixed64("segment number", &number));
  STRATA_RETURN_IF_ERROR(d.GetFixed64("nonce", &nonce));
  STRATA_RETURN_IF_ERROR(d.GetFixed32("checksum", &crc));
  if (magic != kMagic) {
    return absl::DataLossError(absl::StrFormat(
        "%s: bad magic 0x%08x at offset 0 (expected 0x%08x): not a WAL "
        "segment",
        what, magic, kMagic));
  }
  STRATA_RETURN_IF_ERROR(
      Checksum::Verify(crc, in.substr(0, kCrcCoveredBytes), what, 0));
  if (version != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: format version %d at offset 4: this build reads version %d; "
        "the segment was written by a newer format version",
        what, version, kFormatVersion));
  }
  *header = SegmentHeader(number, nonce);
  return absl::OkStatus();
}

uint32_t FragmentCrcSeed(uint64_t nonce) {
  char buf[8];
  EncodeFixed64(buf, nonce);
  return crc32c::Value(absl::string_view(buf, 8));
}

namespace {

// The checksum covers the type byte and the payload, which follow each other
// on disk: one CRC call per fragment.
constexpr size_t kTypeOffset = 6;

uint32_t FragmentCrc(uint32_t seed, const char* type_and_payload,
                     size_t length) {
  return crc32c::Mask(
      crc32c::Extend(seed, absl::string_view(type_and_payload, 1 + length)));
}

}  // namespace

void FragmentHeader::AppendFragment(uint32_t seed, FragmentType type,
                                    absl::string_view payload,
                                    std::string* dst) {
  const size_t start = dst->size();
  dst->resize(start + kSize);
  dst->append(payload.data(), payload.size());
  char* p = dst->data() + start;
  EncodeFixed16(p + 4, static_cast<uint16_t>(payload.size()));
  p[kTypeOffset] = static_cast<char>(type);
  EncodeFixed32(p, FragmentCrc(seed, p + kTypeOffset, payload.size()));
}

FragmentHeader::FragmentHeader(const char* p)
    : masked_crc_(DecodeFixed32(p)),
      length_(DecodeFixed16(p + 4)),
      type_(static_cast<uint8_t>(p[kTypeOffset])) {}

bool FragmentHeader::Matches(uint32_t seed, const char* p,
                             size_t length) const {
  return crc32c::kChecksumsBypassed ||
         FragmentCrc(seed, p + kTypeOffset, length) == masked_crc_;
}

std::string SegmentFileName(uint64_t number) {
  return io::NumberedFileName(number, ".log");
}

std::optional<uint64_t> ParseSegmentFileName(absl::string_view name) {
  return io::ParseNumberedFileName(name, ".log");
}

}  // namespace strata::wal
