// A change event: which views a batch of committed writes reached. Made by
// the change feed from the change log, heard by the cache and the live
// updates. It will cross node boundaries, so CAF can serialise it (inspect).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "protocol/types.hpp"

namespace cws::actors {

struct change_event {
  // The newest change-log row the event covers.
  std::int64_t last_change_id = 0;
  // Every view: bulk writes (import, demo data), a tag renamed or deleted, or
  // a feed that lost track (restart, pruned rows it had not read).
  bool everything = false;
  // Sorted and unique. The customers whose rows, tags, conversations or
  // messages changed, and the users whose views that reached: the owners of
  // changed conversations and messages, and every owner of a customer whose
  // own row or tags changed.
  std::vector<std::int64_t> customer_ids;
  std::vector<std::int64_t> user_ids;

  // True when the change can alter what `scope` sees. A user's view is
  // reached only through that user's own conversations or a customer it
  // shares, never by another tenant's conversation alone.
  bool reaches(const protocol::viewer_scope& scope) const {
    if (everything || !scope.user_id) return true;
    return std::binary_search(user_ids.begin(), user_ids.end(), *scope.user_id);
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& inspector, change_event& event) {
  return inspector(caf::meta::type_name("change_event"), event.last_change_id, event.everything,
                   event.customer_ids, event.user_ids);
}

}  // namespace cws::actors
