// The translation of list queries into SQL text plus bound parameters.
// Pure functions, no database: every value travels as a parameter, and the
// only identifiers spliced into the text come from fixed lists here.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "protocol/types.hpp"

namespace cws::storage {

enum class sql_dialect { sqlite, postgresql };

using sql_value = std::variant<std::int64_t, std::string>;

// Placeholders are written ":p1", ":p2", ... and appear in the text in the
// order of `parameters`: SOCI binds by position, and SQLite numbers
// parameters by their first appearance.
struct sql_statement {
  std::string text;
  std::vector<sql_value> parameters;
};

// The columns of the page statement, in this order.
inline constexpr const char* customer_columns =
    "c.id, c.first_name, c.last_name, c.username, c.email, c.phone_number, c.source, "
    "c.source_id, c.profile_picture, c.created_at, c.updated_at, c.last_activity";

struct customer_query_sql {
  sql_statement count;  // one row: count(*)
  sql_statement page;   // customer_columns, ordered and limited
};

customer_query_sql build_customer_query_sql(const protocol::list_query& query,
                                            const protocol::viewer_scope& scope, sql_dialect dialect);

// Rows (customer_id, tag id, tag name) ordered by customer_id, then name.
sql_statement build_page_tags_sql(const std::vector<std::int64_t>& customer_ids, sql_dialect dialect);

// Rows (customer_id, id, title, status, source, unread_count, created_at,
// updated_at, message id, content, type, is_ai_response, message created_at,
// user_id)
// of the visible conversations, ordered by customer_id, updated_at desc, id
// desc; the message columns are null without a last message.
sql_statement build_page_conversations_sql(const std::vector<std::int64_t>& customer_ids,
                                           const protocol::viewer_scope& scope);

// The customer_columns rows of these customers, in no particular order.
sql_statement build_customers_by_id_sql(const std::vector<std::int64_t>& customer_ids);

// Statements of load_index, over every customer or only the given ones:
struct index_sql {
  sql_statement customers;      // (id, first_name, last_name, username, email, phone_number, source,
                                //  created_at, updated_at, last_activity)
  sql_statement tags;           // (customer_id, tag_id) ordered by both
  sql_statement conversations;  // (customer_id, user_id, status, unread_count)
};
index_sql build_index_sql(const std::vector<std::int64_t>* customer_ids);

// Statements of fetch_filter_options, each ordered by its first column:
struct filter_options_sql {
  sql_statement source_counts;  // (source, customers)
  sql_statement tag_counts;     // (tag id, name, customers)
  sql_statement status_counts;  // (status, customers)
  sql_statement created_range;  // one row (min, max), nulls when nothing is visible
};

filter_options_sql build_filter_options_sql(const protocol::viewer_scope& scope, sql_dialect dialect);

// An FTS5 query that matches rows holding every term as a phrase, e.g.
// `"ab""c" AND "xyz"`. Terms are taken literally: quotes are doubled.
std::string fts_phrase_query(const std::vector<std::string>& terms);

// Search terms of at least this many code points use the trigram index; a
// trigram index cannot answer shorter ones.
inline constexpr std::size_t trigram_minimum_code_points = 3;

}  // namespace cws::storage
