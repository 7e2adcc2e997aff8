// The two query engines give the same answers: the default in-memory index
// (the "main" and "jwt" servers) and --query-engine sql, on the same data,
// compared answer by answer over real sockets (timestamps aside).
#include <set>

#include "tests/integration/harness.hpp"

namespace cwsit {
namespace {

std::vector<std::string> sql_arguments() { return {"--query-engine", "sql"}; }

std::vector<std::string> sql_jwt_arguments() {
  return {"--query-engine", "sql", "--auth", "jwt", "--jwt-secret", kJwtSecret};
}

// Everything but the moment it was sent.
json without_timestamp(json message) {
  message.erase("timestamp");
  return message;
}

std::vector<json> requests() {
  std::vector<json> filters = {
      json::object(),
      {{"search", "john"}},
      {{"search", "ан ов"}},
      {{"search", "a"}},
      {{"search", "дмитрий"}},
      {{"has_email", "false"}, {"has_phone", "true"}},
      {{"has_unread", "true"}, {"order_by", "-last_activity"}},
      {{"has_unread", "false"}, {"order_by", "first_name"}},
      {{"conversation_status", "active"}, {"page", 2}},
      {{"tags", json::array({"VIP"})}, {"order_by", "-last_name"}},
      {{"source", "telegram"}, {"date_from", "2024-01-01"}, {"order_by", "updated_at"}},
      {{"last_activity_from", "2024-06-01"}, {"last_activity_to", "2025-12-31"}, {"page_size", 7}, {"page", 3}},
      {{"order_by", "id"}, {"offset", 40}, {"limit", 15}},
  };
  std::vector<json> all;
  for (const auto& filter : filters) all.push_back({{"type", "filter_customers"}, {"filters", filter}});
  all.push_back({{"type", "get_filter_options"}});
  return all;
}

void expect_same_answers(Session& index, Session& sql) {
  std::size_t listed = 0;
  for (const auto& request : requests()) {
    SCOPED_TRACE(request.dump());
    const json from_index = without_timestamp(index.request(request));
    const json from_sql = without_timestamp(sql.request(request));
    EXPECT_EQ(from_index, from_sql);
    if (from_index.value("type", "") == "customers_list" && !from_index["customers"].empty()) ++listed;
  }
  EXPECT_GT(listed, 8u);  // the requests really list customers
}

class QueryEngines : public MainServerTest {};

TEST_F(QueryEngines, IndexAndSqlAnswerAlike) {
  Server& sql_server = shared_server("sql-engine", [] { return dataset_jsonl_path(); }, sql_arguments());
  ASSERT_EQ(shared_server_error("sql-engine"), "");
  Session index = open_session(port());
  Session sql = open_session(sql_server.port());
  ASSERT_TRUE(index.error.empty() && sql.error.empty());
  expect_same_answers(index, sql);
}

class QueryEnginesJwt : public JwtServerTest {};

TEST_F(QueryEnginesJwt, IndexAndSqlAnswerAlikeForEveryUser) {
  Server& sql_server = shared_server("sql-engine-jwt", [] { return dataset_jsonl_path(); }, sql_jwt_arguments());
  ASSERT_EQ(shared_server_error("sql-engine-jwt"), "");
  std::set<std::int64_t> users;
  for (const auto& customer : dataset().customers)
    for (const auto& conversation : customer.conversations) users.insert(conversation.user_id);
  ASSERT_GE(users.size(), 2u);
  for (auto user : users) {
    SCOPED_TRACE("user " + std::to_string(user));
    const std::string target = "/ws/customers/?token=" + access_token(user);
    Session index = open_session(port(), target);
    Session sql = open_session(sql_server.port(), target);
    ASSERT_TRUE(index.error.empty() && sql.error.empty());
    expect_same_answers(index, sql);
  }
}

}  // namespace
}  // namespace cwsit
