#include "actors/readiness_monitor.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

namespace cws::actors {

namespace {

readiness_monitor_actor::behavior_type monitor_behavior(readiness_monitor_actor::pointer self,
                                                        storage_actor storage, std::shared_ptr<readiness> flags,
                                                        std::chrono::milliseconds interval) {
  self->send(self, check_atom::value);
  return {
      [=](check_atom) {
        // The answer must come well within one interval, or the database counts as unreachable.
        self->request(storage, interval, health_atom::value)
            .then(
                [=](bool reachable) {
                  if (flags->database_reachable.exchange(reachable) != reachable)
                    spdlog::log(reachable ? spdlog::level::info : spdlog::level::warn, "database {}",
                                reachable ? "reachable" : "unreachable");
                  self->delayed_send(self, interval, check_atom::value);
                },
                [=](caf::error&) {
                  if (flags->database_reachable.exchange(false)) spdlog::warn("database unreachable (no answer)");
                  self->delayed_send(self, interval, check_atom::value);
                });
      },
  };
}

}  // namespace

readiness_monitor_actor spawn_readiness_monitor(caf::actor_system& system, storage_actor storage,
                                                std::shared_ptr<readiness> flags,
                                                std::chrono::milliseconds interval) {
  return system.spawn(monitor_behavior, std::move(storage), std::move(flags), interval);
}

}  // namespace cws::actors
