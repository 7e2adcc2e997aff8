// The HTTP write API (protocol/write_request.hpp, storage/writes.hpp): the
// admin token, every endpoint's answer over real HTTP and what it does to the
// lists (checked through the WebSocket), and every refusal: status, code and
// the field it names, with the data left exactly as it was.
#include <functional>
#include <random>
#include <set>

#include "tests/integration/harness.hpp"

namespace cwsit {
namespace {

constexpr const char* kAdminToken = "write-api-test-token-7f3a";

// The data both servers start from. Ids the validation table relies on:
// customers 1 and 2, tags 1 ("VIP") and 2 ("New"), conversation 10 (with
// message 100), conversation 20.
std::string write_api_jsonl() {
  const std::vector<json> lines = {
      {{"id", 1},
       {"first_name", "Ada"},
       {"last_name", "Lovelace"},
       {"email", "ada@example.org"},
       {"source", "telegram"},
       {"created_at", "2024-01-01T00:00:00Z"},
       {"updated_at", "2024-01-01T00:00:00Z"},
       {"tags", {{{"id", 1}, {"name", "VIP"}}}},
       {"conversations",
        {{{"id", 10},
          {"user_id", 1},
          {"title", "Support"},
          {"status", "active"},
          {"source", "telegram"},
          {"created_at", "2024-01-01T00:00:00Z"},
          {"updated_at", "2024-01-02T00:00:00Z"},
          {"messages",
           {{{"id", 100},
             {"content", "Hello?"},
             {"type", "customer"},
             {"is_ai_response", false},
             {"is_answered", false},
             {"created_at", "2024-01-02T00:00:00Z"}}}}}}}},
      {{"id", 2},
       {"first_name", "Bob"},
       {"last_name", "Builder"},
       {"source", "instagram"},
       {"created_at", "2024-01-03T00:00:00Z"},
       {"updated_at", "2024-01-03T00:00:00Z"},
       {"tags", {{{"id", 2}, {"name", "New"}}}},
       {"conversations",
        {{{"id", 20},
          {"user_id", 2},
          {"title", "Order"},
          {"status", "closed"},
          {"created_at", "2024-01-03T00:00:00Z"},
          {"updated_at", "2024-01-03T00:00:00Z"},
          {"messages", json::array()}}}}},
      {{"id", 3},
       {"first_name", "Cyrus"},
       {"last_name", "Smith"},
       {"source", "telegram"},
       {"created_at", "2024-01-04T00:00:00Z"},
       {"updated_at", "2024-01-04T00:00:00Z"}},
  };
  const std::string path = make_temp_dir("write-api-data") + "/data.jsonl";
  std::string text;
  for (const auto& l : lines) text += l.dump() + "\n";
  write_file(path, text);
  return path;
}

Headers auth() { return {{"Authorization", std::string("Bearer ") + kAdminToken}}; }

// ---- checks -------------------------------------------------------------------------

// An error answer: `status`, {"error": {"code", "field"?, "message"}} with
// `field` named ("" : no field key), JSON content type.
::testing::AssertionResult IsApiError(const HttpResponse& r, int status, const std::string& code,
                                      const std::string& field) {
  if (r.status != status)
    return ::testing::AssertionFailure() << "expected HTTP " << status << " " << code << ", got " << r.describe();
  if (r.content_type.rfind("application/json", 0) != 0)
    return ::testing::AssertionFailure() << "Content-Type is '" << r.content_type << "': " << r.describe();
  const json body = r.json_body();
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object())
    return ::testing::AssertionFailure() << "no error object: " << r.describe();
  const json& e = body["error"];
  if (e.value("code", "") != code)
    return ::testing::AssertionFailure() << "expected code '" << code << "': " << r.describe();
  if (!e.contains("message") || !e["message"].is_string() || e["message"].get<std::string>().empty())
    return ::testing::AssertionFailure() << "no message: " << r.describe();
  if (field.empty() && e.contains("field"))
    return ::testing::AssertionFailure() << "expected no field: " << r.describe();
  if (!field.empty() && e.value("field", json()) != json(field))
    return ::testing::AssertionFailure() << "expected field '" << field << "': " << r.describe();
  return ::testing::AssertionSuccess();
}

// Every row of the data tables (and the change log: a refused write must
// not even log a change), as the sqlite3 command line dumps them.
std::string data_snapshot(const Server& server) {
  const auto r = run_program({"sqlite3", "-readonly", "-cmd", ".timeout 5000", sqlite_path(server.db_url()),
                              ".dump customers tags customer_tags conversations messages change_log"},
                             20000ms);
  if (r.exit_code != 0) return "<sqlite3 failed: " + r.output + ">";
  return r.output;
}

// Sends `req` with a request_id and returns its answer; live pushes that
// come first are skipped.
json ask(WsClient& ws, json req) {
  static int counter = 0;
  const std::string id = "write-api-" + std::to_string(++counter);
  req["request_id"] = id;
  std::string error;
  if (!ws.send_text(req.dump(), &error)) return {{"type", "<send failed>"}, {"__error", error}};
  for (int skipped = 0; skipped < 100; ++skipped) {
    json m = ws.recv();
    if (m.value("request_id", json()) == json(id)) return m;
    if (m.value("type", "") == "customers_list" && m.value("reason", "") == "update") continue;
    return m;  // an error, a timeout: the caller's check shows it
  }
  return {{"type", "<too many pushes>"}};
}

// The customer `id` as a WebSocket get_customers shows it (null when absent).
json customer_on_ws(WsClient& ws, std::int64_t id) {
  const json r = ask(ws, {{"type", "get_customers"}, {"filters", {{"page_size", 100}, {"order_by", "id"}}}});
  if (r.value("type", "") != "customers_list") {
    ADD_FAILURE() << "get_customers failed: " << shorten(r.dump());
    return nullptr;
  }
  for (const auto& c : r["customers"])
    if (c.value("id", json()) == json(id)) return c;
  return nullptr;
}

json conversation_in(const json& customer, std::int64_t conversation_id) {
  if (!customer.is_object()) return nullptr;
  for (const auto& c : customer.value("conversations", json::array()))
    if (c.value("id", json()) == json(conversation_id)) return c;
  return nullptr;
}

bool has_tag(const json& customer, const std::string& name) {
  for (const auto& t : customer.value("tags", json::array()))
    if ((t.is_object() && t.value("name", "") == name) || (t.is_string() && t == name)) return true;
  return false;
}

Ms time_of(const json& value) {
  if (!value.is_string()) return -1;
  return parse_iso(value.get<std::string>()).value_or(-1);
}

// A name no earlier run (on the same server: --gtest_repeat) has used.
std::string unique_name(const std::string& prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  return prefix + "-" + std::to_string(rng() % 1000000000);
}

// Runs its actions when the test ends, however it ends (rows a test made
// that an earlier failure must not leave behind for the next run).
struct Cleanup {
  std::vector<std::function<void()>> actions;
  ~Cleanup() {
    for (auto it = actions.rbegin(); it != actions.rend(); ++it) (*it)();
  }
};

Ms now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- fixtures ---------------------------------------------------------------------

// One server with the write API on (shared by every WriteApi suite but the
// one about a server without a token). Tests use their own rows, or leave
// the shared ones as they found them.
class WriteApiTest : public SharedServerTest {
 protected:
  const char* server_name() const override { return "write-api"; }
  void SetUp() override {
    shared_server("write-api", write_api_jsonl, {"--admin-token", kAdminToken});
    SharedServerTest::SetUp();
    if (HasFatalFailure()) return;
    s_ = open_session(port());
    ASSERT_TRUE(s_.error.empty());
    // Lists are checked by asking; pushes would only be noise.
    const json off = ask(*s_.ws, {{"type", "unsubscribe"}});
    ASSERT_EQ(off.value("live", json()), false) << off.dump();
  }
  HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "") {
    return http_request(port(), method, target, body, auth());
  }
  HttpResponse call(const std::string& method, const std::string& target, const json& body) {
    return call(method, target, body.dump());
  }
  Session s_;
};

// ---- the token ------------------------------------------------------------------

struct Endpoint {
  const char* method;
  const char* path;
  const char* body;
};

const std::vector<Endpoint>& every_endpoint() {
  static const std::vector<Endpoint> endpoints = {
      {"POST", "/api/customers", R"({"first_name": "Eve"})"},
      {"PATCH", "/api/customers/1", R"({"first_name": "Eve"})"},
      {"DELETE", "/api/customers/1", ""},
      {"POST", "/api/tags", R"({"name": "Intruder"})"},
      {"PATCH", "/api/tags/1", R"({"name": "Intruder"})"},
      {"DELETE", "/api/tags/1", ""},
      {"PUT", "/api/customers/1/tags/2", ""},
      {"DELETE", "/api/customers/1/tags/1", ""},
      {"POST", "/api/conversations", R"({"customer_id": 1})"},
      {"PATCH", "/api/conversations/10", R"({"status": "hacked"})"},
      {"DELETE", "/api/conversations/10", ""},
      {"POST", "/api/conversations/10/messages", R"({"content": "x", "type": "agent"})"},
      {"DELETE", "/api/messages/100", ""},
      {"POST", "/api/conversations/10/read", ""},
      // Not endpoints: the token is checked before the path and the method.
      {"GET", "/api/customers", ""},
      {"POST", "/api/nothing", "{}"},
  };
  return endpoints;
}

class WriteApiWithoutToken : public SharedServerTest {
 protected:
  const char* server_name() const override { return "write-api-off"; }
  void SetUp() override {
    shared_server("write-api-off", write_api_jsonl, {});
    SharedServerTest::SetUp();
  }
};

TEST_F(WriteApiWithoutToken, EveryEndpointIs403WithOrWithoutAuthorization) {
  const std::string before = data_snapshot(server());
  for (const auto& e : every_endpoint()) {
    for (const Headers& headers : {Headers{}, Headers{{"Authorization", "Bearer anything"}},
                                   Headers{{"Authorization", std::string("Bearer ") + kAdminToken}}}) {
      SCOPED_TRACE(std::string(e.method) + " " + e.path + (headers.empty() ? "" : " with " + headers[0].second));
      const auto r = http_request(port(), e.method, e.path, e.body, headers);
      EXPECT_TRUE(IsApiError(r, 403, "forbidden", ""));
    }
  }
  EXPECT_EQ(data_snapshot(server()), before) << "a refused write changed the data";
  // The rest of the server is unaffected.
  EXPECT_EQ(http_get(port(), "/healthz").status, 200);
  Session s = open_session(port());
  ASSERT_TRUE(s.error.empty());
  EXPECT_EQ(s.initial.value("count", -1), 3) << shorten(s.initial.dump());
}

class WriteApiAuth : public WriteApiTest {};

TEST_F(WriteApiAuth, MissingWrongOrNonBearerCredentialsAre401WithChallenge) {
  const std::string before = data_snapshot(server());
  const std::vector<Headers> refused = {
      {},
      {{"Authorization", ""}},
      {{"Authorization", "Bearer"}},
      {{"Authorization", "Bearer "}},
      {{"Authorization", "Bearer wrong-token"}},
      {{"Authorization", std::string("Bearer ") + kAdminToken + "x"}},
      {{"Authorization", std::string("Bearer ") + std::string(kAdminToken).substr(1)}},
      {{"Authorization", std::string("Basic ") + kAdminToken}},
      {{"Authorization", std::string("Token ") + kAdminToken}},
      {{"Authorization", kAdminToken}},
      {{"X-Admin-Token", kAdminToken}},
  };
  for (const auto& e : every_endpoint()) {
    for (const auto& headers : refused) {
      SCOPED_TRACE(std::string(e.method) + " " + e.path + " with " +
                   (headers.empty() ? std::string("no header") : headers[0].first + ": " + headers[0].second));
      const auto r = http_request(port(), e.method, e.path, e.body, headers);
      EXPECT_TRUE(IsApiError(r, 401, "unauthorized", ""));
      EXPECT_EQ(r.header("WWW-Authenticate").rfind("Bearer", 0), 0u) << "WWW-Authenticate: " << r.header("WWW-Authenticate");
    }
  }
  EXPECT_EQ(data_snapshot(server()), before) << "a refused write changed the data";
  // A token in the query string is not a credential either.
  const auto q = http_request(port(), "DELETE", std::string("/api/messages/100?token=") + kAdminToken);
  EXPECT_TRUE(IsApiError(q, 401, "unauthorized", ""));
  EXPECT_EQ(data_snapshot(server()), before);
}

TEST_F(WriteApiAuth, TheRightTokenIsAcceptedWhateverTheSchemesCase) {
  // RFC 7235: the scheme is case-insensitive.
  for (const std::string scheme : {"Bearer", "bearer", "BEARER"}) {
    SCOPED_TRACE(scheme);
    const auto r = http_request(port(), "PATCH", "/api/customers/2", R"({"username": "bob"})",
                                {{"Authorization", scheme + " " + kAdminToken}});
    EXPECT_EQ(r.status, 200) << r.describe();
    EXPECT_EQ(r.json_body().value("username", json()), "bob") << r.describe();
  }
}

// ---- customers ------------------------------------------------------------------------

class WriteApiCustomers : public WriteApiTest {};

TEST_F(WriteApiCustomers, CreateUpdateDeleteAndTheListFollows) {
  Cleanup cleanup;
  cleanup.actions.push_back([this] { call("DELETE", "/api/customers/1001"); });
  call("DELETE", "/api/customers/1001");  // an earlier failed run's
  const json create = {{"id", 1001},
                       {"first_name", "Grace"},
                       {"last_name", "Hopper"},
                       {"username", "amazing_grace"},
                       {"email", "grace@example.org"},
                       {"phone_number", "+15550001"},
                       {"source", "instagram"},
                       {"source_id", "ig-1001"},
                       {"profile_picture", "https://example.org/g.png"},
                       {"created_at", "2024-03-01T10:00:00+02:00"}};
  const auto created = call("POST", "/api/customers", create);
  ASSERT_EQ(created.status, 201) << created.describe();
  EXPECT_EQ(created.content_type.rfind("application/json", 0), 0u) << created.content_type;
  json body = created.json_body();
  for (const char* key : {"id", "first_name", "last_name", "username", "email", "phone_number", "source", "source_id",
                          "profile_picture"})
    EXPECT_EQ(body.value(key, json("<missing>")), create[key]) << key << ": " << created.describe();
  EXPECT_EQ(body.value("created_at", json()), "2024-03-01T08:00:00.000Z") << created.describe();
  EXPECT_EQ(body.value("updated_at", json()), "2024-03-01T08:00:00.000Z") << "updated_at defaults to created_at";
  EXPECT_EQ(body.value("last_activity", json()), "2024-03-01T08:00:00.000Z");
  EXPECT_EQ(body.value("tags", json()), json::array());

  json seen = customer_on_ws(*s_.ws, 1001);
  ASSERT_TRUE(seen.is_object()) << "the new customer is not listed";
  for (const char* key : {"first_name", "last_name", "username", "email", "phone_number", "source", "source_id",
                          "profile_picture", "created_at", "updated_at", "last_activity"})
    EXPECT_EQ(seen.value(key, json("<missing>")), body[key]) << key;
  EXPECT_EQ(seen.value("unread_count", -1), 0);
  EXPECT_EQ(seen.value("conversations", json()), json::array());

  // Without an id the database picks a free one; absent fields are null,
  // times default to now.
  const Ms before = now_ms();
  const auto anonymous = call("POST", "/api/customers", json{{"first_name", "Nameless"}});
  ASSERT_EQ(anonymous.status, 201) << anonymous.describe();
  const json anon = anonymous.json_body();
  ASSERT_TRUE(anon.value("id", json()).is_number_integer()) << anonymous.describe();
  const std::int64_t anon_id = anon["id"].get<std::int64_t>();
  cleanup.actions.push_back([this, anon_id] { call("DELETE", "/api/customers/" + std::to_string(anon_id)); });
  EXPECT_TRUE(anon_id > 0 && anon_id != 1 && anon_id != 2 && anon_id != 3 && anon_id != 1001) << anon_id;
  EXPECT_EQ(anon.value("last_name", json("<missing>")), nullptr);
  EXPECT_EQ(anon.value("email", json("<missing>")), nullptr);
  EXPECT_GE(time_of(anon["created_at"]), before - 1000) << anonymous.describe();
  EXPECT_LE(time_of(anon["created_at"]), now_ms() + 1000) << anonymous.describe();
  EXPECT_EQ(anon["updated_at"], anon["created_at"]);
  EXPECT_TRUE(customer_on_ws(*s_.ws, anon_id).is_object());

  // PATCH: given fields change (null clears), the others stay; updated_at
  // moves to now unless given.
  const auto patched = call("PATCH", "/api/customers/1001", json{{"last_name", "Hopper-Murray"}, {"email", nullptr}});
  ASSERT_EQ(patched.status, 200) << patched.describe();
  body = patched.json_body();
  EXPECT_EQ(body.value("last_name", json()), "Hopper-Murray");
  EXPECT_EQ(body.value("email", json("<missing>")), nullptr);
  EXPECT_EQ(body.value("first_name", json()), "Grace");
  EXPECT_EQ(body.value("phone_number", json()), "+15550001");
  EXPECT_EQ(body.value("created_at", json()), "2024-03-01T08:00:00.000Z");
  EXPECT_GE(time_of(body["updated_at"]), before - 1000) << patched.describe();
  EXPECT_EQ(body["last_activity"], body["updated_at"]) << "last_activity follows updated_at: " << patched.describe();
  seen = customer_on_ws(*s_.ws, 1001);
  EXPECT_EQ(seen.value("last_name", json()), "Hopper-Murray");
  EXPECT_EQ(seen.value("email", json("<missing>")), nullptr);
  EXPECT_EQ(seen.value("updated_at", json()), body["updated_at"]);

  const auto dated = call("PATCH", "/api/customers/1001",
                          json{{"updated_at", "2024-06-01T00:00:00Z"}, {"created_at", "2024-02-01T00:00:00Z"}});
  ASSERT_EQ(dated.status, 200) << dated.describe();
  EXPECT_EQ(dated.json_body().value("updated_at", json()), "2024-06-01T00:00:00.000Z");
  EXPECT_EQ(dated.json_body().value("created_at", json()), "2024-02-01T00:00:00.000Z");
  EXPECT_EQ(dated.json_body().value("last_activity", json()), "2024-06-01T00:00:00.000Z");
  // The new name is searchable at once.
  const json found = ask(*s_.ws, {{"type", "search_customers"}, {"search_term", "Hopper-Murray"}});
  ASSERT_EQ(found.value("type", ""), "customers_list") << shorten(found.dump());
  ASSERT_EQ(found["customers"].size(), 1u) << shorten(found.dump());
  EXPECT_EQ(found["customers"][0]["id"], 1001);

  const auto deleted = call("DELETE", "/api/customers/1001");
  ASSERT_EQ(deleted.status, 200) << deleted.describe();
  EXPECT_EQ(deleted.json_body(), json({{"deleted", {{"customer", 1001}}}}));
  EXPECT_TRUE(customer_on_ws(*s_.ws, 1001).is_null()) << "deleted, still listed";
  EXPECT_EQ(ask(*s_.ws, {{"type", "search_customers"}, {"search_term", "Hopper"}}).value("count", -1), 0);
  EXPECT_TRUE(IsApiError(call("DELETE", "/api/customers/1001"), 404, "not_found", "id"));
  EXPECT_TRUE(IsApiError(call("PATCH", "/api/customers/1001", json{{"first_name", "x"}}), 404, "not_found", "id"));
  // The id is free again.
  const auto again = call("POST", "/api/customers", json{{"id", 1001}, {"first_name", "Again"}});
  EXPECT_EQ(again.status, 201) << again.describe();
  EXPECT_EQ(call("DELETE", "/api/customers/1001").status, 200);
}

TEST_F(WriteApiCustomers, DeleteTakesTagsConversationsAndMessagesAlong) {
  Cleanup cleanup;
  cleanup.actions.push_back([this] {
    call("DELETE", "/api/customers/1002");
    call("DELETE", "/api/tags/1002");
  });
  cleanup.actions.front()();  // an earlier failed run's
  ASSERT_EQ(call("POST", "/api/customers", json{{"id", 1002}, {"first_name", "Doomed"}}).status, 201);
  ASSERT_EQ(call("POST", "/api/tags", json{{"id", 1002}, {"name", "Doomed-tag"}}).status, 201);
  ASSERT_EQ(call("PUT", "/api/customers/1002/tags/1002").status, 200);
  ASSERT_EQ(call("POST", "/api/conversations", json{{"id", 10020}, {"customer_id", 1002}, {"user_id", 1}}).status, 201);
  ASSERT_EQ(call("POST", "/api/conversations/10020/messages", json{{"id", 100200}, {"content", "bye"}, {"type", "customer"}})
                .status,
            201);
  const auto deleted = call("DELETE", "/api/customers/1002");
  ASSERT_EQ(deleted.status, 200) << deleted.describe();
  EXPECT_TRUE(IsApiError(call("PATCH", "/api/conversations/10020", json{{"status", "x"}}), 404, "not_found", "id"));
  EXPECT_TRUE(IsApiError(call("DELETE", "/api/messages/100200"), 404, "not_found", "id"));
  // The tag stays, without holders (lists are read from the database; the
  // filter options' freshness is LiveFilterOptions' subject).
  const json holders = ask(*s_.ws, {{"type", "get_customers"}, {"filters", {{"tag_ids", {1002}}}}});
  EXPECT_EQ(holders.value("count", -1), 0) << shorten(holders.dump());
  EXPECT_EQ(call("PATCH", "/api/tags/1002", json{{"name", "Doomed-tag"}}).status, 200) << "the tag is still there";
  EXPECT_EQ(call("DELETE", "/api/tags/1002").status, 200);
}

// ---- tags ----------------------------------------------------------------------------

class WriteApiTags : public WriteApiTest {};

TEST_F(WriteApiTags, CreateAssignRenameUnassignDelete) {
  const std::string gold_name = unique_name("Gold"), silver = unique_name("Silver ✨"), platinum = unique_name("Platinum");
  Cleanup cleanup;
  cleanup.actions.push_back([this] { call("DELETE", "/api/tags/501"); });
  call("DELETE", "/api/tags/501");  // an earlier failed run's
  const auto gold = call("POST", "/api/tags", json{{"name", gold_name}});
  ASSERT_EQ(gold.status, 201) << gold.describe();
  ASSERT_TRUE(gold.json_body().value("id", json()).is_number_integer()) << gold.describe();
  const std::int64_t gold_id = gold.json_body()["id"].get<std::int64_t>();
  cleanup.actions.push_back([this, gold_id] { call("DELETE", "/api/tags/" + std::to_string(gold_id)); });
  EXPECT_EQ(gold.json_body(), json({{"id", gold_id}, {"name", gold_name}}));

  const auto created = call("POST", "/api/tags", json{{"id", 501}, {"name", silver}});
  ASSERT_EQ(created.status, 201) << created.describe();
  EXPECT_EQ(created.json_body(), json({{"id", 501}, {"name", silver}}));

  // Assigning is idempotent.
  for (int i = 0; i < 2; ++i) {
    const auto assigned = call("PUT", "/api/customers/3/tags/501");
    ASSERT_EQ(assigned.status, 200) << assigned.describe();
    EXPECT_EQ(assigned.json_body(), json({{"customer_id", 3}, {"tag_id", 501}}));
  }
  json seen = customer_on_ws(*s_.ws, 3);
  EXPECT_TRUE(has_tag(seen, silver)) << seen.dump();
  EXPECT_EQ(seen.value("tags", json()).size(), 1u) << seen.dump();
  json tagged = ask(*s_.ws, {{"type", "get_customers"}, {"filters", {{"tags", {silver}}}}});
  ASSERT_EQ(tagged.value("count", -1), 1) << shorten(tagged.dump());
  EXPECT_EQ(tagged["customers"][0]["id"], 3);
  tagged = ask(*s_.ws, {{"type", "get_customers"}, {"filters", {{"tag_ids", {501}}}}});
  EXPECT_EQ(tagged.value("count", -1), 1) << shorten(tagged.dump());

  // Renaming shows under the new name everywhere; renaming to the same name is fine.
  const auto renamed = call("PATCH", "/api/tags/501", json{{"name", platinum}});
  ASSERT_EQ(renamed.status, 200) << renamed.describe();
  EXPECT_EQ(renamed.json_body(), json({{"id", 501}, {"name", platinum}}));
  EXPECT_EQ(call("PATCH", "/api/tags/501", json{{"name", platinum}}).status, 200);
  seen = customer_on_ws(*s_.ws, 3);
  EXPECT_TRUE(has_tag(seen, platinum)) << seen.dump();
  EXPECT_FALSE(has_tag(seen, silver)) << seen.dump();
  EXPECT_EQ(ask(*s_.ws, {{"type", "get_customers"}, {"filters", {{"tags", {platinum}}}}}).value("count", -1), 1);
  EXPECT_EQ(ask(*s_.ws, {{"type", "get_customers"}, {"filters", {{"tags", {silver}}}}}).value("count", -1), 0);

  const auto unassigned = call("DELETE", "/api/customers/3/tags/501");
  ASSERT_EQ(unassigned.status, 200) << unassigned.describe();
  EXPECT_EQ(unassigned.json_body(), json({{"deleted", {{"assignment", {{"customer_id", 3}, {"tag_id", 501}}}}}}));
  EXPECT_FALSE(has_tag(customer_on_ws(*s_.ws, 3), platinum));
  EXPECT_TRUE(IsApiError(call("DELETE", "/api/customers/3/tags/501"), 404, "not_found", "tag_id"));

  // Deleting a tag takes its assignments along.
  ASSERT_EQ(call("PUT", "/api/customers/3/tags/501").status, 200);
  ASSERT_EQ(call("PUT", "/api/customers/2/tags/501").status, 200);
  const auto deleted = call("DELETE", "/api/tags/501");
  ASSERT_EQ(deleted.status, 200) << deleted.describe();
  EXPECT_EQ(deleted.json_body(), json({{"deleted", {{"tag", 501}}}}));
  EXPECT_FALSE(has_tag(customer_on_ws(*s_.ws, 3), platinum));
  seen = customer_on_ws(*s_.ws, 2);
  EXPECT_FALSE(has_tag(seen, platinum)) << seen.dump();
  EXPECT_TRUE(has_tag(seen, "New")) << "the other tags stay: " << seen.dump();
  EXPECT_EQ(ask(*s_.ws, {{"type", "get_customers"}, {"filters", {{"tags", {platinum}}}}}).value("count", -1), 0);
  EXPECT_EQ(ask(*s_.ws, {{"type", "get_customers"}, {"filters", {{"tag_ids", {501}}}}}).value("count", -1), 0);
  EXPECT_TRUE(IsApiError(call("DELETE", "/api/tags/501"), 404, "not_found", "id"));
  EXPECT_TRUE(IsApiError(call("PUT", "/api/customers/3/tags/501"), 404, "not_found", "tag_id"));
  // The name is free again.
  const auto reused = call("POST", "/api/tags", json{{"name", platinum}});
  EXPECT_EQ(reused.status, 201) << reused.describe();
  call("DELETE", "/api/tags/" + std::to_string(reused.json_body().value("id", std::int64_t{0})));
  EXPECT_EQ(call("DELETE", "/api/tags/" + std::to_string(gold_id)).status, 200);
}

// ---- conversations --------------------------------------------------------------------

class WriteApiConversations : public WriteApiTest {};

TEST_F(WriteApiConversations, CreatePatchDelete) {
  Cleanup cleanup;
  cleanup.actions.push_back([this] { call("DELETE", "/api/conversations/3001"); });
  call("DELETE", "/api/conversations/3001");  // an earlier failed run's
  const auto created = call("POST", "/api/conversations",
                            json{{"id", 3001},
                                 {"customer_id", 3},
                                 {"user_id", 7},
                                 {"title", "Refund"},
                                 {"status", "open"},
                                 {"source", "telegram"},
                                 {"created_at", "2024-02-01T00:00:00Z"}});
  ASSERT_EQ(created.status, 201) << created.describe();
  EXPECT_EQ(created.json_body(), json({{"id", 3001},
                                       {"customer_id", 3},
                                       {"user_id", 7},
                                       {"title", "Refund"},
                                       {"status", "open"},
                                       {"source", "telegram"},
                                       {"created_at", "2024-02-01T00:00:00.000Z"},
                                       {"updated_at", "2024-02-01T00:00:00.000Z"},
                                       {"unread_count", 0},
                                       {"last_message_id", nullptr},
                                       {"last_message_at", nullptr}}));
  json conv = conversation_in(customer_on_ws(*s_.ws, 3), 3001);
  ASSERT_TRUE(conv.is_object()) << "the conversation is not listed";
  EXPECT_EQ(conv.value("status", json()), "open");
  EXPECT_EQ(conv.value("title", json()), "Refund");
  EXPECT_EQ(conv.value("unread_count", -1), 0);
  EXPECT_EQ(conv.value("last_message", json("<missing>")), nullptr);
  EXPECT_EQ(ask(*s_.ws, {{"type", "get_customers"}, {"filters", {{"conversation_status", "open"}}}}).value("count", -1), 1);

  // Without an owner and an id.
  const auto ownerless = call("POST", "/api/conversations", json{{"customer_id", 3}});
  ASSERT_EQ(ownerless.status, 201) << ownerless.describe();
  EXPECT_EQ(ownerless.json_body().value("user_id", json("<missing>")), nullptr);
  EXPECT_EQ(ownerless.json_body().value("status", json("<missing>")), nullptr);
  const auto ownerless_id = ownerless.json_body().value("id", std::int64_t{0});
  cleanup.actions.push_back([this, ownerless_id] { call("DELETE", "/api/conversations/" + std::to_string(ownerless_id)); });
  EXPECT_GT(ownerless_id, 0);

  const Ms before = now_ms();
  const auto patched = call("PATCH", "/api/conversations/3001", json{{"status", "closed"}, {"user_id", nullptr}, {"title", nullptr}});
  ASSERT_EQ(patched.status, 200) << patched.describe();
  json body = patched.json_body();
  EXPECT_EQ(body.value("status", json()), "closed");
  EXPECT_EQ(body.value("user_id", json("<missing>")), nullptr);
  EXPECT_EQ(body.value("title", json("<missing>")), nullptr);
  EXPECT_EQ(body.value("source", json()), "telegram") << "unchanged";
  EXPECT_EQ(body.value("customer_id", json()), 3);
  EXPECT_GE(time_of(body["updated_at"]), before - 1000) << patched.describe();
  conv = conversation_in(customer_on_ws(*s_.ws, 3), 3001);
  EXPECT_EQ(conv.value("status", json()), "closed");
  EXPECT_EQ(conv.value("title", json("<missing>")), nullptr);
  EXPECT_EQ(ask(*s_.ws, {{"type", "get_customers"}, {"filters", {{"conversation_status", "open"}}}}).value("count", -1), 0);

  const auto owned = call("PATCH", "/api/conversations/3001", json{{"user_id", 8}, {"updated_at", "2024-02-02T00:00:00Z"}});
  ASSERT_EQ(owned.status, 200) << owned.describe();
  EXPECT_EQ(owned.json_body().value("user_id", json()), 8);
  EXPECT_EQ(owned.json_body().value("updated_at", json()), "2024-02-02T00:00:00.000Z");

  for (const std::int64_t id : {std::int64_t{3001}, ownerless_id}) {
    const auto deleted = call("DELETE", "/api/conversations/" + std::to_string(id));
    ASSERT_EQ(deleted.status, 200) << deleted.describe();
    EXPECT_EQ(deleted.json_body(), json({{"deleted", {{"conversation", id}}}}));
  }
  EXPECT_TRUE(conversation_in(customer_on_ws(*s_.ws, 3), 3001).is_null());
  EXPECT_EQ(customer_on_ws(*s_.ws, 3).value("conversations", json()), json::array());
  EXPECT_TRUE(IsApiError(call("DELETE", "/api/conversations/3001"), 404, "not_found", "id"));
}

// ---- messages and the derived values ---------------------------------------------------

class WriteApiMessages : public WriteApiTest {
 protected:
  // POSTs a message to conversation 3002; returns the answer's body.
  json post(const json& message) {
    const auto r = call("POST", "/api/conversations/3002/messages", message);
    EXPECT_EQ(r.status, 201) << message.dump() << ": " << r.describe();
    return r.json_body();
  }
  json customer() { return customer_on_ws(*s_.ws, 3); }
  void SetUp() override {
    WriteApiTest::SetUp();
    call("DELETE", "/api/conversations/3002");  // an earlier failed run's
  }
  void TearDown() override {
    call("DELETE", "/api/conversations/3002");
    WriteApiTest::TearDown();
  }
  json conversation() { return conversation_in(customer(), 3002); }
};

TEST_F(WriteApiMessages, UnreadCountsLastMessageAndActivityFollowEveryWrite) {
  ASSERT_EQ(call("POST", "/api/conversations",
                 json{{"id", 3002}, {"customer_id", 3}, {"user_id", 1}, {"status", "active"},
                      {"created_at", "2024-05-01T00:00:00Z"}})
                .status,
            201);

  // A customer message: unread 1, the last message, the activity.
  json answer = post({{"id", 30020}, {"content", "Привет 👋"}, {"type", "customer"}, {"created_at", "2024-05-02T00:00:00Z"}});
  EXPECT_EQ(answer.value("message", json()),
            json({{"id", 30020},
                  {"conversation_id", 3002},
                  {"content", "Привет 👋"},
                  {"type", "customer"},
                  {"is_ai_response", false},
                  {"is_answered", false},
                  {"created_at", "2024-05-02T00:00:00.000Z"}}));
  EXPECT_EQ(answer["conversation"].value("unread_count", -1), 1) << answer.dump();
  EXPECT_EQ(answer["conversation"].value("last_message_id", json()), 30020);
  EXPECT_EQ(answer["conversation"].value("last_message_at", json()), "2024-05-02T00:00:00.000Z");
  EXPECT_EQ(answer["conversation"].value("updated_at", json()), "2024-05-02T00:00:00.000Z")
      << "a newer message moves the conversation's updated_at";
  json c = customer();
  EXPECT_EQ(c.value("unread_count", -1), 1) << c.dump();
  EXPECT_EQ(c.value("last_activity", json()), "2024-05-02T00:00:00.000Z") << c.dump();
  json conv = conversation_in(c, 3002);
  EXPECT_EQ(conv.value("unread_count", -1), 1);
  EXPECT_EQ(conv["last_message"].value("content", json()), "Привет 👋") << conv.dump();
  EXPECT_EQ(conv["last_message"].value("type", json()), "customer");
  EXPECT_EQ(ask(*s_.ws, {{"type", "get_customers"}, {"filters", {{"has_unread", true}, {"search", "Cyrus"}}}}).value("count", -1), 1);

  // A second one, and an older one that does not become the last message.
  answer = post({{"id", 30021}, {"content", "anyone?"}, {"type", "customer"}, {"created_at", "2024-05-03T00:00:00Z"}});
  EXPECT_EQ(answer["conversation"].value("unread_count", -1), 2) << answer.dump();
  answer = post({{"id", 30022}, {"content", "late"}, {"type", "customer"}, {"created_at", "2024-05-01T12:00:00Z"}});
  EXPECT_EQ(answer["conversation"].value("unread_count", -1), 3) << answer.dump();
  EXPECT_EQ(answer["conversation"].value("last_message_id", json()), 30021) << answer.dump();
  EXPECT_EQ(answer["conversation"].value("updated_at", json()), "2024-05-03T00:00:00.000Z") << "never moves back";
  conv = conversation();
  EXPECT_EQ(conv["last_message"].value("content", json()), "anyone?") << conv.dump();
  EXPECT_EQ(customer().value("unread_count", -1), 3);

  // An agent reply answers them all.
  answer = post({{"id", 30023}, {"content", "Here!"}, {"type", "agent"}, {"created_at", "2024-05-04T00:00:00Z"}});
  EXPECT_EQ(answer["message"].value("is_answered", json()), false) << "an agent message is never unread";
  EXPECT_EQ(answer["conversation"].value("unread_count", -1), 0) << answer.dump();
  c = customer();
  EXPECT_EQ(c.value("unread_count", -1), 0) << c.dump();
  conv = conversation_in(c, 3002);
  EXPECT_EQ(conv["last_message"].value("type", json()), "agent") << conv.dump();
  EXPECT_EQ(conv["last_message"].value("content", json()), "Here!");
  EXPECT_EQ(c.value("last_activity", json()), "2024-05-04T00:00:00.000Z");
  EXPECT_EQ(ask(*s_.ws, {{"type", "get_customers"}, {"filters", {{"has_unread", true}, {"search", "Cyrus"}}}}).value("count", -1), 0);

  // An AI response stored as a customer message is a reply too, and is
  // itself answered.
  answer = post({{"id", 30024}, {"content", "and now?"}, {"type", "customer"}, {"created_at", "2024-05-05T00:00:00Z"}});
  EXPECT_EQ(answer["conversation"].value("unread_count", -1), 1) << answer.dump();
  EXPECT_EQ(customer().value("unread_count", -1), 1);
  answer = post({{"id", 30025}, {"content", "I am a bot"}, {"type", "customer"}, {"is_ai_response", true},
                 {"created_at", "2024-05-06T00:00:00Z"}});
  EXPECT_EQ(answer["message"].value("is_ai_response", json()), true) << answer.dump();
  EXPECT_EQ(answer["message"].value("is_answered", json()), true) << "the AI reply answers itself: " << answer.dump();
  EXPECT_EQ(answer["conversation"].value("unread_count", -1), 0) << answer.dump();
  c = customer();
  EXPECT_EQ(c.value("unread_count", -1), 0) << c.dump();
  conv = conversation_in(c, 3002);
  EXPECT_EQ(conv["last_message"].value("is_ai_response", json()), true) << conv.dump();

  // An AI agent message too.
  post({{"id", 30026}, {"content", "?"}, {"type", "customer"}, {"created_at", "2024-05-07T00:00:00Z"}});
  answer = post({{"id", 30027}, {"content", "auto"}, {"type", "agent"}, {"is_ai_response", true},
                 {"created_at", "2024-05-08T00:00:00Z"}});
  EXPECT_EQ(answer["conversation"].value("unread_count", -1), 0) << answer.dump();

  // A customer message sent as answered does not count; an empty content is fine.
  answer = post({{"id", 30028}, {"content", ""}, {"type", "customer"}, {"is_answered", true},
                 {"created_at", "2024-05-09T00:00:00Z"}});
  EXPECT_EQ(answer["message"].value("content", json()), "");
  EXPECT_EQ(answer["conversation"].value("unread_count", -1), 0) << answer.dump();

  // POST .../read answers everything.
  post({{"id", 30029}, {"content", "one"}, {"type", "customer"}, {"created_at", "2024-05-10T00:00:00Z"}});
  post({{"id", 30030}, {"content", "two"}, {"type", "customer"}, {"created_at", "2024-05-11T00:00:00Z"}});
  EXPECT_EQ(customer().value("unread_count", -1), 2);
  const auto read = call("POST", "/api/conversations/3002/read");
  ASSERT_EQ(read.status, 200) << read.describe();
  EXPECT_EQ(read.json_body().value("id", json()), 3002) << read.describe();
  EXPECT_EQ(read.json_body().value("unread_count", -1), 0) << read.describe();
  EXPECT_EQ(read.json_body().value("last_message_id", json()), 30030) << read.describe();
  EXPECT_EQ(customer().value("unread_count", -1), 0);
  EXPECT_EQ(call("POST", "/api/conversations/3002/read", std::string("{}")).status, 200) << "again, with an empty object";

  // Deleting the last message: the one before becomes the last; deleting
  // an unread message lowers the count.
  post({{"id", 30031}, {"content", "three"}, {"type", "customer"}, {"created_at", "2024-05-12T00:00:00Z"}});
  EXPECT_EQ(customer().value("unread_count", -1), 1);
  const auto deleted = call("DELETE", "/api/messages/30031");
  ASSERT_EQ(deleted.status, 200) << deleted.describe();
  EXPECT_EQ(deleted.json_body(), json({{"deleted", {{"message", 30031}}}}));
  c = customer();
  EXPECT_EQ(c.value("unread_count", -1), 0) << c.dump();
  conv = conversation_in(c, 3002);
  EXPECT_EQ(conv["last_message"].value("id", json()), 30030) << conv.dump();
  EXPECT_EQ(c.value("last_activity", json()), "2024-05-11T00:00:00.000Z") << c.dump();
  EXPECT_TRUE(IsApiError(call("DELETE", "/api/messages/30031"), 404, "not_found", "id"));

  // Deleting the conversation: the customer's activity falls back to its own updated_at.
  ASSERT_EQ(call("DELETE", "/api/conversations/3002").status, 200);
  c = customer();
  EXPECT_EQ(c.value("last_activity", json()), c.value("updated_at", json())) << c.dump();
  EXPECT_TRUE(IsApiError(call("DELETE", "/api/messages/30030"), 404, "not_found", "id")) << "went with its conversation";
}

TEST_F(WriteApiMessages, ANewMessageWithoutATimeIsNowAndRaisesTheActivity) {
  ASSERT_EQ(call("POST", "/api/conversations", json{{"id", 3002}, {"customer_id", 3}, {"user_id", 1}}).status, 201);
  const Ms before = now_ms();
  const json answer = post({{"content", "now"}, {"type", "customer"}});
  const Ms at = time_of(answer["message"]["created_at"]);
  EXPECT_GE(at, before - 1000) << answer.dump();
  EXPECT_LE(at, now_ms() + 1000) << answer.dump();
  EXPECT_TRUE(answer["message"].value("id", json()).is_number_integer()) << answer.dump();
  EXPECT_EQ(answer["conversation"].value("updated_at", json()), answer["message"]["created_at"]);
  const json c = customer();
  EXPECT_EQ(c.value("last_activity", json()), answer["message"]["created_at"]) << c.dump();
  EXPECT_EQ(c.value("unread_count", -1), 1);
  ASSERT_EQ(call("DELETE", "/api/conversations/3002").status, 200);
}

// ---- refusals -------------------------------------------------------------------------

struct Refusal {
  std::string method, path, body;
  int status;
  std::string code, field;
  std::string allow = "";  // 405 only
};

std::string big_text(std::size_t n) { return std::string(n, 'x'); }

std::vector<Refusal> refusals() {
  const std::string long_text = "\"" + big_text(1025) + "\"";
  return {
      // Routing: no endpoint, then the method.
      {"POST", "/api", "{}", 404, "not_found", ""},
      {"POST", "/api/", "{}", 404, "not_found", ""},
      {"POST", "/api/nothing", "{}", 404, "not_found", ""},
      {"POST", "/api/customers/1/tags", "{}", 404, "not_found", ""},
      {"POST", "/api/customers/1/notes", "{}", 404, "not_found", ""},
      {"DELETE", "/api/customers/1/tags/1/x", "", 404, "not_found", ""},
      {"POST", "/api/messages", "{}", 404, "not_found", ""},
      {"POST", "/api/conversations/10/unknown", "{}", 404, "not_found", ""},
      {"GET", "/api/customers", "", 405, "method_not_allowed", "", "POST"},
      {"DELETE", "/api/customers", "", 405, "method_not_allowed", "", "POST"},
      {"GET", "/api/customers/1", "", 405, "method_not_allowed", "", "PATCH, DELETE"},
      {"PUT", "/api/customers/1", "{}", 405, "method_not_allowed", "", "PATCH, DELETE"},
      {"POST", "/api/customers/1", "{}", 405, "method_not_allowed", "", "PATCH, DELETE"},
      {"POST", "/api/customers/1/tags/1", "", 405, "method_not_allowed", "", "PUT, DELETE"},
      {"PATCH", "/api/tags", "{}", 405, "method_not_allowed", "", "POST"},
      {"PUT", "/api/tags/1", "{}", 405, "method_not_allowed", "", "PATCH, DELETE"},
      {"GET", "/api/conversations", "", 405, "method_not_allowed", "", "POST"},
      {"PUT", "/api/conversations/10", "{}", 405, "method_not_allowed", "", "PATCH, DELETE"},
      {"GET", "/api/conversations/10/messages", "", 405, "method_not_allowed", "", "POST"},
      {"DELETE", "/api/conversations/10/read", "", 405, "method_not_allowed", "", "POST"},
      {"GET", "/api/messages/100", "", 405, "method_not_allowed", "", "DELETE"},
      {"patch", "/api/customers/1", R"({"first_name": "x"})", 405, "method_not_allowed", "", "PATCH, DELETE"},
      // Ids in the path.
      {"PATCH", "/api/customers/abc", R"({"first_name": "x"})", 400, "invalid_field", "id"},
      {"PATCH", "/api/customers/0", R"({"first_name": "x"})", 400, "invalid_field", "id"},
      {"DELETE", "/api/customers/-1", "", 400, "invalid_field", "id"},
      {"DELETE", "/api/customers/1.0", "", 400, "invalid_field", "id"},
      {"DELETE", "/api/customers/+1", "", 400, "invalid_field", "id"},
      {"DELETE", "/api/customers/9223372036854775808", "", 400, "invalid_field", "id"},
      {"PUT", "/api/customers/x/tags/1", "", 400, "invalid_field", "customer_id"},
      {"PUT", "/api/customers/1/tags/0", "", 400, "invalid_field", "tag_id"},
      {"DELETE", "/api/customers/1/tags/%31", "", 400, "invalid_field", "tag_id"},
      {"PATCH", "/api/tags/two", R"({"name": "x"})", 400, "invalid_field", "id"},
      {"DELETE", "/api/conversations/0", "", 400, "invalid_field", "id"},
      {"POST", "/api/conversations/ten/messages", R"({"content": "x", "type": "agent"})", 400, "invalid_field",
       "conversation_id"},
      {"POST", "/api/conversations/0/read", "", 400, "invalid_field", "conversation_id"},
      {"DELETE", "/api/messages/1e2", "", 400, "invalid_field", "id"},
      // The body: JSON, an object.
      {"POST", "/api/customers", "", 400, "invalid_json", ""},
      {"POST", "/api/customers", "   \n", 400, "invalid_json", ""},
      {"POST", "/api/customers", "{", 400, "invalid_json", ""},
      {"POST", "/api/customers", R"({"first_name": "x",})", 400, "invalid_json", ""},
      {"POST", "/api/customers", R"({"first_name": 'x'})", 400, "invalid_json", ""},
      {"POST", "/api/customers", "{} {}", 400, "invalid_json", ""},
      {"PATCH", "/api/customers/1", "", 400, "invalid_json", ""},
      {"POST", "/api/tags", "name=x", 400, "invalid_json", ""},
      {"POST", "/api/conversations/10/messages", "\xff\xfe", 400, "invalid_json", ""},
      {"DELETE", "/api/customers/1", "{", 400, "invalid_json", ""},
      {"POST", "/api/customers", "[]", 400, "invalid_body", ""},
      {"POST", "/api/customers", "[{\"first_name\": \"x\"}]", 400, "invalid_body", ""},
      {"POST", "/api/customers", "\"x\"", 400, "invalid_body", ""},
      {"POST", "/api/customers", "null", 400, "invalid_body", ""},
      {"POST", "/api/customers", "42", 400, "invalid_body", ""},
      {"PATCH", "/api/customers/1", "true", 400, "invalid_body", ""},
      {"POST", "/api/tags", "[]", 400, "invalid_body", ""},
      {"PATCH", "/api/conversations/10", "[]", 400, "invalid_body", ""},
      {"POST", "/api/conversations/10/messages", "\"hi\"", 400, "invalid_body", ""},
      {"DELETE", "/api/customers/1", "[1]", 400, "invalid_body", ""},
      {"POST", "/api/conversations/10/read", "[]", 400, "invalid_body", ""},
      // Customers: fields.
      {"POST", "/api/customers", R"({"nickname": "x"})", 400, "invalid_field", "nickname"},
      {"POST", "/api/customers", R"({"first_name": "x", "zzz": 1, "aaa": 2})", 400, "invalid_field", "zzz"},
      {"POST", "/api/customers", R"({"id": 0})", 400, "invalid_field", "id"},
      {"POST", "/api/customers", R"({"id": -5})", 400, "invalid_field", "id"},
      {"POST", "/api/customers", R"({"id": "5"})", 400, "invalid_field", "id"},
      {"POST", "/api/customers", R"({"id": 1.5})", 400, "invalid_field", "id"},
      {"POST", "/api/customers", R"({"id": 9223372036854775808})", 400, "invalid_field", "id"},
      {"POST", "/api/customers", R"({"id": true})", 400, "invalid_field", "id"},
      {"POST", "/api/customers", R"({"first_name": 5})", 400, "invalid_field", "first_name"},
      {"POST", "/api/customers", R"({"last_name": false})", 400, "invalid_field", "last_name"},
      {"POST", "/api/customers", R"({"email": ["a@b.c"]})", 400, "invalid_field", "email"},
      {"POST", "/api/customers", R"({"phone_number": {"n": 1}})", 400, "invalid_field", "phone_number"},
      {"POST", "/api/customers", R"({"source": 1})", 400, "invalid_field", "source"},
      {"POST", "/api/customers", "{\"username\": " + long_text + "}", 400, "invalid_field", "username"},
      {"POST", "/api/customers", "{\"source_id\": " + long_text + "}", 400, "invalid_field", "source_id"},
      {"POST", "/api/customers", "{\"profile_picture\": \"" + big_text(4097) + "\"}", 400, "invalid_field",
       "profile_picture"},
      {"POST", "/api/customers", R"({"created_at": "yesterday"})", 400, "invalid_field", "created_at"},
      {"POST", "/api/customers", R"({"created_at": 1700000000000})", 400, "invalid_field", "created_at"},
      {"POST", "/api/customers", R"({"updated_at": "2024-13-01T00:00:00Z"})", 400, "invalid_field", "updated_at"},
      {"POST", "/api/customers", R"({"last_activity": "2024-01-01T00:00:00Z"})", 400, "invalid_field", "last_activity"},
      {"POST", "/api/customers", R"({"tags": ["VIP"]})", 400, "invalid_field", "tags"},
      {"POST", "/api/customers", R"({"conversations": []})", 400, "invalid_field", "conversations"},
      {"POST", "/api/customers", R"({"unread_count": 0})", 400, "invalid_field", "unread_count"},
      {"PATCH", "/api/customers/1", "{}", 400, "invalid_field", ""},
      {"PATCH", "/api/customers/1", R"({"id": 1})", 400, "invalid_field", "id"},
      {"PATCH", "/api/customers/1", R"({"first_name": "ok", "id": 2})", 400, "invalid_field", "id"},
      {"PATCH", "/api/customers/1", R"({"first_name": ["x"]})", 400, "invalid_field", "first_name"},
      {"PATCH", "/api/customers/1", R"({"created_at": "2024-01-01T25:00:00Z"})", 400, "invalid_field", "created_at"},
      {"PATCH", "/api/customers/1", R"({"last_message": null})", 400, "invalid_field", "last_message"},
      {"PATCH", "/api/customers/1", R"({"tags": []})", 400, "invalid_field", "tags"},
      {"DELETE", "/api/customers/1", R"({"force": true})", 400, "invalid_field", "force"},
      {"DELETE", "/api/customers/1", R"({"id": 1})", 400, "invalid_field", "id"},
      // Tags.
      {"POST", "/api/tags", "{}", 400, "invalid_field", "name"},
      {"POST", "/api/tags", R"({"name": null})", 400, "invalid_field", "name"},
      {"POST", "/api/tags", R"({"name": ""})", 400, "invalid_field", "name"},
      {"POST", "/api/tags", R"({"name": " \t "})", 400, "invalid_field", "name"},
      {"POST", "/api/tags", R"({"name": 7})", 400, "invalid_field", "name"},
      {"POST", "/api/tags", "{\"name\": " + long_text + "}", 400, "invalid_field", "name"},
      {"POST", "/api/tags", R"({"id": 0, "name": "x"})", 400, "invalid_field", "id"},
      {"POST", "/api/tags", R"({"name": "x", "color": "red"})", 400, "invalid_field", "color"},
      {"PATCH", "/api/tags/1", "{}", 400, "invalid_field", "name"},
      {"PATCH", "/api/tags/1", R"({"name": "  "})", 400, "invalid_field", "name"},
      {"PATCH", "/api/tags/1", R"({"id": 2, "name": "x"})", 400, "invalid_field", "id"},
      {"DELETE", "/api/tags/1", R"({"x": 1})", 400, "invalid_field", "x"},
      {"PUT", "/api/customers/1/tags/2", R"({"x": 1})", 400, "invalid_field", "x"},
      {"DELETE", "/api/customers/1/tags/1", R"({"x": 1})", 400, "invalid_field", "x"},
      // Conversations.
      {"POST", "/api/conversations", "{}", 400, "invalid_field", "customer_id"},
      {"POST", "/api/conversations", R"({"customer_id": null})", 400, "invalid_field", "customer_id"},
      {"POST", "/api/conversations", R"({"customer_id": "1"})", 400, "invalid_field", "customer_id"},
      {"POST", "/api/conversations", R"({"customer_id": 0})", 400, "invalid_field", "customer_id"},
      {"POST", "/api/conversations", R"({"customer_id": 1, "user_id": 0})", 400, "invalid_field", "user_id"},
      {"POST", "/api/conversations", R"({"customer_id": 1, "user_id": "3"})", 400, "invalid_field", "user_id"},
      {"POST", "/api/conversations", R"({"customer_id": 1, "title": 1})", 400, "invalid_field", "title"},
      {"POST", "/api/conversations", R"({"customer_id": 1, "status": ["open"]})", 400, "invalid_field", "status"},
      {"POST", "/api/conversations", R"({"customer_id": 1, "source": false})", 400, "invalid_field", "source"},
      {"POST", "/api/conversations", "{\"customer_id\": 1, \"title\": " + long_text + "}", 400, "invalid_field", "title"},
      {"POST", "/api/conversations", R"({"customer_id": 1, "created_at": "2024-02-30"})", 400, "invalid_field",
       "created_at"},
      {"POST", "/api/conversations", R"({"customer_id": 1, "updated_at": "x"})", 400, "invalid_field", "updated_at"},
      {"POST", "/api/conversations", R"({"customer_id": 1, "messages": []})", 400, "invalid_field", "messages"},
      {"POST", "/api/conversations", R"({"customer_id": 1, "unread_count": 2})", 400, "invalid_field", "unread_count"},
      {"POST", "/api/conversations", R"({"id": -1, "customer_id": 1})", 400, "invalid_field", "id"},
      {"PATCH", "/api/conversations/10", "{}", 400, "invalid_field", ""},
      {"PATCH", "/api/conversations/10", R"({"customer_id": 2})", 400, "invalid_field", "customer_id"},
      {"PATCH", "/api/conversations/10", R"({"user_id": -3})", 400, "invalid_field", "user_id"},
      {"PATCH", "/api/conversations/10", R"({"title": false})", 400, "invalid_field", "title"},
      {"PATCH", "/api/conversations/10", R"({"status": 3})", 400, "invalid_field", "status"},
      {"PATCH", "/api/conversations/10", R"({"updated_at": "soon"})", 400, "invalid_field", "updated_at"},
      {"PATCH", "/api/conversations/10", R"({"created_at": "2024-01-01T00:00:00Z"})", 400, "invalid_field",
       "created_at"},
      {"PATCH", "/api/conversations/10", R"({"last_message_at": null})", 400, "invalid_field", "last_message_at"},
      {"PATCH", "/api/conversations/10", R"({"messages": []})", 400, "invalid_field", "messages"},
      {"DELETE", "/api/conversations/10", R"({"cascade": true})", 400, "invalid_field", "cascade"},
      // Messages.
      {"POST", "/api/conversations/10/messages", "{}", 400, "invalid_field", "content"},
      {"POST", "/api/conversations/10/messages", R"({"type": "agent"})", 400, "invalid_field", "content"},
      {"POST", "/api/conversations/10/messages", R"({"content": null, "type": "agent"})", 400, "invalid_field",
       "content"},
      {"POST", "/api/conversations/10/messages", R"({"content": 5, "type": "agent"})", 400, "invalid_field", "content"},
      {"POST", "/api/conversations/10/messages",
       "{\"content\": \"" + big_text(65537) + "\", \"type\": \"agent\"}", 400, "invalid_field", "content"},
      {"POST", "/api/conversations/10/messages", R"({"content": "x"})", 400, "invalid_field", "type"},
      {"POST", "/api/conversations/10/messages", R"({"content": "x", "type": "bot"})", 400, "invalid_field", "type"},
      {"POST", "/api/conversations/10/messages", R"({"content": "x", "type": "Agent"})", 400, "invalid_field", "type"},
      {"POST", "/api/conversations/10/messages", R"({"content": "x", "type": null})", 400, "invalid_field", "type"},
      {"POST", "/api/conversations/10/messages", R"({"content": "x", "type": 1})", 400, "invalid_field", "type"},
      {"POST", "/api/conversations/10/messages", R"({"content": "x", "type": "agent", "is_ai_response": "yes"})", 400,
       "invalid_field", "is_ai_response"},
      {"POST", "/api/conversations/10/messages", R"({"content": "x", "type": "agent", "is_ai_response": 1})", 400,
       "invalid_field", "is_ai_response"},
      {"POST", "/api/conversations/10/messages", R"({"content": "x", "type": "customer", "is_answered": 0})", 400,
       "invalid_field", "is_answered"},
      {"POST", "/api/conversations/10/messages", R"({"content": "x", "type": "customer", "created_at": "now"})", 400,
       "invalid_field", "created_at"},
      {"POST", "/api/conversations/10/messages", R"({"id": 0, "content": "x", "type": "customer"})", 400,
       "invalid_field", "id"},
      {"POST", "/api/conversations/10/messages", R"({"conversation_id": 20, "content": "x", "type": "customer"})", 400,
       "invalid_field", "conversation_id"},
      {"POST", "/api/conversations/10/messages", R"({"content": "x", "type": "customer", "sender": "me"})", 400,
       "invalid_field", "sender"},
      {"POST", "/api/conversations/10/read", R"({"x": 1})", 400, "invalid_field", "x"},
      {"POST", "/api/conversations/10/read", R"({"unread_count": 0})", 400, "invalid_field", "unread_count"},
      {"DELETE", "/api/messages/100", R"({"x": 1})", 400, "invalid_field", "x"},
      // Missing rows.
      {"PATCH", "/api/customers/999999", R"({"first_name": "x"})", 404, "not_found", "id"},
      {"DELETE", "/api/customers/999999", "", 404, "not_found", "id"},
      {"PATCH", "/api/tags/999999", R"({"name": "x"})", 404, "not_found", "id"},
      {"DELETE", "/api/tags/999999", "", 404, "not_found", "id"},
      {"PUT", "/api/customers/999999/tags/1", "", 404, "not_found", "customer_id"},
      {"PUT", "/api/customers/1/tags/999999", "", 404, "not_found", "tag_id"},
      {"DELETE", "/api/customers/999999/tags/1", "", 404, "not_found", "customer_id"},
      {"DELETE", "/api/customers/1/tags/999999", "", 404, "not_found", "tag_id"},
      {"DELETE", "/api/customers/1/tags/2", "", 404, "not_found", "tag_id"},
      {"POST", "/api/conversations", R"({"customer_id": 999999})", 404, "not_found", "customer_id"},
      {"POST", "/api/conversations", R"({"id": 10, "customer_id": 999999})", 404, "not_found", "customer_id"},
      {"PATCH", "/api/conversations/999999", R"({"status": "x"})", 404, "not_found", "id"},
      {"DELETE", "/api/conversations/999999", "", 404, "not_found", "id"},
      {"POST", "/api/conversations/999999/messages", R"({"content": "x", "type": "customer"})", 404, "not_found",
       "conversation_id"},
      {"POST", "/api/conversations/999999/messages", R"({"id": 100, "content": "x", "type": "agent"})", 404,
       "not_found", "conversation_id"},
      {"DELETE", "/api/messages/999999", "", 404, "not_found", "id"},
      {"POST", "/api/conversations/999999/read", "", 404, "not_found", "conversation_id"},
      // Conflicts.
      {"POST", "/api/customers", R"({"id": 1, "first_name": "Dup"})", 409, "conflict", "id"},
      {"POST", "/api/tags", R"({"id": 1, "name": "Fresh"})", 409, "conflict", "id"},
      {"POST", "/api/tags", R"({"name": "VIP"})", 409, "conflict", "name"},
      {"PATCH", "/api/tags/2", R"({"name": "VIP"})", 409, "conflict", "name"},
      {"POST", "/api/conversations", R"({"id": 10, "customer_id": 1})", 409, "conflict", "id"},
      {"POST", "/api/conversations/20/messages", R"({"id": 100, "content": "x", "type": "agent"})", 409, "conflict",
       "id"},
  };
}

class WriteApiValidation : public WriteApiTest {};

TEST_F(WriteApiValidation, EveryRefusalNamesItsFieldAndWritesNothing) {
  const std::string before = data_snapshot(server());
  ASSERT_EQ(before.find("<sqlite3 failed"), std::string::npos) << before;
  ASSERT_NE(before.find("INSERT INTO customers"), std::string::npos) << shorten(before);
  HttpClient keep_alive;
  ASSERT_EQ(keep_alive.connect(port()), "");
  for (const auto& r : refusals()) {
    SCOPED_TRACE(r.method + " " + r.path + " " + shorten(r.body, 120));
    const auto answer = http_request(port(), r.method, r.path, r.body, auth());
    EXPECT_TRUE(IsApiError(answer, r.status, r.code, r.field));
    if (r.status == 405) {
      EXPECT_EQ(answer.header("Allow"), r.allow);
    } else {
      EXPECT_EQ(answer.header("Allow"), "");
    }
    // The same on a keep-alive connection, which stays usable afterwards.
    const auto again = keep_alive.request(r.method, r.path, r.body, auth());
    EXPECT_EQ(again.status, r.status) << again.describe();
    EXPECT_EQ(again.json_body(), answer.json_body());
    EXPECT_EQ(data_snapshot(server()), before) << "the refused write changed the data";
  }
  // The server answers as before, on both connections.
  const auto ok = keep_alive.request("PATCH", "/api/customers/2", R"({"username": "still-here"})", auth());
  EXPECT_EQ(ok.status, 200) << ok.describe();
  EXPECT_EQ(ask(*s_.ws, {{"type", "ping"}}).value("type", ""), "pong");
  EXPECT_EQ(http_get(port(), "/healthz").status, 200);
}

TEST_F(WriteApiValidation, ARefusedMessageToAMissingConversationWritesNoMessage) {
  Cleanup cleanup;
  cleanup.actions.push_back([this] { call("DELETE", "/api/conversations/424242"); });
  call("DELETE", "/api/conversations/424242");  // an earlier failed run's
  const std::string before = data_snapshot(server());
  const auto r = call("POST", "/api/conversations/424242/messages", json{{"id", 424242}, {"content", "ghost"}, {"type", "customer"}});
  EXPECT_TRUE(IsApiError(r, 404, "not_found", "conversation_id"));
  EXPECT_EQ(data_snapshot(server()), before);
  // The id was not taken: a conversation of that id, then the message, work.
  ASSERT_EQ(call("POST", "/api/conversations", json{{"id", 424242}, {"customer_id", 2}}).status, 201);
  const auto m = call("POST", "/api/conversations/424242/messages", json{{"id", 424242}, {"content", "real"}, {"type", "customer"}});
  EXPECT_EQ(m.status, 201) << m.describe();
  EXPECT_EQ(call("DELETE", "/api/conversations/424242").status, 200);
}

TEST_F(WriteApiValidation, BodyOverOneMebibyteIs413AndExactlyOneIsAccepted) {
  Cleanup cleanup;
  cleanup.actions.push_back([this] { call("DELETE", "/api/conversations/3003"); });
  call("DELETE", "/api/conversations/3003");  // an earlier failed run's
  ASSERT_EQ(call("POST", "/api/conversations", json{{"id", 3003}, {"customer_id", 2}}).status, 201);
  const std::size_t limit = std::size_t{1} << 20;
  const std::string message = R"({"content": "padded", "type": "customer"})";
  std::string exact = message + std::string(limit - message.size(), ' ');
  ASSERT_EQ(exact.size(), limit);
  const auto accepted = call("POST", "/api/conversations/3003/messages", exact);
  EXPECT_EQ(accepted.status, 201) << accepted.describe();

  const std::string before = data_snapshot(server());
  const std::string over = exact + " ";
  for (const std::string& target : {std::string("/api/conversations/3003/messages"), std::string("/api/customers")}) {
    SCOPED_TRACE(target);
    const auto refused = http_request(port(), "POST", target, over, auth(), 10000ms);
    EXPECT_TRUE(IsApiError(refused, 413, "payload_too_large", ""));
  }
  // Far over, too (the server must not read it all).
  const auto huge = http_request(port(), "POST", "/api/customers", std::string(8 << 20, ' '), auth(), 10000ms);
  EXPECT_TRUE(IsApiError(huge, 413, "payload_too_large", ""));
  EXPECT_EQ(data_snapshot(server()), before);
  EXPECT_EQ(http_get(port(), "/healthz").status, 200);
  EXPECT_EQ(call("DELETE", "/api/conversations/3003").status, 200);
}

}  // namespace
}  // namespace cwsit
