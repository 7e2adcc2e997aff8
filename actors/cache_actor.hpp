// The cache actor: filter options per scope (all data, or one user's view).
#pragma once

#include <chrono>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"

namespace cws::actors {

class service_metrics;

struct cache_settings {
  // How long an answer is served before it is computed again. Until the
  // change feed invalidates entries on writes, this bounds staleness.
  std::chrono::milliseconds max_age{10'000};
};

cache_actor spawn_cache_actor(caf::actor_system& system, storage_actor storage, cache_settings settings,
                              std::shared_ptr<service_metrics> metrics);

}  // namespace cws::actors
