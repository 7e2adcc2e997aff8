// The in-memory customer index against the SQL path, its reference: random
// queries over demo data plus awkward rows (nulls, empty strings, ties,
// Cyrillic and Greek case variants), before and after random writes that the
// index learns of only by reloading the customers they touched.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "protocol/text.hpp"
#include "storage/customer_index.hpp"
#include "storage/demo_data.hpp"
#include "storage/row_cache.hpp"
#include "storage_test_support.hpp"

namespace cws::storage {
namespace {

using testing::raw_connection;
using testing::raw_value;
using testing::temp_database;

constexpr std::int64_t base_time = 1'700'000'000'000;
constexpr std::int64_t day = 86'400'000;

// The page the index path gives, as the query and index actors make it: the
// selection, the rows the cache has, the others read for everyone (and then
// cached).
protocol::customer_page index_page(database& db, const customer_index& index, row_cache& cache,
                                   const protocol::list_query& query, const protocol::viewer_scope& scope) {
  const auto selection = index.select(query, scope);
  std::vector<std::optional<protocol::customer_view>> cached;
  std::vector<std::int64_t> missing;
  for (auto id : selection.ids) {
    cached.push_back(cache.find(id, scope));
    if (!cached.back()) missing.push_back(id);
  }
  const auto read = db.fetch_customers_by_id(missing, {}).customers;
  auto page = assemble_page(selection, std::move(cached), read, scope);
  cache.store(read);
  return page;
}

// Everything a page shows, as one comparable string per customer.
std::vector<std::string> shown(const protocol::customer_page& page) {
  std::vector<std::string> rows;
  for (const auto& customer : page.customers) {
    std::string row = std::to_string(customer.id);
    for (const auto* field : {&customer.first_name, &customer.last_name, &customer.username, &customer.email,
                              &customer.phone_number, &customer.source, &customer.source_id, &customer.profile_picture})
      row += "|" + field->value_or("<null>");
    row += "|" + std::to_string(customer.created_at) + "|" + std::to_string(customer.updated_at) + "|" +
           std::to_string(customer.last_activity) + "|unread " + std::to_string(customer.unread_count);
    for (const auto& tag : customer.tags) row += "|tag " + std::to_string(tag.id) + " " + tag.name;
    for (const auto& conversation : customer.conversations) {
      row += "|conversation " + std::to_string(conversation.id) + " " + conversation.status.value_or("<null>") + " " +
             std::to_string(conversation.unread_count) + " " + std::to_string(conversation.updated_at);
      if (conversation.last_message) row += " message " + std::to_string(conversation.last_message->id);
    }
    rows.push_back(row);
  }
  return rows;
}

std::string describe(const protocol::filter_options& options) {
  std::string text;
  for (const auto& [source, count] : options.source_counts) text += "source " + source + "=" + std::to_string(count) + ";";
  for (const auto& tag : options.tags) text += "tag " + std::to_string(tag.id) + " " + tag.name + "=" + std::to_string(tag.count) + ";";
  for (const auto& [status, count] : options.status_counts) text += "status " + status + "=" + std::to_string(count) + ";";
  text += "created " + (options.created_at_min ? std::to_string(*options.created_at_min) : "none") + ".." +
          (options.created_at_max ? std::to_string(*options.created_at_max) : "none");
  return text;
}

void load_into(customer_index& index, database& db) {
  auto snapshot = db.load_index();
  index.assign(std::move(snapshot.customers), std::move(snapshot.tags));
}

// What the index actor does with a change: drop the touched customers' rows,
// reload them.
void reload(customer_index& index, row_cache& cache, database& db, const std::vector<std::int64_t>& ids) {
  cache.forget(ids);
  auto snapshot = db.load_index(ids);
  index.refresh(ids, std::move(snapshot.customers), std::move(snapshot.tags));
}

class IndexAgreement : public ::testing::Test {
 protected:
  void SetUp() override {
    write_demo_data(test.db, 1500, 11);
    raw_connection raw(test.file);
    // Awkward rows the demo data lacks.
    const std::vector<std::optional<std::string>> names = {std::nullopt, "", "Дмитрий", "ДМИТРИЙ", "Γιώργος",
                                                           "ΓΙΏΡΓΟΣ", "ab", "Ab", "zz top", "a"};
    raw.exec("INSERT OR IGNORE INTO tags(id, name) VALUES (9001, 'vip'), (9002, 'Unused')");
    for (int index = 0; index < 60; ++index) {
      const std::int64_t id = 100'000 + index;
      raw.exec(
          "INSERT INTO customers(id, first_name, last_name, username, email, phone_number, source, created_at, "
          "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {id, testing::optional_value(names[index % names.size()]),
           testing::optional_value(names[(index / 3) % names.size()]),
           index % 4 == 0 ? raw_value{nullptr} : raw_value{"user" + std::to_string(index % 7)},
           index % 3 == 0 ? raw_value{""} : index % 3 == 1 ? raw_value{nullptr} : raw_value{"x@y.z"},
           index % 5 == 0 ? raw_value{""} : raw_value{"+7 912"},
           index % 6 == 0 ? raw_value{nullptr} : index % 6 == 1 ? raw_value{""} : raw_value{"telegram"},
           base_time + (index % 4) * day, base_time + (index % 2) * day});
      if (index % 2 == 0) raw.exec("INSERT INTO customer_tags(customer_id, tag_id) VALUES (?, 9001)", {id});
      if (index % 3 == 0)
        raw.exec(
            "INSERT INTO conversations(customer_id, user_id, status, created_at, updated_at, unread_count) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            {id, index % 9 == 0 ? raw_value{nullptr} : raw_value{std::int64_t{1 + index % 3}},
             index % 4 == 0 ? raw_value{""} : raw_value{"active"}, base_time, base_time, std::int64_t{index % 2}});
    }
    const auto user_rows = raw.rows("SELECT DISTINCT user_id FROM conversations WHERE user_id IS NOT NULL");
    scopes.push_back({});
    for (const auto& row : user_rows) scopes.push_back({std::get<std::int64_t>(row[0])});
    scopes.push_back({987'654});  // a user without conversations
    for (const auto& row : raw.rows("SELECT coalesce(first_name, ''), coalesce(email, ''), coalesce(phone_number, '') "
                                    "FROM customers ORDER BY id"))
      for (const auto& value : row) words.push_back(std::get<std::string>(value));
    for (const auto& row : raw.rows("SELECT name FROM tags")) tag_names.push_back(std::get<std::string>(row[0]));
    for (const auto& row : raw.rows("SELECT DISTINCT source FROM customers WHERE source IS NOT NULL"))
      sources.push_back(std::get<std::string>(row[0]));
    for (const auto& row : raw.rows("SELECT DISTINCT status FROM conversations WHERE status IS NOT NULL"))
      statuses.push_back(std::get<std::string>(row[0]));
    load_into(index, test.db);
  }

  // A piece of a real value, folded: 1 to 6 code points; now and then a term
  // whose trigrams all occur without the term ("aaaa" holds only "aaa").
  std::string random_term() {
    static const std::vector<std::string> awkward = {"qqqz", "aaaa", "0000", "1111", "аааа", "....", "abab", "nana"};
    if (random() % 10 == 0) return awkward[random() % awkward.size()];
    for (;;) {
      const auto& word = words[random() % words.size()];
      const std::string folded = protocol::fold_case(word);
      std::vector<std::size_t> starts;  // code point boundaries
      for (std::size_t position = 0; position < folded.size(); ++position)
        if ((static_cast<unsigned char>(folded[position]) & 0xC0) != 0x80) starts.push_back(position);
      if (starts.empty()) continue;
      starts.push_back(folded.size());
      const auto first = random() % (starts.size() - 1);
      const auto length = 1 + random() % std::min<std::size_t>(6, starts.size() - 1 - first);
      auto term = folded.substr(starts[first], starts[first + length] - starts[first]);
      if (protocol::split_on_whitespace(term).size() == 1 && protocol::split_on_whitespace(term)[0] == term) return term;
    }
  }

  template <class T>
  std::vector<T> some_of(const std::vector<T>& values) {
    std::vector<T> chosen;
    for (const auto& value : values)
      if (random() % 3 == 0) chosen.push_back(value);
    if (chosen.empty() && !values.empty()) chosen.push_back(values[random() % values.size()]);
    return chosen;
  }

  std::optional<bool> maybe_flag() {
    switch (random() % 4) {
      case 0: return true;
      case 1: return false;
      default: return std::nullopt;
    }
  }

  protocol::time_range random_range() {
    protocol::time_range range;
    const auto pick = [&] { return base_time - 400 * day + static_cast<std::int64_t>(random() % 800) * day; };
    if (random() % 2) range.from = pick();
    if (random() % 2) range.to = pick();
    return range;
  }

  protocol::list_query random_query() {
    protocol::list_query query;
    auto& filter = query.filter;
    if (random() % 3 == 0) {
      filter.search_terms.push_back(random_term());
      if (random() % 4 == 0) filter.search_terms.push_back(random_term());
    }
    if (random() % 4 == 0) filter.has_email = maybe_flag();
    if (random() % 4 == 0) filter.has_phone = maybe_flag();
    if (random() % 4 == 0) filter.has_unread = maybe_flag();
    if (random() % 5 == 0) filter.sources = some_of(sources);
    if (random() % 5 == 0) {
      filter.tags = some_of(tag_names);
      if (random() % 3 == 0) filter.tags.push_back("no such tag");
    }
    if (random() % 6 == 0) filter.tag_ids = {static_cast<std::int64_t>(random() % 12), 9001};
    if (random() % 5 == 0) filter.conversation_statuses = some_of(statuses);
    if (random() % 6 == 0) filter.created_at = random_range();
    if (random() % 6 == 0) filter.last_activity = random_range();
    query.order.field = static_cast<protocol::sort_field>(random() % 6);
    query.order.descending = random() % 2 == 0;
    query.paging.limit = 1 + static_cast<std::int64_t>(random() % 40);
    query.paging.offset = random() % 4 == 0 ? static_cast<std::int64_t>(random() % 1700)
                                            : static_cast<std::int64_t>(random() % 5) * query.paging.limit;
    return query;
  }

  // Runs `count` random queries through both paths; returns how many matched
  // something but not everything, so that a test can show it really filtered.
  int compare_random_queries(int count) {
    int selective = 0;
    for (int number = 0; number < count; ++number) {
      const auto query = random_query();
      const auto& scope = scopes[random() % scopes.size()];
      const auto expected = test.db.fetch_customers(query, scope);
      const auto actual = index_page(test.db, index, cache, query, scope);
      const auto context = "query " + std::to_string(number) + " user " + std::to_string(scope.user_id.value_or(0)) +
                           " terms " + std::to_string(query.filter.search_terms.size()) +
                           (query.filter.search_terms.empty() ? "" : " '" + query.filter.search_terms[0] + "'") +
                           " sort " + std::to_string(static_cast<int>(query.order.field)) +
                           (query.order.descending ? " desc" : " asc");
      EXPECT_EQ(actual.total_count, expected.total_count) << context;
      EXPECT_EQ(shown(actual), shown(expected)) << context;
      if (expected.total_count > 0 && expected.total_count < static_cast<std::int64_t>(index.size())) ++selective;
      if (::testing::Test::HasFailure()) break;
    }
    return selective;
  }

  void compare_options() {
    for (const auto& scope : scopes)
      EXPECT_EQ(describe(index.options(scope)), describe(test.db.fetch_filter_options(scope)))
          << "user " << scope.user_id.value_or(0);
  }

  temp_database test;
  customer_index index;
  row_cache cache{400};  // small: the tests fill and empty it many times
  std::mt19937_64 random{20261125};
  std::vector<protocol::viewer_scope> scopes;
  std::vector<std::string> words, tag_names, sources, statuses;
};

TEST_F(IndexAgreement, RandomQueriesMatchSql) {
  EXPECT_EQ(index.size(), 1560u);
  EXPECT_GT(compare_random_queries(1500), 600);
}

TEST_F(IndexAgreement, FilterOptionsMatchSql) { compare_options(); }

TEST_F(IndexAgreement, StillMatchesAfterRandomWritesAndReloads) {
  raw_connection raw(test.file);
  const auto all_ids = [&] {
    std::vector<std::int64_t> ids;
    for (const auto& row : raw.rows("SELECT id FROM customers ORDER BY id")) ids.push_back(std::get<std::int64_t>(row[0]));
    return ids;
  };
  std::int64_t next_id = 200'000;
  for (int round = 0; round < 12; ++round) {
    auto ids = all_ids();
    std::vector<std::int64_t> touched;
    for (int write = 0; write < 25; ++write) {
      const auto id = ids[random() % ids.size()];
      touched.push_back(id);
      const auto now = base_time + static_cast<std::int64_t>(random() % 100) * day;
      switch (random() % 9) {
        case 0: raw.exec("UPDATE customers SET first_name = ?, updated_at = ? WHERE id = ?", {random_term(), now, id}); break;
        case 1: raw.exec("UPDATE customers SET email = NULL, phone_number = ? WHERE id = ?", {std::string("+30 69"), id}); break;
        case 2: raw.exec("UPDATE customers SET source = ? WHERE id = ?", {sources[random() % sources.size()], id}); break;
        case 3: raw.exec("INSERT OR IGNORE INTO customer_tags(customer_id, tag_id) SELECT ?, id FROM tags ORDER BY random() LIMIT 1", {id}); break;
        case 4: raw.exec("DELETE FROM customer_tags WHERE customer_id = ?", {id}); break;
        case 5:
          raw.exec("INSERT INTO conversations(customer_id, user_id, status, created_at, updated_at, unread_count) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   {id, std::int64_t{1 + static_cast<std::int64_t>(random() % 4)}, statuses[random() % statuses.size()],
                    now, now, static_cast<std::int64_t>(random() % 2)});
          break;
        case 6: raw.exec("UPDATE conversations SET status = 'closed', unread_count = 0 WHERE customer_id = ?", {id}); break;
        case 7: raw.exec("DELETE FROM customers WHERE id = ?", {id}); break;
        default:
          touched.push_back(next_id);
          raw.exec("INSERT INTO customers(id, first_name, last_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                   {next_id++, random_term(), std::string("Новый"), now, now});
      }
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    reload(index, cache, test.db, touched);
    ASSERT_EQ(index.size(), all_ids().size());
    compare_random_queries(120);
    compare_options();
    if (HasFailure()) return;
  }
}

TEST_F(IndexAgreement, TagRenameNeedsOnlyTheTagTable) {
  raw_connection raw(test.file);
  raw.exec("UPDATE tags SET name = 'very important' WHERE id = 9001");
  reload(index, cache, test.db, {});
  protocol::list_query query;
  query.filter.tags = {"very important"};
  EXPECT_EQ(index.select(query, {}).total_count, test.db.fetch_customers(query, {}).total_count);
  EXPECT_EQ(index.select(query, {}).total_count, 30);
}

TEST_F(IndexAgreement, RowsReadForEveryoneCutToEachScopeMatchScopedSql) {
  std::vector<std::int64_t> ids;
  for (std::int64_t id = 1; id <= 300; id += 3) ids.push_back(id);
  const auto everyone = test.db.fetch_customers_by_id(ids, {}).customers;
  ASSERT_EQ(everyone.size(), ids.size());
  for (const auto& scope : scopes) {
    protocol::customer_page cut;
    for (const auto& customer : everyone) {
      auto seen = as_seen_by(customer, scope);
      if (!seen.conversations.empty() || !scope.user_id) cut.customers.push_back(std::move(seen));
    }
    std::vector<std::int64_t> visible;
    for (const auto& customer : cut.customers) visible.push_back(customer.id);
    EXPECT_EQ(shown(cut), shown(test.db.fetch_customers_by_id(visible, scope))) << "user " << scope.user_id.value_or(0);
  }
}

TEST(RowCache, FindsStoredRowsForgetsThemAndEmptiesWhenFull) {
  row_cache cache{3};
  std::vector<protocol::customer_view> rows(3);
  for (int index = 0; index < 3; ++index) rows[static_cast<std::size_t>(index)].id = index + 1;
  rows[0].conversations.resize(2);
  rows[0].conversations[0].user_id = 7;
  rows[0].conversations[0].unread_count = 2;
  rows[0].conversations[1].user_id = 8;
  rows[0].conversations[1].unread_count = 5;
  rows[0].unread_count = 7;
  cache.store(rows);
  EXPECT_EQ(cache.size(), 3u);
  ASSERT_TRUE(cache.find(1, {7}));
  EXPECT_EQ(cache.find(1, {7})->unread_count, 2);
  EXPECT_EQ(cache.find(1, {7})->conversations.size(), 1u);
  EXPECT_EQ(cache.find(1, {})->unread_count, 7);
  cache.forget({1, 99});
  EXPECT_FALSE(cache.find(1, {}));
  EXPECT_EQ(cache.size(), 2u);
  protocol::customer_view more;
  more.id = 4;
  cache.store({more, more});  // 2 + 2 > 3: emptied first
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_FALSE(cache.find(2, {}));
  EXPECT_TRUE(cache.find(4, {}));
}

// ---- the index alone ----------------------------------------------------------

indexed_customer customer(std::int64_t id, std::optional<std::string> first_name, std::int64_t created_at) {
  indexed_customer entry;
  entry.id = id;
  entry.search_text = searchable_text(first_name, std::nullopt, std::nullopt, std::nullopt, std::nullopt);
  entry.first_name = std::move(first_name);
  entry.created_at = created_at;
  entry.updated_at = created_at;
  return entry;
}

std::vector<std::int64_t> search(const customer_index& index, const std::string& term) {
  protocol::list_query query;
  query.filter.search_terms = {protocol::fold_case(term)};
  query.order = {protocol::sort_field::id, false};
  return index.select(query, {}).ids;
}

TEST(CustomerIndex, ShortTermsMatchAtTheEndOfAFieldButNeverAcrossFields) {
  customer_index index;
  std::vector<indexed_customer> customers{customer(1, "Anna", 1), customer(2, "Jo", 2), customer(3, "J", 3)};
  customers.push_back(customer(4, "x", 4));
  customers.back().search_text = searchable_text("an", "na", std::nullopt, std::nullopt, std::nullopt);
  index.assign(std::move(customers), {});
  EXPECT_EQ(search(index, "NA"), (std::vector<std::int64_t>{1, 4}));
  EXPECT_EQ(search(index, "jo"), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(search(index, "j"), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(search(index, "anna"), (std::vector<std::int64_t>{1}));  // customer 4 has "an" and "na" apart
  EXPECT_EQ(search(index, "nan"), (std::vector<std::int64_t>{}));
}

TEST(CustomerIndex, ATermIsNotItsTrigramsInAnyOrder) {
  customer_index index;
  index.assign({customer(1, "aaa", 1), customer(2, "aaaa", 2), customer(3, "8000123", 3), customer(4, "abcab", 4),
                customer(5, "xabcabx", 5)},
               {});
  EXPECT_EQ(search(index, "aaaa"), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(search(index, "aaa"), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(search(index, "0000"), (std::vector<std::int64_t>{}));
  EXPECT_EQ(search(index, "000"), (std::vector<std::int64_t>{3}));
  EXPECT_EQ(search(index, "abcabc"), (std::vector<std::int64_t>{}));
  EXPECT_EQ(search(index, "bcab"), (std::vector<std::int64_t>{4, 5}));
}

TEST(CustomerIndex, UpsertMovesACustomerInEveryOrderAndEraseForgetsIt) {
  customer_index index;
  index.assign({customer(1, "B", 10), customer(2, "A", 20), customer(3, "C", 30)}, {});
  protocol::list_query query;
  query.order = {protocol::sort_field::created_at, false};
  EXPECT_EQ(index.select(query, {}).ids, (std::vector<std::int64_t>{1, 2, 3}));
  index.upsert(customer(1, "D", 40));
  EXPECT_EQ(index.select(query, {}).ids, (std::vector<std::int64_t>{2, 3, 1}));
  query.order = {protocol::sort_field::first_name, true};
  EXPECT_EQ(index.select(query, {}).ids, (std::vector<std::int64_t>{1, 3, 2}));
  EXPECT_EQ(search(index, "b"), (std::vector<std::int64_t>{}));
  EXPECT_EQ(search(index, "d"), (std::vector<std::int64_t>{1}));
  index.erase(3);
  index.upsert(customer(4, std::nullopt, 5));  // reuses the erased slot
  EXPECT_EQ(index.select(query, {}).ids, (std::vector<std::int64_t>{1, 2, 4}));  // null sorts first, so last here
  EXPECT_EQ(index.select(query, {}).total_count, 3);
  EXPECT_EQ(index.size(), 3u);
}

}  // namespace
}  // namespace cws::storage
