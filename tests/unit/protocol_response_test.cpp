#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "protocol/request.hpp"
#include "protocol/response.hpp"
#include "protocol/time.hpp"

namespace cws::protocol {
namespace {

using json = nlohmann::json;
using ordered = nlohmann::ordered_json;

constexpr timestamp_ms now = 1795608000123;  // 2026-11-25T12:00:00.123Z
constexpr const char* now_text = "2026-11-25T12:00:00.123Z";

std::vector<std::string> keys_of(const std::string& text) {
  std::vector<std::string> keys;
  const ordered message = ordered::parse(text);
  for (const auto& item : message.items()) keys.push_back(item.key());
  return keys;
}

list_query page_query(std::int64_t page, std::int64_t page_size) {
  list_query query;
  query.paging.mode = pagination_mode::page;
  query.paging.page = page;
  query.paging.page_size = page_size;
  query.paging.offset = (page - 1) * page_size;
  query.paging.limit = page_size;
  return query;
}

list_query offset_query(std::int64_t offset, std::int64_t limit) {
  list_query query;
  query.paging.mode = pagination_mode::offset;
  query.paging.offset = offset;
  query.paging.limit = limit;
  query.paging.page_size = limit;
  query.paging.page = offset / limit + 1;
  return query;
}

customer_page page_of(std::int64_t total, std::size_t on_page) {
  customer_page page;
  page.total_count = total;
  for (std::size_t index = 0; index < on_page; ++index) {
    customer_view customer;
    customer.id = static_cast<std::int64_t>(index) + 1;
    page.customers.push_back(customer);
  }
  return page;
}

json list_json(const list_query& query, const customer_page& page) {
  return json::parse(customers_list_json(query, page, {}, std::nullopt, now));
}

customer_view full_customer() {
  customer_view customer;
  customer.id = 17;
  customer.first_name = "John";
  customer.last_name = "Doe";
  customer.username = "johndoe";
  customer.email = "john@example.com";
  customer.phone_number = "+1234567890";
  customer.source = "telegram";
  customer.source_id = "telegram_user_123";
  customer.profile_picture = "/media/customer_img/17.jpg";
  customer.created_at = 1672531200000;     // 2023-01-01T00:00:00.000Z
  customer.updated_at = 1672574400250;     // 2023-01-01T12:00:00.250Z
  customer.last_activity = 1672574400999;  // 2023-01-01T12:00:00.999Z
  customer.tags = {{1, "VIP"}, {2, "Премиум"}};
  conversation_view with_message;
  with_message.id = 5;
  with_message.title = "Support Chat";
  with_message.status = "active";
  with_message.source = "telegram";
  with_message.unread_count = 2;
  with_message.created_at = 1672567200000;
  with_message.updated_at = 1672574400000;
  message_view message;
  message.id = 99;
  message.content = "Hello, I need help!";
  message.type = "customer";
  message.is_ai_response = false;
  message.created_at = 1672574400001;
  with_message.last_message = message;
  conversation_view without_message;
  without_message.id = 4;
  customer.conversations = {with_message, without_message};
  customer.unread_count = 2;
  return customer;
}

// ---- customers_list ------------------------------------------------------------

// ---- list_fingerprint -------------------------------------------------------------

TEST(ListFingerprint, EqualAnswersAgreeAndEveryWrittenValueCounts) {
  list_query query = page_query(2, 20);
  query.applied_filters_json = R"({"source":"telegram"})";
  customer_page page;
  page.total_count = 41;
  page.customers = {full_customer()};
  const auto base = list_fingerprint(query, page);
  EXPECT_EQ(list_fingerprint(query, page), base);

  using page_change = void (*)(list_query&, customer_page&);
  const std::vector<std::pair<const char*, page_change>> changes = {
      {"filters", [](list_query& q, customer_page&) { q.applied_filters_json = R"({"source":"instagram"})"; }},
      {"page", [](list_query& q, customer_page&) { q.paging.page = 3; }},
      {"page_size", [](list_query& q, customer_page&) { q.paging.page_size = 21; }},
      {"offset", [](list_query& q, customer_page&) { q.paging.offset = 1; }},
      {"limit", [](list_query& q, customer_page&) { q.paging.limit = 19; }},
      {"count", [](list_query&, customer_page& p) { p.total_count = 42; }},
      {"a customer more", [](list_query&, customer_page& p) { p.customers.push_back(full_customer()); }},
      {"id", [](list_query&, customer_page& p) { p.customers[0].id = 18; }},
      {"first_name", [](list_query&, customer_page& p) { p.customers[0].first_name = "Jon"; }},
      {"first_name null", [](list_query&, customer_page& p) { p.customers[0].first_name.reset(); }},
      {"last_name", [](list_query&, customer_page& p) { p.customers[0].last_name = "Do"; }},
      {"username", [](list_query&, customer_page& p) { p.customers[0].username = "jd"; }},
      {"email", [](list_query&, customer_page& p) { p.customers[0].email = ""; }},
      {"phone_number", [](list_query&, customer_page& p) { p.customers[0].phone_number = "+1"; }},
      {"source", [](list_query&, customer_page& p) { p.customers[0].source = "instagram"; }},
      {"source_id", [](list_query&, customer_page& p) { p.customers[0].source_id = "x"; }},
      {"profile_picture", [](list_query&, customer_page& p) { p.customers[0].profile_picture.reset(); }},
      {"created_at", [](list_query&, customer_page& p) { p.customers[0].created_at += 1; }},
      {"updated_at", [](list_query&, customer_page& p) { p.customers[0].updated_at += 1; }},
      {"last_activity", [](list_query&, customer_page& p) { p.customers[0].last_activity += 1; }},
      {"unread_count", [](list_query&, customer_page& p) { p.customers[0].unread_count = 3; }},
      {"tag id", [](list_query&, customer_page& p) { p.customers[0].tags[0].id = 7; }},
      {"tag name", [](list_query&, customer_page& p) { p.customers[0].tags[0].name = "VIP2"; }},
      {"a tag less", [](list_query&, customer_page& p) { p.customers[0].tags.pop_back(); }},
      {"conversation id", [](list_query&, customer_page& p) { p.customers[0].conversations[0].id = 6; }},
      {"title", [](list_query&, customer_page& p) { p.customers[0].conversations[0].title = "Chat"; }},
      {"status", [](list_query&, customer_page& p) { p.customers[0].conversations[0].status = "closed"; }},
      {"conversation source", [](list_query&, customer_page& p) { p.customers[0].conversations[0].source.reset(); }},
      {"conversation unread", [](list_query&, customer_page& p) { p.customers[0].conversations[0].unread_count = 0; }},
      {"conversation created_at", [](list_query&, customer_page& p) { p.customers[0].conversations[0].created_at += 1; }},
      {"conversation updated_at", [](list_query&, customer_page& p) { p.customers[0].conversations[0].updated_at += 1; }},
      {"a conversation less", [](list_query&, customer_page& p) { p.customers[0].conversations.pop_back(); }},
      {"no last message", [](list_query&, customer_page& p) { p.customers[0].conversations[0].last_message.reset(); }},
      {"message id", [](list_query&, customer_page& p) { p.customers[0].conversations[0].last_message->id = 100; }},
      {"content", [](list_query&, customer_page& p) { p.customers[0].conversations[0].last_message->content = "Hi"; }},
      {"type", [](list_query&, customer_page& p) { p.customers[0].conversations[0].last_message->type = "agent"; }},
      {"is_ai_response",
       [](list_query&, customer_page& p) { p.customers[0].conversations[0].last_message->is_ai_response = true; }},
      {"message created_at",
       [](list_query&, customer_page& p) { p.customers[0].conversations[0].last_message->created_at += 1; }},
  };
  for (const auto& [name, change] : changes) {
    list_query changed_query = query;
    customer_page changed_page = page;
    change(changed_query, changed_page);
    // The change is visible in the JSON, and so in the fingerprint.
    ASSERT_NE(customers_list_json(changed_query, changed_page, {}, std::nullopt, now),
              customers_list_json(query, page, {}, std::nullopt, now))
        << name;
    EXPECT_NE(list_fingerprint(changed_query, changed_page), base) << name;
  }
}

TEST(ListFingerprint, TextBoundariesAndNullsAreTold) {
  list_query query = page_query(1, 20);
  customer_page split_one = page_of(1, 1), split_two = page_of(1, 1);
  split_one.customers[0].first_name = "ab";
  split_one.customers[0].last_name = "c";
  split_two.customers[0].first_name = "a";
  split_two.customers[0].last_name = "bc";
  EXPECT_NE(list_fingerprint(query, split_one), list_fingerprint(query, split_two));
  customer_page null_name = page_of(1, 1), empty_name = page_of(1, 1);
  empty_name.customers[0].first_name = "";
  EXPECT_NE(list_fingerprint(query, null_name), list_fingerprint(query, empty_name));
}

TEST(CustomersList, ShapeAndPagination) {
  list_query query = page_query(1, 20);
  query.applied_filters_json = R"({"has_email":"true","tags":["VIP"]})";
  const std::string text =
      customers_list_json(query, page_of(150, 20), {"unknown filter 'x' ignored"}, std::nullopt, now);
  const json message = json::parse(text);
  EXPECT_EQ(keys_of(text), (std::vector<std::string>{"type", "customers", "pagination", "filters", "count",
                                                     "page_count", "warnings", "timestamp"}));
  EXPECT_EQ(message["type"], "customers_list");
  EXPECT_EQ(message["customers"].size(), 20u);
  EXPECT_EQ(message["pagination"], json::parse(R"({"count":150,"page_count":20,"page_size":20,"page":1,
      "total_pages":8,"has_next":true,"has_previous":false,"offset":0,"limit":20})"));
  EXPECT_EQ(keys_of(ordered::parse(text)["pagination"].dump()),
            (std::vector<std::string>{"count", "page_count", "page_size", "page", "total_pages", "has_next",
                                      "has_previous", "offset", "limit"}));
  EXPECT_EQ(message["filters"], json::parse(R"({"has_email":"true","tags":["VIP"]})"));
  EXPECT_EQ(message["count"], 150);
  EXPECT_EQ(message["page_count"], 20);
  EXPECT_EQ(message["warnings"], json::parse(R"(["unknown filter 'x' ignored"])"));
  EXPECT_EQ(message["timestamp"], now_text);
  EXPECT_FALSE(message.contains("request_id"));
  EXPECT_FALSE(message.contains("reason"));
}

TEST(CustomersList, EmptyWarningsAndFilters) {
  const json message = list_json(page_query(1, 20), page_of(0, 0));
  EXPECT_EQ(message["warnings"], json::array());
  EXPECT_EQ(message["filters"], json::object());
  EXPECT_EQ(message["customers"], json::array());
  EXPECT_EQ(message["pagination"]["total_pages"], 1);
  EXPECT_EQ(message["pagination"]["has_next"], false);
  EXPECT_EQ(message["pagination"]["has_previous"], false);
  EXPECT_EQ(message["count"], 0);
}

TEST(CustomersList, PastTheEnd) {
  const json message = list_json(page_query(10, 20), page_of(5, 0));
  EXPECT_EQ(message["pagination"]["page"], 10);
  EXPECT_EQ(message["pagination"]["offset"], 180);
  EXPECT_EQ(message["pagination"]["has_next"], false);
  EXPECT_EQ(message["pagination"]["has_previous"], true);
  EXPECT_EQ(message["pagination"]["total_pages"], 1);
  EXPECT_EQ(message["pagination"]["page_count"], 0);
}

TEST(CustomersList, PageModeBoundaries) {
  EXPECT_EQ(list_json(page_query(2, 20), page_of(40, 20))["pagination"]["has_next"], false);
  EXPECT_EQ(list_json(page_query(2, 20), page_of(41, 20))["pagination"]["has_next"], true);
  EXPECT_EQ(list_json(page_query(2, 20), page_of(41, 20))["pagination"]["total_pages"], 3);
  EXPECT_EQ(list_json(page_query(2, 20), page_of(40, 20))["pagination"]["total_pages"], 2);
  EXPECT_EQ(list_json(page_query(2, 20), page_of(40, 20))["pagination"]["has_previous"], true);
}

TEST(CustomersList, OffsetMode) {
  const json first = list_json(offset_query(0, 10), page_of(15, 10));
  EXPECT_EQ(first["pagination"], json::parse(R"({"count":15,"page_count":10,"page_size":10,"page":1,
      "total_pages":2,"has_next":true,"has_previous":false,"offset":0,"limit":10})"));
  const json shifted = list_json(offset_query(5, 10), page_of(15, 10));
  EXPECT_EQ(shifted["pagination"]["has_previous"], true);
  EXPECT_EQ(shifted["pagination"]["has_next"], false);
  EXPECT_EQ(shifted["pagination"]["page"], 1);
  EXPECT_EQ(list_json(offset_query(5, 10), page_of(16, 10))["pagination"]["has_next"], true);
}

TEST(CustomersList, FromAParsedRequest) {
  const parse_result parsed =
      parse_request(R"({"request_id":"r9","filters":{"limit":5,"offset":10,"source":"telegram","x":1}})", {});
  ASSERT_TRUE(parsed.ok());
  const request& value = std::get<request>(parsed.value);
  const json message =
      json::parse(customers_list_json(value.query, page_of(12, 2), value.warnings, value.id, now));
  EXPECT_EQ(message["filters"], json::parse(R"({"limit":5,"offset":10,"source":"telegram"})"));
  EXPECT_EQ(message["warnings"], json::parse(R"(["unknown filter 'x' ignored"])"));
  EXPECT_EQ(message["request_id"], "r9");
  EXPECT_EQ(message["pagination"]["page"], 3);
  EXPECT_EQ(message["pagination"]["has_next"], false);
  EXPECT_EQ(message["pagination"]["has_previous"], true);
  EXPECT_EQ(message["pagination"]["total_pages"], 3);
}

TEST(CustomersList, RequestIdKeepsItsType) {
  const json text_id = json::parse(
      customers_list_json(page_query(1, 20), page_of(0, 0), {}, request_id(std::string("7")), now));
  EXPECT_TRUE(text_id["request_id"].is_string());
  EXPECT_EQ(text_id["request_id"], "7");
  const json number_id =
      json::parse(customers_list_json(page_query(1, 20), page_of(0, 0), {}, request_id(std::int64_t{7}), now));
  EXPECT_TRUE(number_id["request_id"].is_number_integer());
  EXPECT_EQ(number_id["request_id"], 7);
}

TEST(CustomersList, UpdateReason) {
  const std::string text =
      customers_list_json(page_query(1, 20), page_of(1, 1), {}, std::nullopt, now, list_reason::update);
  const json message = json::parse(text);
  EXPECT_EQ(message["reason"], "update");
  EXPECT_FALSE(message.contains("request_id"));
}

TEST(CustomersList, CustomerObject) {
  customer_page page;
  page.total_count = 1;
  page.customers.push_back(full_customer());
  const std::string text = customers_list_json(page_query(1, 20), page, {}, std::nullopt, now);
  const json customer = json::parse(text)["customers"][0];
  EXPECT_EQ(customer, json::parse(R"({
    "id": 17, "first_name": "John", "last_name": "Doe", "username": "johndoe",
    "email": "john@example.com", "phone_number": "+1234567890",
    "source": "telegram", "source_id": "telegram_user_123",
    "profile_picture": "/media/customer_img/17.jpg",
    "created_at": "2023-01-01T00:00:00.000Z", "updated_at": "2023-01-01T12:00:00.250Z",
    "last_activity": "2023-01-01T12:00:00.999Z",
    "tags": [{"id": 1, "name": "VIP"}, {"id": 2, "name": "Премиум"}],
    "unread_count": 2,
    "conversations": [
      {"id": 5, "title": "Support Chat", "status": "active", "source": "telegram",
       "unread_count": 2, "created_at": "2023-01-01T10:00:00.000Z", "updated_at": "2023-01-01T12:00:00.000Z",
       "last_message": {"id": 99, "content": "Hello, I need help!", "type": "customer",
                        "is_ai_response": false, "created_at": "2023-01-01T12:00:00.001Z"}},
      {"id": 4, "title": null, "status": null, "source": null, "unread_count": 0,
       "created_at": "1970-01-01T00:00:00.000Z", "updated_at": "1970-01-01T00:00:00.000Z", "last_message": null}
    ]})"));
  EXPECT_EQ(keys_of(ordered::parse(text)["customers"][0].dump()),
            (std::vector<std::string>{"id", "first_name", "last_name", "username", "email", "phone_number", "source",
                                      "source_id", "profile_picture", "created_at", "updated_at", "last_activity",
                                      "tags", "unread_count", "conversations"}));
}

TEST(CustomersList, AbsentValuesAreNull) {
  customer_page page;
  page.total_count = 1;
  customer_view customer;
  customer.id = 3;
  customer.first_name = "";
  page.customers.push_back(customer);
  const json value = json::parse(customers_list_json(page_query(1, 20), page, {}, std::nullopt, now))["customers"][0];
  EXPECT_EQ(value["first_name"], "");
  for (const char* key : {"last_name", "username", "email", "phone_number", "source", "source_id", "profile_picture"}) {
    EXPECT_TRUE(value[key].is_null()) << key;
  }
  EXPECT_EQ(value["tags"], json::array());
  EXPECT_EQ(value["conversations"], json::array());
  EXPECT_EQ(value["unread_count"], 0);
}

TEST(CustomersList, MessageWithoutContent) {
  customer_page page;
  page.total_count = 1;
  customer_view customer;
  conversation_view conversation;
  conversation.last_message = message_view{};
  conversation.last_message->type = "agent";
  conversation.last_message->is_ai_response = true;
  customer.conversations.push_back(conversation);
  page.customers.push_back(customer);
  const json last = json::parse(customers_list_json(page_query(1, 20), page, {}, std::nullopt, now))["customers"][0]
                                                                                                     ["conversations"][0]
                                                                                                     ["last_message"];
  EXPECT_TRUE(last["content"].is_null());
  EXPECT_EQ(last["type"], "agent");
  EXPECT_EQ(last["is_ai_response"], true);
}

TEST(CustomersList, InvalidUtf8InDataStillGivesValidJson) {
  customer_page page;
  page.total_count = 1;
  customer_view customer;
  customer.first_name = std::string("Jo\xFFhn");
  page.customers.push_back(customer);
  const std::string text = customers_list_json(page_query(1, 20), page, {}, std::nullopt, now);
  const json message = json::parse(text);
  EXPECT_EQ(message["customers"][0]["first_name"], "Jo\xEF\xBF\xBDhn");  // U+FFFD
}

// ---- filter_options ------------------------------------------------------------------

TEST(FilterOptions, Shape) {
  filter_options options;
  options.source_counts = {{"telegram", 100}, {"instagram", 40}, {"unknown", 10}};
  options.tags = {{1, "VIP", 12}, {2, "Premium", 31}};
  options.status_counts = {{"closed", 60}, {"active", 90}};
  options.created_at_min = 1672531200000;
  options.created_at_max = 1795608000123;
  const std::string text = filter_options_json(options, std::nullopt, now);
  const json message = json::parse(text);
  EXPECT_EQ(keys_of(text), (std::vector<std::string>{"type", "options", "timestamp"}));
  EXPECT_EQ(message["type"], "filter_options");
  EXPECT_EQ(message["timestamp"], now_text);
  EXPECT_EQ(message["options"], json::parse(R"({
    "sources": ["instagram", "telegram", "unknown"],
    "tags": ["Premium", "VIP"],
    "conversation_statuses": ["active", "closed"],
    "has_email_options": [{"value": "true", "label": "Has Email"}, {"value": "false", "label": "No Email"}, {"value": "all", "label": "All"}],
    "has_phone_options": [{"value": "true", "label": "Has Phone"}, {"value": "false", "label": "No Phone"}, {"value": "all", "label": "All"}],
    "has_unread_options": [{"value": "true", "label": "Has Unread Messages"}, {"value": "false", "label": "No Unread Messages"}, {"value": "all", "label": "All"}],
    "order_options": [{"value": "-updated_at", "label": "Recently Updated"}, {"value": "-created_at", "label": "Recently Created"}, {"value": "created_at", "label": "Oldest First"}, {"value": "first_name", "label": "Name A-Z"}, {"value": "-first_name", "label": "Name Z-A"}],
    "tag_details": [{"id": 2, "name": "Premium", "count": 31}, {"id": 1, "name": "VIP", "count": 12}],
    "source_counts": {"instagram": 40, "telegram": 100, "unknown": 10},
    "conversation_status_counts": {"active": 90, "closed": 60},
    "created_at_range": {"min": "2023-01-01T00:00:00.000Z", "max": "2026-11-25T12:00:00.123Z"}
  })"));
  EXPECT_EQ(keys_of(ordered::parse(text)["options"].dump()),
            (std::vector<std::string>{"sources", "tags", "conversation_statuses", "has_email_options",
                                      "has_phone_options", "has_unread_options", "order_options", "tag_details",
                                      "source_counts", "conversation_status_counts", "created_at_range"}));
  EXPECT_EQ(keys_of(ordered::parse(text)["options"]["source_counts"].dump()),
            (std::vector<std::string>{"instagram", "telegram", "unknown"}));
}

TEST(FilterOptions, NothingVisible) {
  const json message = json::parse(filter_options_json({}, request_id(std::int64_t{3}), now));
  EXPECT_EQ(message["options"]["sources"], json::array());
  EXPECT_EQ(message["options"]["tags"], json::array());
  EXPECT_EQ(message["options"]["tag_details"], json::array());
  EXPECT_EQ(message["options"]["source_counts"], json::object());
  EXPECT_EQ(message["options"]["conversation_status_counts"], json::object());
  EXPECT_TRUE(message["options"]["created_at_range"].is_null());
  EXPECT_EQ(message["request_id"], 3);
}

// ---- small messages ---------------------------------------------------------------------

TEST(ErrorMessage, Shape) {
  const std::string text = error_json({error_code::invalid_filter, "page: must be an integer >= 1"},
                                      request_id(std::string("abc")), now);
  EXPECT_EQ(keys_of(text), (std::vector<std::string>{"type", "code", "message", "error", "timestamp", "request_id"}));
  EXPECT_EQ(json::parse(text), json::parse(R"({"type":"error","code":"invalid_filter",
      "message":"page: must be an integer >= 1","error":"page: must be an integer >= 1",
      "timestamp":"2026-11-25T12:00:00.123Z","request_id":"abc"})"));
  const json without_id = json::parse(error_json({error_code::internal, "boom"}, std::nullopt, now));
  EXPECT_FALSE(without_id.contains("request_id"));
  EXPECT_EQ(without_id["code"], "internal");
  EXPECT_EQ(json::parse(error_json({error_code::timeout, "t"}, request_id(std::int64_t{-1}), now))["request_id"], -1);
}

TEST(ErrorMessage, EveryCodeHasItsWireName) {
  const std::vector<std::pair<error_code, std::string>> codes = {
      {error_code::invalid_json, "invalid_json"},     {error_code::invalid_message, "invalid_message"},
      {error_code::unknown_type, "unknown_type"},     {error_code::invalid_filter, "invalid_filter"},
      {error_code::timeout, "timeout"},               {error_code::rate_limited, "rate_limited"},
      {error_code::unavailable, "unavailable"},       {error_code::internal, "internal"}};
  for (const auto& [code, name] : codes) {
    EXPECT_EQ(to_string(code), name);
    EXPECT_EQ(json::parse(error_json({code, "x"}, std::nullopt, now))["code"], name);
  }
}

TEST(SmallMessages, Pong) {
  EXPECT_EQ(json::parse(pong_json(std::nullopt, now)), json::parse(R"({"type":"pong","timestamp":"2026-11-25T12:00:00.123Z"})"));
  EXPECT_EQ(json::parse(pong_json(request_id(std::int64_t{12}), now))["request_id"], 12);
}

TEST(SmallMessages, Subscription) {
  const json live = json::parse(subscription_json(true, std::nullopt, now));
  EXPECT_EQ(live["type"], "subscription");
  EXPECT_EQ(live["live"], true);
  EXPECT_FALSE(live.contains("request_id"));
  const json stopped = json::parse(subscription_json(false, request_id(std::string("s")), now));
  EXPECT_EQ(stopped["live"], false);
  EXPECT_EQ(stopped["request_id"], "s");
}

TEST(SmallMessages, ConnectionEstablished) {
  const std::string text = connection_established_json(now);
  EXPECT_EQ(keys_of(text), (std::vector<std::string>{"type", "message", "timestamp"}));
  const json message = json::parse(text);
  EXPECT_EQ(message["type"], "connection_established");
  EXPECT_TRUE(message["message"].is_string());
  EXPECT_FALSE(message["message"].get<std::string>().empty());
  EXPECT_EQ(message["timestamp"], now_text);
}

TEST(SmallMessages, AuthenticationError) {
  const std::string text = authentication_error_json("INVALID_TOKEN", "token has expired", now);
  EXPECT_EQ(keys_of(text), (std::vector<std::string>{"type", "message", "error_code", "timestamp"}));
  EXPECT_EQ(json::parse(text), json::parse(R"({"type":"authentication_error","message":"token has expired",
      "error_code":"INVALID_TOKEN","timestamp":"2026-11-25T12:00:00.123Z"})"));
}

}  // namespace
}  // namespace cws::protocol
