// Text helpers: UTF-8 validation, code point counting, case folding and
// splitting on white space for search; short descriptions of client values
// for error messages.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cws::protocol {

// The value of a hexadecimal digit, or -1 when `character` is not one.
int hex_value(char character);

// Appends the UTF-8 encoding of `code_point` to `out`.
void append_utf8(std::string& out, char32_t code_point);

// Number of code points, or nullopt when `text` is not valid UTF-8.
std::optional<std::size_t> count_code_points(std::string_view text);

// Simple (one-to-one) lower-case folding of ASCII, Latin-1, Latin Extended-A
// and -B, Greek and Cyrillic (incl. supplement), matching what SQLite's FTS5
// tokenizers fold, so that short terms searched without the trigram index
// match exactly what long terms match through it. The other code points FTS5
// folds (Armenian, Georgian, Latin Extended Additional, fullwidth Latin,
// Deseret, ...) are folded the same way too; the rest are kept.
// Invalid UTF-8 sequences are copied unchanged.
std::string fold_case(std::string_view utf8);

// Splits on Unicode white space (ASCII white space, U+0085, U+00A0, U+1680,
// U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000); drops empty parts.
std::vector<std::string> split_on_whitespace(std::string_view utf8);

// `text` without leading and trailing Unicode white space.
std::string_view trim_whitespace(std::string_view utf8);

// ASCII letters compared without case; other bytes exactly.
bool ascii_iequals(std::string_view left, std::string_view right);

// Keeps error messages short whatever a client sent: at most about 40 bytes,
// cut on a code point boundary, with "..." when cut.
std::string shorten(std::string_view text);

// A client's JSON value as an error message shows it: strings in single
// quotes, scalars as JSON. Containers are only named: dumping one recurses as
// deep as the client nested it. (A template, so this header needs no JSON
// library.)
template <class Json>
std::string describe(const Json& value) {
  if (value.is_string()) return "'" + shorten(value.template get_ref<const std::string&>()) + "'";
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  return shorten(value.dump());
}

}  // namespace cws::protocol
