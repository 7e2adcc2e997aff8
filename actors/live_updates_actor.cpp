#include "actors/live_updates_actor.hpp"

#include <deque>
#include <map>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/metrics.hpp"
#include "protocol/request.hpp"
#include "protocol/response.hpp"
#include "protocol/time.hpp"

namespace cws::actors {

namespace {

// Time allowed beyond the query limit for the query actor's own answer.
constexpr std::chrono::seconds reply_grace{5};
// Least wait before a failed run is tried again.
constexpr std::chrono::milliseconds failed_run_pause{1000};

// The sessions watching one (scope, query). Invariants: `running` is true
// while one run of the query is in flight, `scheduled` while a run_atom for
// it is on its way, `queued` while its key waits in `live_state::waiting`; a
// group is never run twice within the minimum interval; `dirty` says a
// change reached the group after its last run started.
struct live_group {
  protocol::list_query query;
  protocol::viewer_scope scope;
  std::map<caf::actor_addr, session_actor> members;
  bool dirty = false;
  bool running = false;
  bool scheduled = false;
  bool queued = false;
  steady_time last_run{};
  // Tells this group from an earlier one under the same key, whose run may
  // still be in flight: such a run's answer is dropped.
  std::uint64_t generation = 0;
};

// Invariants: a session is a member of at most one group, the one `group_of`
// names; a group with no member is removed; `runs_in_flight` counts the
// queries sent and not yet answered, at most settings.max_concurrent_runs.
struct live_state {
  live_updates_settings settings;
  query_actor queries;
  std::shared_ptr<service_metrics> metrics;
  std::map<std::string, live_group> groups;
  std::map<caf::actor_addr, std::string> group_of;
  steady_time last_change_at{};  // when the latest change event arrived
  std::size_t runs_in_flight = 0;
  std::uint64_t groups_made = 0;
  std::deque<std::string> waiting;  // groups due to run, oldest first
  static inline const char* name = "live-updates";
};

using live_pointer = live_updates_actor::stateful_pointer<live_state>;

void leave(live_pointer self, const caf::actor_addr& session) {
  auto& state = self->state;
  auto found = state.group_of.find(session);
  if (found == state.group_of.end()) return;
  auto group = state.groups.find(found->second);
  if (group != state.groups.end()) {
    group->second.members.erase(session);
    if (group->second.members.empty()) state.groups.erase(group);
  }
  state.group_of.erase(found);
}

void mark_dirty(live_pointer self, const std::string& key);
void run_when_possible(live_pointer self, const std::string& key);

// Starts queued runs while there is room.
void start_waiting_runs(live_pointer self) {
  auto& state = self->state;
  while (state.runs_in_flight < state.settings.max_concurrent_runs && !state.waiting.empty()) {
    auto key = std::move(state.waiting.front());
    state.waiting.pop_front();
    auto found = state.groups.find(key);
    if (found == state.groups.end()) continue;  // every member left while it waited
    found->second.queued = false;
    run_when_possible(self, key);
  }
}

void run(live_pointer self, const std::string& key) {
  auto& group = self->state.groups.at(key);
  group.dirty = false;
  group.running = true;
  group.last_run = std::chrono::steady_clock::now();
  ++self->state.runs_in_flight;
  self->state.metrics->live_query_run();
  auto timeout = self->state.settings.query_timeout + reply_grace;
  auto finished = [self, key, generation = group.generation](const page_reply* reply) {
    --self->state.runs_in_flight;
    start_waiting_runs(self);
    auto found = self->state.groups.find(key);
    // Every member left meanwhile (the group may even have been made anew).
    if (found == self->state.groups.end() || found->second.generation != generation) return;
    auto& group = found->second;
    group.running = false;
    auto page = reply ? std::get_if<protocol::customer_page>(reply) : nullptr;
    if (!page) {
      // Timeout or database away: the change is still unseen, so try again,
      // no sooner than a second from now.
      group.dirty = true;
      if (!group.scheduled && !group.queued) {
        group.scheduled = true;
        self->delayed_send(self, std::max<std::chrono::milliseconds>(self->state.settings.min_interval, failed_run_pause),
                           run_atom::value, key);
      }
      return;
    }
    {
      auto list = std::make_shared<live_list>();
      list->query_key = key;
      list->json = protocol::customers_list_json(group.query, *page, {}, std::nullopt, protocol::now_ms(),
                                                 protocol::list_reason::update);
      list->fingerprint = protocol::list_fingerprint(group.query, *page);
      live_list_pointer shared = std::move(list);
      for (const auto& [address, session] : group.members) self->send(session, update_atom::value, shared);
    }
    if (group.dirty) mark_dirty(self, key);
  };
  self->request(self->state.queries, timeout, list_atom::value, group.query, group.scope)
      .then([finished](page_reply& reply) { finished(&reply); }, [finished](caf::error&) { finished(nullptr); });
}

// Runs a due group now when fewer than the maximum runs are in flight, or
// queues it.
void run_when_possible(live_pointer self, const std::string& key) {
  auto& state = self->state;
  auto& group = state.groups.at(key);
  if (group.running || group.queued || !group.dirty) return;
  if (state.runs_in_flight < state.settings.max_concurrent_runs) {
    run(self, key);
    return;
  }
  group.queued = true;
  state.waiting.push_back(key);
}

// Runs the group's query as soon as the minimum interval and the number of
// runs in flight allow.
void mark_dirty(live_pointer self, const std::string& key) {
  auto found = self->state.groups.find(key);
  if (found == self->state.groups.end()) return;
  auto& group = found->second;
  group.dirty = true;
  if (group.running || group.scheduled || group.queued) return;
  auto wait = group.last_run + self->state.settings.min_interval - std::chrono::steady_clock::now();
  if (wait <= steady_time::duration::zero()) {
    run_when_possible(self, key);
    return;
  }
  group.scheduled = true;
  self->delayed_send(self, wait, run_atom::value, key);
}

live_updates_actor::behavior_type live_behavior(live_pointer self, query_actor queries,
                                                live_updates_settings settings,
                                                std::shared_ptr<service_metrics> metrics) {
  self->state.settings = settings;
  self->state.queries = std::move(queries);
  self->state.metrics = std::move(metrics);
  self->set_down_handler([self](caf::down_msg& down) { leave(self, down.source); });
  return {
      [self](watch_atom, session_actor session, const protocol::list_query& query,
             const protocol::viewer_scope& scope, steady_time query_started) {
        auto& state = self->state;
        auto address = session.address();
        auto key = live_query_key(query, scope);
        auto previous = state.group_of.find(address);
        bool known = previous != state.group_of.end();
        // The same query again (refresh, resubscribe) keeps its group, and
        // with it the state of a run in flight.
        if (known && previous->second != key) leave(self, address);
        if (!known) self->monitor(session);
        auto [group, created] = state.groups.try_emplace(key);
        if (created) {
          group->second.query = query;
          group->second.scope = scope;
          group->second.generation = ++state.groups_made;
        }
        group->second.members.emplace(address, std::move(session));
        state.group_of[address] = key;
        // A change that arrived after the session's query started may have
        // committed after that query read: look again.
        if (state.last_change_at >= query_started) mark_dirty(self, key);
      },
      [self](unwatch_atom, const session_actor& session) {
        if (self->state.group_of.count(session.address()) == 0) return;
        leave(self, session.address());
        self->demonitor(session.address());
      },
      [self](changes_atom, const change_event& event) {
        self->state.last_change_at = std::chrono::steady_clock::now();
        for (auto& [key, group] : self->state.groups)
          if (event.reaches(group.scope)) mark_dirty(self, key);
      },
      [self](run_atom, const std::string& key) {
        auto found = self->state.groups.find(key);
        if (found == self->state.groups.end()) return;
        found->second.scheduled = false;
        run_when_possible(self, key);
      },
  };
}

}  // namespace

std::string live_query_key(const protocol::list_query& query, const protocol::viewer_scope& scope) {
  return (scope.user_id ? std::to_string(*scope.user_id) : std::string{"*"}) + '\n' + protocol::query_key(query);
}

live_updates_actor spawn_live_updates_actor(caf::actor_system& system, query_actor queries,
                                            live_updates_settings settings,
                                            std::shared_ptr<service_metrics> metrics) {
  return system.spawn(live_behavior, std::move(queries), settings, std::move(metrics));
}

}  // namespace cws::actors
