#include "sstable/format.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "encoding/crc32c.h"
#include "io/file_system.h"
#include "io/status_macros.h"

namespace strata::sstable {

int CompareInternal(absl::string_view a_key, uint64_t a_lsn,
                    absl::string_view b_key, uint64_t b_lsn) {
  const int c = a_key.compare(b_key);
  if (c != 0) return c;
  if (a_lsn == b_lsn) return 0;
  return a_lsn > b_lsn ? -1 : 1;
}

void EncodeEntry(const Entry& entry, std::string* dst) {
  PutLengthPrefixed(dst, entry.key);
  PutVarint64(dst, entry.lsn);
  dst->push_back(static_cast<char>(entry.kind));
  if (entry.kind == EntryKind::kPut) PutLengthPrefixed(dst, entry.value);
}

absl::Status DecodeEntry(Decoder& in, Entry* entry) {
  STRATA_RETURN_IF_ERROR(in.GetLengthPrefixed("key", &entry->key));
  STRATA_RETURN_IF_ERROR(in.GetVarint64("lsn", &entry->lsn));
  absl::string_view kind;
  STRATA_RETURN_IF_ERROR(in.GetBytes("kind", 1, &kind));
  switch (static_cast<uint8_t>(kind[0])) {
    case static_cast<uint8_t>(EntryKind::kPut):
      entry->kind = EntryKind::kPut;
      return in.GetLengthPrefixed("value", &entry->value);
    case static_cast<uint8_t>(EntryKind::kDelete):
      entry->kind = EntryKind::kDelete;
      entry->value = absl::string_view();
      return absl::OkStatus();
    default:
      return in.Error("kind", absl::StrFormat("unknown entry kind %d",
                                              static_cast<uint8_t>(kind[0])));
  }
}

void Footer::EncodeTo(std::string* dst) const {
  const size_t start = dst->size();
  PutFixed64(dst, index.offset);
  PutFixed64(dst, index.size);
  PutFixed64(dst, properties.offset);
  PutFixed64(dst, properties.size);
  PutFixed32(dst, file_checksum);
  PutFixed32(dst, version);
  PutFixed32(dst, Checksum::Of(absl::string_view(dst->data() + start, 40)));
  PutFixed32(dst, kMagic);
}

absl::Status Footer::DecodeFrom(absl::string_view in, absl::string_view file,
                                uint64_t offset, Footer* footer) {
  const std::string what = absl::StrCat("sst: ", file, " footer");
  if (in.size() != kSize) {
    return absl::DataLossError(absl::StrFormat(
        "%s: the file is %d bytes, too short for a %d-byte footer", what,
        in.size(), kSize));
  }
  const uint32_t magic = DecodeFixed32(in.data() + 44);
  if (magic != kMagic) {
    return absl::DataLossError(absl::StrFormat(
        "%s: bad magic 0x%08x at offset %d (expected 0x%08x): not an SSTable "
        "or truncated",
        what, magic, offset + 44, kMagic));
  }
  STRATA_RETURN_IF_ERROR(Checksum::Verify(DecodeFixed32(in.data() + 40),
                                          in.substr(0, 40), what, offset));
  const uint32_t version = DecodeFixed32(in.data() + 36);
  if (version != kFormatVersion && version != kCompressedFormatVersion) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: format version %d: this build reads versions %d and %d; the "
        "table was written by a newer format version",
        what, version, kFormatVersion, kCompressedFormatVersion));
  }
  footer->version = version;
  footer->index = {DecodeFixed64(in.data()), DecodeFixed64(in.data() + 8)};
  footer->properties = {DecodeFixed64(in.data() + 16),
                        DecodeFixed64(in.data() + 24)};
  footer->file_checksum = DecodeFixed32(in.data() + 32);
  return absl::OkStatus();
}

std::string TableFileName(uint64_t number) {
  return io::NumberedFileName(number, ".sst");
}

}  // namespace strata::sstable
