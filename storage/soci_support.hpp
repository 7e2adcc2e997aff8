// Storage-internal helpers around SOCI: statements with a run-time list of
// bound parameters, write transactions and error translation. Included only
// by storage/*.cpp (it pulls in SOCI).
#pragma once

#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <soci/soci.h>

#include "storage/database.hpp"
#include "storage/schema.hpp"
#include "storage/sql_builder.hpp"

namespace cws::storage::detail {

inline sql_dialect dialect_of(backend kind) {
  return kind == backend::postgresql ? sql_dialect::postgresql : sql_dialect::sqlite;
}

// A statement whose parameters come from an sql_statement. Declare the
// output columns with into() in select order, then execute().
class bound_statement {
 public:
  bound_statement(soci::session& session, const sql_statement& statement) : statement_(session), text_(statement.text) {
    for (const auto& parameter : statement.parameters) {
      if (const auto* integer = std::get_if<std::int64_t>(&parameter)) {
        integers_.push_back(*integer);
        statement_.exchange(soci::use(integers_.back()));
      } else {
        strings_.push_back(std::get<std::string>(parameter));
        statement_.exchange(soci::use(strings_.back()));
      }
    }
  }

  template <typename T>
  void into(T& value, soci::indicator& indicator) {
    statement_.exchange(soci::into(value, indicator));
  }
  template <typename T>
  void into(T& value) {
    statement_.exchange(soci::into(value));
  }

  // Runs the statement and fetches the first row; false when there is none.
  bool execute() {
    statement_.alloc();
    statement_.prepare(text_);
    statement_.define_and_bind();
    return statement_.execute(true);
  }
  bool fetch() { return statement_.fetch(); }

 private:
  soci::statement statement_;
  std::string text_;
  // Deques: SOCI keeps references to the bound values.
  std::deque<long long> integers_;
  std::deque<std::string> strings_;
};

// A statement prepared once and run many times (import, demo data). The
// parameter and column kinds are fixed at preparation: 'i' for an integer,
// 't' for text; either may be null.
class prepared_statement {
 public:
  prepared_statement(soci::session& session, const std::string& text, std::string_view parameter_kinds,
                     std::string_view column_kinds = {})
      : statement_(session), parameter_count_(parameter_kinds.size()) {
    slots_.resize(parameter_kinds.size() + column_kinds.size());  // never resized again: SOCI holds references
    std::size_t index = 0;
    for (char kind : parameter_kinds) {
      auto& slot = slots_[index++];
      if (kind == 'i')
        statement_.exchange(soci::use(slot.integer, slot.indicator));
      else
        statement_.exchange(soci::use(slot.text, slot.indicator));
    }
    for (char kind : column_kinds) {
      auto& slot = slots_[index++];
      if (kind == 'i')
        statement_.exchange(soci::into(slot.integer, slot.indicator));
      else
        statement_.exchange(soci::into(slot.text, slot.indicator));
    }
    statement_.alloc();
    statement_.prepare(text);
    statement_.define_and_bind();
  }

  // Binds the arguments in order and runs; true when a first row was fetched.
  template <typename... Arguments>
  bool run(const Arguments&... arguments) {
    static_assert(sizeof...(Arguments) < 64);
    if (sizeof...(Arguments) != parameter_count_) throw std::logic_error("prepared_statement: wrong argument count");
    std::size_t index = 0;
    (assign(slots_[index++], arguments), ...);
    return statement_.execute(true);
  }
  bool next() { return statement_.fetch(); }

  bool is_null(std::size_t column) const { return column_slot(column).indicator != soci::i_ok; }
  long long integer(std::size_t column) const { return column_slot(column).integer; }
  std::optional<long long> optional_integer(std::size_t column) const {
    if (is_null(column)) return std::nullopt;
    return integer(column);
  }
  const std::string& text(std::size_t column) const { return column_slot(column).text; }
  std::optional<std::string> optional_text(std::size_t column) const {
    if (is_null(column)) return std::nullopt;
    return text(column);
  }

 private:
  struct slot {
    long long integer = 0;
    std::string text;
    soci::indicator indicator = soci::i_ok;
  };

  const slot& column_slot(std::size_t column) const { return slots_.at(parameter_count_ + column); }

  static void assign(slot& target, std::nullopt_t) { target.indicator = soci::i_null; }
  static void assign(slot& target, bool value) { assign(target, static_cast<long long>(value)); }
  static void assign(slot& target, int value) { assign(target, static_cast<long long>(value)); }
  static void assign(slot& target, long value) { assign(target, static_cast<long long>(value)); }
  static void assign(slot& target, long long value) {
    target.integer = value;
    target.indicator = soci::i_ok;
  }
  static void assign(slot& target, std::string_view value) {
    target.text.assign(value.data(), value.size());
    target.indicator = soci::i_ok;
  }
  static void assign(slot& target, const std::string& value) { assign(target, std::string_view(value)); }
  static void assign(slot& target, const char* value) { assign(target, std::string_view(value)); }
  template <typename T>
  static void assign(slot& target, const std::optional<T>& value) {
    if (value)
      assign(target, *value);
    else
      target.indicator = soci::i_null;
  }

  soci::statement statement_;
  std::size_t parameter_count_;
  std::vector<slot> slots_;
};

// For one bulk write on SQLite: a page cache large enough that the
// transaction's dirty pages are not spilled to the WAL halfway (which costs
// more than the inserts themselves); the previous size comes back after.
class bulk_write_cache {
 public:
  bulk_write_cache(soci::session& session, backend kind) : session_(session), active_(kind == backend::sqlite) {
    if (!active_) return;
    session_ << "PRAGMA cache_size", soci::into(previous_);
    session_ << "PRAGMA cache_size = -262144";  // KiB: 256 MiB at most, used only as the data grows
    // The memory map speeds reads but slowed 100,000 demo customers from
    // 13.8 s to 23.7 s, so bulk writes go without it.
    session_ << "PRAGMA mmap_size", soci::into(previous_map_);
    session_ << "PRAGMA mmap_size = 0";
  }
  ~bulk_write_cache() {
    if (!active_) return;
    try {
      session_ << "PRAGMA cache_size = " + std::to_string(previous_);
      session_ << "PRAGMA mmap_size = " + std::to_string(previous_map_);
    } catch (...) {
      // Only cache settings: the connection still works.
    }
  }
  bulk_write_cache(const bulk_write_cache&) = delete;
  bulk_write_cache& operator=(const bulk_write_cache&) = delete;

 private:
  soci::session& session_;
  bool active_;
  long long previous_ = 0;
  long long previous_map_ = 0;
};

// After a bulk write: fresh statistics let SQLite's planner choose between
// walking a sort index and collecting an IN list (a fraction of a second
// for 100,000 customers).
inline void refresh_planner_statistics(soci::session& session, backend kind) {
  if (kind == backend::sqlite) session << "ANALYZE";
}

inline std::optional<std::string> optional_text(const std::string& value, soci::indicator indicator) {
  if (indicator == soci::i_ok) return value;
  return std::nullopt;
}

// Called inside a catch block: rethrows the current exception as a
// storage_error (a storage_error passes through unchanged).
[[noreturn]] void rethrow_as_storage_error(const std::string& action);

// A write transaction; rolls back unless committed. SQLite takes the write
// lock at the start (BEGIN IMMEDIATE), so a busy database fails here, after
// the busy timeout, rather than halfway.
// For one bulk write (import, demo data), inside its transaction: the
// change-log triggers stay quiet, and one "everything changed" row stands
// for all the rows written. A rollback restores the switch with the rest, so
// no other connection ever sees the triggers paused.
class change_log_pause {
 public:
  change_log_pause(soci::session& session, backend kind) : session_(session), active_(kind == backend::sqlite) {
    if (active_) session_ << "UPDATE change_log_control SET paused = 1 WHERE id = 1";
  }
  // Call before the commit; `wrote` says whether anything changed at all.
  void finish(bool wrote) {
    if (!active_) return;
    session_ << "UPDATE change_log_control SET paused = 0 WHERE id = 1";
    if (wrote)
      session_ << std::string{"INSERT INTO change_log(everything, changed_at) VALUES (1, "} + sql_now_ms + ")";
  }

 private:
  soci::session& session_;
  bool active_;
};

class write_transaction {
 public:
  write_transaction(soci::session& session, backend kind) : session_(session) {
    session_ << (kind == backend::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
  }
  ~write_transaction() {
    if (open_) {
      try {
        session_ << "ROLLBACK";
      } catch (...) {
        // The connection is gone or the transaction already ended: nothing to undo.
      }
    }
  }
  write_transaction(const write_transaction&) = delete;
  write_transaction& operator=(const write_transaction&) = delete;

  void commit() {
    session_ << "COMMIT";
    open_ = false;
  }
  void rollback() {
    open_ = false;
    session_ << "ROLLBACK";
  }

 private:
  soci::session& session_;
  bool open_ = true;
};

}  // namespace cws::storage::detail
