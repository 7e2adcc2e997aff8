// The change feed: tails the change log (storage/schema.cpp, version 2) on
// its own connection and turns what it reads into change events for its
// listeners (the filter-option cache, the live updates).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "storage/database.hpp"

namespace cws::actors {

class service_metrics;

struct change_feed_settings {
  // How often it asks SQLite whether another connection committed (a cheap
  // PRAGMA); the log itself is read only when something did.
  std::chrono::milliseconds poll_interval{20};
  // Rows older than this are deleted; a feed that falls further behind
  // treats everything as changed.
  std::chrono::milliseconds retention{std::chrono::hours{1}};
  std::chrono::milliseconds prune_interval{std::chrono::minutes{1}};
  // Rows read per statement; a longer backlog becomes several events.
  std::size_t rows_per_read = 5000;
};

// Spawned detached (its database calls block its own thread) and idle until
// `start_atom`: every change committed after the answer to it reaches the
// listeners. Start it once the schema is migrated.
change_feed_actor spawn_change_feed(caf::actor_system& system, const storage::database_location& location,
                                    change_feed_settings settings, std::vector<change_listener> listeners,
                                    std::shared_ptr<service_metrics> metrics);

}  // namespace cws::actors
