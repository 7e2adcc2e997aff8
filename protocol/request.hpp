// Parsing and validation of client frames into typed requests. Pure
// functions: no I/O, no clock, so every rule of PROTOCOL.md can be tested
// exhaustively here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/errors.hpp"
#include "protocol/types.hpp"

namespace cws::protocol {

// Pagination defaults read from the WebSocket URL's query string at connect
// time. Only values that validated are kept (the others are reported once, as
// warnings of the initial list).
struct connection_defaults {
  std::optional<std::int64_t> page;
  std::optional<std::int64_t> page_size;
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> offset;
};

struct connection_parameters {
  connection_defaults defaults;
  std::optional<std::string> token;   // the `token` key, URL-decoded
  std::vector<std::string> warnings;  // bad default values, unknown keys are not warned about
};

// Reads `page`, `page_size`, `limit`, `offset` and `token` from a raw query
// string ("a=1&b=2", without the '?'), URL-decoding keys and values.
connection_parameters parse_connection_parameters(std::string_view query_string);

enum class request_kind {
  list,            // get_customers, filter_customers, search_customers, refresh_customers with filters
  refresh,         // refresh_customers without filters: run the current query again
  filter_options,  // get_filter_options
  ping,
  subscribe,
  unsubscribe,
};

struct request {
  request_kind kind = request_kind::list;
  std::string type;  // the wire type, "get_customers" when it was missing
  std::optional<request_id> id;
  list_query query;                   // meaningful for request_kind::list
  std::vector<std::string> warnings;  // unknown keys, clamped values
};

// Either a request or the error to answer with. `id` is the request_id when
// one could be read, so that errors echo it too.
struct parse_result {
  std::variant<request, protocol_error> value;
  std::optional<request_id> id;
  bool ok() const { return std::holds_alternative<request>(value); }
};

// Parses one text frame. Applies `defaults` to list requests (a key inside
// the request's filters wins; pagination keys of the request's own mode
// replace the defaults of the other mode).
parse_result parse_request(std::string_view frame, const connection_defaults& defaults);

// Validates a filters object given as JSON text (exposed for tests and for the
// initial list, which is `parse_filters("{}", defaults)`).
std::variant<list_query, protocol_error> parse_filters(std::string_view filters_json,
                                                       const connection_defaults& defaults,
                                                       std::vector<std::string>& warnings);

// Equal for two queries exactly when their answers are the same
// customers_list (filters as echoed, order and pagination): sessions that
// share it share one live query.
std::string query_key(const list_query& query);

// Limits of the protocol.
inline constexpr std::int64_t default_page_size = 20;
inline constexpr std::int64_t max_page_size = 100;
inline constexpr std::size_t max_search_code_points = 200;

}  // namespace cws::protocol
