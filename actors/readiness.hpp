// The node's readiness, read by /readyz on network threads and written by
// actors: plain atomics, no locks, no messages needed to read it.
#pragma once

#include <atomic>

namespace cws::actors {

struct readiness {
  std::atomic<bool> database_reachable{false};
  std::atomic<bool> cache_warm{false};
  bool ready() const { return database_reachable.load() && cache_warm.load(); }
};

}  // namespace cws::actors
