// URL parsing and the SQL builder: pure functions, no database.
#include <gtest/gtest.h>

#include <algorithm>

#include "storage/database.hpp"
#include "storage/sql_builder.hpp"

namespace cws::storage {
namespace {

TEST(StorageUrl, SqliteForms) {
  EXPECT_EQ(parse_database_url("sqlite:data/customers.db").connect_string, "data/customers.db");
  EXPECT_EQ(parse_database_url("sqlite:data/customers.db").kind, backend::sqlite);
  EXPECT_EQ(parse_database_url("sqlite://data/customers.db").connect_string, "data/customers.db");
  EXPECT_EQ(parse_database_url("sqlite:///var/lib/cws/customers.db").connect_string, "/var/lib/cws/customers.db");
  EXPECT_EQ(parse_database_url("sqlite:/abs/x.db").connect_string, "/abs/x.db");
  EXPECT_EQ(parse_database_url("sqlite::memory:").connect_string, ":memory:");
}

TEST(StorageUrl, PostgresqlBecomesConninfo) {
  const auto location = parse_database_url("postgresql://cws:s3cret@db.example.com:5433/customers");
  EXPECT_EQ(location.kind, backend::postgresql);
  EXPECT_EQ(location.connect_string,
            "host='db.example.com' port='5433' dbname='customers' user='cws' password='s3cret'");
  EXPECT_EQ(parse_database_url("postgres://u@localhost/db").connect_string, "host='localhost' dbname='db' user='u'");
}

TEST(StorageUrl, PostgresqlEscapesAndDecodes) {
  const auto location = parse_database_url("postgresql://us%40er:pa'ss%20word@[::1]:5432/my%2Fdb?sslmode=require");
  EXPECT_EQ(location.connect_string,
            "host='::1' port='5432' dbname='my/db' user='us@er' password='pa\\'ss word' sslmode='require'");
}

TEST(StorageUrl, RejectsOtherSchemesAndBadParts) {
  for (const char* url : {"mysql://x/y", "", "customers.db", "sqlite:", "sqlite://", "postgresql://h:port/db",
                          "postgresql://h/db?novalue", "postgresql://u:%zz@h/db"}) {
    try {
      parse_database_url(url);
      ADD_FAILURE() << "accepted " << url;
    } catch (const std::invalid_argument& error) {
      const std::string message = error.what();
      EXPECT_FALSE(message.empty());
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

TEST(StorageUrl, ErrorDoesNotEchoPassword) {
  try {
    parse_database_url("mysql://user:topsecret@host/db");
    FAIL();
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()).find("topsecret"), std::string::npos);
  }
}

// ---- SQL builder ---------------------------------------------------------------

// The number of placeholders; fails the test unless they read :p1, :p2, ...
// in order (positional binding depends on it).
std::size_t placeholders(const std::string& text) {
  std::size_t count = 0;
  for (std::size_t at = text.find(":p"); at != std::string::npos; at = text.find(":p", at + 1)) {
    ++count;
    const std::string expected = ":p" + std::to_string(count);
    EXPECT_EQ(text.compare(at, expected.size(), expected), 0) << "placeholder " << count << " out of order in " << text;
  }
  return count;
}

protocol::list_query full_query() {
  protocol::list_query query;
  auto& filter = query.filter;
  filter.search_terms = {"дми", "jo", "o\"c"};
  filter.has_email = true;
  filter.has_phone = false;
  filter.has_unread = true;
  filter.sources = {"telegram", "in'sta"};
  filter.tags = {"VIP", "Robert'); DROP TABLE customers;--"};
  filter.tag_ids = {7, 9};
  filter.conversation_statuses = {"active"};
  filter.created_at = {1000, 2000};
  filter.last_activity = {3000, std::nullopt};
  query.order = {protocol::sort_field::first_name, false};
  query.paging.limit = 25;
  query.paging.offset = 50;
  return query;
}

TEST(StorageSqlBuilder, ValuesAreBoundNeverSpliced) {
  const auto query = full_query();
  const auto sql = build_customer_query_sql(query, {42}, sql_dialect::sqlite);
  for (const auto* statement : {&sql.count, &sql.page}) {
    EXPECT_EQ(placeholders(statement->text), statement->parameters.size()) << statement->text;
    for (const char* value : {"telegram", "VIP", "DROP", "дми", "42", "1000", "3000", "in'sta"})
      EXPECT_EQ(statement->text.find(value), std::string::npos) << value << " in " << statement->text;
  }
  const auto& parameters = sql.page.parameters;
  EXPECT_EQ(parameters.back(), sql_value{std::int64_t{50}});
  EXPECT_EQ(parameters[parameters.size() - 2], sql_value{std::int64_t{25}});
  EXPECT_EQ(sql.count.parameters.size() + 2, parameters.size());
  EXPECT_NE(std::find(parameters.begin(), parameters.end(), sql_value{std::string("Robert'); DROP TABLE customers;--")}),
            parameters.end());
  EXPECT_NE(std::find(parameters.begin(), parameters.end(), sql_value{std::int64_t{42}}), parameters.end());
}

TEST(StorageSqlBuilder, SearchUsesTrigramForLongTermsAndFoldForShort) {
  protocol::list_query query;
  query.filter.search_terms = {"дми", "jo", "o\"c"};
  const auto sql = build_customer_query_sql(query, {}, sql_dialect::sqlite);
  EXPECT_NE(sql.count.text.find("customer_search MATCH :p"), std::string::npos);
  EXPECT_NE(sql.count.text.find("instr(cws_fold(c.first_name), :p"), std::string::npos);
  EXPECT_NE(sql.count.text.find("instr(cws_fold(c.phone_number), :p"), std::string::npos);
  // Both long terms in one MATCH, each a quoted phrase; the short one five times.
  const auto& parameters = sql.count.parameters;
  EXPECT_NE(std::find(parameters.begin(), parameters.end(), sql_value{std::string("\"дми\" AND \"o\"\"c\"")}),
            parameters.end());
  EXPECT_EQ(std::count(parameters.begin(), parameters.end(), sql_value{std::string("jo")}), 5);
  EXPECT_EQ(fts_phrase_query({"a\"\"b"}), "\"a\"\"\"\"b\"");
}

TEST(StorageSqlBuilder, NoFilterMeansNoWhere) {
  protocol::list_query query;
  const auto sql = build_customer_query_sql(query, {}, sql_dialect::sqlite);
  EXPECT_EQ(sql.count.text, "SELECT count(*) FROM customers c");
  EXPECT_TRUE(sql.count.parameters.empty());
  EXPECT_NE(sql.page.text.find("ORDER BY c.created_at DESC, c.id DESC LIMIT :p1 OFFSET :p2"), std::string::npos)
      << sql.page.text;
}

TEST(StorageSqlBuilder, EverySortHasIdTieBreakInSameDirection) {
  using field = protocol::sort_field;
  const std::pair<field, const char*> fields[] = {{field::created_at, "c.created_at"},
                                                  {field::updated_at, "c.updated_at"},
                                                  {field::last_activity, "c.last_activity"},
                                                  {field::first_name, "c.first_name"},
                                                  {field::last_name, "c.last_name"}};
  for (const auto& [sort, column] : fields) {
    for (bool descending : {false, true}) {
      protocol::list_query query;
      query.order = {sort, descending};
      const std::string direction = descending ? " DESC" : " ASC";
      const auto sqlite = build_customer_query_sql(query, {}, sql_dialect::sqlite).page.text;
      EXPECT_NE(sqlite.find("ORDER BY " + std::string(column) + direction + ", c.id" + direction), std::string::npos)
          << sqlite;
      const auto postgresql = build_customer_query_sql(query, {}, sql_dialect::postgresql).page.text;
      EXPECT_NE(postgresql.find(descending ? "NULLS LAST, c.id DESC" : "NULLS FIRST, c.id ASC"), std::string::npos)
          << postgresql;
    }
  }
  protocol::list_query by_name;
  by_name.order = {field::last_name, false};
  EXPECT_NE(build_customer_query_sql(by_name, {}, sql_dialect::postgresql).page.text.find("c.last_name COLLATE \"C\""),
            std::string::npos);
  protocol::list_query by_id;
  by_id.order = {field::id, false};
  EXPECT_NE(build_customer_query_sql(by_id, {}, sql_dialect::sqlite).page.text.find("ORDER BY c.id ASC LIMIT"),
            std::string::npos);
}

TEST(StorageSqlBuilder, ScopeLimitsCustomersAndVisibleConversations) {
  protocol::list_query query;
  query.filter.conversation_statuses = {"closed"};
  query.filter.has_unread = false;
  const auto sql = build_customer_query_sql(query, {7}, sql_dialect::sqlite);
  // The user id is bound three times: scope, status, unread.
  EXPECT_EQ(std::count(sql.count.parameters.begin(), sql.count.parameters.end(), sql_value{std::int64_t{7}}), 3);
  EXPECT_NE(sql.count.text.find("NOT IN (SELECT v.customer_id FROM conversations v WHERE v.unread_count > 0 AND "
                                "v.user_id = :p"),
            std::string::npos)
      << sql.count.text;
  EXPECT_EQ(placeholders(sql.count.text), sql.count.parameters.size());
  const auto conversations = build_page_conversations_sql({1, 2}, {7});
  EXPECT_EQ(placeholders(conversations.text), 3u);
  EXPECT_EQ(conversations.parameters.back(), sql_value{std::int64_t{7}});
  EXPECT_NE(conversations.text.find("v.user_id = :p3"), std::string::npos);
  EXPECT_EQ(build_page_conversations_sql({1, 2}, {}).text.find("user_id ="), std::string::npos);
}

TEST(StorageSqlBuilder, FilterOptionsBindTheUser) {
  const auto scoped = build_filter_options_sql({5}, sql_dialect::sqlite);
  for (const auto* statement : {&scoped.source_counts, &scoped.tag_counts, &scoped.status_counts, &scoped.created_range}) {
    ASSERT_EQ(statement->parameters.size(), 1u) << statement->text;
    EXPECT_EQ(statement->parameters[0], sql_value{std::int64_t{5}});
    EXPECT_EQ(placeholders(statement->text), 1u);
  }
  const auto unscoped = build_filter_options_sql({}, sql_dialect::sqlite);
  EXPECT_TRUE(unscoped.source_counts.parameters.empty());
  EXPECT_EQ(unscoped.created_range.text, "SELECT min(c.created_at), max(c.created_at) FROM customers c");
}

TEST(StorageSqlBuilder, EmptyIdListStillValid) {
  EXPECT_NE(build_page_tags_sql({}, sql_dialect::sqlite).text.find("IN (NULL)"), std::string::npos);
}

}  // namespace
}  // namespace cws::storage
