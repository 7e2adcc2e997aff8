// Actor tests: real actors on a real actor system, with fake neighbours, so
// that each actor's own rules are checked without a database or a socket.
#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <openssl/hmac.h>

#include "actors/cache_actor.hpp"
#include "actors/live_updates_actor.hpp"
#include "actors/metrics.hpp"
#include "actors/query_actor.hpp"
#include "actors/session_actor.hpp"
#include "actors_test_support.hpp"
#include "protocol/request.hpp"

namespace cws::actors {
namespace {

using namespace std::chrono_literals;
using testing::recording_link;

protocol::customer_page page_of(std::int64_t total, std::int64_t first_id, int size) {
  protocol::customer_page page;
  page.total_count = total;
  for (int i = 0; i < size; ++i) {
    protocol::customer_view customer;
    customer.id = first_id + i;
    customer.first_name = "Customer " + std::to_string(first_id + i);
    page.customers.push_back(customer);
  }
  return page;
}

// Storage stand-in: answers pages (or never, to provoke timeouts) and counts
// how often filter options were fetched.
struct fake_storage_state {
  std::shared_ptr<std::atomic<int>> option_fetches;
  std::shared_ptr<std::atomic<bool>> fail_options;
};

storage_actor::behavior_type fake_storage(storage_actor::stateful_pointer<fake_storage_state> self,
                                          std::shared_ptr<std::atomic<int>> option_fetches,
                                          std::shared_ptr<std::atomic<bool>> fail_options, bool never_answer_pages) {
  self->state.option_fetches = option_fetches;
  self->state.fail_options = fail_options;
  return {
      [=](fetch_page_atom, const protocol::list_query& query, const protocol::viewer_scope&,
          steady_deadline) -> caf::result<page_reply> {
        if (never_answer_pages) return self->make_response_promise<page_reply>();  // left pending
        return page_reply{page_of(100, query.paging.offset + 1, static_cast<int>(query.paging.limit))};
      },
      [](fetch_rows_atom, const std::vector<std::int64_t>& ids, const protocol::viewer_scope&,
         steady_deadline) -> page_reply {
        protocol::customer_page page;
        for (auto id : ids) {
          page.customers.emplace_back();
          page.customers.back().id = id;
        }
        return page;
      },
      [=](fetch_options_atom, const protocol::viewer_scope& scope) -> options_reply {
        ++*self->state.option_fetches;
        // Detached, like the real storage actor: blocking here makes
        // concurrent requests to the cache overlap.
        std::this_thread::sleep_for(50ms);
        if (self->state.fail_options->load())
          return protocol::protocol_error{protocol::error_code::unavailable, "down"};
        protocol::filter_options options;
        options.source_counts = {{"telegram", scope.user_id.value_or(0) + 1}};
        return options;
      },
      [](users_atom, std::uint64_t) { return std::vector<std::int64_t>{}; },
      [](health_atom) { return true; },
      [](migrate_atom) { return std::int64_t{1}; },
      [](demo_atom, std::int64_t, std::uint64_t) { return std::int64_t{0}; },
      [](write_atom, const protocol::write_request&) { return protocol::write_result{}; },
  };
}

class actors_test : public ::testing::Test {
 protected:
  caf::actor_system_config config;
  caf::actor_system system{config};
  std::shared_ptr<service_metrics> metrics = std::make_shared<service_metrics>();
  std::shared_ptr<std::atomic<int>> option_fetches = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<bool>> fail_options = std::make_shared<std::atomic<bool>>(false);

  // Everything a test spawns is stopped at its end; the actor system waits
  // for all actors before it goes away.
  std::vector<caf::actor> to_stop;

  template <class Handle>
  Handle stop_later(Handle handle) {
    to_stop.push_back(caf::actor_cast<caf::actor>(handle));
    return handle;
  }
  storage_actor make_storage(bool never_answer_pages = false) {
    return stop_later(system.spawn<caf::detached>(fake_storage, option_fetches, fail_options, never_answer_pages));
  }
  ~actors_test() override {
    for (auto& actor : to_stop) caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  }
};

protocol::list_query default_query() {
  std::vector<std::string> warnings;
  return std::get<protocol::list_query>(protocol::parse_filters("{}", {}, warnings));
}

TEST_F(actors_test, query_actor_returns_the_storage_page) {
  auto queries = stop_later(spawn_query_pool(system, make_storage(), index_actor{}, query_settings{1000ms}, metrics, 2));
  caf::scoped_actor self{system};
  self->request(queries, 5s, list_atom::value, default_query(), protocol::viewer_scope{})
      .receive(
          [](page_reply& reply) {
            auto& page = std::get<protocol::customer_page>(reply);
            EXPECT_EQ(page.total_count, 100);
            ASSERT_EQ(page.customers.size(), 20u);
            EXPECT_EQ(page.customers.front().id, 1);
          },
          [](caf::error& error) { FAIL() << caf::to_string(error); });
  EXPECT_NE(metrics->render().find("customer_ws_query_duration_seconds_count{kind=\"list\"} 1"), std::string::npos);
}

TEST_F(actors_test, query_actor_answers_timeout_when_storage_never_answers) {
  auto storage = make_storage(true);
  auto queries = stop_later(spawn_query_pool(system, storage, index_actor{}, query_settings{100ms}, metrics, 1));
  caf::scoped_actor self{system};
  auto started = std::chrono::steady_clock::now();
  self->request(queries, 10s, list_atom::value, default_query(), protocol::viewer_scope{})
      .receive(
          [](page_reply& reply) {
            auto* error = std::get_if<protocol::protocol_error>(&reply);
            ASSERT_NE(error, nullptr);
            EXPECT_EQ(error->code, protocol::error_code::timeout);
          },
          [](caf::error& error) { FAIL() << caf::to_string(error); });
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(actors_test, cache_coalesces_concurrent_requests_and_serves_fresh_entries) {
  auto storage = make_storage();
  auto cache = stop_later(spawn_cache_actor(system, storage, metrics));
  caf::scoped_actor self{system};
  for (int i = 0; i < 5; ++i) self->send(cache, options_atom::value, protocol::viewer_scope{});
  for (int i = 0; i < 5; ++i)
    self->receive([](options_reply& reply) { EXPECT_TRUE(std::holds_alternative<protocol::filter_options>(reply)); },
                  caf::after(5s) >> [] { FAIL() << "no answer"; });
  EXPECT_EQ(option_fetches->load(), 1) << "five overlapping requests share one fetch";
  self->request(cache, 5s, options_atom::value, protocol::viewer_scope{}).receive([](options_reply&) {}, [](caf::error&) {});
  EXPECT_EQ(option_fetches->load(), 1) << "a fresh entry is served from the cache";
  self->request(cache, 5s, options_atom::value, protocol::viewer_scope{7})
      .receive(
          [](options_reply& reply) {
            auto& options = std::get<protocol::filter_options>(reply);
            ASSERT_EQ(options.source_counts.size(), 1u);
            EXPECT_EQ(options.source_counts.front().second, 8) << "each scope has its own entry";
          },
          [](caf::error& error) { FAIL() << caf::to_string(error); });
  EXPECT_EQ(option_fetches->load(), 2);
}

TEST_F(actors_test, cache_forgets_what_a_change_reaches_and_never_caches_errors) {
  auto storage = make_storage();
  auto cache = stop_later(spawn_cache_actor(system, storage, metrics));
  caf::scoped_actor self{system};
  fail_options->store(true);
  auto ask = [&] {
    bool ok = false;
    self->request(cache, 5s, options_atom::value, protocol::viewer_scope{})
        .receive([&](options_reply& reply) { ok = std::holds_alternative<protocol::filter_options>(reply); },
                 [](caf::error&) {});
    return ok;
  };
  EXPECT_FALSE(ask());
  fail_options->store(false);
  EXPECT_TRUE(ask()) << "a failed fetch left nothing behind";
  EXPECT_TRUE(ask());
  EXPECT_EQ(option_fetches->load(), 2) << "kept until a change";
  change_event change;
  change.user_ids = {5};
  self->send(cache, changes_atom::value, change);
  EXPECT_TRUE(ask());
  EXPECT_EQ(option_fetches->load(), 3) << "every change reaches the unscoped view";
  bool warmed = false;
  self->request(cache, 5s, warm_atom::value, std::vector<protocol::viewer_scope>{{}, {1}, {2}})
      .receive([&](bool ok) { warmed = ok; }, [](caf::error&) {});
  EXPECT_TRUE(warmed);
}

// ---- session actor -----------------------------------------------------------

// Query stand-in that remembers the last query it was given.
struct recorded_queries {
  std::mutex mutex;
  std::vector<protocol::list_query> queries;
  std::vector<protocol::viewer_scope> scopes;
  // Stands for the data: each answer's total is 100 + data_version, so a
  // test "writes" by raising it.
  std::atomic<int> data_version{0};
  // While positive, queries fail (as a timeout would) and count it down.
  std::atomic<int> failures_to_give{0};
  std::size_t query_count() {
    std::lock_guard lock{mutex};
    return queries.size();
  }
};

query_actor::behavior_type recording_queries(query_actor::pointer, std::shared_ptr<recorded_queries> record) {
  return {
      [record](list_atom, const protocol::list_query& query, const protocol::viewer_scope& scope) -> page_reply {
        std::lock_guard lock{record->mutex};
        record->queries.push_back(query);
        record->scopes.push_back(scope);
        if (record->failures_to_give > 0) {
          --record->failures_to_give;
          return protocol::protocol_error{protocol::error_code::timeout, "the query took too long"};
        }
        return page_of(100 + record->data_version.load(), query.paging.offset + 1,
                       static_cast<int>(std::min<std::int64_t>(query.paging.limit, 3)));
      },
  };
}

class session_test : public actors_test {
 protected:
  std::shared_ptr<recorded_queries> record = std::make_shared<recorded_queries>();
  std::shared_ptr<recording_link> link = std::make_shared<recording_link>();

  live_updates_settings live_settings{};
  query_actor queries;
  live_updates_actor live;

  // Sessions of one test share the query stand-in and the live-updates actor.
  session_actor start_session(session_settings settings, connection_request request = {},
                              std::shared_ptr<recording_link> session_link = nullptr) {
    if (!queries) {
      queries = stop_later(system.spawn(recording_queries, record));
      live = stop_later(spawn_live_updates_actor(system, queries, live_settings, metrics));
    }
    auto cache = stop_later(spawn_cache_actor(system, make_storage(), metrics));
    auto session = stop_later(spawn_session_actor(system, session_link ? session_link : link, std::move(request),
                                                  settings, {queries, cache, live, metrics}));
    caf::anon_send(session, start_atom::value);
    return session;
  }
  // A committed change that every view sees.
  void write_and_announce() {
    ++record->data_version;
    change_event change;
    change.everything = true;
    caf::anon_send(live, changes_atom::value, change);
  }
  void send(const session_actor& session, const std::string& frame) {
    caf::anon_send(session, frame_atom::value, frame);
  }
};

TEST_F(session_test, greets_then_sends_the_initial_list_then_answers_in_order) {
  auto session = start_session({});
  EXPECT_EQ(link->frame(0)["type"], "connection_established");
  EXPECT_EQ(link->frame(1)["type"], "customers_list");
  send(session, R"({"type":"ping","request_id":1})");
  send(session, R"({"type":"get_customers","filters":{"page":2},"request_id":"b"})");
  send(session, R"({"type":"ping","request_id":3})");
  EXPECT_EQ(link->frame(2)["type"], "pong");
  EXPECT_EQ(link->frame(2)["request_id"], 1);
  EXPECT_EQ(link->frame(3)["type"], "customers_list");
  EXPECT_EQ(link->frame(3)["request_id"], "b");
  EXPECT_EQ(link->frame(3)["customers"][0]["id"], 21);
  EXPECT_EQ(link->frame(4)["request_id"], 3);
}

TEST_F(session_test, without_initial_list_only_greets) {
  session_settings settings;
  settings.initial_list = false;
  auto session = start_session(settings);
  EXPECT_EQ(link->frame(0)["type"], "connection_established");
  send(session, R"({"type":"ping"})");
  EXPECT_EQ(link->frame(1)["type"], "pong");
}

TEST_F(session_test, refresh_repeats_the_last_answered_query_and_errors_do_not_replace_it) {
  auto session = start_session({});
  link->frame(1);
  send(session, R"({"type":"filter_customers","filters":{"source":"telegram","page":3}})");
  EXPECT_EQ(link->frame(2)["pagination"]["page"], 3);
  send(session, R"({"type":"filter_customers","filters":{"page":0}})");
  EXPECT_EQ(link->frame(3)["type"], "error");
  EXPECT_EQ(link->frame(3)["code"], "invalid_filter");
  send(session, R"({"type":"refresh_customers"})");
  auto refreshed = link->frame(4);
  EXPECT_EQ(refreshed["type"], "customers_list");
  EXPECT_EQ(refreshed["pagination"]["page"], 3);
  EXPECT_EQ(refreshed["filters"]["source"], "telegram");
  std::lock_guard lock{record->mutex};
  ASSERT_EQ(record->queries.size(), 3u) << "initial, filter, refresh; the invalid request never reached a query";
  EXPECT_EQ(record->queries.back().filter.sources, std::vector<std::string>{"telegram"});
}

TEST_F(session_test, binary_frames_and_bad_json_are_errors_and_the_session_goes_on) {
  auto session = start_session({});
  link->frame(1);
  caf::anon_send(session, binary_atom::value);
  send(session, "{not json");
  send(session, R"({"type":"ping"})");
  EXPECT_EQ(link->frame(2)["code"], "invalid_message");
  EXPECT_EQ(link->frame(3)["code"], "invalid_json");
  EXPECT_EQ(link->frame(4)["type"], "pong");
  EXPECT_NE(metrics->render().find("customer_ws_errors_total{code=\"invalid_json\"} 1"), std::string::npos);
}

TEST_F(session_test, rate_limit_refuses_requests_beyond_the_burst) {
  session_settings settings;
  settings.initial_list = false;
  settings.rate_limit_per_second = 1;
  settings.rate_limit_burst = 3;
  auto session = start_session(settings);
  for (int i = 0; i < 5; ++i) send(session, R"({"type":"ping","request_id":)" + std::to_string(i) + "}");
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(link->frame(i)["type"], "pong");
  EXPECT_EQ(link->frame(4)["code"], "rate_limited");
  EXPECT_EQ(link->frame(4)["request_id"], 3);
  EXPECT_EQ(link->frame(5)["code"], "rate_limited");
}

std::string base64url(const std::string& data) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += alphabet[(n >> shift) & 63];
  }
  if (i + 1 == data.size()) {
    unsigned n = static_cast<unsigned char>(data[i]) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
  } else if (i + 2 == data.size()) {
    unsigned n = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
  }
  return out;
}

std::string make_token(const std::string& secret, const nlohmann::json& claims) {
  auto signing_input = base64url(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url(claims.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &mac_size);
  return signing_input + "." + base64url(std::string(reinterpret_cast<char*>(mac), mac_size));
}

TEST_F(session_test, jwt_mode_scopes_queries_to_the_token_user) {
  session_settings settings;
  settings.auth = auth_mode::jwt;
  settings.jwt_secret = "secret";
  connection_request request;
  auto exp = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()) + 300s;
  request.bearer_token = make_token("secret", {{"user_id", "42"}, {"exp", exp.count()}, {"token_type", "access"}});
  start_session(settings, request);
  EXPECT_EQ(link->frame(0)["type"], "connection_established");
  EXPECT_EQ(link->frame(1)["type"], "customers_list");
  std::lock_guard lock{record->mutex};
  ASSERT_EQ(record->scopes.size(), 1u);
  EXPECT_EQ(record->scopes.front().user_id, 42);
}

TEST_F(session_test, jwt_mode_refuses_a_missing_token_with_4001_and_nothing_else) {
  session_settings settings;
  settings.auth = auth_mode::jwt;
  settings.jwt_secret = "secret";
  auto session = start_session(settings);
  auto refusal = link->frame(0);
  EXPECT_EQ(refusal["type"], "authentication_error");
  EXPECT_EQ(refusal["error_code"], "AUTH_REQUIRED");
  EXPECT_EQ(link->close_code(), 4001);
  send(session, R"({"type":"ping"})");
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(link->frame_count(), 1u);
  std::lock_guard lock{record->mutex};
  EXPECT_TRUE(record->queries.empty());
}

TEST_F(session_test, jwt_mode_refuses_a_wrongly_signed_token) {
  session_settings settings;
  settings.auth = auth_mode::jwt;
  settings.jwt_secret = "secret";
  connection_request request;
  auto exp = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()) + 300s;
  request.parameters.token = make_token("other", {{"user_id", 1}, {"exp", exp.count()}});
  start_session(settings, request);
  EXPECT_EQ(link->frame(0)["error_code"], "INVALID_TOKEN");
  EXPECT_EQ(link->close_code(), 4001);
}

// ---- live updates ------------------------------------------------------------

// Waits until the link holds `count` frames or `timeout` passes.
bool wait_for_frames(recording_link& link, std::size_t count, std::chrono::milliseconds timeout = 5s) {
  return !link.frame(count - 1, timeout).contains("missing_frame");
}

TEST_F(session_test, a_change_pushes_the_current_query_again_only_when_the_answer_differs) {
  auto session = start_session({});
  ASSERT_TRUE(wait_for_frames(*link, 2));  // greeting, initial list
  send(session, R"({"type":"filter_customers","filters":{"source":"telegram"},"request_id":7})");
  ASSERT_EQ(link->frame(2)["request_id"], 7);
  // A change whose re-run gives the same answer pushes nothing.
  caf::anon_send(live, changes_atom::value, change_event{0, true, {}, {}});
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(link->frame_count(), 3u);
  EXPECT_GE(record->query_count(), 3u) << "the re-run happened";
  write_and_announce();
  auto pushed = link->frame(3);
  EXPECT_EQ(pushed["type"], "customers_list");
  EXPECT_EQ(pushed["reason"], "update");
  EXPECT_FALSE(pushed.contains("request_id"));
  EXPECT_EQ(pushed["count"], 101);
  EXPECT_EQ(pushed["filters"]["source"], "telegram") << "the current query, not the initial one";
  EXPECT_EQ(link->update_count(), 1u);
}

TEST_F(session_test, sessions_with_the_same_query_share_one_run) {
  auto second_link = std::make_shared<recording_link>();
  start_session({});
  start_session({}, {}, second_link);
  ASSERT_TRUE(wait_for_frames(*link, 2));
  ASSERT_TRUE(wait_for_frames(*second_link, 2));
  std::this_thread::sleep_for(50ms);  // both watch requests arrive
  auto before = record->query_count();
  write_and_announce();
  EXPECT_EQ(link->frame(2)["count"], 101);
  EXPECT_EQ(second_link->frame(2)["count"], 101);
  EXPECT_EQ(record->query_count(), before + 1);
}

TEST_F(session_test, pushes_keep_the_interval_and_the_newest_answer_wins) {
  live_settings.min_interval = 200ms;
  session_settings settings;
  settings.live_min_interval = 200ms;
  start_session(settings);
  ASSERT_TRUE(wait_for_frames(*link, 2));
  std::this_thread::sleep_for(50ms);
  for (int i = 0; i < 20; ++i) {  // 20 changes within about 200 ms
    write_and_announce();
    std::this_thread::sleep_for(10ms);
  }
  // Pushes: the first at once, then at most one per interval.
  std::this_thread::sleep_for(1s);
  std::size_t seen = link->frame_count();
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  for (std::size_t i = 2; i < seen; ++i) arrivals.push_back(link->frame_time(i));
  ASSERT_GE(arrivals.size(), 2u);
  EXPECT_LE(arrivals.size(), 3u) << "20 changes in 200 ms, 200 ms apart: at most 3 pushes";
  for (std::size_t i = 1; i < arrivals.size(); ++i)
    EXPECT_GE(arrivals[i] - arrivals[i - 1], 190ms) << "push " << i;
  EXPECT_EQ(link->frame(seen - 1)["count"], 120) << "the last push is current";
}

TEST_F(session_test, unsubscribe_stops_pushes_and_subscribe_catches_up) {
  auto session = start_session({});
  ASSERT_TRUE(wait_for_frames(*link, 2));
  send(session, R"({"type":"unsubscribe"})");
  ASSERT_EQ(link->frame(2)["type"], "subscription");
  std::this_thread::sleep_for(50ms);
  write_and_announce();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(link->frame_count(), 3u) << "no push while unsubscribed";
  send(session, R"({"type":"subscribe"})");
  EXPECT_EQ(link->frame(3)["type"], "subscription");
  auto pushed = link->frame(4);
  EXPECT_EQ(pushed["reason"], "update") << "the change made while unsubscribed arrives";
  EXPECT_EQ(pushed["count"], 101);
}

TEST_F(session_test, a_change_for_another_user_does_not_run_a_scoped_query) {
  session_settings settings;
  settings.auth = auth_mode::jwt;
  settings.jwt_secret = "secret";
  connection_request request;
  auto exp = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()) + 300s;
  request.bearer_token = make_token("secret", {{"user_id", 42}, {"exp", exp.count()}});
  start_session(settings, request);
  ASSERT_TRUE(wait_for_frames(*link, 2));
  std::this_thread::sleep_for(50ms);
  auto before = record->query_count();
  ++record->data_version;
  caf::anon_send(live, changes_atom::value, change_event{1, false, {10}, {7}});
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(record->query_count(), before) << "user 7's change is not user 42's business";
  EXPECT_EQ(link->frame_count(), 2u);
  caf::anon_send(live, changes_atom::value, change_event{2, false, {10}, {7, 42}});
  EXPECT_EQ(link->frame(2)["reason"], "update");
}

// Query stand-in that takes 20 ms per query and records how many further
// queries were waiting in its mailbox meanwhile.
struct slow_queries_record {
  std::atomic<std::size_t> answered{0};
  std::atomic<std::size_t> most_waiting{0};
};

query_actor::behavior_type slow_queries(query_actor::pointer self, std::shared_ptr<slow_queries_record> record) {
  return {
      [self, record](list_atom, const protocol::list_query& query, const protocol::viewer_scope&) -> page_reply {
        auto waiting = self->mailbox().count();
        if (waiting > record->most_waiting) record->most_waiting = waiting;
        std::this_thread::sleep_for(20ms);
        ++record->answered;
        return page_of(100 + static_cast<std::int64_t>(record->answered.load()), query.paging.offset + 1, 1);
      },
  };
}

TEST_F(session_test, a_failed_re_run_is_tried_again) {
  start_session({});
  ASSERT_TRUE(wait_for_frames(*link, 2));
  std::this_thread::sleep_for(50ms);
  record->failures_to_give = 1;
  auto before = record->query_count();
  write_and_announce();
  auto pushed = link->frame(2, 5s);
  EXPECT_EQ(pushed["reason"], "update") << "pushed once the second run succeeded, with no further change";
  EXPECT_EQ(pushed["count"], 101);
  EXPECT_EQ(record->query_count(), before + 2);
}

TEST_F(session_test, refreshing_the_same_query_keeps_one_run_at_a_time) {
  auto session = start_session({});
  ASSERT_TRUE(wait_for_frames(*link, 2));
  // Re-watching the same query (refresh) while changes arrive must neither
  // start a second run beside the first nor lose the newest answer.
  for (int i = 0; i < 5; ++i) {
    write_and_announce();
    send(session, R"({"type":"refresh_customers"})");
  }
  std::this_thread::sleep_for(800ms);
  auto frames = link->frame_count();
  ASSERT_GE(frames, 7u);
  std::int64_t last_count = 0;
  for (std::size_t i = 2; i < frames; ++i) last_count = link->frame(i)["count"];
  EXPECT_EQ(last_count, 105) << "the last list sent is current";
}

TEST_F(session_test, live_runs_in_flight_stay_under_the_limit) {
  auto slow = std::make_shared<slow_queries_record>();
  queries = stop_later(system.spawn<caf::detached>(slow_queries, slow));
  live_settings.max_concurrent_runs = 2;
  live = stop_later(spawn_live_updates_actor(system, queries, live_settings, metrics));
  std::vector<std::shared_ptr<recording_link>> links;
  for (int i = 0; i < 8; ++i) {  // eight different queries: eight groups
    links.push_back(std::make_shared<recording_link>());
    session_settings settings;
    settings.initial_list = false;
    auto session = start_session(settings, {}, links.back());
    send(session, R"({"type":"filter_customers","filters":{"page":)" + std::to_string(i + 1) + "}}");
    ASSERT_TRUE(wait_for_frames(*links.back(), 2));
  }
  std::this_thread::sleep_for(50ms);
  auto before = slow->answered.load();
  slow->most_waiting = 0;
  caf::anon_send(live, changes_atom::value, change_event{1, true, {}, {}});
  for (auto& session_link : links) EXPECT_EQ(session_link->frame(2)["reason"], "update");
  EXPECT_EQ(slow->answered.load(), before + 8) << "one run per group";
  EXPECT_LE(slow->most_waiting.load(), 1u) << "at most two runs in flight: the one answered and one waiting";
}

TEST_F(actors_test, cache_drops_only_the_scopes_a_change_reaches) {
  auto cache = stop_later(spawn_cache_actor(system, make_storage(), metrics));
  caf::scoped_actor self{system};
  auto ask = [&](protocol::viewer_scope scope) {
    self->request(cache, 5s, options_atom::value, scope).receive([](options_reply&) {}, [](caf::error&) {});
  };
  ask({});
  ask({5});
  ask({7});
  ASSERT_EQ(option_fetches->load(), 3);
  self->send(cache, changes_atom::value, change_event{1, false, {100}, {7}});
  ask({5});
  EXPECT_EQ(option_fetches->load(), 3) << "user 5 is not reached";
  ask({7});
  ask({});
  EXPECT_EQ(option_fetches->load(), 5) << "user 7 and the unscoped view are";
  self->send(cache, changes_atom::value, change_event{2, true, {}, {}});
  ask({5});
  EXPECT_EQ(option_fetches->load(), 6) << "everything reaches every scope";
}

TEST_F(actors_test, cache_does_not_keep_an_answer_whose_fetch_a_change_overtook) {
  auto cache = stop_later(spawn_cache_actor(system, make_storage(), metrics));
  caf::scoped_actor self{system};
  // The fake storage takes 50 ms per fetch: the change arrives meanwhile.
  self->send(cache, options_atom::value, protocol::viewer_scope{});
  std::this_thread::sleep_for(10ms);
  self->send(cache, changes_atom::value, change_event{1, false, {1}, {}});
  self->receive([](options_reply&) {}, caf::after(5s) >> [] { FAIL() << "no answer"; });
  self->request(cache, 5s, options_atom::value, protocol::viewer_scope{}).receive([](options_reply&) {}, [](caf::error&) {});
  EXPECT_EQ(option_fetches->load(), 2) << "the overtaken answer was not cached";
}

TEST(change_event_test, reaches_the_unscoped_view_always_and_users_it_names) {
  change_event change{1, false, {3}, {5, 9}};
  EXPECT_TRUE(change.reaches({}));
  EXPECT_TRUE(change.reaches({5}));
  EXPECT_TRUE(change.reaches({9}));
  EXPECT_FALSE(change.reaches({6}));
  change.everything = true;
  EXPECT_TRUE(change.reaches({6}));
}

}  // namespace
}  // namespace cws::actors
