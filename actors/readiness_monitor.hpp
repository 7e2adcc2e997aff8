// Asks storage now and then whether the database answers, and keeps
// readiness::database_reachable current for /readyz.
#pragma once

#include <chrono>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "actors/readiness.hpp"

namespace cws::actors {

readiness_monitor_actor spawn_readiness_monitor(caf::actor_system& system, storage_actor storage,
                                                std::shared_ptr<readiness> flags,
                                                std::chrono::milliseconds interval);

}  // namespace cws::actors
