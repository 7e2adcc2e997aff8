#include "actors/session_actor.hpp"

#include <algorithm>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/live_updates_actor.hpp"
#include "actors/metrics.hpp"
#include "actors/reply_errors.hpp"
#include "protocol/auth.hpp"
#include "protocol/response.hpp"
#include "protocol/time.hpp"

namespace cws::actors {

namespace {

// WebSocket close code for a refused token (PROTOCOL.md, Authentication).
constexpr std::uint16_t close_authentication_failed = 4001;

// Time allowed beyond the query limit for the query actor's own timeout
// answer to arrive before the session gives up on it.
constexpr std::chrono::seconds reply_grace{5};

struct session_state {
  std::shared_ptr<connection_link> link;
  session_settings settings;
  session_services services;
  connection_request request;
  protocol::viewer_scope scope;
  // The query refresh_customers repeats and live updates follow: the last
  // list request that was answered with a list.
  std::optional<protocol::list_query> current_query;
  std::string current_key;          // its live_query_key
  steady_time current_query_started{};
  // Live updates. Invariants: while `live` and a current query exist, the
  // live-updates actor has this session in the group of `current_key`;
  // `last_fingerprint` describes the last list sent (answer or push);
  // `held_push` is the newest push that the interval held back, and a
  // flush_atom is on its way exactly while `flush_scheduled`.
  bool live = true;
  std::optional<std::uint64_t> last_fingerprint;
  steady_time last_push_at{};
  live_list_pointer held_push;
  bool flush_scheduled = false;
  bool refused = false;  // authentication failed: nothing more is sent
  double tokens = 0;
  std::chrono::steady_clock::time_point tokens_updated;
  static inline const char* name = "session";
};

using session_pointer = session_actor::stateful_pointer<session_state>;

void send_error(session_pointer self, const protocol::protocol_error& error,
                const std::optional<protocol::request_id>& id) {
  self->state.services.metrics->error_sent(protocol::to_string(error.code));
  self->state.link->send_text(protocol::error_json(error, id, protocol::now_ms()));
}

// Takes one token from the connection's bucket; false when it is empty.
bool take_token(session_state& state) {
  auto now = std::chrono::steady_clock::now();
  std::chrono::duration<double> elapsed = now - state.tokens_updated;
  state.tokens_updated = now;
  state.tokens = std::min(state.settings.rate_limit_burst,
                          state.tokens + elapsed.count() * state.settings.rate_limit_per_second);
  if (state.tokens < 1) return false;
  state.tokens -= 1;
  return true;
}

void watch_current_query(session_pointer self) {
  auto& state = self->state;
  if (!state.live || !state.current_query) return;
  self->send(state.services.live_updates, watch_atom::value, caf::actor_cast<session_actor>(self),
             *state.current_query, state.scope, state.current_query_started);
}

void unwatch(session_pointer self) {
  self->send(self->state.services.live_updates, unwatch_atom::value, caf::actor_cast<session_actor>(self));
}

void push(session_pointer self, const live_list& list) {
  auto& state = self->state;
  state.link->send_update(list.json);
  state.last_fingerprint = list.fingerprint;
  state.last_push_at = std::chrono::steady_clock::now();
  state.services.metrics->live_push_sent();
}

// A live query's new answer: pushed when it differs from the last list sent,
// no sooner than the interval allows (the newest one waits; older ones are
// dropped).
void offer_push(session_pointer self, live_list_pointer list) {
  auto& state = self->state;
  if (!state.live || !list || list->query_key != state.current_key) return;
  if (state.last_fingerprint == list->fingerprint) {
    state.held_push.reset();
    return;
  }
  auto now = std::chrono::steady_clock::now();
  auto due = state.last_push_at + state.settings.live_min_interval;
  if (now >= due) {
    state.held_push.reset();
    push(self, *list);
    return;
  }
  state.held_push = std::move(list);
  if (state.flush_scheduled) return;
  state.flush_scheduled = true;
  self->delayed_send(self, due - now, flush_atom::value);
}

// Runs a list query and sends its answer. `await` keeps the connection's
// answers in the order of its requests.
void run_list(session_pointer self, protocol::list_query query, std::vector<std::string> warnings,
              std::optional<protocol::request_id> id) {
  auto timeout = self->state.settings.query_timeout + reply_grace;
  auto started = std::chrono::steady_clock::now();
  self->request(self->state.services.queries, timeout, list_atom::value, query, self->state.scope)
      .await(
          [=](page_reply& reply) mutable {
            if (auto error = std::get_if<protocol::protocol_error>(&reply)) {
              send_error(self, *error, id);
              return;
            }
            auto& page = std::get<protocol::customer_page>(reply);
            auto& state = self->state;
            state.link->send_text(protocol::customers_list_json(query, page, warnings, id, protocol::now_ms()));
            state.last_fingerprint = protocol::list_fingerprint(query, page);
            state.held_push.reset();
            state.current_key = live_query_key(query, state.scope);
            state.current_query = std::move(query);
            state.current_query_started = started;
            watch_current_query(self);
          },
          [=](caf::error& error) { send_error(self, request_failure_error(error), id); });
}

void send_filter_options(session_pointer self, std::optional<protocol::request_id> id) {
  self->request(self->state.services.cache, self->state.settings.query_timeout + reply_grace,
                options_atom::value, self->state.scope)
      .await(
          [=](options_reply& reply) {
            if (auto error = std::get_if<protocol::protocol_error>(&reply))
              send_error(self, *error, id);
            else
              self->state.link->send_text(protocol::filter_options_json(
                  std::get<protocol::filter_options>(reply), id, protocol::now_ms()));
          },
          [=](caf::error&) { send_error(self, database_unavailable_error(), id); });
}

// The query used before the client has asked for one: no filters, with the
// connection's pagination defaults.
std::optional<protocol::list_query> default_query(session_pointer self, std::vector<std::string>& warnings) {
  auto parsed = protocol::parse_filters("{}", self->state.request.parameters.defaults, warnings);
  if (auto query = std::get_if<protocol::list_query>(&parsed)) return std::move(*query);
  return std::nullopt;  // cannot happen: the defaults were validated at connect time
}

// True when the connection may go on; false after refusing it.
bool authenticate(session_pointer self) {
  auto& state = self->state;
  if (state.settings.auth == auth_mode::none) return true;
  std::string token;
  if (state.request.parameters.token && !state.request.parameters.token->empty())
    token = *state.request.parameters.token;
  else if (state.request.bearer_token)
    token = *state.request.bearer_token;
  auto verdict = protocol::verify_token(token, state.settings.jwt_secret, protocol::now_ms());
  if (auto user_id = std::get_if<std::int64_t>(&verdict)) {
    state.scope.user_id = *user_id;
    return true;
  }
  const auto& failure = std::get<protocol::authentication_failure>(verdict);
  state.refused = true;
  state.link->send_text(protocol::authentication_error_json(failure.error_code, failure.message, protocol::now_ms()));
  state.link->close(close_authentication_failed, "authentication failed");
  return false;
}

void handle_frame(session_pointer self, const std::string& frame) {
  auto& state = self->state;
  auto parsed = protocol::parse_request(frame, state.request.parameters.defaults);
  if (!parsed.ok()) {
    state.services.metrics->request_received("unknown");
    send_error(self, std::get<protocol::protocol_error>(parsed.value), parsed.id);
    return;
  }
  auto& request = std::get<protocol::request>(parsed.value);
  state.services.metrics->request_received(request.type);
  if (!take_token(state)) {
    send_error(self,
               {protocol::error_code::rate_limited,
                "too many requests: at most " + std::to_string(static_cast<long>(state.settings.rate_limit_per_second)) +
                    " per second"},
               request.id);
    return;
  }
  switch (request.kind) {
    case protocol::request_kind::list:
      run_list(self, std::move(request.query), std::move(request.warnings), request.id);
      break;
    case protocol::request_kind::refresh: {
      std::vector<std::string> warnings;
      auto query = state.current_query ? state.current_query : default_query(self, warnings);
      if (query) run_list(self, std::move(*query), std::move(warnings), request.id);
      break;
    }
    case protocol::request_kind::filter_options:
      send_filter_options(self, request.id);
      break;
    case protocol::request_kind::ping:
      state.link->send_text(protocol::pong_json(request.id, protocol::now_ms()));
      break;
    case protocol::request_kind::subscribe:
    case protocol::request_kind::unsubscribe: {
      bool live = request.kind == protocol::request_kind::subscribe;
      if (live && !state.live) {
        state.live = true;
        // Changes made while unsubscribed reach the list now: the live-updates
        // actor runs the query again when it saw a change since it started.
        watch_current_query(self);
      } else if (!live && state.live) {
        state.live = false;
        state.held_push.reset();
        unwatch(self);
      }
      state.link->send_text(protocol::subscription_json(state.live, request.id, protocol::now_ms()));
      break;
    }
  }
}

session_actor::behavior_type session_behavior(session_pointer self, std::shared_ptr<connection_link> link,
                                              connection_request request, session_settings settings,
                                              session_services services) {
  self->state.link = std::move(link);
  self->state.request = std::move(request);
  self->state.settings = std::move(settings);
  self->state.services = std::move(services);
  self->state.tokens = self->state.settings.rate_limit_burst;
  self->state.tokens_updated = std::chrono::steady_clock::now();
  return {
      [self](start_atom) {
        if (!authenticate(self)) {
          self->quit();
          return;
        }
        self->state.link->send_text(protocol::connection_established_json(protocol::now_ms()));
        if (!self->state.settings.initial_list) return;
        auto warnings = self->state.request.parameters.warnings;
        if (auto query = default_query(self, warnings)) run_list(self, std::move(*query), std::move(warnings), std::nullopt);
      },
      [self](frame_atom, const std::string& frame) {
        if (!self->state.refused) handle_frame(self, frame);
      },
      [self](binary_atom) {
        if (self->state.refused) return;
        self->state.services.metrics->request_received("unknown");
        send_error(self, {protocol::error_code::invalid_message, "binary frames are not supported: send JSON text"},
                   std::nullopt);
      },
      [self](closed_atom) {
        unwatch(self);
        self->quit();
      },
      [self](update_atom, live_list_pointer list) {
        if (!self->state.refused) offer_push(self, std::move(list));
      },
      [self](flush_atom) {
        auto& state = self->state;
        state.flush_scheduled = false;
        if (auto held = std::move(state.held_push)) offer_push(self, std::move(held));
      },
  };
}

}  // namespace

session_actor spawn_session_actor(caf::actor_system& system, std::shared_ptr<connection_link> link,
                                  connection_request request, const session_settings& settings,
                                  const session_services& services) {
  return system.spawn(session_behavior, std::move(link), std::move(request), settings, services);
}

}  // namespace cws::actors
