// The storage actor: owns one database connection (see storage/database.hpp).
#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "storage/database.hpp"

namespace cws::actors {

class service_metrics;

// Spawns a detached storage actor (its database calls block its own thread,
// never a scheduler thread). It connects lazily and reconnects after a
// failure, so a database that comes back is used again without a restart.
storage_actor spawn_storage_actor(caf::actor_system& system, storage::database_location location);

// `count` storage actors behind one round-robin handle.
storage_actor spawn_storage_pool(caf::actor_system& system, const storage::database_location& location,
                                 std::size_t count);

}  // namespace cws::actors
