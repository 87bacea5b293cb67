#include "encoding/tagged.h"

#include "absl/strings/str_format.h"

namespace strata {
namespace {

using tagged_key::kNumberShift;
using tagged_key::kSkippableBit;
using tagged_key::kTypeMask;

absl::string_view TypeName(WireType type) {
  switch (type) {
    case WireType::kVarint:
      return "varint";
    case WireType::kFixed64:
      return "fixed64";
    case WireType::kBytes:
      return "bytes";
  }
  return "invalid";
}

enum class Scan { kWhole, kCut, kMalformed };

// Reads a varint at *p (before `end`) without judging its value: a varint
// longer than 10 bytes is malformed; one that `end` cuts is cut.
Scan ScanVarint(const char** p, const char* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*p == end) return Scan::kCut;
    const auto byte = static_cast<uint8_t>(*(*p)++);
    result |= uint64_t{byte & 0x7fu} << (shift < 64 ? shift : 0);
    if ((byte & 0x80) == 0) {
      *v = result;
      return Scan::kWhole;
    }
  }
  return Scan::kMalformed;
}

}  // namespace

size_t TaggedPrefix(absl::string_view data, uint64_t* next_field_size) {
  *next_field_size = 0;
  const char* const begin = data.data();
  const char* const end = begin + data.size();
  const char* whole = begin;  // End of the last whole field.
  while (whole < end) {
    const char* p = whole;
    uint64_t key = 0;
    uint64_t value = 0;
    Scan scan = ScanVarint(&p, end, &key);
    if (scan == Scan::kWhole) {
      switch (key & kTypeMask) {
        case static_cast<uint64_t>(WireType::kVarint):
          scan = ScanVarint(&p, end, &value);
          break;
        case static_cast<uint64_t>(WireType::kFixed64):
          if (end - p < 8) {
            *next_field_size = (p - whole) + 8;
            scan = Scan::kCut;
          } else {
            p += 8;
          }
          break;
        case static_cast<uint64_t>(WireType::kBytes):
          scan = ScanVarint(&p, end, &value);
          if (scan == Scan::kWhole && value > static_cast<uint64_t>(end - p)) {
            const auto head = static_cast<uint64_t>(p - whole);
            *next_field_size =
                value > UINT64_MAX - head ? UINT64_MAX : head + value;
            scan = Scan::kCut;
          } else if (scan == Scan::kWhole) {
            p += value;
          }
          break;
        default:
          scan = Scan::kMalformed;
      }
    }
    if (scan == Scan::kMalformed) return data.size();
    if (scan == Scan::kCut) break;
    whole = p;
  }
  return whole - begin;
}

static_assert(TaggedKey(1, WireType::kBytes, IfUnknown::kSkip) ==
              ((uint64_t{1} << kNumberShift) | kSkippableBit |
               static_cast<uint64_t>(WireType::kBytes)));

void TaggedWriter::Key(uint32_t number, IfUnknown if_unknown, WireType type) {
  PutVarint64(dst_, TaggedKey(number, type, if_unknown));
}

void TaggedWriter::Varint(uint32_t number, uint64_t value,
                          IfUnknown if_unknown) {
  char buf[2 * kMaxVarint64Bytes];
  dst_->append(buf, EncodeTaggedVarint(buf, number, value, if_unknown) - buf);
}

void TaggedWriter::Signed(uint32_t number, int64_t value,
                          IfUnknown if_unknown) {
  Varint(number, ZigZagEncode64(value), if_unknown);
}

void TaggedWriter::Fixed64(uint32_t number, uint64_t value,
                           IfUnknown if_unknown) {
  Key(number, if_unknown, WireType::kFixed64);
  PutFixed64(dst_, value);
}

void TaggedWriter::Bytes(uint32_t number, absl::string_view value,
                         IfUnknown if_unknown) {
  char buf[2 * kMaxVarint64Bytes];
  dst_->append(
      buf,
      EncodeTaggedBytesHeader(buf, number, value.size(), if_unknown) - buf);
  dst_->append(value.data(), value.size());
}

void TaggedWriter::Bool(uint32_t number, bool value, IfUnknown if_unknown) {
  Varint(number, value ? 1 : 0, if_unknown);
}

bool TaggedReader::Fail(absl::Status status) {
  status_ = std::move(status);
  return false;
}

bool TaggedReader::BadKey(uint64_t key) {
  const uint64_t number = key >> kNumberShift;
  if (number == 0 || number > UINT32_MAX) {
    return Fail(in_->Error("field key",
                           absl::StrFormat("invalid field number %d", number)));
  }
  return Fail(in_->Error(
      "field key", absl::StrFormat("field %d has invalid wire type %d", number,
                                   key & kTypeMask)));
}

bool TaggedReader::BadValue(const TaggedField& f, const absl::Status& s) {
  return Fail(absl::DataLossError(
      absl::StrFormat("%s (field %d)", s.message(), f.number)));
}

absl::Status TaggedReader::Error(const TaggedField& f,
                                 absl::string_view problem) const {
  return absl::DataLossError(absl::StrFormat("%s: field %d at offset %d: %s",
                                             in_->what(), f.number, f.offset,
                                             problem));
}

absl::Status TaggedReader::WrongType(const TaggedField& f,
                                     WireType expected) const {
  return Error(f, absl::StrFormat("wire type is %s, expected %s",
                                  TypeName(f.type), TypeName(expected)));
}

absl::Status TaggedReader::Varint32(const TaggedField& f, uint32_t* v) const {
  if (f.type != WireType::kVarint) return WrongType(f, WireType::kVarint);
  if (f.value > UINT32_MAX) {
    return Error(f, absl::StrFormat("value %d overflows 32 bits", f.value));
  }
  *v = static_cast<uint32_t>(f.value);
  return absl::OkStatus();
}

absl::Status TaggedReader::Bool(const TaggedField& f, bool* v) const {
  if (f.type != WireType::kVarint) return WrongType(f, WireType::kVarint);
  if (f.value > 1) {
    return Error(f, absl::StrFormat("bool is %d, not 0 or 1", f.value));
  }
  *v = f.value == 1;
  return absl::OkStatus();
}

absl::Status TaggedReader::Unknown(const TaggedField& f) const {
  if (f.skippable) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrFormat(
      "%s: field %d at offset %d is unknown to this version and not marked "
      "skippable: the data was written by a newer format version",
      in_->what(), f.number, f.offset));
}

}  // namespace strata
