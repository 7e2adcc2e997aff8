// PROTOCOL.md, Filters: order_by (both directions, tie-breaks, nulls, binary
// name order) and the pagination arithmetic (page mode, limit/offset mode,
// past the end, clamping); warnings and the normalised `filters` echo.
#include "tests/integration/harness.hpp"

namespace cwsit {
namespace {

class Ordering : public MainServerTest {};
class Pagination : public MainServerTest {};
class Normalisation : public MainServerTest {};

TEST_F(Ordering, EveryOrderByBothDirectionsFullWalk) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  for (const char* field : {"created_at", "updated_at", "last_activity", "first_name", "last_name", "id"})
    for (const char* dir : {"", "-"}) {
      const std::string order = std::string(dir) + field;
      SCOPED_TRACE("order_by " + order);
      EXPECT_TRUE(WalkMatches(*s.ws, {{"order_by", order}, {"page_size", 37}}));
    }
}

TEST_F(Ordering, DefaultIsMinusCreatedAt) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  const json a = s.request({{"type", "get_customers"}, {"filters", {{"page_size", 100}}}});
  const json b = s.request({{"type", "get_customers"}, {"filters", {{"page_size", 100}, {"order_by", "-created_at"}}}});
  ASSERT_EQ(a.value("type", ""), "customers_list");
  EXPECT_EQ(a["customers"], b["customers"]);
  EXPECT_TRUE(ListMatchesFilters(a, {{"page_size", 100}, {"order_by", "-created_at"}}));
}

TEST_F(Ordering, WithFiltersAndSmallPages) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  const std::vector<json> filters = {
      {{"order_by", "first_name"}, {"source", "telegram"}, {"page_size", 4}},
      {{"order_by", "-last_name"}, {"has_email", true}, {"page_size", 9}},
      {{"order_by", "created_at"}, {"date_from", "2023-03-05"}, {"date_to", "2023-03-05"}, {"page_size", 1}},
      {{"order_by", "-created_at"}, {"date_from", "2023-03-05"}, {"date_to", "2023-03-05"}, {"page_size", 2}},
      {{"order_by", "updated_at"}, {"conversation_status", "active"}, {"page_size", 11}},
      {{"order_by", "-last_activity"}, {"has_unread", true}, {"page_size", 6}},
  };
  for (const auto& f : filters) {
    SCOPED_TRACE(f.dump());
    EXPECT_TRUE(WalkMatches(*s.ws, f));
  }
}

// The data set holds what the ordering test claims to check.
TEST_F(Ordering, DataSanity) {
  std::map<Ms, int> created;
  std::set<std::string> names;
  int null_names = 0, empty_names = 0;
  for (const auto& c : dataset().customers) {
    ++created[c.created_at];
    if (!c.first_name) ++null_names;
    else if (c.first_name->empty()) ++empty_names;
    else names.insert(*c.first_name);
  }
  int ties = 0;
  for (const auto& [t, n] : created) ties += n > 1;
  EXPECT_GE(ties, 3) << "equal created_at values (id tie-break)";
  EXPECT_GT(null_names, 0);
  EXPECT_GT(empty_names, 0);
  EXPECT_TRUE(names.count("Alice") && names.count("alice") && names.count("ALICE"));
  EXPECT_TRUE(names.count("Дмитрий") && names.count("Αλέξανδρος") && names.count("😀Smile"));
}

TEST_F(Pagination, PageModeWalksCoverEverythingOnce) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  for (const json& f : {json{{"page_size", 7}, {"source", "telegram"}}, json{{"page_size", 13}},
                        json{{"page_size", 100}, {"order_by", "last_name"}}, json{{"page_size", 1}, {"tags", "VIP"}}}) {
    SCOPED_TRACE(f.dump());
    EXPECT_TRUE(WalkMatches(*s.ws, f));
  }
}

TEST_F(Pagination, LimitOffsetWalkCoversEverythingOnce) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  const json base = {{"has_email", "true"}, {"order_by", "first_name"}};
  const auto all = ref().list(base).all;
  std::vector<std::int64_t> seen;
  const int limit = 11;
  for (int offset = 0, n = 0; n < 60; offset += limit, ++n) {
    json f = base;
    f["limit"] = limit;
    f["offset"] = offset;
    const json r = s.request({{"type", "filter_customers"}, {"filters", f}});
    ASSERT_TRUE(ListMatchesFilters(r, f));
    for (const auto& c : r["customers"]) seen.push_back(c["id"].get<std::int64_t>());
    if (!r["pagination"]["has_next"].get<bool>()) break;
  }
  std::vector<std::int64_t> want;
  for (const auto* c : all) want.push_back(c->id);
  EXPECT_EQ(seen, want);
}

TEST_F(Pagination, OffsetModeArithmetic) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  for (const json& f : {json{{"limit", 10}, {"offset", 5}}, json{{"limit", 10}, {"offset", 25}},
                        json{{"limit", 3}, {"offset", 0}}, json{{"limit", 100}, {"offset", 250}},
                        json{{"limit", 7}, {"offset", 6}, {"page", 9}, {"page_size", 50}}}) {
    SCOPED_TRACE(f.dump());
    EXPECT_TRUE(ListMatchesFilters(s.request({{"type", "get_customers"}, {"filters", f}}), f));
  }
}

TEST_F(Pagination, PastTheEndIsEmptyNotAnError) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  for (const json& f : {json{{"page", 1000}}, json{{"page", 16}}, json{{"page", 4}, {"page_size", 100}},
                        json{{"limit", 10}, {"offset", 5000}}, json{{"page", 2}, {"source", "whatsapp"}, {"page_size", 100}}}) {
    SCOPED_TRACE(f.dump());
    const json r = s.request({{"type", "get_customers"}, {"filters", f}});
    EXPECT_TRUE(ListMatchesFilters(r, f));
    EXPECT_EQ(r.value("customers", json()), json::array());
    EXPECT_EQ(r["pagination"].value("has_next", true), false);
  }
}

TEST_F(Pagination, NoMatchesHasOneTotalPage) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  const json f = {{"search", "zzzz-nothing"}};
  const json r = s.request({{"type", "get_customers"}, {"filters", f}});
  EXPECT_TRUE(ListMatchesFilters(r, f));
  EXPECT_EQ(r["pagination"].value("total_pages", 0), 1);
  EXPECT_EQ(r.value("count", -1), 0);
}

TEST_F(Pagination, NumericStringsAccepted) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  const json f = {{"page", "2"}, {"page_size", 10}};
  EXPECT_TRUE(ListMatchesFilters(s.request({{"type", "get_customers"}, {"filters", f}}), f));
}

TEST_F(Pagination, PageSizeAndLimitClampedTo100WithWarning) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  {
    const json r = s.request({{"type", "get_customers"}, {"filters", {{"page_size", 500}}}});
    EXPECT_TRUE(ListMatchesFilters(r, {{"page_size", 100}}));
    EXPECT_EQ(r["pagination"].value("page_size", 0), 100);
    EXPECT_TRUE(r.contains("warnings") && r["warnings"].is_array() && !r["warnings"].empty())
        << "no warning for the clamped page_size: " << shorten(r.value("warnings", json()).dump());
  }
  {
    const json r = s.request({{"type", "get_customers"}, {"filters", {{"page_size", 500}, {"page", 3}}}});
    EXPECT_TRUE(ListMatchesFilters(r, {{"page_size", 100}, {"page", 3}}));
  }
  {
    const json r = s.request({{"type", "get_customers"}, {"filters", {{"limit", 500}, {"offset", 0}}}});
    EXPECT_TRUE(ListMatchesFilters(r, {{"limit", 100}, {"offset", 0}}));
    EXPECT_TRUE(r.contains("warnings") && r["warnings"].is_array() && !r["warnings"].empty())
        << "no warning for the clamped limit";
  }
  {
    const json r = s.request({{"type", "get_customers"}, {"filters", {{"page_size", 100}}}});
    EXPECT_EQ(r.value("warnings", json()), json::array()) << "page_size 100 is not clamped";
  }
}

bool some_warning_names(const json& r, const std::string& key) {
  if (!r.contains("warnings") || !r["warnings"].is_array()) return false;
  for (const auto& w : r["warnings"])
    if ((w.is_string() ? w.get<std::string>() : w.dump()).find(key) != std::string::npos) return true;
  return false;
}

TEST_F(Normalisation, UnknownKeysAreIgnoredAndNamedInWarnings) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  const json r = s.request({{"type", "get_customers"},
                            {"filters", {{"source", "telegram"}, {"sourse", "instagram"}, {"has_emial", "true"}}}});
  EXPECT_TRUE(ListMatchesFilters(r, {{"source", "telegram"}}));
  EXPECT_TRUE(some_warning_names(r, "sourse")) << shorten(r.value("warnings", json()).dump());
  EXPECT_TRUE(some_warning_names(r, "has_emial")) << shorten(r.value("warnings", json()).dump());
  EXPECT_FALSE(r.value("filters", json::object()).contains("sourse")) << "an ignored key is not an applied filter";
}

TEST_F(Normalisation, WarningsIsAnEmptyArrayWhenNothingToSay) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  EXPECT_EQ(s.initial.value("warnings", json()), json::array());
  EXPECT_EQ(s.request({{"type", "get_customers"}, {"filters", {{"has_email", "true"}}}}).value("warnings", json()),
            json::array());
}

TEST_F(Normalisation, FiltersEchoIsNormalised) {
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  struct Case {
    json given;
    std::string key;
    json echoed;  // null: the key must be absent
  };
  const std::vector<Case> cases = {
      {{{"has_email", true}}, "has_email", "true"},
      {{{"has_email", 1}}, "has_email", "true"},
      {{{"has_email", "1"}}, "has_email", "true"},
      {{{"has_email", false}}, "has_email", "false"},
      {{{"has_email", "0"}}, "has_email", "false"},
      {{{"has_phone", 0}}, "has_phone", "false"},
      {{{"has_unread", true}}, "has_unread", "true"},
      {{{"has_email", "all"}}, "has_email", nullptr},
      {{{"has_phone", nullptr}}, "has_phone", nullptr},
      {{{"has_unread", ""}}, "has_unread", nullptr},
      {{{"source", "all"}}, "source", nullptr},
      {{{"source", ""}}, "source", nullptr},
      {{{"tags", json::array()}}, "tags", nullptr},
      {{{"conversation_status", "all"}}, "conversation_status", nullptr},
      {{{"date_from", "all"}}, "date_from", nullptr},
      {{{"search", "   "}}, "search", nullptr},
      {{{"date_from", "2023-06-15"}}, "date_from", "2023-06-15"},
      {{{"date_to", "2023-07-20T13:00:00+03:00"}}, "date_to", "2023-07-20T13:00:00+03:00"},
      {{{"last_activity_from", "2023-08-01T12:00:00.250Z"}}, "last_activity_from", "2023-08-01T12:00:00.250Z"},
      {{{"search", "john"}}, "search", "john"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.given.dump());
    const json r = s.request({{"type", "get_customers"}, {"filters", c.given}});
    ASSERT_EQ(r.value("type", ""), "customers_list") << shorten(r.dump());
    ASSERT_TRUE(r.contains("filters") && r["filters"].is_object()) << shorten(r.dump());
    const json& f = r["filters"];
    if (c.echoed.is_null()) {
      EXPECT_FALSE(f.contains(c.key)) << "filters echo: " << f.dump();
    } else {
      EXPECT_TRUE(f.contains(c.key) && f[c.key] == c.echoed) << "filters echo: " << f.dump();
    }
  }
  // tags and source: the value is echoed (as a list or a single string).
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"tags", "VIP"}, {"source", "telegram"}}) {
    const json r = s.request({{"type", "get_customers"}, {"filters", {{key, value}}}});
    const json t = r.value("filters", json::object()).value(key, json());
    EXPECT_TRUE(t == json::array({value}) || t == value) << r.value("filters", json()).dump();
  }
}

}  // namespace
}  // namespace cwsit
