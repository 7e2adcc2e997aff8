// PROTOCOL.md, Requests: every request type (except subscribe/unsubscribe),
// refresh semantics, search_customers aliases, filter_options, ping,
// request_id echo.
#include "tests/integration/harness.hpp"

namespace cwsit {
namespace {

class Requests : public MainSessionTest {
 protected:
  json req(const json& r) { return s_.request(r); }
};

TEST_F(Requests, GetFilterAndMissingTypeAreListRequests) {
  const json f = {{"source", "instagram"}, {"has_email", "true"}, {"page_size", 8}};
  EXPECT_TRUE(ListMatchesFilters(req({{"type", "get_customers"}, {"filters", f}}), f));
  EXPECT_TRUE(ListMatchesFilters(req({{"type", "filter_customers"}, {"filters", f}}), f));
  EXPECT_TRUE(ListMatchesFilters(req({{"filters", f}}), f)) << "a missing type means get_customers";
  EXPECT_TRUE(ListMatchesFilters(req({{"type", "get_customers"}}), json::object())) << "filters are optional";
  EXPECT_TRUE(ListMatchesFilters(req({{"type", "filter_customers"}, {"filters", json::object()}}), json::object()));
  EXPECT_TRUE(ListMatchesFilters(req(json::object()), json::object())) << "{} is get_customers without filters";
}

TEST_F(Requests, RefreshWithoutFiltersRepeatsTheInitialQuery) {
  EXPECT_TRUE(ListMatchesFilters(req({{"type", "refresh_customers"}}), json::object()));
}

TEST_F(Requests, RefreshWithoutFiltersRepeatsTheLastListQueryIncludingPage) {
  const json f = {{"source", "telegram"}, {"page", 2}, {"page_size", 5}, {"order_by", "first_name"}};
  const json first = req({{"type", "get_customers"}, {"filters", f}});
  ASSERT_TRUE(ListMatchesFilters(first, f));
  const json again = req({{"type", "refresh_customers"}});
  EXPECT_TRUE(ListMatchesFilters(again, f));
  EXPECT_EQ(again.value("customers", json()), first.value("customers", json()));
  EXPECT_EQ(again.value("pagination", json()), first.value("pagination", json()));
  // The next list request replaces it.
  const json f2 = {{"has_phone", "false"}, {"page", 3}, {"page_size", 4}};
  EXPECT_TRUE(ListMatchesFilters(req({{"type", "filter_customers"}, {"filters", f2}}), f2));
  EXPECT_TRUE(ListMatchesFilters(req({{"type", "refresh_customers"}}), f2));
}

TEST_F(Requests, RefreshWithFiltersRunsAndReplacesTheQuery) {
  const json f = {{"has_email", "true"}, {"order_by", "-updated_at"}, {"page", 2}};
  EXPECT_TRUE(ListMatchesFilters(req({{"type", "refresh_customers"}, {"filters", f}}), f));
  EXPECT_TRUE(ListMatchesFilters(req({{"type", "refresh_customers"}}), f));
}

TEST_F(Requests, SearchCustomersAndAliases) {
  for (const char* field : {"search_term", "query", "search"}) {
    SCOPED_TRACE(field);
    EXPECT_TRUE(ListMatchesFilters(req({{"type", "search_customers"}, {field, "john"}}), {{"search", "john"}}));
    EXPECT_TRUE(ListMatchesFilters(req({{"type", "search_customers"}, {field, "ИВАНОВ"}}), {{"search", "ИВАНОВ"}}));
  }
}

TEST_F(Requests, SearchCustomersTopLevelPagination) {
  EXPECT_TRUE(ListMatchesFilters(req({{"type", "search_customers"}, {"search_term", "a"}, {"page", 2}, {"page_size", 5}}),
                                 {{"search", "a"}, {"page", 2}, {"page_size", 5}}));
  EXPECT_TRUE(ListMatchesFilters(req({{"type", "search_customers"}, {"search_term", "e"}, {"limit", 4}, {"offset", 6}}),
                                 {{"search", "e"}, {"limit", 4}, {"offset", 6}}));
  // The search (with its page) is now the current query.
  EXPECT_TRUE(ListMatchesFilters(req({{"type", "refresh_customers"}}), {{"search", "e"}, {"limit", 4}, {"offset", 6}}));
}

TEST_F(Requests, SearchCustomersEmptyTermListsEveryone) {
  for (const char* term : {"", "   "}) {
    SCOPED_TRACE(json(term).dump());
    const json r = req({{"type", "search_customers"}, {"search_term", term}});
    EXPECT_TRUE(ListMatchesFilters(r, json::object()));
    EXPECT_EQ(r.value("count", 0), static_cast<int>(dataset().customers.size()));
  }
}

TEST_F(Requests, SearchCustomersIgnoresEarlierFilters) {
  ASSERT_TRUE(ListMatchesFilters(req({{"type", "get_customers"}, {"filters", {{"source", "telegram"}}}}),
                                 {{"source", "telegram"}}));
  EXPECT_TRUE(ListMatchesFilters(req({{"type", "search_customers"}, {"search_term", "a"}}), {{"search", "a"}}));
}

TEST_F(Requests, GetFilterOptionsMatchesTheData) {
  const json r = req({{"type", "get_filter_options"}});
  ASSERT_EQ(r.value("type", ""), "filter_options") << shorten(r.dump());
  EXPECT_TRUE(r.contains("timestamp") && r["timestamp"].is_string());
  ASSERT_TRUE(r.contains("options") && r["options"].is_object()) << shorten(r.dump());
  const json want = ref().filter_options();
  const json& got = r["options"];
  for (const auto& [key, value] : want.items()) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(got.contains(key)) << "options." << key << " missing";
    if (key == "created_at_range") {
      ASSERT_TRUE(got[key].is_object()) << got[key].dump();
      for (const char* end : {"min", "max"}) {
        const json g = got[key].value(end, json());
        EXPECT_TRUE(g.is_string() && parse_iso(g.get<std::string>()) == parse_iso(value[end].get<std::string>()))
            << end << ": got " << g.dump() << ", expected " << value[end].dump();
        EXPECT_TRUE(g.is_string() && is_canonical_time(g.get<std::string>())) << g.dump();
      }
    } else {
      EXPECT_EQ(got[key], value) << "options." << key;
    }
  }
}

TEST_F(Requests, PingAnswersPong) {
  const json r = req({{"type", "ping"}});
  EXPECT_EQ(r.value("type", ""), "pong") << r.dump();
  EXPECT_TRUE(r.contains("timestamp") && r["timestamp"].is_string()) << r.dump();
}

TEST_F(Requests, RequestIdIsEchoedAsGiven) {
  const std::vector<json> ids = {"abc-123", 42, "", "Ж", 0};
  for (const auto& id : ids) {
    SCOPED_TRACE("request_id " + id.dump());
    const std::vector<std::pair<json, std::string>> cases = {
        {{{"type", "get_customers"}, {"request_id", id}}, "customers_list"},
        {{{"type", "filter_customers"}, {"filters", {{"source", "telegram"}}}, {"request_id", id}}, "customers_list"},
        {{{"type", "search_customers"}, {"search_term", "a"}, {"request_id", id}}, "customers_list"},
        {{{"type", "refresh_customers"}, {"request_id", id}}, "customers_list"},
        {{{"request_id", id}}, "customers_list"},
        {{{"type", "get_filter_options"}, {"request_id", id}}, "filter_options"},
        {{{"type", "ping"}, {"request_id", id}}, "pong"},
        {{{"type", "get_customers"}, {"filters", {{"page", 0}}}, {"request_id", id}}, "error"},
        {{{"type", "no_such_type"}, {"request_id", id}}, "error"},
    };
    for (const auto& [request, type] : cases) {
      const json r = req(request);
      EXPECT_EQ(r.value("type", ""), type) << request.dump() << " -> " << shorten(r.dump());
      EXPECT_TRUE(r.contains("request_id") && r["request_id"] == id &&
                  r["request_id"].is_string() == id.is_string())
          << request.dump() << " -> request_id " << r.value("request_id", json("<missing>")).dump();
    }
  }
}

TEST_F(Requests, NoRequestIdWhenNoneWasGiven) {
  for (const json& request : {json{{"type", "get_customers"}}, json{{"type", "ping"}},
                              json{{"type", "get_filter_options"}}}) {
    const json r = req(request);
    EXPECT_TRUE(!r.contains("request_id") || r["request_id"].is_null()) << shorten(r.dump());
  }
}

// Requests sent back to back, without waiting, are all answered; each answer
// carries its request_id.
TEST_F(Requests, PipelinedRequestsAreAllAnswered) {
  std::map<std::string, json> sent;
  for (int i = 0; i < 12; ++i) {
    const std::string id = "p" + std::to_string(i);
    json r;
    if (i % 4 == 0) r = {{"type", "ping"}};
    else if (i % 4 == 1) r = {{"type", "get_customers"}, {"filters", {{"page", i}, {"page_size", 7}}}};
    else if (i % 4 == 2) r = {{"type", "get_filter_options"}};
    else r = {{"type", "get_customers"}, {"filters", {{"order_by", "oops"}}}};
    r["request_id"] = id;
    sent[id] = r;
    ASSERT_TRUE(s_.ws->send_text(r.dump()));
  }
  std::set<std::string> answered;
  for (int i = 0; i < 12; ++i) {
    const json a = s_.ws->recv();
    ASSERT_TRUE(a.contains("request_id") && a["request_id"].is_string()) << shorten(a.dump());
    const std::string id = a["request_id"];
    ASSERT_TRUE(sent.count(id)) << id;
    EXPECT_TRUE(answered.insert(id).second) << "answered twice: " << id;
    const json& r = sent[id];
    if (r["type"] == "ping") {
      EXPECT_EQ(a.value("type", ""), "pong");
    } else if (r["type"] == "get_filter_options") {
      EXPECT_EQ(a.value("type", ""), "filter_options");
    } else if (r["filters"].contains("page")) {
      EXPECT_TRUE(ListMatchesFilters(a, r["filters"]));
    } else {
      EXPECT_TRUE(IsError(a, "invalid_filter", "order_by"));
    }
  }
  EXPECT_EQ(answered.size(), 12u);
}

// The current query (what refresh_customers repeats) belongs to one connection.
TEST_F(Requests, CurrentQueryIsPerConnection) {
  Session other = open_session(port());
  ASSERT_TRUE(other.error.empty());
  const json a = {{"source", "instagram"}, {"page", 2}, {"page_size", 3}};
  const json b = {{"has_unread", "true"}, {"order_by", "id"}, {"page_size", 4}};
  ASSERT_TRUE(ListMatchesFilters(req({{"type", "get_customers"}, {"filters", a}}), a));
  ASSERT_TRUE(ListMatchesFilters(other.request({{"type", "get_customers"}, {"filters", b}}), b));
  EXPECT_TRUE(ListMatchesFilters(req({{"type", "refresh_customers"}}), a));
  EXPECT_TRUE(ListMatchesFilters(other.request({{"type", "refresh_customers"}}), b));
}

}  // namespace
}  // namespace cwsit
