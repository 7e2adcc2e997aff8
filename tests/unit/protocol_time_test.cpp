#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "protocol/time.hpp"

namespace cws::protocol {
namespace {

constexpr timestamp_ms may_first_2023 = 1682899200000;  // 2023-05-01T00:00:00Z
constexpr timestamp_ms hour_ms = 3'600'000;

TEST(ParseTime, DateOnlyIsFirstMillisecondOfUtcDay) {
  const auto parsed = parse_time("2023-05-01");
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->date_only);
  EXPECT_EQ(parsed->value, may_first_2023);
}

TEST(ParseTime, EpochAndFirstYear) {
  EXPECT_EQ(parse_time("1970-01-01")->value, 0);
  EXPECT_EQ(parse_time("0001-01-01")->value, -62135596800000);
  EXPECT_EQ(parse_time("9999-12-31T23:59:59.999Z")->value, 253402300799999);
}

TEST(ParseTime, LeapYears) {
  EXPECT_TRUE(parse_time("2024-02-29"));
  EXPECT_TRUE(parse_time("2000-02-29"));
  EXPECT_FALSE(parse_time("2023-02-29"));
  EXPECT_FALSE(parse_time("1900-02-29"));
  EXPECT_FALSE(parse_time("2100-02-29"));
  EXPECT_EQ(parse_time("2024-03-01")->value - parse_time("2024-02-28")->value, 2 * 24 * hour_ms);
  EXPECT_EQ(parse_time("2023-03-01")->value - parse_time("2023-02-28")->value, 24 * hour_ms);
  EXPECT_EQ(parse_time("2024-12-31")->value, 1735603200000);
}

TEST(ParseTime, DateTimeWithZone) {
  const auto parsed = parse_time("2023-05-01T10:00:00Z");
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->date_only);
  EXPECT_EQ(parsed->value, may_first_2023 + 10 * hour_ms);
  EXPECT_EQ(parse_time("2023-05-01t10:00:00z")->value, may_first_2023 + 10 * hour_ms);
}

TEST(ParseTime, MissingZoneMeansUtc) {
  EXPECT_EQ(parse_time("2023-05-01T10:00:00")->value, may_first_2023 + 10 * hour_ms);
  EXPECT_EQ(parse_time("2023-05-01T10:00")->value, may_first_2023 + 10 * hour_ms);
  EXPECT_EQ(parse_time("2023-05-01 10:00:00")->value, may_first_2023 + 10 * hour_ms);
}

TEST(ParseTime, Offsets) {
  EXPECT_EQ(parse_time("2023-05-01T10:00:00+05:30")->value, may_first_2023 + 10 * hour_ms - 5 * hour_ms - 1'800'000);
  EXPECT_EQ(parse_time("2023-05-01T10:00:00-0800")->value, may_first_2023 + 18 * hour_ms);
  EXPECT_EQ(parse_time("2023-05-01T10:00:00+00:00")->value, may_first_2023 + 10 * hour_ms);
  EXPECT_EQ(parse_time("2023-05-01T10:00-08:00")->value, may_first_2023 + 18 * hour_ms);
  // An offset can move the instant to the previous day.
  EXPECT_EQ(parse_time("2023-05-01T01:00:00+02:00")->value, may_first_2023 - hour_ms);
}

TEST(ParseTime, FractionsTruncatedToMilliseconds) {
  const timestamp_ms base = may_first_2023 + 10 * hour_ms;
  EXPECT_EQ(parse_time("2023-05-01T10:00:00.1Z")->value, base + 100);
  EXPECT_EQ(parse_time("2023-05-01T10:00:00.12Z")->value, base + 120);
  EXPECT_EQ(parse_time("2023-05-01T10:00:00.123Z")->value, base + 123);
  EXPECT_EQ(parse_time("2023-05-01T10:00:00.123456Z")->value, base + 123);
  EXPECT_EQ(parse_time("2023-05-01T10:00:00.999999+01:00")->value, base - hour_ms + 999);
  EXPECT_EQ(parse_time("1969-12-31T23:59:59.5Z")->value, -500);
}

TEST(ParseTime, RejectsBadInput) {
  for (const char* text :
       {"", "abc", "2023-02-30", "2023-13-01", "2023-00-10", "2023-04-31", "2023-05-00", "0000-01-01",
        "2023-05-01T25:00:00Z", "2023-05-01T24:00:00Z", "2023-05-01T10:60:00Z", "2023-05-01T10:00:60Z",
        "2023-05-01T10:00:00Zjunk", "2023-05-01x", "2023-05-01 ", "2023-5-1", "23-05-01", "2023/05/01",
        "2023-05-01T", "2023-05-01T10", "2023-05-01T10:0", "2023-05-01T10:00:00.", "2023-05-01T10:00:00.Z",
        "2023-05-01T10:00:00+05:3", "2023-05-01T10:00:00+24:00", "2023-05-01T10:00:00+05:60",
        "2023-05-01T10:00:00+05", "2023-05-01T10:00:00 +05:00", "+2023-05-01", "20230-05-01",
        " 2023-05-01", "2023-05-01T10:00:00.123Z "}) {
    EXPECT_FALSE(parse_time(text)) << text;
    EXPECT_FALSE(parse_timestamp(text)) << text;
  }
}

TEST(ParseTimestamp, GivesTheInstant) {
  EXPECT_EQ(parse_timestamp("2023-05-01"), std::optional<timestamp_ms>(may_first_2023));
  EXPECT_EQ(parse_timestamp("2023-05-01T00:00:00.250Z"), std::optional<timestamp_ms>(may_first_2023 + 250));
}

TEST(FormatTimestamp, Values) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(-86'400'000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(may_first_2023 + 10 * hour_ms + 123), "2023-05-01T10:00:00.123Z");
  EXPECT_EQ(format_timestamp(1582934400007), "2020-02-29T00:00:00.007Z");
  EXPECT_EQ(format_timestamp(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(-62135596800000), "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(253402300800000), "10000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(-62135596800001), "0000-12-31T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(-62167219200001), "-0001-12-31T23:59:59.999Z");
}

TEST(FormatTimestamp, ExtremesDoNotOverflow) {
  const std::string largest = format_timestamp(std::numeric_limits<timestamp_ms>::max());
  const std::string smallest = format_timestamp(std::numeric_limits<timestamp_ms>::min());
  EXPECT_EQ(largest, "292278994-08-17T07:12:55.807Z");
  EXPECT_EQ(smallest, "-292275055-05-16T16:47:04.192Z");
}

TEST(FormatTimestamp, RoundTripsThroughParse) {
  // Steps that are not multiples of a day, second or millisecond, from year 1 to 9999.
  for (timestamp_ms value = -62135596800000; value < 253402300799999; value += 7'777'777'777'777 / 13) {
    const auto parsed = parse_time(format_timestamp(value));
    ASSERT_TRUE(parsed) << format_timestamp(value);
    EXPECT_EQ(parsed->value, value) << format_timestamp(value);
  }
}

TEST(EndOfDay, LastMillisecond) {
  EXPECT_EQ(format_timestamp(end_of_day(may_first_2023)), "2023-05-01T23:59:59.999Z");
}

TEST(NowMs, IsCurrent) {
  EXPECT_GT(now_ms(), 1'700'000'000'000);  // after November 2023
  EXPECT_LT(now_ms(), 4'102'444'800'000);  // before 2100
}

}  // namespace
}  // namespace cws::protocol
