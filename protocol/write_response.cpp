#include "protocol/write_response.hpp"

#include <nlohmann/json.hpp>

#include "protocol/time.hpp"

namespace cws::protocol {
namespace {

// Ordered, so that the fields come out in the order docs/api.md shows them.
using json = nlohmann::ordered_json;

json optional_text(const nullable_text& value) { return value ? json(*value) : json(nullptr); }

template <typename T>
json optional_integer(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

// Stored text can hold anything; an answer must still be valid UTF-8.
std::string serialise(const json& answer) { return answer.dump(-1, ' ', false, json::error_handler_t::replace); }

json conversation_object(const stored_conversation& conversation) {
  json object = json::object();
  object["id"] = conversation.id;
  object["customer_id"] = conversation.customer_id;
  object["user_id"] = optional_integer(conversation.user_id);
  object["title"] = optional_text(conversation.title);
  object["status"] = optional_text(conversation.status);
  object["source"] = optional_text(conversation.source);
  object["created_at"] = format_timestamp(conversation.created_at);
  object["updated_at"] = format_timestamp(conversation.updated_at);
  object["unread_count"] = conversation.unread_count;
  object["last_message_id"] = optional_integer(conversation.last_message_id);
  object["last_message_at"] =
      conversation.last_message_at ? json(format_timestamp(*conversation.last_message_at)) : json(nullptr);
  return object;
}

json tag_object(const tag_view& tag) { return json{{"id", tag.id}, {"name", tag.name}}; }

json assignment_object(std::int64_t customer_id, std::int64_t tag_id) {
  return json{{"customer_id", customer_id}, {"tag_id", tag_id}};
}

}  // namespace

std::string customer_answer_json(const stored_customer& customer) {
  json object = json::object();
  object["id"] = customer.id;
  for_each_customer_text(customer.text, [&](const char* key, const nullable_text& value) {
    object[key] = optional_text(value);
  });
  object["created_at"] = format_timestamp(customer.created_at);
  object["updated_at"] = format_timestamp(customer.updated_at);
  object["last_activity"] = format_timestamp(customer.last_activity);
  json tags = json::array();
  for (const tag_view& tag : customer.tags) tags.push_back(tag_object(tag));
  object["tags"] = std::move(tags);
  return serialise(object);
}

std::string tag_answer_json(const tag_view& tag) { return serialise(tag_object(tag)); }

std::string assignment_answer_json(std::int64_t customer_id, std::int64_t tag_id) {
  return serialise(assignment_object(customer_id, tag_id));
}

std::string conversation_answer_json(const stored_conversation& conversation) {
  return serialise(conversation_object(conversation));
}

std::string message_answer_json(const stored_message& message, const stored_conversation& conversation) {
  json object = json::object();
  object["id"] = message.id;
  object["conversation_id"] = message.conversation_id;
  object["content"] = optional_text(message.content);
  object["type"] = message.type;
  object["is_ai_response"] = message.is_ai_response;
  object["is_answered"] = message.is_answered;
  object["created_at"] = format_timestamp(message.created_at);
  json answer = json::object();
  answer["message"] = std::move(object);
  answer["conversation"] = conversation_object(conversation);
  return serialise(answer);
}

std::string deleted_answer_json(std::string_view kind, std::int64_t id) {
  json deleted = json::object();
  deleted[std::string(kind)] = id;
  return serialise(json{{"deleted", std::move(deleted)}});
}

std::string deleted_assignment_json(std::int64_t customer_id, std::int64_t tag_id) {
  return serialise(json{{"deleted", json{{"assignment", assignment_object(customer_id, tag_id)}}}});
}

}  // namespace cws::protocol
