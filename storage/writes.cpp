// The write API's writes (docs/api.md).
//
// Each request is one write transaction (BEGIN IMMEDIATE on SQLite, so the
// existence checks below cannot race another writer). A request that names a
// missing row or clashes with an existing one is refused by throwing
// `refusal`: the transaction rolls back and the refusal becomes the answer.
// The derived columns (unread_count, last_message_*, last_activity, the
// search index) and the change log are the triggers' business; the writes
// here never name them. What the triggers do not know is done here:
//   - a message moves its conversation's updated_at up to its created_at;
//   - a reply (agent message or AI response) marks every unanswered customer
//     message of its conversation answered;
//   - POST .../read marks them all answered.
#include "storage/writes.hpp"

#include <array>
#include <string>
#include <utility>

#include "protocol/write_response.hpp"
#include "storage/soci_support.hpp"

namespace cws::storage {
namespace {

using protocol::write_result;
using protocol::write_status;
using statement = detail::prepared_statement;

// A request the database's rows refuse (404, 409); nothing is written.
struct refusal {
  write_result result;
};

[[noreturn]] void not_found(std::string_view field, const std::string& message) {
  throw refusal{protocol::write_error(write_status::not_found, "not_found", field, message)};
}

[[noreturn]] void conflict(std::string_view field, const std::string& message) {
  throw refusal{protocol::write_error(write_status::conflict, "conflict", field, message)};
}

std::string quoted(const std::string& text) { return "'" + text + "'"; }

constexpr std::size_t customer_text_count = 8;
using customer_text_values = std::array<protocol::nullable_text, customer_text_count>;

template <typename Text>
customer_text_values text_values(const Text& text) {
  customer_text_values values;
  std::size_t index = 0;
  protocol::for_each_customer_text(text, [&](const char*, const auto& value) { values[index++] = value; });
  return values;
}

// A table the writes look rows up in, and what its rows are called in messages.
struct row_kind {
  const char* exists_sql;
  const char* name;
};
const row_kind customer_rows{"SELECT 1 FROM customers WHERE id = :id", "customer"};
const row_kind tag_rows{"SELECT 1 FROM tags WHERE id = :id", "tag"};
const row_kind conversation_rows{"SELECT 1 FROM conversations WHERE id = :id", "conversation"};
const row_kind message_rows{"SELECT 1 FROM messages WHERE id = :id", "message"};

class writer {
 public:
  writer(soci::session& session, backend kind) : session_(session), kind_(kind) {}

  // ---- customers ---------------------------------------------------------------

  write_result operator()(const protocol::create_customer& request) {
    refuse_taken_id(customer_rows, request.id);
    const auto text = text_values(request.text);
    statement insert(session_,
                     "INSERT INTO customers(id, first_name, last_name, username, email, phone_number, source,"
                     " source_id, profile_picture, created_at, updated_at)"
                     " VALUES (:p1, :p2, :p3, :p4, :p5, :p6, :p7, :p8, :p9, :p10, :p11)",
                     "ittttttttii");
    insert.run(request.id, text[0], text[1], text[2], text[3], text[4], text[5], text[6], text[7], request.created_at,
               request.updated_at);
    const std::int64_t id = request.id ? *request.id : last_insert_id("customers");
    return {write_status::created, protocol::customer_answer_json(read_customer(id)), {}};
  }

  write_result operator()(const protocol::update_customer& request) {
    statement current(session_,
                      "SELECT first_name, last_name, username, email, phone_number, source, source_id,"
                      " profile_picture, created_at FROM customers WHERE id = :id",
                      "i", "tttttttti");
    if (!current.run(request.id)) not_found("id", "customer " + std::to_string(request.id) + " not found");
    customer_text_values text;
    std::size_t index = 0;
    protocol::for_each_customer_text(request.text,
                                     [&](const char*, const std::optional<protocol::nullable_text>& given) {
                                       text[index] = given ? *given : current.optional_text(index);
                                       ++index;
                                     });
    const std::int64_t created_at = request.created_at ? *request.created_at : current.integer(8);
    statement update(session_,
                     "UPDATE customers SET first_name = :p1, last_name = :p2, username = :p3, email = :p4,"
                     " phone_number = :p5, source = :p6, source_id = :p7, profile_picture = :p8,"
                     " created_at = :p9, updated_at = :p10 WHERE id = :p11",
                     "ttttttttiii");
    update.run(text[0], text[1], text[2], text[3], text[4], text[5], text[6], text[7], created_at, request.updated_at,
               request.id);
    return {write_status::ok, protocol::customer_answer_json(read_customer(request.id)), {}};
  }

  // Its tag assignments, conversations and messages go with it (foreign keys).
  write_result operator()(const protocol::delete_customer& request) {
    require_foreign_keys();
    require(customer_rows, request.id, "id");
    run("DELETE FROM customers WHERE id = :id", request.id);
    return {write_status::ok, protocol::deleted_answer_json("customer", request.id), {}};
  }

  // ---- tags ----------------------------------------------------------------------

  write_result operator()(const protocol::create_tag& request) {
    refuse_taken_id(tag_rows, request.id);
    refuse_taken_name(request.name);
    statement insert(session_, "INSERT INTO tags(id, name) VALUES (:id, :name)", "it");
    insert.run(request.id, request.name);
    const std::int64_t id = request.id ? *request.id : last_insert_id("tags");
    return {write_status::created, protocol::tag_answer_json({id, request.name}), {}};
  }

  write_result operator()(const protocol::rename_tag& request) {
    statement current(session_, "SELECT name FROM tags WHERE id = :id", "i", "t");
    if (!current.run(request.id)) not_found("id", "tag " + std::to_string(request.id) + " not found");
    if (current.text(0) != request.name) {
      refuse_taken_name(request.name);
      statement rename(session_, "UPDATE tags SET name = :name WHERE id = :id", "ti");
      rename.run(request.name, request.id);
    }
    return {write_status::ok, protocol::tag_answer_json({request.id, request.name}), {}};
  }

  // Its assignments go with it (foreign keys).
  write_result operator()(const protocol::delete_tag& request) {
    require_foreign_keys();
    require(tag_rows, request.id, "id");
    run("DELETE FROM tags WHERE id = :id", request.id);
    return {write_status::ok, protocol::deleted_answer_json("tag", request.id), {}};
  }

  // Idempotent: assigning a tag the customer has changes nothing.
  write_result operator()(const protocol::assign_tag& request) {
    require_customer_and_tag(request.customer_id, request.tag_id);
    if (!is_assigned(request.customer_id, request.tag_id)) {
      statement insert(session_, "INSERT INTO customer_tags(customer_id, tag_id) VALUES (:c, :t)", "ii");
      insert.run(request.customer_id, request.tag_id);
    }
    return {write_status::ok, protocol::assignment_answer_json(request.customer_id, request.tag_id), {}};
  }

  write_result operator()(const protocol::unassign_tag& request) {
    require_customer_and_tag(request.customer_id, request.tag_id);
    if (!is_assigned(request.customer_id, request.tag_id))
      not_found("tag_id", "customer " + std::to_string(request.customer_id) + " does not have tag " +
                              std::to_string(request.tag_id));
    statement remove(session_, "DELETE FROM customer_tags WHERE customer_id = :c AND tag_id = :t", "ii");
    remove.run(request.customer_id, request.tag_id);
    return {write_status::ok, protocol::deleted_assignment_json(request.customer_id, request.tag_id), {}};
  }

  // ---- conversations --------------------------------------------------------------

  write_result operator()(const protocol::create_conversation& request) {
    require(customer_rows, request.customer_id, "customer_id");
    refuse_taken_id(conversation_rows, request.id);
    statement insert(session_,
                     "INSERT INTO conversations(id, customer_id, user_id, title, status, source, created_at,"
                     " updated_at) VALUES (:p1, :p2, :p3, :p4, :p5, :p6, :p7, :p8)",
                     "iiitttii");
    insert.run(request.id, request.customer_id, request.user_id, request.title, request.status, request.source,
               request.created_at, request.updated_at);
    const std::int64_t id = request.id ? *request.id : last_insert_id("conversations");
    return {write_status::created, protocol::conversation_answer_json(read_conversation(id)), {}};
  }

  write_result operator()(const protocol::update_conversation& request) {
    statement current(session_, "SELECT user_id, title, status, source FROM conversations WHERE id = :id", "i",
                      "ittt");
    if (!current.run(request.id)) not_found("id", "conversation " + std::to_string(request.id) + " not found");
    std::optional<long long> user_id = current.optional_integer(0);
    if (request.user_id) user_id = *request.user_id;
    const auto title = request.title ? *request.title : current.optional_text(1);
    const auto status = request.status ? *request.status : current.optional_text(2);
    const auto source = request.source ? *request.source : current.optional_text(3);
    statement update(session_,
                     "UPDATE conversations SET user_id = :p1, title = :p2, status = :p3, source = :p4,"
                     " updated_at = :p5 WHERE id = :p6",
                     "itttii");
    update.run(user_id, title, status, source, request.updated_at, request.id);
    return {write_status::ok, protocol::conversation_answer_json(read_conversation(request.id)), {}};
  }

  // Its messages go with it (foreign keys).
  write_result operator()(const protocol::delete_conversation& request) {
    require_foreign_keys();
    require(conversation_rows, request.id, "id");
    run("DELETE FROM conversations WHERE id = :id", request.id);
    return {write_status::ok, protocol::deleted_answer_json("conversation", request.id), {}};
  }

  // ---- messages ---------------------------------------------------------------------

  write_result operator()(const protocol::create_message& request) {
    require(conversation_rows, request.conversation_id, "conversation_id");
    refuse_taken_id(message_rows, request.id);
    statement insert(session_,
                     "INSERT INTO messages(id, conversation_id, content, type, is_ai_response, is_answered,"
                     " created_at) VALUES (:p1, :p2, :p3, :p4, :p5, :p6, :p7)",
                     "iittiii");
    insert.run(request.id, request.conversation_id, request.content, protocol::to_string(request.type),
               request.is_ai_response, request.is_answered, request.created_at);
    const std::int64_t id = request.id ? *request.id : last_insert_id("messages");
    // A reply answers everything the customer has asked so far (the reply
    // itself too, when it is an AI response stored as a customer message).
    if (request.is_reply()) answer_customer_messages(request.conversation_id);
    statement touch(session_,
                    "UPDATE conversations SET updated_at = :at WHERE id = :id AND updated_at < :before", "iii");
    touch.run(request.created_at, request.conversation_id, request.created_at);
    return {write_status::created,
            protocol::message_answer_json(read_message(id), read_conversation(request.conversation_id)),
            {}};
  }

  write_result operator()(const protocol::delete_message& request) {
    require(message_rows, request.id, "id");
    run("DELETE FROM messages WHERE id = :id", request.id);
    return {write_status::ok, protocol::deleted_answer_json("message", request.id), {}};
  }

  write_result operator()(const protocol::mark_conversation_read& request) {
    require(conversation_rows, request.conversation_id, "conversation_id");
    answer_customer_messages(request.conversation_id);
    return {write_status::ok, protocol::conversation_answer_json(read_conversation(request.conversation_id)), {}};
  }

 private:
  // not_found (naming `field`) unless the row exists.
  void require(const row_kind& kind, std::int64_t id, std::string_view field) {
    if (!exists(kind.exists_sql, id)) not_found(field, std::string(kind.name) + " " + std::to_string(id) + " not found");
  }

  // conflict unless the id the request gives is free (or it gives none).
  void refuse_taken_id(const row_kind& kind, const std::optional<std::int64_t>& id) {
    if (id && exists(kind.exists_sql, *id))
      conflict("id", std::string(kind.name) + " " + std::to_string(*id) + " exists already");
  }

  bool exists(const char* sql, std::int64_t id) {
    statement query(session_, sql, "i", "i");
    return query.run(id);
  }

  void run(const char* sql, std::int64_t id) {
    statement write(session_, sql, "i");
    write.run(id);
  }

  std::int64_t last_insert_id(const char* table) {
    long long id = 0;
    if (!session_.get_last_insert_id(table, id))
      throw storage_error(storage_error::kind::internal, std::string("cannot read the new id of ") + table);
    return id;
  }

  // The cascades of the deletes need them; every connection the service
  // opens turns them on, so this only guards against a foreign connection.
  void require_foreign_keys() {
    if (kind_ != backend::sqlite) return;
    int enabled = 0;
    session_ << "PRAGMA foreign_keys", soci::into(enabled);
    if (!enabled)
      throw storage_error(storage_error::kind::internal,
                          "foreign keys are off on this connection: a delete would leave orphans");
  }

  void refuse_taken_name(const std::string& name) {
    statement owner(session_, "SELECT id FROM tags WHERE name = :name", "t", "i");
    if (owner.run(name))
      conflict("name", "the tag name " + quoted(name) + " is taken by tag " + std::to_string(owner.integer(0)));
  }

  void require_customer_and_tag(std::int64_t customer_id, std::int64_t tag_id) {
    require(customer_rows, customer_id, "customer_id");
    require(tag_rows, tag_id, "tag_id");
  }

  bool is_assigned(std::int64_t customer_id, std::int64_t tag_id) {
    statement query(session_, "SELECT 1 FROM customer_tags WHERE customer_id = :c AND tag_id = :t", "ii", "i");
    return query.run(customer_id, tag_id);
  }

  // The condition matches the partial index messages_unread.
  void answer_customer_messages(std::int64_t conversation_id) {
    run("UPDATE messages SET is_answered = 1 WHERE conversation_id = :id AND type = 'customer' AND is_answered = 0",
        conversation_id);
  }

  // ---- reading back what was written -------------------------------------------------

  [[noreturn]] static void vanished(const char* what, std::int64_t id) {
    throw storage_error(storage_error::kind::internal,
                        std::string(what) + " " + std::to_string(id) + " is missing right after the write");
  }

  protocol::stored_customer read_customer(std::int64_t id) {
    statement row(session_,
                  "SELECT first_name, last_name, username, email, phone_number, source, source_id, profile_picture,"
                  " created_at, updated_at, last_activity FROM customers WHERE id = :id",
                  "i", "ttttttttiii");
    if (!row.run(id)) vanished("customer", id);
    protocol::stored_customer customer;
    customer.id = id;
    std::size_t column = 0;
    protocol::for_each_customer_text(customer.text, [&](const char*, protocol::nullable_text& value) {
      value = row.optional_text(column++);
    });
    customer.created_at = row.integer(8);
    customer.updated_at = row.integer(9);
    customer.last_activity = row.optional_integer(10).value_or(customer.updated_at);
    statement tags(session_,
                   "SELECT t.id, t.name FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id"
                   " WHERE ct.customer_id = :id ORDER BY t.name, t.id",
                   "i", "it");
    if (tags.run(id)) do
        customer.tags.push_back({tags.integer(0), tags.text(1)});
      while (tags.next());
    return customer;
  }

  protocol::stored_conversation read_conversation(std::int64_t id) {
    statement row(session_,
                  "SELECT customer_id, user_id, title, status, source, created_at, updated_at, unread_count,"
                  " last_message_id, last_message_at FROM conversations WHERE id = :id",
                  "i", "iitttiiiii");
    if (!row.run(id)) vanished("conversation", id);
    protocol::stored_conversation conversation;
    conversation.id = id;
    conversation.customer_id = row.integer(0);
    conversation.user_id = row.optional_integer(1);
    conversation.title = row.optional_text(2);
    conversation.status = row.optional_text(3);
    conversation.source = row.optional_text(4);
    conversation.created_at = row.integer(5);
    conversation.updated_at = row.integer(6);
    conversation.unread_count = row.integer(7);
    conversation.last_message_id = row.optional_integer(8);
    conversation.last_message_at = row.optional_integer(9);
    return conversation;
  }

  protocol::stored_message read_message(std::int64_t id) {
    statement row(session_,
                  "SELECT conversation_id, content, type, is_ai_response, is_answered, created_at"
                  " FROM messages WHERE id = :id",
                  "i", "ittiii");
    if (!row.run(id)) vanished("message", id);
    protocol::stored_message message;
    message.id = id;
    message.conversation_id = row.integer(0);
    message.content = row.optional_text(1);
    message.type = row.text(2);
    message.is_ai_response = row.integer(3) != 0;
    message.is_answered = row.integer(4) != 0;
    message.created_at = row.integer(5);
    return message;
  }

  soci::session& session_;
  backend kind_;
};

write_result storage_failure(const storage_error& error) {
  switch (error.error_kind()) {
    case storage_error::kind::unavailable:
    case storage_error::kind::timeout:
      return protocol::write_error(write_status::unavailable, "unavailable", "",
                                   std::string("the database is busy or unreachable: ") + error.what());
    case storage_error::kind::invalid_data:
      return protocol::write_error(write_status::conflict, "conflict", "",
                                   std::string("the database refused the write: ") + error.what());
    case storage_error::kind::internal:
      break;
  }
  return protocol::write_error(write_status::internal, "internal", "", std::string("internal error: ") + error.what());
}

}  // namespace

protocol::write_result apply_write(database& db, const protocol::write_request& request) {
  try {
    const std::string action(protocol::operation_name(request));
    try {
      auto& session = db.session();
      detail::write_transaction transaction(session, db.kind());
      writer write(session, db.kind());
      write_result result = std::visit(write, request.operation);
      transaction.commit();
      return result;
    } catch (const refusal& refused) {
      return refused.result;
    } catch (...) {
      detail::rethrow_as_storage_error(action);
    }
  } catch (const storage_error& error) {
    return storage_failure(error);
  } catch (...) {
    return protocol::write_error(write_status::internal, "internal", "", "internal error");
  }
}

}  // namespace cws::storage
