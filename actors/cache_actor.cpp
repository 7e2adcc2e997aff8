#include "actors/cache_actor.hpp"

#include <functional>
#include <map>
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

struct cache_entry {
  protocol::filter_options options;
  std::chrono::steady_clock::time_point computed_at;
};

// Invariant: a scope is a key of `pending` exactly while one fetch for it is
// in flight; whoever asks for that scope meanwhile waits in its vector instead
// of starting a second fetch.
struct cache_state {
  std::map<protocol::viewer_scope, cache_entry> entries;
  std::map<protocol::viewer_scope, std::vector<options_waiter>> pending;
  static inline const char* name = "filter-options-cache";
};

using cache_pointer = cache_actor::stateful_pointer<cache_state>;

void finish_fetch(cache_pointer self, const protocol::viewer_scope& scope, const options_reply& reply) {
  if (auto options = std::get_if<protocol::filter_options>(&reply))
    self->state.entries[scope] = cache_entry{*options, std::chrono::steady_clock::now()};
  auto waiters = std::move(self->state.pending[scope]);
  self->state.pending.erase(scope);
  for (auto& waiter : waiters) waiter(reply);
}

// Calls `waiter` with the options of `scope`: from the cache while fresh,
// otherwise from one (shared) storage fetch.
void with_options(cache_pointer self, const storage_actor& storage, const cache_settings& settings,
                  const std::shared_ptr<service_metrics>& metrics, const protocol::viewer_scope& scope,
                  options_waiter waiter) {
  auto found = self->state.entries.find(scope);
  if (found != self->state.entries.end() &&
      std::chrono::steady_clock::now() - found->second.computed_at < settings.max_age) {
    waiter(options_reply{found->second.options});
    return;
  }
  auto [waiting, first] = self->state.pending.try_emplace(scope);
  waiting->second.push_back(std::move(waiter));
  if (!first) return;
  auto started = std::chrono::steady_clock::now();
  self->request(storage, std::chrono::minutes{5}, fetch_options_atom::value, scope)
      .then(
          [=](options_reply& reply) {
            metrics->query_finished("filter_options", std::chrono::steady_clock::now() - started);
            finish_fetch(self, scope, reply);
          },
          [=](caf::error&) { finish_fetch(self, scope, options_reply{database_unavailable_error()}); });
}

cache_actor::behavior_type cache_behavior(cache_pointer self, storage_actor storage, cache_settings settings,
                                          std::shared_ptr<service_metrics> metrics) {
  return {
      [=](options_atom, const protocol::viewer_scope& scope) -> caf::result<options_reply> {
        auto promise = self->make_response_promise<options_reply>();
        with_options(self, storage, settings, metrics, scope,
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
          with_options(self, storage, settings, metrics, scope, [=](const options_reply& reply) mutable {
            if (!std::holds_alternative<protocol::filter_options>(reply)) *all_ok = false;
            if (--*remaining == 0) promise.deliver(*all_ok);
          });
        return promise;
      },
  };
}

}  // namespace

cache_actor spawn_cache_actor(caf::actor_system& system, storage_actor storage, cache_settings settings,
                              std::shared_ptr<service_metrics> metrics) {
  return system.spawn(cache_behavior, std::move(storage), settings, std::move(metrics));
}

}  // namespace cws::actors
