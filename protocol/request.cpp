#include "protocol/request.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

#include "protocol/text.hpp"
#include "protocol/time.hpp"

namespace cws::protocol {
namespace {

using json = nlohmann::json;

constexpr std::int64_t max_page = 2147483647;
constexpr std::int64_t max_offset = std::int64_t{1} << 53;  // exact in a JavaScript number

constexpr std::array<std::string_view, 12> order_by_values = {
    "created_at", "-created_at", "updated_at", "-updated_at", "last_activity", "-last_activity",
    "first_name", "-first_name", "last_name", "-last_name", "id", "-id"};

constexpr std::array<std::string_view, 4> pagination_keys = {"page", "page_size", "limit", "offset"};

constexpr std::array<std::string_view, 17> filter_keys = {
    "search", "has_email", "has_phone", "has_unread", "source", "tags", "tag_ids", "conversation_status",
    "date_from", "date_to", "last_activity_from", "last_activity_to", "order_by",
    "page", "page_size", "limit", "offset"};

template <std::size_t size>
bool contains(const std::array<std::string_view, size>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// Thrown inside the filter parser; caught at its entry points.
struct filter_failure {
  protocol_error error;
};

[[noreturn]] void fail(std::string message) {
  throw filter_failure{{error_code::invalid_filter, std::move(message)}};
}

// Missing, null, "", [] and "all" mean "no filter" for every filter key.
bool means_no_filter(const json& value) {
  if (value.is_null()) return true;
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return text.empty() || text == "all";
  }
  return value.is_array() && value.empty();
}

struct integer_reading {
  std::int64_t value = 0;
  bool out_of_range = false;  // beyond int64: `value` is saturated
};

// An integer, an integral float (2.0) or a string of digits with an optional
// '-'; booleans, fractions and anything else give nullopt.
std::optional<integer_reading> read_integer(const json& value) {
  constexpr auto largest = std::numeric_limits<std::int64_t>::max();
  constexpr auto smallest = std::numeric_limits<std::int64_t>::min();
  switch (value.type()) {
    case json::value_t::number_integer:
      return integer_reading{value.get<std::int64_t>(), false};
    case json::value_t::number_unsigned: {
      const auto unsigned_value = value.get<std::uint64_t>();
      if (unsigned_value > static_cast<std::uint64_t>(largest)) return integer_reading{largest, true};
      return integer_reading{static_cast<std::int64_t>(unsigned_value), false};
    }
    case json::value_t::number_float: {
      const double number = value.get<double>();
      if (!std::isfinite(number) || std::floor(number) != number) return std::nullopt;
      if (number >= 9.2e18) return integer_reading{largest, true};
      if (number <= -9.2e18) return integer_reading{smallest, true};
      return integer_reading{static_cast<std::int64_t>(number), false};
    }
    case json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      const bool negative = !text.empty() && text[0] == '-';
      const std::size_t first_digit = negative ? 1 : 0;
      if (text.size() == first_digit) return std::nullopt;
      integer_reading reading;
      for (std::size_t index = first_digit; index < text.size(); ++index) {
        const char character = text[index];
        if (character < '0' || character > '9') return std::nullopt;
        const int digit = character - '0';
        if (reading.out_of_range) continue;
        // Accumulate negatively so that INT64_MIN itself is representable.
        if (reading.value < (smallest + digit) / 10) {
          reading.out_of_range = true;
          reading.value = negative ? smallest : largest;
          continue;
        }
        reading.value = reading.value * 10 - digit;
      }
      if (!reading.out_of_range && !negative) {
        if (reading.value == smallest) return integer_reading{largest, true};
        reading.value = -reading.value;
      }
      return reading;
    }
    default:
      return std::nullopt;
  }
}

// Validates one pagination value (request filters, top level of
// search_customers, or the query string); clamps page_size/limit with a
// warning. Returns the value or the error message.
std::variant<std::int64_t, std::string> validate_pagination_value(std::string_view key, const json& value,
                                                                  std::vector<std::string>& warnings) {
  const std::string name(key);
  const bool is_offset = key == "offset";
  const auto reading = read_integer(value);
  const std::string requirement = name + (is_offset ? ": must be an integer >= 0" : ": must be an integer >= 1");
  if (!reading) return requirement;
  if (reading->value < (is_offset ? 0 : 1)) return requirement;
  if (key == "page" && reading->value > max_page) return name + ": at most " + std::to_string(max_page);
  if (is_offset && reading->value > max_offset) return name + ": at most " + std::to_string(max_offset);
  if ((key == "page_size" || key == "limit") && reading->value > max_page_size) {
    const std::string given = value.is_string() ? shorten(value.get_ref<const std::string&>()) : shorten(value.dump());
    warnings.push_back(name + " " + given + " clamped to " + std::to_string(max_page_size));
    return max_page_size;
  }
  return reading->value;
}

// The field of a set of pagination values that `key` names.
std::optional<std::int64_t>& pagination_field(connection_defaults& values, std::string_view key) {
  if (key == "page") return values.page;
  if (key == "page_size") return values.page_size;
  if (key == "limit") return values.limit;
  return values.offset;
}

// Validation of one filters object into a list_query.
class filter_parser {
 public:
  filter_parser(const json& filters, const connection_defaults& defaults, std::vector<std::string>& warnings,
                std::string_view search_key_name)
      : filters_(filters), defaults_(defaults), warnings_(warnings), search_key_name_(search_key_name) {}

  list_query run() {
    for (const auto& [key, value] : filters_.items()) {
      if (!contains(filter_keys, key)) warnings_.push_back("unknown filter '" + shorten(key) + "' ignored");
    }
    list_query query;
    read_search(query.filter);
    query.filter.has_email = read_boolean("has_email");
    query.filter.has_phone = read_boolean("has_phone");
    query.filter.has_unread = read_boolean("has_unread");
    query.filter.sources = read_strings("source", false);
    query.filter.tags = read_strings("tags", true);
    query.filter.tag_ids = read_tag_ids();
    query.filter.conversation_statuses = read_strings("conversation_status", false);
    query.filter.created_at = read_range("date_from", "date_to");
    query.filter.last_activity = read_range("last_activity_from", "last_activity_to");
    query.order = read_order();
    query.paging = read_pagination();
    query.applied_filters_json = applied_.dump();
    return query;
  }

 private:
  // The value of a key that is given and not a "no filter" value.
  const json* given(std::string_view key) const {
    const auto found = filters_.find(key);
    if (found == filters_.end() || means_no_filter(*found)) return nullptr;
    return &*found;
  }

  void read_search(customer_filter& filter) {
    const json* value = given("search");
    if (!value) return;
    const std::string name(search_key_name_);
    if (!value->is_string()) fail(name + ": must be a string");
    const std::string_view trimmed = trim_whitespace(value->get_ref<const std::string&>());
    const auto length = count_code_points(trimmed);
    if (!length) fail(name + ": not valid UTF-8");
    if (trimmed.empty()) return;
    if (*length > max_search_code_points) {
      fail(name + ": at most " + std::to_string(max_search_code_points) + " characters");
    }
    for (const std::string& part : split_on_whitespace(trimmed)) {
      std::string term = fold_case(part);
      if (std::find(filter.search_terms.begin(), filter.search_terms.end(), term) == filter.search_terms.end()) {
        filter.search_terms.push_back(std::move(term));
      }
    }
    applied_["search"] = std::string(trimmed);
  }

  std::optional<bool> read_boolean(std::string_view key) {
    const json* value = given(key);
    if (!value) return std::nullopt;
    std::optional<bool> result;
    if (value->is_boolean()) {
      result = value->get<bool>();
    } else if (value->is_number_integer()) {
      const auto number = value->get<std::int64_t>();
      if (number == 0 || number == 1) result = number == 1;
    } else if (value->is_string()) {
      const auto& text = value->get_ref<const std::string&>();
      if (ascii_iequals(text, "all")) return std::nullopt;
      if (ascii_iequals(text, "true") || text == "1") result = true;
      if (ascii_iequals(text, "false") || text == "0") result = false;
    }
    if (!result) fail(std::string(key) + ": " + describe(*value) + " is not one of true, false, all, 1, 0");
    applied_[std::string(key)] = *result ? "true" : "false";
    return result;
  }

  // A string or an array of strings. "all" anywhere means no filter: any of a
  // set that includes everything is everything.
  std::vector<std::string> read_strings(std::string_view key, bool always_array) {
    const json* value = given(key);
    if (!value) return {};
    const std::string name(key);
    std::vector<std::string> values;
    json applied;
    if (value->is_string()) {
      values.push_back(value->get<std::string>());
      applied = always_array ? json::array({*value}) : *value;
    } else if (value->is_array()) {
      applied = json::array();
      for (const json& element : *value) {
        if (!element.is_string()) fail(name + ": " + describe(element) + " is not a string");
        const auto& text = element.get_ref<const std::string&>();
        if (text == "all") return {};
        if (text.empty()) continue;
        applied.push_back(element);
        if (std::find(values.begin(), values.end(), text) == values.end()) values.push_back(text);
      }
      if (values.empty()) return {};
    } else {
      fail(name + (always_array ? ": must be an array of strings or a string" : ": must be a string or an array of strings"));
    }
    applied_[name] = std::move(applied);
    return values;
  }

  std::vector<std::int64_t> read_tag_ids() {
    const json* value = given("tag_ids");
    if (!value) return {};
    std::vector<std::int64_t> ids;
    const auto add = [&](const json& element) {
      const auto reading = read_integer(element);
      if (!reading) fail("tag_ids: " + describe(element) + " is not an integer");
      if (reading->out_of_range) fail("tag_ids: " + describe(element) + " is out of range");
      if (std::find(ids.begin(), ids.end(), reading->value) == ids.end()) ids.push_back(reading->value);
    };
    if (value->is_array()) {
      for (const json& element : *value) {
        if (element.is_string() && element.get_ref<const std::string&>().empty()) continue;
        if (element.is_string() && element.get_ref<const std::string&>() == "all") return {};
        add(element);
      }
      if (ids.empty()) return {};
    } else {
      add(*value);
    }
    applied_["tag_ids"] = ids;
    return ids;
  }

  std::optional<parsed_time> read_time(std::string_view key) {
    const json* value = given(key);
    if (!value) return std::nullopt;
    const std::string name(key);
    if (!value->is_string()) fail(name + ": must be a date string (YYYY-MM-DD or ISO 8601 date-time)");
    const auto parsed = parse_time(value->get_ref<const std::string&>());
    if (!parsed) fail(name + ": " + describe(*value) + " is not a valid date (YYYY-MM-DD or ISO 8601 date-time)");
    applied_[name] = *value;
    return parsed;
  }

  time_range read_range(std::string_view from_key, std::string_view to_key) {
    time_range range;
    if (const auto from = read_time(from_key)) range.from = from->value;
    if (const auto to = read_time(to_key)) range.to = to->date_only ? end_of_day(to->value) : to->value;
    if (range.from && range.to && *range.from > *range.to) {
      fail(std::string(from_key) + ": " + describe(filters_.at(from_key)) + " is after " + std::string(to_key) + " " +
           describe(filters_.at(to_key)));
    }
    return range;
  }

  sort_order read_order() {
    const json* value = given("order_by");
    if (!value) return {};
    if (!value->is_string() || !contains(order_by_values, value->get_ref<const std::string&>())) {
      std::string allowed;
      for (const std::string_view option : order_by_values) {
        if (!allowed.empty()) allowed += ", ";
        allowed += option;
      }
      fail("order_by: " + describe(*value) + " is not one of " + allowed);
    }
    std::string_view text = value->get_ref<const std::string&>();
    sort_order order;
    order.descending = text.front() == '-';
    if (order.descending) text.remove_prefix(1);
    if (text == "created_at") order.field = sort_field::created_at;
    else if (text == "updated_at") order.field = sort_field::updated_at;
    else if (text == "last_activity") order.field = sort_field::last_activity;
    else if (text == "first_name") order.field = sort_field::first_name;
    else if (text == "last_name") order.field = sort_field::last_name;
    else order.field = sort_field::id;
    applied_["order_by"] = *value;
    return order;
  }

  pagination read_pagination() {
    connection_defaults requested;
    for (const std::string_view key : pagination_keys) {
      const json* value = given(key);
      if (!value) continue;
      auto validated = validate_pagination_value(key, *value, warnings_);
      if (const auto* message = std::get_if<std::string>(&validated)) fail(*message);
      pagination_field(requested, key) = std::get<std::int64_t>(validated);
    }

    // Each mode's keys in the request replace the defaults of the other mode.
    connection_defaults effective;
    if (requested.limit || requested.offset) {
      effective = requested;
      // The request's own page_size is a more specific limit than the default's.
      if (!effective.limit && !effective.page_size) effective.limit = defaults_.limit;
      if (!effective.offset) effective.offset = defaults_.offset;
    } else if (requested.page || requested.page_size) {
      effective.page = requested.page ? requested.page : defaults_.page;
      effective.page_size = requested.page_size ? requested.page_size : defaults_.page_size;
    } else {
      effective = defaults_;
    }
    for (const std::string_view key : pagination_keys) {
      if (const auto& value = pagination_field(effective, key)) applied_[std::string(key)] = *value;
    }

    pagination paging;
    if (effective.limit || effective.offset) {
      paging.mode = pagination_mode::offset;
      paging.limit = effective.limit.value_or(effective.page_size.value_or(default_page_size));
      paging.offset = effective.offset.value_or(0);
      paging.page_size = paging.limit;
      paging.page = paging.offset / paging.limit + 1;
    } else {
      paging.mode = pagination_mode::page;
      paging.page = effective.page.value_or(1);
      paging.page_size = effective.page_size.value_or(default_page_size);
      paging.offset = (paging.page - 1) * paging.page_size;
      paging.limit = paging.page_size;
    }
    return paging;
  }

  const json& filters_;
  const connection_defaults& defaults_;
  std::vector<std::string>& warnings_;
  std::string_view search_key_name_;
  json applied_ = json::object();
};

std::variant<list_query, protocol_error> parse_filter_object(const json& filters, const connection_defaults& defaults,
                                                             std::vector<std::string>& warnings,
                                                             std::string_view search_key_name = "search") {
  try {
    return filter_parser(filters, defaults, warnings, search_key_name).run();
  } catch (const filter_failure& failure) {
    return failure.error;
  }
}

std::string without_exception_prefix(const std::string& what) {
  // nlohmann prefixes "[json.exception.parse_error.101] "; the rest is useful.
  const auto end = what.find("] ");
  return end == std::string::npos ? what : what.substr(end + 2);
}

// application/x-www-form-urlencoded decoding; a '%' not followed by two hex
// digits is kept as it is.
std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t index = 0; index < text.size(); ++index) {
    const char character = text[index];
    if (character == '+') {
      out.push_back(' ');
    } else if (character == '%' && index + 2 < text.size() && hex_value(text[index + 1]) >= 0 &&
               hex_value(text[index + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[index + 1]) * 16 + hex_value(text[index + 2])));
      index += 2;
    } else {
      out.push_back(character);
    }
  }
  return out;
}

enum class list_type { get, filter, search, refresh };

constexpr std::array<std::string_view, 3> common_keys = {"type", "request_id", "filters"};
constexpr std::array<std::string_view, 7> search_keys = {"search_term", "query", "search", "page",
                                                         "page_size", "limit", "offset"};

}  // namespace

connection_parameters parse_connection_parameters(std::string_view query_string) {
  connection_parameters parameters;
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!query_string.empty()) {
    const std::size_t end = std::min(query_string.find('&'), query_string.size());
    const std::string_view pair = query_string.substr(0, end);
    query_string.remove_prefix(std::min(end + 1, query_string.size()));
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    const std::string key = url_decode(pair.substr(0, equals));
    const std::string value = equals == std::string_view::npos ? std::string() : url_decode(pair.substr(equals + 1));
    pairs.emplace_back(key, value);
  }

  connection_defaults values;
  std::vector<std::pair<std::string, std::string>> latest;  // the last value of each pagination key wins
  for (auto& [key, value] : pairs) {
    if (key == "token") {
      parameters.token = value;
    } else if (contains(pagination_keys, key)) {
      const auto previous = std::find_if(latest.begin(), latest.end(), [&](const auto& entry) { return entry.first == key; });
      if (previous != latest.end()) {
        previous->second = value;
      } else {
        latest.emplace_back(key, value);
      }
    }
  }
  for (const auto& [key, value] : latest) {
    const json as_json = value;
    if (means_no_filter(as_json)) continue;
    auto validated = validate_pagination_value(key, as_json, parameters.warnings);
    if (const auto* message = std::get_if<std::string>(&validated)) {
      parameters.warnings.push_back(*message + " (query string value ignored)");
      continue;
    }
    pagination_field(values, key) = std::get<std::int64_t>(validated);
  }
  parameters.defaults = values;
  return parameters;
}

std::variant<list_query, protocol_error> parse_filters(std::string_view filters_json,
                                                       const connection_defaults& defaults,
                                                       std::vector<std::string>& warnings) {
  json filters;
  try {
    filters = json::parse(filters_json);
  } catch (const json::parse_error& error) {
    return protocol_error{error_code::invalid_json, "invalid JSON: " + without_exception_prefix(error.what())};
  }
  if (filters.is_null()) filters = json::object();
  if (!filters.is_object()) return protocol_error{error_code::invalid_filter, "filters: must be an object"};
  return parse_filter_object(filters, defaults, warnings);
}

parse_result parse_request(std::string_view frame, const connection_defaults& defaults) {
  parse_result result;
  const auto error = [&](error_code code, std::string message) {
    result.value = protocol_error{code, std::move(message)};
    return result;
  };

  json message;
  try {
    message = json::parse(frame);
  } catch (const json::parse_error& parse_error) {
    return error(error_code::invalid_json, "invalid JSON: " + without_exception_prefix(parse_error.what()));
  }
  if (!message.is_object()) return error(error_code::invalid_message, "a request must be a JSON object");

  if (const auto found = message.find("request_id"); found != message.end() && !found->is_null()) {
    if (found->is_string()) {
      result.id = found->get<std::string>();
    } else if (const auto integer = found->is_number_integer() ? read_integer(*found) : std::nullopt;
               integer && !integer->out_of_range) {
      result.id = integer->value;
    } else {
      return error(error_code::invalid_message, "request_id must be a string or an integer");
    }
  }

  std::string type = "get_customers";
  if (const auto found = message.find("type"); found != message.end()) {
    if (!found->is_string()) return error(error_code::invalid_message, "type must be a string");
    type = found->get<std::string>();
  }

  request parsed;
  parsed.type = type;
  parsed.id = result.id;
  const auto done = [&](request_kind kind) {
    parsed.kind = kind;
    result.value = std::move(parsed);
    return result;
  };
  list_type list = list_type::get;
  if (type == "get_customers") {
    list = list_type::get;
  } else if (type == "filter_customers") {
    list = list_type::filter;
  } else if (type == "search_customers") {
    list = list_type::search;
  } else if (type == "refresh_customers") {
    list = list_type::refresh;
  } else if (type == "get_filter_options") {
    return done(request_kind::filter_options);
  } else if (type == "ping") {
    return done(request_kind::ping);
  } else if (type == "subscribe") {
    return done(request_kind::subscribe);
  } else if (type == "unsubscribe") {
    return done(request_kind::unsubscribe);
  } else {
    return error(error_code::unknown_type, "unknown message type " + describe(json(type)));
  }

  for (const auto& [key, value] : message.items()) {
    const bool known = contains(common_keys, key) || (list == list_type::search && contains(search_keys, key));
    if (!known) parsed.warnings.push_back("unknown key '" + shorten(key) + "' ignored");
  }

  json filters = json::object();
  if (const auto found = message.find("filters"); found != message.end() && !found->is_null()) {
    if (!found->is_object()) return error(error_code::invalid_filter, "filters: must be an object");
    // Moved, not copied: copying a json recurses as deep as the client nested it.
    filters = std::move(*found);
  } else if (list == list_type::refresh) {
    return done(request_kind::refresh);
  }

  std::string_view search_key_name = "search";
  if (list == list_type::search) {
    for (const std::string_view key : pagination_keys) {
      if (const auto found = message.find(key); found != message.end()) filters[std::string(key)] = std::move(*found);
    }
    for (const std::string_view key : {"search_term", "query", "search"}) {
      const auto found = message.find(key);
      if (found == message.end() || found->is_null()) continue;
      if (!found->is_string()) return error(error_code::invalid_filter, std::string(key) + ": must be a string");
      filters["search"] = *found;
      search_key_name = key;
      break;
    }
  }

  auto query = parse_filter_object(filters, defaults, parsed.warnings, search_key_name);
  if (auto* failure = std::get_if<protocol_error>(&query)) return error(failure->code, std::move(failure->message));
  parsed.query = std::move(std::get<list_query>(query));
  return done(request_kind::list);
}

std::string query_key(const list_query& query) {
  // The echoed filters name every filter the client gave; the order and the
  // pagination after defaults complete them.
  const auto& paging = query.paging;
  return query.applied_filters_json + '\n' + std::to_string(static_cast<int>(query.order.field)) +
         (query.order.descending ? "-" : "+") + ' ' + std::to_string(static_cast<int>(paging.mode)) + ' ' +
         std::to_string(paging.page) + ' ' + std::to_string(paging.page_size) + ' ' + std::to_string(paging.offset) +
         ' ' + std::to_string(paging.limit);
}

}  // namespace cws::protocol
