// JSON Lines import (DATA.md).
//
// Semantics: a line is the full state of its customer for the keys it has.
// - Scalar keys that are present overwrite; absent keys leave existing data
//   alone (a new row gets null, or for times: created_at = the import's start
//   time, updated_at = created_at). So re-importing a file changes nothing,
//   even for lines without times.
// - `tags` present: the customer's tag set becomes exactly that list (tags are
//   upserted by id; a tag id that the database knows under another name is
//   renamed).
// - `conversations` present: listed conversations are upserted (moved to this
//   customer when they belonged to another), the customer's other
//   conversations are deleted with their messages.
// - `messages` present in a conversation: the same, for its messages.
// - Rules across the file: a customer appears on one line only; a tag id has
//   one name and a tag name one id; a conversation belongs to one customer and
//   a message to one conversation. The ids seen so far live in TEMP tables,
//   so memory does not grow with the file.
// The whole file is one transaction. Each line runs inside a savepoint, so a
// bad line leaves no trace and later lines are checked against a consistent
// state; after the last line, any problem rolls everything back.
#include "storage/import.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <istream>
#include <limits>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "protocol/time.hpp"
#include "storage/soci_support.hpp"

namespace cws::storage {
namespace {

using json = nlohmann::json;

// A problem with the current line; its message becomes the report's.
struct line_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename T>
struct field {
  bool present = false;
  std::optional<T> value;  // empty: null
};

struct tag_line {
  std::int64_t id = 0;
  std::string name;
};

struct message_line {
  std::int64_t id = 0;
  field<std::string> content;
  std::string type;
  std::optional<bool> is_ai_response;
  std::optional<bool> is_answered;
  std::optional<protocol::timestamp_ms> created_at;
};

struct conversation_line {
  std::int64_t id = 0;
  field<std::int64_t> user_id;
  field<std::string> title, status, source;
  std::optional<protocol::timestamp_ms> created_at, updated_at;
  std::optional<std::vector<message_line>> messages;
};

constexpr std::size_t customer_text_count = 8;
constexpr const char* customer_text_keys[customer_text_count] = {
    "first_name", "last_name", "username", "email", "phone_number", "source", "source_id", "profile_picture"};

struct customer_line {
  std::int64_t id = 0;
  field<std::string> text[customer_text_count];
  std::optional<protocol::timestamp_ms> created_at, updated_at;
  std::optional<std::vector<tag_line>> tags;
  std::optional<std::vector<conversation_line>> conversations;
};

// ---- reading one line ---------------------------------------------------------

const json* find(const json& object, const char* key) {
  const auto found = object.find(key);
  return found == object.end() ? nullptr : &*found;
}

std::string describe(const json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

std::int64_t integer_value(const json& value, const std::string& where) {
  if (value.is_number_unsigned()) {
    if (value.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw line_error(where + ": " + describe(value) + " is too large");
    return static_cast<std::int64_t>(value.get<std::uint64_t>());
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  throw line_error(where + ": " + describe(value) + " is not an integer");
}

std::int64_t required_id(const json& object, const std::string& path) {
  const json* value = find(object, "id");
  if (!value || value->is_null()) throw line_error(path + "id: missing");
  const auto id = integer_value(*value, path + "id");
  if (id < 1) throw line_error(path + "id: must be a positive integer, not " + std::to_string(id));
  return id;
}

field<std::string> text_field(const json& object, const char* key, const std::string& path) {
  field<std::string> result;
  const json* value = find(object, key);
  if (!value) return result;
  result.present = true;
  if (value->is_string())
    result.value = value->get<std::string>();
  else if (!value->is_null())
    throw line_error(path + key + ": " + describe(*value) + " is not a string or null");
  return result;
}

// Null counts as absent for times and flags: the columns have no null.
std::optional<protocol::timestamp_ms> time_field(const json& object, const char* key, const std::string& path) {
  const json* value = find(object, key);
  if (!value || value->is_null()) return std::nullopt;
  if (!value->is_string()) throw line_error(path + key + ": " + describe(*value) + " is not a time string");
  const auto parsed = protocol::parse_time(value->get<std::string>());
  if (!parsed) throw line_error(path + key + ": " + describe(*value) + " is not an ISO 8601 time");
  return parsed->value;
}

std::optional<bool> flag_field(const json& object, const char* key, const std::string& path) {
  const json* value = find(object, key);
  if (!value || value->is_null()) return std::nullopt;
  if (value->is_boolean()) return value->get<bool>();
  if (value->is_number_integer() && (value->get<std::int64_t>() == 0 || value->get<std::int64_t>() == 1))
    return value->get<std::int64_t>() == 1;
  throw line_error(path + key + ": " + describe(*value) + " is not true or false");
}

// The array under `key`, or nullptr when absent or null.
const json* array_field(const json& object, const char* key, const std::string& path) {
  const json* value = find(object, key);
  if (!value || value->is_null()) return nullptr;
  if (!value->is_array()) throw line_error(path + key + ": " + describe(*value) + " is not an array");
  return value;
}

const json& object_element(const json& value, const std::string& where) {
  if (!value.is_object()) throw line_error(where + ": " + describe(value) + " is not an object");
  return value;
}

message_line read_message(const json& object, const std::string& path) {
  message_line message;
  message.id = required_id(object, path);
  message.content = text_field(object, "content", path);
  const json* type = find(object, "type");
  if (!type || type->is_null()) throw line_error(path + "type: missing");
  if (!type->is_string() || type->get<std::string>().empty())
    throw line_error(path + "type: " + describe(*type) + " is not a non-empty string");
  message.type = type->get<std::string>();
  message.is_ai_response = flag_field(object, "is_ai_response", path);
  message.is_answered = flag_field(object, "is_answered", path);
  message.created_at = time_field(object, "created_at", path);
  return message;
}

conversation_line read_conversation(const json& object, const std::string& path) {
  conversation_line conversation;
  conversation.id = required_id(object, path);
  if (const json* user = find(object, "user_id")) {
    conversation.user_id.present = true;
    if (!user->is_null()) conversation.user_id.value = integer_value(*user, path + "user_id");
  }
  conversation.title = text_field(object, "title", path);
  conversation.status = text_field(object, "status", path);
  conversation.source = text_field(object, "source", path);
  conversation.created_at = time_field(object, "created_at", path);
  conversation.updated_at = time_field(object, "updated_at", path);
  if (const json* messages = array_field(object, "messages", path)) {
    conversation.messages.emplace();
    for (std::size_t index = 0; index < messages->size(); ++index) {
      const std::string where = path + "messages[" + std::to_string(index) + "]";
      conversation.messages->push_back(read_message(object_element((*messages)[index], where), where + "."));
    }
  }
  return conversation;
}

customer_line read_customer(const json& object) {
  customer_line customer;
  customer.id = required_id(object, "");
  for (std::size_t index = 0; index < customer_text_count; ++index)
    customer.text[index] = text_field(object, customer_text_keys[index], "");
  customer.created_at = time_field(object, "created_at", "");
  customer.updated_at = time_field(object, "updated_at", "");
  if (const json* tags = array_field(object, "tags", "")) {
    customer.tags.emplace();
    for (std::size_t index = 0; index < tags->size(); ++index) {
      const std::string where = "tags[" + std::to_string(index) + "]";
      const json& tag = object_element((*tags)[index], where);
      tag_line entry;
      entry.id = required_id(tag, where + ".");
      const json* name = find(tag, "name");
      if (!name || !name->is_string() || name->get<std::string>().empty())
        throw line_error(where + ".name: missing or not a non-empty string");
      entry.name = name->get<std::string>();
      customer.tags->push_back(std::move(entry));
    }
  }
  if (const json* conversations = array_field(object, "conversations", "")) {
    customer.conversations.emplace();
    for (std::size_t index = 0; index < conversations->size(); ++index) {
      const std::string where = "conversations[" + std::to_string(index) + "]";
      customer.conversations->push_back(
          read_conversation(object_element((*conversations)[index], where), where + "."));
    }
  }
  return customer;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// ---- writing ----------------------------------------------------------------------

// The ids seen so far during one import, with the line that brought them.
struct seen_table {
  const char* name;
  const char* columns;
};
const seen_table seen_tables[] = {
    {"cws_import_customers", "(id BIGINT PRIMARY KEY, line BIGINT NOT NULL)"},
    {"cws_import_tags", "(id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, line BIGINT NOT NULL)"},
    {"cws_import_conversations", "(id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, line BIGINT NOT NULL)"},
    {"cws_import_messages", "(id BIGINT PRIMARY KEY, conversation_id BIGINT NOT NULL, line BIGINT NOT NULL)"},
};

// Holds the seen-id tables for one import. On SQLite they live in a scratch
// file attached for the import, with a bounded page cache, so an import's
// memory does not grow with its file; the connection's own temporary storage
// (each line's savepoint journal) stays in memory, where it is fast. Its
// rollback journal is kept in memory too, so that a bad line's savepoint
// rollback also forgets the ids that line brought. The statements name the
// tables without a schema, so they find them either way.
class seen_id_tables {
 public:
  seen_id_tables(soci::session& session, backend kind) : session_(session), kind_(kind) {
    if (kind_ == backend::sqlite) {
      namespace fs = std::filesystem;
      path_ = (fs::temp_directory_path() /
               ("customer-ws-import-" + std::to_string(::getpid()) + "-" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + ".db"))
                  .string();
      session_ << "ATTACH DATABASE :path AS cws_import_scratch", soci::use(path_);
      attached_ = true;
      session_ << "PRAGMA cws_import_scratch.journal_mode = MEMORY";
      session_ << "PRAGMA cws_import_scratch.synchronous = OFF";
      session_ << "PRAGMA cws_import_scratch.cache_size = -65536";  // KiB
      for (const auto& table : seen_tables)
        session_ << std::string{"CREATE TABLE cws_import_scratch."} + table.name + " " + table.columns;
    } else {
      drop_temporary_tables();
      for (const auto& table : seen_tables)
        session_ << std::string{"CREATE TEMP TABLE "} + table.name + " " + table.columns;
    }
  }
  ~seen_id_tables() {
    try {
      if (kind_ != backend::sqlite) drop_temporary_tables();
      if (attached_) session_ << "DETACH DATABASE cws_import_scratch";
    } catch (...) {
      // The connection is unusable; what it had attached goes with it.
    }
    if (!path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
  }
  seen_id_tables(const seen_id_tables&) = delete;
  seen_id_tables& operator=(const seen_id_tables&) = delete;

 private:
  // Named with their schema, so that a DROP never reaches a real table.
  void drop_temporary_tables() {
    for (const auto& table : seen_tables) session_ << std::string{"DROP TABLE IF EXISTS pg_temp."} + table.name;
  }

  soci::session& session_;
  backend kind_;
  std::string path_;
  bool attached_ = false;
};

std::string quoted(const std::string& text) { return "'" + text + "'"; }

class importer {
 public:
  importer(soci::session& session, protocol::timestamp_ms now) : session_(session), now_(now) {}

  void write(const customer_line& customer, std::int64_t line) {
    line_ = line;
    if (seen_customer_.run(customer.id))
      throw line_error("customer " + std::to_string(customer.id) + " already appears on line " +
                       std::to_string(seen_customer_.integer(0)));
    remember_customer_.run(customer.id, line);
    write_customer(customer);
    if (customer.tags) write_tags(customer.id, *customer.tags);
    if (customer.conversations) {
      std::set<std::int64_t> listed;
      for (const auto& conversation : *customer.conversations) {
        write_conversation(customer.id, conversation);
        listed.insert(conversation.id);
      }
      for (auto id : ids_of(customer_conversations_, customer.id))
        if (!listed.count(id)) {
          delete_conversation_.run(id);
          ++rows_written_;
        }
    }
  }

  // Rows inserted, updated or deleted in the real tables (not the TEMP ones).
  std::int64_t rows_written() const { return rows_written_; }

  std::int64_t count(const char* table) {
    long long rows = 0;
    session_ << "SELECT count(*) FROM " + std::string(table), soci::into(rows);
    return rows;
  }

 private:
  using statement = detail::prepared_statement;

  std::vector<std::int64_t> ids_of(statement& query, std::int64_t owner) {
    std::vector<std::int64_t> ids;
    if (query.run(owner)) do
        ids.push_back(query.integer(0));
      while (query.next());
    return ids;
  }

  void write_customer(const customer_line& customer) {
    std::optional<std::string> text[customer_text_count];
    std::int64_t created_at = 0, updated_at = 0;
    const bool exists = find_customer_.run(customer.id);
    bool changed = !exists;
    for (std::size_t index = 0; index < customer_text_count; ++index) {
      const auto& given = customer.text[index];
      text[index] = given.present ? given.value : exists ? find_customer_.optional_text(index) : std::nullopt;
      if (exists && text[index] != find_customer_.optional_text(index)) changed = true;
    }
    created_at = customer.created_at ? *customer.created_at : exists ? find_customer_.integer(8) : now_;
    updated_at = customer.updated_at ? *customer.updated_at : exists ? find_customer_.integer(9) : created_at;
    if (exists && (created_at != find_customer_.integer(8) || updated_at != find_customer_.integer(9))) changed = true;
    if (!changed) return;
    auto& write = exists ? update_customer_ : insert_customer_;
    ++rows_written_;
    write.run(text[0], text[1], text[2], text[3], text[4], text[5], text[6], text[7], created_at, updated_at,
              customer.id);
  }

  void write_tags(std::int64_t customer_id, const std::vector<tag_line>& tags) {
    std::set<std::int64_t> wanted;
    for (const auto& tag : tags) {
      register_tag(tag);
      wanted.insert(tag.id);
    }
    const auto current_list = ids_of(customer_tags_, customer_id);
    const std::set<std::int64_t> current(current_list.begin(), current_list.end());
    for (auto id : current)
      if (!wanted.count(id)) {
        delete_customer_tag_.run(customer_id, id);
        ++rows_written_;
      }
    for (auto id : wanted)
      if (!current.count(id)) {
        insert_customer_tag_.run(customer_id, id);
        ++rows_written_;
      }
  }

  void register_tag(const tag_line& tag) {
    const auto id = std::to_string(tag.id);
    if (seen_tag_by_id_.run(tag.id)) {
      if (seen_tag_by_id_.text(0) != tag.name)
        throw line_error("tag " + id + " is named " + quoted(seen_tag_by_id_.text(0)) + " on line " +
                         std::to_string(seen_tag_by_id_.integer(1)) + " and " + quoted(tag.name) + " here");
      return;  // already written by an earlier line
    }
    if (seen_tag_by_name_.run(tag.name))
      throw line_error("tag name " + quoted(tag.name) + " has id " + std::to_string(seen_tag_by_name_.integer(0)) +
                       " on line " + std::to_string(seen_tag_by_name_.integer(1)) + " and " + id + " here");
    remember_tag_.run(tag.id, tag.name, line_);

    const bool exists = find_tag_.run(tag.id);
    if (exists && find_tag_.text(0) == tag.name) return;
    if (find_tag_by_name_.run(tag.name))
      throw line_error("tag name " + quoted(tag.name) + " belongs to tag " +
                       std::to_string(find_tag_by_name_.integer(0)) + " in the database, not " + id);
    if (exists)
      rename_tag_.run(tag.name, tag.id);
    else
      insert_tag_.run(tag.id, tag.name);
    ++rows_written_;
  }

  void write_conversation(std::int64_t customer_id, const conversation_line& conversation) {
    const auto id = std::to_string(conversation.id);
    if (seen_conversation_.run(conversation.id)) {
      if (seen_conversation_.integer(0) == customer_id)
        throw line_error("conversation " + id + " is listed twice");
      throw line_error("conversation " + id + " already belongs to customer " +
                       std::to_string(seen_conversation_.integer(0)) + " on line " +
                       std::to_string(seen_conversation_.integer(1)));
    }
    remember_conversation_.run(conversation.id, customer_id, line_);

    // Columns of find_conversation_: customer_id, user_id, title, status, source, created_at, updated_at.
    const bool exists = find_conversation_.run(conversation.id);
    const auto pick_text = [&](const field<std::string>& given, std::size_t column) {
      return given.present ? given.value : exists ? find_conversation_.optional_text(column) : std::nullopt;
    };
    std::optional<long long> user_id;
    if (conversation.user_id.present)
      user_id = conversation.user_id.value;
    else if (exists)
      user_id = find_conversation_.optional_integer(1);
    const auto title = pick_text(conversation.title, 2);
    const auto status = pick_text(conversation.status, 3);
    const auto source = pick_text(conversation.source, 4);
    const long long created_at =
        conversation.created_at ? *conversation.created_at : exists ? find_conversation_.integer(5) : now_;
    const long long updated_at =
        conversation.updated_at ? *conversation.updated_at : exists ? find_conversation_.integer(6) : created_at;
    const bool changed = !exists || find_conversation_.integer(0) != customer_id ||
                         find_conversation_.optional_integer(1) != user_id ||
                         find_conversation_.optional_text(2) != title || find_conversation_.optional_text(3) != status ||
                         find_conversation_.optional_text(4) != source || find_conversation_.integer(5) != created_at ||
                         find_conversation_.integer(6) != updated_at;
    if (changed) {
      auto& write = exists ? update_conversation_ : insert_conversation_;
      ++rows_written_;
      write.run(static_cast<long long>(customer_id), user_id, title, status, source, created_at, updated_at,
                static_cast<long long>(conversation.id));
    }

    if (!conversation.messages) return;
    std::set<std::int64_t> listed;
    for (const auto& message : *conversation.messages) {
      write_message(conversation.id, message);
      listed.insert(message.id);
    }
    for (auto message_id : ids_of(conversation_messages_, conversation.id))
      if (!listed.count(message_id)) {
        delete_message_.run(message_id);
        ++rows_written_;
      }
  }

  void write_message(std::int64_t conversation_id, const message_line& message) {
    const auto id = std::to_string(message.id);
    if (seen_message_.run(message.id)) {
      if (seen_message_.integer(0) == conversation_id) throw line_error("message " + id + " is listed twice");
      throw line_error("message " + id + " already belongs to conversation " + std::to_string(seen_message_.integer(0)) +
                       " on line " + std::to_string(seen_message_.integer(1)));
    }
    remember_message_.run(message.id, conversation_id, line_);

    // Columns of find_message_: conversation_id, content, type, is_ai_response, is_answered, created_at.
    const bool exists = find_message_.run(message.id);
    const auto content = message.content.present ? message.content.value
                         : exists                 ? find_message_.optional_text(1)
                                                  : std::nullopt;
    const long long is_ai_response =
        message.is_ai_response ? *message.is_ai_response : exists ? find_message_.integer(3) : 0;
    const long long is_answered = message.is_answered ? *message.is_answered : exists ? find_message_.integer(4) : 0;
    const long long created_at = message.created_at ? *message.created_at : exists ? find_message_.integer(5) : now_;
    const bool changed = !exists || find_message_.integer(0) != conversation_id ||
                         find_message_.optional_text(1) != content || find_message_.text(2) != message.type ||
                         find_message_.integer(3) != is_ai_response || find_message_.integer(4) != is_answered ||
                         find_message_.integer(5) != created_at;
    if (!changed) return;
    auto& write = exists ? update_message_ : insert_message_;
    ++rows_written_;
    write.run(static_cast<long long>(conversation_id), content, message.type, is_ai_response, is_answered, created_at,
              static_cast<long long>(message.id));
  }

  soci::session& session_;
  protocol::timestamp_ms now_;
  std::int64_t line_ = 0;
  std::int64_t rows_written_ = 0;

  statement seen_customer_{session_, "SELECT line FROM cws_import_customers WHERE id = :id", "i", "i"};
  statement remember_customer_{session_, "INSERT INTO cws_import_customers(id, line) VALUES (:id, :line)", "ii"};
  statement find_customer_{session_,
                           "SELECT first_name, last_name, username, email, phone_number, source, source_id,"
                           " profile_picture, created_at, updated_at FROM customers WHERE id = :id",
                           "i", "ttttttttii"};
  statement insert_customer_{
      session_,
      "INSERT INTO customers(first_name, last_name, username, email, phone_number, source, source_id,"
      " profile_picture, created_at, updated_at, id) VALUES (:p1, :p2, :p3, :p4, :p5, :p6, :p7, :p8, :p9, :p10, :p11)",
      "ttttttttiii"};
  statement update_customer_{session_,
                             "UPDATE customers SET first_name = :p1, last_name = :p2, username = :p3, email = :p4,"
                             " phone_number = :p5, source = :p6, source_id = :p7, profile_picture = :p8,"
                             " created_at = :p9, updated_at = :p10 WHERE id = :p11",
                             "ttttttttiii"};

  statement seen_tag_by_id_{session_, "SELECT name, line FROM cws_import_tags WHERE id = :id", "i", "ti"};
  statement seen_tag_by_name_{session_, "SELECT id, line FROM cws_import_tags WHERE name = :name", "t", "ii"};
  statement remember_tag_{session_, "INSERT INTO cws_import_tags(id, name, line) VALUES (:id, :name, :line)", "iti"};
  statement find_tag_{session_, "SELECT name FROM tags WHERE id = :id", "i", "t"};
  statement find_tag_by_name_{session_, "SELECT id FROM tags WHERE name = :name", "t", "i"};
  statement insert_tag_{session_, "INSERT INTO tags(id, name) VALUES (:id, :name)", "it"};
  statement rename_tag_{session_, "UPDATE tags SET name = :name WHERE id = :id", "ti"};
  statement customer_tags_{session_, "SELECT tag_id FROM customer_tags WHERE customer_id = :id", "i", "i"};
  statement insert_customer_tag_{session_, "INSERT INTO customer_tags(customer_id, tag_id) VALUES (:c, :t)", "ii"};
  statement delete_customer_tag_{session_, "DELETE FROM customer_tags WHERE customer_id = :c AND tag_id = :t", "ii"};

  statement seen_conversation_{session_, "SELECT customer_id, line FROM cws_import_conversations WHERE id = :id", "i",
                               "ii"};
  statement remember_conversation_{
      session_, "INSERT INTO cws_import_conversations(id, customer_id, line) VALUES (:id, :c, :line)", "iii"};
  statement find_conversation_{session_,
                               "SELECT customer_id, user_id, title, status, source, created_at, updated_at"
                               " FROM conversations WHERE id = :id",
                               "i", "iitttii"};
  statement insert_conversation_{session_,
                                 "INSERT INTO conversations(customer_id, user_id, title, status, source, created_at,"
                                 " updated_at, id) VALUES (:p1, :p2, :p3, :p4, :p5, :p6, :p7, :p8)",
                                 "iitttiii"};
  statement update_conversation_{session_,
                                 "UPDATE conversations SET customer_id = :p1, user_id = :p2, title = :p3,"
                                 " status = :p4, source = :p5, created_at = :p6, updated_at = :p7 WHERE id = :p8",
                                 "iitttiii"};
  statement customer_conversations_{session_, "SELECT id FROM conversations WHERE customer_id = :id", "i", "i"};
  statement delete_conversation_{session_, "DELETE FROM conversations WHERE id = :id", "i"};

  statement seen_message_{session_, "SELECT conversation_id, line FROM cws_import_messages WHERE id = :id", "i", "ii"};
  statement remember_message_{
      session_, "INSERT INTO cws_import_messages(id, conversation_id, line) VALUES (:id, :c, :line)", "iii"};
  statement find_message_{session_,
                          "SELECT conversation_id, content, type, is_ai_response, is_answered, created_at"
                          " FROM messages WHERE id = :id",
                          "i", "ittiii"};
  statement insert_message_{session_,
                            "INSERT INTO messages(conversation_id, content, type, is_ai_response, is_answered,"
                            " created_at, id) VALUES (:p1, :p2, :p3, :p4, :p5, :p6, :p7)",
                            "ittiiii"};
  statement update_message_{session_,
                            "UPDATE messages SET conversation_id = :p1, content = :p2, type = :p3,"
                            " is_ai_response = :p4, is_answered = :p5, created_at = :p6 WHERE id = :p7",
                            "ittiiii"};
  statement conversation_messages_{session_, "SELECT id FROM messages WHERE conversation_id = :id", "i", "i"};
  statement delete_message_{session_, "DELETE FROM messages WHERE id = :id", "i"};
};

// Parses and writes one line inside a savepoint; returns the problem, if any.
std::string import_line(soci::session& session, importer& writer, const std::string& text, std::int64_t line) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& error) {
    std::string detail = error.what();
    if (const auto colon = detail.find(": "); colon != std::string::npos) detail = detail.substr(colon + 2);
    return "not valid JSON (" + detail + ")";
  }
  if (!document.is_object()) return "not a JSON object";
  customer_line customer;
  try {
    customer = read_customer(document);
  } catch (const line_error& error) {
    return error.what();
  }

  session << "SAVEPOINT cws_import_line";
  try {
    writer.write(customer, line);
    session << "RELEASE SAVEPOINT cws_import_line";
    return {};
  } catch (const line_error& error) {
    session << "ROLLBACK TO SAVEPOINT cws_import_line";
    session << "RELEASE SAVEPOINT cws_import_line";
    return error.what();
  } catch (...) {
    // A constraint the checks above did not foresee is this line's problem;
    // anything else (disk, lock) ends the import.
    std::string message;
    try {
      detail::rethrow_as_storage_error("the database rejected this line");
    } catch (const storage_error& error) {
      if (error.error_kind() != storage_error::kind::invalid_data) throw;
      message = error.what();
    }
    session << "ROLLBACK TO SAVEPOINT cws_import_line";
    session << "RELEASE SAVEPOINT cws_import_line";
    return message;
  }
}

}  // namespace

import_report import_json_lines(database& db, std::istream& input, std::size_t max_reported_problems) {
  auto& session = db.session();
  import_report report;
  try {
    seen_id_tables seen(session, db.kind());
    bool wrote = false;
    {
      detail::bulk_write_cache cache(session, db.kind());
      detail::write_transaction transaction(session, db.kind());
      detail::change_log_pause quiet_change_log(session, db.kind());
      importer writer(session, protocol::now_ms());
      std::string text;
      std::int64_t line = 0;
      while (std::getline(input, text)) {
        ++line;
        if (line == 1 && text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // a byte order mark
        if (trim(text).empty()) continue;
        ++report.lines;
        const std::string problem = import_line(session, writer, text, line);
        if (problem.empty()) {
          ++report.customers;
          continue;
        }
        ++report.problem_count;
        if (report.problems.size() < max_reported_problems) report.problems.push_back({line, problem});
      }
      if (input.bad()) throw storage_error(storage_error::kind::internal, "import: reading the input failed");
      report.tags = writer.count("cws_import_tags");
      report.conversations = writer.count("cws_import_conversations");
      report.messages = writer.count("cws_import_messages");
      wrote = report.problem_count == 0 && writer.rows_written() > 0;
      // A file that changed nothing is rolled back too: committing would
      // still write the change-log switch, and a re-import must not touch
      // the file at all.
      if (wrote) {
        quiet_change_log.finish(true);
        transaction.commit();
      } else {
        transaction.rollback();
      }
    }
    // Only after real changes: a re-import must not touch the file at all.
    if (wrote) detail::refresh_planner_statistics(session, db.kind());
  } catch (...) {
    detail::rethrow_as_storage_error("import");
  }
  return report;
}

}  // namespace cws::storage
