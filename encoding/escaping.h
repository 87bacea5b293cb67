// How Strata's command-line tools show bytes: one rule for every tool
// (docs/tools.md, "Bytes in output").
//
// Text: EscapeBytes. Printable ASCII (0x20..0x7e) stands for itself, except
// the backslash and the double quote, which get a backslash before them;
// every other byte is \xHH (two lowercase hex digits). So "é" (UTF-8 c3 a9)
// prints as \xc3\xa9, and the output is ASCII whatever the bytes.
//
// Hex: HexBytes / ParseHex, both ways, for --hex.
//
// JSON: a key or value that is valid UTF-8 is a JSON string ("key": "é");
// anything else is the same field name with "_hex" appended and its bytes
// in hex ("key_hex": "ff00"). A reader never has to guess which bytes a
// string stood for.

#ifndef STRATA_ENCODING_ESCAPING_H_
#define STRATA_ENCODING_ESCAPING_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace strata {

// The text form of `bytes`, as above.
std::string EscapeBytes(absl::string_view bytes);

// Lowercase hex, two digits a byte.
std::string HexBytes(absl::string_view bytes);
// The bytes `hex` stands for (either case); nullopt if it has an odd
// length or a character that is not a hex digit.
std::optional<std::string> ParseHex(absl::string_view hex);

// True if `bytes` is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF).
bool IsValidUtf8(absl::string_view bytes);

// A JSON string literal, quotes included, for text: quotes, backslashes and
// control characters escaped. Bytes that are not valid UTF-8 are written as
// \u00XX, so the result is always valid JSON (for paths and messages; for
// keys and values use AppendJsonBytes).
std::string JsonString(absl::string_view text);

// Appends `"name":"..."` for valid UTF-8, else `"name_hex":"..."`.
void AppendJsonBytes(absl::string_view name, absl::string_view bytes,
                     std::string* out);

}  // namespace strata

#endif  // STRATA_ENCODING_ESCAPING_H_
