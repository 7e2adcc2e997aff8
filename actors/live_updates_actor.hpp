// Live updates (PROTOCOL.md, "Live updates"): the subscribed sessions,
// grouped by what they look at, and the re-runs that change events cause.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"

namespace cws::actors {

class service_metrics;

struct live_updates_settings {
  // Least time between two runs of one live query, and so between two pushes
  // of it: changes within the window are coalesced into one run.
  std::chrono::milliseconds min_interval{250};
  std::chrono::milliseconds query_timeout{10'000};
  // Live queries in flight at once; the others wait their turn, so that a
  // burst of changes never crowds out the queries agents are waiting for.
  std::size_t max_concurrent_runs = 2;
};

// Names the group of sessions that share one live query: equal exactly when
// both the scope and the customers_list they would receive are equal.
std::string live_query_key(const protocol::list_query& query, const protocol::viewer_scope& scope);

live_updates_actor spawn_live_updates_actor(caf::actor_system& system, query_actor queries,
                                            live_updates_settings settings,
                                            std::shared_ptr<service_metrics> metrics);

}  // namespace cws::actors
