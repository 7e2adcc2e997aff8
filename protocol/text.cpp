#include "protocol/text.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace cws::protocol {
namespace {

struct decoded {
  char32_t code_point = 0;
  std::size_t length = 0;  // 0 when the bytes at the position are not valid UTF-8
};

// Strict decoding: overlong forms, surrogates and values past U+10FFFF are
// invalid, so that counting and folding agree with what a JSON parser accepts.
decoded decode_at(std::string_view text, std::size_t position) {
  const auto byte = [&](std::size_t index) { return static_cast<unsigned char>(text[index]); };
  const unsigned char lead = byte(position);
  if (lead < 0x80) return {lead, 1};
  std::size_t length = 0;
  char32_t code_point = 0;
  char32_t minimum = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, code_point = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code_point = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code_point = lead & 0x07, minimum = 0x10000;
  } else {
    return {};
  }
  if (position + length > text.size()) return {};
  for (std::size_t index = 1; index < length; ++index) {
    const unsigned char continuation = byte(position + index);
    if ((continuation & 0xC0) != 0x80) return {};
    code_point = (code_point << 6) | (continuation & 0x3F);
  }
  if (code_point < minimum || code_point > 0x10FFFF) return {};
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return {};
  return {code_point, length};
}


// Every code point that FTS5's trigram tokenizer (SQLite 3.40, no diacritic
// removal) stores differently from itself, as runs: code points first, first +
// stride, ... last each map to themselves + delta. Measured from SQLite (every
// code point inserted as a trigram and read back through fts5vocab), so the
// short-term search path folds exactly like the trigram index; the unit test
// re-checks it against the linked SQLite. U+FFFE and U+FFFF appear because
// SQLite's UTF-8 reader turns them into U+FFFD.
struct fold_run {
  char32_t first;
  char32_t last;
  std::int32_t delta;
  std::int32_t stride;
};

constexpr fold_run fold_runs[] = {
    {0x0041, 0x005A, 32, 1}, {0x00B5, 0x00B5, 775, 1}, {0x00C0, 0x00D6, 32, 1},
    {0x00D8, 0x00DE, 32, 1}, {0x0100, 0x012E, 1, 2}, {0x0132, 0x0136, 1, 2},
    {0x0139, 0x0147, 1, 2}, {0x014A, 0x0176, 1, 2}, {0x0178, 0x0178, -121, 1},
    {0x0179, 0x017D, 1, 2}, {0x017F, 0x017F, -268, 1}, {0x0181, 0x0181, 210, 1},
    {0x0182, 0x0184, 1, 2}, {0x0186, 0x0186, 206, 1}, {0x0187, 0x0187, 1, 1},
    {0x0189, 0x018A, 205, 1}, {0x018B, 0x018B, 1, 1}, {0x018E, 0x018E, 79, 1},
    {0x018F, 0x018F, 202, 1}, {0x0190, 0x0190, 203, 1}, {0x0191, 0x0191, 1, 1},
    {0x0193, 0x0193, 205, 1}, {0x0194, 0x0194, 207, 1}, {0x0196, 0x0196, 211, 1},
    {0x0197, 0x0197, 209, 1}, {0x0198, 0x0198, 1, 1}, {0x019C, 0x019C, 211, 1},
    {0x019D, 0x019D, 213, 1}, {0x019F, 0x019F, 214, 1}, {0x01A0, 0x01A4, 1, 2},
    {0x01A6, 0x01A6, 218, 1}, {0x01A7, 0x01A7, 1, 1}, {0x01A9, 0x01A9, 218, 1},
    {0x01AC, 0x01AC, 1, 1}, {0x01AE, 0x01AE, 218, 1}, {0x01AF, 0x01AF, 1, 1},
    {0x01B1, 0x01B2, 217, 1}, {0x01B3, 0x01B5, 1, 2}, {0x01B7, 0x01B7, 219, 1},
    {0x01B8, 0x01B8, 1, 1}, {0x01BC, 0x01BC, 1, 1}, {0x01C4, 0x01C4, 2, 1},
    {0x01C5, 0x01C5, 1, 1}, {0x01C7, 0x01C7, 2, 1}, {0x01C8, 0x01C8, 1, 1},
    {0x01CA, 0x01CA, 2, 1}, {0x01CB, 0x01DB, 1, 2}, {0x01DE, 0x01EE, 1, 2},
    {0x01F1, 0x01F1, 2, 1}, {0x01F2, 0x01F4, 1, 2}, {0x01F6, 0x01F6, -97, 1},
    {0x01F7, 0x01F7, -56, 1}, {0x01F8, 0x021E, 1, 2}, {0x0220, 0x0220, -130, 1},
    {0x0222, 0x0232, 1, 2}, {0x023A, 0x023A, 10795, 1}, {0x023B, 0x023B, 1, 1},
    {0x023D, 0x023D, -163, 1}, {0x023E, 0x023E, 10792, 1}, {0x0241, 0x0241, 1, 1},
    {0x0243, 0x0243, -195, 1}, {0x0244, 0x0244, 69, 1}, {0x0245, 0x0245, 71, 1},
    {0x0246, 0x024E, 1, 2}, {0x0345, 0x0345, 116, 1}, {0x0370, 0x0372, 1, 2},
    {0x0376, 0x0376, 1, 1}, {0x0386, 0x0386, 38, 1}, {0x0388, 0x038A, 37, 1},
    {0x038C, 0x038C, 64, 1}, {0x038E, 0x038F, 63, 1}, {0x0391, 0x03A1, 32, 1},
    {0x03A3, 0x03AB, 32, 1}, {0x03C2, 0x03C2, 1, 1}, {0x03CF, 0x03CF, 8, 1},
    {0x03D0, 0x03D0, -30, 1}, {0x03D1, 0x03D1, -25, 1}, {0x03D5, 0x03D5, -15, 1},
    {0x03D6, 0x03D6, -22, 1}, {0x03D8, 0x03EE, 1, 2}, {0x03F0, 0x03F0, -54, 1},
    {0x03F1, 0x03F1, -48, 1}, {0x03F4, 0x03F4, -60, 1}, {0x03F5, 0x03F5, -64, 1},
    {0x03F7, 0x03F7, 1, 1}, {0x03F9, 0x03F9, -7, 1}, {0x03FA, 0x03FA, 1, 1},
    {0x03FD, 0x03FF, -130, 1}, {0x0400, 0x040F, 80, 1}, {0x0410, 0x042F, 32, 1},
    {0x0460, 0x0480, 1, 2}, {0x048A, 0x04BE, 1, 2}, {0x04C0, 0x04C0, 15, 1},
    {0x04C1, 0x04CD, 1, 2}, {0x04D0, 0x0526, 1, 2}, {0x0531, 0x0556, 48, 1},
    {0x10A0, 0x10C5, 7264, 1}, {0x10C7, 0x10C7, 7264, 1}, {0x10CD, 0x10CD, 7264, 1},
    {0x1E00, 0x1E94, 1, 2}, {0x1E9B, 0x1E9B, -58, 1}, {0x1E9E, 0x1E9E, -7615, 1},
    {0x1EA0, 0x1EFE, 1, 2}, {0x1F08, 0x1F0F, -8, 1}, {0x1F18, 0x1F1D, -8, 1},
    {0x1F28, 0x1F2F, -8, 1}, {0x1F38, 0x1F3F, -8, 1}, {0x1F48, 0x1F4D, -8, 1},
    {0x1F59, 0x1F5F, -8, 2}, {0x1F68, 0x1F6F, -8, 1}, {0x1F88, 0x1F8F, -8, 1},
    {0x1F98, 0x1F9F, -8, 1}, {0x1FA8, 0x1FAF, -8, 1}, {0x1FB8, 0x1FB9, -8, 1},
    {0x1FBA, 0x1FBB, -74, 1}, {0x1FBC, 0x1FBC, -9, 1}, {0x1FBE, 0x1FBE, -7173, 1},
    {0x1FC8, 0x1FCB, -86, 1}, {0x1FCC, 0x1FCC, -9, 1}, {0x1FD8, 0x1FD9, -8, 1},
    {0x1FDA, 0x1FDB, -100, 1}, {0x1FE8, 0x1FE9, -8, 1}, {0x1FEA, 0x1FEB, -112, 1},
    {0x1FEC, 0x1FEC, -7, 1}, {0x1FF8, 0x1FF9, -128, 1}, {0x1FFA, 0x1FFB, -126, 1},
    {0x1FFC, 0x1FFC, -9, 1}, {0x2126, 0x2126, -7517, 1}, {0x212A, 0x212A, -8383, 1},
    {0x212B, 0x212B, -8262, 1}, {0x2132, 0x2132, 28, 1}, {0x2160, 0x216F, 16, 1},
    {0x2183, 0x2183, 1, 1}, {0x24B6, 0x24CF, 26, 1}, {0x2C00, 0x2C2E, 48, 1},
    {0x2C60, 0x2C60, 1, 1}, {0x2C62, 0x2C62, -10743, 1}, {0x2C63, 0x2C63, -3814, 1},
    {0x2C64, 0x2C64, -10727, 1}, {0x2C67, 0x2C6B, 1, 2}, {0x2C6D, 0x2C6D, -10780, 1},
    {0x2C6E, 0x2C6E, -10749, 1}, {0x2C6F, 0x2C6F, -10783, 1}, {0x2C70, 0x2C70, -10782, 1},
    {0x2C72, 0x2C72, 1, 1}, {0x2C75, 0x2C75, 1, 1}, {0x2C7E, 0x2C7F, -10815, 1},
    {0x2C80, 0x2CE2, 1, 2}, {0x2CEB, 0x2CED, 1, 2}, {0x2CF2, 0x2CF2, 1, 1},
    {0xA640, 0xA66C, 1, 2}, {0xA680, 0xA696, 1, 2}, {0xA722, 0xA72E, 1, 2},
    {0xA732, 0xA76E, 1, 2}, {0xA779, 0xA77B, 1, 2}, {0xA77D, 0xA77D, -35332, 1},
    {0xA77E, 0xA786, 1, 2}, {0xA78B, 0xA78B, 1, 1}, {0xA78D, 0xA78D, -42280, 1},
    {0xA790, 0xA792, 1, 2}, {0xA7A0, 0xA7A8, 1, 2}, {0xA7AA, 0xA7AA, -42308, 1},
    {0xFF21, 0xFF3A, 32, 1}, {0xFFFE, 0xFFFE, -1, 1}, {0xFFFF, 0xFFFF, -2, 1},
    {0x10400, 0x10427, 40, 1},
};

char32_t fold_code_point(char32_t code_point) {
  if (code_point < 0x80) {
    return (code_point >= 'A' && code_point <= 'Z') ? code_point + 32 : code_point;
  }
  // The last run starting at or before the code point is the only candidate:
  // runs are sorted and do not overlap.
  const auto after = std::upper_bound(std::begin(fold_runs), std::end(fold_runs), code_point,
                                      [](char32_t value, const fold_run& run) { return value < run.first; });
  if (after == std::begin(fold_runs)) return code_point;
  const fold_run& run = *std::prev(after);
  if (code_point > run.last || (code_point - run.first) % static_cast<char32_t>(run.stride) != 0) {
    return code_point;
  }
  return static_cast<char32_t>(static_cast<std::int64_t>(code_point) + run.delta);
}

bool is_whitespace(char32_t code_point) {
  switch (code_point) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
    case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return code_point >= 0x2000 && code_point <= 0x200A;
  }
}

}  // namespace

int hex_value(char character) {
  if (character >= '0' && character <= '9') return character - '0';
  if (character >= 'a' && character <= 'f') return character - 'a' + 10;
  if (character >= 'A' && character <= 'F') return character - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, char32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

std::optional<std::size_t> count_code_points(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t position = 0; position < text.size(); ++count) {
    const decoded next = decode_at(text, position);
    if (next.length == 0) return std::nullopt;
    position += next.length;
  }
  return count;
}

std::string fold_case(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t position = 0; position < utf8.size();) {
    const decoded next = decode_at(utf8, position);
    if (next.length == 0) {
      out.push_back(utf8[position]);
      ++position;
      continue;
    }
    append_utf8(out, fold_code_point(next.code_point));
    position += next.length;
  }
  return out;
}

std::vector<std::string> split_on_whitespace(std::string_view utf8) {
  std::vector<std::string> parts;
  std::size_t part_start = 0;
  std::size_t position = 0;
  while (position < utf8.size()) {
    const decoded next = decode_at(utf8, position);
    const std::size_t length = next.length == 0 ? 1 : next.length;
    if (next.length != 0 && is_whitespace(next.code_point)) {
      if (position > part_start) parts.emplace_back(utf8.substr(part_start, position - part_start));
      part_start = position + length;
    }
    position += length;
  }
  if (utf8.size() > part_start) parts.emplace_back(utf8.substr(part_start));
  return parts;
}

std::string_view trim_whitespace(std::string_view utf8) {
  std::size_t begin = 0;
  while (begin < utf8.size()) {
    const decoded next = decode_at(utf8, begin);
    if (next.length == 0 || !is_whitespace(next.code_point)) break;
    begin += next.length;
  }
  // Scanning forward keeps multi-byte sequences intact; the end is the end of
  // the last non-white-space code point.
  std::size_t end = begin;
  for (std::size_t position = begin; position < utf8.size();) {
    const decoded next = decode_at(utf8, position);
    const std::size_t length = next.length == 0 ? 1 : next.length;
    if (next.length == 0 || !is_whitespace(next.code_point)) end = position + length;
    position += length;
  }
  return utf8.substr(begin, end - begin);
}

bool ascii_iequals(std::string_view left, std::string_view right) {
  return left.size() == right.size() && std::equal(left.begin(), left.end(), right.begin(), [](char a, char b) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(a) == lower(b);
         });
}

std::string shorten(std::string_view text) {
  constexpr std::size_t limit = 40;
  if (text.size() <= limit) return std::string(text);
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

}  // namespace cws::protocol
