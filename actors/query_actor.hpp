// Query actors: run list queries under the configured time limit. With an
// index actor, it picks the customers and the storage actors read their rows;
// without one, the storage actors run the whole query in SQL. Stateless, so
// any number can share the work.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"

namespace cws::actors {

class service_metrics;

struct query_settings {
  std::chrono::milliseconds timeout{10'000};
};

// `count` query actors behind one round-robin handle. A default-constructed
// `index` means SQL only.
query_actor spawn_query_pool(caf::actor_system& system, storage_actor storage, index_actor index,
                             query_settings settings,
                             std::shared_ptr<service_metrics> metrics, std::size_t count);

}  // namespace cws::actors
