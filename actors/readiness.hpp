// The node's readiness, read by /readyz on network threads and written by
// actors: plain atomics, no locks, no messages needed to read it.
#pragma once

#include <atomic>

namespace cws::actors {

struct readiness {
  std::atomic<bool> database_reachable{false};
  std::atomic<bool> cache_warm{false};
  // Start-up is over: the schema is migrated and the change feed runs, so
  // WebSocket sessions and writes are served (before, they get 503: a list
  // or cache entry made earlier could miss a change).
  std::atomic<bool> started{false};
  bool ready() const { return database_reachable.load() && cache_warm.load(); }
};

}  // namespace cws::actors
