// fetch_customers and fetch_filter_options against expectations computed by
// brute force over data the test wrote (through a plain SQLite connection,
// so the triggers' derived values are checked along the way).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "protocol/text.hpp"
#include "storage/demo_data.hpp"
#include "storage_test_support.hpp"

namespace cws::storage {
namespace {

using testing::raw_connection;
using testing::raw_value;
using testing::temp_database;
using text = std::optional<std::string>;

struct model_message {
  std::int64_t id = 0;
  std::string type;
  bool answered = false;
  bool ai = false;
  std::int64_t created_at = 0;
  std::string content;
};

struct model_conversation {
  std::int64_t id = 0;
  std::optional<std::int64_t> user_id;
  text title, status;
  std::int64_t created_at = 0, updated_at = 0;
  std::vector<model_message> messages;

  std::int64_t unread() const {
    return std::count_if(messages.begin(), messages.end(),
                         [](const model_message& m) { return m.type == "customer" && !m.answered; });
  }
  const model_message* latest() const {
    const model_message* best = nullptr;
    for (const auto& message : messages)
      if (!best || std::make_pair(message.created_at, message.id) > std::make_pair(best->created_at, best->id))
        best = &message;
    return best;
  }
};

struct model_customer {
  std::int64_t id = 0;
  text first_name, last_name, username, email, phone_number, source;
  std::int64_t created_at = 0, updated_at = 0;
  std::set<std::int64_t> tag_ids;
  std::vector<model_conversation> conversations;

  std::int64_t last_activity() const {
    std::int64_t latest = updated_at;
    for (const auto& conversation : conversations)
      for (const auto& message : conversation.messages) latest = std::max(latest, message.created_at);
    return latest;
  }
  std::vector<const text*> searchable() const { return {&first_name, &last_name, &username, &email, &phone_number}; }
};

const std::map<std::int64_t, std::string> tag_names = {{1, "VIP"}, {2, "Premium"}, {3, "vip"}, {4, "New"}, {5, "Unused"}};
constexpr std::int64_t base_time = 1'600'000'000'000;
constexpr std::int64_t day = 86'400'000;
constexpr std::int64_t hour = 3'600'000;

// A small deterministic generator for the test data.
class test_random {
 public:
  std::uint64_t below(std::uint64_t bound) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state_ >> 33) % bound;
  }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }

 private:
  std::uint64_t state_ = 12345;
};

std::vector<model_customer> make_customers(int count) {
  test_random random;
  const std::vector<text> first_names = {std::nullopt, "", "Дмитрий", "дмитрий", "ДМИТРИЙ", "Анна", "Ёлка", "John",
                                         "john", "Zoë", "Γιώργος", "ΓΙΏΡΓΟΣ", "Ab", "Björn", "李"};
  const std::vector<text> last_names = {std::nullopt, "", "Иванов", "ИВАНОВА", "Smith", "O\"Connor", "Müller",
                                        "Παπαδόπουλος", "Doe", "doe"};
  const std::vector<text> usernames = {std::nullopt, "", "dima_ivanov", "JohnDoe", "anna.k", "zoe"};
  const std::vector<text> emails = {std::nullopt, "", "anna@example.com", "JOHN@Example.COM", "дима@пример.рф", "x@y.z"};
  const std::vector<text> phones = {std::nullopt, "", "+7 912 345 67 89", "+1-555-0100", "+306912345678"};
  const std::vector<text> sources = {std::nullopt, "telegram", "instagram", "unknown", "whatsapp"};
  const std::vector<text> statuses = {std::nullopt, "active", "closed", "support_active", "marketing_active"};
  const std::vector<std::optional<std::int64_t>> users = {std::nullopt, 1, 2, 3};

  std::vector<model_customer> customers;
  std::int64_t conversation_id = 0, message_id = 0;
  for (int index = 1; index <= count; ++index) {
    model_customer customer;
    customer.id = index;
    customer.first_name = random.pick(first_names);
    customer.last_name = random.pick(last_names);
    customer.username = random.pick(usernames);
    customer.email = random.pick(emails);
    customer.phone_number = random.pick(phones);
    customer.source = random.pick(sources);
    customer.created_at = base_time + static_cast<std::int64_t>(random.below(6)) * day;  // many ties
    customer.updated_at = customer.created_at + static_cast<std::int64_t>(random.below(3)) * hour;
    for (const auto& [id, name] : tag_names)
      if (id != 5 && random.below(4) == 0) customer.tag_ids.insert(id);
    const auto conversations = random.below(4);
    for (std::uint64_t number = 0; number < conversations; ++number) {
      model_conversation conversation;
      conversation.id = ++conversation_id;
      conversation.user_id = random.pick(users);
      conversation.status = random.pick(statuses);
      conversation.title = random.below(5) == 0 ? text() : text("Chat " + std::to_string(conversation.id));
      conversation.created_at = customer.created_at;
      conversation.updated_at = customer.created_at + static_cast<std::int64_t>(random.below(4)) * hour;  // ties too
      const auto messages = random.below(5);
      for (std::uint64_t step = 0; step < messages; ++step) {
        model_message message;
        message.id = ++message_id;
        message.type = random.below(5) < 3 ? "customer" : "agent";
        message.answered = random.below(2) == 0;
        message.ai = message.type == "agent" && random.below(3) == 0;
        message.created_at = base_time + static_cast<std::int64_t>(random.below(10)) * day;
        message.content = "message " + std::to_string(message.id);
        conversation.messages.push_back(message);
      }
      customer.conversations.push_back(conversation);
    }
    customers.push_back(customer);
  }
  return customers;
}

void write_customers(raw_connection& raw, const std::vector<model_customer>& customers) {
  using testing::optional_value;
  raw.exec("BEGIN");
  for (const auto& [id, name] : tag_names) raw.exec("INSERT INTO tags(id, name) VALUES (?, ?)", {id, name});
  for (const auto& customer : customers) {
    raw.exec(
        "INSERT INTO customers(id, first_name, last_name, username, email, phone_number, source, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {customer.id, optional_value(customer.first_name), optional_value(customer.last_name),
         optional_value(customer.username), optional_value(customer.email), optional_value(customer.phone_number),
         optional_value(customer.source), customer.created_at, customer.updated_at});
    for (auto tag : customer.tag_ids)
      raw.exec("INSERT INTO customer_tags(customer_id, tag_id) VALUES (?, ?)", {customer.id, tag});
    for (const auto& conversation : customer.conversations) {
      raw.exec(
          "INSERT INTO conversations(id, customer_id, user_id, title, status, source, created_at, updated_at)"
          " VALUES (?, ?, ?, ?, ?, 'telegram', ?, ?)",
          {conversation.id, customer.id, optional_value(conversation.user_id), optional_value(conversation.title),
           optional_value(conversation.status), conversation.created_at, conversation.updated_at});
      for (const auto& message : conversation.messages)
        raw.exec(
            "INSERT INTO messages(id, conversation_id, content, type, is_ai_response, is_answered, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            {message.id, conversation.id, message.content, message.type, std::int64_t{message.ai},
             std::int64_t{message.answered}, message.created_at});
    }
  }
  raw.exec("COMMIT");
}

// ---- the brute-force side --------------------------------------------------------

std::vector<const model_conversation*> visible_conversations(const model_customer& customer,
                                                             const protocol::viewer_scope& scope) {
  std::vector<const model_conversation*> visible;
  for (const auto& conversation : customer.conversations)
    if (!scope.user_id || conversation.user_id == scope.user_id) visible.push_back(&conversation);
  return visible;
}

bool is_visible(const model_customer& customer, const protocol::viewer_scope& scope) {
  return !scope.user_id || !visible_conversations(customer, scope).empty();
}

bool non_empty(const text& value) { return value && !value->empty(); }

bool in_range(std::int64_t value, const protocol::time_range& range) {
  return (!range.from || value >= *range.from) && (!range.to || value <= *range.to);
}

bool matches(const model_customer& customer, const protocol::customer_filter& filter,
             const protocol::viewer_scope& scope) {
  if (!is_visible(customer, scope)) return false;
  for (const auto& term : filter.search_terms) {
    bool found = false;
    for (const text* field : customer.searchable())
      if (*field && protocol::fold_case(**field).find(term) != std::string::npos) found = true;
    if (!found) return false;
  }
  if (filter.has_email && non_empty(customer.email) != *filter.has_email) return false;
  if (filter.has_phone && non_empty(customer.phone_number) != *filter.has_phone) return false;
  if (!filter.sources.empty() && (!customer.source || std::find(filter.sources.begin(), filter.sources.end(),
                                                                *customer.source) == filter.sources.end()))
    return false;
  if (!filter.tags.empty() && std::none_of(customer.tag_ids.begin(), customer.tag_ids.end(), [&](std::int64_t id) {
        return std::find(filter.tags.begin(), filter.tags.end(), tag_names.at(id)) != filter.tags.end();
      }))
    return false;
  if (!filter.tag_ids.empty() && std::none_of(customer.tag_ids.begin(), customer.tag_ids.end(), [&](std::int64_t id) {
        return std::find(filter.tag_ids.begin(), filter.tag_ids.end(), id) != filter.tag_ids.end();
      }))
    return false;
  const auto visible = visible_conversations(customer, scope);
  if (!filter.conversation_statuses.empty() &&
      std::none_of(visible.begin(), visible.end(), [&](const model_conversation* conversation) {
        return conversation->status &&
               std::find(filter.conversation_statuses.begin(), filter.conversation_statuses.end(),
                         *conversation->status) != filter.conversation_statuses.end();
      }))
    return false;
  if (filter.has_unread) {
    const bool unread = std::any_of(visible.begin(), visible.end(),
                                    [](const model_conversation* conversation) { return conversation->unread() > 0; });
    if (unread != *filter.has_unread) return false;
  }
  return in_range(customer.created_at, filter.created_at) && in_range(customer.last_activity(), filter.last_activity);
}

// Strict weak order of a sort: nulls first ascending (so last descending), id tie-break.
bool sorts_before(const model_customer& a, const model_customer& b, const protocol::sort_order& order) {
  using field = protocol::sort_field;
  const auto key = [&](const model_customer& customer) -> std::pair<int, std::string> {
    // (0, "") for null, (1, bytes) for a value: big-endian so byte order is numeric order.
    const auto number = [](std::int64_t value) {
      std::string bytes(8, '\0');
      const auto unsigned_value = static_cast<std::uint64_t>(value) ^ (1ULL << 63);
      for (int index = 0; index < 8; ++index) bytes[index] = static_cast<char>(unsigned_value >> (56 - 8 * index));
      return std::make_pair(1, bytes);
    };
    const auto string = [](const text& value) { return value ? std::make_pair(1, *value) : std::make_pair(0, std::string()); };
    switch (order.field) {
      case field::created_at: return number(customer.created_at);
      case field::updated_at: return number(customer.updated_at);
      case field::last_activity: return number(customer.last_activity());
      case field::first_name: return string(customer.first_name);
      case field::last_name: return string(customer.last_name);
      case field::id: return number(customer.id);
    }
    return {};
  };
  const auto left = std::make_pair(key(a), a.id);
  const auto right = std::make_pair(key(b), b.id);
  return order.descending ? right < left : left < right;
}

std::vector<std::int64_t> expected_ids(const std::vector<model_customer>& customers, const protocol::list_query& query,
                                       const protocol::viewer_scope& scope) {
  std::vector<const model_customer*> found;
  for (const auto& customer : customers)
    if (matches(customer, query.filter, scope)) found.push_back(&customer);
  std::sort(found.begin(), found.end(),
            [&](const model_customer* a, const model_customer* b) { return sorts_before(*a, *b, query.order); });
  std::vector<std::int64_t> ids;
  for (const auto* customer : found) ids.push_back(customer->id);
  return ids;
}

std::vector<std::int64_t> ids_of(const protocol::customer_page& page) {
  std::vector<std::int64_t> ids;
  for (const auto& customer : page.customers) ids.push_back(customer.id);
  return ids;
}

protocol::list_query query_with(const protocol::customer_filter& filter, std::int64_t limit = 100, std::int64_t offset = 0) {
  protocol::list_query query;
  query.filter = filter;
  query.paging.limit = query.paging.page_size = limit;
  query.paging.offset = offset;
  return query;
}

class StorageFetch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared = new temp_database();
    customers = new std::vector<model_customer>(make_customers(160));
    raw_connection raw(shared->file);
    write_customers(raw, *customers);
  }
  static void TearDownTestSuite() {
    delete shared;
    delete customers;
  }
  static inline temp_database* shared = nullptr;
  static inline std::vector<model_customer>* customers = nullptr;

  database& db() { return shared->db; }
  const model_customer& model(std::int64_t id) { return (*customers)[static_cast<std::size_t>(id - 1)]; }
};

const std::vector<protocol::viewer_scope> scopes = {{}, {1}, {2}, {99}};

std::vector<std::pair<std::string, protocol::customer_filter>> filter_cases() {
  std::vector<std::pair<std::string, protocol::customer_filter>> cases;
  const auto add = [&](const std::string& name, auto&& change) {
    protocol::customer_filter filter;
    change(filter);
    cases.emplace_back(name, filter);
  };
  add("none", [](auto&) {});
  for (const std::vector<std::string>& raw_terms :
       std::vector<std::vector<std::string>>{{"дми"}, {"ДМ"}, {"Ива"}, {"иванова"}, {"joh"}, {"JO"}, {"zoë"}, {"ZO"},
                                             {"γιώ"}, {"ΓΙ"}, {"ё"}, {"Ёлк"}, {"@ex"}, {"+7"}, {"o\"c"}, {"\""},
                                             {"a"}, {"李"}, {"müller"}, {"zzzz"}, {"дми", "ива"}, {"john", "doe"},
                                             {"an", "@"}, {"555", "jo"}, {"912 345"}}) {
    std::string name = "search";
    std::vector<std::string> folded;
    for (const auto& term : raw_terms) {
      name += " " + term;
      folded.push_back(protocol::fold_case(term));
    }
    add(name, [&](auto& filter) { filter.search_terms = folded; });
  }
  add("has_email", [](auto& filter) { filter.has_email = true; });
  add("no email", [](auto& filter) { filter.has_email = false; });
  add("has_phone", [](auto& filter) { filter.has_phone = true; });
  add("no phone", [](auto& filter) { filter.has_phone = false; });
  add("source telegram", [](auto& filter) { filter.sources = {"telegram"}; });
  add("sources", [](auto& filter) { filter.sources = {"unknown", "whatsapp"}; });
  add("tag VIP", [](auto& filter) { filter.tags = {"VIP"}; });
  add("tag vip or New", [](auto& filter) { filter.tags = {"vip", "New"}; });
  add("tag Unused", [](auto& filter) { filter.tags = {"Unused"}; });
  add("tag_ids 2", [](auto& filter) { filter.tag_ids = {2}; });
  add("tag_ids 1 3", [](auto& filter) { filter.tag_ids = {1, 3}; });
  add("tags and tag_ids", [](auto& filter) {
    filter.tags = {"VIP"};
    filter.tag_ids = {4};
  });
  add("status active", [](auto& filter) { filter.conversation_statuses = {"active"}; });
  add("statuses", [](auto& filter) { filter.conversation_statuses = {"closed", "marketing_active"}; });
  add("unread", [](auto& filter) { filter.has_unread = true; });
  add("no unread", [](auto& filter) { filter.has_unread = false; });
  add("created from", [](auto& filter) { filter.created_at.from = base_time + 2 * day; });
  add("created to", [](auto& filter) { filter.created_at.to = base_time + 2 * day; });
  add("created between", [](auto& filter) { filter.created_at = {base_time + day, base_time + 3 * day}; });
  add("activity from", [](auto& filter) { filter.last_activity.from = base_time + 7 * day; });
  add("activity between", [](auto& filter) { filter.last_activity = {base_time + 2 * day, base_time + 5 * day}; });
  add("combined", [](auto& filter) {
    filter.has_email = true;
    filter.sources = {"telegram", "instagram", "unknown"};
    filter.has_unread = true;
    filter.created_at.from = base_time + day;
  });
  add("combined search", [](auto& filter) {
    filter.search_terms = {"an"};
    filter.conversation_statuses = {"active", "closed"};
    filter.tag_ids = {1, 2, 3, 4};
    filter.has_phone = true;
  });
  return cases;
}

TEST_F(StorageFetch, EveryFilterMatchesBruteForce) {
  std::size_t non_trivial = 0;
  for (const auto& [name, filter] : filter_cases()) {
    for (const auto& scope : scopes) {
      const auto query = query_with(filter, 60);
      const auto expected = expected_ids(*customers, query, scope);
      const auto page = db().fetch_customers(query, scope);
      const std::string context = name + " / user " + (scope.user_id ? std::to_string(*scope.user_id) : "none");
      EXPECT_EQ(page.total_count, static_cast<std::int64_t>(expected.size())) << context;
      const std::vector<std::int64_t> first_page(expected.begin(),
                                                 expected.begin() + std::min<std::size_t>(60, expected.size()));
      EXPECT_EQ(ids_of(page), first_page) << context;
      if (!expected.empty() && expected.size() < customers->size()) ++non_trivial;
    }
  }
  EXPECT_GT(non_trivial, 100u);  // the cases really filter
}

TEST_F(StorageFetch, ShortAndLongCyrillicTermsAgree) {
  // "ДМ" (short, cws_fold) and "дмитрий" (trigram) find the same spelling variants.
  protocol::customer_filter short_term, long_term;
  short_term.search_terms = {protocol::fold_case("ДМ")};
  long_term.search_terms = {protocol::fold_case("ДМИТРИЙ")};
  const auto short_ids = ids_of(db().fetch_customers(query_with(short_term), {}));
  const auto long_ids = ids_of(db().fetch_customers(query_with(long_term), {}));
  std::set<std::string> spellings;
  for (auto id : long_ids)
    if (model(id).first_name) spellings.insert(*model(id).first_name);
  EXPECT_EQ(spellings, (std::set<std::string>{"Дмитрий", "дмитрий", "ДМИТРИЙ"}));
  for (auto id : long_ids) EXPECT_NE(std::find(short_ids.begin(), short_ids.end(), id), short_ids.end());
}

TEST_F(StorageFetch, NullAndEmptyEmailBothCountAsNoEmail) {
  protocol::customer_filter filter;
  filter.has_email = false;
  bool saw_null = false, saw_empty = false;
  for (auto id : ids_of(db().fetch_customers(query_with(filter), {}))) {
    EXPECT_FALSE(non_empty(model(id).email));
    (model(id).email ? saw_empty : saw_null) = true;
  }
  EXPECT_TRUE(saw_null);
  EXPECT_TRUE(saw_empty);
}

TEST_F(StorageFetch, EverySortOrderWithTiesAndPagination) {
  using field = protocol::sort_field;
  for (field sort : {field::created_at, field::updated_at, field::last_activity, field::first_name, field::last_name,
                     field::id}) {
    for (bool descending : {false, true}) {
      for (const auto& scope : {protocol::viewer_scope{}, protocol::viewer_scope{2}}) {
        protocol::list_query query = query_with({}, 7);
        query.order = {sort, descending};
        const auto expected = expected_ids(*customers, query, scope);
        std::vector<std::int64_t> walked;
        for (std::int64_t offset = 0;; offset += 7) {
          query.paging.offset = offset;
          const auto page = db().fetch_customers(query, scope);
          EXPECT_EQ(page.total_count, static_cast<std::int64_t>(expected.size()));
          if (page.customers.empty()) break;
          EXPECT_LE(page.customers.size(), 7u);
          for (auto id : ids_of(page)) walked.push_back(id);
        }
        EXPECT_EQ(walked, expected) << "sort " << static_cast<int>(sort) << (descending ? " desc" : " asc")
                                    << " user " << scope.user_id.value_or(0);
        EXPECT_EQ(std::set<std::int64_t>(walked.begin(), walked.end()).size(), walked.size());
      }
    }
  }
}

TEST_F(StorageFetch, PagePastTheEndIsEmptyWithCount) {
  const auto page = db().fetch_customers(query_with({}, 20, 10'000), {});
  EXPECT_TRUE(page.customers.empty());
  EXPECT_EQ(page.total_count, static_cast<std::int64_t>(customers->size()));
  const auto none = db().fetch_customers(query_with({}, 20, 0), {99});
  EXPECT_TRUE(none.customers.empty());
  EXPECT_EQ(none.total_count, 0);
}

TEST_F(StorageFetch, CustomerDetailsMatchTheModel) {
  for (const auto& scope : scopes) {
    std::vector<protocol::customer_view> fetched;
    for (std::int64_t offset = 0; offset < 200; offset += 100) {
      auto query = query_with({}, 100, offset);
      query.order = {protocol::sort_field::id, false};
      for (auto& customer : db().fetch_customers(query, scope).customers) fetched.push_back(std::move(customer));
    }
    std::size_t with_last_message = 0;
    for (const auto& view : fetched) {
      const auto& customer = model(view.id);
      const std::string context = "customer " + std::to_string(view.id) + " user " + std::to_string(scope.user_id.value_or(0));
      EXPECT_EQ(view.first_name, customer.first_name) << context;
      EXPECT_EQ(view.last_name, customer.last_name) << context;
      EXPECT_EQ(view.username, customer.username) << context;
      EXPECT_EQ(view.email, customer.email) << context;
      EXPECT_EQ(view.phone_number, customer.phone_number) << context;
      EXPECT_EQ(view.source, customer.source) << context;
      EXPECT_EQ(view.source_id, std::nullopt);
      EXPECT_EQ(view.created_at, customer.created_at) << context;
      EXPECT_EQ(view.updated_at, customer.updated_at) << context;
      EXPECT_EQ(view.last_activity, customer.last_activity()) << context;

      std::vector<std::pair<std::string, std::int64_t>> tags;
      for (auto id : customer.tag_ids) tags.emplace_back(tag_names.at(id), id);
      std::sort(tags.begin(), tags.end());
      ASSERT_EQ(view.tags.size(), tags.size()) << context;
      for (std::size_t index = 0; index < tags.size(); ++index) {
        EXPECT_EQ(view.tags[index].name, tags[index].first) << context;
        EXPECT_EQ(view.tags[index].id, tags[index].second) << context;
      }

      auto visible = visible_conversations(customer, scope);
      std::sort(visible.begin(), visible.end(), [](const model_conversation* a, const model_conversation* b) {
        return std::make_pair(a->updated_at, a->id) > std::make_pair(b->updated_at, b->id);
      });
      ASSERT_EQ(view.conversations.size(), visible.size()) << context;
      std::int64_t unread = 0;
      for (std::size_t index = 0; index < visible.size(); ++index) {
        const auto& got = view.conversations[index];
        const auto& want = *visible[index];
        EXPECT_EQ(got.id, want.id) << context;
        EXPECT_EQ(got.title, want.title) << context;
        EXPECT_EQ(got.status, want.status) << context;
        EXPECT_EQ(got.source, text("telegram"));
        EXPECT_EQ(got.unread_count, want.unread()) << context;
        EXPECT_EQ(got.created_at, want.created_at);
        EXPECT_EQ(got.updated_at, want.updated_at);
        unread += want.unread();
        const auto* latest = want.latest();
        ASSERT_EQ(got.last_message.has_value(), latest != nullptr) << context;
        if (latest) {
          ++with_last_message;
          EXPECT_EQ(got.last_message->id, latest->id) << context;
          EXPECT_EQ(got.last_message->type, latest->type);
          EXPECT_EQ(got.last_message->content, text(latest->content));
          EXPECT_EQ(got.last_message->is_ai_response, latest->ai);
          EXPECT_EQ(got.last_message->created_at, latest->created_at);
        }
      }
      EXPECT_EQ(view.unread_count, unread) << context;
    }
    std::size_t expected_count = 0;
    for (const auto& customer : *customers) expected_count += is_visible(customer, scope);
    EXPECT_EQ(fetched.size(), expected_count);
    if (!scope.user_id || *scope.user_id != 99) {
      EXPECT_GT(with_last_message, 0u);
    }
  }
}

TEST_F(StorageFetch, FilterOptionsMatchBruteForce) {
  for (const auto& scope : scopes) {
    std::map<std::string, std::int64_t> sources, statuses;
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> tags;  // name -> (id, count)
    std::optional<std::int64_t> minimum, maximum;
    for (const auto& customer : *customers) {
      if (!is_visible(customer, scope)) continue;
      if (non_empty(customer.source)) ++sources[*customer.source];
      std::set<std::string> customer_statuses;
      for (const auto* conversation : visible_conversations(customer, scope))
        if (non_empty(conversation->status)) customer_statuses.insert(*conversation->status);
      for (const auto& status : customer_statuses) ++statuses[status];
      for (auto id : customer.tag_ids) {
        tags[tag_names.at(id)].first = id;
        ++tags[tag_names.at(id)].second;
      }
      minimum = std::min(minimum.value_or(customer.created_at), customer.created_at);
      maximum = std::max(maximum.value_or(customer.created_at), customer.created_at);
    }
    const auto options = db().fetch_filter_options(scope);
    const std::string context = "user " + std::to_string(scope.user_id.value_or(0));
    EXPECT_EQ(options.source_counts, (std::vector<std::pair<std::string, std::int64_t>>(sources.begin(), sources.end())))
        << context;
    EXPECT_EQ(options.status_counts,
              (std::vector<std::pair<std::string, std::int64_t>>(statuses.begin(), statuses.end())))
        << context;
    ASSERT_EQ(options.tags.size(), tags.size()) << context;
    std::size_t index = 0;
    for (const auto& [name, id_count] : tags) {
      EXPECT_EQ(options.tags[index].name, name);
      EXPECT_EQ(options.tags[index].id, id_count.first);
      EXPECT_EQ(options.tags[index].count, id_count.second);
      ++index;
    }
    EXPECT_EQ(options.created_at_min, minimum) << context;
    EXPECT_EQ(options.created_at_max, maximum) << context;
    if (scope.user_id == 99) {
      EXPECT_TRUE(options.source_counts.empty());
      EXPECT_FALSE(options.created_at_min);
    } else {
      EXPECT_FALSE(options.source_counts.empty());
    }
  }
}

TEST_F(StorageFetch, UsersAndCounts) {
  std::map<std::int64_t, std::int64_t> per_user;
  for (const auto& customer : *customers)
    for (const auto& conversation : customer.conversations)
      if (conversation.user_id) ++per_user[*conversation.user_id];
  std::vector<std::pair<std::int64_t, std::int64_t>> ranked;  // (-count, user)
  for (const auto& [user, count] : per_user) ranked.emplace_back(-count, user);
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::int64_t> expected;
  for (const auto& entry : ranked) expected.push_back(entry.second);
  EXPECT_EQ(db().users_with_conversations(10), expected);
  EXPECT_EQ(db().users_with_conversations(2), std::vector<std::int64_t>(expected.begin(), expected.begin() + 2));
  EXPECT_EQ(db().customer_count(), static_cast<std::int64_t>(customers->size()));
}

// ---- deadline ------------------------------------------------------------------------

TEST(StorageDeadline, InterruptsAndRecovers) {
  temp_database test;
  write_demo_data(test.db, 3000, 7);
  protocol::customer_filter filter;
  filter.search_terms = {"q"};  // short: a scan through cws_fold
  const auto query = query_with(filter);
  try {
    test.db.fetch_customers(query, {}, std::chrono::steady_clock::now());
    FAIL() << "not interrupted";
  } catch (const storage_error& error) {
    EXPECT_EQ(error.error_kind(), storage_error::kind::timeout) << error.what();
  }
  try {
    test.db.fetch_filter_options({}, std::chrono::steady_clock::now() - std::chrono::seconds(1));
    FAIL() << "not interrupted";
  } catch (const storage_error& error) {
    EXPECT_EQ(error.error_kind(), storage_error::kind::timeout) << error.what();
  }
  // The handler is gone afterwards, and a generous deadline does not fire.
  const auto unlimited = test.db.fetch_customers(query, {});
  const auto generous = test.db.fetch_customers(query, {}, std::chrono::steady_clock::now() + std::chrono::minutes(1));
  EXPECT_EQ(unlimited.total_count, generous.total_count);
  EXPECT_EQ(ids_of(unlimited), ids_of(generous));
  EXPECT_EQ(test.db.customer_count(), 3000);
}

}  // namespace
}  // namespace cws::storage
