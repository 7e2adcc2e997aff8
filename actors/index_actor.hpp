// The index actor: owns the in-memory customer index (storage/customer_index.hpp)
// and the database connection it reloads customers through.
#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "storage/database.hpp"

namespace cws::actors {

class service_metrics;

// Spawned detached: a reload blocks its own thread, and the queries it
// answers wait behind it, which is what keeps them current. Empty until
// `load_atom`.
index_actor spawn_index_actor(caf::actor_system& system, storage::database_location location,
                              std::shared_ptr<service_metrics> metrics);

}  // namespace cws::actors
