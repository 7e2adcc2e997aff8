// Rows of recently shown customers, so that a page of customers shown before
// needs no SQL. Each entry is what fetch_customers_by_id reads for everyone
// (every conversation, with its owner); a user's view is cut from it. The
// owner (the index actor) keeps it current: a change event drops the
// customers it names, and rows read before a change are not stored after it.
//
// Not thread-safe: one owner at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "protocol/types.hpp"
#include "storage/customer_index.hpp"

namespace cws::storage {

// `customer` as `scope` sees it: only that user's conversations (in the same
// order), the unread count summed over them; everything for no user.
protocol::customer_view as_seen_by(const protocol::customer_view& customer, const protocol::viewer_scope& scope);

// The page in the selection's order: the `cached` rows (by position, empty
// where not cached) as they are, the others from `read` (read for everyone)
// as `scope` sees them. A customer in neither was deleted since the index
// chose it and is left out.
protocol::customer_page assemble_page(const index_selection& selection,
                                      std::vector<std::optional<protocol::customer_view>> cached,
                                      const std::vector<protocol::customer_view>& read,
                                      const protocol::viewer_scope& scope);

class row_cache {
 public:
  explicit row_cache(std::size_t capacity) : capacity_(capacity) {}

  std::optional<protocol::customer_view> find(std::int64_t id, const protocol::viewer_scope& scope) const;
  // Rows read for everyone. A full cache is emptied first: the rows of the
  // pages in use come back with their next misses.
  void store(const std::vector<protocol::customer_view>& rows);
  void forget(const std::vector<std::int64_t>& ids);
  void clear() { rows_.clear(); }
  std::size_t size() const { return rows_.size(); }

 private:
  std::size_t capacity_;
  std::unordered_map<std::int64_t, protocol::customer_view> rows_;
};

}  // namespace cws::storage
