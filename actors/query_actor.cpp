#include "actors/query_actor.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/metrics.hpp"
#include "actors/reply_errors.hpp"
#include "storage/row_cache.hpp"

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
        if (!index) {
          self->request(storage, settings.timeout + reply_grace, fetch_page_atom::value, std::move(query),
                        std::move(scope), deadline)
              .then(
                  [=](page_reply& reply) mutable {
                    if (std::holds_alternative<protocol::customer_page>(reply)) finished();
                    promise.deliver(std::move(reply));
                  },
                  failed);
          return promise;
        }
        // The index picks the page's customers and gives the rows it has;
        // storage reads the others.
        self->request(index, settings.timeout, select_atom::value, std::move(query), scope)
            .then(
                [=](selection_reply& reply) mutable {
                  auto* answer = std::get_if<index_answer>(&reply);
                  if (!answer) {
                    promise.deliver(page_reply{std::get<protocol::protocol_error>(std::move(reply))});
                    return;
                  }
                  std::vector<std::int64_t> missing;
                  for (std::size_t position = 0; position < answer->rows.size(); ++position)
                    if (!answer->rows[position]) missing.push_back(answer->selection.ids[position]);
                  if (missing.empty()) {
                    finished();
                    promise.deliver(page_reply{storage::assemble_page(answer->selection, std::move(answer->rows), {}, scope)});
                    return;
                  }
                  // Read for everyone, so that the index can keep them for any scope.
                  self->request(storage, settings.timeout + reply_grace, fetch_rows_atom::value, std::move(missing),
                                protocol::viewer_scope{}, deadline)
                      .then(
                          [=, chosen = std::move(*answer)](page_reply& read) mutable {
                            auto* rows = std::get_if<protocol::customer_page>(&read);
                            if (!rows) {
                              promise.deliver(std::move(read));
                              return;
                            }
                            self->send(index, remember_atom::value, rows->customers, chosen.generation);
                            finished();
                            promise.deliver(page_reply{
                                storage::assemble_page(chosen.selection, std::move(chosen.rows), rows->customers, scope)});
                          },
                          failed);
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
