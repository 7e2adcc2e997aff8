// The cache actor: filter options per scope (all data, or one user's view),
// kept until a change event reaches the scope.
#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"

namespace cws::actors {

class service_metrics;

// `source` computes the options: the index, or a storage actor.
cache_actor spawn_cache_actor(caf::actor_system& system, options_source source,
                              std::shared_ptr<service_metrics> metrics);

}  // namespace cws::actors
