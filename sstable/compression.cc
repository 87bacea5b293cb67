#include "sstable/compression.h"

#include <lz4.h>
#include <zstd.h>

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "encoding/coding.h"

namespace strata::sstable {

std::string CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kNone:
      return "none";
    case Compression::kLz4:
      return "lz4";
    case Compression::kZstd:
      return "zstd";
  }
  return absl::StrCat("unknown(", static_cast<int>(compression), ")");
}

std::optional<Compression> ParseCompression(absl::string_view name) {
  for (Compression c :
       {Compression::kNone, Compression::kLz4, Compression::kZstd}) {
    if (name == CompressionName(c)) return c;
  }
  return std::nullopt;
}

namespace {

// Compresses `raw` into *out; false if the library refused.
bool Compress(Compression compression, int zstd_level, absl::string_view raw,
              std::string* out) {
  switch (compression) {
    case Compression::kNone:
      return false;
    case Compression::kLz4: {
      if (raw.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) return false;
      const int bound = LZ4_compressBound(static_cast<int>(raw.size()));
      out->resize(bound);
      const int n = LZ4_compress_default(raw.data(), out->data(),
                                         static_cast<int>(raw.size()), bound);
      if (n <= 0) return false;
      out->resize(n);
      return true;
    }
    case Compression::kZstd: {
      out->resize(ZSTD_compressBound(raw.size()));
      const size_t n = ZSTD_compress(out->data(), out->size(), raw.data(),
                                     raw.size(), zstd_level);
      if (ZSTD_isError(n)) return false;
      out->resize(n);
      return true;
    }
  }
  return false;
}

// Expands `payload` into exactly `size` bytes of *out; false if it does not.
bool Expand(Compression compression, absl::string_view payload, size_t size,
            std::string* out) {
  out->resize(size);
  switch (compression) {
    case Compression::kNone:
      return false;
    case Compression::kLz4: {
      if (payload.size() >
          static_cast<size_t>(std::numeric_limits<int>::max())) {
        return false;
      }
      const int n = LZ4_decompress_safe(payload.data(), out->data(),
                                        static_cast<int>(payload.size()),
                                        static_cast<int>(size));
      return n >= 0 && static_cast<size_t>(n) == size;
    }
    case Compression::kZstd: {
      const size_t n =
          ZSTD_decompress(out->data(), size, payload.data(), payload.size());
      return !ZSTD_isError(n) && n == size;
    }
  }
  return false;
}

}  // namespace

void AppendStoredBlock(Compression compression, int zstd_level,
                       absl::string_view raw, std::string* dst) {
  std::string compressed;
  if (Compress(compression, zstd_level, raw, &compressed)) {
    std::string header;
    header.push_back(static_cast<char>(compression));
    PutVarint64(&header, raw.size());
    if (header.size() + compressed.size() <= raw.size() - raw.size() / 8) {
      dst->append(header);
      dst->append(compressed);
      return;
    }
  }
  dst->push_back(static_cast<char>(Compression::kNone));
  dst->append(raw.data(), raw.size());
}

absl::Status ExpandStoredBlock(absl::string_view stored, absl::string_view what,
                               uint64_t offset, std::string* buffer,
                               absl::string_view* raw) {
  if (stored.empty()) {
    return absl::DataLossError(absl::StrFormat(
        "%s at offset %d: empty, without its compression byte", what, offset));
  }
  const auto type = static_cast<Compression>(stored[0]);
  if (type == Compression::kNone) {
    *raw = stored.substr(1);
    return absl::OkStatus();
  }
  if (type != Compression::kLz4 && type != Compression::kZstd) {
    return absl::DataLossError(
        absl::StrFormat("%s at offset %d: unknown compression type %d", what,
                        offset, static_cast<int>(type)));
  }
  absl::string_view rest = stored.substr(1);
  uint64_t size = 0;
  if (!GetVarint64(&rest, &size) || size > kMaxRawBlockSize) {
    return absl::DataLossError(absl::StrFormat(
        "%s at offset %d: bad or oversized raw size (%d bytes; at most %d)",
        what, offset + 1, size, kMaxRawBlockSize));
  }
  if (!Expand(type, rest, size, buffer)) {
    return absl::DataLossError(absl::StrFormat(
        "%s at offset %d: its %s payload (%d bytes) does not expand to the "
        "%d bytes it declares",
        what, offset, CompressionName(type), rest.size(), size));
  }
  *raw = *buffer;
  return absl::OkStatus();
}

}  // namespace strata::sstable
