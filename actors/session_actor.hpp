// The session actor: one per WebSocket connection. Holds the connection's
// identity, current query, subscription and rate limit, turns frames into
// typed requests and sends the answers back through the connection_link.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <caf/fwd.hpp>

#include "actors/connection_link.hpp"
#include "actors/interfaces.hpp"
#include "protocol/request.hpp"

namespace cws::actors {

class service_metrics;

enum class auth_mode { none, jwt };

struct session_settings {
  auth_mode auth = auth_mode::none;
  std::string jwt_secret;
  bool initial_list = true;
  std::chrono::milliseconds query_timeout{10'000};
  // Token bucket per connection: sustained requests per second and burst.
  double rate_limit_per_second = 200;
  double rate_limit_burst = 1000;
  // Least time between two live pushes to one connection.
  std::chrono::milliseconds live_min_interval{250};
};

struct session_services {
  query_actor queries;
  cache_actor cache;
  live_updates_actor live_updates;
  std::shared_ptr<service_metrics> metrics;
};

// What the network layer learnt from the upgrade request.
struct connection_request {
  protocol::connection_parameters parameters;  // from the query string
  std::optional<std::string> bearer_token;     // from `Authorization: Bearer`
};

// Spawns the session; it does nothing until it receives `start_atom`.
session_actor spawn_session_actor(caf::actor_system& system, std::shared_ptr<connection_link> link,
                                  connection_request request, const session_settings& settings,
                                  const session_services& services);

}  // namespace cws::actors
