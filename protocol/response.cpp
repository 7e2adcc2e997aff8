#include "protocol/response.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string_view>

#include "protocol/time.hpp"

namespace cws::protocol {
namespace {

// Ordered, so that the fields come out in the order PROTOCOL.md shows them.
using json = nlohmann::ordered_json;

json optional_text(const std::optional<std::string>& value) { return value ? json(*value) : json(nullptr); }

json id_json(const request_id& id) {
  return std::visit([](const auto& value) { return json(value); }, id);
}

void add_request_id(json& message, const std::optional<request_id>& id) {
  if (id) message["request_id"] = id_json(*id);
}

// FNV-1a over a sequence of values; each value is preceded by its kind and
// length, so that ("ab","c") and ("a","bc") differ, as do null and "".
class fingerprint_builder {
 public:
  void add(std::int64_t value) {
    byte('i');
    bytes(&value, sizeof value);
  }
  void add(std::string_view text) {
    byte('s');
    add_length(text.size());
    bytes(text.data(), text.size());
  }
  void add(const std::string& text) { add(std::string_view{text}); }
  void add(const std::optional<std::string>& text) {
    if (text)
      add(std::string_view{*text});
    else
      byte('n');
  }
  std::uint64_t value() const { return hash_; }

 private:
  void add_length(std::size_t length) {
    auto value = static_cast<std::uint64_t>(length);
    bytes(&value, sizeof value);
  }
  void byte(unsigned char value) {
    hash_ ^= value;
    hash_ *= 1099511628211ull;
  }
  void bytes(const void* data, std::size_t size) {
    const auto* next = static_cast<const unsigned char*>(data);
    for (std::size_t index = 0; index < size; ++index) byte(next[index]);
  }
  std::uint64_t hash_ = 14695981039346656037ull;
};

// Stored text can hold anything; a response must still be valid UTF-8.
std::string serialise(const json& message) { return message.dump(-1, ' ', false, json::error_handler_t::replace); }

json message_json(const message_view& message) {
  return json{{"id", message.id},
              {"content", optional_text(message.content)},
              {"type", message.type},
              {"is_ai_response", message.is_ai_response},
              {"created_at", format_timestamp(message.created_at)}};
}

json conversation_json(const conversation_view& conversation) {
  return json{{"id", conversation.id},
              {"title", optional_text(conversation.title)},
              {"status", optional_text(conversation.status)},
              {"source", optional_text(conversation.source)},
              {"unread_count", conversation.unread_count},
              {"created_at", format_timestamp(conversation.created_at)},
              {"updated_at", format_timestamp(conversation.updated_at)},
              {"last_message", conversation.last_message ? message_json(*conversation.last_message) : json(nullptr)}};
}

json customer_json(const customer_view& customer) {
  json tags = json::array();
  for (const tag_view& tag : customer.tags) tags.push_back(json{{"id", tag.id}, {"name", tag.name}});
  json conversations = json::array();
  for (const conversation_view& conversation : customer.conversations) {
    conversations.push_back(conversation_json(conversation));
  }
  return json{{"id", customer.id},
              {"first_name", optional_text(customer.first_name)},
              {"last_name", optional_text(customer.last_name)},
              {"username", optional_text(customer.username)},
              {"email", optional_text(customer.email)},
              {"phone_number", optional_text(customer.phone_number)},
              {"source", optional_text(customer.source)},
              {"source_id", optional_text(customer.source_id)},
              {"profile_picture", optional_text(customer.profile_picture)},
              {"created_at", format_timestamp(customer.created_at)},
              {"updated_at", format_timestamp(customer.updated_at)},
              {"last_activity", format_timestamp(customer.last_activity)},
              {"tags", std::move(tags)},
              {"unread_count", customer.unread_count},
              {"conversations", std::move(conversations)}};
}

json applied_filters(const std::string& applied_filters_json) {
  json filters = json::parse(applied_filters_json, nullptr, false);
  return filters.is_object() ? filters : json::object();
}

json option_list(std::initializer_list<std::pair<const char*, const char*>> options) {
  json list = json::array();
  for (const auto& [value, label] : options) list.push_back(json{{"value", value}, {"label", label}});
  return list;
}

}  // namespace

std::string connection_established_json(timestamp_ms now) {
  return serialise(json{{"type", "connection_established"},
                        {"message", "Connected to customer list updates"},
                        {"timestamp", format_timestamp(now)}});
}

std::string customers_list_json(const list_query& query, const customer_page& page,
                                const std::vector<std::string>& warnings, const std::optional<request_id>& id,
                                timestamp_ms now, list_reason reason) {
  const pagination& paging = query.paging;
  const std::int64_t count = page.total_count;
  const auto page_count = static_cast<std::int64_t>(page.customers.size());
  const std::int64_t page_size = std::max<std::int64_t>(paging.page_size, 1);
  const std::int64_t total_pages = std::max<std::int64_t>(1, (count + page_size - 1) / page_size);
  const bool has_previous = paging.mode == pagination_mode::page ? paging.page > 1 : paging.offset > 0;

  json customers = json::array();
  for (const customer_view& customer : page.customers) customers.push_back(customer_json(customer));

  json message{{"type", "customers_list"},
               {"customers", std::move(customers)},
               {"pagination",
                {{"count", count},
                 {"page_count", page_count},
                 {"page_size", paging.page_size},
                 {"page", paging.page},
                 {"total_pages", total_pages},
                 {"has_next", paging.offset + paging.limit < count},
                 {"has_previous", has_previous},
                 {"offset", paging.offset},
                 {"limit", paging.limit}}},
               {"filters", applied_filters(query.applied_filters_json)},
               {"count", count},
               {"page_count", page_count},
               {"warnings", warnings},
               {"timestamp", format_timestamp(now)}};
  if (reason == list_reason::update) message["reason"] = "update";
  add_request_id(message, id);
  return serialise(message);
}

// Invariant: every value customers_list_json writes from the query and the
// page goes into the fingerprint (the unit test changes each field in turn).
// Hashing the values is a fraction of the cost of serialising them, which
// profiling showed to be 40% of a list answer's instructions.
std::uint64_t list_fingerprint(const list_query& query, const customer_page& page) {
  fingerprint_builder print;
  print.add(query.applied_filters_json);
  print.add(static_cast<std::int64_t>(query.paging.mode));
  for (auto value : {query.paging.page, query.paging.page_size, query.paging.offset, query.paging.limit})
    print.add(value);
  print.add(page.total_count);
  print.add(static_cast<std::int64_t>(page.customers.size()));
  for (const customer_view& customer : page.customers) {
    print.add(customer.id);
    for (const auto* text : {&customer.first_name, &customer.last_name, &customer.username, &customer.email,
                             &customer.phone_number, &customer.source, &customer.source_id, &customer.profile_picture})
      print.add(*text);
    for (auto time : {customer.created_at, customer.updated_at, customer.last_activity}) print.add(time);
    print.add(customer.unread_count);
    print.add(static_cast<std::int64_t>(customer.tags.size()));
    for (const tag_view& tag : customer.tags) {
      print.add(tag.id);
      print.add(tag.name);
    }
    print.add(static_cast<std::int64_t>(customer.conversations.size()));
    for (const conversation_view& conversation : customer.conversations) {
      print.add(conversation.id);
      print.add(conversation.title);
      print.add(conversation.status);
      print.add(conversation.source);
      print.add(conversation.unread_count);
      print.add(conversation.created_at);
      print.add(conversation.updated_at);
      print.add(static_cast<std::int64_t>(conversation.last_message.has_value()));
      if (const auto& message = conversation.last_message) {
        print.add(message->id);
        print.add(message->content);
        print.add(message->type);
        print.add(static_cast<std::int64_t>(message->is_ai_response));
        print.add(message->created_at);
      }
    }
  }
  return print.value();
}

std::string filter_options_json(const filter_options& options, const std::optional<request_id>& id,
                                timestamp_ms now) {
  // Sorted here too, so that the contract holds whatever order storage used.
  auto source_counts = options.source_counts;
  std::sort(source_counts.begin(), source_counts.end());
  auto status_counts = options.status_counts;
  std::sort(status_counts.begin(), status_counts.end());
  auto tags = options.tags;
  std::sort(tags.begin(), tags.end(), [](const tag_detail& left, const tag_detail& right) {
    return left.name != right.name ? left.name < right.name : left.id < right.id;
  });

  json sources = json::array();
  json source_count_map = json::object();
  for (const auto& [source, count] : source_counts) {
    sources.push_back(source);
    source_count_map[source] = count;
  }
  json statuses = json::array();
  json status_count_map = json::object();
  for (const auto& [status, count] : status_counts) {
    statuses.push_back(status);
    status_count_map[status] = count;
  }
  json tag_names = json::array();
  json tag_details = json::array();
  for (const tag_detail& tag : tags) {
    tag_names.push_back(tag.name);
    tag_details.push_back(json{{"id", tag.id}, {"name", tag.name}, {"count", tag.count}});
  }
  json created_at_range = nullptr;
  if (options.created_at_min && options.created_at_max) {
    created_at_range = json{{"min", format_timestamp(*options.created_at_min)},
                            {"max", format_timestamp(*options.created_at_max)}};
  }

  json message{
      {"type", "filter_options"},
      {"options",
       {{"sources", std::move(sources)},
        {"tags", std::move(tag_names)},
        {"conversation_statuses", std::move(statuses)},
        {"has_email_options", option_list({{"true", "Has Email"}, {"false", "No Email"}, {"all", "All"}})},
        {"has_phone_options", option_list({{"true", "Has Phone"}, {"false", "No Phone"}, {"all", "All"}})},
        {"has_unread_options",
         option_list({{"true", "Has Unread Messages"}, {"false", "No Unread Messages"}, {"all", "All"}})},
        {"order_options", option_list({{"-updated_at", "Recently Updated"},
                                       {"-created_at", "Recently Created"},
                                       {"created_at", "Oldest First"},
                                       {"first_name", "Name A-Z"},
                                       {"-first_name", "Name Z-A"}})},
        {"tag_details", std::move(tag_details)},
        {"source_counts", std::move(source_count_map)},
        {"conversation_status_counts", std::move(status_count_map)},
        {"created_at_range", std::move(created_at_range)}}},
      {"timestamp", format_timestamp(now)}};
  add_request_id(message, id);
  return serialise(message);
}

std::string error_json(const protocol_error& error, const std::optional<request_id>& id, timestamp_ms now) {
  json message{{"type", "error"},
               {"code", to_string(error.code)},
               {"message", error.message},
               {"error", error.message},
               {"timestamp", format_timestamp(now)}};
  add_request_id(message, id);
  return serialise(message);
}

std::string pong_json(const std::optional<request_id>& id, timestamp_ms now) {
  json message{{"type", "pong"}, {"timestamp", format_timestamp(now)}};
  add_request_id(message, id);
  return serialise(message);
}

std::string subscription_json(bool live, const std::optional<request_id>& id, timestamp_ms now) {
  json message{{"type", "subscription"}, {"live", live}, {"timestamp", format_timestamp(now)}};
  add_request_id(message, id);
  return serialise(message);
}

std::string authentication_error_json(std::string_view error_code, std::string_view message, timestamp_ms now) {
  return serialise(json{{"type", "authentication_error"},
                        {"message", message},
                        {"error_code", error_code},
                        {"timestamp", format_timestamp(now)}});
}

}  // namespace cws::protocol
