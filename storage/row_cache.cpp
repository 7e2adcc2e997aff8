#include "storage/row_cache.hpp"

namespace cws::storage {

protocol::customer_view as_seen_by(const protocol::customer_view& customer, const protocol::viewer_scope& scope) {
  if (!scope.user_id) return customer;
  protocol::customer_view seen = customer;
  seen.conversations.clear();
  seen.unread_count = 0;
  for (const auto& conversation : customer.conversations) {
    if (conversation.user_id != scope.user_id) continue;
    seen.unread_count += conversation.unread_count;
    seen.conversations.push_back(conversation);
  }
  return seen;
}

protocol::customer_page assemble_page(const index_selection& selection,
                                      std::vector<std::optional<protocol::customer_view>> cached,
                                      const std::vector<protocol::customer_view>& read,
                                      const protocol::viewer_scope& scope) {
  std::unordered_map<std::int64_t, std::size_t> position;
  for (std::size_t index = 0; index < read.size(); ++index) position.emplace(read[index].id, index);
  protocol::customer_page page;
  page.total_count = selection.total_count;
  for (std::size_t index = 0; index < selection.ids.size(); ++index) {
    if (index < cached.size() && cached[index]) {
      page.customers.push_back(std::move(*cached[index]));
    } else if (const auto found = position.find(selection.ids[index]); found != position.end()) {
      page.customers.push_back(as_seen_by(read[found->second], scope));
    }
  }
  return page;
}

std::optional<protocol::customer_view> row_cache::find(std::int64_t id, const protocol::viewer_scope& scope) const {
  const auto found = rows_.find(id);
  if (found == rows_.end()) return std::nullopt;
  return as_seen_by(found->second, scope);
}

void row_cache::store(const std::vector<protocol::customer_view>& rows) {
  if (rows_.size() + rows.size() > capacity_) rows_.clear();
  for (const auto& row : rows) rows_.insert_or_assign(row.id, row);
}

void row_cache::forget(const std::vector<std::int64_t>& ids) {
  for (auto id : ids) rows_.erase(id);
}

}  // namespace cws::storage
