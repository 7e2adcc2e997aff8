#include "actors/index_actor.hpp"

#include <algorithm>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/metrics.hpp"
#include "actors/reply_errors.hpp"
#include "storage/row_cache.hpp"

namespace cws::actors {

namespace {

// A reload that failed is tried again this often, until it succeeds.
constexpr std::chrono::seconds retry_interval{1};

// Customers whose rows are kept: far more than the pages agents have open at
// once. A row holds all of its customer's conversations (about 1 KiB in the
// demo data; more for customers that many users talk to).
constexpr std::size_t cached_rows = 20'000;

// Invariant: the index holds every change the actor has been told of, except
// those in `pending` (and everything while `pending_everything`), which a
// failed reload left to the next try.
struct index_state {
  storage::database_location location;
  std::shared_ptr<service_metrics> metrics;
  std::optional<storage::database> db;  // empty until connected, and after a failure
  storage::customer_index index;
  // Invariant: holds no row older than a change the actor has been told of.
  storage::row_cache rows{cached_rows};
  std::uint64_t generation = 0;  // change events taken in
  bool loaded = false;
  bool pending_everything = false;
  std::vector<std::int64_t> pending;
  bool retry_scheduled = false;
  static inline const char* name = "index";
};

using index_pointer = index_actor::stateful_pointer<index_state>;

// Answers only from an index that holds every change it was told of: while a
// failed reload waits for its retry, "unavailable" (the database is failing
// anyway) rather than a list or options that miss a write the client made.
bool current(const index_state& state) {
  return state.loaded && !state.pending_everything && state.pending.empty();
}

storage::database& connected(index_pointer self) {
  if (!self->state.db) self->state.db.emplace(self->state.location);
  return *self->state.db;
}

void load_everything(index_pointer self) {
  auto snapshot = connected(self).load_index();
  self->state.index.assign(std::move(snapshot.customers), std::move(snapshot.tags));
  self->state.loaded = true;
}

void reload_customers(index_pointer self, const std::vector<std::int64_t>& ids) {
  auto snapshot = connected(self).load_index(ids);
  self->state.index.refresh(ids, std::move(snapshot.customers), std::move(snapshot.tags));
}

// Applies what is pending; on failure keeps it and tries again later.
void apply_pending(index_pointer self) {
  auto& state = self->state;
  if (!state.pending_everything && state.pending.empty()) return;
  const auto started = std::chrono::steady_clock::now();
  try {
    if (state.pending_everything)
      load_everything(self);
    else
      reload_customers(self, state.pending);
    state.metrics->index_reloaded(state.pending_everything, std::chrono::steady_clock::now() - started,
                                  state.index.size());
    state.pending_everything = false;
    state.pending.clear();
  } catch (const std::exception& error) {
    spdlog::warn("index: cannot read the changed customers: {} (retrying)", error.what());
    state.db.reset();
    if (!state.retry_scheduled) {
      state.retry_scheduled = true;
      self->delayed_send(self, retry_interval, poll_atom::value);
    }
  }
}

index_actor::behavior_type index_behavior(index_pointer self, storage::database_location location,
                                          std::shared_ptr<service_metrics> metrics) {
  self->state.location = std::move(location);
  self->state.metrics = std::move(metrics);
  return {
      [self](load_atom) -> caf::result<std::uint64_t> {
        try {
          const auto started = std::chrono::steady_clock::now();
          load_everything(self);
          self->state.metrics->index_reloaded(true, std::chrono::steady_clock::now() - started,
                                              self->state.index.size());
          return static_cast<std::uint64_t>(self->state.index.size());
        } catch (const std::exception& error) {
          self->state.db.reset();
          return caf::make_error(caf::sec::runtime_error, std::string{"the index cannot be loaded: "} + error.what());
        }
      },
      [self](select_atom, const protocol::list_query& query, const protocol::viewer_scope& scope) -> selection_reply {
        auto& state = self->state;
        if (!current(state)) return database_unavailable_error();
        index_answer answer{state.index.select(query, scope), {}, state.generation};
        std::size_t hits = 0;
        for (auto id : answer.selection.ids) {
          answer.rows.push_back(state.rows.find(id, scope));
          if (answer.rows.back()) ++hits;
        }
        state.metrics->rows_served(hits, answer.rows.size() - hits);
        return answer;
      },
      [self](remember_atom, const std::vector<protocol::customer_view>& rows, std::uint64_t generation) {
        if (generation == self->state.generation) self->state.rows.store(rows);
      },
      [self](fetch_options_atom, const protocol::viewer_scope& scope) -> options_reply {
        if (!current(self->state)) return database_unavailable_error();
        return self->state.index.options(scope);
      },
      [self](changes_atom, const change_event& event) {
        auto& state = self->state;
        ++state.generation;
        if (event.everything)
          state.rows.clear();
        else
          state.rows.forget(event.customer_ids);
        if (!state.loaded) return;  // the first load reads it anyway
        if (event.everything) {
          state.pending_everything = true;
          state.pending.clear();
        } else if (!state.pending_everything) {
          state.pending.insert(state.pending.end(), event.customer_ids.begin(), event.customer_ids.end());
          std::sort(state.pending.begin(), state.pending.end());
          state.pending.erase(std::unique(state.pending.begin(), state.pending.end()), state.pending.end());
        }
        apply_pending(self);
      },
      [self](poll_atom) {
        self->state.retry_scheduled = false;
        apply_pending(self);
      },
  };
}

}  // namespace

index_actor spawn_index_actor(caf::actor_system& system, storage::database_location location,
                              std::shared_ptr<service_metrics> metrics) {
  return system.spawn<caf::detached>(index_behavior, std::move(location), std::move(metrics));
}

}  // namespace cws::actors
