// The HTTP write API: routing and validation (docs/api.md).
//
// Order of checks, so that every request gets the most useful answer:
//   path (404 not_found) -> method (405) -> body size (413) -> the ids in the
//   path (400 invalid_field) -> the body: JSON (invalid_json), an object
//   (invalid_body), no unknown field, then each field in a fixed order
//   (invalid_field naming it).
// Nothing here looks at the database: whether the rows exist is decided by
// storage::apply_write inside the write's transaction.
#include "protocol/write_request.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <utility>
#include <vector>

#include "protocol/text.hpp"
#include "protocol/time.hpp"

namespace cws::protocol {
namespace {

// Ordered: an object keeps the client's key order, so the first unknown field
// named is the first one the client wrote.
using json = nlohmann::ordered_json;

// Thrown by the validation below; parse_write_request answers with it.
struct refusal {
  write_result result;
};

[[noreturn]] void refuse(write_status status, std::string_view code, std::string_view field,
                         const std::string& message) {
  throw refusal{write_error(status, code, field, message)};
}

// "FIELD: PROBLEM", code invalid_field.
[[noreturn]] void invalid_field(std::string_view field, const std::string& problem) {
  refuse(write_status::invalid, "invalid_field", field, std::string(field) + ": " + problem);
}

std::string_view trim_ascii(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string joined;
  for (const auto& part : parts) {
    if (!joined.empty()) joined += separator;
    joined += part;
  }
  return joined;
}

// ---- routes -----------------------------------------------------------------

enum class route {
  customers,              // /api/customers
  customer,               // /api/customers/{id}
  customer_tag,           // /api/customers/{customer_id}/tags/{tag_id}
  tags,                   // /api/tags
  tag,                    // /api/tags/{id}
  conversations,          // /api/conversations
  conversation,           // /api/conversations/{id}
  conversation_messages,  // /api/conversations/{conversation_id}/messages
  conversation_read,      // /api/conversations/{conversation_id}/read
  message,                // /api/messages/{id}
};

struct matched_route {
  route which = route::customers;
  std::string_view allowed;  // the Allow header
  std::string_view first;    // the path's ids, unvalidated
  std::string_view second;
};

std::string_view without_query(std::string_view path) { return path.substr(0, path.find('?')); }

std::optional<matched_route> match_route(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path.substr(0, 5) != "/api/") return std::nullopt;
  std::vector<std::string_view> parts;
  std::string_view rest = path.substr(5);
  while (true) {
    const auto slash = rest.find('/');
    parts.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  const auto size = parts.size();
  const std::string_view collection = parts[0];
  if (collection == "customers") {
    if (size == 1) return matched_route{route::customers, "POST", {}, {}};
    if (size == 2) return matched_route{route::customer, "PATCH, DELETE", parts[1], {}};
    if (size == 4 && parts[2] == "tags") return matched_route{route::customer_tag, "PUT, DELETE", parts[1], parts[3]};
  } else if (collection == "tags") {
    if (size == 1) return matched_route{route::tags, "POST", {}, {}};
    if (size == 2) return matched_route{route::tag, "PATCH, DELETE", parts[1], {}};
  } else if (collection == "conversations") {
    if (size == 1) return matched_route{route::conversations, "POST", {}, {}};
    if (size == 2) return matched_route{route::conversation, "PATCH, DELETE", parts[1], {}};
    if (size == 3 && parts[2] == "messages") return matched_route{route::conversation_messages, "POST", parts[1], {}};
    if (size == 3 && parts[2] == "read") return matched_route{route::conversation_read, "POST", parts[1], {}};
  } else if (collection == "messages") {
    if (size == 2) return matched_route{route::message, "DELETE", parts[1], {}};
  }
  return std::nullopt;
}

bool allows(std::string_view allowed, std::string_view method) {
  while (!allowed.empty()) {
    const auto comma = allowed.find(", ");
    if (allowed.substr(0, comma) == method) return true;
    if (comma == std::string_view::npos) break;
    allowed.remove_prefix(comma + 2);
  }
  return false;
}

// An id in the path: decimal digits only, 1 .. 2^63-1.
std::int64_t path_id(std::string_view segment, std::string_view field) {
  const bool digits = !segment.empty() && std::all_of(segment.begin(), segment.end(),
                                                      [](char c) { return c >= '0' && c <= '9'; });
  std::uint64_t value = 0;
  bool in_range = digits;
  for (std::size_t index = 0; digits && index < segment.size() && in_range; ++index) {
    const auto digit = static_cast<std::uint64_t>(segment[index] - '0');
    if (value > (static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - digit) / 10)
      in_range = false;
    else
      value = value * 10 + digit;
  }
  if (!in_range || value == 0)
    invalid_field(field, "'" + shorten(segment) + "' in the path is not a positive 64-bit integer");
  return static_cast<std::int64_t>(value);
}

// ---- the body -------------------------------------------------------------------

std::string without_exception_prefix(const std::string& what) {
  // nlohmann prefixes "[json.exception.parse_error.101] "; the rest is useful.
  const auto end = what.find("] ");
  return end == std::string::npos ? what : what.substr(end + 2);
}

std::string kind_of(const json& value) {
  switch (value.type()) {
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::null: return "null";
    default: return "a number";
  }
}

// The body as a JSON object. An empty body (or only white space) is `{}`
// where the endpoint takes no fields, an error elsewhere.
json read_body(std::string_view body, bool takes_fields) {
  if (trim_ascii(body).empty()) {
    if (!takes_fields) return json::object();
    refuse(write_status::invalid, "invalid_json", "", "invalid JSON: the body is empty; send a JSON object");
  }
  json document;
  try {
    document = json::parse(body);
  } catch (const json::exception& error) {
    refuse(write_status::invalid, "invalid_json", "", "invalid JSON: " + without_exception_prefix(error.what()));
  }
  if (!document.is_object())
    refuse(write_status::invalid, "invalid_body", "", "the body must be a JSON object, not " + kind_of(document));
  return document;
}

// Why a key some client might expect is not accepted here, if there is a
// better answer than "unknown field".
std::optional<std::string> not_writable_reason(std::string_view key, route where) {
  if (key == "id") return "the id is in the path and cannot be changed";
  if (key == "customer_id" && where == route::conversation) return "a conversation cannot move to another customer";
  if (key == "conversation_id" && where == route::conversation_messages) return "the conversation is in the path";
  if (key == "unread_count" || key == "last_message_id" || key == "last_message_at" || key == "last_message" ||
      key == "last_activity")
    return "derived: the database keeps it, it cannot be written";
  if (key == "tags" && (where == route::customers || where == route::customer))
    return "assign tags with PUT /api/customers/{id}/tags/{tag_id}";
  if (key == "conversations" && (where == route::customers || where == route::customer))
    return "create conversations with POST /api/conversations";
  if (key == "messages" && (where == route::conversations || where == route::conversation))
    return "add messages with POST /api/conversations/{id}/messages";
  return std::nullopt;
}

// Validation of one body's fields.
class body_reader {
 public:
  body_reader(const json& body, route where, std::vector<std::string_view> known)
      : body_(body), known_(std::move(known)) {
    std::vector<std::string> unknown;
    for (const auto& item : body_.items())
      if (std::find(known_.begin(), known_.end(), item.key()) == known_.end()) unknown.push_back(item.key());
    if (unknown.empty()) return;
    const std::string first = unknown.front();
    if (const auto reason = not_writable_reason(first, where)) invalid_field(first, *reason);
    std::vector<std::string> others;
    for (std::size_t index = 1; index < unknown.size() && index <= 5; ++index)
      others.push_back("'" + shorten(unknown[index]) + "'");
    if (unknown.size() > 6) others.push_back("...");
    std::string problem = "unknown field";
    if (!others.empty()) problem += " (also unknown: " + join(others, ", ") + ")";
    if (known_.empty()) {
      problem += "; this endpoint takes no fields";
    } else {
      std::vector<std::string> names(known_.begin(), known_.end());
      problem += "; known fields: " + join(names, ", ");
    }
    refuse(write_status::invalid, "invalid_field", first, shorten(first) + ": " + problem);
  }

  bool empty() const { return body_.empty(); }

  std::string known_list() const {
    return join(std::vector<std::string>(known_.begin(), known_.end()), ", ");
  }

  // Absent or null: nullopt (the database picks the id).
  std::optional<std::int64_t> optional_id(std::string_view key) const {
    const json* value = find(key);
    if (!value || value->is_null()) return std::nullopt;
    return positive_integer(*value, key);
  }

  std::int64_t required_id(std::string_view key) const {
    const json* value = find(key);
    if (!value || value->is_null()) invalid_field(key, "required: a positive integer");
    return positive_integer(*value, key);
  }

  // Absent: nullopt (unchanged); null: a null id; else a positive integer.
  std::optional<std::optional<std::int64_t>> nullable_id(std::string_view key) const {
    const json* value = find(key);
    if (!value) return std::nullopt;
    if (value->is_null()) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{positive_integer(*value, key)};
  }

  // Absent: nullopt (unchanged or null); null: a null value; else a string.
  std::optional<nullable_text> text(std::string_view key, std::size_t max_bytes) const {
    const json* value = find(key);
    if (!value) return std::nullopt;
    if (value->is_null()) return nullable_text{};
    if (!value->is_string()) invalid_field(key, "must be a string or null, not " + describe(*value));
    return nullable_text{limited(value->get_ref<const std::string&>(), key, max_bytes)};
  }

  // Absent or null: nullopt (the default).
  std::optional<timestamp_ms> time(std::string_view key) const {
    const json* value = find(key);
    if (!value || value->is_null()) return std::nullopt;
    if (!value->is_string()) invalid_field(key, "must be an ISO 8601 time string, not " + describe(*value));
    const auto parsed = parse_time(value->get_ref<const std::string&>());
    if (!parsed) invalid_field(key, describe(*value) + " is not an ISO 8601 time (e.g. 2024-05-01T12:00:00Z)");
    return parsed->value;
  }

  // Absent or null: nullopt (the default).
  std::optional<bool> flag(std::string_view key) const {
    const json* value = find(key);
    if (!value || value->is_null()) return std::nullopt;
    if (!value->is_boolean()) invalid_field(key, "must be true or false, not " + describe(*value));
    return value->get<bool>();
  }

  // A required string; null counts as missing.
  std::string required_string(std::string_view key, std::size_t max_bytes, const char* requirement) const {
    const json* value = find(key);
    if (!value || value->is_null()) invalid_field(key, std::string("required: ") + requirement);
    if (!value->is_string()) invalid_field(key, std::string("must be ") + requirement + ", not " + describe(*value));
    return limited(value->get_ref<const std::string&>(), key, max_bytes);
  }

 private:
  const json* find(std::string_view key) const {
    const auto found = body_.find(key);
    return found == body_.end() ? nullptr : &*found;
  }

  static std::int64_t positive_integer(const json& value, std::string_view key) {
    if (value.is_number_unsigned()) {
      const auto number = value.get<std::uint64_t>();
      if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        invalid_field(key, describe(value) + " is out of range (at most 9223372036854775807)");
      if (number == 0) invalid_field(key, "must be a positive integer, not 0");
      return static_cast<std::int64_t>(number);
    }
    invalid_field(key, "must be a positive integer, not " + describe(value));
  }

  static std::string limited(const std::string& text, std::string_view key, std::size_t max_bytes) {
    if (text.size() > max_bytes)
      invalid_field(key, "at most " + std::to_string(max_bytes) + " bytes, got " + std::to_string(text.size()));
    return text;
  }

  const json& body_;
  std::vector<std::string_view> known_;
};

// DELETE, PUT and POST .../read: an empty body, or an object without fields.
void expect_no_fields(std::string_view body, route where) {
  const json document = read_body(body, false);
  const body_reader reader(document, where, {});
}

std::size_t customer_text_limit(std::string_view key) {
  return key == "profile_picture" ? max_profile_picture_bytes : max_text_field_bytes;
}

const std::vector<std::string_view> customer_fields = {"first_name",   "last_name", "username",
                                                       "email",        "phone_number", "source",
                                                       "source_id",    "profile_picture", "created_at",
                                                       "updated_at"};

std::vector<std::string_view> with_id(std::vector<std::string_view> fields) {
  fields.insert(fields.begin(), "id");
  return fields;
}

[[noreturn]] void nothing_to_change(const body_reader& reader) {
  refuse(write_status::invalid, "invalid_field", "",
         "nothing to change: give at least one of " + reader.known_list());
}

std::string tag_name(const body_reader& reader) {
  std::string name = reader.required_string("name", max_text_field_bytes, "a non-empty string");
  if (trim_whitespace(name).empty()) invalid_field("name", "must not be empty or only white space");
  return name;
}

write_operation parse_operation(const matched_route& matched, std::string_view method, std::string_view body,
                                timestamp_ms now) {
  const bool is_delete = method == "DELETE";
  switch (matched.which) {
    case route::customers: {
      const json document = read_body(body, true);
      const body_reader reader(document, matched.which, with_id(customer_fields));
      create_customer created;
      created.id = reader.optional_id("id");
      for_each_customer_text(created.text, [&](std::string_view key, nullable_text& field) {
        if (auto given = reader.text(key, customer_text_limit(key))) field = std::move(*given);
      });
      created.created_at = reader.time("created_at").value_or(now);
      created.updated_at = reader.time("updated_at").value_or(created.created_at);
      return created;
    }
    case route::customer: {
      const std::int64_t id = path_id(matched.first, "id");
      if (is_delete) {
        expect_no_fields(body, matched.which);
        return delete_customer{id};
      }
      const json document = read_body(body, true);
      const body_reader reader(document, matched.which, customer_fields);
      if (reader.empty()) nothing_to_change(reader);
      update_customer update;
      update.id = id;
      for_each_customer_text(update.text, [&](std::string_view key, std::optional<nullable_text>& field) {
        field = reader.text(key, customer_text_limit(key));
      });
      update.created_at = reader.time("created_at");
      update.updated_at = reader.time("updated_at").value_or(now);
      return update;
    }
    case route::customer_tag: {
      const std::int64_t customer_id = path_id(matched.first, "customer_id");
      const std::int64_t tag_id = path_id(matched.second, "tag_id");
      expect_no_fields(body, matched.which);
      if (is_delete) return unassign_tag{customer_id, tag_id};
      return assign_tag{customer_id, tag_id};
    }
    case route::tags: {
      const json document = read_body(body, true);
      const body_reader reader(document, matched.which, {"id", "name"});
      create_tag created;
      created.id = reader.optional_id("id");
      created.name = tag_name(reader);
      return created;
    }
    case route::tag: {
      const std::int64_t id = path_id(matched.first, "id");
      if (is_delete) {
        expect_no_fields(body, matched.which);
        return delete_tag{id};
      }
      const json document = read_body(body, true);
      const body_reader reader(document, matched.which, {"name"});
      return rename_tag{id, tag_name(reader)};
    }
    case route::conversations: {
      const json document = read_body(body, true);
      const body_reader reader(document, matched.which,
                               {"id", "customer_id", "user_id", "title", "status", "source", "created_at",
                                "updated_at"});
      create_conversation created;
      created.id = reader.optional_id("id");
      created.customer_id = reader.required_id("customer_id");
      if (auto user = reader.nullable_id("user_id")) created.user_id = *user;
      if (auto title = reader.text("title", max_text_field_bytes)) created.title = std::move(*title);
      if (auto status = reader.text("status", max_text_field_bytes)) created.status = std::move(*status);
      if (auto source = reader.text("source", max_text_field_bytes)) created.source = std::move(*source);
      created.created_at = reader.time("created_at").value_or(now);
      created.updated_at = reader.time("updated_at").value_or(created.created_at);
      return created;
    }
    case route::conversation: {
      const std::int64_t id = path_id(matched.first, "id");
      if (is_delete) {
        expect_no_fields(body, matched.which);
        return delete_conversation{id};
      }
      const json document = read_body(body, true);
      const body_reader reader(document, matched.which, {"status", "title", "user_id", "source", "updated_at"});
      if (reader.empty()) nothing_to_change(reader);
      update_conversation update;
      update.id = id;
      update.status = reader.text("status", max_text_field_bytes);
      update.title = reader.text("title", max_text_field_bytes);
      update.user_id = reader.nullable_id("user_id");
      update.source = reader.text("source", max_text_field_bytes);
      update.updated_at = reader.time("updated_at").value_or(now);
      return update;
    }
    case route::conversation_messages: {
      const std::int64_t conversation_id = path_id(matched.first, "conversation_id");
      const json document = read_body(body, true);
      const body_reader reader(document, matched.which,
                               {"id", "content", "type", "is_ai_response", "is_answered", "created_at"});
      create_message created;
      created.id = reader.optional_id("id");
      created.conversation_id = conversation_id;
      created.content = reader.required_string("content", max_message_content_bytes, "a string (it may be empty)");
      const std::string type = reader.required_string("type", max_text_field_bytes, "\"customer\" or \"agent\"");
      if (type == "customer")
        created.type = message_type::customer;
      else if (type == "agent")
        created.type = message_type::agent;
      else
        invalid_field("type", "must be \"customer\" or \"agent\", not " + describe(json(type)));
      created.is_ai_response = reader.flag("is_ai_response").value_or(false);
      created.is_answered = reader.flag("is_answered").value_or(false);
      created.created_at = reader.time("created_at").value_or(now);
      return created;
    }
    case route::conversation_read: {
      const std::int64_t conversation_id = path_id(matched.first, "conversation_id");
      expect_no_fields(body, matched.which);
      return mark_conversation_read{conversation_id};
    }
    case route::message: {
      const std::int64_t id = path_id(matched.first, "id");
      expect_no_fields(body, matched.which);
      return delete_message{id};
    }
  }
  refuse(write_status::internal, "internal", "", "unhandled route");
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> digest(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> result{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), result.data());
  return result;
}

}  // namespace

int http_status(write_status status) {
  switch (status) {
    case write_status::ok: return 200;
    case write_status::created: return 201;
    case write_status::invalid: return 400;
    case write_status::unauthorized: return 401;
    case write_status::forbidden: return 403;
    case write_status::not_found: return 404;
    case write_status::method_not_allowed: return 405;
    case write_status::conflict: return 409;
    case write_status::payload_too_large: return 413;
    case write_status::unavailable: return 503;
    case write_status::internal: return 500;
  }
  return 500;
}

std::string write_error_json(std::string_view code, std::string_view field, std::string_view message) {
  json error = json::object();
  error["code"] = std::string(code);
  if (!field.empty()) error["field"] = std::string(field);
  error["message"] = std::string(message);
  json answer = json::object();
  answer["error"] = std::move(error);
  return answer.dump(-1, ' ', false, json::error_handler_t::replace);
}

write_result write_error(write_status status, std::string_view code, std::string_view field,
                         std::string_view message) {
  return {status, write_error_json(code, field, message), {}};
}

write_result body_too_large_result() {
  return write_error(write_status::payload_too_large, "payload_too_large",
                     "", "the body is larger than " + std::to_string(max_write_body_bytes) + " bytes");
}

std::optional<write_result> check_admin_token(std::string_view authorization, std::string_view admin_token) {
  if (admin_token.empty())
    return write_error(write_status::forbidden, "forbidden", "",
                       "the write API is disabled: the server runs without --admin-token");
  const std::string_view header = trim_ascii(authorization);
  const auto space = header.find_first_of(" \t");
  if (header.empty() || space == std::string_view::npos || !ascii_iequals(header.substr(0, space), "Bearer"))
    return write_error(write_status::unauthorized, "unauthorized",
                       "", "send the admin token as 'Authorization: Bearer <token>'");
  const std::string_view token = trim_ascii(header.substr(space + 1));
  // Digests of equal length, compared in constant time: how long the
  // comparison takes says nothing about the token.
  const auto given = digest(token);
  const auto expected = digest(admin_token);
  if (CRYPTO_memcmp(given.data(), expected.data(), given.size()) != 0)
    return write_error(write_status::unauthorized, "unauthorized", "", "the admin token is wrong");
  return std::nullopt;
}

std::string_view to_string(message_type type) { return type == message_type::agent ? "agent" : "customer"; }

std::string_view operation_name(const write_request& request) {
  static constexpr std::array<std::string_view, 14> names = {
      "create_customer",     "update_customer",     "delete_customer", "create_tag",     "rename_tag",
      "delete_tag",          "assign_tag",          "unassign_tag",    "create_conversation",
      "update_conversation", "delete_conversation", "create_message",  "delete_message", "mark_conversation_read"};
  static_assert(std::variant_size_v<write_operation> == names.size());
  return names.at(request.operation.index());
}

bool is_write_api_path(std::string_view path) {
  path = without_query(path);
  return path == "/api" || path.substr(0, 5) == "/api/";
}

std::variant<write_request, write_result> parse_write_request(std::string_view method, std::string_view path,
                                                              std::string_view body, timestamp_ms now) {
  try {
    const std::string_view clean_path = without_query(path);
    const auto matched = match_route(clean_path);
    if (!matched)
      return write_error(write_status::not_found, "not_found", "",
                         "no endpoint at " + shorten(clean_path));
    if (!allows(matched->allowed, method)) {
      write_result result = write_error(write_status::method_not_allowed, "method_not_allowed", "",
                                        shorten(method) + " is not allowed on " + shorten(clean_path) +
                                            "; allowed: " + std::string(matched->allowed));
      result.allowed_methods = std::string(matched->allowed);
      return result;
    }
    if (body.size() > max_write_body_bytes) return body_too_large_result();
    return write_request{parse_operation(*matched, method, body, now)};
  } catch (const refusal& refused) {
    return refused.result;
  }
}

}  // namespace cws::protocol
