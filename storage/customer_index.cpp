#include "storage/customer_index.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <iterator>
#include <map>
#include <string_view>
#include <unordered_map>

#include "protocol/text.hpp"

namespace cws::storage {
namespace {

// A customer's place in the index's arrays. Slots of erased customers are
// reused.
using slot = std::uint32_t;

// Invariant: sorted ascending, no duplicates.
using slot_list = std::vector<slot>;

void add_to(slot_list& list, slot value) {
  if (list.empty() || list.back() < value) {
    list.push_back(value);  // the common case: slots are handed out in order
    return;
  }
  const auto at = std::lower_bound(list.begin(), list.end(), value);
  if (at == list.end() || *at != value) list.insert(at, value);
}

void remove_from(slot_list& list, slot value) {
  const auto at = std::lower_bound(list.begin(), list.end(), value);
  if (at != list.end() && *at == value) list.erase(at);
}

// Postings: the slots holding a value. Invariant: no empty list is kept.
template <class Key>
using postings = std::unordered_map<Key, slot_list>;

template <class Key>
void post(postings<Key>& map, const Key& key, slot value, bool present) {
  if (present) {
    add_to(map[key], value);
    return;
  }
  const auto found = map.find(key);
  if (found == map.end()) return;
  remove_from(found->second, value);
  if (found->second.empty()) map.erase(found);
}

template <class Key>
const slot_list* find_postings(const postings<Key>& map, const Key& key) {
  const auto found = map.find(key);
  return found == map.end() ? nullptr : &found->second;
}

class bitset {
 public:
  explicit bitset(std::size_t bits = 0) : words_((bits + 63) / 64) {}

  void resize(std::size_t bits) { words_.resize((bits + 63) / 64); }
  void set(slot value) { words_[value >> 6] |= bit(value); }
  void reset(slot value) { words_[value >> 6] &= ~bit(value); }
  void assign(slot value, bool present) { present ? set(value) : reset(value); }
  bool test(slot value) const { return (words_[value >> 6] & bit(value)) != 0; }
  void set_all(const slot_list& values) {
    for (slot value : values) set(value);
  }
  void clear() { std::fill(words_.begin(), words_.end(), 0); }

  void intersect(const bitset& other) {
    for (std::size_t index = 0; index < words_.size(); ++index) words_[index] &= other.words_[index];
  }
  void subtract(const bitset& other) {
    for (std::size_t index = 0; index < words_.size(); ++index) words_[index] &= ~other.words_[index];
  }
  std::int64_t count() const {
    std::int64_t total = 0;
    for (auto word : words_) total += __builtin_popcountll(word);
    return total;
  }
  // Calls `visit` for every set bit in ascending order. `visit` may reset
  // bits, including the one it was called for.
  template <class Visit>
  void for_each(Visit&& visit) const {
    for (std::size_t index = 0; index < words_.size(); ++index)
      for (auto word = words_[index]; word != 0; word &= word - 1)
        visit(static_cast<slot>(index * 64 + static_cast<std::size_t>(__builtin_ctzll(word))));
  }

 private:
  static std::uint64_t bit(slot value) { return std::uint64_t{1} << (value & 63); }
  std::vector<std::uint64_t> words_;
};

// ---- search ----------------------------------------------------------------
// Byte trigrams of every field. Every field ends with '\n', so a trigram
// whose third byte is '\n' records a field's last two bytes: a two-byte term
// matches exactly the union of the trigrams it starts. A term holds no '\n',
// so trigrams with '\n' in their first two bytes are never looked up and not
// kept. Folded UTF-8 compared bytewise matches code point substrings.

using trigram = std::uint32_t;

trigram pack(char first, char second, char third) {
  return (trigram{static_cast<unsigned char>(first)} << 16) | (trigram{static_cast<unsigned char>(second)} << 8) |
         trigram{static_cast<unsigned char>(third)};
}

std::vector<trigram> trigrams_of(std::string_view text) {
  std::vector<trigram> grams;
  for (std::size_t index = 0; index + 2 < text.size(); ++index) {
    if (text[index] == '\n' || text[index + 1] == '\n') continue;
    grams.push_back(pack(text[index], text[index + 1], text[index + 2]));
  }
  std::sort(grams.begin(), grams.end());
  grams.erase(std::unique(grams.begin(), grams.end()), grams.end());
  return grams;
}

// ---- sort orders -----------------------------------------------------------

constexpr std::size_t order_count = 6;

std::size_t order_number(protocol::sort_field field) { return static_cast<std::size_t>(field); }

template <class T>
int compare_values(const T& left, const T& right) {
  return left < right ? -1 : right < left ? 1 : 0;
}

// SQL's order of the column: nulls first, text by bytes (SQLite's BINARY).
int compare_key(protocol::sort_field field, const indexed_customer& left, const indexed_customer& right) {
  switch (field) {
    case protocol::sort_field::created_at: return compare_values(left.created_at, right.created_at);
    case protocol::sort_field::updated_at: return compare_values(left.updated_at, right.updated_at);
    case protocol::sort_field::last_activity: return compare_values(left.last_activity, right.last_activity);
    case protocol::sort_field::first_name: return compare_values(left.first_name, right.first_name);
    case protocol::sort_field::last_name: return compare_values(left.last_name, right.last_name);
    case protocol::sort_field::id: return 0;
  }
  return 0;
}

// Every order ends with the id, so no two customers tie.
bool precedes(protocol::sort_field field, const indexed_customer& left, const indexed_customer& right) {
  const int by_key = compare_key(field, left, right);
  return by_key != 0 ? by_key < 0 : left.id < right.id;
}

bool has_unread(const indexed_customer& customer) {
  return std::any_of(customer.conversations.begin(), customer.conversations.end(),
                     [](const indexed_conversation& conversation) { return conversation.unread; });
}

// Distinct values of the customer's conversations, sorted.
template <class Value, class Read>
std::vector<Value> distinct(const indexed_customer& customer, Read&& read) {
  std::vector<Value> values;
  for (const auto& conversation : customer.conversations)
    if (const auto& value = read(conversation)) values.push_back(*value);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

std::vector<std::string> statuses_of(const indexed_customer& customer) {
  return distinct<std::string>(customer, [](const indexed_conversation& conversation) -> const auto& {
    return conversation.status;
  });
}

std::vector<std::int64_t> users_of(const indexed_customer& customer) {
  return distinct<std::int64_t>(customer, [](const indexed_conversation& conversation) -> const auto& {
    return conversation.user_id;
  });
}

}  // namespace

std::string searchable_text(const std::optional<std::string>& first_name, const std::optional<std::string>& last_name,
                            const std::optional<std::string>& username, const std::optional<std::string>& email,
                            const std::optional<std::string>& phone_number) {
  std::string text;
  for (const auto* field : {&first_name, &last_name, &username, &email, &phone_number}) {
    if (*field) text += protocol::fold_case(**field);
    text += '\n';
  }
  return text;
}

struct customer_index::impl {
  std::vector<indexed_customer> entries;  // by slot
  std::vector<slot> free_slots;
  std::unordered_map<std::int64_t, slot> slot_of_id;
  // Invariant: every structure below holds exactly the slots of live entries,
  // as their current values say.
  bitset live, with_email, with_phone, with_unread;
  postings<std::string> by_source, by_status;     // status: of any conversation
  postings<std::int64_t> by_tag, by_user;         // user: owns one of its conversations
  postings<trigram> by_trigram;
  std::array<std::vector<slot>, order_count> orders;  // each sorted by `precedes`
  std::unordered_map<std::int64_t, std::string> tag_names;
  std::unordered_map<std::string, std::int64_t> tag_by_name;

  std::size_t capacity() const { return entries.size(); }

  slot allocate() {
    if (!free_slots.empty()) {
      const slot value = free_slots.back();
      free_slots.pop_back();
      return value;
    }
    const auto value = static_cast<slot>(entries.size());
    entries.emplace_back();
    for (auto* bits : {&live, &with_email, &with_phone, &with_unread}) bits->resize(entries.size());
    return value;
  }

  // ---- keeping the structures ------------------------------------------------

  void post_search(slot value, const std::string& text, bool present) {
    for (trigram gram : trigrams_of(text)) post(by_trigram, gram, value, present);
  }
  void post_source(slot value, const indexed_customer& customer, bool present) {
    if (customer.source) post(by_source, *customer.source, value, present);
  }
  void post_tags(slot value, const indexed_customer& customer, bool present) {
    for (auto tag : customer.tag_ids) post(by_tag, tag, value, present);
  }
  void post_conversations(slot value, const indexed_customer& customer, bool present) {
    for (const auto& status : statuses_of(customer)) post(by_status, status, value, present);
    for (auto user : users_of(customer)) post(by_user, user, value, present);
  }
  void set_flags(slot value, const indexed_customer& customer, bool present) {
    live.assign(value, present);
    with_email.assign(value, present && customer.has_email);
    with_phone.assign(value, present && customer.has_phone);
    with_unread.assign(value, present && has_unread(customer));
  }

  std::vector<slot>::iterator order_position(std::size_t order, slot value) {
    const auto field = static_cast<protocol::sort_field>(order);
    return std::lower_bound(orders[order].begin(), orders[order].end(), value, [&](slot left, slot right) {
      return precedes(field, entries[left], entries[right]);
    });
  }
  void enter_order(std::size_t order, slot value) { orders[order].insert(order_position(order, value), value); }
  void leave_order(std::size_t order, slot value) {
    const auto at = order_position(order, value);
    if (at != orders[order].end() && *at == value) orders[order].erase(at);
  }

  // Adds the entry in `value` everywhere; `with_orders` false leaves the
  // sort orders to the caller (a bulk load sorts them once).
  void link(slot value, bool with_orders) {
    const auto& customer = entries[value];
    slot_of_id[customer.id] = value;
    set_flags(value, customer, true);
    post_search(value, customer.search_text, true);
    post_source(value, customer, true);
    post_tags(value, customer, true);
    post_conversations(value, customer, true);
    if (with_orders)
      for (std::size_t order = 0; order < order_count; ++order) enter_order(order, value);
  }

  void unlink(slot value) {
    const auto& customer = entries[value];
    for (std::size_t order = 0; order < order_count; ++order) leave_order(order, value);
    post_search(value, customer.search_text, false);
    post_source(value, customer, false);
    post_tags(value, customer, false);
    post_conversations(value, customer, false);
    set_flags(value, customer, false);
    slot_of_id.erase(customer.id);
  }

  // Replaces the entry in `value`, touching only what changed: most writes
  // (messages) move a customer in the activity orders and nothing else.
  void replace(slot value, indexed_customer customer) {
    auto& old = entries[value];
    std::array<bool, order_count> moved{};
    for (std::size_t order = 0; order < order_count; ++order) {
      moved[order] = compare_key(static_cast<protocol::sort_field>(order), old, customer) != 0;
      if (moved[order]) leave_order(order, value);  // found by the old key
    }
    if (old.search_text != customer.search_text) {
      // Only the trigrams that differ: lists such as "com" hold most customers.
      const auto before = trigrams_of(old.search_text), after = trigrams_of(customer.search_text);
      std::vector<trigram> gone, added;
      std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(gone));
      std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(added));
      for (trigram gram : gone) post(by_trigram, gram, value, false);
      for (trigram gram : added) post(by_trigram, gram, value, true);
    }
    if (old.source != customer.source) {
      post_source(value, old, false);
      post_source(value, customer, true);
    }
    if (old.tag_ids != customer.tag_ids) {
      post_tags(value, old, false);
      post_tags(value, customer, true);
    }
    // Most writes (messages) change neither: the lists of a status or of a
    // large tenant are long.
    if (statuses_of(old) != statuses_of(customer) || users_of(old) != users_of(customer)) {
      post_conversations(value, old, false);
      post_conversations(value, customer, true);
    }
    set_flags(value, customer, true);
    old = std::move(customer);
    for (std::size_t order = 0; order < order_count; ++order)
      if (moved[order]) enter_order(order, value);
  }

  // ---- answering ---------------------------------------------------------------

  bitset visible(const protocol::viewer_scope& scope) const {
    if (!scope.user_id) return live;
    bitset bits(capacity());
    if (const auto* customers = find_postings(by_user, *scope.user_id)) bits.set_all(*customers);
    return bits;
  }

  template <class Key>
  void keep_any(bitset& matches, const postings<Key>& map, const std::vector<Key>& keys) const {
    bitset any(capacity());
    for (const auto& key : keys)
      if (const auto* holders = find_postings(map, key)) any.set_all(*holders);
    matches.intersect(any);
  }

  static void keep_presence(bitset& matches, const std::optional<bool>& wanted, const bitset& holders) {
    if (!wanted) return;
    if (*wanted)
      matches.intersect(holders);
    else
      matches.subtract(holders);
  }

  // One searcher per term, not std::string::find or memmem per customer:
  // find scans for the first byte (in Cyrillic or Greek every other byte is
  // the same lead byte) and memmem builds its table on every call.
  using term_searcher = std::boyer_moore_horspool_searcher<std::string::const_iterator>;
  static bool holds(const std::string& text, const term_searcher& searcher) {
    return std::search(text.begin(), text.end(), searcher) != text.end();
  }

  void keep_search(bitset& matches, const std::string& term) const {
    const term_searcher searcher(term.begin(), term.end());
    if (term.size() == 1) {
      matches.for_each([&](slot value) {
        if (!holds(entries[value].search_text, searcher)) matches.reset(value);
      });
      return;
    }
    if (term.size() == 2) {
      bitset found(capacity());
      for (int third = 0; third < 256; ++third)
        if (const auto* holders = find_postings(by_trigram, pack(term[0], term[1], static_cast<char>(third))))
          found.set_all(*holders);
      matches.intersect(found);
      return;
    }
    std::vector<const slot_list*> lists;
    for (trigram gram : trigrams_of(term)) {
      const auto* holders = find_postings(by_trigram, gram);
      if (!holders) {
        matches.clear();
        return;
      }
      lists.push_back(holders);
    }
    std::sort(lists.begin(), lists.end(), [](const slot_list* left, const slot_list* right) {
      return left->size() < right->size();
    });
    if (term.size() == 3) {  // a three-byte term is its own trigram
      bitset found(capacity());
      found.set_all(*lists.front());
      matches.intersect(found);
      return;
    }
    // The matches holding every trigram, smallest list first. Each list is
    // searched from where the last candidate was found: both are sorted.
    std::vector<slot> candidates;
    for (slot value : *lists.front())
      if (matches.test(value)) candidates.push_back(value);
    for (std::size_t list = 1; list < lists.size() && !candidates.empty(); ++list) {
      auto from = lists[list]->begin();
      std::size_t kept = 0;
      for (slot value : candidates) {
        from = std::lower_bound(from, lists[list]->end(), value);
        if (from == lists[list]->end()) break;
        if (*from == value) candidates[kept++] = value;
      }
      candidates.resize(kept);
    }
    // Holding every trigram does not make the term (their order may differ,
    // and "aaaa" has the one trigram of "aaa"): the few customers left are
    // checked by their text.
    matches.clear();
    for (slot value : candidates)
      if (holds(entries[value].search_text, searcher)) matches.set(value);
  }

  // A time range is a stretch of that time's sort order: reading the slots
  // there is far cheaper than looking at every match's entry.
  void keep_range(bitset& matches, protocol::sort_field field, const protocol::time_range& range) const {
    if (range.empty()) return;
    const auto& order = orders[order_number(field)];
    const auto time_of = [&](slot value) -> std::optional<protocol::timestamp_ms> {
      const auto& customer = entries[value];
      return field == protocol::sort_field::created_at ? std::optional{customer.created_at} : customer.last_activity;
    };
    // Nulls sort first and match no range.
    auto begin = std::partition_point(order.begin(), order.end(), [&](slot value) {
      const auto time = time_of(value);
      return !time || (range.from && *time < *range.from);
    });
    auto end = range.to ? std::partition_point(begin, order.end(), [&](slot value) { return *time_of(value) <= *range.to; })
                        : order.end();
    bitset inside(capacity());
    for (auto at = begin; at < end; ++at) inside.set(*at);
    matches.intersect(inside);
  }

  // What is left: a user's view counts only the user's own conversations.
  bool passes_residual(const indexed_customer& customer, const protocol::customer_filter& filter,
                       const protocol::viewer_scope& scope) const {
    bool status_found = filter.conversation_statuses.empty();
    bool unread = false;
    for (const auto& conversation : customer.conversations) {
      if (conversation.user_id != scope.user_id) continue;
      unread = unread || conversation.unread;
      if (!status_found && conversation.status)
        status_found = std::find(filter.conversation_statuses.begin(), filter.conversation_statuses.end(),
                                 *conversation.status) != filter.conversation_statuses.end();
    }
    return status_found && (!filter.has_unread || *filter.has_unread == unread);
  }

  bitset matching(const protocol::customer_filter& filter, const protocol::viewer_scope& scope) const {
    bitset matches = visible(scope);
    if (!filter.sources.empty()) keep_any(matches, by_source, filter.sources);
    if (!filter.tags.empty()) {
      std::vector<std::int64_t> named;
      for (const auto& name : filter.tags)
        if (const auto found = tag_by_name.find(name); found != tag_by_name.end()) named.push_back(found->second);
      keep_any(matches, by_tag, named);
    }
    if (!filter.tag_ids.empty()) keep_any(matches, by_tag, filter.tag_ids);
    keep_presence(matches, filter.has_email, with_email);
    keep_presence(matches, filter.has_phone, with_phone);
    if (!scope.user_id) {
      if (!filter.conversation_statuses.empty()) keep_any(matches, by_status, filter.conversation_statuses);
      keep_presence(matches, filter.has_unread, with_unread);
    }
    keep_range(matches, protocol::sort_field::created_at, filter.created_at);
    keep_range(matches, protocol::sort_field::last_activity, filter.last_activity);
    for (const auto& term : filter.search_terms) keep_search(matches, term);
    const bool residual = scope.user_id && (!filter.conversation_statuses.empty() || filter.has_unread);
    if (residual)
      matches.for_each([&](slot value) {
        if (!passes_residual(entries[value], filter, scope)) matches.reset(value);
      });
    return matches;
  }

  std::vector<std::int64_t> page(const bitset& matches, std::int64_t total, const protocol::sort_order& sort,
                                 const protocol::pagination& paging) const {
    std::vector<std::int64_t> ids;
    if (paging.limit <= 0 || paging.offset >= total) return ids;
    const auto wanted = static_cast<std::size_t>(std::min(total, paging.offset + paging.limit));
    const auto skip = static_cast<std::size_t>(paging.offset);
    const auto field = sort.field;
    const auto& order = orders[order_number(field)];
    // Walking the order finds the page after about order.size() * wanted /
    // total steps, each cheap (a slot and a bit); sorting the matches costs
    // about total steps of a costlier kind (two entries compared). Take the
    // cheaper one.
    const double walk_steps = static_cast<double>(order.size()) * static_cast<double>(wanted) / static_cast<double>(total);
    if (static_cast<double>(total) * 16 < walk_steps) {
      std::vector<slot> found;
      found.reserve(static_cast<std::size_t>(total));
      matches.for_each([&](slot value) { found.push_back(value); });
      std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(wanted), found.end(),
                        [&](slot left, slot right) {
                          return sort.descending ? precedes(field, entries[right], entries[left])
                                                 : precedes(field, entries[left], entries[right]);
                        });
      for (auto index = skip; index < wanted; ++index) ids.push_back(entries[found[index]].id);
      return ids;
    }
    std::size_t seen = 0;
    const auto take = [&](slot value) {
      if (!matches.test(value)) return false;
      if (seen++ >= skip) ids.push_back(entries[value].id);
      return seen == wanted;
    };
    if (sort.descending) {
      for (auto at = order.rbegin(); at != order.rend(); ++at)
        if (take(*at)) break;
    } else {
      for (slot value : order)
        if (take(value)) break;
    }
    return ids;
  }
};

customer_index::customer_index() : impl_(std::make_unique<impl>()) {}
customer_index::~customer_index() = default;
customer_index::customer_index(customer_index&&) noexcept = default;
customer_index& customer_index::operator=(customer_index&&) noexcept = default;

void customer_index::assign(std::vector<indexed_customer> customers, std::vector<protocol::tag_view> tags) {
  auto fresh = std::make_unique<impl>();
  fresh->entries = std::move(customers);
  const auto count = fresh->entries.size();
  for (auto* bits : {&fresh->live, &fresh->with_email, &fresh->with_phone, &fresh->with_unread}) bits->resize(count);
  std::vector<slot> duplicates;
  for (std::size_t index = 0; index < count; ++index) {
    const auto value = static_cast<slot>(index);
    if (fresh->slot_of_id.count(fresh->entries[index].id)) {
      duplicates.push_back(value);  // kept empty; the first row of an id wins
      continue;
    }
    fresh->link(value, false);
  }
  for (slot value : duplicates) {
    fresh->entries[value] = indexed_customer{};
    fresh->free_slots.push_back(value);
  }
  for (std::size_t order = 0; order < order_count; ++order) {
    auto& slots = fresh->orders[order];
    for (std::size_t index = 0; index < count; ++index)
      if (fresh->live.test(static_cast<slot>(index))) slots.push_back(static_cast<slot>(index));
    const auto field = static_cast<protocol::sort_field>(order);
    std::sort(slots.begin(), slots.end(), [&](slot left, slot right) {
      return precedes(field, fresh->entries[left], fresh->entries[right]);
    });
  }
  // Lists grown by doubling hold up to twice their size; most stay as built.
  for (auto& entry : fresh->by_trigram) entry.second.shrink_to_fit();
  impl_ = std::move(fresh);
  set_tags(std::move(tags));
}

void customer_index::upsert(indexed_customer customer) {
  const auto found = impl_->slot_of_id.find(customer.id);
  if (found != impl_->slot_of_id.end()) {
    impl_->replace(found->second, std::move(customer));
    return;
  }
  const slot value = impl_->allocate();
  impl_->entries[value] = std::move(customer);
  impl_->link(value, true);
}

void customer_index::erase(std::int64_t id) {
  const auto found = impl_->slot_of_id.find(id);
  if (found == impl_->slot_of_id.end()) return;
  const slot value = found->second;
  impl_->unlink(value);
  impl_->entries[value] = indexed_customer{};
  impl_->free_slots.push_back(value);
}

void customer_index::set_tags(std::vector<protocol::tag_view> tags) {
  impl_->tag_names.clear();
  impl_->tag_by_name.clear();
  for (auto& tag : tags) {
    impl_->tag_by_name[tag.name] = tag.id;
    impl_->tag_names[tag.id] = std::move(tag.name);
  }
}

void customer_index::refresh(const std::vector<std::int64_t>& ids, std::vector<indexed_customer> found,
                             std::vector<protocol::tag_view> tags) {
  std::vector<std::int64_t> present;
  for (auto& customer : found) {
    present.push_back(customer.id);
    upsert(std::move(customer));
  }
  std::sort(present.begin(), present.end());
  for (auto id : ids)
    if (!std::binary_search(present.begin(), present.end(), id)) erase(id);
  set_tags(std::move(tags));
}

std::size_t customer_index::size() const { return impl_->slot_of_id.size(); }

index_selection customer_index::select(const protocol::list_query& query, const protocol::viewer_scope& scope) const {
  const auto matches = impl_->matching(query.filter, scope);
  index_selection selection;
  selection.total_count = matches.count();
  selection.ids = impl_->page(matches, selection.total_count, query.order, query.paging);
  return selection;
}

protocol::filter_options customer_index::options(const protocol::viewer_scope& scope) const {
  const auto& index = *impl_;
  std::map<std::string, std::int64_t> sources, statuses;  // sorted by bytes, as SQL's binary order
  std::unordered_map<std::int64_t, std::int64_t> tags;
  protocol::filter_options options;
  if (!scope.user_id) {
    for (const auto& [source, holders] : index.by_source) sources[source] = static_cast<std::int64_t>(holders.size());
    for (const auto& [status, holders] : index.by_status) statuses[status] = static_cast<std::int64_t>(holders.size());
    for (const auto& [tag, holders] : index.by_tag) tags[tag] = static_cast<std::int64_t>(holders.size());
    const auto& by_created = index.orders[order_number(protocol::sort_field::created_at)];
    if (!by_created.empty()) {
      options.created_at_min = index.entries[by_created.front()].created_at;
      options.created_at_max = index.entries[by_created.back()].created_at;
    }
  } else if (const auto* visible = find_postings(index.by_user, *scope.user_id)) {
    for (slot value : *visible) {
      const auto& customer = index.entries[value];
      if (customer.source) ++sources[*customer.source];
      for (auto tag : customer.tag_ids) ++tags[tag];
      std::vector<std::string> seen;
      for (const auto& conversation : customer.conversations)
        if (conversation.user_id == scope.user_id && conversation.status &&
            std::find(seen.begin(), seen.end(), *conversation.status) == seen.end())
          seen.push_back(*conversation.status);
      for (const auto& status : seen) ++statuses[status];
      if (!options.created_at_min || customer.created_at < *options.created_at_min)
        options.created_at_min = customer.created_at;
      if (!options.created_at_max || customer.created_at > *options.created_at_max)
        options.created_at_max = customer.created_at;
    }
  }
  // Empty values are no option to pick (SQL: "<> ''").
  for (const auto& [source, count] : sources)
    if (!source.empty()) options.source_counts.emplace_back(source, count);
  for (const auto& [status, count] : statuses)
    if (!status.empty()) options.status_counts.emplace_back(status, count);
  for (const auto& [tag, count] : tags)
    if (const auto name = index.tag_names.find(tag); name != index.tag_names.end())
      options.tags.push_back({tag, name->second, count});
  std::sort(options.tags.begin(), options.tags.end(),
            [](const protocol::tag_detail& left, const protocol::tag_detail& right) { return left.name < right.name; });
  return options;
}

}  // namespace cws::storage
