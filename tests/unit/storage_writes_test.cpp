// The write API's writes: what they store, the derived values the triggers
// keep after each kind of write, the extra rules (replies answer, messages
// move their conversation's updated_at), refusals that leave nothing behind,
// and the change log.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "protocol/time.hpp"
#include "protocol/write_request.hpp"
#include "storage/writes.hpp"
#include "storage_test_support.hpp"

namespace cws::storage {
namespace {

using json = nlohmann::json;
using protocol::write_result;
using protocol::write_status;
using testing::raw_connection;
using testing::raw_value;
using testing::temp_database;

protocol::timestamp_ms at(const char* text) { return *protocol::parse_timestamp(text); }

const protocol::timestamp_ms default_now = at("2024-05-01T12:00:00Z");

// Parses the request as the HTTP layer would and applies it.
write_result call(database& db, const std::string& method, const std::string& path, const std::string& body = "",
                  protocol::timestamp_ms now = default_now) {
  auto parsed = protocol::parse_write_request(method, path, body, now);
  if (const auto* refused = std::get_if<write_result>(&parsed)) {
    ADD_FAILURE() << method << " " << path << " " << body << " refused by the parser: " << refused->body;
    return *refused;
  }
  return apply_write(db, std::get<protocol::write_request>(parsed));
}

json answer(const write_result& result) { return json::parse(result.body); }

// The request succeeds with `status`; returns its answer.
json expect_success(database& db, const std::string& method, const std::string& path, const std::string& body,
                    write_status status, protocol::timestamp_ms now = default_now) {
  const write_result result = call(db, method, path, body, now);
  EXPECT_EQ(result.status, status) << method << " " << path << " " << body << " -> " << result.body;
  return answer(result);
}

void expect_refusal(const write_result& result, write_status status, const std::string& code,
                    const std::string& field) {
  EXPECT_EQ(result.status, status) << result.body;
  const json error = answer(result).value("error", json::object());
  EXPECT_EQ(error.value("code", ""), code) << result.body;
  EXPECT_EQ(error.value("field", ""), field) << result.body;
}

// Every row of the tables the API writes, to check that a refused write left
// nothing behind.
std::vector<std::vector<std::vector<raw_value>>> dump(const std::string& file) {
  raw_connection raw(file);
  std::vector<std::vector<std::vector<raw_value>>> tables;
  for (const char* query : {"SELECT * FROM customers ORDER BY id", "SELECT * FROM tags ORDER BY id",
                            "SELECT * FROM customer_tags ORDER BY customer_id, tag_id",
                            "SELECT * FROM conversations ORDER BY id", "SELECT * FROM messages ORDER BY id",
                            "SELECT * FROM change_log ORDER BY id"})
    tables.push_back(raw.rows(query));
  return tables;
}

// A customer 1 with conversation 10 (owner 7), both last updated at 10:00.
void seed(database& db) {
  expect_success(db, "POST", "/api/customers",
                 R"({"id":1,"first_name":"Ann","created_at":"2024-05-01T09:00:00Z",)"
                 R"("updated_at":"2024-05-01T10:00:00Z"})",
                 write_status::created);
  expect_success(db, "POST", "/api/conversations",
                 R"({"id":10,"customer_id":1,"user_id":7,"status":"active","created_at":"2024-05-01T10:00:00Z"})",
                 write_status::created);
}

json post_message(database& db, std::int64_t conversation, const std::string& body) {
  return expect_success(db, "POST", "/api/conversations/" + std::to_string(conversation) + "/messages", body,
                        write_status::created);
}

// ---- customers ----------------------------------------------------------------------

TEST(StorageWrites, CreateCustomerStoresItAndAnswersWithTheStoredRow) {
  temp_database test;
  const json created = expect_success(
      test.db, "POST", "/api/customers",
      R"({"id":17,"first_name":"John","last_name":"Doe","username":"johndoe","email":"john@example.com",
          "phone_number":"+1234567890","source":"telegram","source_id":"tg_1","profile_picture":null,
          "created_at":"2023-01-01T00:00:00Z","updated_at":"2023-01-01T12:00:00Z"})",
      write_status::created);
  EXPECT_EQ(created, json::parse(R"({"id":17,"first_name":"John","last_name":"Doe","username":"johndoe",
      "email":"john@example.com","phone_number":"+1234567890","source":"telegram","source_id":"tg_1",
      "profile_picture":null,"created_at":"2023-01-01T00:00:00.000Z","updated_at":"2023-01-01T12:00:00.000Z",
      "last_activity":"2023-01-01T12:00:00.000Z","tags":[]})"));

  raw_connection raw(test.file);
  EXPECT_EQ(raw.integer("SELECT last_activity FROM customers WHERE id = 17"), at("2023-01-01T12:00:00Z"));
  EXPECT_EQ(raw.rows("SELECT rowid FROM customer_search WHERE customer_search MATCH 'johndoe'").size(), 1u)
      << "the search index knows the new customer";

  // Without an id the database picks the next one.
  const json next = expect_success(test.db, "POST", "/api/customers", "{}", write_status::created);
  EXPECT_EQ(next["id"], 18);
  EXPECT_EQ(next["created_at"], protocol::format_timestamp(default_now)) << "times default to now";
  EXPECT_EQ(next["updated_at"], next["created_at"]);
  EXPECT_EQ(next["first_name"], nullptr);
}

TEST(StorageWrites, CreateCustomerWithATakenIdIsAConflictAndWritesNothing) {
  temp_database test;
  seed(test.db);
  const auto before = dump(test.file);
  expect_refusal(call(test.db, "POST", "/api/customers", R"({"id":1,"first_name":"Bob"})"), write_status::conflict,
                 "conflict", "id");
  EXPECT_EQ(dump(test.file), before);
}

TEST(StorageWrites, UpdateCustomerChangesOnlyTheGivenFields) {
  temp_database test;
  seed(test.db);
  expect_success(test.db, "PATCH", "/api/customers/1", R"({"last_name":"Smith","email":"ann@example.com"})",
                 write_status::ok);
  const json updated = expect_success(test.db, "PATCH", "/api/customers/1", R"({"email":null,"username":"annsmith"})",
                                      write_status::ok, at("2024-05-02T08:00:00Z"));
  EXPECT_EQ(updated["first_name"], "Ann") << "not given: kept";
  EXPECT_EQ(updated["last_name"], "Smith");
  EXPECT_EQ(updated["email"], nullptr) << "null clears";
  EXPECT_EQ(updated["username"], "annsmith");
  EXPECT_EQ(updated["created_at"], "2024-05-01T09:00:00.000Z");
  EXPECT_EQ(updated["updated_at"], "2024-05-02T08:00:00.000Z") << "updated_at defaults to now";
  EXPECT_EQ(updated["last_activity"], "2024-05-02T08:00:00.000Z");

  raw_connection raw(test.file);
  EXPECT_EQ(raw.rows("SELECT rowid FROM customer_search WHERE customer_search MATCH 'annsmith'").size(), 1u);

  const json dated = expect_success(test.db, "PATCH", "/api/customers/1",
                                    R"({"created_at":"2020-01-01","updated_at":"2021-01-01"})", write_status::ok);
  EXPECT_EQ(dated["created_at"], "2020-01-01T00:00:00.000Z");
  EXPECT_EQ(dated["updated_at"], "2021-01-01T00:00:00.000Z");
  EXPECT_EQ(dated["last_activity"], "2021-01-01T00:00:00.000Z") << "last_activity follows updated_at down too";

  expect_refusal(call(test.db, "PATCH", "/api/customers/2", R"({"first_name":"X"})"), write_status::not_found,
                 "not_found", "id");
}

TEST(StorageWrites, DeleteCustomerTakesItsTagsConversationsAndMessages) {
  temp_database test;
  seed(test.db);
  expect_success(test.db, "POST", "/api/customers", R"({"id":2})", write_status::created);
  expect_success(test.db, "POST", "/api/tags", R"({"id":3,"name":"VIP"})", write_status::created);
  expect_success(test.db, "PUT", "/api/customers/1/tags/3", "", write_status::ok);
  expect_success(test.db, "PUT", "/api/customers/2/tags/3", "", write_status::ok);
  post_message(test.db, 10, R"({"content":"hi","type":"customer"})");

  const json deleted = expect_success(test.db, "DELETE", "/api/customers/1", "", write_status::ok);
  EXPECT_EQ(deleted, json::parse(R"({"deleted":{"customer":1}})"));
  raw_connection raw(test.file);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM customers WHERE id = 1"), 0);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM conversations"), 0);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM messages"), 0);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM customer_tags WHERE customer_id = 1"), 0);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM customer_tags WHERE customer_id = 2"), 1) << "others keep theirs";
  EXPECT_EQ(raw.integer("SELECT count(*) FROM tags"), 1) << "the tag itself stays";
  EXPECT_EQ(raw.rows("SELECT rowid FROM customer_search WHERE customer_search MATCH 'Ann'").size(), 0u);

  expect_refusal(call(test.db, "DELETE", "/api/customers/1"), write_status::not_found, "not_found", "id");
}

// ---- tags -------------------------------------------------------------------------------

TEST(StorageWrites, TagsCreateRenameDelete) {
  temp_database test;
  seed(test.db);
  EXPECT_EQ(expect_success(test.db, "POST", "/api/tags", R"({"name":"VIP"})", write_status::created),
            json::parse(R"({"id":1,"name":"VIP"})"));
  EXPECT_EQ(expect_success(test.db, "POST", "/api/tags", R"({"id":5,"name":"Gold"})", write_status::created),
            json::parse(R"({"id":5,"name":"Gold"})"));
  expect_refusal(call(test.db, "POST", "/api/tags", R"({"id":5,"name":"Other"})"), write_status::conflict, "conflict",
                 "id");
  expect_refusal(call(test.db, "POST", "/api/tags", R"({"name":"VIP"})"), write_status::conflict, "conflict", "name");

  expect_success(test.db, "PUT", "/api/customers/1/tags/5", "", write_status::ok);
  EXPECT_EQ(expect_success(test.db, "PATCH", "/api/tags/5", R"({"name":"Platinum"})", write_status::ok),
            json::parse(R"({"id":5,"name":"Platinum"})"));
  EXPECT_EQ(expect_success(test.db, "PATCH", "/api/tags/5", R"({"name":"Platinum"})", write_status::ok)["name"],
            "Platinum")
      << "renaming to its own name changes nothing and is fine";
  expect_refusal(call(test.db, "PATCH", "/api/tags/5", R"({"name":"VIP"})"), write_status::conflict, "conflict",
                 "name");
  expect_refusal(call(test.db, "PATCH", "/api/tags/6", R"({"name":"New"})"), write_status::not_found, "not_found",
                 "id");

  const json customer = expect_success(test.db, "PATCH", "/api/customers/1", R"({"first_name":"Ann"})",
                                       write_status::ok);
  EXPECT_EQ(customer["tags"], json::parse(R"([{"id":5,"name":"Platinum"}])")) << "a customer answer has its tags";

  EXPECT_EQ(expect_success(test.db, "DELETE", "/api/tags/5", "", write_status::ok),
            json::parse(R"({"deleted":{"tag":5}})"));
  raw_connection raw(test.file);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM customer_tags"), 0) << "its assignments went with it";
  expect_refusal(call(test.db, "DELETE", "/api/tags/5"), write_status::not_found, "not_found", "id");
}

TEST(StorageWrites, TagAssignmentsAreIdempotentAndRemovalNeedsOne) {
  temp_database test;
  seed(test.db);
  expect_success(test.db, "POST", "/api/tags", R"({"id":3,"name":"VIP"})", write_status::created);
  EXPECT_EQ(expect_success(test.db, "PUT", "/api/customers/1/tags/3", "", write_status::ok),
            json::parse(R"({"customer_id":1,"tag_id":3})"));
  const auto logged = test.db.latest_change_id();
  EXPECT_EQ(expect_success(test.db, "PUT", "/api/customers/1/tags/3", "{}", write_status::ok),
            json::parse(R"({"customer_id":1,"tag_id":3})"));
  EXPECT_EQ(test.db.latest_change_id(), logged) << "assigning again writes nothing";
  raw_connection raw(test.file);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM customer_tags"), 1);

  expect_refusal(call(test.db, "PUT", "/api/customers/2/tags/3"), write_status::not_found, "not_found", "customer_id");
  expect_refusal(call(test.db, "PUT", "/api/customers/1/tags/4"), write_status::not_found, "not_found", "tag_id");

  EXPECT_EQ(expect_success(test.db, "DELETE", "/api/customers/1/tags/3", "", write_status::ok),
            json::parse(R"({"deleted":{"assignment":{"customer_id":1,"tag_id":3}}})"));
  EXPECT_EQ(raw.integer("SELECT count(*) FROM customer_tags"), 0);
  expect_refusal(call(test.db, "DELETE", "/api/customers/1/tags/3"), write_status::not_found, "not_found", "tag_id");
  expect_refusal(call(test.db, "DELETE", "/api/customers/2/tags/3"), write_status::not_found, "not_found",
                 "customer_id");
}

// ---- conversations -----------------------------------------------------------------------------

TEST(StorageWrites, CreateConversationAnswersWithItsDerivedValues) {
  temp_database test;
  seed(test.db);
  const json created = expect_success(test.db, "POST", "/api/conversations",
                                      R"({"customer_id":1,"user_id":null,"title":"Order"})", write_status::created);
  EXPECT_EQ(created, json::parse(R"({"id":11,"customer_id":1,"user_id":null,"title":"Order","status":null,
      "source":null,"created_at":"2024-05-01T12:00:00.000Z","updated_at":"2024-05-01T12:00:00.000Z",
      "unread_count":0,"last_message_id":null,"last_message_at":null})"));

  const auto before = dump(test.file);
  expect_refusal(call(test.db, "POST", "/api/conversations", R"({"customer_id":99})"), write_status::not_found,
                 "not_found", "customer_id");
  expect_refusal(call(test.db, "POST", "/api/conversations", R"({"id":10,"customer_id":1})"), write_status::conflict,
                 "conflict", "id");
  EXPECT_EQ(dump(test.file), before);
}

TEST(StorageWrites, UpdateConversation) {
  temp_database test;
  seed(test.db);
  const json updated = expect_success(test.db, "PATCH", "/api/conversations/10",
                                      R"({"status":"closed","title":"Refund"})", write_status::ok,
                                      at("2024-05-03T00:00:00Z"));
  EXPECT_EQ(updated["status"], "closed");
  EXPECT_EQ(updated["title"], "Refund");
  EXPECT_EQ(updated["user_id"], 7) << "not given: kept";
  EXPECT_EQ(updated["updated_at"], "2024-05-03T00:00:00.000Z") << "updated_at defaults to now";
  EXPECT_EQ(updated["created_at"], "2024-05-01T10:00:00.000Z");

  const auto before = test.db.latest_change_id();
  const json moved = expect_success(test.db, "PATCH", "/api/conversations/10",
                                    R"({"user_id":8,"updated_at":"2024-05-02T00:00:00Z","source":null})",
                                    write_status::ok);
  EXPECT_EQ(moved["user_id"], 8);
  EXPECT_EQ(moved["updated_at"], "2024-05-02T00:00:00.000Z");
  EXPECT_EQ(moved["source"], nullptr);
  bool old_owner = false, new_owner = false;
  for (const auto& change : test.db.read_changes(before, 100)) {
    old_owner = old_owner || (change.customer_id == 1 && change.user_id == 7);
    new_owner = new_owner || (change.customer_id == 1 && change.user_id == 8);
  }
  EXPECT_TRUE(old_owner && new_owner) << "both owners' views changed";

  const json unowned =
      expect_success(test.db, "PATCH", "/api/conversations/10", R"({"user_id":null})", write_status::ok);
  EXPECT_EQ(unowned["user_id"], nullptr);
  expect_refusal(call(test.db, "PATCH", "/api/conversations/11", R"({"status":"x"})"), write_status::not_found,
                 "not_found", "id");
}

TEST(StorageWrites, DeleteConversationTakesItsMessages) {
  temp_database test;
  seed(test.db);
  post_message(test.db, 10, R"({"content":"hi","type":"customer","created_at":"2024-05-04T00:00:00Z"})");
  raw_connection raw(test.file);
  EXPECT_EQ(raw.integer("SELECT last_activity FROM customers WHERE id = 1"), at("2024-05-04T00:00:00Z"));

  EXPECT_EQ(expect_success(test.db, "DELETE", "/api/conversations/10", "", write_status::ok),
            json::parse(R"({"deleted":{"conversation":10}})"));
  EXPECT_EQ(raw.integer("SELECT count(*) FROM messages"), 0);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM customers"), 1);
  EXPECT_EQ(raw.integer("SELECT last_activity FROM customers WHERE id = 1"), at("2024-05-01T10:00:00Z"))
      << "its messages no longer count for the customer's last activity";
  expect_refusal(call(test.db, "DELETE", "/api/conversations/10"), write_status::not_found, "not_found", "id");
}

// ---- messages -------------------------------------------------------------------------------------

TEST(StorageWrites, CustomerMessagesRaiseUnreadAndMoveTheDerivedTimes) {
  temp_database test;
  seed(test.db);
  const json first = post_message(
      test.db, 10, R"({"id":100,"content":"Hello","type":"customer","created_at":"2024-05-01T11:00:00Z"})");
  EXPECT_EQ(first["message"], json::parse(R"({"id":100,"conversation_id":10,"content":"Hello","type":"customer",
      "is_ai_response":false,"is_answered":false,"created_at":"2024-05-01T11:00:00.000Z"})"));
  EXPECT_EQ(first["conversation"]["unread_count"], 1);
  EXPECT_EQ(first["conversation"]["last_message_id"], 100);
  EXPECT_EQ(first["conversation"]["last_message_at"], "2024-05-01T11:00:00.000Z");
  EXPECT_EQ(first["conversation"]["updated_at"], "2024-05-01T11:00:00.000Z")
      << "the conversation's updated_at moves up to the message";

  const json second = post_message(test.db, 10, R"({"content":"Anyone?","type":"customer"})");
  EXPECT_EQ(second["message"]["id"], 101);
  EXPECT_EQ(second["message"]["created_at"], "2024-05-01T12:00:00.000Z") << "created_at defaults to now";
  EXPECT_EQ(second["conversation"]["unread_count"], 2);
  EXPECT_EQ(second["conversation"]["last_message_id"], 101);
  EXPECT_EQ(second["conversation"]["updated_at"], "2024-05-01T12:00:00.000Z");

  // An older message: counted, but neither the latest nor moving updated_at back.
  const json old = post_message(test.db, 10, R"({"content":"Earlier","type":"customer","created_at":"2024-01-01"})");
  EXPECT_EQ(old["conversation"]["unread_count"], 3);
  EXPECT_EQ(old["conversation"]["last_message_id"], 101);
  EXPECT_EQ(old["conversation"]["updated_at"], "2024-05-01T12:00:00.000Z");

  // An already answered customer message does not count.
  const json answered = post_message(test.db, 10, R"({"content":"Thanks","type":"customer","is_answered":true,
      "created_at":"2024-05-01T12:00:00Z"})");
  EXPECT_EQ(answered["conversation"]["unread_count"], 3);
  EXPECT_EQ(answered["conversation"]["last_message_id"], answered["message"]["id"])
      << "same created_at: the highest id is the latest";

  raw_connection raw(test.file);
  EXPECT_EQ(raw.integer("SELECT last_activity FROM customers WHERE id = 1"), at("2024-05-01T12:00:00Z"));
  EXPECT_EQ(raw.integer("SELECT updated_at FROM customers WHERE id = 1"), at("2024-05-01T10:00:00Z"))
      << "the customer's own updated_at is not touched";
}

TEST(StorageWrites, AnAgentReplyAnswersEveryCustomerMessage) {
  temp_database test;
  seed(test.db);
  post_message(test.db, 10, R"({"content":"a","type":"customer","created_at":"2024-05-01T11:00:00Z"})");
  post_message(test.db, 10, R"({"content":"b","type":"customer","created_at":"2024-05-01T13:00:00Z"})");
  const json reply =
      post_message(test.db, 10, R"({"content":"On it","type":"agent","created_at":"2024-05-01T12:00:00Z"})");
  EXPECT_EQ(reply["conversation"]["unread_count"], 0) << "all of them, even one stamped after the reply";
  EXPECT_EQ(reply["message"]["type"], "agent");
  raw_connection raw(test.file);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM messages WHERE type = 'customer' AND is_answered = 0"), 0);

  const json again = post_message(test.db, 10, R"({"content":"c","type":"customer"})");
  EXPECT_EQ(again["conversation"]["unread_count"], 1) << "a later customer message is unread again";
}

TEST(StorageWrites, AnAiResponseAnswersEveryCustomerMessage) {
  temp_database test;
  seed(test.db);
  post_message(test.db, 10, R"({"content":"a","type":"customer"})");
  const json bot = post_message(test.db, 10, R"({"content":"Bot here","type":"agent","is_ai_response":true})");
  EXPECT_EQ(bot["conversation"]["unread_count"], 0);
  EXPECT_EQ(bot["message"]["is_ai_response"], true);

  post_message(test.db, 10, R"({"content":"b","type":"customer"})");
  const json odd = post_message(test.db, 10, R"({"content":"AI as customer","type":"customer","is_ai_response":true})");
  EXPECT_EQ(odd["conversation"]["unread_count"], 0) << "an AI response stored as a customer message is a reply too";
  EXPECT_EQ(odd["message"]["is_answered"], true);
}

TEST(StorageWrites, MarkReadAnswersEveryCustomerMessage) {
  temp_database test;
  seed(test.db);
  post_message(test.db, 10, R"({"content":"a","type":"customer","created_at":"2024-05-01T11:00:00Z"})");
  post_message(test.db, 10, R"({"content":"b","type":"customer","created_at":"2024-05-01T11:30:00Z"})");
  const json read = expect_success(test.db, "POST", "/api/conversations/10/read", "", write_status::ok,
                                   at("2024-05-05T00:00:00Z"));
  EXPECT_EQ(read["unread_count"], 0);
  EXPECT_EQ(read["id"], 10);
  EXPECT_EQ(read["updated_at"], "2024-05-01T11:30:00.000Z") << "reading is not activity: updated_at stays";
  EXPECT_EQ(expect_success(test.db, "POST", "/api/conversations/10/read", "{}", write_status::ok)["unread_count"], 0)
      << "again: still fine";
  expect_refusal(call(test.db, "POST", "/api/conversations/11/read"), write_status::not_found, "not_found",
                 "conversation_id");
}

TEST(StorageWrites, DeleteMessageRecomputesTheDerivedValues) {
  temp_database test;
  seed(test.db);
  post_message(test.db, 10, R"({"id":100,"content":"a","type":"customer","created_at":"2024-05-01T11:00:00Z"})");
  post_message(test.db, 10, R"({"id":101,"content":"b","type":"customer","created_at":"2024-05-01T11:30:00Z"})");
  EXPECT_EQ(expect_success(test.db, "DELETE", "/api/messages/101", "", write_status::ok),
            json::parse(R"({"deleted":{"message":101}})"));
  raw_connection raw(test.file);
  const auto row = raw.rows("SELECT unread_count, last_message_id, last_message_at FROM conversations WHERE id = 10");
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0], (std::vector<raw_value>{std::int64_t{1}, std::int64_t{100}, at("2024-05-01T11:00:00Z")}));
  EXPECT_EQ(raw.integer("SELECT last_activity FROM customers WHERE id = 1"), at("2024-05-01T11:00:00Z"));
  expect_refusal(call(test.db, "DELETE", "/api/messages/101"), write_status::not_found, "not_found", "id");
}

TEST(StorageWrites, AMessageThatCannotBeWrittenLeavesNothing) {
  temp_database test;
  seed(test.db);
  post_message(test.db, 10, R"({"id":100,"content":"a","type":"customer","created_at":"2024-05-01T11:00:00Z"})");
  const auto before = dump(test.file);
  expect_refusal(call(test.db, "POST", "/api/conversations/11/messages", R"({"content":"x","type":"agent"})"),
                 write_status::not_found, "not_found", "conversation_id");
  // A taken id, on a reply that would answer message 100 and move updated_at.
  expect_refusal(call(test.db, "POST", "/api/conversations/10/messages",
                      R"({"id":100,"content":"x","type":"agent","created_at":"2025-01-01"})"),
                 write_status::conflict, "conflict", "id");
  EXPECT_EQ(dump(test.file), before);
}

TEST(StorageWrites, AWriteThatFailsHalfwayIsRolledBack) {
  temp_database test;
  seed(test.db);
  post_message(test.db, 10, R"({"id":100,"content":"a","type":"customer","created_at":"2024-05-01T11:00:00Z"})");
  raw_connection raw(test.file);
  // The last step of a message write (moving the conversation's updated_at)
  // fails, after the insert and the answering of message 100.
  raw.exec("CREATE TRIGGER test_refuse_touch BEFORE UPDATE OF updated_at ON conversations"
           " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
  const auto before = dump(test.file);
  const write_result result = call(test.db, "POST", "/api/conversations/10/messages",
                                   R"({"content":"reply","type":"agent","created_at":"2025-01-01"})");
  EXPECT_EQ(result.status, write_status::conflict) << result.body;
  EXPECT_NE(result.body.find("refused by the test"), std::string::npos) << result.body;
  EXPECT_EQ(dump(test.file), before) << "neither the message nor the answered flag stayed";
  raw.exec("DROP TRIGGER test_refuse_touch");
  EXPECT_EQ(call(test.db, "POST", "/api/conversations/10/messages", R"({"content":"reply","type":"agent"})").status,
            write_status::created)
      << "the connection is usable afterwards";
}

// ---- across writes ------------------------------------------------------------------------------------

TEST(StorageWrites, ApiWritesAreInTheChangeLog) {
  temp_database test;
  const auto start = test.db.latest_change_id();
  seed(test.db);
  const auto names = [&](std::int64_t after, std::optional<std::int64_t> customer, std::optional<std::int64_t> user,
                         std::optional<std::int64_t> tag = std::nullopt) {
    for (const auto& change : test.db.read_changes(after, 1000))
      if (change.customer_id == customer && change.user_id == user && change.tag_id == tag) return true;
    return false;
  };
  EXPECT_TRUE(names(start, 1, std::nullopt)) << "the new customer";
  EXPECT_TRUE(names(start, 1, 7)) << "the new conversation, with its owner";

  auto after = test.db.latest_change_id();
  post_message(test.db, 10, R"({"content":"a","type":"customer"})");
  EXPECT_TRUE(names(after, 1, 7)) << "a message";

  after = test.db.latest_change_id();
  expect_success(test.db, "POST", "/api/conversations/10/read", "", write_status::ok);
  EXPECT_TRUE(names(after, 1, 7)) << "marking read";

  after = test.db.latest_change_id();
  expect_success(test.db, "POST", "/api/tags", R"({"id":4,"name":"VIP"})", write_status::created);
  expect_success(test.db, "PUT", "/api/customers/1/tags/4", "", write_status::ok);
  EXPECT_TRUE(names(after, 1, std::nullopt)) << "an assignment";
  after = test.db.latest_change_id();
  expect_success(test.db, "PATCH", "/api/tags/4", R"({"name":"Gold"})", write_status::ok);
  EXPECT_TRUE(names(after, std::nullopt, std::nullopt, 4)) << "a rename names the tag";

  after = test.db.latest_change_id();
  expect_success(test.db, "DELETE", "/api/customers/1", "", write_status::ok);
  EXPECT_TRUE(names(after, 1, std::nullopt)) << "a delete";

  // A refused write logs nothing.
  after = test.db.latest_change_id();
  call(test.db, "PATCH", "/api/customers/1", R"({"first_name":"Ghost"})");
  EXPECT_EQ(test.db.latest_change_id(), after);
}

TEST(StorageWrites, ABusyDatabaseIsUnavailable) {
  temp_database test;
  seed(test.db);
  database_options impatient;
  impatient.busy_timeout = std::chrono::milliseconds(50);
  database writer_db(database_location{backend::sqlite, test.file}, impatient);
  raw_connection other(test.file);
  other.exec("BEGIN IMMEDIATE");
  const write_result result = call(writer_db, "PATCH", "/api/customers/1", R"({"first_name":"Busy"})");
  expect_refusal(result, write_status::unavailable, "unavailable", "");
  other.exec("ROLLBACK");
  EXPECT_EQ(call(writer_db, "PATCH", "/api/customers/1", R"({"first_name":"Free"})").status, write_status::ok)
      << "the connection works again once the lock is gone";
}

}  // namespace
}  // namespace cws::storage
