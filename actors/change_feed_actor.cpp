#include "actors/change_feed_actor.hpp"

#include <algorithm>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/metrics.hpp"
#include "protocol/time.hpp"

namespace cws::actors {

namespace {

// Invariant: every change-log row with an id up to `last_change_id` has been
// told to the listeners (or covered by an `everything` event).
struct feed_state {
  storage::database_location location;
  change_feed_settings settings;
  std::vector<change_listener> listeners;
  std::shared_ptr<service_metrics> metrics;
  std::optional<storage::database> db;  // empty after a failure, until it reconnects
  std::int64_t last_change_id = 0;
  // PRAGMA data_version as last seen on this connection; empty after connecting.
  std::optional<std::int64_t> data_version;
  std::chrono::steady_clock::time_point next_prune;
  bool started = false;
  bool failing = false;  // logs a failure once, not on every poll
  static inline const char* name = "change-feed";
};

using feed_pointer = change_feed_actor::stateful_pointer<feed_state>;

void sort_unique(std::vector<std::int64_t>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

// One event from consecutive rows. A change to a customer's own row or tags
// reaches every owner of its conversations, so those are looked up here,
// while the rows are fresh.
change_event make_event(storage::database& db, std::int64_t expected_first_id,
                        const std::vector<storage::change_record>& rows) {
  change_event event;
  event.last_change_id = rows.back().id;
  // Rows missing before the first one were pruned before this feed read them.
  event.everything = rows.front().id != expected_first_id;
  std::vector<std::int64_t> customers_without_owner;
  for (const auto& row : rows) {
    if (row.everything || row.tag_id) event.everything = true;
    if (event.everything) continue;
    if (row.customer_id) event.customer_ids.push_back(*row.customer_id);
    if (row.user_id)
      event.user_ids.push_back(*row.user_id);
    else if (row.customer_id)
      customers_without_owner.push_back(*row.customer_id);
  }
  if (event.everything) {
    event.customer_ids.clear();
    event.user_ids.clear();
    return event;
  }
  sort_unique(customers_without_owner);
  auto owners = db.conversation_owners(customers_without_owner);
  event.user_ids.insert(event.user_ids.end(), owners.begin(), owners.end());
  sort_unique(event.customer_ids);
  sort_unique(event.user_ids);
  return event;
}

void tell(feed_pointer self, const change_event& event) {
  self->state.metrics->change_event_received();
  for (const auto& listener : self->state.listeners) self->send(listener, changes_atom::value, event);
}

// Reads and tells everything committed since the last poll.
void read_new_changes(feed_pointer self, storage::database& db) {
  auto& state = self->state;
  for (;;) {
    auto rows = db.read_changes(state.last_change_id, state.settings.rows_per_read);
    if (rows.empty()) return;
    tell(self, make_event(db, state.last_change_id + 1, rows));
    state.last_change_id = rows.back().id;
    if (rows.size() < state.settings.rows_per_read) return;
  }
}

// Reads what other connections committed since the last look; false when the
// log cannot be read right now (the next poll reconnects).
bool poll(feed_pointer self) {
  auto& state = self->state;
  try {
    if (!state.db) {
      state.db.emplace(state.location);
      state.data_version.reset();
    }
    auto version = state.db->data_version();
    if (version != state.data_version) {
      // Set first: a commit during the read moves the version again, and the
      // next poll reads once more.
      state.data_version = version;
      read_new_changes(self, *state.db);
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= state.next_prune) {
      state.next_prune = now + state.settings.prune_interval;
      auto pruned = state.db->prune_changes(protocol::now_ms() - state.settings.retention.count());
      if (pruned > 0) spdlog::debug("change feed: pruned {} change-log rows", pruned);
    }
    if (state.failing) spdlog::info("change feed: reading the change log again");
    state.failing = false;
    return true;
  } catch (const std::exception& error) {
    if (!state.failing) spdlog::warn("change feed: {} (retrying)", error.what());
    state.failing = true;
    state.db.reset();
    return false;
  }
}

change_feed_actor::behavior_type feed_behavior(feed_pointer self, storage::database_location location,
                                               change_feed_settings settings,
                                               std::vector<change_listener> listeners,
                                               std::shared_ptr<service_metrics> metrics) {
  auto& state = self->state;
  state.location = std::move(location);
  state.settings = settings;
  state.listeners = std::move(listeners);
  state.metrics = std::move(metrics);
  return {
      [self](start_atom) -> caf::result<std::int64_t> {
        auto& state = self->state;
        if (state.started) return state.last_change_id;
        try {
          state.db.emplace(state.location);
          state.last_change_id = state.db->latest_change_id();
        } catch (const std::exception& error) {
          state.db.reset();
          return caf::make_error(caf::sec::runtime_error, std::string{"the change log cannot be read: "} + error.what());
        }
        state.started = true;
        state.next_prune = std::chrono::steady_clock::now();
        self->send(self, poll_atom::value);
        return state.last_change_id;
      },
      [self](sync_atom) { return self->state.started && poll(self); },
      [self](poll_atom) {
        poll(self);
        self->delayed_send(self, self->state.settings.poll_interval, poll_atom::value);
      },
  };
}

}  // namespace

change_feed_actor spawn_change_feed(caf::actor_system& system, const storage::database_location& location,
                                    change_feed_settings settings, std::vector<change_listener> listeners,
                                    std::shared_ptr<service_metrics> metrics) {
  return system.spawn<caf::detached>(feed_behavior, location, settings, std::move(listeners), std::move(metrics));
}

}  // namespace cws::actors
