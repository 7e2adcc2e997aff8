// A connection to the customer database and the reads the service makes.
// SOCI stays behind the pimpl: including this header pulls in no SOCI.
//
// Invariant: one `database` belongs to one thread at a time (a SOCI session
// and its statements are not thread-safe). In the server, each storage actor
// owns exactly one, and no SOCI call happens anywhere else.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.hpp"
#include "storage/customer_index.hpp"

namespace soci {
class session;
}

namespace cws::storage {

enum class backend { sqlite, postgresql };

struct database_location {
  backend kind = backend::sqlite;
  std::string connect_string;  // the file path for SQLite, libpq's conninfo for PostgreSQL
};

// "sqlite:PATH" (also "sqlite://PATH" and "sqlite:///ABS/PATH") or
// "postgresql://USER:PASSWORD@HOST:PORT/DBNAME" ("postgres://" too).
// Throws std::invalid_argument with a one-line explanation.
database_location parse_database_url(std::string_view url);

class storage_error : public std::runtime_error {
 public:
  enum class kind {
    unavailable,  // cannot connect, file missing or unreadable, database locked for too long
    timeout,      // interrupted at the deadline
    invalid_data, // a write broke a rule (import)
    internal,     // anything else
  };
  storage_error(kind k, const std::string& what) : std::runtime_error(what), kind_(k) {}
  kind error_kind() const { return kind_; }

 private:
  kind kind_;
};

struct database_options {
  std::chrono::milliseconds busy_timeout{5000};
  // Create the SQLite file (and its folder) when missing. The server and the
  // write commands do; nothing else needs to.
  bool create_if_missing = true;
  // SQLite reads the file through a memory map of at most this size; 0 turns
  // the map off.
  // SQLite caps it at its compile-time limit (2 GiB in Debian's build).
  std::int64_t memory_map_bytes = std::int64_t{2} << 30;
};

using deadline = std::optional<std::chrono::steady_clock::time_point>;

// One row of the change log: whose view a committed write touched.
struct change_record {
  std::int64_t id = 0;
  std::optional<std::int64_t> customer_id;  // the customer whose data changed
  std::optional<std::int64_t> user_id;      // the owner of a changed conversation
  std::optional<std::int64_t> tag_id;       // a tag renamed or deleted: all its holders
  bool everything = false;                  // a bulk write: every view
  protocol::timestamp_ms changed_at = 0;
};

class database {
 public:
  // Connects; throws storage_error(unavailable) when it cannot.
  explicit database(const database_location& location, database_options options = {});
  ~database();
  database(database&&) noexcept;
  database& operator=(database&&) noexcept;

  backend kind() const;

  // Creates or upgrades the schema; idempotent. Each migration step runs in
  // its own transaction and records its version.
  void migrate();
  // The highest applied migration, 0 for an empty database.
  int schema_version();
  // The latest migration this build knows.
  static int latest_schema_version();

  // A cheap round trip; throws storage_error(unavailable) when it fails.
  void check_reachable();

  // One page of customers with their tags, visible conversations and last
  // messages, plus the total count. A bounded number of statements whatever
  // the page size. Throws storage_error(timeout) past `until`.
  protocol::customer_page fetch_customers(const protocol::list_query& query,
                                          const protocol::viewer_scope& scope,
                                          deadline until = std::nullopt);

  // The customers with these ids, in this order, each with its tags and the
  // conversations `scope` sees (as fetch_customers shows them). Ids that no
  // longer exist are left out. total_count is left 0.
  protocol::customer_page fetch_customers_by_id(const std::vector<std::int64_t>& ids,
                                                const protocol::viewer_scope& scope, deadline until = std::nullopt);

  // What the in-memory index keeps, read in one snapshot: every customer, or
  // those of `only` that still exist; and the whole tag table.
  struct index_snapshot {
    std::vector<indexed_customer> customers;
    std::vector<protocol::tag_view> tags;
  };
  index_snapshot load_index(const std::optional<std::vector<std::int64_t>>& only = std::nullopt);

  // Values and counts present in what `scope` can see.
  protocol::filter_options fetch_filter_options(const protocol::viewer_scope& scope,
                                                deadline until = std::nullopt);

  // Users that own at least one conversation, most conversations first.
  std::vector<std::int64_t> users_with_conversations(std::size_t at_most);

  std::int64_t customer_count();

  // The change log (schema version 2), read by the change feed.
  // Changes with an id above `after_id`, oldest first, at most `at_most`.
  std::vector<change_record> read_changes(std::int64_t after_id, std::size_t at_most);
  // The newest change's id, 0 when there is none.
  std::int64_t latest_change_id();
  // Deletes the changes written before `older_than`; returns how many.
  std::int64_t prune_changes(protocol::timestamp_ms older_than);
  // SQLite's PRAGMA data_version: moves when another connection commits, so
  // a feed can poll it instead of the log.
  std::int64_t data_version();
  // The owners of the customers' conversations, ascending: whose views a
  // change to the customers' own rows (name, tags) reaches.
  std::vector<std::int64_t> conversation_owners(const std::vector<std::int64_t>& customer_ids);

  // For the storage module's own writers (import, demo data).
  soci::session& session();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace cws::storage
