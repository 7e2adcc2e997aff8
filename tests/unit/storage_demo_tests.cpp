// Demo data: deterministic for (seed, count), and realistic.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <set>

#include "storage/demo_data.hpp"
#include "storage_test_support.hpp"

namespace cws::storage {
namespace {

using testing::raw_connection;
using testing::raw_value;
using testing::temp_database;

using table_dump = std::vector<std::vector<std::vector<raw_value>>>;

table_dump dump(const std::string& file) {
  raw_connection raw(file);
  table_dump tables;
  for (const char* query : {"SELECT * FROM customers ORDER BY id", "SELECT * FROM tags ORDER BY id",
                            "SELECT * FROM customer_tags ORDER BY customer_id, tag_id",
                            "SELECT * FROM conversations ORDER BY id", "SELECT * FROM messages ORDER BY id"})
    tables.push_back(raw.rows(query));
  return tables;
}

TEST(StorageDemo, SameSeedSameRows) {
  temp_database first, second, other;
  const auto summary = write_demo_data(first.db, 300, 42);
  write_demo_data(second.db, 300, 42);
  write_demo_data(other.db, 300, 43);
  EXPECT_EQ(summary.customers, 300);
  const auto dumped = dump(first.file);
  EXPECT_EQ(dumped, dump(second.file));
  EXPECT_NE(dumped, dump(other.file));
  EXPECT_EQ(static_cast<std::int64_t>(dumped[3].size()), summary.conversations);
  EXPECT_EQ(static_cast<std::int64_t>(dumped[4].size()), summary.messages);
}

TEST(StorageDemo, IdsFollowExistingRows) {
  temp_database test;
  raw_connection raw(test.file);
  raw.exec("INSERT INTO customers(id, first_name, created_at, updated_at) VALUES (1000, 'Existing', 1, 1)");
  raw.exec("INSERT INTO conversations(id, customer_id, created_at, updated_at) VALUES (500, 1000, 1, 1)");
  raw.exec("INSERT INTO messages(id, conversation_id, type, created_at) VALUES (9000, 500, 'customer', 1)");
  raw.exec("INSERT INTO tags(id, name) VALUES (70, 'VIP')");
  const auto summary = write_demo_data(test.db, 50, 1);
  EXPECT_EQ(raw.integer("SELECT min(id) FROM customers WHERE id <> 1000"), 1001);
  EXPECT_EQ(raw.integer("SELECT max(id) FROM customers"), 1050);
  EXPECT_EQ(raw.integer("SELECT min(id) FROM conversations WHERE id <> 500"), 501);
  EXPECT_EQ(raw.integer("SELECT min(id) FROM messages WHERE id <> 9000"), 9001);
  // The existing tag is reused by name, the others follow it.
  EXPECT_EQ(raw.integer("SELECT count(*) FROM tags WHERE name = 'VIP'"), 1);
  EXPECT_EQ(raw.integer("SELECT min(id) FROM tags WHERE name <> 'VIP'"), 71);
  EXPECT_EQ(summary.customers, 50);
  EXPECT_EQ(test.db.customer_count(), 51);
}

TEST(StorageDemo, Realistic) {
  temp_database test;
  const auto summary = write_demo_data(test.db, 2000, 3);
  raw_connection raw(test.file);
  const auto values = [&](const std::string& query) {
    std::set<std::string> found;
    for (const auto& row : raw.rows(query)) found.insert(std::get<std::string>(row[0]));
    return found;
  };
  EXPECT_EQ(values("SELECT DISTINCT source FROM customers"),
            (std::set<std::string>{"instagram", "telegram", "unknown", "whatsapp"}));
  EXPECT_EQ(values("SELECT DISTINCT status FROM conversations"),
            (std::set<std::string>{"active", "closed", "marketing_active", "support_active"}));
  EXPECT_EQ(values("SELECT DISTINCT type FROM messages"), (std::set<std::string>{"agent", "customer"}));
  EXPECT_GE(raw.integer("SELECT count(*) FROM tags"), 10);
  const auto users = *raw.integer("SELECT count(DISTINCT user_id) FROM conversations");
  EXPECT_GE(users, 5);
  EXPECT_LE(users, 8);
  for (const char* condition :
       {"email IS NULL", "email = ''", "email LIKE '%@%'", "phone_number IS NULL", "phone_number = ''",
        "phone_number LIKE '+%'", "profile_picture IS NULL", "profile_picture IS NOT NULL", "last_name IS NULL",
        "first_name = 'Дмитрий' OR last_name = 'Иванов' OR first_name = 'Анна'", "username IS NOT NULL",
        "first_name GLOB '*[α-ω]*'", "unicode(first_name) BETWEEN 1536 AND 1791",  // Arabic
        "unicode(last_name) BETWEEN 19968 AND 40959",                            // CJK
        "source_id IS NOT NULL"})
    EXPECT_GT(raw.integer("SELECT count(*) FROM customers WHERE " + std::string(condition)), 0) << condition;
  EXPECT_EQ(raw.integer("SELECT count(*) FROM customers WHERE updated_at < created_at"), 0);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM conversations WHERE updated_at < created_at"), 0);
  EXPECT_GT(raw.integer("SELECT count(*) FROM messages WHERE is_ai_response = 1"), 0);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM messages WHERE is_ai_response = 1 AND type <> 'agent'"), 0);
  // About three years before the fixed reference date 2026-01-01, never after it.
  EXPECT_LE(*raw.integer("SELECT max(created_at) FROM customers"), 1'767'225'600'000);
  EXPECT_LT(*raw.integer("SELECT min(created_at) FROM customers"), 1'767'225'600'000 - 2 * 365 * 86'400'000LL);
  EXPECT_LE(*raw.integer("SELECT max(created_at) FROM messages"), 1'767'225'600'000);
  // Customer messages are answered exactly when a later agent reply exists.
  EXPECT_EQ(raw.integer("SELECT count(*) FROM messages m WHERE m.type = 'customer' AND m.is_answered <>"
                        " EXISTS (SELECT 1 FROM messages r WHERE r.conversation_id = m.conversation_id"
                        " AND r.type = 'agent' AND (r.created_at, r.id) > (m.created_at, m.id))"),
            0);
  EXPECT_GT(raw.integer("SELECT count(*) FROM conversations WHERE unread_count > 0"), 0);
  EXPECT_GT(raw.integer("SELECT count(*) FROM conversations WHERE last_message_id IS NULL"), 0);
  EXPECT_GT(raw.integer("SELECT count(*) FROM customers c WHERE NOT EXISTS"
                        " (SELECT 1 FROM conversations v WHERE v.customer_id = c.id)"),
            0);
  EXPECT_LE(raw.integer("SELECT max(n) FROM (SELECT count(*) n FROM conversations GROUP BY customer_id)"), 3);
  EXPECT_LE(raw.integer("SELECT max(n) FROM (SELECT count(*) n FROM messages GROUP BY conversation_id)"), 6);
  EXPECT_EQ(summary.customers, 2000);
}

// Run with --gtest_also_run_disabled_tests to measure the bulk write.
TEST(StorageDemo, DISABLED_HundredThousandCustomersTiming) {
  temp_database test;
  const auto start = std::chrono::steady_clock::now();
  const auto summary = write_demo_data(test.db, 100'000, 1);
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "demo data: " << summary.customers << " customers, " << summary.conversations << " conversations, "
            << summary.messages << " messages in " << elapsed << " s\n";
  EXPECT_LT(elapsed, 60.0);
}

}  // namespace
}  // namespace cws::storage
