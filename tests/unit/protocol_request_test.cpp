#include <gtest/gtest.h>
#include <pthread.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "protocol/request.hpp"
#include "protocol/time.hpp"

namespace cws::protocol {
namespace {

using json = nlohmann::json;
using strings = std::vector<std::string>;

request parse_ok(const std::string& frame, const connection_defaults& defaults = {}) {
  const parse_result result = parse_request(frame, defaults);
  if (!result.ok()) {
    ADD_FAILURE() << frame << " -> " << std::get<protocol_error>(result.value).message;
    return {};
  }
  return std::get<request>(result.value);
}

protocol_error parse_error(const std::string& frame, const connection_defaults& defaults = {}) {
  const parse_result result = parse_request(frame, defaults);
  if (result.ok()) {
    ADD_FAILURE() << frame << " was accepted";
    return {};
  }
  return std::get<protocol_error>(result.value);
}

// A get_customers request with these filters.
request with_filters(const std::string& filters, const connection_defaults& defaults = {}) {
  return parse_ok(R"({"type":"get_customers","filters":)" + filters + "}", defaults);
}

protocol_error filter_error(const std::string& filters) {
  return parse_error(R"({"type":"get_customers","filters":)" + filters + "}");
}

json applied(const request& parsed) { return json::parse(parsed.query.applied_filters_json); }

void expect_invalid_filter(const std::string& filters, const std::string& key) {
  const protocol_error error = filter_error(filters);
  EXPECT_EQ(error.code, error_code::invalid_filter) << filters;
  EXPECT_EQ(error.message.rfind(key + ":", 0), 0u) << filters << " -> " << error.message;
}

// ---- message level -----------------------------------------------------------

TEST(ParseRequest, NotJson) {
  for (const char* frame : {"not json", "", "{", "{\"type\":}", "{'type':'ping'}", "[1,]"}) {
    const protocol_error error = parse_error(frame);
    EXPECT_EQ(error.code, error_code::invalid_json) << frame;
    EXPECT_EQ(error.message.rfind("invalid JSON: ", 0), 0u) << error.message;
  }
}

TEST(ParseRequest, InvalidUtf8IsInvalidJson) {
  EXPECT_EQ(parse_error("{\"type\":\"get_customers\",\"filters\":{\"search\":\"\xFF\xFE\"}}").code,
            error_code::invalid_json);
}

TEST(ParseRequest, JsonButNotAnObject) {
  for (const char* frame : {"[1,2]", "\"get_customers\"", "null", "42", "true"}) {
    const protocol_error error = parse_error(frame);
    EXPECT_EQ(error.code, error_code::invalid_message) << frame;
    EXPECT_EQ(error.message, "a request must be a JSON object");
  }
}

TEST(ParseRequest, MissingTypeMeansGetCustomers) {
  const request parsed = parse_ok("{}");
  EXPECT_EQ(parsed.kind, request_kind::list);
  EXPECT_EQ(parsed.type, "get_customers");
  EXPECT_FALSE(parsed.id);
  EXPECT_TRUE(parsed.warnings.empty());
  EXPECT_EQ(parsed.query.paging.page, 1);
  EXPECT_EQ(parsed.query.paging.page_size, 20);
  EXPECT_EQ(parsed.query.order.field, sort_field::created_at);
  EXPECT_TRUE(parsed.query.order.descending);
  EXPECT_EQ(applied(parsed), json::object());
}

TEST(ParseRequest, TypeNotAString) {
  for (const char* frame : {R"({"type":5})", R"({"type":null})", R"({"type":["ping"]})", R"({"type":{}})"}) {
    const protocol_error error = parse_error(frame);
    EXPECT_EQ(error.code, error_code::invalid_message) << frame;
    EXPECT_EQ(error.message, "type must be a string");
  }
}

TEST(ParseRequest, UnknownTypeNamesIt) {
  const protocol_error error = parse_error(R"({"type":"delete_everything"})");
  EXPECT_EQ(error.code, error_code::unknown_type);
  EXPECT_EQ(error.message, "unknown message type 'delete_everything'");
  EXPECT_EQ(parse_error(R"({"type":"PING"})").code, error_code::unknown_type);  // case-sensitive
}

TEST(ParseRequest, SimpleKinds) {
  EXPECT_EQ(parse_ok(R"({"type":"get_filter_options"})").kind, request_kind::filter_options);
  EXPECT_EQ(parse_ok(R"({"type":"ping"})").kind, request_kind::ping);
  EXPECT_EQ(parse_ok(R"({"type":"subscribe"})").kind, request_kind::subscribe);
  EXPECT_EQ(parse_ok(R"({"type":"unsubscribe"})").kind, request_kind::unsubscribe);
  EXPECT_EQ(parse_ok(R"({"type":"filter_customers"})").kind, request_kind::list);
  EXPECT_EQ(parse_ok(R"({"type":"filter_customers"})").type, "filter_customers");
  EXPECT_EQ(parse_ok(R"({"type":"ping","request_id":"p"})").id, std::optional<request_id>(std::string("p")));
}

TEST(ParseRequest, RequestIdKeepsItsType) {
  EXPECT_EQ(parse_ok(R"({"request_id":"abc"})").id, std::optional<request_id>(std::string("abc")));
  EXPECT_EQ(parse_ok(R"({"request_id":42})").id, std::optional<request_id>(std::int64_t{42}));
  EXPECT_EQ(parse_ok(R"({"request_id":-7})").id, std::optional<request_id>(std::int64_t{-7}));
  EXPECT_EQ(parse_ok(R"({"request_id":"42"})").id, std::optional<request_id>(std::string("42")));
  EXPECT_EQ(parse_ok(R"({"request_id":9223372036854775807})").id,
            std::optional<request_id>(std::int64_t{9223372036854775807}));
  EXPECT_FALSE(parse_ok(R"({"request_id":null})").id);
}

TEST(ParseRequest, RequestIdOfAnotherType) {
  for (const char* frame : {R"({"request_id":1.5})", R"({"request_id":true})", R"({"request_id":{}})",
                            R"({"request_id":[1]})", R"({"request_id":18446744073709551615})"}) {
    const parse_result result = parse_request(frame, {});
    ASSERT_FALSE(result.ok()) << frame;
    EXPECT_EQ(std::get<protocol_error>(result.value).code, error_code::invalid_message);
    EXPECT_EQ(std::get<protocol_error>(result.value).message, "request_id must be a string or an integer");
    EXPECT_FALSE(result.id);
  }
}

TEST(ParseRequest, ErrorsEchoTheRequestId) {
  const parse_result unknown = parse_request(R"({"type":"nope","request_id":"r1"})", {});
  EXPECT_EQ(unknown.id, std::optional<request_id>(std::string("r1")));
  const parse_result bad_type = parse_request(R"({"type":3,"request_id":5})", {});
  EXPECT_EQ(bad_type.id, std::optional<request_id>(std::int64_t{5}));
  const parse_result bad_filter = parse_request(R"({"request_id":7,"filters":{"page":0}})", {});
  ASSERT_FALSE(bad_filter.ok());
  EXPECT_EQ(std::get<protocol_error>(bad_filter.value).code, error_code::invalid_filter);
  EXPECT_EQ(bad_filter.id, std::optional<request_id>(std::int64_t{7}));
  const parse_result good = parse_request(R"({"request_id":"ok"})", {});
  EXPECT_EQ(good.id, std::optional<request_id>(std::string("ok")));
}

TEST(ParseRequest, RefreshWithoutFiltersRepeatsTheCurrentQuery) {
  EXPECT_EQ(parse_ok(R"({"type":"refresh_customers"})").kind, request_kind::refresh);
  EXPECT_EQ(parse_ok(R"({"type":"refresh_customers","filters":null})").kind, request_kind::refresh);
  const request empty = parse_ok(R"({"type":"refresh_customers","filters":{}})");
  EXPECT_EQ(empty.kind, request_kind::list);
  const request filtered = parse_ok(R"({"type":"refresh_customers","filters":{"has_email":"true"}})");
  EXPECT_EQ(filtered.kind, request_kind::list);
  EXPECT_EQ(filtered.query.filter.has_email, std::optional<bool>(true));
  EXPECT_EQ(parse_error(R"({"type":"refresh_customers","filters":"x"})").code, error_code::invalid_filter);
}

TEST(ParseRequest, FiltersMustBeAnObject) {
  for (const char* filters : {"\"all\"", "[]", "5", "true", "\"\""}) {
    const protocol_error error = filter_error(filters);
    EXPECT_EQ(error.code, error_code::invalid_filter) << filters;
    EXPECT_EQ(error.message, "filters: must be an object");
  }
  EXPECT_EQ(parse_ok(R"({"filters":null})").query.applied_filters_json, "{}");
}

TEST(ParseRequest, UnknownTopLevelKeysAreWarnings) {
  const request parsed = parse_ok(R"({"type":"get_customers","colour":"red","page":2})");
  EXPECT_EQ(parsed.warnings, (strings{"unknown key 'colour' ignored", "unknown key 'page' ignored"}));
  EXPECT_EQ(parsed.query.paging.page, 1);
  EXPECT_TRUE(parse_ok(R"({"type":"filter_customers","request_id":1,"filters":{}})").warnings.empty());
}

TEST(ParseRequest, UnknownFilterKeysAreWarningsAndDropped) {
  const request parsed = with_filters(R"({"colour":"red","has_email":"true"})");
  EXPECT_EQ(parsed.warnings, strings{"unknown filter 'colour' ignored"});
  EXPECT_EQ(applied(parsed), json::parse(R"({"has_email":"true"})"));
}

// A 64 KiB frame can nest about 32,000 levels. Parsing, validating and
// dropping such a value must not recurse that deep (a json copy or dump
// would): run it on a thread with a 512 KiB stack.
void* parse_deep_frames(void* outcome) {
  const std::string nesting = std::string(32'000, '[') + std::string(32'000, ']');
  bool all_as_expected = true;
  for (const std::string& frame :
       {R"({"filters":{"source":)" + nesting + "}}", R"({"filters":{"unknown":)" + nesting + "}}",
        R"({"type":"search_customers","page":)" + nesting + "}", nesting}) {
    const parse_result result = parse_request(frame, {});
    all_as_expected = all_as_expected && (frame.find("unknown") != std::string::npos) == result.ok();
  }
  *static_cast<bool*>(outcome) = all_as_expected;
  return nullptr;
}

TEST(ParseRequest, DeeplyNestedValuesOnASmallStack) {
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, 512 * 1024);
  bool outcome = false;
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, &attributes, parse_deep_frames, &outcome), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attributes);
  EXPECT_TRUE(outcome);
  EXPECT_EQ(filter_error(R"({"tags":[["VIP"]]})").message, "tags: an array is not a string");
}

// ---- search ------------------------------------------------------------------

TEST(SearchFilter, TrimmedSplitFoldedDeduplicated) {
  const request parsed = with_filters(R"({"search":"  John \t DOE john "})");
  EXPECT_EQ(parsed.query.filter.search_terms, (strings{"john", "doe"}));
  EXPECT_EQ(applied(parsed)["search"], "John \t DOE john");
}

TEST(SearchFilter, CyrillicAndUnicodeWhiteSpace) {
  const request parsed = with_filters("{\"search\":\"\u3000ИВАН\u00A0иван Ёжик\u2003\"}");
  EXPECT_EQ(parsed.query.filter.search_terms, (strings{"иван", "ёжик"}));
  EXPECT_EQ(applied(parsed)["search"], "ИВАН\u00A0иван Ёжик");
}

TEST(SearchFilter, NoFilterValues) {
  for (const char* filters : {R"({"search":""})", R"({"search":"   "})", R"({"search":null})", R"({"search":"all"})",
                              R"({"search":[]})", "{\"search\":\"\u3000\\t\"}"}) {
    const request parsed = with_filters(filters);
    EXPECT_TRUE(parsed.query.filter.search_terms.empty()) << filters;
    EXPECT_EQ(applied(parsed), json::object()) << filters;
  }
}

TEST(SearchFilter, WrongTypes) {
  for (const char* filters : {R"({"search":5})", R"({"search":["john"]})", R"({"search":true})", R"({"search":{}})"}) {
    const protocol_error error = filter_error(filters);
    EXPECT_EQ(error.code, error_code::invalid_filter);
    EXPECT_EQ(error.message, "search: must be a string");
  }
}

TEST(SearchFilter, AtMost200CodePoints) {
  std::string longest;
  for (int index = 0; index < 200; ++index) longest += "Ж";  // 400 bytes, 200 code points
  const request parsed = with_filters(json{{"search", "  " + longest + "  "}}.dump());
  EXPECT_EQ(parsed.query.filter.search_terms.size(), 1u);
  const protocol_error too_long = filter_error(json{{"search", longest + "x"}}.dump());
  EXPECT_EQ(too_long.code, error_code::invalid_filter);
  EXPECT_EQ(too_long.message, "search: at most 200 characters");
  const protocol_error huge = filter_error(json{{"search", std::string(10'000, 'a')}}.dump());
  EXPECT_EQ(huge.message, "search: at most 200 characters");
}

TEST(SearchFilter, InvalidUtf8ThroughParseFilters) {
  // JSON escapes cannot produce invalid UTF-8, but a lone surrogate escape is rejected as JSON.
  std::vector<std::string> warnings;
  const auto result = parse_filters(R"({"search":"\ud800"})", {}, warnings);
  ASSERT_TRUE(std::holds_alternative<protocol_error>(result));
  EXPECT_EQ(std::get<protocol_error>(result).code, error_code::invalid_json);
}

// ---- booleans ----------------------------------------------------------------

TEST(BooleanFilters, AcceptedValues) {
  for (const std::string key : {"has_email", "has_phone", "has_unread"}) {
    for (const char* value : {"true", "\"true\"", "\"TRUE\"", "\"True\"", "1", "\"1\""}) {
      const request parsed = with_filters("{\"" + key + "\":" + value + "}");
      const customer_filter& filter = parsed.query.filter;
      const auto& field = key == "has_email" ? filter.has_email : key == "has_phone" ? filter.has_phone : filter.has_unread;
      EXPECT_EQ(field, std::optional<bool>(true)) << key << "=" << value;
      EXPECT_EQ(applied(parsed), (json{{key, "true"}}));
    }
    for (const char* value : {"false", "\"false\"", "\"FALSE\"", "0", "\"0\""}) {
      const request parsed = with_filters("{\"" + key + "\":" + value + "}");
      const customer_filter& filter = parsed.query.filter;
      const auto& field = key == "has_email" ? filter.has_email : key == "has_phone" ? filter.has_phone : filter.has_unread;
      EXPECT_EQ(field, std::optional<bool>(false)) << key << "=" << value;
      EXPECT_EQ(applied(parsed), (json{{key, "false"}}));
    }
    for (const char* value : {"null", "\"\"", "\"all\"", "\"ALL\"", "\"All\"", "[]"}) {
      const request parsed = with_filters("{\"" + key + "\":" + value + "}");
      EXPECT_FALSE(parsed.query.filter.has_email || parsed.query.filter.has_phone || parsed.query.filter.has_unread)
          << key << "=" << value;
      EXPECT_EQ(applied(parsed), json::object());
    }
  }
}

TEST(BooleanFilters, RejectedValues) {
  for (const std::string key : {"has_email", "has_phone", "has_unread"}) {
    for (const char* value : {"\"yes\"", "2", "-1", "1.5", "1.0", "\"maybe\"", "{}", "[true]", "\"tru\"", "\" true\""}) {
      expect_invalid_filter("{\"" + key + "\":" + value + "}", key);
    }
  }
  EXPECT_EQ(filter_error(R"({"has_email":"yes"})").message, "has_email: 'yes' is not one of true, false, all, 1, 0");
}

// ---- source, conversation_status, tags, tag_ids ----------------------------------

TEST(StringListFilters, SourceStringOrArray) {
  const request single = with_filters(R"({"source":"telegram"})");
  EXPECT_EQ(single.query.filter.sources, strings{"telegram"});
  EXPECT_EQ(applied(single), json::parse(R"({"source":"telegram"})"));

  const request several = with_filters(R"({"source":["telegram","","Instagram","telegram"]})");
  EXPECT_EQ(several.query.filter.sources, (strings{"telegram", "Instagram"}));
  EXPECT_EQ(applied(several), json::parse(R"({"source":["telegram","Instagram","telegram"]})"));
}

TEST(StringListFilters, ConversationStatus) {
  const request single = with_filters(R"({"conversation_status":"support_active"})");
  EXPECT_EQ(single.query.filter.conversation_statuses, strings{"support_active"});
  EXPECT_EQ(applied(single), json::parse(R"({"conversation_status":"support_active"})"));
  const request several = with_filters(R"({"conversation_status":["active","closed"]})");
  EXPECT_EQ(several.query.filter.conversation_statuses, (strings{"active", "closed"}));
  EXPECT_EQ(applied(several), json::parse(R"({"conversation_status":["active","closed"]})"));
}

TEST(StringListFilters, TagsAlwaysAnArrayAndCaseSensitive) {
  const request single = with_filters(R"({"tags":"VIP"})");
  EXPECT_EQ(single.query.filter.tags, strings{"VIP"});
  EXPECT_EQ(applied(single), json::parse(R"({"tags":["VIP"]})"));
  const request several = with_filters(R"({"tags":["VIP","vip","VIP"]})");
  EXPECT_EQ(several.query.filter.tags, (strings{"VIP", "vip"}));
}

TEST(StringListFilters, NoFilterValues) {
  for (const std::string key : {"source", "conversation_status", "tags"}) {
    for (const char* value : {"null", "\"\"", "\"all\"", "[]", "[\"all\"]", "[\"\"]", "[\"\",\"all\"]", "[\"all\",\"x\"]"}) {
      const request parsed = with_filters("{\"" + key + "\":" + value + "}");
      EXPECT_TRUE(parsed.query.filter.sources.empty() && parsed.query.filter.conversation_statuses.empty() &&
                  parsed.query.filter.tags.empty())
          << key << "=" << value;
      EXPECT_EQ(applied(parsed), json::object()) << key << "=" << value;
    }
  }
}

TEST(StringListFilters, RejectedValues) {
  for (const std::string key : {"source", "conversation_status", "tags"}) {
    for (const char* value : {"5", "true", "{}", "[1]", "[\"a\",null]", "[[\"a\"]]", "1.5"}) {
      expect_invalid_filter("{\"" + key + "\":" + value + "}", key);
    }
  }
  EXPECT_EQ(filter_error(R"({"source":["a",1]})").message, "source: 1 is not a string");
}

TEST(TagIdsFilter, AcceptedValues) {
  const request parsed = with_filters(R"({"tag_ids":[1,"2",2,"",3.0]})");
  EXPECT_EQ(parsed.query.filter.tag_ids, (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(applied(parsed), json::parse(R"({"tag_ids":[1,2,3]})"));
  EXPECT_EQ(with_filters(R"({"tag_ids":7})").query.filter.tag_ids, std::vector<std::int64_t>{7});
  EXPECT_EQ(with_filters(R"({"tag_ids":"8"})").query.filter.tag_ids, std::vector<std::int64_t>{8});
  EXPECT_EQ(applied(with_filters(R"({"tag_ids":"8"})")), json::parse(R"({"tag_ids":[8]})"));
  for (const char* value : {"null", "\"\"", "\"all\"", "[]", "[\"\"]", "[\"all\"]"}) {
    const request none = with_filters(std::string("{\"tag_ids\":") + value + "}");
    EXPECT_TRUE(none.query.filter.tag_ids.empty()) << value;
    EXPECT_EQ(applied(none), json::object());
  }
}

TEST(TagIdsFilter, RejectedValues) {
  for (const char* value : {"[\"x\"]", "[1.5]", "[true]", "true", "{}", "[null]", "[[1]]", "\"1x\"", "1.5",
                            "[\"99999999999999999999\"]", "[99999999999999999999]", "[\" 1\"]"}) {
    expect_invalid_filter(std::string("{\"tag_ids\":") + value + "}", "tag_ids");
  }
  EXPECT_EQ(filter_error(R"({"tag_ids":["x"]})").message, "tag_ids: 'x' is not an integer");
  EXPECT_EQ(filter_error(R"({"tag_ids":[true]})").message, "tag_ids: true is not an integer");
}

// ---- dates -----------------------------------------------------------------------

constexpr timestamp_ms may_first_2023 = 1682899200000;

TEST(DateFilters, DateOnlyUpperBoundCoversTheDay) {
  const request parsed = with_filters(R"({"date_from":"2023-05-01","date_to":"2023-05-01"})");
  EXPECT_EQ(parsed.query.filter.created_at.from, std::optional<timestamp_ms>(may_first_2023));
  EXPECT_EQ(parsed.query.filter.created_at.to, std::optional<timestamp_ms>(may_first_2023 + 86'400'000 - 1));
  EXPECT_EQ(applied(parsed), json::parse(R"({"date_from":"2023-05-01","date_to":"2023-05-01"})"));
  EXPECT_TRUE(parsed.query.filter.last_activity.empty());
}

TEST(DateFilters, DateTimesAreExact) {
  const request parsed =
      with_filters(R"({"last_activity_from":"2023-05-01T10:00:00+02:00","last_activity_to":"2023-05-01T10:00:00Z"})");
  EXPECT_EQ(parsed.query.filter.last_activity.from, std::optional<timestamp_ms>(may_first_2023 + 8 * 3'600'000));
  EXPECT_EQ(parsed.query.filter.last_activity.to, std::optional<timestamp_ms>(may_first_2023 + 10 * 3'600'000));
  EXPECT_EQ(applied(parsed)["last_activity_from"], "2023-05-01T10:00:00+02:00");
  EXPECT_TRUE(parsed.query.filter.created_at.empty());
}

TEST(DateFilters, OnlyOneEnd) {
  const request parsed = with_filters(R"({"date_to":"2023-05-01T00:00:00.500Z","last_activity_from":"2023-05-01"})");
  EXPECT_FALSE(parsed.query.filter.created_at.from);
  EXPECT_EQ(parsed.query.filter.created_at.to, std::optional<timestamp_ms>(may_first_2023 + 500));
  EXPECT_EQ(parsed.query.filter.last_activity.from, std::optional<timestamp_ms>(may_first_2023));
  EXPECT_FALSE(parsed.query.filter.last_activity.to);
}

TEST(DateFilters, NoFilterValues) {
  const request parsed = with_filters(R"({"date_from":"","date_to":null,"last_activity_from":"all","last_activity_to":[]})");
  EXPECT_TRUE(parsed.query.filter.created_at.empty());
  EXPECT_TRUE(parsed.query.filter.last_activity.empty());
  EXPECT_EQ(applied(parsed), json::object());
}

TEST(DateFilters, RejectedValues) {
  for (const std::string key : {"date_from", "date_to", "last_activity_from", "last_activity_to"}) {
    for (const char* value : {"\"2023-02-30\"", "\"yesterday\"", "20230501", "true", "[\"2023-05-01\"]", "{}",
                              "\"2023-05-01T25:00:00Z\""}) {
      expect_invalid_filter("{\"" + key + "\":" + value + "}", key);
    }
  }
  EXPECT_EQ(filter_error(R"({"date_from":"2023-02-30"})").message,
            "date_from: '2023-02-30' is not a valid date (YYYY-MM-DD or ISO 8601 date-time)");
}

TEST(DateFilters, FromAfterToNamesTheFromKey) {
  const protocol_error created = filter_error(R"({"date_from":"2023-05-02","date_to":"2023-05-01"})");
  EXPECT_EQ(created.code, error_code::invalid_filter);
  EXPECT_EQ(created.message, "date_from: '2023-05-02' is after date_to '2023-05-01'");
  expect_invalid_filter(R"({"last_activity_from":"2023-05-01T10:00:01Z","last_activity_to":"2023-05-01T10:00:00Z"})",
                        "last_activity_from");
  // The same instant at both ends is a valid range.
  EXPECT_EQ(with_filters(R"({"date_from":"2023-05-01T10:00:00Z","date_to":"2023-05-01T12:00:00+02:00"})")
                .query.filter.created_at.from,
            std::optional<timestamp_ms>(may_first_2023 + 10 * 3'600'000));
}

// ---- order_by --------------------------------------------------------------------

TEST(OrderBy, EveryValue) {
  const std::vector<std::pair<std::string, sort_field>> fields = {
      {"created_at", sort_field::created_at}, {"updated_at", sort_field::updated_at},
      {"last_activity", sort_field::last_activity}, {"first_name", sort_field::first_name},
      {"last_name", sort_field::last_name}, {"id", sort_field::id}};
  for (const auto& [name, field] : fields) {
    for (const bool descending : {false, true}) {
      const std::string value = (descending ? "-" : "") + name;
      const request parsed = with_filters(json{{"order_by", value}}.dump());
      EXPECT_EQ(parsed.query.order.field, field) << value;
      EXPECT_EQ(parsed.query.order.descending, descending) << value;
      EXPECT_EQ(applied(parsed), (json{{"order_by", value}}));
    }
  }
}

TEST(OrderBy, DefaultAndRejected) {
  const request parsed = with_filters(R"({"order_by":""})");
  EXPECT_EQ(parsed.query.order.field, sort_field::created_at);
  EXPECT_TRUE(parsed.query.order.descending);
  EXPECT_EQ(applied(parsed), json::object());
  EXPECT_EQ(filter_error(R"({"order_by":"password"})").message,
            "order_by: 'password' is not one of created_at, -created_at, updated_at, -updated_at, last_activity, "
            "-last_activity, first_name, -first_name, last_name, -last_name, id, -id");
  for (const char* value : {"\"Created_At\"", "\"--id\"", "\"+id\"", "5", "[\"id\"]", "true", "\" id\""}) {
    expect_invalid_filter(std::string("{\"order_by\":") + value + "}", "order_by");
  }
}

// ---- pagination --------------------------------------------------------------------

TEST(Pagination, PageMode) {
  const request parsed = with_filters(R"({"page":3,"page_size":10})");
  const pagination& paging = parsed.query.paging;
  EXPECT_EQ(paging.mode, pagination_mode::page);
  EXPECT_EQ(paging.page, 3);
  EXPECT_EQ(paging.page_size, 10);
  EXPECT_EQ(paging.offset, 20);
  EXPECT_EQ(paging.limit, 10);
  EXPECT_EQ(applied(parsed), json::parse(R"({"page":3,"page_size":10})"));
  EXPECT_EQ(with_filters(R"({"page":"4"})").query.paging.offset, 60);
  EXPECT_EQ(with_filters(R"({"page":2.0})").query.paging.page, 2);
  EXPECT_EQ(with_filters(R"({"page":2147483647,"page_size":100})").query.paging.offset, 214748364600);
}

TEST(Pagination, PageRejected) {
  for (const char* value : {"0", "-1", "\"0\"", "1.5", "true", "\"abc\"", "\"2.0\"", "2147483648", "{}", "[2]",
                            "\" 2\"", "\"+2\""}) {
    expect_invalid_filter(std::string("{\"page\":") + value + "}", "page");
  }
  EXPECT_EQ(filter_error(R"({"page":0})").message, "page: must be an integer >= 1");
  EXPECT_EQ(filter_error(R"({"page":2147483648})").message, "page: at most 2147483647");
}

TEST(Pagination, PageSizeAndLimitClamped) {
  const request page_size = with_filters(R"({"page_size":500})");
  EXPECT_EQ(page_size.query.paging.page_size, 100);
  EXPECT_EQ(page_size.warnings, strings{"page_size 500 clamped to 100"});
  EXPECT_EQ(applied(page_size), json::parse(R"({"page_size":100})"));
  EXPECT_EQ(with_filters(R"({"page_size":"500"})").warnings, strings{"page_size 500 clamped to 100"});
  EXPECT_EQ(with_filters(R"({"page_size":100})").warnings, strings{});

  const request limit = with_filters(R"({"limit":101})");
  EXPECT_EQ(limit.query.paging.limit, 100);
  EXPECT_EQ(limit.query.paging.mode, pagination_mode::offset);
  EXPECT_EQ(limit.warnings, strings{"limit 101 clamped to 100"});
  EXPECT_EQ(with_filters(R"({"limit":99999999999999999999})").query.paging.limit, 100);

  for (const std::string key : {"page_size", "limit"}) {
    for (const char* value : {"0", "-5", "1.5", "false", "\"x\"", "{}"}) {
      expect_invalid_filter("{\"" + key + "\":" + value + "}", key);
    }
  }
  EXPECT_EQ(filter_error(R"({"limit":0})").message, "limit: must be an integer >= 1");
}

TEST(Pagination, OffsetMode) {
  const request parsed = with_filters(R"({"limit":10,"offset":25})");
  const pagination& paging = parsed.query.paging;
  EXPECT_EQ(paging.mode, pagination_mode::offset);
  EXPECT_EQ(paging.offset, 25);
  EXPECT_EQ(paging.limit, 10);
  EXPECT_EQ(paging.page_size, 10);
  EXPECT_EQ(paging.page, 3);
  EXPECT_EQ(applied(parsed), json::parse(R"({"limit":10,"offset":25})"));

  const pagination only_offset = with_filters(R"({"offset":"40"})").query.paging;
  EXPECT_EQ(only_offset.mode, pagination_mode::offset);
  EXPECT_EQ(only_offset.limit, 20);
  EXPECT_EQ(only_offset.page, 3);

  const pagination with_page_size = with_filters(R"({"page_size":50,"offset":100})").query.paging;
  EXPECT_EQ(with_page_size.limit, 50);
  EXPECT_EQ(with_page_size.page, 3);

  // limit/offset win over page/page_size.
  const request both = with_filters(R"({"limit":10,"page":5})");
  EXPECT_EQ(both.query.paging.mode, pagination_mode::offset);
  EXPECT_EQ(both.query.paging.offset, 0);
  EXPECT_EQ(both.query.paging.page, 1);
  EXPECT_EQ(applied(both), json::parse(R"({"limit":10,"page":5})"));

  EXPECT_EQ(with_filters(R"({"offset":9007199254740992})").query.paging.offset, 9007199254740992);
}

TEST(Pagination, OffsetRejected) {
  for (const char* value : {"-1", "1.5", "true", "\"x\"", "9007199254740993", "\"-3\""}) {
    expect_invalid_filter(std::string("{\"offset\":") + value + "}", "offset");
  }
  EXPECT_EQ(filter_error(R"({"offset":-1})").message, "offset: must be an integer >= 0");
  EXPECT_EQ(filter_error(R"({"offset":9007199254740993})").message, "offset: at most 9007199254740992");
  EXPECT_EQ(with_filters(R"({"offset":0})").query.paging.mode, pagination_mode::offset);
}

TEST(Pagination, NoFilterValuesMeanDefault) {
  const request parsed = with_filters(R"({"page":null,"page_size":"","limit":[],"offset":"all"})");
  EXPECT_EQ(parsed.query.paging.mode, pagination_mode::page);
  EXPECT_EQ(parsed.query.paging.page, 1);
  EXPECT_EQ(parsed.query.paging.page_size, 20);
  EXPECT_EQ(applied(parsed), json::object());
}

// ---- connection defaults -------------------------------------------------------------

TEST(ConnectionDefaults, ApplyWhenTheRequestGivesNothing) {
  connection_defaults defaults;
  defaults.page_size = 50;
  const request parsed = with_filters("{}", defaults);
  EXPECT_EQ(parsed.query.paging.page_size, 50);
  EXPECT_EQ(parsed.query.paging.limit, 50);
  EXPECT_EQ(applied(parsed), json::parse(R"({"page_size":50})"));
  EXPECT_EQ(parse_ok("{}", defaults).query.paging.page_size, 50);
}

TEST(ConnectionDefaults, RequestKeyWinsOtherKeysMerge) {
  connection_defaults defaults;
  defaults.page = 2;
  defaults.page_size = 50;
  const request parsed = with_filters(R"({"page":3})", defaults);
  EXPECT_EQ(parsed.query.paging.page, 3);
  EXPECT_EQ(parsed.query.paging.page_size, 50);
  EXPECT_EQ(parsed.query.paging.offset, 100);
  EXPECT_EQ(applied(parsed), json::parse(R"({"page":3,"page_size":50})"));
  EXPECT_EQ(with_filters(R"({"page_size":10})", defaults).query.paging.offset, 10);
}

TEST(ConnectionDefaults, OffsetDefaults) {
  connection_defaults defaults;
  defaults.limit = 10;
  defaults.offset = 30;
  const request parsed = with_filters("{}", defaults);
  EXPECT_EQ(parsed.query.paging.mode, pagination_mode::offset);
  EXPECT_EQ(parsed.query.paging.page, 4);
  EXPECT_EQ(applied(parsed), json::parse(R"({"limit":10,"offset":30})"));

  const request with_offset = with_filters(R"({"offset":5})", defaults);
  EXPECT_EQ(with_offset.query.paging.limit, 10);
  EXPECT_EQ(with_offset.query.paging.offset, 5);
}

TEST(ConnectionDefaults, RequestPageModeIgnoresDefaultLimitOffset) {
  connection_defaults defaults;
  defaults.limit = 10;
  defaults.offset = 30;
  const request parsed = with_filters(R"({"page":2})", defaults);
  EXPECT_EQ(parsed.query.paging.mode, pagination_mode::page);
  EXPECT_EQ(parsed.query.paging.page, 2);
  EXPECT_EQ(parsed.query.paging.page_size, 20);
  EXPECT_EQ(parsed.query.paging.offset, 20);
  EXPECT_EQ(applied(parsed), json::parse(R"({"page":2})"));
}

TEST(ConnectionDefaults, RequestOffsetModeIgnoresDefaultPage) {
  connection_defaults defaults;
  defaults.page = 5;
  defaults.page_size = 50;
  const request parsed = with_filters(R"({"offset":10})", defaults);
  EXPECT_EQ(parsed.query.paging.mode, pagination_mode::offset);
  EXPECT_EQ(parsed.query.paging.limit, 20);
  EXPECT_EQ(parsed.query.paging.offset, 10);
  EXPECT_EQ(applied(parsed), json::parse(R"({"offset":10})"));
}

TEST(ConnectionDefaults, RequestPageSizeBeatsDefaultLimitInOffsetMode) {
  connection_defaults defaults;
  defaults.limit = 10;
  const pagination paging = with_filters(R"({"page_size":30,"offset":60})", defaults).query.paging;
  EXPECT_EQ(paging.limit, 30);
  EXPECT_EQ(paging.page, 3);
}

TEST(ConnectionDefaults, ParseFiltersForTheInitialList) {
  connection_defaults defaults;
  defaults.page = 2;
  std::vector<std::string> warnings;
  const auto result = parse_filters("{}", defaults, warnings);
  ASSERT_TRUE(std::holds_alternative<list_query>(result));
  EXPECT_EQ(std::get<list_query>(result).paging.offset, 20);
  EXPECT_EQ(std::get<list_query>(result).applied_filters_json, R"({"page":2})");
  EXPECT_TRUE(warnings.empty());

  const auto unknown = parse_filters(R"({"x":1,"page_size":200})", {}, warnings);
  ASSERT_TRUE(std::holds_alternative<list_query>(unknown));
  EXPECT_EQ(warnings, (strings{"unknown filter 'x' ignored", "page_size 200 clamped to 100"}));

  std::vector<std::string> more;
  EXPECT_EQ(std::get<protocol_error>(parse_filters("nope", {}, more)).code, error_code::invalid_json);
  EXPECT_EQ(std::get<protocol_error>(parse_filters("[1]", {}, more)).code, error_code::invalid_filter);
  EXPECT_EQ(std::get<protocol_error>(parse_filters(R"({"page":0})", {}, more)).code, error_code::invalid_filter);
}

// ---- search_customers ------------------------------------------------------------------

TEST(SearchCustomers, TermAndAliases) {
  const request parsed = parse_ok(R"({"type":"search_customers","search_term":"John"})");
  EXPECT_EQ(parsed.kind, request_kind::list);
  EXPECT_EQ(parsed.type, "search_customers");
  EXPECT_EQ(parsed.query.filter.search_terms, strings{"john"});
  EXPECT_EQ(applied(parsed), json::parse(R"({"search":"John"})"));
  EXPECT_TRUE(parsed.warnings.empty());

  EXPECT_EQ(parse_ok(R"({"type":"search_customers","query":"Ann"})").query.filter.search_terms, strings{"ann"});
  EXPECT_EQ(parse_ok(R"({"type":"search_customers","search":"Bob"})").query.filter.search_terms, strings{"bob"});
  EXPECT_EQ(parse_ok(R"({"type":"search_customers","search":"c","query":"b","search_term":"a"})")
                .query.filter.search_terms,
            strings{"a"});
  EXPECT_EQ(parse_ok(R"({"type":"search_customers","search":"c","query":"b"})").query.filter.search_terms,
            strings{"b"});
}

TEST(SearchCustomers, EmptyTermListsEveryone) {
  for (const char* frame : {R"({"type":"search_customers","search_term":""})", R"({"type":"search_customers"})",
                            R"({"type":"search_customers","search_term":"  "})"}) {
    const request parsed = parse_ok(frame);
    EXPECT_TRUE(parsed.query.filter.search_terms.empty()) << frame;
    EXPECT_EQ(applied(parsed), json::object()) << frame;
  }
}

TEST(SearchCustomers, NonStringTermNamesItsKey) {
  const protocol_error error = parse_error(R"({"type":"search_customers","search_term":5})");
  EXPECT_EQ(error.code, error_code::invalid_filter);
  EXPECT_EQ(error.message, "search_term: must be a string");
  EXPECT_EQ(parse_error(R"({"type":"search_customers","query":[]})").message, "query: must be a string");
  const protocol_error too_long =
      parse_error(json{{"type", "search_customers"}, {"search_term", std::string(201, 'a')}}.dump());
  EXPECT_EQ(too_long.message, "search_term: at most 200 characters");
}

TEST(SearchCustomers, TopLevelPagination) {
  const request parsed = parse_ok(R"({"type":"search_customers","search_term":"x","page":2,"page_size":5})");
  EXPECT_EQ(parsed.query.paging.page, 2);
  EXPECT_EQ(parsed.query.paging.offset, 5);
  EXPECT_TRUE(parsed.warnings.empty());
  EXPECT_EQ(applied(parsed), json::parse(R"({"search":"x","page":2,"page_size":5})"));

  const request offset = parse_ok(R"({"type":"search_customers","limit":500,"offset":"10"})");
  EXPECT_EQ(offset.query.paging.limit, 100);
  EXPECT_EQ(offset.query.paging.offset, 10);
  EXPECT_EQ(offset.warnings, strings{"limit 500 clamped to 100"});
}

TEST(SearchCustomers, FiltersApplyTooAndTheTermOverridesTheirSearch) {
  const request parsed = parse_ok(
      R"({"type":"search_customers","search_term":"bob","filters":{"search":"alice","has_email":"true","page":3}})");
  EXPECT_EQ(parsed.query.filter.search_terms, strings{"bob"});
  EXPECT_EQ(parsed.query.filter.has_email, std::optional<bool>(true));
  EXPECT_EQ(parsed.query.paging.page, 3);

  const request without_term = parse_ok(R"({"type":"search_customers","filters":{"search":"alice"}})");
  EXPECT_EQ(without_term.query.filter.search_terms, strings{"alice"});

  const request empty_term = parse_ok(R"({"type":"search_customers","search_term":"","filters":{"search":"alice"}})");
  EXPECT_TRUE(empty_term.query.filter.search_terms.empty());
}

TEST(SearchCustomers, UnknownKeysWarned) {
  const request parsed = parse_ok(R"({"type":"search_customers","search_term":"x","sort":"id"})");
  EXPECT_EQ(parsed.warnings, strings{"unknown key 'sort' ignored"});
}

// ---- combined -------------------------------------------------------------------------

TEST(Filters, EverythingTogether) {
  const request parsed = with_filters(R"({
    "search":"john doe", "has_email":"true", "has_phone":false, "has_unread":"1",
    "source":["telegram"], "tags":"VIP", "tag_ids":[1,2], "conversation_status":"active",
    "date_from":"2023-01-01", "date_to":"2023-12-31", "last_activity_from":"2023-06-01T00:00:00Z",
    "order_by":"-updated_at", "page":2, "page_size":10})");
  const customer_filter& filter = parsed.query.filter;
  EXPECT_EQ(filter.search_terms, (strings{"john", "doe"}));
  EXPECT_EQ(filter.has_email, std::optional<bool>(true));
  EXPECT_EQ(filter.has_phone, std::optional<bool>(false));
  EXPECT_EQ(filter.has_unread, std::optional<bool>(true));
  EXPECT_EQ(filter.sources, strings{"telegram"});
  EXPECT_EQ(filter.tags, strings{"VIP"});
  EXPECT_EQ(filter.tag_ids, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(filter.conversation_statuses, strings{"active"});
  EXPECT_EQ(parsed.query.order.field, sort_field::updated_at);
  EXPECT_EQ(parsed.query.paging.offset, 10);
  EXPECT_EQ(applied(parsed), json::parse(R"({
    "search":"john doe", "has_email":"true", "has_phone":"false", "has_unread":"true",
    "source":["telegram"], "tags":["VIP"], "tag_ids":[1,2], "conversation_status":"active",
    "date_from":"2023-01-01", "date_to":"2023-12-31", "last_activity_from":"2023-06-01T00:00:00Z",
    "order_by":"-updated_at", "page":2, "page_size":10})"));
  EXPECT_TRUE(parsed.warnings.empty());
}

// ---- connection parameters ---------------------------------------------------------------

TEST(ConnectionParameters, ReadsTokenAndPagination) {
  const connection_parameters parameters = parse_connection_parameters("token=abc%2Edef&page=2&page_size=50&x=1");
  EXPECT_EQ(parameters.token, std::optional<std::string>("abc.def"));
  EXPECT_EQ(parameters.defaults.page, std::optional<std::int64_t>(2));
  EXPECT_EQ(parameters.defaults.page_size, std::optional<std::int64_t>(50));
  EXPECT_FALSE(parameters.defaults.limit);
  EXPECT_FALSE(parameters.defaults.offset);
  EXPECT_TRUE(parameters.warnings.empty());

  const connection_parameters offset = parse_connection_parameters("limit=10&offset=30");
  EXPECT_EQ(offset.defaults.limit, std::optional<std::int64_t>(10));
  EXPECT_EQ(offset.defaults.offset, std::optional<std::int64_t>(30));
  EXPECT_FALSE(offset.token);
}

TEST(ConnectionParameters, UrlDecoding) {
  EXPECT_EQ(parse_connection_parameters("token=a+b%20c%2b").token, std::optional<std::string>("a b c+"));
  EXPECT_EQ(parse_connection_parameters("token=%zz%4").token, std::optional<std::string>("%zz%4"));
  EXPECT_EQ(parse_connection_parameters("token").token, std::optional<std::string>(""));
  EXPECT_EQ(parse_connection_parameters("%70age=7").defaults.page, std::optional<std::int64_t>(7));
  EXPECT_EQ(parse_connection_parameters("&&page=3&").defaults.page, std::optional<std::int64_t>(3));
  EXPECT_EQ(parse_connection_parameters("page=1&page=4").defaults.page, std::optional<std::int64_t>(4));
  const connection_parameters empty = parse_connection_parameters("");
  EXPECT_FALSE(empty.token);
  EXPECT_FALSE(empty.defaults.page || empty.defaults.page_size || empty.defaults.limit || empty.defaults.offset);
  EXPECT_TRUE(empty.warnings.empty());
}

TEST(ConnectionParameters, BadValuesDroppedWithWarnings) {
  const connection_parameters parameters = parse_connection_parameters("page=0&limit=x&offset=-1&page_size=500");
  EXPECT_FALSE(parameters.defaults.page);
  EXPECT_FALSE(parameters.defaults.limit);
  EXPECT_FALSE(parameters.defaults.offset);
  EXPECT_EQ(parameters.defaults.page_size, std::optional<std::int64_t>(100));
  EXPECT_EQ(parameters.warnings,
            (strings{"page: must be an integer >= 1 (query string value ignored)",
                     "limit: must be an integer >= 1 (query string value ignored)",
                     "offset: must be an integer >= 0 (query string value ignored)", "page_size 500 clamped to 100"}));
  const connection_parameters blank = parse_connection_parameters("page=&page_size=all");
  EXPECT_FALSE(blank.defaults.page || blank.defaults.page_size);
  EXPECT_TRUE(blank.warnings.empty());
  EXPECT_EQ(parse_connection_parameters("page=2.5").warnings.size(), 1u);
  EXPECT_EQ(parse_connection_parameters("page=99999999999").warnings,
            strings{"page: at most 2147483647 (query string value ignored)"});
}

}  // namespace
}  // namespace cws::protocol
