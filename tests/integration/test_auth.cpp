// PROTOCOL.md, Authentication (jwt mode): tokens as simplejwt issues them, the
// per-user scope of lists, counts and filter options, and the refusals.
#include "tests/integration/harness.hpp"

namespace cwsit {
namespace {

class Auth : public JwtServerTest {
 protected:
  std::string with_token(const std::string& token) { return "/ws/customers/?token=" + token; }

  // The connection gets authentication_error with `code`, then a close 4001, and nothing else.
  void expect_refused(const std::string& target, const Headers& headers, const std::string& code) {
    WsClient c;
    int status = 0;
    const std::string err = c.connect(port(), target, headers, &status);
    ASSERT_TRUE(err.empty()) << "the handshake is accepted either way: " << err;
    EXPECT_EQ(status, 101);
    const WsEvent first = c.read();
    ASSERT_EQ(first.kind, WsEvent::Text) << first.describe();
    const json m = json::parse(first.data, nullptr, false);
    EXPECT_EQ(m.value("type", ""), "authentication_error") << first.data;
    EXPECT_EQ(m.value("error_code", ""), code) << first.data;
    EXPECT_TRUE(m.contains("message") && m["message"].is_string()) << first.data;
    EXPECT_TRUE(m.contains("timestamp") && m["timestamp"].is_string()) << first.data;
    const WsEvent second = c.read();
    EXPECT_EQ(second.kind, WsEvent::Closed) << "expected the close, got " << second.describe();
    EXPECT_EQ(second.close_code, 4001) << second.describe();
  }
};

TEST_F(Auth, ValidTokenInQueryStringSeesOnlyItsUsersCustomers) {
  for (int user = 1; user <= 4; ++user) {
    SCOPED_TRACE("user " + std::to_string(user));
    Session s = open_session(port(), with_token(access_token(user)));
    ASSERT_TRUE(s.error.empty());
    EXPECT_TRUE(ListMatchesFilters(s.initial, json::object(), user));
    EXPECT_TRUE(WalkMatches(*s.ws, json::object(), user));
    const size_t n = ref().list(json::object(), user).all.size();
    EXPECT_GT(n, 0u);
    EXPECT_LT(n, dataset().customers.size());
  }
}

TEST_F(Auth, ValidTokenInAuthorizationHeader) {
  Session s = open_session(port(), "/ws/customers/", {{"Authorization", "Bearer " + access_token(3)}});
  ASSERT_TRUE(s.error.empty());
  EXPECT_TRUE(ListMatchesFilters(s.initial, json::object(), 3));
  EXPECT_TRUE(WalkMatches(*s.ws, {{"order_by", "first_name"}}, 3));
}

TEST_F(Auth, UserIdAsNumericString) {
  Session s = open_session(port(), with_token(access_token("2")));
  ASSERT_TRUE(s.error.empty());
  EXPECT_TRUE(ListMatchesFilters(s.initial, json::object(), 2));
}

TEST_F(Auth, FiltersCountsAndOrderAreScoped) {
  Session s = open_session(port(), with_token(access_token(2)));
  ASSERT_TRUE(s.error.empty());
  const std::vector<json> filters = {
      {{"conversation_status", "active"}},
      {{"conversation_status", {"closed", "archived"}}},
      {{"has_unread", true}},
      {{"has_unread", "false"}},
      {{"order_by", "last_activity"}},
      {{"order_by", "-updated_at"}, {"source", "telegram"}},
      {{"search", "а"}, {"order_by", "last_name"}, {"page_size", 6}},
      {{"last_activity_from", "2023-08-01T12:00:00.250Z"}, {"last_activity_to", "2023-08-01T12:00:00.250Z"}},
  };
  for (const auto& f : filters) {
    SCOPED_TRACE(f.dump());
    EXPECT_TRUE(WalkMatches(*s.ws, f, 2));
  }
  // The data makes the scope matter: some customer of user 2 has unread
  // messages only in another user's conversation, or a status only there.
  bool unread_differs = false, scope_hides_conversations = false;
  for (const auto& c : dataset().customers) {
    if (!Reference::visible_customer(c, 2)) continue;
    if (ref().customer_json(c, 2)["unread_count"] != ref().customer_json(c)["unread_count"]) unread_differs = true;
    if (ref().customer_json(c, 2)["conversations"].size() != c.conversations.size()) scope_hides_conversations = true;
  }
  EXPECT_TRUE(unread_differs);
  EXPECT_TRUE(scope_hides_conversations);
  // ... and some customer's last_activity comes from another user's conversation.
  bool activity_elsewhere = false;
  for (const auto& c : dataset().customers) {
    if (!Reference::visible_customer(c, 2)) continue;
    Ms own = c.updated_at;
    for (const auto* conv : Reference::visible(c, 2))
      for (const auto& m : conv->messages) own = std::max(own, m.created_at);
    activity_elsewhere = activity_elsewhere || Reference::last_activity(c) > own;
  }
  EXPECT_TRUE(activity_elsewhere);
}

TEST_F(Auth, FilterOptionsAreScoped) {
  for (int user : {1, 3, 4}) {
    SCOPED_TRACE("user " + std::to_string(user));
    Session s = open_session(port(), with_token(access_token(user)));
    ASSERT_TRUE(s.error.empty());
    const json r = s.request({{"type", "get_filter_options"}});
    ASSERT_EQ(r.value("type", ""), "filter_options") << shorten(r.dump());
    const json want = ref().filter_options(user);
    for (const auto& [key, value] : want.items()) {
      ASSERT_TRUE(r["options"].contains(key)) << key;
      if (key == "created_at_range") {
        for (const char* end : {"min", "max"})
          EXPECT_EQ(parse_iso(r["options"][key].value(end, "")), parse_iso(value[end].get<std::string>()))
              << key << "." << end << ": " << r["options"][key].dump();
      } else {
        EXPECT_EQ(r["options"][key], value) << "options." << key;
      }
    }
  }
}

TEST_F(Auth, UserWithoutConversationsSeesNothing) {
  Session s = open_session(port(), with_token(access_token(99)));
  ASSERT_TRUE(s.error.empty());
  EXPECT_TRUE(ListMatchesFilters(s.initial, json::object(), 99));
  EXPECT_EQ(s.initial.value("count", -1), 0);
  EXPECT_EQ(s.initial["pagination"].value("total_pages", 0), 1);
  const json r = s.request({{"type", "get_filter_options"}});
  ASSERT_EQ(r.value("type", ""), "filter_options") << shorten(r.dump());
  EXPECT_EQ(r["options"], ref().filter_options(99));
  EXPECT_TRUE(r["options"].value("created_at_range", json("<missing>")).is_null());
}

TEST_F(Auth, MissingTokenIsAuthRequiredThen4001) {
  expect_refused("/ws/customers/", {}, "AUTH_REQUIRED");
  expect_refused("/ws/customers?page=2", {}, "AUTH_REQUIRED");
}

TEST_F(Auth, BadTokensAreInvalidTokenThen4001) {
  const json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  json tampered_claims = access_claims(1);
  const std::string good_for_1 = make_jwt(header, tampered_claims, kJwtSecret);
  tampered_claims["user_id"] = 2;
  const std::string tampered = good_for_1.substr(0, good_for_1.find('.')) + "." +
                               base64url(tampered_claims.dump()) + good_for_1.substr(good_for_1.rfind('.'));
  const std::vector<std::pair<std::string, std::string>> tokens = {
      {"expired", access_token(1, -3600)},
      {"wrong signature", access_token(1, 300, "another-secret")},
      {"tampered payload", tampered},
      {"malformed", "not-a-token"},
      {"malformed, three parts", "abc.def.ghi"},
      {"alg none", make_jwt({{"alg", "none"}, {"typ", "JWT"}}, access_claims(1), "")},
      {"signature cut", good_for_1.substr(0, good_for_1.rfind('.') + 1)},
      {"no user_id", make_jwt(header, [] { json c = access_claims(1); c.erase("user_id"); return c; }(), kJwtSecret)},
      {"user_id not numeric", access_token("abc")},
  };
  for (const auto& [what, token] : tokens) {
    SCOPED_TRACE(what);
    expect_refused(with_token(token), {}, "INVALID_TOKEN");
  }
  SCOPED_TRACE("expired, in the Authorization header");
  expect_refused("/ws/customers/", {{"Authorization", "Bearer " + access_token(1, -3600)}}, "INVALID_TOKEN");
}

}  // namespace
}  // namespace cwsit
