// PROTOCOL.md, error answers: bad frames, bad types, invalid filters; the
// connection stays usable and keeps its current query; the frame size limit.
#include "tests/integration/harness.hpp"

namespace cwsit {
namespace {

class Errors : public MainSessionTest {
 protected:
  json send_raw(const std::string& text) {
    std::string err;
    if (!s_.ws->send_text(text, &err)) return {{"type", "<send failed>"}, {"__error", err}};
    return s_.ws->recv();
  }
  // The connection still answers after an error.
  void expect_alive() {
    const json r = s_.request({{"type", "ping"}, {"request_id", "alive?"}});
    EXPECT_EQ(r.value("type", ""), "pong") << "connection no longer answers: " << shorten(r.dump());
  }
};

TEST_F(Errors, InvalidJson) {
  for (const char* text : {"{not json", "{\"type\": \"ping\"", "", "nul", "{\"type\":\"ping\"} trailing"}) {
    SCOPED_TRACE(json(text).dump());
    EXPECT_TRUE(IsError(send_raw(text), "invalid_json"));
    expect_alive();
  }
}

TEST_F(Errors, NotAnObjectIsInvalidMessage) {
  for (const char* text : {"[]", "\"x\"", "42", "null", "[{\"type\":\"ping\"}]", "true"}) {
    SCOPED_TRACE(text);
    EXPECT_TRUE(IsError(send_raw(text), "invalid_message"));
    expect_alive();
  }
}

TEST_F(Errors, BinaryFrameIsInvalidMessage) {
  std::string err;
  ASSERT_TRUE(s_.ws->send_binary("{\"type\":\"ping\"}", &err)) << err;
  EXPECT_TRUE(IsError(s_.ws->recv(), "invalid_message"));
  expect_alive();
  ASSERT_TRUE(s_.ws->send_binary(std::string("\x00\x01\xff", 3), &err)) << err;
  EXPECT_TRUE(IsError(s_.ws->recv(), "invalid_message"));
  expect_alive();
}

TEST_F(Errors, BadTypeValueIsInvalidMessage) {
  for (const json& m : {json{{"type", 5}}, json{{"type", true}}, json{{"type", json::array({"ping"})}},
                        json{{"type", {{"a", 1}}}}}) {
    SCOPED_TRACE(m.dump());
    EXPECT_TRUE(IsError(s_.request(m), "invalid_message"));
    expect_alive();
  }
}

TEST_F(Errors, UnknownType) {
  for (const char* t : {"get_everything", "GET_CUSTOMERS", "customers_list"}) {
    SCOPED_TRACE(t);
    EXPECT_TRUE(IsError(s_.request({{"type", t}}), "unknown_type"));
    expect_alive();
  }
}

TEST_F(Errors, InvalidFilterNamesTheKey) {
  const std::string long_search(10 * 1024, 'a');
  std::string cyr201;
  for (int i = 0; i < 201; ++i) cyr201 += "я";
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"page", 0}}, "page"},
      {{{"page", -1}}, "page"},
      {{{"page", "abc"}}, "page"},
      {{{"page", {{"x", 1}}}}, "page"},
      {{{"page_size", 0}}, "page_size"},
      {{{"page_size", "many"}}, "page_size"},
      {{{"limit", 0}, {"offset", 0}}, "limit"},
      {{{"limit", 10}, {"offset", -1}}, "offset"},
      {{{"order_by", "password"}}, "order_by"},
      {{{"order_by", "-password"}}, "order_by"},
      {{{"order_by", "first_name; DROP TABLE customers"}}, "order_by"},
      {{{"order_by", 5}}, "order_by"},
      {{{"date_from", "2023-13-45"}}, "date_from"},
      {{{"date_from", "yesterday"}}, "date_from"},
      {{{"date_to", "not a date"}}, "date_to"},
      {{{"date_to", 20230101}}, "date_to"},
      {{{"last_activity_from", "x"}}, "last_activity_from"},
      {{{"last_activity_to", "2023-02-30T25:00:00Z"}}, "last_activity_to"},
      {{{"tag_ids", {"x"}}}, "tag_ids"},
      {{{"tag_ids", {1, "x"}}}, "tag_ids"},
      {{{"tag_ids", {1.5}}}, "tag_ids"},
      {{{"has_email", "maybe"}}, "has_email"},
      {{{"has_phone", "maybe"}}, "has_phone"},
      {{{"has_unread", "maybe"}}, "has_unread"},
      {{{"has_email", 2}}, "has_email"},
      {{{"search", long_search}}, "search"},
      {{{"search", cyr201}}, "search"},
      {{{"search", 5}}, "search"},
      {{{"source", 5}}, "source"},
      {{{"tags", {{"a", 1}}}}, "tags"},
      {{{"conversation_status", 7}}, "conversation_status"},
  };
  for (const auto& [filters, key] : cases) {
    SCOPED_TRACE(shorten(filters.dump(), 200));
    EXPECT_TRUE(IsError(s_.request({{"type", "get_customers"}, {"filters", filters}}), "invalid_filter", key));
    expect_alive();
  }
}

TEST_F(Errors, DateFromAfterDateToIsInvalid) {
  for (const json& f : {json{{"date_from", "2023-06-16"}, {"date_to", "2023-06-15"}},
                        json{{"date_from", "2023-06-15T10:00:00.001Z"}, {"date_to", "2023-06-15T10:00:00Z"}},
                        json{{"last_activity_from", "2023-06-16"}, {"last_activity_to", "2023-06-15"}}}) {
    SCOPED_TRACE(f.dump());
    const json r = s_.request({{"type", "get_customers"}, {"filters", f}});
    const std::string key = f.contains("date_from") ? "date_" : "last_activity_";
    EXPECT_TRUE(IsError(r, "invalid_filter", key));
    expect_alive();
  }
  // Equal ends are fine (both inclusive).
  const json same = {{"date_from", "2023-06-15"}, {"date_to", "2023-06-15"}};
  EXPECT_TRUE(ListMatchesFilters(s_.request({{"type", "get_customers"}, {"filters", same}}), same));
}

TEST_F(Errors, FiltersNotAnObject) {
  for (const json& f : {json("x"), json(5), json::array({1}), json(true)}) {
    SCOPED_TRACE(f.dump());
    EXPECT_TRUE(IsError(s_.request({{"type", "get_customers"}, {"filters", f}}), "invalid_filter", "filters"));
    expect_alive();
  }
}

TEST_F(Errors, SearchOf200CodePointsIsAccepted) {
  std::string cyr200;
  for (int i = 0; i < 200; ++i) cyr200 += "я";
  for (const std::string& term : {cyr200, "  " + cyr200 + "\t ", std::string(200, 'q')}) {
    const json f = {{"search", term}};
    EXPECT_TRUE(ListMatchesFilters(s_.request({{"type", "get_customers"}, {"filters", f}}), f));
  }
}

TEST_F(Errors, ErrorsDoNotReplaceTheCurrentQuery) {
  const json good = {{"source", "telegram"}, {"page", 2}, {"page_size", 5}, {"order_by", "first_name"}};
  const json first = s_.request({{"type", "get_customers"}, {"filters", good}});
  ASSERT_TRUE(ListMatchesFilters(first, good));

  EXPECT_TRUE(IsError(s_.request({{"type", "get_customers"}, {"filters", {{"page", 0}}}}), "invalid_filter"));
  EXPECT_TRUE(IsError(s_.request({{"type", "filter_customers"}, {"filters", {{"order_by", "password"}}}}), "invalid_filter"));
  EXPECT_TRUE(IsError(s_.request({{"type", "refresh_customers"}, {"filters", {{"has_email", "maybe"}}}}), "invalid_filter"));
  EXPECT_TRUE(IsError(s_.request({{"type", "search_customers"}, {"search_term", std::string(300, 'x')}}), "invalid_filter"));
  EXPECT_TRUE(IsError(s_.request({{"type", "get_customers"}, {"filters", "x"}}), "invalid_filter"));
  EXPECT_TRUE(IsError(send_raw("{broken"), "invalid_json"));
  EXPECT_TRUE(IsError(send_raw("[]"), "invalid_message"));
  EXPECT_TRUE(IsError(s_.request({{"type", "nope"}}), "unknown_type"));

  const json again = s_.request({{"type", "refresh_customers"}});
  EXPECT_TRUE(ListMatchesFilters(again, good));
  EXPECT_EQ(again.value("customers", json()), first.value("customers", json()));
}

// A frame of exactly max-frame-bytes (65,536 by default) is accepted.
TEST_F(Errors, FrameOfExactly64KiBIsAccepted) {
  const std::string head = R"({"type":"ping","request_id":"big")";
  std::string frame = head + std::string(65536 - head.size() - 1, ' ') + "}";
  ASSERT_EQ(frame.size(), 65536u);
  const json r = send_raw(frame);
  EXPECT_EQ(r.value("type", ""), "pong") << shorten(r.dump());
  EXPECT_EQ(r.value("request_id", json()), "big");

  const std::string head2 = R"({"type":"get_customers","filters":{"source":"telegram"},"request_id":"big2")";
  frame = head2 + std::string(65536 - head2.size() - 1, '\n') + "}";
  ASSERT_EQ(frame.size(), 65536u);
  const json r2 = send_raw(frame);
  EXPECT_TRUE(ListMatchesFilters(r2, {{"source", "telegram"}}));
}

// One byte more closes the connection with 1009.
TEST_F(Errors, FrameOf64KiBPlusOneClosesWith1009) {
  const std::string head = R"({"type":"ping","request_id":"too big")";
  const std::string frame = head + std::string(65537 - head.size() - 1, ' ') + "}";
  ASSERT_EQ(frame.size(), 65537u);
  // Written below the WebSocket layer: the server may close the connection
  // before it has read the whole frame, which fails the write (EPIPE) but
  // must not hide the close frame it sent.
  std::string err;
  s_.ws->send_raw_text_frame(frame, &err);
  const WsEvent ev = s_.ws->read();
  EXPECT_EQ(ev.kind, WsEvent::Closed) << ev.describe();
  EXPECT_EQ(ev.close_code, 1009) << ev.describe();
  // Other connections are not affected.
  Session other = open_session(port());
  EXPECT_EQ(other.request({{"type", "ping"}}).value("type", ""), "pong");
}

}  // namespace
}  // namespace cwsit
