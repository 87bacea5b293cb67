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

}  // namespace

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
