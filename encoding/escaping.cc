#include "encoding/escaping.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace strata {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The length of the well-formed UTF-8 sequence at the start of `s`, or 0.
size_t Utf8SequenceLength(absl::string_view s) {
  const unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;  // Bounds of the second byte.
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;  // No overlong forms.
    if (c == 0xed) hi = 0x9f;  // No surrogates.
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;  // No overlong forms.
    if (c == 0xf4) hi = 0x8f;  // Nothing above U+10FFFF.
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  const unsigned char second = s[1];
  if (second < lo || second > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    const unsigned char b = s[i];
    if (b < 0x80 || b > 0xbf) return 0;
  }
  return n;
}

}  // namespace

std::string EscapeBytes(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHexDigits[c >> 4];
      out += kHexDigits[c & 15];
    }
  }
  return out;
}

std::string HexBytes(absl::string_view bytes) {
  std::string out;
  out.reserve(2 * bytes.size());
  for (unsigned char c : bytes) {
    out += kHexDigits[c >> 4];
    out += kHexDigits[c & 15];
  }
  return out;
}

std::optional<std::string> ParseHex(absl::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]);
    const int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi << 4 | lo);
  }
  return out;
}

bool IsValidUtf8(absl::string_view bytes) {
  while (!bytes.empty()) {
    const size_t n = Utf8SequenceLength(bytes);
    if (n == 0) return false;
    bytes.remove_prefix(n);
  }
  return true;
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  while (!text.empty()) {
    const unsigned char c = text[0];
    const size_t n = Utf8SequenceLength(text);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || n == 0) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out.append(text.data(), n);
      text.remove_prefix(n);
      continue;
    }
    text.remove_prefix(1);
  }
  out += '"';
  return out;
}

void AppendJsonBytes(absl::string_view name, absl::string_view bytes,
                     std::string* out) {
  if (IsValidUtf8(bytes)) {
    absl::StrAppend(out, JsonString(name), ":", JsonString(bytes));
  } else {
    absl::StrAppend(out, JsonString(absl::StrCat(name, "_hex")), ":\"",
                    HexBytes(bytes), "\"");
  }
}

}  // namespace strata
