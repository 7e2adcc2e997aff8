// The in-memory customer index: answers list queries (which customers match,
// how many, in what order) and filter options without SQL. It holds only what
// filters, search and sort orders read; the rows a page shows come from the
// database (through the row cache, storage/row_cache.hpp), which stays the
// source of truth. The SQL path (database::fetch_customers) is the reference
// the index is tested against.
//
// Not thread-safe: one owner (the index actor) at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/types.hpp"

namespace cws::storage {

struct indexed_conversation {
  std::optional<std::int64_t> user_id;
  std::optional<std::string> status;
  bool unread = false;  // unread_count > 0
};

// What the index keeps of one customer.
struct indexed_customer {
  std::int64_t id = 0;
  std::optional<std::string> first_name;  // as stored: the name sort orders compare these
  std::optional<std::string> last_name;
  // The five searchable fields, folded like search terms (protocol::fold_case),
  // each followed by '\n'. A term never holds white space, so it can only
  // match inside one field. Built by searchable_text().
  std::string search_text;
  bool has_email = false;  // not null and not empty
  bool has_phone = false;
  std::optional<std::string> source;
  protocol::timestamp_ms created_at = 0;
  protocol::timestamp_ms updated_at = 0;
  std::optional<protocol::timestamp_ms> last_activity;  // null sorts first, like SQL
  std::vector<std::int64_t> tag_ids;                    // sorted, unique
  std::vector<indexed_conversation> conversations;
};

// The search_text of a customer's first name, last name, username, email and
// phone number (absent ones count as empty).
std::string searchable_text(const std::optional<std::string>& first_name, const std::optional<std::string>& last_name,
                            const std::optional<std::string>& username, const std::optional<std::string>& email,
                            const std::optional<std::string>& phone_number);

// One list query's answer: every match counted, the page's ids in order.
struct index_selection {
  std::int64_t total_count = 0;
  std::vector<std::int64_t> ids;
};

class customer_index {
 public:
  customer_index();
  ~customer_index();
  customer_index(customer_index&&) noexcept;
  customer_index& operator=(customer_index&&) noexcept;

  // Replaces the whole content.
  void assign(std::vector<indexed_customer> customers, std::vector<protocol::tag_view> tags);
  // Adds a customer, or replaces the one with the same id.
  void upsert(indexed_customer customer);
  // Forgets a customer; unknown ids are ignored.
  void erase(std::int64_t id);
  // Replaces the tag table (names of tag ids, for filters by name and options).
  void set_tags(std::vector<protocol::tag_view> tags);
  // Takes in a reload of the customers `ids`: `found` holds those that still
  // exist (upserted), the others are erased; `tags` is the whole tag table.
  void refresh(const std::vector<std::int64_t>& ids, std::vector<indexed_customer> found,
               std::vector<protocol::tag_view> tags);

  // The same matches, count and order as database::fetch_customers.
  index_selection select(const protocol::list_query& query, const protocol::viewer_scope& scope) const;
  // The same values as database::fetch_filter_options.
  protocol::filter_options options(const protocol::viewer_scope& scope) const;

  std::size_t size() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace cws::storage
