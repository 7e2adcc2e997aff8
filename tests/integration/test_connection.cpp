// PROTOCOL.md, Connection: the endpoint, the first two messages, query-string
// defaults, and the time format of every answer.
#include "tests/integration/harness.hpp"

namespace cwsit {
namespace {

class Connection : public MainServerTest {};

TEST_F(Connection, EstablishedThenInitialListOfPageOne) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  EXPECT_TRUE(s.established.contains("message") && s.established["message"].is_string()) << s.established.dump();
  ASSERT_TRUE(s.established.contains("timestamp") && s.established["timestamp"].is_string()) << s.established.dump();
  EXPECT_TRUE(parse_iso(s.established["timestamp"].get<std::string>()).has_value()) << s.established.dump();

  // The default query: no filters, page 1, page_size 20, ordered by -created_at.
  EXPECT_TRUE(ListMatchesFilters(s.initial, json::object()));
  EXPECT_TRUE(ListMatchesFilters(s.initial, {{"order_by", "-created_at"}, {"page", 1}, {"page_size", 20}}));
  EXPECT_EQ(s.initial.value("warnings", json()), json::array());
  EXPECT_TRUE(!s.initial.contains("request_id") || s.initial["request_id"].is_null()) << shorten(s.initial.dump());
  EXPECT_TRUE(!s.initial.contains("reason") || s.initial["reason"] != "update");
}

TEST_F(Connection, PathWithoutTrailingSlashIsAccepted) {
  Session s = open_session(port(), "/ws/customers");
  ASSERT_TRUE(s.error.empty());
  EXPECT_TRUE(ListMatchesFilters(s.initial, json::object()));
  EXPECT_EQ(s.request({{"type", "ping"}}).value("type", ""), "pong");
}

TEST_F(Connection, OtherPathsAreHttp404) {
  for (const char* target : {"/ws/other/", "/ws/customers/extra", "/ws/", "/customers/", "/ws/customerz/"}) {
    SCOPED_TRACE(target);
    WsClient c;
    int status = 0;
    const std::string err = c.connect(port(), target, {}, &status);
    EXPECT_FALSE(err.empty()) << "the WebSocket handshake on " << target << " was accepted";
    EXPECT_EQ(status, 404) << err;
  }
}

TEST_F(Connection, QueryStringPaginationDefaults) {
  Session s = open_session(port(), "/ws/customers/?page=2&page_size=5");
  ASSERT_TRUE(s.error.empty());
  // The initial list uses the defaults.
  EXPECT_TRUE(ListMatchesFilters(s.initial, {{"page", 2}, {"page_size", 5}}));
  // Later requests too.
  EXPECT_TRUE(ListMatchesFilters(s.request({{"type", "get_customers"}}), {{"page", 2}, {"page_size", 5}}));
  EXPECT_TRUE(ListMatchesFilters(s.request({{"type", "filter_customers"}, {"filters", {{"source", "telegram"}}}}),
                                 {{"source", "telegram"}, {"page", 2}, {"page_size", 5}}));
  // A value inside the request's filters wins, the other default stays.
  EXPECT_TRUE(ListMatchesFilters(s.request({{"type", "get_customers"}, {"filters", {{"page", 3}}}}),
                                 {{"page", 3}, {"page_size", 5}}));
  EXPECT_TRUE(ListMatchesFilters(s.request({{"type", "get_customers"}, {"filters", {{"page_size", 7}}}}),
                                 {{"page", 2}, {"page_size", 7}}));
  // search_customers is a list request as well.
  EXPECT_TRUE(ListMatchesFilters(s.request({{"type", "search_customers"}, {"search_term", "a"}}),
                                 {{"search", "a"}, {"page", 2}, {"page_size", 5}}));
}

TEST_F(Connection, QueryStringOffsetDefaults) {
  Session s = open_session(port(), "/ws/customers?limit=7&offset=3");
  ASSERT_TRUE(s.error.empty());
  EXPECT_TRUE(ListMatchesFilters(s.initial, {{"limit", 7}, {"offset", 3}}));
  EXPECT_TRUE(ListMatchesFilters(s.request({{"type", "get_customers"}, {"filters", {{"offset", 10}}}}),
                                 {{"limit", 7}, {"offset", 10}}));
}

TEST_F(Connection, ManyConnectionsAtOnce) {
  std::vector<Session> sessions;
  for (int i = 0; i < 40; ++i) {
    sessions.push_back(open_session(port(), "/ws/customers/?page_size=3&page=" + std::to_string(i % 10 + 1)));
    ASSERT_TRUE(sessions.back().error.empty()) << "connection " << i;
  }
  for (int i = 0; i < 40; ++i) {
    const json f = {{"page_size", 3}, {"page", i % 10 + 1}};
    EXPECT_TRUE(ListMatchesFilters(sessions[static_cast<size_t>(i)].initial, f)) << "connection " << i;
  }
  // All of them send, then all of them read.
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(sessions[static_cast<size_t>(i)].ws->send_text(
        json{{"type", "filter_customers"}, {"filters", {{"tag_ids", {i % 16}}}}, {"request_id", i}}.dump()));
  for (int i = 0; i < 40; ++i) {
    const json r = sessions[static_cast<size_t>(i)].ws->recv();
    EXPECT_EQ(r.value("request_id", json()), i);
    EXPECT_TRUE(ListMatchesFilters(r, {{"tag_ids", {i % 16}}, {"page_size", 3}, {"page", i % 10 + 1}})) << "connection " << i;
  }
}

// Every time of every customer: UTC, ISO 8601, exactly milliseconds, 'Z'.
TEST_F(Connection, TimesAreIsoWithMillisecondsAndZ) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  std::vector<std::string> bad;
  size_t checked = 0;
  for (int page = 1; page <= 3; ++page) {
    const json r = s.request({{"type", "get_customers"}, {"filters", {{"page", page}, {"page_size", 100}}}});
    ASSERT_EQ(r.value("type", ""), "customers_list") << shorten(r.dump());
    for (const auto& c : r["customers"]) {
      std::vector<std::string> times;
      collect_times(c, times);
      checked += times.size();
      for (const auto& t : times)
        if (!is_canonical_time(t) && bad.size() < 10) bad.push_back(t + " (customer " + c.value("id", json()).dump() + ")");
    }
    for (const char* k : {"timestamp"})
      if (!r.contains(k) || !r[k].is_string() || !parse_iso(r[k].get<std::string>()) || r[k].get<std::string>().back() != 'Z')
        bad.push_back(std::string("response ") + k + " = " + r.value(k, json()).dump());
  }
  EXPECT_GT(checked, 300u);
  EXPECT_TRUE(bad.empty()) << "times not in the form YYYY-MM-DDTHH:MM:SS.mmmZ: " << json(bad).dump();
}

}  // namespace
}  // namespace cwsit
