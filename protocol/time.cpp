#include "protocol/time.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace cws::protocol {
namespace {

constexpr std::int64_t ms_per_second = 1000;
constexpr std::int64_t ms_per_minute = 60 * ms_per_second;
constexpr std::int64_t ms_per_hour = 60 * ms_per_minute;
constexpr std::int64_t ms_per_day = 24 * ms_per_hour;

// Howard Hinnant's civil-date algorithms: exact for every proleptic Gregorian
// date, independent of the C library's time zone and locale handling.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

struct civil_date {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

civil_date civil_from_days(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned shifted_month = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const unsigned month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  return {static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2), month, day};
}

bool is_leap_year(std::int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned days_in_month(std::int64_t year, unsigned month) {
  static constexpr unsigned lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : lengths[month - 1];
}

// A cursor over the text that reads fixed-width digit fields.
class reader {
 public:
  explicit reader(std::string_view text) : text_(text) {}

  bool at_end() const { return position_ == text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[position_]; }
  bool is_digit_next() const { return peek() >= '0' && peek() <= '9'; }

  bool consume(char expected) {
    if (at_end() || peek() != expected) return false;
    ++position_;
    return true;
  }

  bool digits(std::size_t count, int& value) {
    value = 0;
    for (std::size_t index = 0; index < count; ++index) {
      if (!is_digit_next()) return false;
      value = value * 10 + (text_[position_++] - '0');
    }
    return true;
  }

  char take() { return text_[position_++]; }

 private:
  std::string_view text_;
  std::size_t position_ = 0;
};

// Reads the zone after the time: nothing (UTC), Z, ±HH:MM or ±HHMM. Returns
// false for anything else, trailing characters included.
bool read_zone(reader& input, std::int64_t& offset_ms) {
  offset_ms = 0;
  if (input.at_end()) return true;
  if (input.consume('Z') || input.consume('z')) return input.at_end();
  const char sign = input.peek();
  if (sign != '+' && sign != '-') return false;
  input.take();
  int hours = 0;
  int minutes = 0;
  if (!input.digits(2, hours)) return false;
  input.consume(':');
  if (!input.digits(2, minutes)) return false;
  if (hours > 23 || minutes > 59 || !input.at_end()) return false;
  offset_ms = (hours * ms_per_hour + minutes * ms_per_minute) * (sign == '-' ? -1 : 1);
  return true;
}

}  // namespace

std::optional<parsed_time> parse_time(std::string_view text) {
  reader input(text);
  int year = 0;
  int month = 0;
  int day = 0;
  if (!input.digits(4, year) || !input.consume('-') || !input.digits(2, month) || !input.consume('-') ||
      !input.digits(2, day)) {
    return std::nullopt;
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month))) {
    return std::nullopt;
  }
  const std::int64_t day_start =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * ms_per_day;
  if (input.at_end()) return parsed_time{day_start, true};

  if (!input.consume('T') && !input.consume('t') && !input.consume(' ')) return std::nullopt;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millisecond = 0;
  if (!input.digits(2, hour) || !input.consume(':') || !input.digits(2, minute)) return std::nullopt;
  if (input.consume(':')) {
    if (!input.digits(2, second)) return std::nullopt;
    if (input.consume('.')) {
      if (!input.is_digit_next()) return std::nullopt;
      // Fractions beyond milliseconds are truncated, not rounded.
      int scale = 100;
      while (input.is_digit_next()) {
        const int digit = input.take() - '0';
        millisecond += digit * scale;
        scale /= 10;
      }
    }
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  std::int64_t offset_ms = 0;
  if (!read_zone(input, offset_ms)) return std::nullopt;
  const std::int64_t local =
      day_start + hour * ms_per_hour + minute * ms_per_minute + second * ms_per_second + millisecond;
  return parsed_time{local - offset_ms, false};
}

std::optional<timestamp_ms> parse_timestamp(std::string_view text) {
  const auto parsed = parse_time(text);
  if (!parsed) return std::nullopt;
  return parsed->value;
}

std::string format_timestamp(timestamp_ms value) {
  // Floor division, so that times before 1970 keep a non-negative time of day.
  std::int64_t days = value / ms_per_day;
  std::int64_t in_day = value % ms_per_day;
  if (in_day < 0) {
    in_day += ms_per_day;
    --days;
  }
  const civil_date date = civil_from_days(days);
  const auto hour = static_cast<int>(in_day / ms_per_hour);
  const auto minute = static_cast<int>(in_day / ms_per_minute % 60);
  const auto second = static_cast<int>(in_day / ms_per_second % 60);
  const auto millisecond = static_cast<int>(in_day % ms_per_second);
  char buffer[64];
  const char* sign = date.year < 0 ? "-" : "";
  const long long year = date.year < 0 ? -date.year : date.year;
  std::snprintf(buffer, sizeof buffer, "%s%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", sign, year, date.month,
                date.day, hour, minute, second, millisecond);
  return buffer;
}

timestamp_ms now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace cws::protocol
