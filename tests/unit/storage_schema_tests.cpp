// Opening, migrations and the triggers that keep the derived values.
#include <gtest/gtest.h>

#include <fstream>

#include "storage_test_support.hpp"

namespace cws::storage {
namespace {

using testing::raw_connection;
using testing::temp_database;
using testing::temp_folder;

TEST(StorageOpen, CreatesItsFolderAndFileWhenAllowed) {
  temp_folder folder;
  const auto file = folder.path() / "data" / "c.db";
  database db(database_location{backend::sqlite, file.string()});
  EXPECT_TRUE(std::filesystem::exists(file));
  EXPECT_EQ(db.schema_version(), 0);
  db.check_reachable();
}

// A chain of missing folders is more likely a typo than a wish.
TEST(StorageOpen, DoesNotCreateAChainOfFolders) {
  temp_folder folder;
  const auto file = folder.path() / "nested" / "deeper" / "c.db";
  try {
    database db(database_location{backend::sqlite, file.string()});
    FAIL() << "opened " << file;
  } catch (const storage_error& error) {
    EXPECT_EQ(error.error_kind(), storage_error::kind::unavailable);
    EXPECT_NE(std::string(error.what()).find("does not exist"), std::string::npos) << error.what();
  }
  EXPECT_FALSE(std::filesystem::exists(folder.path() / "nested"));
}

TEST(StorageOpen, MissingFileIsUnavailableWithoutCreate) {
  temp_folder folder;
  database_options options;
  options.create_if_missing = false;
  try {
    database db(database_location{backend::sqlite, (folder.path() / "none.db").string()}, options);
    FAIL() << "opened a missing file";
  } catch (const storage_error& error) {
    EXPECT_EQ(error.error_kind(), storage_error::kind::unavailable);
  }
  EXPECT_FALSE(std::filesystem::exists(folder.path() / "none.db"));
}

TEST(StorageOpen, NotADatabaseIsUnavailable) {
  temp_folder folder;
  const auto file = folder.path() / "junk.db";
  std::ofstream(file) << std::string(4096, 'x');
  try {
    database db(database_location{backend::sqlite, file.string()});
    db.migrate();
    FAIL() << "accepted a junk file";
  } catch (const storage_error& error) {
    EXPECT_EQ(error.error_kind(), storage_error::kind::unavailable) << error.what();
  }
}

TEST(StorageOpen, PathWithSpacesAndEquals) {
  temp_folder folder;
  for (const char* name : {"with space.db", "a=b c.db"}) {
    const auto file = folder.path() / name;
    database db(database_location{backend::sqlite, file.string()});
    db.migrate();
    EXPECT_TRUE(std::filesystem::exists(file)) << name;
  }
}

TEST(StorageOpen, UsesWalAndForeignKeys) {
  temp_database test;
  raw_connection raw(test.file);
  const auto mode = raw.rows("PRAGMA journal_mode");
  EXPECT_EQ(std::get<std::string>(mode[0][0]), "wal");
}

TEST(StorageMigrate, IdempotentAndVersioned) {
  temp_folder folder;
  const auto file = (folder.path() / "m.db").string();
  database db(database_location{backend::sqlite, file});
  EXPECT_EQ(db.schema_version(), 0);
  db.migrate();
  EXPECT_EQ(db.schema_version(), database::latest_schema_version());
  EXPECT_GE(database::latest_schema_version(), 1);
  db.migrate();
  database again(database_location{backend::sqlite, file});
  again.migrate();
  EXPECT_EQ(again.schema_version(), database::latest_schema_version());
  raw_connection raw(file);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM schema_migrations"), database::latest_schema_version());
  EXPECT_GT(*raw.integer("SELECT min(applied_at) FROM schema_migrations"), 1'600'000'000'000);
  for (const char* table : {"customers", "tags", "customer_tags", "conversations", "messages", "customer_search"})
    EXPECT_EQ(raw.integer("SELECT count(*) FROM sqlite_master WHERE name = ?", {std::string(table)}), 1) << table;
}

TEST(StorageMigrate, RefusesNewerSchema) {
  temp_database test;
  raw_connection(test.file).exec("INSERT INTO schema_migrations VALUES (999, 0)");
  EXPECT_THROW(test.db.migrate(), storage_error);
}

// ---- triggers -------------------------------------------------------------------

class StorageTriggers : public ::testing::Test {
 protected:
  temp_database test;
  raw_connection raw{test.file};

  void SetUp() override {
    raw.exec("INSERT INTO customers(id, first_name, created_at, updated_at) VALUES (1, 'Ann', 1000, 2000)");
    raw.exec("INSERT INTO conversations(id, customer_id, user_id, created_at, updated_at) VALUES (10, 1, 5, 1000, 1000)");
    raw.exec("INSERT INTO conversations(id, customer_id, user_id, created_at, updated_at) VALUES (11, 1, 6, 1000, 1000)");
  }
  void add_message(std::int64_t id, std::int64_t conversation, const char* type, int answered, std::int64_t at) {
    raw.exec("INSERT INTO messages(id, conversation_id, type, is_answered, created_at, content) VALUES (?, ?, ?, ?, ?, 'x')",
             {id, conversation, std::string(type), std::int64_t{answered}, at});
  }
  std::int64_t unread(std::int64_t conversation) {
    return *raw.integer("SELECT unread_count FROM conversations WHERE id = ?", {conversation});
  }
  std::optional<std::int64_t> last_message(std::int64_t conversation) {
    return raw.integer("SELECT last_message_id FROM conversations WHERE id = ?", {conversation});
  }
  std::optional<std::int64_t> last_message_at(std::int64_t conversation) {
    return raw.integer("SELECT last_message_at FROM conversations WHERE id = ?", {conversation});
  }
  std::int64_t activity(std::int64_t customer = 1) {
    return *raw.integer("SELECT last_activity FROM customers WHERE id = ?", {customer});
  }
};

TEST_F(StorageTriggers, NewCustomerActivityIsUpdatedAt) {
  EXPECT_EQ(activity(), 2000);
  EXPECT_EQ(unread(10), 0);
  EXPECT_FALSE(last_message(10));
}

TEST_F(StorageTriggers, InsertMessages) {
  add_message(100, 10, "customer", 0, 3000);
  EXPECT_EQ(unread(10), 1);
  EXPECT_EQ(last_message(10), 100);
  EXPECT_EQ(activity(), 3000);
  add_message(101, 10, "agent", 0, 2500);  // older: not the latest, not unread
  EXPECT_EQ(unread(10), 1);
  EXPECT_EQ(last_message(10), 100);
  add_message(99, 10, "customer", 1, 3000);  // same time, lower id: not the latest
  EXPECT_EQ(last_message(10), 100);
  EXPECT_EQ(unread(10), 1);
  add_message(102, 10, "customer", 0, 3000);  // same time, higher id: the latest
  EXPECT_EQ(last_message(10), 102);
  EXPECT_EQ(unread(10), 2);
  add_message(103, 11, "customer", 0, 1500);  // another conversation, older than activity
  EXPECT_EQ(unread(11), 1);
  EXPECT_EQ(unread(10), 2);
  EXPECT_EQ(activity(), 3000);
}

TEST_F(StorageTriggers, UpdateMessages) {
  add_message(100, 10, "customer", 0, 3000);
  add_message(101, 10, "customer", 0, 4000);
  EXPECT_EQ(unread(10), 2);
  raw.exec("UPDATE messages SET is_answered = 1 WHERE conversation_id = 10 AND type = 'customer'");
  EXPECT_EQ(unread(10), 0);
  raw.exec("UPDATE messages SET is_answered = 0 WHERE id = 100");
  EXPECT_EQ(unread(10), 1);
  raw.exec("UPDATE messages SET type = 'agent' WHERE id = 100");
  EXPECT_EQ(unread(10), 0);
  raw.exec("UPDATE messages SET type = 'customer' WHERE id = 100");
  EXPECT_EQ(unread(10), 1);
  // Moving the latest message back in time makes the other one the latest.
  EXPECT_EQ(last_message(10), 101);
  raw.exec("UPDATE messages SET created_at = 2500 WHERE id = 101");
  EXPECT_EQ(last_message(10), 100);
  EXPECT_EQ(last_message_at(10), 3000);
  EXPECT_EQ(activity(), 3000);
  // Moving a message to the other conversation moves its unread count.
  raw.exec("UPDATE messages SET conversation_id = 11 WHERE id = 100");
  EXPECT_EQ(unread(10), 0);
  EXPECT_EQ(unread(11), 1);
  EXPECT_EQ(last_message(10), 101);
  EXPECT_EQ(last_message(11), 100);
  EXPECT_EQ(activity(), 3000);
}

TEST_F(StorageTriggers, DeleteMessages) {
  add_message(100, 10, "customer", 0, 3000);
  add_message(101, 10, "customer", 0, 5000);
  EXPECT_EQ(activity(), 5000);
  raw.exec("DELETE FROM messages WHERE id = 101");
  EXPECT_EQ(unread(10), 1);
  EXPECT_EQ(last_message(10), 100);
  EXPECT_EQ(activity(), 3000);
  raw.exec("DELETE FROM messages WHERE id = 100");
  EXPECT_EQ(unread(10), 0);
  EXPECT_FALSE(last_message(10));
  EXPECT_FALSE(last_message_at(10));
  EXPECT_EQ(activity(), 2000);
}

TEST_F(StorageTriggers, DeleteAndMoveConversations) {
  add_message(100, 10, "customer", 0, 3000);
  add_message(101, 11, "customer", 0, 7000);
  EXPECT_EQ(activity(), 7000);
  raw.exec("INSERT INTO customers(id, first_name, created_at, updated_at) VALUES (2, 'Bob', 500, 600)");
  raw.exec("UPDATE conversations SET customer_id = 2 WHERE id = 11");
  EXPECT_EQ(activity(1), 3000);
  EXPECT_EQ(activity(2), 7000);
  raw.exec("DELETE FROM conversations WHERE id = 10");
  EXPECT_EQ(activity(1), 2000);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM messages WHERE conversation_id = 10"), 0);
  raw.exec("DELETE FROM customers WHERE id = 2");
  EXPECT_EQ(raw.integer("SELECT count(*) FROM conversations"), 0);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM messages"), 0);
}

TEST_F(StorageTriggers, CustomerUpdatedAt) {
  add_message(100, 10, "customer", 0, 3000);
  raw.exec("UPDATE customers SET updated_at = 9000 WHERE id = 1");
  EXPECT_EQ(activity(), 9000);
  raw.exec("UPDATE customers SET updated_at = 1500 WHERE id = 1");
  EXPECT_EQ(activity(), 3000);
}

TEST_F(StorageTriggers, NewConversationIgnoresWrittenDerivedValues) {
  raw.exec("INSERT INTO conversations(id, customer_id, created_at, updated_at, unread_count, last_message_id,"
           " last_message_at) VALUES (12, 1, 1, 1, 7, 555, 99999)");
  EXPECT_EQ(unread(12), 0);
  EXPECT_FALSE(last_message(12));
  EXPECT_EQ(activity(), 2000);
}

TEST_F(StorageTriggers, SearchIndexFollowsCustomers) {
  const auto matches = [&](const char* phrase) {
    return *raw.integer("SELECT count(*) FROM customer_search WHERE customer_search MATCH ?", {std::string(phrase)});
  };
  EXPECT_EQ(matches("\"ann\""), 1);
  raw.exec("UPDATE customers SET first_name = 'Дмитрий', email = 'DIMA@example.com' WHERE id = 1");
  EXPECT_EQ(matches("\"ann\""), 0);
  EXPECT_EQ(matches("\"дмитрий\""), 1);
  EXPECT_EQ(matches("\"ДМИ\""), 1);
  EXPECT_EQ(matches("\"dima@\""), 1);
  raw.exec("PRAGMA recursive_triggers=ON");  // as the service's own connections have it
  raw.exec("INSERT OR REPLACE INTO customers(id, first_name, created_at, updated_at) VALUES (1, 'Zed', 1, 1)");
  EXPECT_EQ(matches("\"дми\""), 0);
  EXPECT_EQ(matches("\"zed\""), 1);
  raw.exec("DELETE FROM customers WHERE id = 1");
  EXPECT_EQ(matches("\"zed\""), 0);
  raw.exec("INSERT INTO customer_search(customer_search) VALUES ('integrity-check')");
}

}  // namespace
}  // namespace cws::storage
