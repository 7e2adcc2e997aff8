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

query_actor::behavior_type query_behavior(query_actor::pointer self, storage_actor storage, index_actor index,
                                          query_settings settings, std::shared_ptr<service_metrics> metrics) {
  return {
      [=](list_atom, protocol::list_query& query, protocol::viewer_scope& scope) -> caf::result<page_reply> {
        auto started = std::chrono::steady_clock::now();
        auto deadline = started + settings.timeout;
        auto promise = self->make_response_promise<page_reply>();
        auto finished = [=] { metrics->query_finished("list", std::chrono::steady_clock::now() - started); };
        auto failed = [=](caf::error& error) mutable { promise.deliver(page_reply{request_failure_error(error)}); };
        // The page's rows from storage; `total` (from the index) replaces its count.
        auto fetch = [=](auto&&... request) mutable {
          return [=](std::optional<std::int64_t> total) mutable {
            self->request(storage, settings.timeout + reply_grace, request...)
                .then(
                    [=](page_reply& reply) mutable {
                      if (auto* page = std::get_if<protocol::customer_page>(&reply)) {
                        if (total) page->total_count = *total;
                        finished();
                      }
                      promise.deliver(std::move(reply));
                    },
                    failed);
          };
        };
        if (!index) {
          fetch(fetch_page_atom::value, std::move(query), std::move(scope), deadline)(std::nullopt);
          return promise;
        }
        // The index picks the page's customers; storage reads their rows.
        self->request(index, settings.timeout, select_atom::value, std::move(query), scope)
            .then(
                [=](selection_reply& reply) mutable {
                  auto* selection = std::get_if<storage::index_selection>(&reply);
                  if (!selection) {
                    promise.deliver(page_reply{std::get<protocol::protocol_error>(std::move(reply))});
                    return;
                  }
                  if (selection->ids.empty()) {
                    finished();
                    promise.deliver(page_reply{protocol::customer_page{selection->total_count, {}}});
                    return;
                  }
                  fetch(fetch_rows_atom::value, std::move(selection->ids), scope, deadline)(selection->total_count);
                },
                failed);
        return promise;
      },
  };
}

}  // namespace

query_actor spawn_query_pool(caf::actor_system& system, storage_actor storage, index_actor index,
                             query_settings settings, std::shared_ptr<service_metrics> metrics, std::size_t count) {
  auto factory = [&system, storage, index, settings, metrics] {
    return caf::actor_cast<caf::actor>(system.spawn(query_behavior, storage, index, settings, metrics));
  };
  auto pool = caf::actor_pool::make(system.dummy_execution_unit(), count, factory, caf::actor_pool::round_robin());
  return caf::actor_cast<query_actor>(pool);
}

}  // namespace cws::actors
