// Tagged-field records: the encoding of every on-disk structure that must be
// able to evolve (manifest edits and snapshots, table properties).
//
// A record is a sequence of fields. Each field starts with a varint key
//
//   key = field_number << 3 | skippable << 2 | wire_type
//
// followed by its value: a varint (wire type 0), 8 little-endian bytes
// (wire type 1) or a varint length and that many bytes (wire type 2).
// Wire type 3 and field number 0 are invalid. Field numbers are chosen once
// per structure and never reused.
//
// A reader that meets a field number it does not know skips it if the writer
// marked it skippable, and otherwise refuses the record with
// FailedPrecondition saying that a newer format version wrote it — not that
// it is corrupt. docs/encoding.md gives the rules for evolving a structure.
//
//   TaggedReader in(&decoder);
//   TaggedField f;
//   while (in.Next(&f)) {
//     absl::Status s;
//     switch (f.number) {
//       case 1: s = in.Varint(f, &meta.number); break;
//       case 2: s = in.Bytes(f, &meta.smallest); break;
//       default: s = in.Unknown(f);
//     }
//     if (!s.ok()) return s;
//   }
//   return in.status();

#ifndef STRATA_ENCODING_TAGGED_H_
#define STRATA_ENCODING_TAGGED_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "encoding/coding.h"

namespace strata {

enum class WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kBytes = 2,
};

// What a reader that does not know a field may do with it.
enum class IfUnknown : uint8_t {
  kRefuse = 0,  // Older readers must refuse the record.
  kSkip = 1,    // Older readers may ignore the field.
};

// The key of a field (see the top of this file).
constexpr uint64_t TaggedKey(uint32_t number, WireType type,
                             IfUnknown if_unknown = IfUnknown::kRefuse) {
  return (uint64_t{number} << 3) |
         (if_unknown == IfUnknown::kSkip ? uint64_t{1} << 2 : 0) |
         static_cast<uint64_t>(type);
}

// Field encoders that write at `dst` and return the byte after, for loops
// that size their output first (a snapshot's million tables): the same
// bytes as TaggedWriter, without a string append per value. `dst` must
// have room for the size the matching *Size function gives. Inline: they
// are called per field.
inline char* EncodeTaggedVarint(char* dst, uint32_t number, uint64_t value,
                                IfUnknown if_unknown = IfUnknown::kRefuse) {
  dst = EncodeVarint64(dst, TaggedKey(number, WireType::kVarint, if_unknown));
  return EncodeVarint64(dst, value);
}
inline size_t TaggedVarintSize(uint32_t number, uint64_t value,
                               IfUnknown if_unknown = IfUnknown::kRefuse) {
  return VarintLength(TaggedKey(number, WireType::kVarint, if_unknown)) +
         VarintLength(value);
}
// A bytes field's key and length; its `length` bytes follow.
inline char* EncodeTaggedBytesHeader(
    char* dst, uint32_t number, size_t length,
    IfUnknown if_unknown = IfUnknown::kRefuse) {
  dst = EncodeVarint64(dst, TaggedKey(number, WireType::kBytes, if_unknown));
  return EncodeVarint64(dst, length);
}
inline char* EncodeTaggedBytes(char* dst, uint32_t number,
                               absl::string_view value,
                               IfUnknown if_unknown = IfUnknown::kRefuse) {
  dst = EncodeTaggedBytesHeader(dst, number, value.size(), if_unknown);
  if (!value.empty()) std::memcpy(dst, value.data(), value.size());
  return dst + value.size();
}
// The whole field: key, length and `length` bytes.
inline size_t TaggedBytesSize(uint32_t number, size_t length,
                              IfUnknown if_unknown = IfUnknown::kRefuse) {
  return VarintLength(TaggedKey(number, WireType::kBytes, if_unknown)) +
         VarintLength(length) + length;
}

// Appends tagged fields to a string. Thread-compatible.
class TaggedWriter {
 public:
  // `dst` must outlive the writer.
  explicit TaggedWriter(std::string* dst) : dst_(dst) {}

  void Varint(uint32_t number, uint64_t value,
              IfUnknown if_unknown = IfUnknown::kRefuse);
  void Signed(uint32_t number, int64_t value,
              IfUnknown if_unknown = IfUnknown::kRefuse);
  void Fixed64(uint32_t number, uint64_t value,
               IfUnknown if_unknown = IfUnknown::kRefuse);
  void Bytes(uint32_t number, absl::string_view value,
             IfUnknown if_unknown = IfUnknown::kRefuse);
  void Bool(uint32_t number, bool value,
            IfUnknown if_unknown = IfUnknown::kRefuse);

 private:
  void Key(uint32_t number, IfUnknown if_unknown, WireType type);

  std::string* const dst_;
};

// The layout of a field key (see the top of this file).
namespace tagged_key {
constexpr int kNumberShift = 3;
constexpr uint64_t kSkippableBit = 1 << 2;
constexpr uint64_t kTypeMask = 3;
constexpr uint64_t kInvalidType = 3;
}  // namespace tagged_key

// One decoded field. `bytes` points into the decoder's input.
struct TaggedField {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  bool skippable = false;
  uint64_t value = 0;       // kVarint and kFixed64
  absl::string_view bytes;  // kBytes
  uint64_t offset = 0;      // Absolute offset of the field's key.
};

// For a reader that gets a record in pieces (a large snapshot read a window
// at a time): the length of the longest prefix of `data` made of whole
// fields, to decode now. A field cut off by the end of `data` is left for
// the next piece; *next_field_size is then its whole size if its key (and
// length) are already in `data`, else 0. Malformed input (a key of wire
// type 3, a varint longer than 10 bytes) is put in the prefix, which then
// runs to the end of `data`, so that the reader reports it.
size_t TaggedPrefix(absl::string_view data, uint64_t* next_field_size);

// Reads tagged fields from a Decoder until its input ends.
// Thread-compatible.
class TaggedReader {
 public:
  // `in` must outlive the reader.
  explicit TaggedReader(Decoder* in) : in_(in) {}

  // Reads the next field: true if one was read; false at the end of input
  // or on malformed input, which status() then reports.
  [[nodiscard]] bool Next(TaggedField* field) {
    if (in_->empty() || !status_.ok()) return false;
    field->offset = in_->offset();
    uint64_t key;
    if (absl::Status s = in_->GetVarint64("field key", &key); !s.ok()) {
      return Fail(std::move(s));
    }
    const uint64_t number = key >> tagged_key::kNumberShift;
    const uint64_t type = key & tagged_key::kTypeMask;
    if (number == 0 || number > UINT32_MAX ||
        type == tagged_key::kInvalidType) {
      return BadKey(key);
    }
    field->number = static_cast<uint32_t>(number);
    field->type = static_cast<WireType>(type);
    field->skippable = (key & tagged_key::kSkippableBit) != 0;
    absl::Status s;
    switch (field->type) {
      case WireType::kVarint:
        s = in_->GetVarint64("field value", &field->value);
        break;
      case WireType::kFixed64:
        s = in_->GetFixed64("field value", &field->value);
        break;
      case WireType::kBytes:
        s = in_->GetLengthPrefixed("field value", &field->bytes);
        break;
    }
    return s.ok() || BadValue(*field, s);
  }
  // OK unless Next met malformed input.
  const absl::Status& status() const { return status_; }

  // Typed views of a field; DataLoss if the wire type does not match.
  [[nodiscard]] absl::Status Varint(const TaggedField& f, uint64_t* v) const {
    if (f.type != WireType::kVarint) return WrongType(f, WireType::kVarint);
    *v = f.value;
    return absl::OkStatus();
  }
  [[nodiscard]] absl::Status Varint32(const TaggedField& f, uint32_t* v) const;
  [[nodiscard]] absl::Status Signed(const TaggedField& f, int64_t* v) const {
    if (f.type != WireType::kVarint) return WrongType(f, WireType::kVarint);
    *v = ZigZagDecode64(f.value);
    return absl::OkStatus();
  }
  [[nodiscard]] absl::Status Fixed64(const TaggedField& f, uint64_t* v) const {
    if (f.type != WireType::kFixed64) return WrongType(f, WireType::kFixed64);
    *v = f.value;
    return absl::OkStatus();
  }
  [[nodiscard]] absl::Status Bytes(const TaggedField& f,
                                   absl::string_view* v) const {
    if (f.type != WireType::kBytes) return WrongType(f, WireType::kBytes);
    *v = f.bytes;
    return absl::OkStatus();
  }
  [[nodiscard]] absl::Status Bytes(const TaggedField& f, std::string* v) const {
    if (f.type != WireType::kBytes) return WrongType(f, WireType::kBytes);
    v->assign(f.bytes.data(), f.bytes.size());
    return absl::OkStatus();
  }
  [[nodiscard]] absl::Status Bool(const TaggedField& f, bool* v) const;
  // For a field number the caller does not know: OK if skippable, otherwise
  // FailedPrecondition ("written by a newer format version").
  [[nodiscard]] absl::Status Unknown(const TaggedField& f) const;
  // DataLoss at the field: for callers' own checks (a duplicate, a missing
  // required field, a value out of range).
  [[nodiscard]] absl::Status Error(const TaggedField& f,
                                   absl::string_view problem) const;

 private:
  absl::Status WrongType(const TaggedField& f, WireType expected) const;
  bool Fail(absl::Status status);
  bool BadKey(uint64_t key);
  bool BadValue(const TaggedField& f, const absl::Status& s);

  Decoder* const in_;
  absl::Status status_;
};

}  // namespace strata

#endif  // STRATA_ENCODING_TAGGED_H_
