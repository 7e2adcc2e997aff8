#include "actors/cache_actor.hpp"

#include <functional>
#include <map>
#include <set>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/metrics.hpp"
#include "actors/reply_errors.hpp"

namespace cws::actors {

namespace {

using options_waiter = std::function<void(const options_reply&)>;

// Invariants:
// - an entry is current: no change event that reaches its scope has arrived
//   since the fetch that produced it started;
// - a scope is a key of `pending` exactly while one fetch for it is in
//   flight; whoever asks for that scope meanwhile waits in its vector instead
//   of starting a second fetch;
// - `outdated` holds the scopes whose fetch in flight started before a
//   change reached them: its answer goes to the waiters but is not kept.
struct cache_state {
  std::map<protocol::viewer_scope, protocol::filter_options> entries;
  std::map<protocol::viewer_scope, std::vector<options_waiter>> pending;
  std::set<protocol::viewer_scope> outdated;
  static inline const char* name = "filter-options-cache";
};

using cache_pointer = cache_actor::stateful_pointer<cache_state>;

void finish_fetch(cache_pointer self, const protocol::viewer_scope& scope, const options_reply& reply) {
  bool overtaken = self->state.outdated.erase(scope) > 0;
  auto options = std::get_if<protocol::filter_options>(&reply);
  if (options && !overtaken) self->state.entries[scope] = *options;
  auto waiters = std::move(self->state.pending[scope]);
  self->state.pending.erase(scope);
  for (auto& waiter : waiters) waiter(reply);
}

// Drops what a change made stale.
void forget(cache_pointer self, const change_event& event) {
  auto& state = self->state;
  auto stale = [&](const protocol::viewer_scope& scope) { return event.reaches(scope); };
  for (auto entry = state.entries.begin(); entry != state.entries.end();)
    entry = stale(entry->first) ? state.entries.erase(entry) : std::next(entry);
  for (const auto& [scope, waiters] : state.pending)
    if (stale(scope)) state.outdated.insert(scope);
}

// Calls `waiter` with the options of `scope`: from the cache when present,
// otherwise from one (shared) fetch from the source.
void with_options(cache_pointer self, const options_source& source,
                  const std::shared_ptr<service_metrics>& metrics, const protocol::viewer_scope& scope,
                  options_waiter waiter) {
  auto found = self->state.entries.find(scope);
  if (found != self->state.entries.end()) {
    waiter(options_reply{found->second});
    return;
  }
  auto [waiting, first] = self->state.pending.try_emplace(scope);
  waiting->second.push_back(std::move(waiter));
  if (!first) return;
  auto started = std::chrono::steady_clock::now();
  self->request(source, std::chrono::minutes{5}, fetch_options_atom::value, scope)
      .then(
          [=](options_reply& reply) {
            metrics->query_finished("filter_options", std::chrono::steady_clock::now() - started);
            finish_fetch(self, scope, reply);
          },
          [=](caf::error&) { finish_fetch(self, scope, options_reply{database_unavailable_error()}); });
}

cache_actor::behavior_type cache_behavior(cache_pointer self, options_source source,
                                          std::shared_ptr<service_metrics> metrics) {
  return {
      [=](options_atom, const protocol::viewer_scope& scope) -> caf::result<options_reply> {
        auto promise = self->make_response_promise<options_reply>();
        with_options(self, source, metrics, scope,
                     [promise](const options_reply& reply) mutable { promise.deliver(reply); });
        return promise;
      },
      [=](warm_atom, const std::vector<protocol::viewer_scope>& scopes) -> caf::result<bool> {
        // Answers once every scope has been fetched: true when all succeeded.
        auto promise = self->make_response_promise<bool>();
        if (scopes.empty()) {
          promise.deliver(true);
          return promise;
        }
        auto remaining = std::make_shared<std::size_t>(scopes.size());
        auto all_ok = std::make_shared<bool>(true);
        for (const auto& scope : scopes)
          with_options(self, source, metrics, scope, [=](const options_reply& reply) mutable {
            if (!std::holds_alternative<protocol::filter_options>(reply)) *all_ok = false;
            if (--*remaining == 0) promise.deliver(*all_ok);
          });
        return promise;
      },
      [=](changes_atom, const change_event& event) { forget(self, event); },
  };
}

}  // namespace

cache_actor spawn_cache_actor(caf::actor_system& system, options_source source,
                              std::shared_ptr<service_metrics> metrics) {
  return system.spawn(cache_behavior, std::move(source), std::move(metrics));
}

}  // namespace cws::actors
