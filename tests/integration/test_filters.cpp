// PROTOCOL.md, Filters: every key alone with its accepted spellings, the
// "no filter" spellings, combinations. Each answer is compared in full (every
// page, every customer object) with the reference model.
#include "tests/integration/harness.hpp"

namespace cwsit {
namespace {

class Filters : public MainSessionTest {
 protected:
  // Walks every page of `filters` and compares it with the reference.
  void check(const json& filters) { EXPECT_TRUE(WalkMatches(*s_.ws, filters)); }
  size_t ref_count(const json& filters) { return ref().list(filters).all.size(); }
  bool ref_has(const json& filters, const std::function<bool(const Customer&)>& pred) {
    for (const auto* c : ref().list(filters).all)
      if (pred(*c)) return true;
    return false;
  }
};

TEST_F(Filters, SearchCaseInsensitiveMultiTermAcrossFields) {
  const std::vector<std::string> terms = {
      "john", "JOHN", "jOhN", "john doe", "doe john", "  john   doe  ", "johndoe",
      "дмитрий", "ДМИТРИЙ", "дМиТрИй", "иванов", "ИВАНОВА", "пётр", "ПЁТР", "петр", "ёлкин", "ЁЛКИН", "ЁЖИК", "ежик",
      "анна иванов", "ан ов", "а",
      "example.com", "EXAMPLE.COM", "mail.ru", "@", "+7916", "555 01", "+1234567890", "8-800",
      "_", "%", "100%", "o'brien", "van der", "der berg", "alice.w",
      "λέξ", "Σοφ", "😀", "123", "~",
      "_src_", "needle", "Support", "zzzz-nothing", "john zzzz-nothing"};
  for (const auto& t : terms) {
    SCOPED_TRACE("search '" + t + "'");
    check({{"search", t}});
  }
}

// The data really exercises what the search test claims.
TEST_F(Filters, SearchDataSanity) {
  auto last_is = [](const char* n) { return [n](const Customer& c) { return c.last_name == std::string(n); }; };
  auto first_is = [](const char* n) { return [n](const Customer& c) { return c.first_name == std::string(n); }; };
  EXPECT_TRUE(ref_has({{"search", "иванов"}}, last_is("ИВАНОВ")));
  EXPECT_TRUE(ref_has({{"search", "иванов"}}, last_is("Иванов")));
  EXPECT_TRUE(ref_has({{"search", "ПЁТР"}}, first_is("Пётр")));
  EXPECT_TRUE(ref_has({{"search", "ёлкин"}}, last_is("ЁЛКИН")));
  EXPECT_TRUE(ref_has({{"search", "JOHN"}}, first_is("John")));
  EXPECT_GT(ref_count({{"search", "ЁЖИК"}}), 0u);
  EXPECT_EQ(ref_count({{"search", "ежик"}}), 0u) << "'ежик' must not match 'Ёжик' (case folding, not е/ё folding)";
  EXPECT_EQ(ref_count({{"search", "_src_"}}), 0u) << "source_id is not searched";
  EXPECT_EQ(ref_count({{"search", "needle"}}), 0u) << "message content is not searched";
  EXPECT_GT(ref_count({{"search", "john doe"}}), 0u);
  EXPECT_LT(ref_count({{"search", "_"}}), dataset().customers.size());
  EXPECT_LT(ref_count({{"search", "%"}}), dataset().customers.size());
  EXPECT_GT(ref_count({{"search", "%"}}), 0u);
}

TEST_F(Filters, SearchOfWhiteSpaceOnlyIsNoFilter) {
  for (const char* t : {" ", "   ", "\t", " \t \n "}) {
    SCOPED_TRACE(json(t).dump());
    const json r = s_.request({{"type", "get_customers"}, {"filters", {{"search", t}}}});
    EXPECT_TRUE(ListMatchesFilters(r, json::object()));
  }
}

void check_boolean_key(Filters* self, const std::string& key, const std::function<void(const json&)>& check) {
  (void)self;
  const std::vector<json> values = {"true", true, 1, "1", "false", false, 0, "0", "all", nullptr, ""};
  for (const auto& v : values) {
    SCOPED_TRACE(key + " = " + v.dump());
    check({{key, v}});
  }
}

TEST_F(Filters, HasEmailEverySpelling) {
  check_boolean_key(this, "has_email", [this](const json& f) { check(f); });
  EXPECT_EQ(ref_count({{"has_email", true}}) + ref_count({{"has_email", false}}), dataset().customers.size());
  EXPECT_GT(ref_count({{"has_email", false}}), 0u);
}

TEST_F(Filters, HasPhoneEverySpelling) {
  check_boolean_key(this, "has_phone", [this](const json& f) { check(f); });
  EXPECT_GT(ref_count({{"has_phone", false}}), 0u);
}

TEST_F(Filters, HasUnreadEverySpelling) {
  check_boolean_key(this, "has_unread", [this](const json& f) { check(f); });
  EXPECT_GT(ref_count({{"has_unread", true}}), 0u);
  EXPECT_GT(ref_count({{"has_unread", false}}), 0u);
}

TEST_F(Filters, Source) {
  const std::vector<json> values = {"telegram", "instagram", "unknown", "whatsapp", json::array({"telegram", "whatsapp"}),
                                    json::array({"instagram"}), "all", nullptr, "", json::array(), "nonexistent"};
  for (const auto& v : values) {
    SCOPED_TRACE("source = " + v.dump());
    check({{"source", v}});
  }
}

TEST_F(Filters, TagsByNameCaseSensitiveAny) {
  const std::vector<json> values = {json::array({"VIP"}), json::array({"vip"}), "VIP", json::array({"VIP", "Лояльный"}),
                                    json::array({"a b"}), json::array({"Ελλάδα"}), json::array({"spam", "спам"}),
                                    json::array(), "all", nullptr, json::array({"nonexistent"})};
  for (const auto& v : values) {
    SCOPED_TRACE("tags = " + v.dump());
    check({{"tags", v}});
  }
  EXPECT_NE(ref().list({{"tags", {"VIP"}}}).all, ref().list({{"tags", {"vip"}}}).all);
  EXPECT_GT(ref_count({{"tags", {"VIP", "Лояльный"}}}), ref_count({{"tags", {"VIP"}}}));
}

TEST_F(Filters, TagIdsAny) {
  const std::vector<json> values = {json::array({7}), json::array({"7"}), json::array({7, 12}), json::array({"3", 4}),
                                    json::array(), nullptr, "all", json::array({99999})};
  for (const auto& v : values) {
    SCOPED_TRACE("tag_ids = " + v.dump());
    check({{"tag_ids", v}});
  }
}

TEST_F(Filters, TagsAndTagIdsMustBothHold) {
  const json f = {{"tags", {"VIP", "Premium"}}, {"tag_ids", {3, 4}}};
  check(f);
  check({{"tags", {"VIP"}}, {"tag_ids", {12}}});
  EXPECT_LT(ref_count(f), ref_count({{"tags", {"VIP", "Premium"}}}));
  EXPECT_LT(ref_count(f), ref_count({{"tag_ids", {3, 4}}}));
  EXPECT_GT(ref_count(f), 0u);
}

TEST_F(Filters, ConversationStatus) {
  const std::vector<json> values = {"active", "support_active", "marketing_active", "closed", "archived",
                                    json::array({"active", "closed"}), json::array({"archived"}), "all", nullptr, "",
                                    json::array(), "nonexistent"};
  for (const auto& v : values) {
    SCOPED_TRACE("conversation_status = " + v.dump());
    check({{"conversation_status", v}});
  }
}

TEST_F(Filters, CreatedAtRange) {
  const std::vector<json> filters = {
      {{"date_from", "2023-06-15"}, {"date_to", "2023-06-15"}},
      {{"date_from", "2023-06-15"}},
      {{"date_to", "2023-06-15"}},
      {{"date_to", "2023-07-20T10:00:00Z"}},
      {{"date_from", "2023-07-20T10:00:00Z"}, {"date_to", "2023-07-20T10:00:00Z"}},
      {{"date_from", "2023-07-20T10:00:00.500Z"}, {"date_to", "2023-07-20T10:00:00.500Z"}},
      {{"date_from", "2023-07-20T13:00:00+03:00"}, {"date_to", "2023-07-20T13:00:00.500+03:00"}},
      {{"date_from", "2023-07-20T04:29:59.999-05:30"}, {"date_to", "2023-07-20T10:00:00.499Z"}},
      {{"date_from", "2023-03-05T10:20:30.456Z"}, {"date_to", "2023-03-05T10:20:30.456Z"}},
      {{"date_from", "2023-02-01"}, {"date_to", "2023-04-30"}},
      {{"date_from", "2023-11-01T00:00:00Z"}},
      {{"date_from", "all"}, {"date_to", nullptr}},
      {{"date_from", ""}, {"date_to", "2030-01-01"}},
  };
  for (const auto& f : filters) {
    SCOPED_TRACE(f.dump());
    check(f);
  }
  // The planted boundary customers make these meaningful.
  auto times = [&](const json& f) {
    std::set<std::string> out;
    for (const auto* c : ref().list(f).all) out.insert(iso_ms(c->created_at));
    return out;
  };
  const auto day = times({{"date_from", "2023-06-15"}, {"date_to", "2023-06-15"}});
  EXPECT_TRUE(day.count("2023-06-15T00:00:00.000Z") && day.count("2023-06-15T23:59:59.999Z"));
  EXPECT_FALSE(day.count("2023-06-14T23:59:59.999Z") || day.count("2023-06-16T00:00:00.000Z"));
  const auto upto = times({{"date_to", "2023-07-20T10:00:00Z"}});
  EXPECT_TRUE(upto.count("2023-07-20T10:00:00.000Z") && !upto.count("2023-07-20T10:00:00.500Z"));
  EXPECT_GE(ref_count({{"date_from", "2023-03-05T10:20:30.456Z"}, {"date_to", "2023-03-05T10:20:30.456Z"}}), 3u);
}

TEST_F(Filters, LastActivityRange) {
  const std::vector<json> filters = {
      {{"last_activity_from", "2023-08-01T12:00:00.250Z"}, {"last_activity_to", "2023-08-01T12:00:00.250Z"}},
      {{"last_activity_from", "2023-08-01T12:00:00.251Z"}, {"last_activity_to", "2023-08-02"}},
      {{"last_activity_from", "2023-08-01"}, {"last_activity_to", "2023-08-01"}},
      {{"last_activity_from", "2023-06-01"}},
      {{"last_activity_to", "2023-05-31"}},
      {{"last_activity_from", "2023-03-01T00:00:00+02:00"}, {"last_activity_to", "2023-03-31T23:59:59.999+02:00"}},
      {{"last_activity_from", "all"}, {"last_activity_to", ""}},
  };
  for (const auto& f : filters) {
    SCOPED_TRACE(f.dump());
    check(f);
  }
  EXPECT_GE(ref_count(filters[0]), 1u);
  // last_activity is not updated_at: some customer's last message is later.
  bool differs = false;
  for (const auto& c : dataset().customers) differs = differs || Reference::last_activity(c) != c.updated_at;
  EXPECT_TRUE(differs);
}

TEST_F(Filters, Combined) {
  const std::vector<json> filters = {
      {{"has_email", "true"}, {"source", "telegram"}},
      {{"has_email", "false"}, {"has_phone", "false"}},
      {{"source", "telegram"}, {"has_unread", "true"}},
      {{"last_activity_from", "2023-06-01"}, {"conversation_status", "active"}, {"order_by", "-updated_at"}},
      {{"tags", {"VIP", "Premium"}}, {"has_email", "true"}},
      {{"search", "a"}, {"source", {"instagram", "whatsapp"}}, {"has_phone", 1}, {"order_by", "first_name"}},
      {{"conversation_status", {"closed", "archived"}}, {"has_unread", false}, {"date_from", "2023-03-01"},
       {"date_to", "2023-10-31"}},
      {{"tag_ids", {"7", 15}}, {"conversation_status", "support_active"}, {"order_by", "last_name"}},
      {{"search", "иванов"}, {"has_email", "1"}, {"order_by", "-last_activity"}},
      {{"search", "ан"}, {"tags", "Лояльный"}, {"has_unread", "0"}, {"source", "all"}, {"has_email", "all"}},
  };
  for (const auto& f : filters) {
    SCOPED_TRACE(f.dump());
    check(f);
  }
}

// Missing, null, "", [] and "all" mean "no filter" for every filter key.
TEST_F(Filters, NoFilterSpellingsForEveryKey) {
  const std::vector<std::string> keys = {"search",  "has_email", "has_phone",          "source",
                                         "tags",    "tag_ids",   "conversation_status", "has_unread",
                                         "date_from", "date_to", "last_activity_from", "last_activity_to"};
  const std::vector<json> nothing = {nullptr, "", json::array(), "all"};
  for (const auto& k : keys)
    for (const auto& v : nothing) {
      SCOPED_TRACE(k + " = " + v.dump());
      const json f = {{k, v}, {"page_size", 100}};
      const json r = s_.request({{"type", "get_customers"}, {"filters", f}});
      EXPECT_TRUE(ListMatchesFilters(r, {{"page_size", 100}}));
    }
  // order_by and the pagination keys take their defaults when null.
  for (const char* k : {"order_by", "page", "page_size"}) {
    SCOPED_TRACE(std::string(k) + " = null");
    EXPECT_TRUE(ListMatchesFilters(s_.request({{"type", "get_customers"}, {"filters", {{k, nullptr}}}}), json::object()));
  }
}

}  // namespace
}  // namespace cwsit
