// The protocol's value types: what a validated request asks for and what the
// storage layer answers. Plain structs with no dependencies beyond the
// standard library, so every layer can include this header cheaply.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace cws::protocol {

// Milliseconds since the Unix epoch, UTC. Every stored time has this form.
using timestamp_ms = std::int64_t;

// A client's request_id: echoed back exactly as it came (string or integer).
using request_id = std::variant<std::int64_t, std::string>;

// Who is looking. Without a user every customer is visible; with one, only
// customers that have a conversation with that user, and of each customer only
// that user's conversations (PROTOCOL.md, Authentication).
struct viewer_scope {
  std::optional<std::int64_t> user_id;
  friend bool operator==(const viewer_scope& a, const viewer_scope& b) { return a.user_id == b.user_id; }
  friend bool operator<(const viewer_scope& a, const viewer_scope& b) { return a.user_id < b.user_id; }
};

enum class sort_field { created_at, updated_at, last_activity, first_name, last_name, id };

struct sort_order {
  sort_field field = sort_field::created_at;
  bool descending = true;
};

// Both ends inclusive. A date-only upper bound has already been widened to
// the last millisecond of that day by the parser.
struct time_range {
  std::optional<timestamp_ms> from;
  std::optional<timestamp_ms> to;
  bool empty() const { return !from && !to; }
};

// A validated filter. An empty vector or an empty optional means "no filter".
struct customer_filter {
  // Whitespace-separated terms, already case-folded (protocol/text.hpp);
  // every term must be a substring of at least one searchable field.
  std::vector<std::string> search_terms;
  std::optional<bool> has_email;
  std::optional<bool> has_phone;
  std::optional<bool> has_unread;
  std::vector<std::string> sources;                // any of
  std::vector<std::string> tags;                   // any of, exact names
  std::vector<std::int64_t> tag_ids;               // any of; AND with tags
  std::vector<std::string> conversation_statuses;  // any of
  time_range created_at;
  time_range last_activity;
};

enum class pagination_mode { page, offset };

// Pagination after validation and defaults; offset/limit are always set.
struct pagination {
  pagination_mode mode = pagination_mode::page;
  std::int64_t page = 1;
  std::int64_t page_size = 20;
  std::int64_t offset = 0;
  std::int64_t limit = 20;
};

// One list query: what get_customers, filter_customers, refresh_customers and
// search_customers all turn into.
struct list_query {
  customer_filter filter;
  sort_order order;
  pagination paging;
  // The filters as applied, normalised (PROTOCOL.md customers_list.filters),
  // serialised as a JSON object. Kept so that refresh_customers and live
  // updates echo exactly what the client asked for.
  std::string applied_filters_json = "{}";
};

// ---- results -------------------------------------------------------------

struct message_view {
  std::int64_t id = 0;
  std::optional<std::string> content;
  std::string type;
  bool is_ai_response = false;
  timestamp_ms created_at = 0;
};

struct conversation_view {
  std::int64_t id = 0;
  std::optional<std::string> title;
  std::optional<std::string> status;
  std::optional<std::string> source;
  std::int64_t unread_count = 0;
  timestamp_ms created_at = 0;
  timestamp_ms updated_at = 0;
  std::optional<message_view> last_message;
  // Its owner. Never sent: it tells which user's view the conversation is in.
  std::optional<std::int64_t> user_id;
};

struct tag_view {
  std::int64_t id = 0;
  std::string name;
};

struct customer_view {
  std::int64_t id = 0;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> username;
  std::optional<std::string> email;
  std::optional<std::string> phone_number;
  std::optional<std::string> source;
  std::optional<std::string> source_id;
  std::optional<std::string> profile_picture;
  timestamp_ms created_at = 0;
  timestamp_ms updated_at = 0;
  timestamp_ms last_activity = 0;
  std::vector<tag_view> tags;                    // by name
  std::vector<conversation_view> conversations;  // visible ones, newest first
  std::int64_t unread_count = 0;                 // sum over `conversations`
};

// One page of a list query plus the total number of matches.
struct customer_page {
  std::int64_t total_count = 0;
  std::vector<customer_view> customers;
};

struct tag_detail {
  std::int64_t id = 0;
  std::string name;
  std::int64_t count = 0;  // visible customers with this tag
};

// Values present in the data a scope can see, each list sorted.
struct filter_options {
  std::vector<std::pair<std::string, std::int64_t>> source_counts;  // by value
  std::vector<tag_detail> tags;                                      // by name
  std::vector<std::pair<std::string, std::int64_t>> status_counts;  // by value
  std::optional<timestamp_ms> created_at_min;  // both empty when nothing is visible
  std::optional<timestamp_ms> created_at_max;
};

}  // namespace cws::protocol
