#include "actors/query_actor.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/metrics.hpp"
#include "actors/reply_errors.hpp"

namespace cws::actors {

namespace {

// Grace beyond the deadline for the storage actor to notice it and answer
// `timeout` itself; past that the storage actor is presumed stuck.
constexpr std::chrono::seconds reply_grace{2};

query_actor::behavior_type query_behavior(query_actor::pointer self, storage_actor storage,
                                          query_settings settings, std::shared_ptr<service_metrics> metrics) {
  return {
      [=](list_atom, protocol::list_query& query, protocol::viewer_scope& scope) -> caf::result<page_reply> {
        auto started = std::chrono::steady_clock::now();
        auto deadline = started + settings.timeout;
        auto promise = self->make_response_promise<page_reply>();
        self->request(storage, settings.timeout + reply_grace, fetch_page_atom::value, std::move(query),
                      std::move(scope), deadline)
            .then(
                [=](page_reply& reply) mutable {
                  metrics->query_finished("list", std::chrono::steady_clock::now() - started);
                  promise.deliver(std::move(reply));
                },
                [=](caf::error& error) mutable { promise.deliver(page_reply{request_failure_error(error)}); });
        return promise;
      },
  };
}

}  // namespace

query_actor spawn_query_pool(caf::actor_system& system, storage_actor storage, query_settings settings,
                             std::shared_ptr<service_metrics> metrics, std::size_t count) {
  auto factory = [&system, storage, settings, metrics] {
    return caf::actor_cast<caf::actor>(system.spawn(query_behavior, storage, settings, metrics));
  };
  auto pool = caf::actor_pool::make(system.dummy_execution_unit(), count, factory, caf::actor_pool::round_robin());
  return caf::actor_cast<query_actor>(pool);
}

}  // namespace cws::actors
