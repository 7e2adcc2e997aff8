// Query actors: run list queries against the storage actors under the
// configured time limit. Stateless today, so any number can share the work.
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

// `count` query actors behind one round-robin handle.
query_actor spawn_query_pool(caf::actor_system& system, storage_actor storage, query_settings settings,
                             std::shared_ptr<service_metrics> metrics, std::size_t count);

}  // namespace cws::actors
