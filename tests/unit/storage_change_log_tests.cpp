// The change log: every committed write that can change a list leaves a row
// naming whose view it touched, whoever wrote it; bulk writers leave one.
#include <gtest/gtest.h>

#include <array>
#include <sstream>

#include "protocol/time.hpp"
#include "storage/demo_data.hpp"
#include "storage/import.hpp"
#include "storage_test_support.hpp"

namespace cws::storage {
namespace {

using testing::raw_connection;
using testing::temp_database;

// (customer_id, user_id, tag_id) of each change after `after`, -1 for null.
std::vector<std::array<std::int64_t, 3>> logged(database& db, std::int64_t after) {
  std::vector<std::array<std::int64_t, 3>> rows;
  for (const auto& change : db.read_changes(after, 1000))
    rows.push_back({change.customer_id.value_or(-1), change.user_id.value_or(-1), change.tag_id.value_or(-1)});
  return rows;
}

bool names_customer(const std::vector<std::array<std::int64_t, 3>>& rows, std::int64_t customer, std::int64_t user) {
  for (const auto& row : rows)
    if (row[0] == customer && row[1] == user) return true;
  return false;
}

// Writes made by another program, straight into the file, are logged.
TEST(StorageChangeLog, WritesOfAnyProgramAreLoggedWithWhoseViewTheyTouch) {
  temp_database test;
  raw_connection other(test.file);
  EXPECT_EQ(test.db.latest_change_id(), 0);

  other.exec("INSERT INTO customers(id, first_name, created_at, updated_at) VALUES (1, 'Ann', 1, 1)");
  auto after = test.db.latest_change_id();
  EXPECT_GT(after, 0);
  EXPECT_TRUE(names_customer(logged(test.db, 0), 1, -1));

  other.exec("INSERT INTO conversations(id, customer_id, user_id, status, created_at, updated_at)"
             " VALUES (10, 1, 7, 'active', 2, 2)");
  EXPECT_TRUE(names_customer(logged(test.db, after), 1, 7)) << "a conversation names its owner";
  after = test.db.latest_change_id();

  other.exec("INSERT INTO messages(id, conversation_id, content, type, is_ai_response, is_answered, created_at)"
             " VALUES (100, 10, 'hi', 'customer', 0, 0, 3)");
  EXPECT_TRUE(names_customer(logged(test.db, after), 1, 7)) << "a message names its conversation's owner";
  after = test.db.latest_change_id();

  // An edit that leaves every derived value alone is logged all the same.
  other.exec("UPDATE messages SET content = 'hello' WHERE id = 100");
  EXPECT_TRUE(names_customer(logged(test.db, after), 1, 7));
  after = test.db.latest_change_id();

  other.exec("UPDATE conversations SET user_id = 8 WHERE id = 10");
  auto moved = logged(test.db, after);
  EXPECT_TRUE(names_customer(moved, 1, 8)) << "the new owner's view changed";
  EXPECT_TRUE(names_customer(moved, 1, 7)) << "and the old owner's";
  after = test.db.latest_change_id();

  other.exec("INSERT INTO tags(id, name) VALUES (5, 'VIP')");
  EXPECT_TRUE(logged(test.db, after).empty()) << "a tag nobody holds changes no list";
  other.exec("INSERT INTO customer_tags(customer_id, tag_id) VALUES (1, 5)");
  EXPECT_TRUE(names_customer(logged(test.db, after), 1, -1));
  after = test.db.latest_change_id();

  other.exec("UPDATE tags SET name = 'Gold' WHERE id = 5");
  auto renamed = logged(test.db, after);
  ASSERT_EQ(renamed.size(), 1u);
  EXPECT_EQ(renamed.front()[2], 5) << "a rename names the tag: every holder's view changed";
  after = test.db.latest_change_id();

  other.exec("DELETE FROM customers WHERE id = 1");
  EXPECT_TRUE(names_customer(logged(test.db, after), 1, -1));
}

TEST(StorageChangeLog, BulkWritesLeaveOneRowForEverything) {
  temp_database test;
  write_demo_data(test.db, 50, 3);
  auto changes = test.db.read_changes(0, 1000);
  ASSERT_EQ(changes.size(), 1u) << "the demo's rows are not logged one by one";
  EXPECT_TRUE(changes.front().everything);
  raw_connection raw(test.file);
  EXPECT_EQ(raw.integer("SELECT paused FROM change_log_control"), 0) << "the triggers work again afterwards";

  const auto before = test.db.latest_change_id();
  std::istringstream good(R"({"id": 1000, "first_name": "Zoe", "created_at": "2024-01-01T00:00:00Z"})"
                          "\n");
  ASSERT_TRUE(import_json_lines(test.db, good).committed());
  changes = test.db.read_changes(before, 1000);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes.front().everything);

  const auto after_import = test.db.latest_change_id();
  std::istringstream again(R"({"id": 1000, "first_name": "Zoe", "created_at": "2024-01-01T00:00:00Z"})"
                           "\n");
  ASSERT_TRUE(import_json_lines(test.db, again).committed());
  EXPECT_EQ(test.db.latest_change_id(), after_import) << "an import that changed nothing logs nothing";

  std::istringstream bad("{\"id\": 1001}\nnot json\n");
  EXPECT_FALSE(import_json_lines(test.db, bad).committed());
  EXPECT_EQ(test.db.latest_change_id(), after_import) << "a failed import logs nothing";
  EXPECT_EQ(raw.integer("SELECT paused FROM change_log_control"), 0);
}

TEST(StorageChangeLog, ReadsInPagesAndPrunesByAge) {
  temp_database test;
  raw_connection other(test.file);
  for (int id = 1; id <= 5; ++id)
    other.exec("INSERT INTO customers(id, created_at, updated_at) VALUES (?, 1, 1)", {std::int64_t{id}});
  auto first_two = test.db.read_changes(0, 2);
  ASSERT_EQ(first_two.size(), 2u);
  auto rest = test.db.read_changes(first_two.back().id, 100);
  EXPECT_GE(rest.size(), 3u);
  EXPECT_LT(first_two.back().id, rest.front().id) << "oldest first, no overlap";
  const auto now = protocol::now_ms();
  EXPECT_NEAR(static_cast<double>(rest.back().changed_at), static_cast<double>(now), 60'000.0)
      << "changed_at is the time of the write, in milliseconds";

  EXPECT_EQ(test.db.prune_changes(now - 3'600'000), 0) << "nothing is an hour old";
  EXPECT_GE(test.db.prune_changes(now + 60'000), 5);
  EXPECT_TRUE(test.db.read_changes(0, 100).empty());
}

TEST(StorageChangeLog, DataVersionMovesWhenAnotherConnectionCommits) {
  temp_database test;
  const auto before = test.db.data_version();
  EXPECT_EQ(test.db.data_version(), before) << "nothing happened";
  raw_connection other(test.file);
  other.exec("INSERT INTO customers(id, created_at, updated_at) VALUES (1, 1, 1)");
  EXPECT_NE(test.db.data_version(), before);
}

}  // namespace
}  // namespace cws::storage
