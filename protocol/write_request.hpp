// The HTTP write API (docs/api.md): routing, parsing and validation of one
// request into a typed write, and the error answers. Pure functions: no I/O,
// and the clock comes in as `now`, so every rule can be tested here.
//
// The caller (the HTTP layer), for a path where is_write_api_path() holds:
//   1. a body over max_write_body_bytes while reading -> body_too_large_result() (413);
//   2. check_admin_token()   -> 403 / 401 before the path or body is looked at;
//   3. parse_write_request() -> a write_request, or the answer to send
//                               (400, 404, 405 with allowed_methods);
//   4. storage::apply_write() on the writer's storage connection -> the answer;
// and sends http_status(result.status) with result.body as application/json
// (plus `Allow: <allowed_methods>` on 405, `WWW-Authenticate: Bearer` on 401).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/types.hpp"

namespace cws::protocol {

// ---- answers -------------------------------------------------------------------

enum class write_status {
  ok,                  // 200
  created,             // 201
  invalid,             // 400: invalid_json, invalid_body, invalid_field
  unauthorized,        // 401: no bearer token, or the wrong one
  forbidden,           // 403: the server has no admin token configured
  not_found,           // 404: no such endpoint, or the row the request names is missing
  method_not_allowed,  // 405: `allowed_methods` lists what the path accepts
  conflict,            // 409: the id exists already, the tag name is taken
  payload_too_large,   // 413: the body exceeds max_write_body_bytes
  unavailable,         // 503: the database is locked or unreachable
  internal,            // 500: anything else
};

// The HTTP status code of each write_status.
int http_status(write_status status);

struct write_result {
  write_status status = write_status::internal;
  std::string body;             // JSON text: the answer, or {"error": {...}}
  std::string allowed_methods;  // method_not_allowed only: the Allow header, e.g. "PATCH, DELETE"
};

// {"error": {"code": CODE, "field": FIELD, "message": MESSAGE}}; "field" is
// left out when `field` is empty.
std::string write_error_json(std::string_view code, std::string_view field, std::string_view message);

// An error answer: `status` with write_error_json(code, field, message).
write_result write_error(write_status status, std::string_view code, std::string_view field,
                         std::string_view message);

// Bodies larger than this are refused with 413 (the HTTP layer should stop
// reading at this size; parse_write_request refuses them too).
inline constexpr std::size_t max_write_body_bytes = std::size_t{1} << 20;

// Text limits, in bytes of UTF-8.
inline constexpr std::size_t max_message_content_bytes = 65'536;
inline constexpr std::size_t max_profile_picture_bytes = 4'096;
inline constexpr std::size_t max_text_field_bytes = 1'024;  // every other text field, tag names included

// The 413 answer (code "payload_too_large").
write_result body_too_large_result();

// `authorization` is the request's Authorization header ("" when absent),
// `admin_token` the configured --admin-token ("" when none). Returns nullopt
// when the request may go on, else the answer: 403 "forbidden" when no admin
// token is configured, 401 "unauthorized" when the header is missing, is not
// "Bearer <token>" or names another token. The comparison takes the same
// time wherever the tokens differ.
std::optional<write_result> check_admin_token(std::string_view authorization, std::string_view admin_token);

// ---- requests --------------------------------------------------------------------

// A text column: null or a string.
using nullable_text = std::optional<std::string>;

// The customer's own text columns, in the order of docs/data.md. `Value` is
// nullable_text for a create, std::optional<nullable_text> for a PATCH (outer
// empty: leave the column as it is).
template <typename Value>
struct customer_text {
  Value first_name, last_name, username, email, phone_number, source, source_id, profile_picture;
};

// Calls visit(name, field) for each field of a customer_text (const or not)
// in the order above; the name is also the JSON key and the column.
template <typename Text, typename Visit>
void for_each_customer_text(Text& text, Visit&& visit) {
  visit("first_name", text.first_name);
  visit("last_name", text.last_name);
  visit("username", text.username);
  visit("email", text.email);
  visit("phone_number", text.phone_number);
  visit("source", text.source);
  visit("source_id", text.source_id);
  visit("profile_picture", text.profile_picture);
}

// POST /api/customers
struct create_customer {
  std::optional<std::int64_t> id;  // empty: the database picks the next free id
  customer_text<nullable_text> text;
  timestamp_ms created_at = 0;  // default: now
  timestamp_ms updated_at = 0;  // default: created_at
};

// PATCH /api/customers/{id}
struct update_customer {
  std::int64_t id = 0;
  customer_text<std::optional<nullable_text>> text;
  std::optional<timestamp_ms> created_at;  // empty: unchanged
  timestamp_ms updated_at = 0;             // default: now
};

// DELETE /api/customers/{id}: with its tag assignments, conversations and messages.
struct delete_customer {
  std::int64_t id = 0;
};

// POST /api/tags
struct create_tag {
  std::optional<std::int64_t> id;  // empty: the database picks the next free id
  std::string name;                // not empty, not only white space
};

// PATCH /api/tags/{id}
struct rename_tag {
  std::int64_t id = 0;
  std::string name;
};

// DELETE /api/tags/{id}: with its assignments.
struct delete_tag {
  std::int64_t id = 0;
};

// PUT /api/customers/{customer_id}/tags/{tag_id}: idempotent.
struct assign_tag {
  std::int64_t customer_id = 0;
  std::int64_t tag_id = 0;
};

// DELETE /api/customers/{customer_id}/tags/{tag_id}: not_found when not assigned.
struct unassign_tag {
  std::int64_t customer_id = 0;
  std::int64_t tag_id = 0;
};

// POST /api/conversations
struct create_conversation {
  std::optional<std::int64_t> id;  // empty: the database picks the next free id
  std::int64_t customer_id = 0;
  std::optional<std::int64_t> user_id;  // empty: no owner (null)
  nullable_text title, status, source;
  timestamp_ms created_at = 0;  // default: now
  timestamp_ms updated_at = 0;  // default: created_at
};

// PATCH /api/conversations/{id}
struct update_conversation {
  std::int64_t id = 0;
  std::optional<std::optional<std::int64_t>> user_id;  // outer empty: unchanged; inner empty: null
  std::optional<nullable_text> title, status, source;   // outer empty: unchanged
  timestamp_ms updated_at = 0;                          // default: now
};

// DELETE /api/conversations/{id}: with its messages.
struct delete_conversation {
  std::int64_t id = 0;
};

enum class message_type { customer, agent };

// "customer" or "agent".
std::string_view to_string(message_type type);

// POST /api/conversations/{conversation_id}/messages
struct create_message {
  std::optional<std::int64_t> id;  // empty: the database picks the next free id
  std::int64_t conversation_id = 0;
  std::string content;  // may be empty
  message_type type = message_type::customer;
  bool is_ai_response = false;
  bool is_answered = false;
  timestamp_ms created_at = 0;  // default: now

  // An agent message or an AI response answers every unanswered customer
  // message of its conversation (docs/api.md, Derived values).
  bool is_reply() const { return type == message_type::agent || is_ai_response; }
};

// DELETE /api/messages/{id}
struct delete_message {
  std::int64_t id = 0;
};

// POST /api/conversations/{conversation_id}/read: every customer message answered.
struct mark_conversation_read {
  std::int64_t conversation_id = 0;
};

using write_operation =
    std::variant<create_customer, update_customer, delete_customer, create_tag, rename_tag, delete_tag, assign_tag,
                 unassign_tag, create_conversation, update_conversation, delete_conversation, create_message,
                 delete_message, mark_conversation_read>;

// One validated write, ready for storage::apply_write.
struct write_request {
  write_operation operation;
};

// The operation's name, e.g. "create_customer" (for logs and metrics).
std::string_view operation_name(const write_request& request);

// True for "/api" and every path under "/api/" (a query string is ignored).
bool is_write_api_path(std::string_view path);

// Routes and validates one request. `path` may carry a query string (ignored)
// and a trailing slash; `method` is case-sensitive ("POST"). Times not given
// default to `now`. On failure the result holds the answer to send: 404
// not_found (no such endpoint), 405 method_not_allowed, 413
// payload_too_large, or 400 invalid_json / invalid_body / invalid_field.
std::variant<write_request, write_result> parse_write_request(std::string_view method, std::string_view path,
                                                              std::string_view body, timestamp_ms now);

}  // namespace cws::protocol
