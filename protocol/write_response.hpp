// The success answers of the HTTP write API (docs/api.md): the rows as stored
// after a write, and their JSON. Times come out as format_timestamp writes
// them; text the database holds that is not valid UTF-8 is replaced, so an
// answer is always valid JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.hpp"
#include "protocol/write_request.hpp"

namespace cws::protocol {

struct stored_customer {
  std::int64_t id = 0;
  customer_text<nullable_text> text;
  timestamp_ms created_at = 0;
  timestamp_ms updated_at = 0;
  timestamp_ms last_activity = 0;
  std::vector<tag_view> tags;  // by name
};

struct stored_conversation {
  std::int64_t id = 0;
  std::int64_t customer_id = 0;
  std::optional<std::int64_t> user_id;
  nullable_text title, status, source;
  timestamp_ms created_at = 0;
  timestamp_ms updated_at = 0;
  std::int64_t unread_count = 0;
  std::optional<std::int64_t> last_message_id;
  std::optional<timestamp_ms> last_message_at;
};

struct stored_message {
  std::int64_t id = 0;
  std::int64_t conversation_id = 0;
  nullable_text content;  // null only when another program wrote it so
  std::string type;
  bool is_ai_response = false;
  bool is_answered = false;
  timestamp_ms created_at = 0;
};

// {"id", "first_name", ..., "profile_picture", "created_at", "updated_at",
//  "last_activity", "tags": [{"id", "name"}]}
std::string customer_answer_json(const stored_customer& customer);

// {"id", "name"}
std::string tag_answer_json(const tag_view& tag);

// {"customer_id", "tag_id"}
std::string assignment_answer_json(std::int64_t customer_id, std::int64_t tag_id);

// {"id", "customer_id", "user_id", "title", "status", "source", "created_at",
//  "updated_at", "unread_count", "last_message_id", "last_message_at"}
std::string conversation_answer_json(const stored_conversation& conversation);

// {"message": {"id", "conversation_id", "content", "type", "is_ai_response",
//  "is_answered", "created_at"}, "conversation": <as conversation_answer_json>}
std::string message_answer_json(const stored_message& message, const stored_conversation& conversation);

// {"deleted": {KIND: id}}, KIND being "customer", "tag", "conversation" or "message".
std::string deleted_answer_json(std::string_view kind, std::int64_t id);

// {"deleted": {"assignment": {"customer_id", "tag_id"}}}
std::string deleted_assignment_json(std::int64_t customer_id, std::int64_t tag_id);

}  // namespace cws::protocol
