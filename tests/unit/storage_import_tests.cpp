// JSON Lines import: semantics, idempotence, and every rule violation.
#include <gtest/gtest.h>

#include <sstream>

#include "protocol/time.hpp"
#include "storage/import.hpp"
#include "storage_test_support.hpp"

namespace cws::storage {
namespace {

using testing::raw_connection;
using testing::raw_value;
using testing::temp_database;

import_report run_import(database& db, const std::string& text, std::size_t max_problems = 100) {
  std::istringstream input(text);
  return import_json_lines(db, input, max_problems);
}

std::vector<std::vector<std::vector<raw_value>>> dump(const std::string& file) {
  raw_connection raw(file);
  std::vector<std::vector<std::vector<raw_value>>> tables;
  for (const char* query : {"SELECT * FROM customers ORDER BY id", "SELECT * FROM tags ORDER BY id",
                            "SELECT * FROM customer_tags ORDER BY customer_id, tag_id",
                            "SELECT * FROM conversations ORDER BY id", "SELECT * FROM messages ORDER BY id"})
    tables.push_back(raw.rows(query));
  return tables;
}

std::string problems_text(const import_report& report) {
  std::string text;
  for (const auto& problem : report.problems) text += std::to_string(problem.line) + ": " + problem.message + "\n";
  return text;
}

const std::string good_file =
    R"({"id": 17, "first_name": "John", "last_name": "Doe", "username": "johndoe", "email": "john@example.com", "phone_number": "+1234567890", "source": "telegram", "source_id": "telegram_user_123", "profile_picture": null, "created_at": "2023-01-01T00:00:00Z", "updated_at": "2023-01-01T12:00:00Z", "tags": [{"id": 1, "name": "VIP"}, {"id": 2, "name": "Premium"}], "conversations": [{"id": 5, "user_id": 3, "title": "Support Chat", "status": "active", "source": "telegram", "created_at": "2023-01-01T10:00:00Z", "updated_at": "2023-01-01T12:00:00Z", "messages": [{"id": 99, "content": "Hello, I need help!", "type": "customer", "is_ai_response": false, "is_answered": false, "created_at": "2023-01-01T12:00:00Z"}, {"id": 98, "content": "Earlier", "type": "customer", "is_ai_response": false, "is_answered": true, "created_at": "2023-01-01T11:00:00.250+01:00"}]}]})"
    "\n"
    "\n"
    "   \n"
    R"({"id": 18, "first_name": "Дмитрий", "last_name": "Иванов", "email": "", "created_at": "2023-03-05T08:15:30.123", "updated_at": "2023-03-06", "tags": [{"id": 1, "name": "VIP"}], "conversations": [{"id": 6, "user_id": 4, "status": "closed", "created_at": "2023-03-05T09:00:00Z", "updated_at": "2023-03-05T09:00:00Z", "messages": [{"id": 100, "content": "Привет", "type": "customer", "created_at": "2024-01-01T00:00:00Z"}, {"id": 101, "content": "Здравствуйте!", "type": "agent", "is_ai_response": true, "created_at": "2024-01-01T00:05:00Z"}]}, {"id": 7, "user_id": 3, "status": "active", "created_at": "2023-03-05T09:00:00Z"}]})"
    "\r\n"
    R"({"id": 19, "first_name": "Ελένη", "created_at": "2022-12-31T23:59:59Z"})"
    "\n";

TEST(StorageImport, GoodFile) {
  temp_database test;
  const auto report = run_import(test.db, good_file);
  EXPECT_TRUE(report.committed()) << problems_text(report);
  EXPECT_EQ(report.lines, 3);
  EXPECT_EQ(report.customers, 3);
  EXPECT_EQ(report.tags, 2);
  EXPECT_EQ(report.conversations, 3);
  EXPECT_EQ(report.messages, 4);

  protocol::list_query query;
  query.order = {protocol::sort_field::id, false};
  const auto page = test.db.fetch_customers(query, {});
  ASSERT_EQ(page.total_count, 3);
  const auto& john = page.customers[0];
  EXPECT_EQ(john.id, 17);
  EXPECT_EQ(john.first_name, std::optional<std::string>("John"));
  EXPECT_EQ(john.source_id, std::optional<std::string>("telegram_user_123"));
  EXPECT_FALSE(john.profile_picture);
  EXPECT_EQ(john.created_at, *protocol::parse_timestamp("2023-01-01T00:00:00Z"));
  EXPECT_EQ(john.updated_at, *protocol::parse_timestamp("2023-01-01T12:00:00Z"));
  EXPECT_EQ(john.last_activity, *protocol::parse_timestamp("2023-01-01T12:00:00Z"));
  ASSERT_EQ(john.tags.size(), 2u);
  EXPECT_EQ(john.tags[0].name, "Premium");  // by name
  ASSERT_EQ(john.conversations.size(), 1u);
  EXPECT_EQ(john.conversations[0].unread_count, 1);
  ASSERT_TRUE(john.conversations[0].last_message);
  EXPECT_EQ(john.conversations[0].last_message->id, 99);
  EXPECT_EQ(john.unread_count, 1);

  const auto& dmitry = page.customers[1];
  EXPECT_EQ(dmitry.email, std::optional<std::string>(""));
  EXPECT_FALSE(dmitry.username);  // absent on a new customer: null
  EXPECT_EQ(dmitry.created_at, *protocol::parse_timestamp("2023-03-05T08:15:30.123Z"));  // no zone: UTC
  EXPECT_EQ(dmitry.updated_at, *protocol::parse_timestamp("2023-03-06T00:00:00Z"));
  EXPECT_EQ(dmitry.last_activity, *protocol::parse_timestamp("2024-01-01T00:05:00Z"));
  ASSERT_EQ(dmitry.conversations.size(), 2u);
  const auto& with_messages = dmitry.conversations[0].id == 6 ? dmitry.conversations[0] : dmitry.conversations[1];
  EXPECT_EQ(with_messages.unread_count, 1);  // stored as given: not answered
  ASSERT_TRUE(with_messages.last_message);
  EXPECT_TRUE(with_messages.last_message->is_ai_response);
  EXPECT_EQ(with_messages.last_message->type, "agent");

  const auto& eleni = page.customers[2];
  EXPECT_EQ(eleni.updated_at, eleni.created_at);  // missing updated_at: created_at
  EXPECT_TRUE(eleni.tags.empty());

  raw_connection raw(test.file);
  EXPECT_EQ(raw.integer("SELECT created_at FROM messages WHERE id = 98"),
            *protocol::parse_timestamp("2023-01-01T10:00:00.250Z"));
}

TEST(StorageImport, ReimportIsANoOp) {
  temp_database test;
  ASSERT_TRUE(run_import(test.db, good_file).committed());
  const auto before = dump(test.file);
  raw_connection raw(test.file);
  const auto data_version = raw.integer("PRAGMA data_version");
  const auto again = run_import(test.db, good_file);
  EXPECT_TRUE(again.committed()) << problems_text(again);
  EXPECT_EQ(again.customers, 3);
  EXPECT_EQ(dump(test.file), before);
  EXPECT_EQ(raw.integer("PRAGMA data_version"), data_version);  // not even a rewrite of the same values
}

TEST(StorageImport, MissingTimesUseImportTimeAndStayOnReimport) {
  temp_database test;
  const std::string line = R"({"id": 1, "first_name": "No times", "conversations": [{"id": 1, "messages": [{"id": 1, "type": "customer"}]}]})";
  const auto before = protocol::now_ms();
  ASSERT_TRUE(run_import(test.db, line).committed());
  const auto after = protocol::now_ms();
  raw_connection raw(test.file);
  const auto created = *raw.integer("SELECT created_at FROM customers WHERE id = 1");
  EXPECT_GE(created, before);
  EXPECT_LE(created, after);
  EXPECT_EQ(raw.integer("SELECT updated_at FROM customers WHERE id = 1"), created);
  EXPECT_EQ(raw.integer("SELECT created_at FROM messages WHERE id = 1"), created);
  const auto dumped = dump(test.file);
  ASSERT_TRUE(run_import(test.db, line).committed());
  EXPECT_EQ(dump(test.file), dumped);
}

TEST(StorageImport, LineIsTheFullStateForItsKeys) {
  temp_database test;
  ASSERT_TRUE(run_import(test.db, good_file).committed());
  raw_connection raw(test.file);
  // Tags replaced exactly; conversation 7 dropped; message 100 dropped from 6;
  // email absent: kept; username given: changed.
  const std::string update =
      R"({"id": 18, "username": "dima", "tags": [{"id": 2, "name": "Premium"}, {"id": 3, "name": "New"}], "conversations": [{"id": 6, "status": "active", "messages": [{"id": 101, "type": "agent", "created_at": "2024-01-01T00:05:00Z"}]}]})"
      "\n"
      R"({"id": 17, "tags": [], "first_name": null})"
      "\n";
  const auto report = run_import(test.db, update);
  ASSERT_TRUE(report.committed()) << problems_text(report);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM customer_tags WHERE customer_id = 18 AND tag_id IN (2, 3)"), 2);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM customer_tags WHERE customer_id = 18"), 2);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM customer_tags WHERE customer_id = 17"), 0);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM conversations WHERE customer_id = 18"), 1);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM conversations WHERE id = 7"), 0);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM messages WHERE conversation_id = 6"), 1);
  EXPECT_EQ(raw.integer("SELECT unread_count FROM conversations WHERE id = 6"), 0);
  EXPECT_EQ(raw.rows("SELECT status, user_id FROM conversations WHERE id = 6")[0],
            (std::vector<raw_value>{std::string("active"), std::int64_t{4}}));  // user_id absent: kept
  EXPECT_EQ(raw.rows("SELECT email, username, first_name FROM customers WHERE id = 18")[0],
            (std::vector<raw_value>{std::string(""), std::string("dima"), std::string("Дмитрий")}));
  EXPECT_EQ(raw.rows("SELECT first_name, last_name FROM customers WHERE id = 17")[0],
            (std::vector<raw_value>{nullptr, std::string("Doe")}));
  // Customer 17's conversations were not mentioned: untouched.
  EXPECT_EQ(raw.integer("SELECT count(*) FROM messages WHERE conversation_id = 5"), 2);
}

TEST(StorageImport, TagRenamedById) {
  temp_database test;
  ASSERT_TRUE(run_import(test.db, good_file).committed());
  const auto report = run_import(test.db, R"({"id": 19, "tags": [{"id": 1, "name": "Gold"}]})");
  ASSERT_TRUE(report.committed()) << problems_text(report);
  raw_connection raw(test.file);
  EXPECT_EQ(raw.rows("SELECT name FROM tags WHERE id = 1")[0][0], raw_value{std::string("Gold")});
}

TEST(StorageImport, BadLinesAreReportedAndNothingIsWritten) {
  temp_database test;
  ASSERT_TRUE(run_import(test.db, good_file).committed());
  const auto before = dump(test.file);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"id": 30, "first_name": "fine"})", ""},
      {R"({"id": 31, "first_name": )", "not valid JSON"},
      {R"([1, 2, 3])", "not a JSON object"},
      {R"({"first_name": "no id"})", "id: missing"},
      {R"({"id": "32"})", "is not an integer"},
      {R"({"id": 1.5})", "is not an integer"},
      {R"({"id": -4})", "positive"},
      {R"({"id": 33, "first_name": 5})", "first_name"},
      {R"({"id": 34, "created_at": "2023-02-30T00:00:00Z"})", "created_at"},
      {R"({"id": 35, "updated_at": 1672531200})", "updated_at"},
      {R"({"id": 36, "tags": {"id": 1}})", "tags"},
      {R"({"id": 37, "tags": [{"id": 1}]})", "tags[0].name"},
      {R"({"id": 38, "conversations": [{"id": 40, "messages": [{"id": 400, "content": "x"}]}]})",
       "conversations[0].messages[0].type: missing"},
      {R"({"id": 39, "conversations": [{"id": 41, "messages": [{"id": 401, "type": "customer", "is_answered": "yes"}]}]})",
       "is_answered"},
      {R"({"id": 42, "tags": [{"id": 9, "name": "Nine"}]})", ""},
      {R"({"id": 43, "tags": [{"id": 9, "name": "Other"}]})", "tag 9 is named 'Nine' on line 15"},
      {R"({"id": 44, "tags": [{"id": 10, "name": "Nine"}]})", "tag name 'Nine' has id 9 on line 15"},
      {R"({"id": 45, "tags": [{"id": 11, "name": "VIP"}]})", "belongs to tag 1 in the database"},
      {R"({"id": 46, "conversations": [{"id": 50, "messages": [{"id": 500, "type": "customer"}]}]})", ""},
      {R"({"id": 47, "conversations": [{"id": 50}]})", "conversation 50 already belongs to customer 46 on line 19"},
      {R"({"id": 48, "conversations": [{"id": 51, "messages": [{"id": 500, "type": "agent"}]}]})",
       "message 500 already belongs to conversation 50 on line 19"},
      {R"({"id": 46, "first_name": "again"})", "customer 46 already appears on line 19"},
      {R"({"id": 49, "conversations": [{"id": 52}, {"id": 52}]})", "conversation 52 is listed twice"},
      {R"({"id": 53, "conversations": [{"id": 54, "messages": [{"id": 600, "type": "customer"}, {"id": 600, "type": "customer"}]}]})",
       "message 600 is listed twice"},
      {R"({"id": 55, "conversations": [{"id": 56, "user_id": "3"}]})", "user_id"},
      {R"({"id": 57, "id": 99999999999999999999})", "id"},
  };
  std::string file;
  for (const auto& entry : cases) file += entry.first + "\n";
  const auto report = run_import(test.db, file);
  EXPECT_FALSE(report.committed());
  std::size_t expected_problems = 0;
  for (std::size_t index = 0; index < cases.size(); ++index) {
    const auto line = static_cast<std::int64_t>(index + 1);
    const auto& wanted = cases[index].second;
    const auto found = std::find_if(report.problems.begin(), report.problems.end(),
                                    [&](const import_problem& problem) { return problem.line == line; });
    if (wanted.empty()) {
      EXPECT_EQ(found, report.problems.end()) << "line " << line << " should be fine: " << found->message;
      continue;
    }
    ++expected_problems;
    ASSERT_NE(found, report.problems.end()) << "line " << line << " not reported; got\n" << problems_text(report);
    EXPECT_NE(found->message.find(wanted), std::string::npos)
        << "line " << line << ": '" << found->message << "' lacks '" << wanted << "'";
    EXPECT_EQ(found->message.find('\n'), std::string::npos);
  }
  EXPECT_EQ(report.problem_count, static_cast<std::int64_t>(expected_problems)) << problems_text(report);
  EXPECT_EQ(dump(test.file), before);
  // Temp tables are gone and the connection still works.
  EXPECT_TRUE(run_import(test.db, R"({"id": 70})").committed());
  EXPECT_EQ(test.db.customer_count(), 4);
}

TEST(StorageImport, ReportsAtMostTheLimitButCountsAll) {
  temp_database test;
  std::string file;
  for (int index = 0; index < 10; ++index) file += "not json\n{\"id\": " + std::to_string(index + 1) + "}\n";
  const auto report = run_import(test.db, file, 3);
  EXPECT_EQ(report.problem_count, 10);
  ASSERT_EQ(report.problems.size(), 3u);
  EXPECT_EQ(report.problems[0].line, 1);
  EXPECT_EQ(report.problems[1].line, 3);
  EXPECT_EQ(report.problems[2].line, 5);
  EXPECT_EQ(report.lines, 20);
  EXPECT_EQ(test.db.customer_count(), 0);
}

TEST(StorageImport, ManyLinesStream) {
  temp_database test;
  std::stringstream file;
  for (int index = 1; index <= 3000; ++index)
    file << R"({"id": )" << index << R"(, "first_name": "Name)" << index
         << R"(", "created_at": "2024-05-01T10:00:00Z", "tags": [{"id": )" << (index % 7 + 1) << R"(, "name": "T)"
         << (index % 7 + 1) << R"("}], "conversations": [{"id": )" << index << R"(, "user_id": )" << (index % 5)
         << R"(, "messages": [{"id": )" << index << R"(, "type": "customer", "created_at": "2024-05-02T10:00:00Z"}]}]})"
         << "\n";
  const auto report = import_json_lines(test.db, file);
  EXPECT_TRUE(report.committed()) << problems_text(report);
  EXPECT_EQ(report.customers, 3000);
  EXPECT_EQ(report.tags, 7);
  EXPECT_EQ(test.db.customer_count(), 3000);
  protocol::list_query query;
  query.filter.has_unread = true;
  EXPECT_EQ(test.db.fetch_customers(query, {}).total_count, 3000);
}

}  // namespace
}  // namespace cws::storage

namespace cws::storage {
namespace {

// A line that fails halfway is rolled back with its savepoint, including the
// ids it had already remembered: a later line with the same customer is not
// "on two lines", and only the bad line is reported.
TEST(StorageImport, ABadLineForgetsTheIdsItBrought) {
  temp_database test;
  const std::string file =
      R"({"id": 5, "created_at": "2024-01-01T00:00:00Z", "tags": [{"id": 1, "name": "A"}, {"id": 1, "name": "B"}]})"
      "\n"
      R"({"id": 5, "created_at": "2024-01-01T00:00:00Z", "tags": [{"id": 1, "name": "A"}]})"
      "\n";
  const auto report = run_import(test.db, file);
  ASSERT_EQ(report.problem_count, 1) << problems_text(report);
  EXPECT_EQ(report.problems.front().line, 1);
  EXPECT_EQ(test.db.customer_count(), 0);
}

}  // namespace
}  // namespace cws::storage
