#include "storage/database.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <unordered_map>

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "protocol/text.hpp"
#include "protocol/time.hpp"
#include "storage/schema.hpp"
#include "storage/soci_support.hpp"
#include "storage/sql_builder.hpp"

// soci-postgresql.h needs libpq's headers on the include path; the factory
// entry point is all this file uses, and it has C linkage.
extern "C" soci::backend_factory const* factory_postgresql();

namespace cws::storage {
namespace {

// ---- URL parsing -----------------------------------------------------------

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string percent_decode(std::string_view text, std::string_view what) {
  std::string decoded;
  for (std::size_t index = 0; index < text.size(); ++index) {
    if (text[index] != '%') {
      decoded += text[index];
      continue;
    }
    const int high = index + 2 < text.size() ? protocol::hex_value(text[index + 1]) : -1;
    const int low = index + 2 < text.size() ? protocol::hex_value(text[index + 2]) : -1;
    if (high < 0 || low < 0)
      throw std::invalid_argument("database URL: bad percent escape in the " + std::string(what));
    decoded += static_cast<char>(high * 16 + low);
    index += 2;
  }
  return decoded;
}

// libpq conninfo value: always quoted, with \ and ' escaped.
std::string conninfo_value(const std::string& value) {
  std::string quoted = "'";
  for (char character : value) {
    if (character == '\\' || character == '\'') quoted += '\\';
    quoted += character;
  }
  return quoted + "'";
}

database_location parse_postgresql_url(std::string_view url, std::size_t scheme_length) {
  std::string_view rest = url.substr(scheme_length);
  std::string_view query;
  if (const auto question = rest.find('?'); question != std::string_view::npos) {
    query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  std::string_view authority = rest;
  std::string_view dbname;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    dbname = rest.substr(slash + 1);
  }
  std::string_view user_info;
  std::string_view host_port = authority;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    user_info = authority.substr(0, at);
    host_port = authority.substr(at + 1);
  }
  std::string_view host = host_port;
  std::string_view port;
  if (starts_with(host_port, "[")) {
    const auto close = host_port.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument("database URL: unclosed '[' in the host");
    host = host_port.substr(1, close - 1);
    const auto after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') throw std::invalid_argument("database URL: unexpected text after the host");
      port = after.substr(1);
    }
  } else if (const auto colon = host_port.rfind(':'); colon != std::string_view::npos) {
    host = host_port.substr(0, colon);
    port = host_port.substr(colon + 1);
  }
  if (!port.empty() && !std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    throw std::invalid_argument("database URL: the port must be a number");

  std::vector<std::pair<std::string, std::string>> settings;
  if (!host.empty()) settings.emplace_back("host", percent_decode(host, "host"));
  if (!port.empty()) settings.emplace_back("port", std::string(port));
  if (!dbname.empty()) settings.emplace_back("dbname", percent_decode(dbname, "database name"));
  if (!user_info.empty()) {
    const auto colon = user_info.find(':');
    settings.emplace_back("user", percent_decode(user_info.substr(0, colon), "user name"));
    if (colon != std::string_view::npos)
      settings.emplace_back("password", percent_decode(user_info.substr(colon + 1), "password"));
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos || equals == 0)
      throw std::invalid_argument("database URL: query parameters must be KEY=VALUE");
    settings.emplace_back(percent_decode(pair.substr(0, equals), "parameter name"),
                          percent_decode(pair.substr(equals + 1), "parameter value"));
  }

  database_location location;
  location.kind = backend::postgresql;
  for (const auto& [key, value] : settings) {
    if (!location.connect_string.empty()) location.connect_string += ' ';
    location.connect_string += key + "=" + conninfo_value(value);
  }
  return location;
}

// ---- SQLite specifics --------------------------------------------------------

// cws_fold(text): protocol::fold_case inside SQL, for search terms too short
// for the trigram index. Deterministic, so SQLite may cache and reorder it.
void fold_function(sqlite_api::sqlite3_context* context, int, sqlite_api::sqlite3_value** arguments) {
  using namespace sqlite_api;
  if (sqlite3_value_type(arguments[0]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(arguments[0]));
  const auto size = static_cast<std::size_t>(sqlite3_value_bytes(arguments[0]));
  try {
    const std::string folded = protocol::fold_case(std::string_view(text ? text : "", size));
    sqlite3_result_text64(context, folded.data(), folded.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(context);
  }
}

struct deadline_state {
  std::chrono::steady_clock::time_point at;
  bool reached = false;
};

// SQLite calls this every few thousand virtual machine steps; nonzero
// interrupts the running statement with SQLITE_INTERRUPT.
int deadline_progress(void* context) {
  auto* state = static_cast<deadline_state*>(context);
  if (std::chrono::steady_clock::now() < state->at) return 0;
  state->reached = true;
  return 1;
}

constexpr int progress_interval_steps = 1000;

// SOCI reads "key=value" pairs from its connect string, but takes a string
// without '=' whole as the file name.
std::string sqlite_connect_string(const std::string& path) {
  if (path.find('=') == std::string::npos) return path;
  if (path.find('"') != std::string::npos || path.find("  ") != std::string::npos)
    throw storage_error(storage_error::kind::unavailable,
                        "database path '" + path + "' has both '=' and a quote or double space: unsupported");
  return "db=\"" + path + "\"";
}

bool is_unavailable_sqlite_code(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_IOERR:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_CORRUPT:
    case SQLITE_FULL:
      return true;
    default:
      return false;
  }
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

// ---- parse_database_url --------------------------------------------------------

database_location parse_database_url(std::string_view url) {
  if (starts_with(url, "sqlite:")) {
    std::string_view path = url.substr(7);
    if (starts_with(path, "//")) path = path.substr(2);  // sqlite://rel and sqlite:///abs
    if (path.empty()) throw std::invalid_argument("database URL '" + std::string(url) + "' names no file");
    return {backend::sqlite, std::string(path)};
  }
  if (starts_with(url, "postgresql://")) return parse_postgresql_url(url, 13);
  if (starts_with(url, "postgres://")) return parse_postgresql_url(url, 11);
  const auto colon = url.find(':');
  const std::string scheme = colon == std::string_view::npos ? std::string(url) : std::string(url.substr(0, colon));
  throw std::invalid_argument("unsupported database URL '" + scheme +
                              (colon == std::string_view::npos ? "" : ":...") +
                              "': use sqlite:PATH or postgresql://USER:PASSWORD@HOST:PORT/DBNAME");
}

namespace detail {

void rethrow_as_storage_error(const std::string& action) {
  using kind = storage_error::kind;
  try {
    throw;
  } catch (const storage_error&) {
    throw;
  } catch (const soci::sqlite3_soci_error& error) {
    const int code = error.result() & 0xff;
    const kind error_kind = code == SQLITE_CONSTRAINT         ? kind::invalid_data
                            : is_unavailable_sqlite_code(code) ? kind::unavailable
                                                               : kind::internal;
    throw storage_error(error_kind, action + ": " + first_line(error.what()));
  } catch (const soci::soci_error& error) {
    const kind error_kind = error.get_error_category() == soci::soci_error::connection_error ? kind::unavailable
                            : error.get_error_category() == soci::soci_error::constraint_violation
                                ? kind::invalid_data
                                : kind::internal;
    throw storage_error(error_kind, action + ": " + first_line(error.what()));
  } catch (const std::exception& error) {
    throw storage_error(kind::internal, action + ": " + first_line(error.what()));
  }
}

}  // namespace detail

// ---- database -------------------------------------------------------------------

struct database::impl {
  database_location location;
  database_options options;
  soci::session session;
  sqlite_api::sqlite3* handle = nullptr;  // SQLite only
  deadline_state watchdog;

  sql_dialect dialect() const { return detail::dialect_of(location.kind); }

  void open_sqlite() {
    namespace fs = std::filesystem;
    const std::string& path = location.connect_string;
    const bool is_file = path != ":memory:" && !starts_with(path, "file:");
    if (is_file) {
      std::error_code error;
      const fs::path file(path);
      if (!fs::exists(file, error)) {
        if (!options.create_if_missing)
          throw storage_error(storage_error::kind::unavailable, "database file '" + path + "' does not exist");
        // Only the database's own folder is created (data/ on a first run):
        // a mistyped path further up should fail, not quietly become a new,
        // empty database somewhere unexpected.
        const auto folder = file.parent_path();
        if (!folder.empty() && !fs::exists(folder, error)) {
          if (!fs::is_directory(fs::absolute(folder, error).parent_path(), error))
            throw storage_error(storage_error::kind::unavailable,
                                "cannot open '" + path + "': the folder " + folder.parent_path().string() +
                                    " does not exist");
          fs::create_directory(folder, error);
          if (error)
            throw storage_error(storage_error::kind::unavailable,
                                "cannot create the folder of '" + path + "': " + error.message());
        }
      }
    }
    session.open(soci::sqlite3, sqlite_connect_string(path));
    handle = static_cast<soci::sqlite3_session_backend*>(session.get_backend())->conn_;
    sqlite_api::sqlite3_busy_timeout(handle, static_cast<int>(options.busy_timeout.count()));
    const int registered = sqlite_api::sqlite3_create_function_v2(
        handle, "cws_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr, fold_function, nullptr,
        nullptr, nullptr);
    if (registered != SQLITE_OK)
      throw storage_error(storage_error::kind::internal, "cannot register cws_fold in SQLite");
    // The first statements read the file: a file that is not a database fails here.
    std::string journal_mode;
    session << "PRAGMA journal_mode=WAL", soci::into(journal_mode);
    session << "PRAGMA synchronous=NORMAL";
    session << "PRAGMA foreign_keys=ON";
    // Statement journals (every write that fires triggers has one) and
    // sorting scratch stay in memory instead of temp files: a bulk write
    // spent most of its time in pwrite() on them.
    session << "PRAGMA temp_store=MEMORY";
    // So that INSERT OR REPLACE on this connection runs the delete triggers
    // (the search index) for the row it replaces. No trigger here re-fires
    // itself, so this changes nothing else.
    session << "PRAGMA recursive_triggers=ON";
    // Reads go through a memory map of the file instead of each connection
    // copying pages into its own small cache with pread(): at 100,000
    // customers the server spent most of its query time in pread(). The map
    // is address space, shared by every connection through the OS page cache.
    session << "PRAGMA mmap_size=" + std::to_string(options.memory_map_bytes);
  }

  void open_postgresql() { session.open(*factory_postgresql(), location.connect_string); }

  // Runs `body` in one read transaction, so that its statements see one
  // snapshot, interrupted at `until`.
  template <typename Body>
  auto read(const char* action, deadline until, Body&& body) -> decltype(body()) {
    watchdog.reached = false;
    const bool watch = until && handle;
    if (watch) {
      watchdog.at = *until;
      sqlite_api::sqlite3_progress_handler(handle, progress_interval_steps, deadline_progress, &watchdog);
    }
    struct clear_on_exit {
      sqlite_api::sqlite3* handle;
      ~clear_on_exit() {
        if (handle) sqlite_api::sqlite3_progress_handler(handle, 0, nullptr, nullptr);
      }
    } clear{watch ? handle : nullptr};
    try {
      soci::transaction transaction(session);
      if (until && location.kind == backend::postgresql) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*until - std::chrono::steady_clock::now());
        session << "SET LOCAL statement_timeout = " + std::to_string(std::max<long long>(1, left.count()));
      }
      auto result = body();
      transaction.commit();
      return result;
    } catch (...) {
      if (watchdog.reached || (until && location.kind == backend::postgresql && std::chrono::steady_clock::now() >= *until))
        throw storage_error(storage_error::kind::timeout, std::string(action) + ": interrupted at the deadline");
      detail::rethrow_as_storage_error(action);
    }
  }
};

database::database(const database_location& location, database_options options) : impl_(std::make_unique<impl>()) {
  impl_->location = location;
  impl_->options = options;
  try {
    if (location.kind == backend::sqlite)
      impl_->open_sqlite();
    else
      impl_->open_postgresql();
  } catch (const storage_error&) {
    throw;
  } catch (const std::exception& error) {
    throw storage_error(storage_error::kind::unavailable, "cannot open the database: " + first_line(error.what()));
  }
}

database::~database() = default;
database::database(database&&) noexcept = default;
database& database::operator=(database&&) noexcept = default;

backend database::kind() const { return impl_->location.kind; }

soci::session& database::session() { return impl_->session; }

int database::latest_schema_version() { return migrations(sql_dialect::sqlite).back().version; }

void database::migrate() {
  auto& session = impl_->session;
  try {
    const auto& steps = migrations(impl_->dialect());
    session << "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)";
    const int current = schema_version();
    if (current > latest_schema_version())
      throw storage_error(storage_error::kind::internal,
                          "the database has schema version " + std::to_string(current) + ", newer than this build's " +
                              std::to_string(latest_schema_version()));
    for (const auto& step : steps) {
      detail::write_transaction transaction(session, kind());
      // Checked inside the transaction: another process may have migrated meanwhile.
      int applied = 0;
      const int version = step.version;
      session << "SELECT count(*) FROM schema_migrations WHERE version = :version", soci::into(applied),
          soci::use(version);
      if (applied > 0) continue;
      for (const auto& statement : step.statements) session << statement;
      const long long now = protocol::now_ms();
      session << "INSERT INTO schema_migrations(version, applied_at) VALUES (:version, :now)", soci::use(version),
          soci::use(now);
      transaction.commit();
    }
  } catch (...) {
    detail::rethrow_as_storage_error("migrate");
  }
}

int database::schema_version() {
  auto& session = impl_->session;
  try {
    int tables = 0;
    if (kind() == backend::sqlite)
      session << "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
          soci::into(tables);
    else
      session << "SELECT count(*) FROM information_schema.tables"
                 " WHERE table_name = 'schema_migrations' AND table_schema = current_schema()",
          soci::into(tables);
    if (tables == 0) return 0;
    int version = 0;
    session << "SELECT coalesce(max(version), 0) FROM schema_migrations", soci::into(version);
    return version;
  } catch (...) {
    detail::rethrow_as_storage_error("schema_version");
  }
}

void database::check_reachable() {
  try {
    int value = 0;
    // Reading the schema touches the file itself, not just the connection.
    if (kind() == backend::sqlite)
      impl_->session << "SELECT count(*) FROM sqlite_master", soci::into(value);
    else
      impl_->session << "SELECT 1", soci::into(value);
  } catch (...) {
    try {
      detail::rethrow_as_storage_error("check_reachable");
    } catch (const storage_error& error) {
      throw storage_error(storage_error::kind::unavailable, error.what());
    }
  }
}

std::int64_t database::customer_count() {
  try {
    long long count = 0;
    impl_->session << "SELECT count(*) FROM customers", soci::into(count);
    return count;
  } catch (...) {
    detail::rethrow_as_storage_error("customer_count");
  }
}

std::vector<change_record> database::read_changes(std::int64_t after_id, std::size_t at_most) {
  try {
    std::vector<change_record> changes;
    detail::bound_statement statement(
        impl_->session, {"SELECT id, customer_id, user_id, tag_id, everything, changed_at FROM change_log"
                         " WHERE id > :p1 ORDER BY id LIMIT :p2",
                         {after_id, static_cast<std::int64_t>(at_most)}});
    long long id = 0, customer_id = 0, user_id = 0, tag_id = 0, everything = 0, changed_at = 0;
    soci::indicator customer_known = soci::i_ok, user_known = soci::i_ok, tag_known = soci::i_ok;
    statement.into(id);
    statement.into(customer_id, customer_known);
    statement.into(user_id, user_known);
    statement.into(tag_id, tag_known);
    statement.into(everything);
    statement.into(changed_at);
    auto known = [](soci::indicator indicator, long long value) {
      return indicator == soci::i_ok ? std::optional<std::int64_t>{value} : std::nullopt;
    };
    if (statement.execute()) do
        changes.push_back({id, known(customer_known, customer_id), known(user_known, user_id),
                           known(tag_known, tag_id), everything != 0, changed_at});
      while (statement.fetch());
    return changes;
  } catch (...) {
    detail::rethrow_as_storage_error("read_changes");
  }
}

std::int64_t database::latest_change_id() {
  try {
    long long id = 0;
    // AUTOINCREMENT's counter survives pruning, when max(id) would not.
    impl_->session << "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'change_log'),"
                      " (SELECT max(id) FROM change_log), 0)",
        soci::into(id);
    return id;
  } catch (...) {
    detail::rethrow_as_storage_error("latest_change_id");
  }
}

std::int64_t database::prune_changes(protocol::timestamp_ms older_than) {
  try {
    soci::statement statement = (impl_->session.prepare << "DELETE FROM change_log WHERE changed_at < :before",
                                 soci::use(static_cast<long long>(older_than)));
    statement.execute(true);
    return statement.get_affected_rows();
  } catch (...) {
    detail::rethrow_as_storage_error("prune_changes");
  }
}

std::int64_t database::data_version() {
  try {
    long long version = 0;
    impl_->session << "PRAGMA data_version", soci::into(version);
    return version;
  } catch (...) {
    detail::rethrow_as_storage_error("data_version");
  }
}

std::vector<std::int64_t> database::conversation_owners(const std::vector<std::int64_t>& customer_ids) {
  try {
    std::vector<std::int64_t> owners;
    // One statement per slice keeps the bound-parameter count under SQLite's limit.
    constexpr std::size_t slice = 500;
    for (std::size_t start = 0; start < customer_ids.size(); start += slice) {
      auto end = std::min(customer_ids.size(), start + slice);
      sql_statement query{"SELECT DISTINCT user_id FROM conversations WHERE user_id IS NOT NULL AND customer_id IN (", {}};
      for (auto index = start; index < end; ++index) {
        query.text += index == start ? ":p" : ", :p";
        query.text += std::to_string(index - start + 1);
        query.parameters.emplace_back(customer_ids[index]);
      }
      query.text += ")";
      detail::bound_statement statement(impl_->session, query);
      long long user = 0;
      statement.into(user);
      if (statement.execute()) do
          owners.push_back(user);
        while (statement.fetch());
    }
    std::sort(owners.begin(), owners.end());
    owners.erase(std::unique(owners.begin(), owners.end()), owners.end());
    return owners;
  } catch (...) {
    detail::rethrow_as_storage_error("conversation_owners");
  }
}

std::vector<std::int64_t> database::users_with_conversations(std::size_t at_most) {
  try {
    std::vector<std::int64_t> users;
    detail::bound_statement statement(
        impl_->session, {"SELECT user_id FROM conversations WHERE user_id IS NOT NULL GROUP BY user_id"
                         " ORDER BY count(*) DESC, user_id LIMIT :p1",
                         {static_cast<std::int64_t>(std::min<std::size_t>(at_most, INT64_MAX))}});
    long long user = 0;
    statement.into(user);
    if (statement.execute()) do
        users.push_back(user);
      while (statement.fetch());
    return users;
  } catch (...) {
    detail::rethrow_as_storage_error("users_with_conversations");
  }
}

namespace {

// Appends the rows of a statement over customer_columns.
void read_customer_rows(soci::session& session, const sql_statement& query,
                        std::vector<protocol::customer_view>& customers) {
  detail::bound_statement statement(session, query);
  long long id = 0, created_at = 0, updated_at = 0, last_activity = 0;
  std::string text[8];
  soci::indicator text_indicator[8], last_activity_indicator;
  statement.into(id);
  for (int column = 0; column < 8; ++column) statement.into(text[column], text_indicator[column]);
  statement.into(created_at);
  statement.into(updated_at);
  statement.into(last_activity, last_activity_indicator);
  if (statement.execute()) do {
      protocol::customer_view customer;
      customer.id = id;
      std::optional<std::string>* fields[8] = {&customer.first_name, &customer.last_name, &customer.username,
                                               &customer.email,      &customer.phone_number, &customer.source,
                                               &customer.source_id,  &customer.profile_picture};
      for (int column = 0; column < 8; ++column)
        *fields[column] = detail::optional_text(text[column], text_indicator[column]);
      customer.created_at = created_at;
      customer.updated_at = updated_at;
      customer.last_activity = last_activity_indicator == soci::i_ok ? last_activity : updated_at;
      customers.push_back(std::move(customer));
    } while (statement.fetch());
}

// Fills in the tags and the conversations `scope` sees of every customer of
// the page.
void add_page_details(soci::session& session, sql_dialect dialect, const protocol::viewer_scope& scope,
                      protocol::customer_page& page) {
  if (page.customers.empty()) return;
  std::vector<std::int64_t> ids;
  std::unordered_map<std::int64_t, std::size_t> position;
  for (std::size_t index = 0; index < page.customers.size(); ++index) {
    ids.push_back(page.customers[index].id);
    position.emplace(page.customers[index].id, index);
  }

  {
    detail::bound_statement statement(session, build_page_tags_sql(ids, dialect));
    long long customer_id = 0, tag_id = 0;
    std::string name;
    statement.into(customer_id);
    statement.into(tag_id);
    statement.into(name);
    if (statement.execute()) do
        page.customers[position.at(customer_id)].tags.push_back({tag_id, name});
      while (statement.fetch());
  }

  detail::bound_statement statement(session, build_page_conversations_sql(ids, scope));
  long long customer_id = 0, id = 0, unread_count = 0, created_at = 0, updated_at = 0;
  long long message_id = 0, message_created_at = 0, user_id = 0;
  int is_ai_response = 0;
  std::string title, status, source, content, type;
  soci::indicator title_indicator, status_indicator, source_indicator, message_indicator, content_indicator,
      type_indicator, ai_indicator, message_created_indicator, user_indicator;
  statement.into(customer_id);
  statement.into(id);
  statement.into(title, title_indicator);
  statement.into(status, status_indicator);
  statement.into(source, source_indicator);
  statement.into(unread_count);
  statement.into(created_at);
  statement.into(updated_at);
  statement.into(message_id, message_indicator);
  statement.into(content, content_indicator);
  statement.into(type, type_indicator);
  statement.into(is_ai_response, ai_indicator);
  statement.into(message_created_at, message_created_indicator);
  statement.into(user_id, user_indicator);
  if (statement.execute()) do {
      protocol::conversation_view conversation;
      conversation.id = id;
      conversation.title = detail::optional_text(title, title_indicator);
      conversation.status = detail::optional_text(status, status_indicator);
      conversation.source = detail::optional_text(source, source_indicator);
      conversation.unread_count = unread_count;
      conversation.created_at = created_at;
      conversation.updated_at = updated_at;
      if (user_indicator == soci::i_ok) conversation.user_id = user_id;
      if (message_indicator == soci::i_ok) {
        protocol::message_view message;
        message.id = message_id;
        message.content = detail::optional_text(content, content_indicator);
        message.type = type_indicator == soci::i_ok ? type : std::string();
        message.is_ai_response = ai_indicator == soci::i_ok && is_ai_response != 0;
        message.created_at = message_created_indicator == soci::i_ok ? message_created_at : 0;
        conversation.last_message = std::move(message);
      }
      auto& customer = page.customers[position.at(customer_id)];
      customer.unread_count += unread_count;
      customer.conversations.push_back(std::move(conversation));
    } while (statement.fetch());
}

// Statements bind at most this many ids, under SQLite's parameter limit.
constexpr std::size_t id_slice = 500;

template <class Visit>
void for_each_slice(const std::vector<std::int64_t>& ids, Visit&& visit) {
  for (std::size_t start = 0; start < ids.size(); start += id_slice)
    visit(std::vector<std::int64_t>(ids.begin() + static_cast<std::ptrdiff_t>(start),
                                    ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), start + id_slice))));
}

}  // namespace

protocol::customer_page database::fetch_customers(const protocol::list_query& query,
                                                  const protocol::viewer_scope& scope, deadline until) {
  return impl_->read("fetch_customers", until, [&] {
    auto& session = impl_->session;
    const auto dialect = impl_->dialect();
    const auto sql = build_customer_query_sql(query, scope, dialect);
    protocol::customer_page page;
    read_customer_rows(session, sql.page, page.customers);

    // The page often tells the count by itself (a short first or last page).
    const auto rows = static_cast<std::int64_t>(page.customers.size());
    if (rows < query.paging.limit && (rows > 0 || query.paging.offset == 0)) {
      page.total_count = query.paging.offset + rows;
    } else {
      detail::bound_statement statement(session, sql.count);
      long long count = 0;
      statement.into(count);
      statement.execute();
      page.total_count = count;
    }
    add_page_details(session, dialect, scope, page);
    return page;
  });
}

protocol::customer_page database::fetch_customers_by_id(const std::vector<std::int64_t>& ids,
                                                        const protocol::viewer_scope& scope, deadline until) {
  return impl_->read("fetch_customers_by_id", until, [&] {
    auto& session = impl_->session;
    std::vector<protocol::customer_view> found;
    for_each_slice(ids, [&](const std::vector<std::int64_t>& slice) {
      read_customer_rows(session, build_customers_by_id_sql(slice), found);
    });
    std::unordered_map<std::int64_t, std::size_t> position;
    for (std::size_t index = 0; index < found.size(); ++index) position.emplace(found[index].id, index);
    protocol::customer_page page;
    for (auto id : ids)
      if (const auto at = position.find(id); at != position.end()) page.customers.push_back(std::move(found[at->second]));
    add_page_details(session, impl_->dialect(), scope, page);
    return page;
  });
}

database::index_snapshot database::load_index(const std::optional<std::vector<std::int64_t>>& only) {
  return impl_->read("load_index", std::nullopt, [&] {
    auto& session = impl_->session;
    index_snapshot snapshot;
    std::unordered_map<std::int64_t, std::size_t> position;
    const auto load = [&](const std::vector<std::int64_t>* ids) {
      const auto sql = build_index_sql(ids);
      {
        detail::bound_statement statement(session, sql.customers);
        long long id = 0, created_at = 0, updated_at = 0, last_activity = 0;
        std::string text[6];
        soci::indicator text_indicator[6], last_activity_indicator;
        statement.into(id);
        for (int column = 0; column < 6; ++column) statement.into(text[column], text_indicator[column]);
        statement.into(created_at);
        statement.into(updated_at);
        statement.into(last_activity, last_activity_indicator);
        if (statement.execute()) do {
            std::optional<std::string> fields[6];
            for (int column = 0; column < 6; ++column) fields[column] = detail::optional_text(text[column], text_indicator[column]);
            indexed_customer customer;
            customer.id = id;
            customer.search_text = searchable_text(fields[0], fields[1], fields[2], fields[3], fields[4]);
            customer.first_name = std::move(fields[0]);
            customer.last_name = std::move(fields[1]);
            customer.has_email = fields[3] && !fields[3]->empty();
            customer.has_phone = fields[4] && !fields[4]->empty();
            customer.source = std::move(fields[5]);
            customer.created_at = created_at;
            customer.updated_at = updated_at;
            if (last_activity_indicator == soci::i_ok) customer.last_activity = last_activity;
            position.emplace(id, snapshot.customers.size());
            snapshot.customers.push_back(std::move(customer));
          } while (statement.fetch());
      }
      {
        detail::bound_statement statement(session, sql.tags);
        long long customer_id = 0, tag_id = 0;
        statement.into(customer_id);
        statement.into(tag_id);
        if (statement.execute()) do
            if (const auto at = position.find(customer_id); at != position.end())
              snapshot.customers[at->second].tag_ids.push_back(tag_id);
          while (statement.fetch());
      }
      detail::bound_statement statement(session, sql.conversations);
      long long customer_id = 0, user_id = 0, unread_count = 0;
      std::string status;
      soci::indicator user_indicator, status_indicator;
      statement.into(customer_id);
      statement.into(user_id, user_indicator);
      statement.into(status, status_indicator);
      statement.into(unread_count);
      if (statement.execute()) do {
          const auto at = position.find(customer_id);
          if (at == position.end()) continue;
          indexed_conversation conversation;
          if (user_indicator == soci::i_ok) conversation.user_id = user_id;
          conversation.status = detail::optional_text(status, status_indicator);
          conversation.unread = unread_count > 0;
          snapshot.customers[at->second].conversations.push_back(std::move(conversation));
        } while (statement.fetch());
    };
    if (only)
      for_each_slice(*only, [&](const std::vector<std::int64_t>& slice) { load(&slice); });
    else
      load(nullptr);

    detail::bound_statement statement(session, {"SELECT id, name FROM tags", {}});
    long long id = 0;
    std::string name;
    statement.into(id);
    statement.into(name);
    if (statement.execute()) do
        snapshot.tags.push_back({id, name});
      while (statement.fetch());
    return snapshot;
  });
}

protocol::filter_options database::fetch_filter_options(const protocol::viewer_scope& scope, deadline until) {
  return impl_->read("fetch_filter_options", until, [&] {
    auto& session = impl_->session;
    const auto sql = build_filter_options_sql(scope, impl_->dialect());
    protocol::filter_options options;

    const auto read_counts = [&](const sql_statement& query, std::vector<std::pair<std::string, std::int64_t>>& into) {
      detail::bound_statement statement(session, query);
      std::string value;
      long long count = 0;
      statement.into(value);
      statement.into(count);
      if (statement.execute()) do
          into.emplace_back(value, count);
        while (statement.fetch());
    };
    read_counts(sql.source_counts, options.source_counts);
    read_counts(sql.status_counts, options.status_counts);

    {
      detail::bound_statement statement(session, sql.tag_counts);
      long long id = 0, count = 0;
      std::string name;
      statement.into(id);
      statement.into(name);
      statement.into(count);
      if (statement.execute()) do
          options.tags.push_back({id, name, count});
        while (statement.fetch());
    }
    {
      detail::bound_statement statement(session, sql.created_range);
      long long minimum = 0, maximum = 0;
      soci::indicator minimum_indicator, maximum_indicator;
      statement.into(minimum, minimum_indicator);
      statement.into(maximum, maximum_indicator);
      if (statement.execute() && minimum_indicator == soci::i_ok && maximum_indicator == soci::i_ok) {
        options.created_at_min = minimum;
        options.created_at_max = maximum;
      }
    }
    return options;
  });
}

}  // namespace cws::storage
