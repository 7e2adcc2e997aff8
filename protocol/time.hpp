// ISO 8601 parsing and formatting of protocol times (UTC milliseconds).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/types.hpp"

namespace cws::protocol {

// A time given by a client or an import file.
struct parsed_time {
  timestamp_ms value = 0;  // the instant; for a date, its first millisecond (UTC)
  bool date_only = false;  // "YYYY-MM-DD" without a time part
};

// Accepts "YYYY-MM-DD" and "YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|±HH:MM|±HHMM]"
// (a space may stand for the 'T'; no zone means UTC; fractions beyond
// milliseconds are truncated). Rejects impossible dates (2023-02-30), hours
// past 23 and years outside 1..9999. Returns nullopt when it does not parse.
std::optional<parsed_time> parse_time(std::string_view text);

// Like parse_time but only full date-times and dates are accepted as an
// instant; a date-only value means its first millisecond.
std::optional<timestamp_ms> parse_timestamp(std::string_view text);

// "2026-11-25T12:00:00.123Z": always milliseconds, always 'Z'.
std::string format_timestamp(timestamp_ms value);

// The current time.
timestamp_ms now_ms();

// The last millisecond of the UTC day that starts at `day_start`.
inline timestamp_ms end_of_day(timestamp_ms day_start) { return day_start + 86'400'000 - 1; }

}  // namespace cws::protocol
