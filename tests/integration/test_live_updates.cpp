// Live updates: a connection's current list is pushed again ("reason":
// "update", no request_id) when committed data it can see changes, whoever
// wrote it (the write API, `customer-ws import`, another program on the
// database file); pushes to one connection are at least
// --live-min-interval-ms apart and coalesced; subscribe/unsubscribe; the
// per-user scope in jwt mode; filter options current after a change.
#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "tests/integration/harness.hpp"

namespace cwsit {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kAdminToken = "live-test-admin-token";
constexpr int kIntervalMs = 250;

json customer_line(std::int64_t id, const std::string& first, const std::string& last, const std::string& source,
                   const std::string& created_at, json conversations = json::array()) {
  return {{"id", id},
          {"first_name", first},
          {"last_name", last},
          {"source", source},
          {"created_at", created_at},
          {"updated_at", created_at},
          {"tags", json::array()},
          {"conversations", std::move(conversations)}};
}

json conversation_line(std::int64_t id, std::int64_t user_id, const std::string& status,
                       const std::string& created_at, json messages = json::array()) {
  return {{"id", id},
          {"user_id", user_id},
          {"title", "conversation " + std::to_string(id)},
          {"status", status},
          {"source", "telegram"},
          {"created_at", created_at},
          {"updated_at", created_at},
          {"messages", std::move(messages)}};
}

std::string write_jsonl(const std::string& prefix, const std::vector<json>& lines) {
  const std::string path = make_temp_dir(prefix) + "/data.jsonl";
  std::string text;
  for (const auto& l : lines) text += l.dump() + "\n";
  write_file(path, text);
  return path;
}

// The "live" server (auth none): one customer per test, each found by a
// word no other customer has.
std::string live_jsonl() {
  return write_jsonl(
      "live-data",
      {
          customer_line(1, "Latency", "Tester", "telegram", "2024-01-01T00:00:00Z",
                        {conversation_line(10, 1, "active", "2024-01-01T00:00:00Z")}),
          customer_line(2, "Quiet", "Watcher", "telegram", "2024-01-02T00:00:00Z"),
          customer_line(3, "Noisy", "Neighbour", "instagram", "2024-01-03T00:00:00Z"),
          customer_line(4, "Burst", "Target", "telegram", "2024-01-04T00:00:00Z"),
          customer_line(5, "Direct", "Sqlitewriter", "instagram", "2024-01-05T00:00:00Z"),
          customer_line(6, "Before", "Importee", "telegram", "2024-01-06T00:00:00Z"),
          customer_line(7, "Toggle", "Subscriber", "instagram", "2024-01-07T00:00:00Z"),
          customer_line(8, "Options", "Holder", "telegram", "2024-01-08T00:00:00Z",
                        {conversation_line(80, 2, "active", "2024-01-08T00:00:00Z")}),
      });
}

// The "live-jwt" server: customer 201 has a conversation of user 1 and one
// of user 2; 202 only user 1's, 203 only user 2's; 204 and 205 belong to
// users 3 and 4 (filter options).
std::string live_jwt_jsonl() {
  const json old_message = {{"id", 20100},
                            {"content", "old question"},
                            {"type", "customer"},
                            {"is_ai_response", false},
                            {"is_answered", true},
                            {"created_at", "2024-02-01T00:00:00Z"}};
  return write_jsonl(
      "live-jwt-data",
      {
          customer_line(201, "Shared", "Customer", "telegram", "2024-01-01T00:00:00Z",
                        {conversation_line(2010, 1, "active", "2024-01-01T00:00:00Z", {old_message}),
                         conversation_line(2011, 2, "active", "2024-01-01T00:00:00Z")}),
          customer_line(202, "Onlya", "Customer", "telegram", "2024-01-02T00:00:00Z",
                        {conversation_line(2020, 1, "active", "2024-01-02T00:00:00Z")}),
          customer_line(203, "Onlyb", "Customer", "instagram", "2024-01-03T00:00:00Z",
                        {conversation_line(2030, 2, "pending", "2024-01-03T00:00:00Z")}),
          customer_line(204, "Third", "Customer", "telegram", "2024-01-04T00:00:00Z",
                        {conversation_line(2040, 3, "active", "2024-01-04T00:00:00Z")}),
          customer_line(205, "Fourth", "Customer", "instagram", "2024-01-05T00:00:00Z",
                        {conversation_line(2050, 4, "pending", "2024-01-05T00:00:00Z")}),
      });
}

Headers admin() { return {{"Authorization", std::string("Bearer ") + kAdminToken}}; }

std::string unique_word(const std::string& prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  return prefix + std::to_string(rng() % 1000000000);
}

long long ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

// ---- reading pushes ------------------------------------------------------------------

struct Received {
  json msg;
  Clock::time_point at;
};

bool is_push(const json& m) { return m.value("type", "") == "customers_list" && m.value("reason", "") == "update"; }

// The next message before `deadline`: a push, or nullopt when none came (a
// message that is not a push fails the test).
std::optional<Received> next_push(WsListener& ws, Clock::time_point deadline) {
  while (auto ev = ws.next(deadline)) {
    if (ev->event.kind != WsEvent::Text) {
      ADD_FAILURE() << "expected a push or nothing, got " << ev->event.describe();
      return std::nullopt;
    }
    json m = ev->message();
    if (!is_push(m)) {
      ADD_FAILURE() << "expected a push or nothing, got " << shorten(ev->event.data, 1500);
      continue;
    }
    return Received{std::move(m), ev->at};
  }
  return std::nullopt;
}

// Waits until `deadline` for a push whose customer `id` satisfies `want`
// (earlier pushes are kept in `others`).
std::optional<Received> wait_for_push(WsListener& ws, Clock::time_point deadline, std::int64_t id,
                                      const std::function<bool(const json&)>& want,
                                      std::vector<Received>* others = nullptr) {
  while (auto p = next_push(ws, deadline)) {
    for (const auto& c : p->msg["customers"])
      if (c.value("id", json()) == json(id) && want(c)) return p;
    if (others) others->push_back(*p);
  }
  return std::nullopt;
}

// Sends `req` with a fresh request_id and reads until its answer; pushes
// that come first go to `pushes` (or fail the test when it is null).
json ask(WsListener& ws, json req, std::vector<Received>* pushes = nullptr) {
  static int counter = 0;
  const std::string id = "live-" + std::to_string(++counter);
  req["request_id"] = id;
  std::string error;
  if (!ws.send_text(req.dump(), &error)) return {{"type", "<send failed>"}, {"__error", error}};
  const auto deadline = Clock::now() + kReadTimeout;
  while (auto ev = ws.next(deadline)) {
    json m = ev->message();
    if (m.value("request_id", json()) == json(id)) return m;
    if (is_push(m) && pushes) {
      pushes->push_back({m, ev->at});
      continue;
    }
    ADD_FAILURE() << "while waiting for the answer to " << req.dump() << ": " << shorten(m.dump(), 1500);
    if (ev->event.kind != WsEvent::Text) break;
  }
  return {{"type", "<no answer>"}, {"request", req}};
}

// A connection read in the background, with its first two messages.
struct Live {
  std::unique_ptr<WsListener> ws = std::make_unique<WsListener>();
  json established, initial;
  std::string error;
};

Live open_live(int port, const std::string& target = "/ws/customers/") {
  Live s;
  s.error = s.ws->connect(port, target);
  if (!s.error.empty()) {
    ADD_FAILURE() << "connect to " << target << ": " << s.error;
    return s;
  }
  const auto deadline = Clock::now() + kReadTimeout;
  auto first = s.ws->next(deadline);
  s.established = first ? first->message() : json{{"type", "<nothing>"}};
  EXPECT_EQ(s.established.value("type", ""), "connection_established") << shorten(s.established.dump());
  auto second = s.ws->next(deadline);
  s.initial = second ? second->message() : json{{"type", "<nothing>"}};
  EXPECT_EQ(s.initial.value("type", ""), "customers_list") << shorten(s.initial.dump());
  if (s.initial.value("type", "") != "customers_list") s.error = "no initial list";
  return s;
}

// A push as the protocol describes it: a full customers_list, reason
// "update", no request_id, for the connection's current query.
::testing::AssertionResult IsPushOf(const json& push, const json& answer) {
  if (!is_push(push)) return ::testing::AssertionFailure() << "not a push: " << shorten(push.dump());
  if (push.contains("request_id"))
    return ::testing::AssertionFailure() << "a push carries a request_id: " << shorten(push.dump());
  for (const char* k : {"customers", "pagination", "filters", "count", "page_count", "warnings", "timestamp"})
    if (!push.contains(k)) return ::testing::AssertionFailure() << "no '" << k << "' in " << shorten(push.dump());
  if (push["filters"] != answer["filters"])
    return ::testing::AssertionFailure() << "pushed filters " << push["filters"].dump() << " are not the query's "
                                         << answer["filters"].dump();
  if (push["pagination"].value("page_size", json()) != answer["pagination"].value("page_size", json()))
    return ::testing::AssertionFailure() << "pushed page size differs: " << push["pagination"].dump();
  return ::testing::AssertionSuccess();
}

json find_customer(const json& list, std::int64_t id) {
  for (const auto& c : list.value("customers", json::array()))
    if (c.value("id", json()) == json(id)) return c;
  return nullptr;
}

std::function<bool(const json&)> field_is(const std::string& key, const std::string& value) {
  return [key, value](const json& c) { return c.value(key, json()) == json(value); };
}

// ---- fixtures ----------------------------------------------------------------------

class LiveServerTest : public SharedServerTest {
 protected:
  const char* server_name() const override { return "live"; }
  void SetUp() override {
    shared_server("live", live_jsonl,
                  {"--admin-token", kAdminToken, "--live-min-interval-ms", std::to_string(kIntervalMs)});
    SharedServerTest::SetUp();
  }
  HttpResponse write(const std::string& method, const std::string& target, const json& body = nullptr) {
    return http_request(port(), method, target, body.is_null() ? std::string() : body.dump(), admin());
  }
  // A session whose current query is `filters` (its answer in `answer`).
  Live list_session(const json& filters, json& answer) {
    Live s = open_live(port());
    if (!s.error.empty()) return s;
    std::vector<Received> ignored;
    answer = ask(*s.ws, {{"type", "get_customers"}, {"filters", filters}}, &ignored);
    EXPECT_EQ(answer.value("type", ""), "customers_list") << shorten(answer.dump());
    return s;
  }
};

class LiveUpdates : public LiveServerTest {};

// 1. A write through the API reaches an open list within a second, current.
TEST_F(LiveUpdates, AnApiWriteIsPushedToTheInitialListWithinOneSecond) {
  Live s = open_live(port());
  ASSERT_TRUE(s.error.empty());
  ASSERT_TRUE(find_customer(s.initial, 1).is_object()) << "customer 1 is on the initial list: " << shorten(s.initial.dump());
  const std::string value = unique_word("Changed");
  const auto start = Clock::now();
  const auto r = write("PATCH", "/api/customers/1", {{"last_name", value}});
  ASSERT_EQ(r.status, 200) << r.describe();
  const auto push = wait_for_push(*s.ws, start + 3s, 1, field_is("last_name", value));
  ASSERT_TRUE(push) << "no push with the new last_name within 3 s";
  const long long latency = ms_between(start, push->at);
  RecordProperty("push_latency_ms", std::to_string(latency));
  EXPECT_LT(latency, 1000) << "the push came " << latency << " ms after the write was sent";
  EXPECT_TRUE(IsPushOf(push->msg, s.initial));
  EXPECT_EQ(push->msg.value("reason", ""), "update");
  EXPECT_FALSE(push->msg.contains("request_id"));
  // The pushed list is the current one: the customer as the API answered it.
  const json pushed = find_customer(push->msg, 1);
  const json stored = r.json_body();
  for (const char* k : {"first_name", "last_name", "updated_at", "last_activity"})
    EXPECT_EQ(pushed.value(k, json()), stored.value(k, json())) << k;
  const json fresh = ask(*s.ws, {{"type", "refresh_customers"}});
  EXPECT_EQ(find_customer(fresh, 1), pushed) << "the push differs from a fresh answer";
  EXPECT_EQ(fresh["count"], push->msg["count"]);
}

TEST_F(LiveUpdates, AFilteredListIsPushedWhenItsCustomerChanges) {
  json answer;
  Live s = list_session({{"search", "Latency"}}, answer);
  ASSERT_TRUE(s.error.empty());
  ASSERT_EQ(answer.value("count", -1), 1) << shorten(answer.dump());
  const std::string value = unique_word("Filtered");
  const auto start = Clock::now();
  ASSERT_EQ(write("PATCH", "/api/customers/1", {{"username", value}}).status, 200);
  const auto push = wait_for_push(*s.ws, start + 3s, 1, field_is("username", value));
  ASSERT_TRUE(push) << "no push";
  EXPECT_LT(ms_between(start, push->at), 1000);
  EXPECT_TRUE(IsPushOf(push->msg, answer));
  EXPECT_EQ(push->msg.value("count", -1), 1);
}

// 2. A list the change does not touch gets nothing.
TEST_F(LiveUpdates, AListTheChangeDoesNotTouchGetsNoPush) {
  json answer;
  Live s = list_session({{"search", "Quiet"}}, answer);
  ASSERT_TRUE(s.error.empty());
  ASSERT_EQ(answer.value("count", -1), 1) << shorten(answer.dump());
  ASSERT_EQ(write("PATCH", "/api/customers/3", {{"last_name", unique_word("Louder")}}).status, 200);
  ASSERT_EQ(write("POST", "/api/conversations", {{"customer_id", 3}, {"user_id", 1}, {"status", "active"}}).status, 201);
  const auto start = Clock::now();
  const auto push = next_push(*s.ws, start + 1500ms);
  EXPECT_FALSE(push) << "unexpected push: " << (push ? shorten(push->msg.dump()) : "");
  // The connection is still live: its own customer's change does come.
  const std::string value = unique_word("Heard");
  ASSERT_EQ(write("PATCH", "/api/customers/2", {{"last_name", value}}).status, 200);
  EXPECT_TRUE(wait_for_push(*s.ws, Clock::now() + 2s, 2, field_is("last_name", value))) << "no push for customer 2";
}

// 3. A burst of writes gives few pushes, spaced by the interval, the last current.
TEST_F(LiveUpdates, ABurstOfWritesIsCoalescedIntoFewSpacedPushes) {
  json answer;
  Live s = list_session({{"search", "Burst"}}, answer);
  ASSERT_TRUE(s.error.empty());
  ASSERT_EQ(answer.value("count", -1), 1) << shorten(answer.dump());

  constexpr int kThreads = 4, kPerThread = 24;  // then 4 more in order: 100 writes
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int t = 0; t < kThreads; ++t) {
    clients.push_back(std::make_unique<HttpClient>());
    ASSERT_EQ(clients.back()->connect(port()), "");
  }
  const std::string final_value = unique_word("Final");

  // The reader: every push until 1.2 s after the final value was seen (or 10 s).
  std::vector<Received> pushes;
  std::atomic<bool> reader_done{false};
  std::thread reader([&] {
    const auto hard_deadline = Clock::now() + 10s;
    std::optional<Clock::time_point> quiet_until;
    while (true) {
      const auto deadline = quiet_until ? std::min(*quiet_until, hard_deadline) : hard_deadline;
      auto p = next_push(*s.ws, deadline);
      if (!p) break;
      const json c = find_customer(p->msg, 4);
      if (c.value("last_name", json()) == json(final_value)) quiet_until = p->at + 1200ms;
      pushes.push_back(std::move(*p));
    }
    reader_done = true;
  });

  std::atomic<int> failures{0};
  const auto start = Clock::now();
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      // Pipelined: every request of this connection first, then the answers.
      for (int i = 0; i < kPerThread; ++i) {
        const json body = {{"last_name", "Burst-" + std::to_string(t) + "-" + std::to_string(i)}};
        if (!clients[t]->send("PATCH", "/api/customers/4", body.dump(), admin())) ++failures;
      }
      for (int i = 0; i < kPerThread; ++i)
        if (clients[t]->receive().status != 200) ++failures;
    });
  }
  for (auto& w : writers) w.join();
  for (int i = 0; i < 4; ++i) {
    const std::string value = i == 3 ? final_value : "Burst-main-" + std::to_string(i);
    const auto r = clients[0]->request("PATCH", "/api/customers/4", json{{"last_name", value}}.dump(), admin());
    if (r.status != 200) ++failures;
  }
  const auto end = Clock::now();
  reader.join();
  const long long duration = ms_between(start, end);
  RecordProperty("burst_duration_ms", std::to_string(duration));
  RecordProperty("burst_pushes", std::to_string(pushes.size()));
  std::cerr << "[live] 100 writes took " << duration << " ms and gave " << pushes.size() << " push(es)\n";
  EXPECT_EQ(failures.load(), 0) << "some writes were refused";

  ASSERT_FALSE(pushes.empty()) << "no push at all";
  const long long bound = duration / kIntervalMs + 2;
  EXPECT_LE(static_cast<long long>(pushes.size()), bound)
      << "pushes for 100 writes in " << duration << " ms (interval " << kIntervalMs << " ms)";
  if (duration <= 3 * kIntervalMs) {
    EXPECT_LE(pushes.size(), 5u);
  }
  for (size_t i = 1; i < pushes.size(); ++i) {
    const long long gap = ms_between(pushes[i - 1].at, pushes[i].at);
    EXPECT_GE(gap, kIntervalMs - 10) << "pushes " << i - 1 << " and " << i << " only " << gap << " ms apart";
  }
  for (const auto& p : pushes) EXPECT_TRUE(IsPushOf(p.msg, answer));
  const json last = find_customer(pushes.back().msg, 4);
  EXPECT_EQ(last.value("last_name", json()), final_value) << "the last push is not current: " << last.dump();
}

// 5. Another program writing the database file.
TEST_F(LiveUpdates, AWriteBySqlite3OnTheFileIsPushedWithinOneSecond) {
  json answer;
  Live s = list_session({{"search", "Sqlitewriter"}}, answer);
  ASSERT_TRUE(s.error.empty());
  ASSERT_EQ(answer.value("count", -1), 1) << shorten(answer.dump());
  const std::string value = unique_word("Sqlite");
  const auto start = Clock::now();
  const auto r = run_program({"sqlite3", "-cmd", ".timeout 5000", sqlite_path(server().db_url()),
                              "UPDATE customers SET first_name = '" + value + "' WHERE id = 5"},
                             10000ms);
  ASSERT_EQ(r.exit_code, 0) << "sqlite3 failed: " << r.output;
  const auto push = wait_for_push(*s.ws, start + 3s, 5, field_is("first_name", value));
  ASSERT_TRUE(push) << "no push within 3 s";
  EXPECT_LT(ms_between(start, push->at), 1000);
  EXPECT_TRUE(IsPushOf(push->msg, answer));
  // The search index followed the foreign write too.
  const json found = ask(*s.ws, {{"type", "search_customers"}, {"search_term", value}});
  EXPECT_EQ(found.value("count", -1), 1) << shorten(found.dump());
}

// 6. `customer-ws import` into the running server's database.
TEST_F(LiveUpdates, AnImportIntoTheRunningDatabaseIsPushed) {
  json answer;
  Live s = list_session({{"search", "Importee"}}, answer);
  ASSERT_TRUE(s.error.empty());
  ASSERT_EQ(answer.value("count", -1), 1) << shorten(answer.dump());
  const std::string value = unique_word("Imported");
  const std::string dir = make_temp_dir("live-import");
  write_file(dir + "/change.jsonl", json{{"id", 6}, {"first_name", value}}.dump() + "\n");
  const auto start = Clock::now();
  const auto r = run_binary({"import", "--db", server().db_url(), dir + "/change.jsonl"}, 30000ms, "", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto imported = Clock::now();
  const auto push = wait_for_push(*s.ws, imported + 3s, 6, field_is("first_name", value));
  ASSERT_TRUE(push) << "no push within 3 s of the import's end";
  EXPECT_LT(ms_between(imported, push->at), 1000) << "import took " << ms_between(start, imported) << " ms";
  EXPECT_TRUE(IsPushOf(push->msg, answer));
  EXPECT_EQ(find_customer(push->msg, 6).value("last_name", json()), "Importee");
}

// 7. unsubscribe / subscribe.
TEST_F(LiveUpdates, UnsubscribeStopsPushesAndSubscribeCatchesUp) {
  json answer;
  Live s = list_session({{"search", "Toggle"}}, answer);
  ASSERT_TRUE(s.error.empty());
  ASSERT_EQ(answer.value("count", -1), 1) << shorten(answer.dump());

  json off = ask(*s.ws, {{"type", "unsubscribe"}});
  EXPECT_EQ(off.value("type", ""), "subscription") << off.dump();
  EXPECT_EQ(off.value("live", json()), false) << off.dump();
  EXPECT_TRUE(off.contains("timestamp")) << off.dump();
  // Twice is harmless.
  off = ask(*s.ws, {{"type", "unsubscribe"}});
  EXPECT_EQ(off.value("live", json()), false) << off.dump();

  const std::string while_off = unique_word("WhileOff");
  ASSERT_EQ(write("PATCH", "/api/customers/7", {{"last_name", while_off}}).status, 200);
  const auto none = next_push(*s.ws, Clock::now() + 1000ms);
  EXPECT_FALSE(none) << "pushed while unsubscribed: " << (none ? shorten(none->msg.dump()) : "");
  // Requests still work while unsubscribed, and are not pushes.
  EXPECT_EQ(ask(*s.ws, {{"type", "ping"}}).value("type", ""), "pong");

  std::vector<Received> early;
  const auto start = Clock::now();
  const json on = ask(*s.ws, {{"type", "subscribe"}}, &early);
  EXPECT_EQ(on.value("type", ""), "subscription") << on.dump();
  EXPECT_EQ(on.value("live", json()), true) << on.dump();
  std::optional<Received> caught_up;
  for (const auto& p : early)
    if (find_customer(p.msg, 7).value("last_name", json()) == json(while_off)) caught_up = p;
  if (!caught_up) caught_up = wait_for_push(*s.ws, start + 3s, 7, field_is("last_name", while_off));
  ASSERT_TRUE(caught_up) << "the change made while unsubscribed was not pushed after subscribe";
  EXPECT_LT(ms_between(start, caught_up->at), 1000);
  EXPECT_TRUE(IsPushOf(caught_up->msg, answer));

  // And later changes come again.
  const std::string after = unique_word("AfterOn");
  ASSERT_EQ(write("PATCH", "/api/customers/7", {{"last_name", after}}).status, 200);
  EXPECT_TRUE(wait_for_push(*s.ws, Clock::now() + 3s, 7, field_is("last_name", after))) << "no push after subscribe";
}

TEST_F(LiveUpdates, SubscribeWithoutAnyChangePushesNothing) {
  json answer;
  Live s = list_session({{"search", "Toggle"}}, answer);
  ASSERT_TRUE(s.error.empty());
  EXPECT_EQ(ask(*s.ws, {{"type", "unsubscribe"}}).value("live", json()), false);
  EXPECT_EQ(ask(*s.ws, {{"type", "subscribe"}}).value("live", json()), true);
  // Subscribing when subscribed answers the same.
  EXPECT_EQ(ask(*s.ws, {{"type", "subscribe"}}).value("live", json()), true);
  const auto push = next_push(*s.ws, Clock::now() + 700ms);
  EXPECT_FALSE(push) << "nothing changed, yet: " << (push ? shorten(push->msg.dump()) : "");
}

// ---- tenants ---------------------------------------------------------------------------

class LiveJwtServerTest : public SharedServerTest {
 protected:
  const char* server_name() const override { return "live-jwt"; }
  void SetUp() override {
    shared_server("live-jwt", live_jwt_jsonl,
                  {"--auth", "jwt", "--jwt-secret", kJwtSecret, "--admin-token", kAdminToken, "--live-min-interval-ms",
                   std::to_string(kIntervalMs)});
    SharedServerTest::SetUp();
  }
  HttpResponse write(const std::string& method, const std::string& target, const json& body = nullptr) {
    return http_request(port(), method, target, body.is_null() ? std::string() : body.dump(), admin());
  }
  Live user_session(std::int64_t user) {
    return open_live(port(), "/ws/customers/?token=" + access_token(user));
  }
};

class LiveTenants : public LiveJwtServerTest {};

// 4. A change to one user's conversation is pushed to that user only.
TEST_F(LiveTenants, AUsersConversationChangesArePushedToThatUserOnly) {
  Live a = user_session(1);
  Live b = user_session(2);
  ASSERT_TRUE(a.error.empty() && b.error.empty());
  ASSERT_EQ(a.initial.value("count", -1), 2) << shorten(a.initial.dump());
  ASSERT_EQ(b.initial.value("count", -1), 2) << shorten(b.initial.dump());
  const json a_shared = find_customer(a.initial, 201);
  ASSERT_TRUE(a_shared.is_object());
  ASSERT_EQ(a_shared["conversations"].size(), 1u) << "A sees only its own conversation: " << a_shared.dump();
  const int a_unread = a_shared.value("unread_count", -1);
  const int b_unread = find_customer(b.initial, 201).value("unread_count", -1);
  const int b_only_unread = find_customer(b.initial, 203).value("unread_count", -1);

  // A customer message in B's conversation with the shared customer.
  const std::string text = unique_word("for-B-");
  auto start = Clock::now();
  auto r = write("POST", "/api/conversations/2011/messages", {{"content", text}, {"type", "customer"}});
  ASSERT_EQ(r.status, 201) << r.describe();
  auto to_b = wait_for_push(*b.ws, start + 1500ms, 201, [&](const json& c) {
    for (const auto& conv : c["conversations"])
      if (conv.value("id", 0) == 2011 && conv["last_message"].is_object() &&
          conv["last_message"].value("content", "") == text)
        return c.value("unread_count", -1) == b_unread + 1;
    return false;
  });
  ASSERT_TRUE(to_b) << "B was not told of a message in its conversation";
  EXPECT_LT(ms_between(start, to_b->at), 1000);
  EXPECT_TRUE(IsPushOf(to_b->msg, b.initial));
  auto to_a = next_push(*a.ws, start + 1500ms);
  EXPECT_FALSE(to_a) << "A was pushed a change of B's conversation: " << (to_a ? shorten(to_a->msg.dump()) : "");

  // A change to A's conversation with the shared customer.
  start = Clock::now();
  const std::string status = unique_word("closed");
  r = write("PATCH", "/api/conversations/2010", {{"status", status}});
  ASSERT_EQ(r.status, 200) << r.describe();
  to_a = wait_for_push(*a.ws, start + 1500ms, 201, [&](const json& c) {
    return !c["conversations"].empty() && c["conversations"][0].value("status", "") == status;
  });
  ASSERT_TRUE(to_a) << "A was not told of a change to its conversation";
  EXPECT_LT(ms_between(start, to_a->at), 1000);
  const json a_now = find_customer(to_a->msg, 201);
  EXPECT_EQ(a_now["conversations"].size(), 1u) << a_now.dump();
  EXPECT_EQ(a_now.value("unread_count", -1), a_unread) << "B's unread message is not A's: " << a_now.dump();
  to_b = next_push(*b.ws, start + 1500ms);
  EXPECT_FALSE(to_b) << "B was pushed a change of A's conversation: " << (to_b ? shorten(to_b->msg.dump()) : "");

  // A change to the customer's own row reaches both (both are still live).
  const std::string name = unique_word("Both");
  ASSERT_EQ(write("PATCH", "/api/customers/201", {{"last_name", name}}).status, 200);
  EXPECT_TRUE(wait_for_push(*a.ws, Clock::now() + 2s, 201, field_is("last_name", name))) << "A";
  EXPECT_TRUE(wait_for_push(*b.ws, Clock::now() + 2s, 201, field_is("last_name", name))) << "B";

  // A message of user 2 on a customer only B sees: nothing for A.
  start = Clock::now();
  ASSERT_EQ(write("POST", "/api/conversations/2030/messages", {{"content", "b only"}, {"type", "customer"}}).status, 201);
  EXPECT_TRUE(wait_for_push(*b.ws, start + 1500ms, 203,
                            [&](const json& c) { return c.value("unread_count", 0) == b_only_unread + 1; }));
  to_a = next_push(*a.ws, start + 1500ms);
  EXPECT_FALSE(to_a) << "A was pushed: " << (to_a ? shorten(to_a->msg.dump()) : "");
}

// ---- filter options ---------------------------------------------------------------------

// (The session's list may be pushed meanwhile: such pushes are skipped.)
json options_of(WsListener& ws) {
  std::vector<Received> pushes;
  const json r = ask(ws, {{"type", "get_filter_options"}}, &pushes);
  EXPECT_EQ(r.value("type", ""), "filter_options") << shorten(r.dump());
  return r.value("options", json::object());
}

void insert_sorted(json& array, const json& value) {
  array.push_back(value);
  std::sort(array.begin(), array.end());
}

void add_tag(json& options, std::int64_t id, const std::string& name, int count) {
  insert_sorted(options["tags"], name);
  options["tag_details"].push_back({{"id", id}, {"name", name}, {"count", count}});
  std::sort(options["tag_details"].begin(), options["tag_details"].end(), [](const json& l, const json& r) {
    return l["name"] != r["name"] ? l["name"] < r["name"] : l["id"] < r["id"];
  });
}

void add_count(json& options, const char* list, const char* counts, const std::string& value) {
  if (!options[counts].contains(value)) {
    insert_sorted(options[list], value);
    options[counts][value] = 0;
  }
  options[counts][value] = options[counts][value].get<int>() + 1;
}

::testing::AssertionResult SameOptions(const json& actual, const json& expected) {
  if (actual == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "options differ; patch from expected to actual: "
                                       << json::diff(expected, actual).dump() << "\n  actual: " << shorten(actual.dump());
}

// The first get_filter_options after a write's answer (at `answered`) must
// show it. When it does not, the failure says how long the options took to
// catch up.
::testing::AssertionResult OptionsCurrent(WsListener& ws, const json& expected, Clock::time_point answered) {
  const auto asked = Clock::now();
  const json first = options_of(ws);
  auto same = SameOptions(first, expected);
  if (same) return same;
  long long caught_up = -1;
  int requests = 1;
  while (Clock::now() < answered + 2s) {
    ++requests;
    if (options_of(ws) == expected) {
      caught_up = ms_between(answered, Clock::now());
      break;
    }
    std::this_thread::sleep_for(1ms);
  }
  return ::testing::AssertionFailure() << "the first get_filter_options, sent " << ms_between(answered, asked)
                                       << " ms after the write was answered, is stale; "
                                       << (caught_up >= 0 ? "current after " + std::to_string(requests) +
                                                                " requests, " + std::to_string(caught_up) +
                                                                " ms after the answer"
                                                          : std::string("still stale 2 s after the answer"))
                                       << "; first answer: " << same.message();
}

class LiveFilterOptions : public LiveServerTest {};

// 8. The next get_filter_options after a write shows it (unscoped).
TEST_F(LiveFilterOptions, CurrentRightAfterEachWrite) {
  std::vector<std::string> created;  // deleted at the end, however the test ends
  struct Guard {
    std::function<void()> run;
    ~Guard() { run(); }
  } guard{[&] {
    for (auto it = created.rbegin(); it != created.rend(); ++it) write("DELETE", *it);
  }};
  Live s = open_live(port());
  ASSERT_TRUE(s.error.empty());
  const json baseline = options_of(*s.ws);
  json expected = baseline;
  ASSERT_TRUE(expected.contains("tag_details")) << expected.dump();
  EXPECT_TRUE(SameOptions(options_of(*s.ws), expected)) << "twice the same";

  // A new tag, assigned.
  const std::string tag = unique_word("LiveTag");
  auto r = write("POST", "/api/tags", {{"name", tag}});
  ASSERT_EQ(r.status, 201) << r.describe();
  const std::int64_t tag_id = r.json_body().value("id", std::int64_t{0});
  created.push_back("/api/tags/" + std::to_string(tag_id));
  ASSERT_EQ(write("PUT", "/api/customers/8/tags/" + std::to_string(tag_id)).status, 200);
  add_tag(expected, tag_id, tag, 1);
  EXPECT_TRUE(OptionsCurrent(*s.ws, expected, Clock::now())) << "after a tag assignment";

  // A customer with a new source (its created_at inside the range).
  const std::string source = unique_word("fax");
  r = write("POST", "/api/customers", {{"first_name", "Sourced"}, {"source", source}, {"created_at", "2024-01-05T12:00:00Z"}});
  ASSERT_EQ(r.status, 201) << r.describe();
  const std::int64_t new_customer = r.json_body().value("id", std::int64_t{0});
  created.push_back("/api/customers/" + std::to_string(new_customer));
  add_count(expected, "sources", "source_counts", source);
  EXPECT_TRUE(OptionsCurrent(*s.ws, expected, Clock::now())) << "after a new customer";

  // A conversation with a new status.
  const std::string status = unique_word("escalated");
  r = write("POST", "/api/conversations", {{"customer_id", 8}, {"user_id", 2}, {"status", status}});
  ASSERT_EQ(r.status, 201) << r.describe();
  const std::int64_t conversation = r.json_body().value("id", std::int64_t{0});
  created.push_back("/api/conversations/" + std::to_string(conversation));
  add_count(expected, "conversation_statuses", "conversation_status_counts", status);
  EXPECT_TRUE(OptionsCurrent(*s.ws, expected, Clock::now())) << "after a new conversation";

  // And back: every value goes away again (given the time the options
  // need to catch up, checked above).
  for (auto it = created.rbegin(); it != created.rend(); ++it) ASSERT_EQ(write("DELETE", *it).status, 200) << *it;
  created.clear();
  json now;
  const auto deadline = Clock::now() + 2s;
  do {
    now = options_of(*s.ws);
  } while (now != baseline && Clock::now() < deadline);
  EXPECT_TRUE(SameOptions(now, baseline)) << "after deleting what the test made";
}

class LiveFilterOptionsJwt : public LiveJwtServerTest {};

TEST_F(LiveFilterOptionsJwt, CurrentForTheAffectedUserOnly) {
  Live a = user_session(3);
  Live b = user_session(4);
  ASSERT_TRUE(a.error.empty() && b.error.empty());
  json expected_a = options_of(*a.ws);
  const json before_b = options_of(*b.ws);
  ASSERT_EQ(expected_a.value("sources", json()), json({"telegram"})) << expected_a.dump();

  // A new customer (nobody sees it yet: no conversation).
  const std::string source = unique_word("fax");
  auto r = write("POST", "/api/customers", {{"first_name", "Scoped"}, {"source", source}, {"created_at", "2024-01-04T00:00:00Z"}});
  ASSERT_EQ(r.status, 201) << r.describe();
  const std::int64_t customer = r.json_body().value("id", std::int64_t{0});
  std::vector<std::string> created{"/api/customers/" + std::to_string(customer)};
  struct Guard {
    std::function<void()> run;
    ~Guard() { run(); }
  } guard{[&] {
    for (auto it = created.rbegin(); it != created.rend(); ++it) write("DELETE", *it);
  }};
  EXPECT_TRUE(SameOptions(options_of(*a.ws), expected_a)) << "a customer without conversations is nobody's";

  // User 3's conversation with a new status makes it visible to user 3.
  const std::string status = unique_word("escalated");
  r = write("POST", "/api/conversations", {{"customer_id", customer}, {"user_id", 3}, {"status", status}});
  ASSERT_EQ(r.status, 201) << r.describe();
  add_count(expected_a, "sources", "source_counts", source);
  add_count(expected_a, "conversation_statuses", "conversation_status_counts", status);
  EXPECT_TRUE(OptionsCurrent(*a.ws, expected_a, Clock::now())) << "after user 3's new conversation";

  // A new tag on it.
  const std::string tag = unique_word("JwtTag");
  r = write("POST", "/api/tags", {{"name", tag}});
  ASSERT_EQ(r.status, 201) << r.describe();
  const std::int64_t tag_id = r.json_body().value("id", std::int64_t{0});
  created.push_back("/api/tags/" + std::to_string(tag_id));
  ASSERT_EQ(write("PUT", "/api/customers/" + std::to_string(customer) + "/tags/" + std::to_string(tag_id)).status, 200);
  add_tag(expected_a, tag_id, tag, 1);
  EXPECT_TRUE(OptionsCurrent(*a.ws, expected_a, Clock::now())) << "after the tag";

  // User 4 saw none of it.
  EXPECT_TRUE(SameOptions(options_of(*b.ws), before_b)) << "user 4's options changed";
  // Nor was user 4 pushed anything.
  const auto push = next_push(*b.ws, Clock::now() + 300ms);
  EXPECT_FALSE(push) << "user 4 was pushed: " << (push ? shorten(push->msg.dump()) : "");
}

}  // namespace
}  // namespace cwsit
