#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <utility>
#include <vector>

#include "protocol/text.hpp"

namespace cws::protocol {
namespace {

std::string utf8(char32_t code_point) {
  std::string out;
  append_utf8(out, code_point);
  return out;
}

std::string repeat3(char32_t code_point) {
  const std::string one = utf8(code_point);
  return one + one + one;
}

TEST(CountCodePoints, ValidText) {
  EXPECT_EQ(count_code_points(""), std::optional<std::size_t>(0));
  EXPECT_EQ(count_code_points("abc"), std::optional<std::size_t>(3));
  EXPECT_EQ(count_code_points("Привет"), std::optional<std::size_t>(6));
  EXPECT_EQ(count_code_points("日本"), std::optional<std::size_t>(2));
  EXPECT_EQ(count_code_points("\xF0\x9F\x98\x80"), std::optional<std::size_t>(1));  // U+1F600
  EXPECT_EQ(count_code_points(std::string("a\0b", 3)), std::optional<std::size_t>(3));
}

TEST(CountCodePoints, InvalidUtf8) {
  for (const std::string text : {"\xFF", "a\x80", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xE2\x82",
                                 "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "\xC3"}) {
    EXPECT_FALSE(count_code_points(text)) << text;
  }
}

TEST(FoldCase, AsciiAndLatin) {
  EXPECT_EQ(fold_case("JOHN Doe 123 @X.COM"), "john doe 123 @x.com");
  EXPECT_EQ(fold_case("ÀÉÎÕÜ Ç Ñ Ø Þ"), "àéîõü ç ñ ø þ");
  EXPECT_EQ(fold_case("ŁÓDŹ ŠKODA Ÿ"), "łódź škoda ÿ");
  EXPECT_EQ(fold_case("ß"), "ß");  // no one-to-one lower case
  EXPECT_EQ(fold_case("×÷"), "×÷");
  EXPECT_EQ(fold_case("µ"), "μ");  // micro sign folds to Greek mu, as in FTS5
  EXPECT_EQ(fold_case("ſ"), "s");
  EXPECT_EQ(fold_case("İ"), "İ");  // FTS5 keeps U+0130
  EXPECT_EQ(fold_case("ǄǅǆǱ"), "ǆǆǆǳ");
}

TEST(FoldCase, GreekAndCyrillic) {
  EXPECT_EQ(fold_case("ΣΟΦΊΑ"), "σοφία");
  EXPECT_EQ(fold_case("ς"), "σ");
  EXPECT_EQ(fold_case("ИВАН Петров ЁЖ Ї Ґ"), "иван петров ёж ї ґ");
  EXPECT_EQ(fold_case("ӀԐ"), "ӏԑ");
}

TEST(FoldCase, OtherScriptsAndInvalidBytes) {
  EXPECT_EQ(fold_case("日本語 😀"), "日本語 😀");
  EXPECT_EQ(fold_case("A\xFF" "B\xC3"), "a\xFF" "b\xC3");
  EXPECT_EQ(fold_case("\xC3\x28"), "\xC3\x28");  // invalid pair copied unchanged
  EXPECT_EQ(fold_case(""), "");
}

TEST(SplitOnWhitespace, UnicodeWhiteSpace) {
  using parts = std::vector<std::string>;
  EXPECT_EQ(split_on_whitespace("john doe"), (parts{"john", "doe"}));
  EXPECT_EQ(split_on_whitespace("  john\t\n doe\r\v\f"), (parts{"john", "doe"}));
  EXPECT_EQ(split_on_whitespace("a\u00A0b\u1680c\u2000d\u200Ae\u2028f\u2029g\u202Fh\u205Fi\u3000j\u0085k"),
            (parts{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}));
  EXPECT_EQ(split_on_whitespace("a\u200Bb"), (parts{"a\u200Bb"}));  // zero-width space is not white space
  EXPECT_EQ(split_on_whitespace(""), parts{});
  EXPECT_EQ(split_on_whitespace(" \u3000 "), parts{});
  EXPECT_EQ(split_on_whitespace("Иван  Петров"), (parts{"Иван", "Петров"}));
}

TEST(TrimWhitespace, BothEnds) {
  EXPECT_EQ(trim_whitespace("  john doe \t"), "john doe");
  EXPECT_EQ(trim_whitespace("\u3000\u00A0x\u2003"), "x");
  EXPECT_EQ(trim_whitespace("   "), "");
  EXPECT_EQ(trim_whitespace(""), "");
  EXPECT_EQ(trim_whitespace("Ёж"), "Ёж");
  EXPECT_EQ(trim_whitespace(" \xFF "), "\xFF");
}

// ---- agreement with SQLite FTS5 ---------------------------------------------

class Fts5Fixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')");
    execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')");
  }
  void TearDown() override { sqlite3_close(db_); }

  void execute(const char* sql) {
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  }

  // Inserts one row per code point, with the code point as its rowid.
  void insert_rows(char32_t first, char32_t last) {
    execute("DELETE FROM t");
    execute("BEGIN");
    sqlite3_stmt* insert = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_, "INSERT INTO t(rowid, x) VALUES (?, ?)", -1, &insert, nullptr), SQLITE_OK);
    for (char32_t code_point = first; code_point <= last; ++code_point) {
      if (code_point >= 0xD800 && code_point <= 0xDFFF) continue;
      const std::string text = repeat3(code_point);
      sqlite3_bind_int64(insert, 1, code_point);
      sqlite3_bind_text(insert, 2, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
      ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
      sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    execute("COMMIT");
  }

  // The rowids that `MATCH query` finds, query given as an FTS5 string.
  std::vector<sqlite3_int64> match(const std::string& query) {
    std::string quoted = "\"";
    for (const char character : query) {
      quoted += character;
      if (character == '"') quoted += '"';
    }
    quoted += '"';
    sqlite3_stmt* select = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, "SELECT rowid FROM t WHERE t MATCH ? ORDER BY rowid", -1, &select, nullptr),
              SQLITE_OK);
    sqlite3_bind_text(select, 1, quoted.data(), static_cast<int>(quoted.size()), SQLITE_TRANSIENT);
    std::vector<sqlite3_int64> rows;
    while (sqlite3_step(select) == SQLITE_ROW) rows.push_back(sqlite3_column_int64(select, 0));
    sqlite3_finalize(select);
    return rows;
  }

  sqlite3* db_ = nullptr;
};

// The ranges the contract names: every code point's three-character string is
// found by both its own form and its fold_case form, and the folded query
// finds exactly the code points that fold_case folds to the same value.
TEST_F(Fts5Fixture, MatchAgreesWithFoldCaseInNamedRanges) {
  const std::vector<std::pair<char32_t, char32_t>> ranges = {
      {0x0001, 0x007F}, {0x0080, 0x00FF}, {0x0100, 0x017F}, {0x0180, 0x024F}, {0x0370, 0x03FF}, {0x0400, 0x052F}};
  for (const auto& [first, last] : ranges) {
    insert_rows(first, last);
    for (char32_t code_point = first; code_point <= last; ++code_point) {
      const std::string original = repeat3(code_point);
      const std::string folded = fold_case(original);
      std::vector<sqlite3_int64> expected;
      for (char32_t other = first; other <= last; ++other) {
        if (fold_case(repeat3(other)) == folded) expected.push_back(other);
      }
      EXPECT_EQ(match(folded), expected) << "U+" << std::hex << static_cast<unsigned>(code_point);
      EXPECT_EQ(match(original), expected) << "U+" << std::hex << static_cast<unsigned>(code_point);
    }
  }
}

// Every code point: the trigram FTS5 stores is exactly fold_case's output.
TEST_F(Fts5Fixture, StoredTrigramIsFoldCaseForEveryCodePoint) {
  constexpr char32_t batch = 8192;
  std::size_t checked = 0;
  for (char32_t first = 1; first <= 0x10FFFF; first += batch) {
    const char32_t last = std::min<char32_t>(first + batch - 1, 0x10FFFF);
    insert_rows(first, last);
    sqlite3_stmt* select = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_, "SELECT term, doc FROM v", -1, &select, nullptr), SQLITE_OK);
    while (sqlite3_step(select) == SQLITE_ROW) {
      const auto* term = reinterpret_cast<const char*>(sqlite3_column_text(select, 0));
      const auto code_point = static_cast<char32_t>(sqlite3_column_int64(select, 1));
      ASSERT_EQ(fold_case(repeat3(code_point)), std::string(term))
          << "U+" << std::hex << static_cast<unsigned>(code_point);
      ++checked;
    }
    sqlite3_finalize(select);
  }
  EXPECT_EQ(checked, 0x10FFFFu - 2048u);  // all but U+0000 and the surrogates
}

}  // namespace
}  // namespace cws::protocol
