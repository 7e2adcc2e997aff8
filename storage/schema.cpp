#include "storage/schema.hpp"

#include <stdexcept>

namespace cws::storage {
namespace {

// The derived values of DATA.md are kept by triggers, not by the service, so
// that they stay right whoever writes the file (the write API, import,
// another program). Nothing in the schema calls an application function such
// as cws_fold, so any SQLite client can write the file.
//
// Derived columns (never write them directly; the triggers own them):
//   conversations.unread_count    its 'customer' messages with is_answered = 0
//   conversations.last_message_id its message with the greatest (created_at, id)
//   conversations.last_message_at that message's created_at
//   customers.last_activity       max(updated_at, created_at of any message of
//                                 any of its conversations)
//   customer_search               the searchable fields of every customer
//
// Writers: upsert with INSERT ... ON CONFLICT DO UPDATE, never INSERT OR
// REPLACE: REPLACE deletes the old row, which cascades to its conversations,
// and skips the delete triggers unless PRAGMA recursive_triggers is on.

// customers.last_activity from its own updated_at and its conversations'
// last_message_at (which the message triggers keep).
std::string refresh_customer_activity(const std::string& customer_id) {
  return "UPDATE customers SET last_activity = max(updated_at, coalesce("
         "(SELECT max(v.last_message_at) FROM conversations v WHERE v.customer_id = customers.id), updated_at))"
         " WHERE id = " +
         customer_id + ";";
}

const std::string latest_message_id =
    "(SELECT m.id FROM messages m WHERE m.conversation_id = conversations.id"
    " ORDER BY m.created_at DESC, m.id DESC LIMIT 1)";
const std::string latest_message_at =
    "(SELECT max(m.created_at) FROM messages m WHERE m.conversation_id = conversations.id)";
const std::string unread_messages =
    "(SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id"
    " AND m.type = 'customer' AND m.is_answered = 0)";

std::string refresh_last_message(const std::string& where) {
  return "UPDATE conversations SET last_message_id = " + latest_message_id +
         ", last_message_at = " + latest_message_at + " WHERE " + where + ";";
}

// 1 when the message counts as unread, else 0.
std::string is_unread(const std::string& row) {
  return "(" + row + ".type = 'customer' AND " + row + ".is_answered = 0)";
}

const std::string search_columns = "first_name, last_name, username, email, phone_number";
std::string search_values(const std::string& row) {
  return row + ".first_name, " + row + ".last_name, " + row + ".username, " + row + ".email, " + row +
         ".phone_number";
}

std::vector<std::string> sqlite_version_1() {
  return {
      // ---- tables --------------------------------------------------------
      "CREATE TABLE customers ("
      " id INTEGER PRIMARY KEY,"
      " first_name TEXT, last_name TEXT, username TEXT, email TEXT, phone_number TEXT,"
      " source TEXT, source_id TEXT, profile_picture TEXT,"
      " created_at INTEGER NOT NULL,"
      " updated_at INTEGER NOT NULL,"
      " last_activity INTEGER)",  // derived, set by the triggers right after every insert

      "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",

      "CREATE TABLE customer_tags ("
      " customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
      " tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,"
      " PRIMARY KEY (customer_id, tag_id)) WITHOUT ROWID",

      "CREATE TABLE conversations ("
      " id INTEGER PRIMARY KEY,"
      " customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
      " user_id INTEGER,"
      " title TEXT, status TEXT, source TEXT,"
      " created_at INTEGER NOT NULL,"
      " updated_at INTEGER NOT NULL,"
      " unread_count INTEGER NOT NULL DEFAULT 0,"
      " last_message_id INTEGER,"
      " last_message_at INTEGER)",

      "CREATE TABLE messages ("
      " id INTEGER PRIMARY KEY,"
      " conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
      " content TEXT,"
      " type TEXT NOT NULL,"
      " is_ai_response INTEGER NOT NULL DEFAULT 0 CHECK (is_ai_response IN (0, 1)),"
      " is_answered INTEGER NOT NULL DEFAULT 0 CHECK (is_answered IN (0, 1)),"
      " created_at INTEGER NOT NULL)",

      // One FTS column per field, so that a phrase never matches across two
      // fields. External content: the text lives once, in customers.
      "CREATE VIRTUAL TABLE customer_search USING fts5(" + search_columns +
          ", content='customers', content_rowid='id', tokenize='trigram')",

      // ---- indexes ---------------------------------------------------------
      // Every sort order; the rowid (= id) is the implicit last key of a
      // SQLite index, which gives the id tie-break in both directions.
      "CREATE INDEX customers_by_created_at ON customers(created_at)",
      "CREATE INDEX customers_by_updated_at ON customers(updated_at)",
      "CREATE INDEX customers_by_last_activity ON customers(last_activity)",
      "CREATE INDEX customers_by_first_name ON customers(first_name)",
      "CREATE INDEX customers_by_last_name ON customers(last_name)",
      // Filters on customers' own columns (date ranges use the sort indexes).
      "CREATE INDEX customers_by_source ON customers(source)",
      "CREATE INDEX customers_by_email ON customers(email)",
      "CREATE INDEX customers_by_phone_number ON customers(phone_number)",
      // Tags: customer -> tags is the primary key; tag -> customers here.
      "CREATE INDEX customer_tags_by_tag ON customer_tags(tag_id, customer_id)",
      // A customer's conversations, newest first (page assembly, triggers).
      "CREATE INDEX conversations_by_customer ON conversations(customer_id, updated_at, id)",
      // Scoping: the customers of one user.
      "CREATE INDEX conversations_by_user ON conversations(user_id, customer_id)",
      "CREATE INDEX conversations_by_status ON conversations(status, user_id, customer_id)",
      "CREATE INDEX conversations_with_unread ON conversations(user_id, customer_id) WHERE unread_count > 0",
      // The latest message of a conversation.
      "CREATE INDEX messages_by_conversation ON messages(conversation_id, created_at, id)",
      // Counting and answering a conversation's unread customer messages.
      "CREATE INDEX messages_unread ON messages(conversation_id) WHERE type = 'customer' AND is_answered = 0",

      // ---- triggers: search ------------------------------------------------
      // Invariant: customer_search holds exactly the searchable fields of
      // every row of customers (external content needs the old values to
      // delete, which OLD provides).
      "CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN"
      " INSERT INTO customer_search(rowid, " + search_columns + ") VALUES (NEW.id, " + search_values("NEW") + ");"
      " END",
      "CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN"
      " INSERT INTO customer_search(customer_search, rowid, " + search_columns + ") VALUES ('delete', OLD.id, " +
          search_values("OLD") + ");"
          " END",
      "CREATE TRIGGER customers_search_update AFTER UPDATE OF id, " + search_columns +
          " ON customers"
          " WHEN OLD.id IS NOT NEW.id OR OLD.first_name IS NOT NEW.first_name OR OLD.last_name IS NOT NEW.last_name"
          " OR OLD.username IS NOT NEW.username OR OLD.email IS NOT NEW.email"
          " OR OLD.phone_number IS NOT NEW.phone_number BEGIN"
          " INSERT INTO customer_search(customer_search, rowid, " + search_columns + ") VALUES ('delete', OLD.id, " +
          search_values("OLD") + ");"
          " INSERT INTO customer_search(rowid, " + search_columns + ") VALUES (NEW.id, " + search_values("NEW") + ");"
          " END",

      // ---- triggers: customers.last_activity ------------------------------
      // Invariant: last_activity = max(updated_at, last_message_at of its
      // conversations). A new customer may adopt conversations that already
      // name it (only when foreign keys are off), hence the lookup.
      "CREATE TRIGGER customers_activity_insert AFTER INSERT ON customers BEGIN " +
          refresh_customer_activity("NEW.id") + " END",
      // Invariant: same, when updated_at moves (either way).
      "CREATE TRIGGER customers_activity_update AFTER UPDATE OF updated_at ON customers"
      " WHEN OLD.updated_at IS NOT NEW.updated_at BEGIN " +
          refresh_customer_activity("NEW.id") + " END",

      // ---- triggers: conversations ---------------------------------------
      // Invariant: a new conversation's derived columns describe the
      // messages that name it (none, with foreign keys on), whatever the
      // writer put there.
      "CREATE TRIGGER conversations_derived_insert AFTER INSERT ON conversations BEGIN"
      " UPDATE conversations SET unread_count = " + unread_messages + ", last_message_id = " + latest_message_id +
          ", last_message_at = " + latest_message_at + " WHERE id = NEW.id; END",
      // Invariant: the owner's last_activity covers this conversation's
      // latest message (fires after every message trigger that moves it).
      "CREATE TRIGGER conversations_activity_update AFTER UPDATE OF last_message_at ON conversations"
      " WHEN OLD.last_message_at IS NOT NEW.last_message_at BEGIN " +
          refresh_customer_activity("NEW.customer_id") + " END",
      // Invariant: moving a conversation to another customer moves its
      // messages' activity with it.
      "CREATE TRIGGER conversations_activity_move AFTER UPDATE OF customer_id ON conversations"
      " WHEN OLD.customer_id IS NOT NEW.customer_id BEGIN " +
          refresh_customer_activity("OLD.customer_id") + " " + refresh_customer_activity("NEW.customer_id") + " END",
      // Invariant: a deleted conversation's messages no longer count for its
      // customer's last_activity.
      "CREATE TRIGGER conversations_activity_delete AFTER DELETE ON conversations"
      " WHEN OLD.last_message_at IS NOT NULL BEGIN " +
          refresh_customer_activity("OLD.customer_id") + " END",

      // ---- triggers: messages ----------------------------------------------
      // Invariants: unread_count counts the conversation's unread customer
      // messages; last_message_* name its message with the greatest
      // (created_at, id). An insert can only add one unread message and can
      // only become the new latest, so both are updated in place.
      "CREATE TRIGGER messages_derived_insert AFTER INSERT ON messages BEGIN"
      " UPDATE conversations SET"
      " unread_count = unread_count + " + is_unread("NEW") + ","
      " last_message_id = CASE WHEN last_message_id IS NULL OR NEW.created_at > last_message_at"
      " OR (NEW.created_at = last_message_at AND NEW.id > last_message_id) THEN NEW.id ELSE last_message_id END,"
      " last_message_at = CASE WHEN last_message_id IS NULL OR NEW.created_at > last_message_at"
      " OR (NEW.created_at = last_message_at AND NEW.id > last_message_id) THEN NEW.created_at"
      " ELSE last_message_at END"
      " WHERE id = NEW.conversation_id; END",
      // Invariant: unread_count, when a message's type, answered flag or
      // conversation changes: the old state leaves the old conversation, the
      // new state joins the new one (same conversation: net change).
      "CREATE TRIGGER messages_unread_update AFTER UPDATE OF type, is_answered, conversation_id ON messages BEGIN"
      " UPDATE conversations SET unread_count = unread_count - " + is_unread("OLD") +
          " WHERE id = OLD.conversation_id;"
          " UPDATE conversations SET unread_count = unread_count + " + is_unread("NEW") +
          " WHERE id = NEW.conversation_id; END",
      // Invariant: last_message_*, when a message's ordering key or
      // conversation changes: both conversations look again.
      "CREATE TRIGGER messages_latest_update AFTER UPDATE OF id, created_at, conversation_id ON messages"
      " WHEN OLD.id IS NOT NEW.id OR OLD.created_at IS NOT NEW.created_at"
      " OR OLD.conversation_id IS NOT NEW.conversation_id BEGIN " +
          refresh_last_message("id IN (OLD.conversation_id, NEW.conversation_id)") + " END",
      // Invariants: a deleted unread message no longer counts; when it was
      // the latest, the conversation looks again.
      "CREATE TRIGGER messages_derived_delete AFTER DELETE ON messages BEGIN"
      " UPDATE conversations SET unread_count = unread_count - " + is_unread("OLD") +
          " WHERE id = OLD.conversation_id; " +
          refresh_last_message("id = OLD.conversation_id AND last_message_id = OLD.id") + " END",
  };
}

// The change log: every committed write that can change what some list
// shows leaves a row naming whose view it touched, whoever wrote it (the
// service, import, another program). A change feed tails it by id.
//
// Invariants:
//   - a row names the customer whose row, tags, conversations or messages
//     changed, and the conversation's owner when a conversation or message
//     changed (old and new values when one moved);
//   - a tag renamed or deleted names the tag: every holder's view changed;
//   - `everything` = 1 stands for a bulk write (import, demo data), which
//     pauses the per-row triggers inside its own transaction, so no other
//     connection ever sees them paused.
const std::string change_time = sql_now_ms;
const std::string unless_paused = " WHEN (SELECT paused FROM change_log_control WHERE id = 1) = 0";

std::string log_change(const std::string& customer_id, const std::string& user_id, const std::string& tag_id) {
  return "INSERT INTO change_log(customer_id, user_id, tag_id, changed_at) VALUES (" + customer_id + ", " + user_id +
         ", " + tag_id + ", " + change_time + ");";
}

// The owner and customer of the conversation a message belongs to.
std::string log_message_change(const std::string& row) {
  return "INSERT INTO change_log(customer_id, user_id, tag_id, changed_at)"
         " SELECT v.customer_id, v.user_id, NULL, " + change_time +
         " FROM conversations v WHERE v.id = " + row + ".conversation_id;";
}

std::vector<std::string> sqlite_version_2() {
  return {
      "CREATE TABLE change_log ("
      " id INTEGER PRIMARY KEY AUTOINCREMENT,"
      " customer_id INTEGER, user_id INTEGER, tag_id INTEGER,"
      " everything INTEGER NOT NULL DEFAULT 0 CHECK (everything IN (0, 1)),"
      " changed_at INTEGER NOT NULL)",
      "CREATE INDEX change_log_by_time ON change_log(changed_at)",
      "CREATE TABLE change_log_control (id INTEGER PRIMARY KEY CHECK (id = 1), paused INTEGER NOT NULL)",
      "INSERT INTO change_log_control(id, paused) VALUES (1, 0)",

      "CREATE TRIGGER change_customers_insert AFTER INSERT ON customers" + unless_paused + " BEGIN " +
          log_change("NEW.id", "NULL", "NULL") + " END",
      "CREATE TRIGGER change_customers_update AFTER UPDATE ON customers" + unless_paused + " BEGIN " +
          log_change("NEW.id", "NULL", "NULL") +
          " INSERT INTO change_log(customer_id, user_id, tag_id, changed_at) SELECT OLD.id, NULL, NULL, " +
          change_time + " WHERE OLD.id IS NOT NEW.id; END",
      "CREATE TRIGGER change_customers_delete AFTER DELETE ON customers" + unless_paused + " BEGIN " +
          log_change("OLD.id", "NULL", "NULL") + " END",

      "CREATE TRIGGER change_customer_tags_insert AFTER INSERT ON customer_tags" + unless_paused + " BEGIN " +
          log_change("NEW.customer_id", "NULL", "NULL") + " END",
      "CREATE TRIGGER change_customer_tags_delete AFTER DELETE ON customer_tags" + unless_paused + " BEGIN " +
          log_change("OLD.customer_id", "NULL", "NULL") + " END",
      "CREATE TRIGGER change_tags_rename AFTER UPDATE OF name ON tags"
      " WHEN OLD.name IS NOT NEW.name AND (SELECT paused FROM change_log_control WHERE id = 1) = 0 BEGIN " +
          log_change("NULL", "NULL", "NEW.id") + " END",
      "CREATE TRIGGER change_tags_delete AFTER DELETE ON tags" + unless_paused + " BEGIN " +
          log_change("NULL", "NULL", "OLD.id") + " END",

      "CREATE TRIGGER change_conversations_insert AFTER INSERT ON conversations" + unless_paused + " BEGIN " +
          log_change("NEW.customer_id", "NEW.user_id", "NULL") + " END",
      "CREATE TRIGGER change_conversations_update AFTER UPDATE ON conversations" + unless_paused + " BEGIN " +
          log_change("NEW.customer_id", "NEW.user_id", "NULL") +
          " INSERT INTO change_log(customer_id, user_id, tag_id, changed_at) SELECT OLD.customer_id, OLD.user_id, NULL, " +
          change_time + " WHERE OLD.customer_id IS NOT NEW.customer_id OR OLD.user_id IS NOT NEW.user_id; END",
      "CREATE TRIGGER change_conversations_delete AFTER DELETE ON conversations" + unless_paused + " BEGIN " +
          log_change("OLD.customer_id", "OLD.user_id", "NULL") + " END",

      // A message edit that leaves the derived values alone (the content of
      // the last message, say) changes no conversation row, so messages log
      // for themselves.
      "CREATE TRIGGER change_messages_insert AFTER INSERT ON messages" + unless_paused + " BEGIN " +
          log_message_change("NEW") + " END",
      "CREATE TRIGGER change_messages_update AFTER UPDATE ON messages" + unless_paused + " BEGIN " +
          log_message_change("NEW") + " END",
      "CREATE TRIGGER change_messages_delete AFTER DELETE ON messages" + unless_paused + " BEGIN " +
          log_message_change("OLD") + " END",
  };
}

// Version 3: a customer row logs a change only when one of its own columns
// is written. The derived last_activity moves with any owner's messages, and
// logging it under the customer alone (no owner) would wake every user who
// sees that customer: a tenant would be told of another tenant's message.
// The message and conversation triggers already log (customer, owner).
std::vector<std::string> sqlite_version_3() {
  return {
      "DROP TRIGGER change_customers_update",
      "CREATE TRIGGER change_customers_update AFTER UPDATE OF id, first_name, last_name, username, email,"
      " phone_number, source, source_id, profile_picture, created_at, updated_at ON customers" +
          unless_paused + " BEGIN " + log_change("NEW.id", "NULL", "NULL") +
          " INSERT INTO change_log(customer_id, user_id, tag_id, changed_at) SELECT OLD.id, NULL, NULL, " +
          change_time + " WHERE OLD.id IS NOT NEW.id; END",
  };
}

std::vector<migration> sqlite_migrations() {
  return {
      {1, "customers, tags, conversations, messages, search index and derived-value triggers", sqlite_version_1()},
      {2, "change log filled by triggers, with a pause for bulk writers", sqlite_version_2()},
      {3, "a customer's derived last_activity alone logs no change", sqlite_version_3()},
  };
}

}  // namespace

const std::vector<migration>& migrations(sql_dialect dialect) {
  static const std::vector<migration> sqlite = sqlite_migrations();
  if (dialect == sql_dialect::sqlite) return sqlite;
  throw std::invalid_argument("the PostgreSQL schema is not written yet");
}

}  // namespace cws::storage
