#include "actors/storage_actor.hpp"

#include <optional>

#include <caf/actor_cast.hpp>
#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/reply_errors.hpp"
#include "storage/demo_data.hpp"
#include "storage/writes.hpp"

namespace cws::actors {

namespace {

struct storage_state {
  storage::database_location location;
  std::optional<storage::database> db;  // empty until connected, and after a failure
  static inline const char* name = "storage";
};

using storage_pointer = storage_actor::stateful_pointer<storage_state>;

protocol::protocol_error to_protocol_error(const storage::storage_error& error) {
  switch (error.error_kind()) {
    case storage::storage_error::kind::unavailable:
      return database_unavailable_error();
    case storage::storage_error::kind::timeout:
      return query_timeout_error();
    default:
      return {protocol::error_code::internal, "internal error"};
  }
}

// The actor's database, connecting first when it has none.
storage::database& connected(storage_pointer self) {
  if (!self->state.db) self->state.db.emplace(self->state.location);
  return *self->state.db;
}

// Start-up work (migration, demo data): a failure must stop the server, so it
// is an error reply rather than a protocol error.
template <class Work>
caf::result<std::int64_t> start_up_work(storage_pointer self, Work&& work) {
  try {
    return std::int64_t{work(connected(self))};
  } catch (const std::exception& error) {
    self->state.db.reset();
    return caf::make_error(caf::sec::runtime_error, error.what());
  }
}

// Runs `work` on a connected database. A connection that failed is dropped so
// the next call reconnects; errors become protocol errors.
template <class Reply, class Work>
Reply with_database(storage_pointer self, Work&& work) {
  try {
    return Reply{work(connected(self))};
  } catch (const storage::storage_error& error) {
    if (error.error_kind() == storage::storage_error::kind::unavailable) self->state.db.reset();
    if (error.error_kind() != storage::storage_error::kind::timeout)
      spdlog::warn("storage: {}", error.what());
    return Reply{to_protocol_error(error)};
  } catch (const std::exception& error) {
    spdlog::error("storage: {}", error.what());
    self->state.db.reset();
    return Reply{protocol::protocol_error{protocol::error_code::internal, "internal error"}};
  }
}

storage_actor::behavior_type storage_behavior(storage_pointer self, storage::database_location location) {
  self->state.location = std::move(location);
  return {
      [self](fetch_page_atom, const protocol::list_query& query, const protocol::viewer_scope& scope,
             steady_deadline until) -> page_reply {
        // A request that waited in the mailbox past its deadline is not worth running.
        if (std::chrono::steady_clock::now() >= until)
          return query_timeout_error();
        return with_database<page_reply>(
            self, [&](storage::database& db) { return db.fetch_customers(query, scope, until); });
      },
      [self](fetch_rows_atom, const std::vector<std::int64_t>& ids, const protocol::viewer_scope& scope,
             steady_deadline until) -> page_reply {
        if (std::chrono::steady_clock::now() >= until) return query_timeout_error();
        return with_database<page_reply>(
            self, [&](storage::database& db) { return db.fetch_customers_by_id(ids, scope, until); });
      },
      [self](fetch_options_atom, const protocol::viewer_scope& scope) -> options_reply {
        return with_database<options_reply>(
            self, [&](storage::database& db) { return db.fetch_filter_options(scope); });
      },
      [self](users_atom, std::uint64_t at_most) -> std::vector<std::int64_t> {
        using reply = std::variant<std::vector<std::int64_t>, protocol::protocol_error>;
        auto result = with_database<reply>(
            self, [&](storage::database& db) { return db.users_with_conversations(at_most); });
        if (auto users = std::get_if<std::vector<std::int64_t>>(&result)) return std::move(*users);
        return {};
      },
      [self](health_atom) -> bool {
        using reply = std::variant<bool, protocol::protocol_error>;
        auto result = with_database<reply>(self, [](storage::database& db) {
          db.check_reachable();
          return true;
        });
        return std::holds_alternative<bool>(result);
      },
      [self](migrate_atom) {
        return start_up_work(self, [](storage::database& db) {
          db.migrate();
          return db.schema_version();
        });
      },
      [self](write_atom, const protocol::write_request& request) -> protocol::write_result {
        try {
          return storage::apply_write(connected(self), request);
        } catch (const std::exception& error) {  // apply_write never throws; connecting can
          spdlog::warn("storage: {}", error.what());
          self->state.db.reset();
          return protocol::write_error(protocol::write_status::unavailable, "unavailable", "",
                                       "the database cannot be reached right now");
        }
      },
      [self](demo_atom, std::int64_t count, std::uint64_t seed) {
        return start_up_work(self, [&](storage::database& db) {
          return db.customer_count() > 0 ? 0 : storage::write_demo_data(db, count, seed).customers;
        });
      },
  };
}

}  // namespace

storage_actor spawn_storage_actor(caf::actor_system& system, storage::database_location location) {
  return system.spawn<caf::detached>(storage_behavior, std::move(location));
}

storage_actor spawn_storage_pool(caf::actor_system& system, const storage::database_location& location,
                                 std::size_t count) {
  auto factory = [&system, location] { return caf::actor_cast<caf::actor>(spawn_storage_actor(system, location)); };
  auto pool = caf::actor_pool::make(system.dummy_execution_unit(), count, factory, caf::actor_pool::round_robin());
  return caf::actor_cast<storage_actor>(pool);
}

}  // namespace cws::actors
