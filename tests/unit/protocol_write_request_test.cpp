// The write API's routing and validation, and the JSON of its answers.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "protocol/time.hpp"
#include "protocol/write_request.hpp"
#include "protocol/write_response.hpp"

namespace cws::protocol {
namespace {

using json = nlohmann::json;

const timestamp_ms now = 1'714'564'800'000;  // 2024-05-01T12:00:00Z

timestamp_ms at(const char* text) { return *parse_timestamp(text); }

write_request parse_ok(const std::string& method, const std::string& path, const std::string& body = "") {
  auto parsed = parse_write_request(method, path, body, now);
  if (const auto* failure = std::get_if<write_result>(&parsed)) {
    ADD_FAILURE() << method << " " << path << " " << body << " -> " << failure->body;
    return {};
  }
  return std::get<write_request>(parsed);
}

template <typename Operation>
Operation parse_as(const std::string& method, const std::string& path, const std::string& body = "") {
  const write_request request = parse_ok(method, path, body);
  if (const auto* operation = std::get_if<Operation>(&request.operation)) return *operation;
  ADD_FAILURE() << method << " " << path << " parsed as " << operation_name(request);
  return {};
}

write_result parse_fail(const std::string& method, const std::string& path, const std::string& body = "") {
  auto parsed = parse_write_request(method, path, body, now);
  if (std::holds_alternative<write_request>(parsed)) {
    ADD_FAILURE() << method << " " << path << " " << body << " was accepted";
    return {};
  }
  return std::get<write_result>(parsed);
}

json error_of(const write_result& result) {
  const json body = json::parse(result.body);
  EXPECT_TRUE(body.contains("error")) << result.body;
  return body.value("error", json::object());
}

// A 400 invalid_field naming `field`, whose message starts with "field:".
void expect_invalid_field(const std::string& method, const std::string& path, const std::string& body,
                          const std::string& field) {
  const write_result result = parse_fail(method, path, body);
  EXPECT_EQ(result.status, write_status::invalid) << body;
  const json error = error_of(result);
  EXPECT_EQ(error.value("code", ""), "invalid_field") << body << " -> " << result.body;
  EXPECT_EQ(error.value("field", ""), field) << body << " -> " << result.body;
  EXPECT_EQ(error.value("message", "").rfind(field + ":", 0), 0u) << body << " -> " << result.body;
}

void expect_error(const write_result& result, write_status status, const std::string& code) {
  EXPECT_EQ(result.status, status) << result.body;
  EXPECT_EQ(error_of(result).value("code", ""), code) << result.body;
}

// ---- answers ------------------------------------------------------------------

TEST(WriteApi, HttpStatusOfEachResult) {
  EXPECT_EQ(http_status(write_status::ok), 200);
  EXPECT_EQ(http_status(write_status::created), 201);
  EXPECT_EQ(http_status(write_status::invalid), 400);
  EXPECT_EQ(http_status(write_status::unauthorized), 401);
  EXPECT_EQ(http_status(write_status::forbidden), 403);
  EXPECT_EQ(http_status(write_status::not_found), 404);
  EXPECT_EQ(http_status(write_status::method_not_allowed), 405);
  EXPECT_EQ(http_status(write_status::conflict), 409);
  EXPECT_EQ(http_status(write_status::payload_too_large), 413);
  EXPECT_EQ(http_status(write_status::unavailable), 503);
  EXPECT_EQ(http_status(write_status::internal), 500);
}

TEST(WriteApi, ErrorJson) {
  EXPECT_EQ(write_error_json("invalid_field", "status", "status: must be a string or null"),
            R"({"error":{"code":"invalid_field","field":"status","message":"status: must be a string or null"}})");
  EXPECT_EQ(write_error_json("not_found", "", "no endpoint at /api/x"),
            R"({"error":{"code":"not_found","message":"no endpoint at /api/x"}})");
  // Whatever the client put in a path, the answer stays valid JSON.
  EXPECT_NO_THROW(json::parse(write_error_json("not_found", "", "no endpoint at /api/\xff\xfe")));
}

TEST(WriteApi, IsWriteApiPath) {
  for (const char* path : {"/api", "/api/", "/api/customers", "/api/x/y/z", "/api?x=1", "/api/customers?x=1"})
    EXPECT_TRUE(is_write_api_path(path)) << path;
  for (const char* path : {"", "/", "/ap", "/apis", "/api2/customers", "/ws/customers/", "/healthz", "api/customers"})
    EXPECT_FALSE(is_write_api_path(path)) << path;
}

TEST(WriteApi, AdminToken) {
  const auto forbidden = check_admin_token("Bearer secret", "");
  ASSERT_TRUE(forbidden);
  expect_error(*forbidden, write_status::forbidden, "forbidden");

  for (const char* header : {"", "secret", "Basic secret", "Bearer", "Bearer ", "Bearer wrong", "Bearer secretx",
                             "Bearer secre", "Token secret"}) {
    const auto refused = check_admin_token(header, "secret");
    ASSERT_TRUE(refused) << header;
    expect_error(*refused, write_status::unauthorized, "unauthorized");
  }
  for (const char* header : {"Bearer secret", "bearer secret", "BEARER secret", "  Bearer   secret  "})
    EXPECT_FALSE(check_admin_token(header, "secret")) << header;
}

TEST(WriteApi, BodyTooLarge) {
  const write_result result = body_too_large_result();
  expect_error(result, write_status::payload_too_large, "payload_too_large");
  const std::string huge = R"({"first_name":")" + std::string(max_write_body_bytes, 'a') + "\"}";
  expect_error(parse_fail("POST", "/api/customers", huge), write_status::payload_too_large, "payload_too_large");
}

// ---- routing ------------------------------------------------------------------------

TEST(WriteApi, UnknownPathsAreNotFound) {
  for (const char* path : {"/api", "/api/", "/api/customer", "/api/customers/1/tags", "/api/customers/1/foo",
                           "/api/customers/1/tags/2/x", "/api/messages", "/api/conversations/1/messages/2",
                           "/api/conversations/1/unread", "/api/tags/1/customers", "/api//customers"}) {
    const write_result result = parse_fail("POST", path, "{}");
    expect_error(result, write_status::not_found, "not_found");
    EXPECT_FALSE(error_of(result).contains("field")) << path;
  }
}

TEST(WriteApi, WrongMethodsAreNotAllowedAndNameTheAllowedOnes) {
  const std::pair<const char*, const char*> cases[] = {
      {"/api/customers", "POST"},          {"/api/customers/5", "PATCH, DELETE"},
      {"/api/customers/5/tags/7", "PUT, DELETE"}, {"/api/tags", "POST"},
      {"/api/tags/7", "PATCH, DELETE"},    {"/api/conversations", "POST"},
      {"/api/conversations/9", "PATCH, DELETE"}, {"/api/conversations/9/messages", "POST"},
      {"/api/conversations/9/read", "POST"}, {"/api/messages/3", "DELETE"},
  };
  for (const auto& [path, allowed] : cases) {
    for (const char* method : {"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "post"}) {
      if (std::string(allowed).find(method) != std::string::npos) continue;
      const write_result result = parse_fail(method, path, "{}");
      expect_error(result, write_status::method_not_allowed, "method_not_allowed");
      EXPECT_EQ(result.allowed_methods, allowed) << method << " " << path;
    }
  }
  // Even a path id that would be refused: the method is checked first.
  EXPECT_EQ(parse_fail("GET", "/api/customers/abc").status, write_status::method_not_allowed);
}

TEST(WriteApi, QueryStringAndTrailingSlashAreIgnored) {
  EXPECT_EQ(parse_as<delete_customer>("DELETE", "/api/customers/5/").id, 5);
  EXPECT_EQ(parse_as<delete_customer>("DELETE", "/api/customers/5?force=1").id, 5);
  EXPECT_EQ(parse_as<delete_customer>("DELETE", "/api/customers/5/?x").id, 5);
  parse_as<create_customer>("POST", "/api/customers/", "{}");
  parse_as<create_tag>("POST", "/api/tags?x=y", R"({"name":"VIP"})");
}

TEST(WriteApi, PathIdsMustBePositive64BitIntegers) {
  for (const char* id : {"abc", "0", "-1", "+1", "1.5", "1e3", "9223372036854775808", "99999999999999999999", "%31"}) {
    expect_invalid_field("DELETE", std::string("/api/customers/") + id, "", "id");
    expect_invalid_field("PATCH", std::string("/api/tags/") + id, R"({"name":"x"})", "id");
    expect_invalid_field("DELETE", std::string("/api/messages/") + id, "", "id");
    expect_invalid_field("PUT", std::string("/api/customers/") + id + "/tags/1", "", "customer_id");
    expect_invalid_field("PUT", std::string("/api/customers/1/tags/") + id, "", "tag_id");
    expect_invalid_field("POST", std::string("/api/conversations/") + id + "/messages",
                         R"({"content":"","type":"agent"})", "conversation_id");
    expect_invalid_field("POST", std::string("/api/conversations/") + id + "/read", "", "conversation_id");
  }
  expect_invalid_field("DELETE", "/api/customers//tags/1", "", "customer_id");
  EXPECT_EQ(parse_as<delete_customer>("DELETE", "/api/customers/9223372036854775807").id,
            std::int64_t{9223372036854775807});
  EXPECT_EQ(parse_as<delete_customer>("DELETE", "/api/customers/007").id, 7);
}

// ---- bodies ------------------------------------------------------------------------------

TEST(WriteApi, BodyMustBeAJsonObject) {
  for (const char* body : {"not json", "{", "{\"a\":}", "{'a':1}", "", "   ", "{} {}"}) {
    const write_result result = parse_fail("POST", "/api/customers", body);
    expect_error(result, write_status::invalid, "invalid_json");
    EXPECT_EQ(error_of(result).value("message", "").rfind("invalid JSON: ", 0), 0u) << result.body;
  }
  for (const char* body : {"[]", "5", "\"x\"", "null", "true"}) {
    expect_error(parse_fail("POST", "/api/customers", body), write_status::invalid, "invalid_body");
    expect_error(parse_fail("PATCH", "/api/conversations/1", body), write_status::invalid, "invalid_body");
  }
  // Invalid UTF-8 inside a string is not JSON.
  expect_error(parse_fail("POST", "/api/tags", "{\"name\":\"\xff\"}"), write_status::invalid, "invalid_json");
}

TEST(WriteApi, EndpointsWithoutFieldsTakeAnEmptyBodyOrAnEmptyObject) {
  for (const char* body : {"", "{}", " \r\n", " { } "}) {
    parse_as<delete_customer>("DELETE", "/api/customers/1", body);
    parse_as<delete_tag>("DELETE", "/api/tags/1", body);
    parse_as<assign_tag>("PUT", "/api/customers/1/tags/2", body);
    parse_as<unassign_tag>("DELETE", "/api/customers/1/tags/2", body);
    parse_as<delete_conversation>("DELETE", "/api/conversations/1", body);
    parse_as<delete_message>("DELETE", "/api/messages/1", body);
    parse_as<mark_conversation_read>("POST", "/api/conversations/1/read", body);
  }
  expect_invalid_field("DELETE", "/api/customers/1", R"({"force":true})", "force");
  expect_invalid_field("POST", "/api/conversations/1/read", R"({"up_to":5})", "up_to");
  expect_error(parse_fail("PUT", "/api/customers/1/tags/2", "[]"), write_status::invalid, "invalid_body");
  expect_error(parse_fail("DELETE", "/api/messages/1", "nope"), write_status::invalid, "invalid_json");
}

TEST(WriteApi, UnknownFieldsAreNamed) {
  const write_result typo = parse_fail("POST", "/api/customers", R"({"frist_name":"Ann"})");
  expect_error(typo, write_status::invalid, "invalid_field");
  EXPECT_EQ(error_of(typo).value("field", ""), "frist_name");
  EXPECT_NE(error_of(typo).value("message", "").find("first_name"), std::string::npos) << "lists the known fields";

  const write_result several = parse_fail("POST", "/api/tags", R"({"name":"a","colour":"red","b":1})");
  EXPECT_EQ(error_of(several).value("field", ""), "colour") << "the first unknown field as written";
  EXPECT_NE(error_of(several).value("message", "").find("'b'"), std::string::npos) << "the others are listed";

  // Keys a client might expect get a reason.
  expect_invalid_field("PATCH", "/api/customers/1", R"({"id":2})", "id");
  expect_invalid_field("PATCH", "/api/customers/1", R"({"last_activity":"2024-01-01"})", "last_activity");
  expect_invalid_field("POST", "/api/customers", R"({"tags":[{"id":1,"name":"VIP"}]})", "tags");
  expect_invalid_field("PATCH", "/api/conversations/1", R"({"customer_id":2})", "customer_id");
  expect_invalid_field("PATCH", "/api/conversations/1", R"({"unread_count":0})", "unread_count");
  expect_invalid_field("POST", "/api/conversations/1/messages",
                       R"({"conversation_id":1,"content":"","type":"agent"})", "conversation_id");
  const write_result moved = parse_fail("PATCH", "/api/conversations/1", R"({"customer_id":2})");
  EXPECT_NE(error_of(moved).value("message", "").find("cannot move"), std::string::npos) << moved.body;
}

// ---- customers -----------------------------------------------------------------------------

TEST(WriteApi, CreateCustomer) {
  const auto created = parse_as<create_customer>(
      "POST", "/api/customers",
      R"({"id": 17, "first_name": "John", "last_name": "Doe", "username": "johndoe", "email": "john@example.com",
          "phone_number": "+1234567890", "source": "telegram", "source_id": "tg_123", "profile_picture": null,
          "created_at": "2023-01-01T00:00:00Z", "updated_at": "2023-01-01T12:00:00.250+01:00"})");
  EXPECT_EQ(created.id, std::int64_t{17});
  EXPECT_EQ(created.text.first_name, "John");
  EXPECT_EQ(created.text.last_name, "Doe");
  EXPECT_EQ(created.text.username, "johndoe");
  EXPECT_EQ(created.text.email, "john@example.com");
  EXPECT_EQ(created.text.phone_number, "+1234567890");
  EXPECT_EQ(created.text.source, "telegram");
  EXPECT_EQ(created.text.source_id, "tg_123");
  EXPECT_EQ(created.text.profile_picture, std::nullopt);
  EXPECT_EQ(created.created_at, at("2023-01-01T00:00:00Z"));
  EXPECT_EQ(created.updated_at, at("2023-01-01T11:00:00.250Z"));
}

TEST(WriteApi, CreateCustomerDefaults) {
  const auto empty = parse_as<create_customer>("POST", "/api/customers", "{}");
  EXPECT_FALSE(empty.id);
  EXPECT_FALSE(empty.text.first_name);
  EXPECT_EQ(empty.created_at, now) << "created_at defaults to now";
  EXPECT_EQ(empty.updated_at, now);

  const auto given = parse_as<create_customer>("POST", "/api/customers", R"({"created_at":"2020-02-02","id":null})");
  EXPECT_FALSE(given.id) << "a null id means: pick one";
  EXPECT_EQ(given.created_at, at("2020-02-02T00:00:00Z"));
  EXPECT_EQ(given.updated_at, given.created_at) << "updated_at defaults to created_at";

  const auto nulls = parse_as<create_customer>("POST", "/api/customers", R"({"created_at":null,"updated_at":null})");
  EXPECT_EQ(nulls.created_at, now) << "null times mean the default";
  EXPECT_EQ(parse_as<create_customer>("POST", "/api/customers", R"({"email":""})").text.email, "");
}

TEST(WriteApi, CreateCustomerFieldErrors) {
  for (const char* id : {"0", "-1", "1.5", "\"5\"", "true", "9223372036854775808", "1e30", "[]"})
    expect_invalid_field("POST", "/api/customers", std::string(R"({"id":)") + id + "}", "id");
  for (const char* key : {"first_name", "last_name", "username", "email", "phone_number", "source", "source_id",
                          "profile_picture"}) {
    for (const char* value : {"5", "true", "[]", "{}"})
      expect_invalid_field("POST", "/api/customers", std::string("{\"") + key + "\":" + value + "}", key);
  }
  expect_invalid_field("POST", "/api/customers", R"({"created_at":"yesterday"})", "created_at");
  expect_invalid_field("POST", "/api/customers", R"({"created_at":"2023-02-30"})", "created_at");
  expect_invalid_field("POST", "/api/customers", R"({"updated_at":1700000000000})", "updated_at");

  // Text limits, in bytes.
  const std::string longest(max_text_field_bytes, 'a');
  parse_as<create_customer>("POST", "/api/customers", R"({"first_name":")" + longest + "\"}");
  expect_invalid_field("POST", "/api/customers", R"({"first_name":")" + longest + "a\"}", "first_name");
  const std::string picture(max_profile_picture_bytes, 'p');
  parse_as<create_customer>("POST", "/api/customers", R"({"profile_picture":")" + picture + "\"}");
  expect_invalid_field("POST", "/api/customers", R"({"profile_picture":")" + picture + "p\"}", "profile_picture");
}

TEST(WriteApi, UpdateCustomer) {
  const auto update = parse_as<update_customer>("PATCH", "/api/customers/17",
                                                R"({"first_name":"Jane","email":null,"created_at":"2022-01-01"})");
  EXPECT_EQ(update.id, 17);
  EXPECT_EQ(update.text.first_name, std::optional<nullable_text>{"Jane"});
  ASSERT_TRUE(update.text.email) << "null is a change";
  EXPECT_FALSE(*update.text.email);
  EXPECT_FALSE(update.text.last_name) << "absent is no change";
  EXPECT_EQ(update.created_at, at("2022-01-01T00:00:00Z"));
  EXPECT_EQ(update.updated_at, now) << "updated_at defaults to now";

  const auto touched = parse_as<update_customer>("PATCH", "/api/customers/17", R"({"updated_at":"2021-01-01"})");
  EXPECT_EQ(touched.updated_at, at("2021-01-01T00:00:00Z"));
  EXPECT_FALSE(touched.created_at);

  const write_result nothing = parse_fail("PATCH", "/api/customers/17", "{}");
  expect_error(nothing, write_status::invalid, "invalid_field");
  EXPECT_FALSE(error_of(nothing).contains("field"));
  expect_error(parse_fail("PATCH", "/api/customers/17", ""), write_status::invalid, "invalid_json");
  expect_invalid_field("PATCH", "/api/customers/17", R"({"username":12})", "username");
  expect_invalid_field("PATCH", "/api/customers/17", R"({"updated_at":"soon"})", "updated_at");
}

TEST(WriteApi, DeleteCustomer) { EXPECT_EQ(parse_as<delete_customer>("DELETE", "/api/customers/3").id, 3); }

// ---- tags -------------------------------------------------------------------------------------

TEST(WriteApi, Tags) {
  const auto created = parse_as<create_tag>("POST", "/api/tags", R"({"name":"VIP"})");
  EXPECT_FALSE(created.id);
  EXPECT_EQ(created.name, "VIP");
  EXPECT_EQ(parse_as<create_tag>("POST", "/api/tags", R"({"id":4,"name":" Gold "})").name, " Gold ")
      << "kept as given";
  const auto renamed = parse_as<rename_tag>("PATCH", "/api/tags/4", R"({"name":"Платина"})");
  EXPECT_EQ(renamed.id, 4);
  EXPECT_EQ(renamed.name, "Платина");
  EXPECT_EQ(parse_as<delete_tag>("DELETE", "/api/tags/4").id, 4);

  for (const char* body : {"{}", R"({"name":null})", R"({"name":""})", R"({"name":"  \t"})", R"({"name":5})"}) {
    expect_invalid_field("POST", "/api/tags", body, "name");
    expect_invalid_field("PATCH", "/api/tags/4", body, "name");
  }
  expect_invalid_field("POST", "/api/tags", R"({"name":")" + std::string(max_text_field_bytes + 1, 'x') + "\"}",
                       "name");
  expect_invalid_field("POST", "/api/tags", R"({"id":0,"name":"x"})", "id");
}

TEST(WriteApi, TagAssignments) {
  const auto assigned = parse_as<assign_tag>("PUT", "/api/customers/5/tags/7");
  EXPECT_EQ(assigned.customer_id, 5);
  EXPECT_EQ(assigned.tag_id, 7);
  const auto removed = parse_as<unassign_tag>("DELETE", "/api/customers/5/tags/7", "{}");
  EXPECT_EQ(removed.customer_id, 5);
  EXPECT_EQ(removed.tag_id, 7);
}

// ---- conversations -----------------------------------------------------------------------------

TEST(WriteApi, CreateConversation) {
  const auto created = parse_as<create_conversation>(
      "POST", "/api/conversations",
      R"({"id":5,"customer_id":17,"user_id":3,"title":"Support","status":"active","source":"telegram",
          "created_at":"2023-01-01T10:00:00Z","updated_at":"2023-01-01T12:00:00Z"})");
  EXPECT_EQ(created.id, std::int64_t{5});
  EXPECT_EQ(created.customer_id, 17);
  EXPECT_EQ(created.user_id, std::int64_t{3});
  EXPECT_EQ(created.title, "Support");
  EXPECT_EQ(created.status, "active");
  EXPECT_EQ(created.source, "telegram");
  EXPECT_EQ(created.created_at, at("2023-01-01T10:00:00Z"));
  EXPECT_EQ(created.updated_at, at("2023-01-01T12:00:00Z"));

  const auto minimal =
      parse_as<create_conversation>("POST", "/api/conversations", R"({"customer_id":17,"user_id":null})");
  EXPECT_FALSE(minimal.id);
  EXPECT_FALSE(minimal.user_id);
  EXPECT_FALSE(minimal.title);
  EXPECT_EQ(minimal.created_at, now);
  EXPECT_EQ(minimal.updated_at, now);

  for (const char* body : {"{}", R"({"customer_id":null})", R"({"customer_id":0})", R"({"customer_id":"17"})"})
    expect_invalid_field("POST", "/api/conversations", body, "customer_id");
  for (const char* user : {"0", "-3", "\"3\"", "2.5", "false"})
    expect_invalid_field("POST", "/api/conversations", std::string(R"({"customer_id":1,"user_id":)") + user + "}",
                         "user_id");
  expect_invalid_field("POST", "/api/conversations", R"({"customer_id":1,"status":1})", "status");
  expect_invalid_field("POST", "/api/conversations", R"({"customer_id":1,"title":["a"]})", "title");
  expect_invalid_field("POST", "/api/conversations", R"({"customer_id":1,"created_at":"2023-13-01"})", "created_at");
  expect_invalid_field("POST", "/api/conversations", R"({"customer_id":1,"messages":[]})", "messages");
}

TEST(WriteApi, UpdateConversation) {
  const auto update = parse_as<update_conversation>("PATCH", "/api/conversations/9",
                                                    R"({"status":"closed","user_id":null,"title":null})");
  EXPECT_EQ(update.id, 9);
  EXPECT_EQ(update.status, std::optional<nullable_text>{"closed"});
  ASSERT_TRUE(update.user_id);
  EXPECT_FALSE(*update.user_id) << "null: no owner";
  ASSERT_TRUE(update.title);
  EXPECT_FALSE(*update.title);
  EXPECT_FALSE(update.source);
  EXPECT_EQ(update.updated_at, now);

  const auto owner = parse_as<update_conversation>("PATCH", "/api/conversations/9",
                                                   R"({"user_id":4,"updated_at":"2024-01-01T00:00:00Z"})");
  EXPECT_EQ(owner.user_id, std::optional<std::optional<std::int64_t>>{4});
  EXPECT_EQ(owner.updated_at, at("2024-01-01T00:00:00Z"));

  const write_result nothing = parse_fail("PATCH", "/api/conversations/9", "{}");
  expect_error(nothing, write_status::invalid, "invalid_field");
  EXPECT_NE(error_of(nothing).value("message", "").find("status"), std::string::npos) << nothing.body;
  expect_invalid_field("PATCH", "/api/conversations/9", R"({"status":false})", "status");
  expect_invalid_field("PATCH", "/api/conversations/9", R"({"user_id":"me"})", "user_id");
  expect_invalid_field("PATCH", "/api/conversations/9", R"({"source":{}})", "source");
  expect_invalid_field("PATCH", "/api/conversations/9", R"({"updated_at":"x"})", "updated_at");
  expect_invalid_field("PATCH", "/api/conversations/9", R"({"created_at":"2024-01-01"})", "created_at");
  EXPECT_EQ(parse_as<delete_conversation>("DELETE", "/api/conversations/9").id, 9);
}

// ---- messages ---------------------------------------------------------------------------------------

TEST(WriteApi, CreateMessage) {
  const auto created = parse_as<create_message>(
      "POST", "/api/conversations/5/messages",
      R"({"id":99,"content":"Hello","type":"customer","is_ai_response":false,"is_answered":true,
          "created_at":"2023-01-01T12:00:00Z"})");
  EXPECT_EQ(created.id, std::int64_t{99});
  EXPECT_EQ(created.conversation_id, 5);
  EXPECT_EQ(created.content, "Hello");
  EXPECT_EQ(created.type, message_type::customer);
  EXPECT_FALSE(created.is_ai_response);
  EXPECT_TRUE(created.is_answered);
  EXPECT_EQ(created.created_at, at("2023-01-01T12:00:00Z"));
  EXPECT_FALSE(created.is_reply());

  const auto agent =
      parse_as<create_message>("POST", "/api/conversations/5/messages", R"({"content":"","type":"agent"})");
  EXPECT_FALSE(agent.id);
  EXPECT_EQ(agent.content, "") << "content may be empty";
  EXPECT_EQ(agent.type, message_type::agent);
  EXPECT_FALSE(agent.is_ai_response);
  EXPECT_FALSE(agent.is_answered);
  EXPECT_EQ(agent.created_at, now);
  EXPECT_TRUE(agent.is_reply());

  const auto ai = parse_as<create_message>("POST", "/api/conversations/5/messages",
                                           R"({"content":"Bot","type":"customer","is_ai_response":true})");
  EXPECT_TRUE(ai.is_reply()) << "an AI response is a reply whatever its type";
  EXPECT_EQ(to_string(message_type::customer), "customer");
  EXPECT_EQ(to_string(message_type::agent), "agent");
}

TEST(WriteApi, CreateMessageFieldErrors) {
  const std::string path = "/api/conversations/5/messages";
  for (const char* body :
       {R"({"type":"agent"})", R"({"content":null,"type":"agent"})", R"({"content":5,"type":"agent"})"})
    expect_invalid_field("POST", path, body, "content");
  for (const char* body : {R"({"content":"x"})", R"({"content":"x","type":"bot"})", R"({"content":"x","type":"Agent"})",
                           R"({"content":"x","type":1})", R"({"content":"x","type":null})"})
    expect_invalid_field("POST", path, body, "type");
  for (const char* flag : {"1", "0", "\"true\"", "\"yes\""}) {
    expect_invalid_field("POST", path, std::string(R"({"content":"x","type":"agent","is_ai_response":)") + flag + "}",
                         "is_ai_response");
    expect_invalid_field("POST", path, std::string(R"({"content":"x","type":"agent","is_answered":)") + flag + "}",
                         "is_answered");
  }
  expect_invalid_field("POST", path, R"({"content":"x","type":"agent","created_at":"2024-01-01T25:00:00Z"})",
                       "created_at");
  expect_invalid_field("POST", path, R"({"id":-5,"content":"x","type":"agent"})", "id");

  const std::string longest(max_message_content_bytes, 'm');
  parse_as<create_message>("POST", path, R"({"type":"agent","content":")" + longest + "\"}");
  expect_invalid_field("POST", path, R"({"type":"agent","content":")" + longest + "m\"}", "content");
}

TEST(WriteApi, DeleteMessageAndMarkRead) {
  EXPECT_EQ(parse_as<delete_message>("DELETE", "/api/messages/12").id, 12);
  EXPECT_EQ(parse_as<mark_conversation_read>("POST", "/api/conversations/12/read").conversation_id, 12);
}

TEST(WriteApi, OperationNames) {
  EXPECT_EQ(operation_name(parse_ok("POST", "/api/customers", "{}")), "create_customer");
  EXPECT_EQ(operation_name(parse_ok("PUT", "/api/customers/1/tags/2")), "assign_tag");
  EXPECT_EQ(operation_name(parse_ok("POST", "/api/conversations/1/read")), "mark_conversation_read");
}

// ---- success answers -------------------------------------------------------------------------------------

TEST(WriteAnswers, Customer) {
  stored_customer customer;
  customer.id = 17;
  customer.text.first_name = "John";
  customer.text.email = "";
  customer.created_at = at("2023-01-01T00:00:00Z");
  customer.updated_at = at("2023-01-01T12:00:00Z");
  customer.last_activity = at("2023-01-02T00:00:00.5Z");
  customer.tags = {{1, "VIP"}};
  EXPECT_EQ(customer_answer_json(customer),
            R"({"id":17,"first_name":"John","last_name":null,"username":null,"email":"","phone_number":null,)"
            R"("source":null,"source_id":null,"profile_picture":null,"created_at":"2023-01-01T00:00:00.000Z",)"
            R"("updated_at":"2023-01-01T12:00:00.000Z","last_activity":"2023-01-02T00:00:00.500Z",)"
            R"("tags":[{"id":1,"name":"VIP"}]})");
}

TEST(WriteAnswers, ConversationAndMessage) {
  stored_conversation conversation;
  conversation.id = 5;
  conversation.customer_id = 17;
  conversation.status = "active";
  conversation.created_at = 0;
  conversation.updated_at = 1000;
  const std::string empty_conversation =
      R"({"id":5,"customer_id":17,"user_id":null,"title":null,"status":"active","source":null,)"
      R"("created_at":"1970-01-01T00:00:00.000Z","updated_at":"1970-01-01T00:00:01.000Z","unread_count":0,)"
      R"("last_message_id":null,"last_message_at":null})";
  EXPECT_EQ(conversation_answer_json(conversation), empty_conversation);

  conversation.user_id = 3;
  conversation.unread_count = 1;
  conversation.last_message_id = 99;
  conversation.last_message_at = 1000;
  stored_message message{99, 5, std::string("Hi"), "customer", false, false, 1000};
  const json answer = json::parse(message_answer_json(message, conversation));
  EXPECT_EQ(answer["message"],
            json::parse(R"({"id":99,"conversation_id":5,"content":"Hi","type":"customer","is_ai_response":false,)"
                        R"("is_answered":false,"created_at":"1970-01-01T00:00:01.000Z"})"));
  EXPECT_EQ(answer["conversation"]["unread_count"], 1);
  EXPECT_EQ(answer["conversation"]["user_id"], 3);
  EXPECT_EQ(answer["conversation"]["last_message_id"], 99);
  EXPECT_EQ(answer["conversation"]["last_message_at"], "1970-01-01T00:00:01.000Z");
}

TEST(WriteAnswers, SmallOnes) {
  EXPECT_EQ(tag_answer_json({3, "VIP"}), R"({"id":3,"name":"VIP"})");
  EXPECT_EQ(assignment_answer_json(5, 3), R"({"customer_id":5,"tag_id":3})");
  EXPECT_EQ(deleted_answer_json("customer", 5), R"({"deleted":{"customer":5}})");
  EXPECT_EQ(deleted_assignment_json(5, 3), R"({"deleted":{"assignment":{"customer_id":5,"tag_id":3}}})");
  // Text another program stored as invalid UTF-8 still gives valid JSON.
  EXPECT_NO_THROW(json::parse(tag_answer_json({3, "bad \xff byte"})));
}

}  // namespace
}  // namespace cws::protocol
