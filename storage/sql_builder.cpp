#include "storage/sql_builder.hpp"

#include "protocol/text.hpp"

namespace cws::storage {
namespace {

// Collects parameters and hands out their placeholders.
class parameter_list {
 public:
  explicit parameter_list(std::vector<sql_value>& values) : values_(values) {}
  // Constructed in place: moving a variant that holds a string trips a
  // false -Wmaybe-uninitialized in GCC 12 at -O2 and above.
  template <typename T>
  std::string add(const T& value) {
    values_.emplace_back(std::in_place_type<T>, value);
    return ":p" + std::to_string(values_.size());
  }
  template <typename T>
  std::string add_all(const std::vector<T>& values) {
    std::string list;
    for (const auto& value : values) {
      if (!list.empty()) list += ", ";
      list += add(value);
    }
    return list;
  }

 private:
  std::vector<sql_value>& values_;
};

constexpr const char* searchable_columns[] = {"c.first_name", "c.last_name", "c.username", "c.email",
                                              "c.phone_number"};

std::string join_and(const std::vector<std::string>& conditions) {
  std::string text;
  for (const auto& condition : conditions) {
    text += text.empty() ? " WHERE " : " AND ";
    text += condition;
  }
  return text;
}

// Binary (code point) order for text: SQLite's default, PostgreSQL's "C".
std::string text_order(const std::string& column, sql_dialect dialect) {
  return dialect == sql_dialect::postgresql ? column + " COLLATE \"C\"" : column;
}

const char* sort_column(protocol::sort_field field) {
  switch (field) {
    case protocol::sort_field::created_at: return "c.created_at";
    case protocol::sort_field::updated_at: return "c.updated_at";
    case protocol::sort_field::last_activity: return "c.last_activity";
    case protocol::sort_field::first_name: return "c.first_name";
    case protocol::sort_field::last_name: return "c.last_name";
    case protocol::sort_field::id: return "c.id";
  }
  return "c.id";
}

std::string order_by(const protocol::sort_order& order, sql_dialect dialect) {
  const std::string direction = order.descending ? " DESC" : " ASC";
  if (order.field == protocol::sort_field::id) return " ORDER BY c.id" + direction;
  const bool is_text = order.field == protocol::sort_field::first_name || order.field == protocol::sort_field::last_name;
  std::string column = sort_column(order.field);
  if (is_text) column = text_order(column, dialect);
  std::string clause = " ORDER BY " + column + direction;
  // SQLite already puts nulls first ascending and last descending.
  if (dialect == sql_dialect::postgresql) clause += order.descending ? " NULLS LAST" : " NULLS FIRST";
  return clause + ", c.id" + direction;
}

void add_search(const std::vector<std::string>& terms, sql_dialect dialect, parameter_list& parameters,
                std::vector<std::string>& conditions) {
  std::vector<std::string> indexed_terms;
  for (const auto& term : terms) {
    const auto length = protocol::count_code_points(term).value_or(term.size());
    if (dialect == sql_dialect::sqlite && length >= trigram_minimum_code_points) {
      indexed_terms.push_back(term);
      continue;
    }
    // The term must be inside one of the fields; cws_fold is the same folding
    // the protocol layer applied to the term.
    std::string any_field;
    for (const char* column : searchable_columns) {
      if (!any_field.empty()) any_field += " OR ";
      if (dialect == sql_dialect::sqlite)
        any_field += "instr(cws_fold(" + std::string(column) + "), " + parameters.add(term) + ") > 0";
      else
        any_field += "strpos(lower(" + std::string(column) + "), " + parameters.add(term) + ") > 0";
    }
    conditions.push_back("(" + any_field + ")");
  }
  if (!indexed_terms.empty())
    conditions.push_back("c.id IN (SELECT rowid FROM customer_search WHERE customer_search MATCH " +
                         parameters.add(fts_phrase_query(indexed_terms)) + ")");
}

void add_presence(const std::optional<bool>& wanted, const char* column, std::vector<std::string>& conditions) {
  if (!wanted) return;
  const std::string name = column;
  conditions.push_back(*wanted ? "(" + name + " IS NOT NULL AND " + name + " <> '')"
                               : "(" + name + " IS NULL OR " + name + " = '')");
}

void add_range(const protocol::time_range& range, const char* column, parameter_list& parameters,
               std::vector<std::string>& conditions) {
  if (range.from) conditions.push_back(std::string(column) + " >= " + parameters.add(*range.from));
  if (range.to) conditions.push_back(std::string(column) + " <= " + parameters.add(*range.to));
}

// " AND v.user_id = :pN" when the scope limits the visible conversations.
std::string visible_conversation(const protocol::viewer_scope& scope, parameter_list& parameters) {
  return scope.user_id ? " AND v.user_id = " + parameters.add(*scope.user_id) : "";
}

std::string id_list(const std::vector<std::int64_t>& ids, parameter_list& parameters) {
  return ids.empty() ? "NULL" : parameters.add_all(ids);
}

}  // namespace

std::string fts_phrase_query(const std::vector<std::string>& terms) {
  std::string query;
  for (const auto& term : terms) {
    if (!query.empty()) query += " AND ";
    query += '"';
    for (char character : term) {
      if (character == '"') query += '"';
      query += character;
    }
    query += '"';
  }
  return query;
}

customer_query_sql build_customer_query_sql(const protocol::list_query& query,
                                            const protocol::viewer_scope& scope, sql_dialect dialect) {
  customer_query_sql result;
  std::vector<sql_value> values;
  parameter_list parameters(values);
  std::vector<std::string> conditions;
  const auto& filter = query.filter;

  if (scope.user_id)
    conditions.push_back("c.id IN (SELECT v.customer_id FROM conversations v WHERE v.user_id = " +
                         parameters.add(*scope.user_id) + ")");
  add_search(filter.search_terms, dialect, parameters, conditions);
  add_presence(filter.has_email, "c.email", conditions);
  add_presence(filter.has_phone, "c.phone_number", conditions);
  if (!filter.sources.empty()) conditions.push_back("c.source IN (" + parameters.add_all(filter.sources) + ")");
  if (!filter.tags.empty())
    conditions.push_back(
        "c.id IN (SELECT ct.customer_id FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id WHERE t.name IN (" +
        parameters.add_all(filter.tags) + "))");
  if (!filter.tag_ids.empty())
    conditions.push_back("c.id IN (SELECT ct.customer_id FROM customer_tags ct WHERE ct.tag_id IN (" +
                         parameters.add_all(filter.tag_ids) + "))");
  if (!filter.conversation_statuses.empty()) {
    const std::string statuses = parameters.add_all(filter.conversation_statuses);
    conditions.push_back("c.id IN (SELECT v.customer_id FROM conversations v WHERE v.status IN (" + statuses + ")" +
                         visible_conversation(scope, parameters) + ")");
  }
  if (filter.has_unread) {
    conditions.push_back(std::string("c.id ") + (*filter.has_unread ? "IN" : "NOT IN") +
                         " (SELECT v.customer_id FROM conversations v WHERE v.unread_count > 0" +
                         visible_conversation(scope, parameters) + ")");
  }
  add_range(filter.created_at, "c.created_at", parameters, conditions);
  add_range(filter.last_activity, "c.last_activity", parameters, conditions);

  const std::string where = join_and(conditions);
  result.count.text = "SELECT count(*) FROM customers c" + where;
  result.count.parameters = values;

  result.page.text = std::string("SELECT ") + customer_columns + " FROM customers c" + where +
                     order_by(query.order, dialect);
  result.page.text += " LIMIT " + parameters.add(query.paging.limit);
  result.page.text += " OFFSET " + parameters.add(query.paging.offset);
  result.page.parameters = std::move(values);
  return result;
}

sql_statement build_page_tags_sql(const std::vector<std::int64_t>& customer_ids, sql_dialect dialect) {
  sql_statement statement;
  parameter_list parameters(statement.parameters);
  statement.text =
      "SELECT ct.customer_id, t.id, t.name FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id"
      " WHERE ct.customer_id IN (" +
      id_list(customer_ids, parameters) + ") ORDER BY ct.customer_id, " + text_order("t.name", dialect) + ", t.id";
  return statement;
}

sql_statement build_page_conversations_sql(const std::vector<std::int64_t>& customer_ids,
                                           const protocol::viewer_scope& scope) {
  sql_statement statement;
  parameter_list parameters(statement.parameters);
  // Appended one at a time: placeholders must appear in parameter order, and
  // the operands of + are not evaluated in a fixed order.
  statement.text =
      "SELECT v.customer_id, v.id, v.title, v.status, v.source, v.unread_count, v.created_at, v.updated_at,"
      " m.id, m.content, m.type, m.is_ai_response, m.created_at, v.user_id"
      " FROM conversations v LEFT JOIN messages m ON m.id = v.last_message_id AND m.conversation_id = v.id"
      " WHERE v.customer_id IN (";
  statement.text += id_list(customer_ids, parameters) + ")";
  statement.text += visible_conversation(scope, parameters);
  statement.text += " ORDER BY v.customer_id, v.updated_at DESC, v.id DESC";
  return statement;
}

sql_statement build_customers_by_id_sql(const std::vector<std::int64_t>& customer_ids) {
  sql_statement statement;
  parameter_list parameters(statement.parameters);
  statement.text = std::string("SELECT ") + customer_columns + " FROM customers c WHERE c.id IN (" +
                   id_list(customer_ids, parameters) + ")";
  return statement;
}

index_sql build_index_sql(const std::vector<std::int64_t>* customer_ids) {
  index_sql result;
  // Each statement binds the ids itself, so each gets its own list.
  const auto only = [&](sql_statement& statement, const char* column) {
    if (!customer_ids) return std::string();
    parameter_list parameters(statement.parameters);
    return std::string(" WHERE ") + column + " IN (" + id_list(*customer_ids, parameters) + ")";
  };
  result.customers.text =
      "SELECT id, first_name, last_name, username, email, phone_number, source, created_at, updated_at,"
      " last_activity FROM customers" +
      only(result.customers, "id");
  result.tags.text = "SELECT customer_id, tag_id FROM customer_tags" + only(result.tags, "customer_id") +
                     " ORDER BY customer_id, tag_id";
  result.conversations.text = "SELECT customer_id, user_id, status, unread_count FROM conversations" +
                              only(result.conversations, "customer_id");
  return result;
}

filter_options_sql build_filter_options_sql(const protocol::viewer_scope& scope, sql_dialect dialect) {
  filter_options_sql result;
  // Each statement binds the user id itself, so each gets its own list.
  const auto visible_customers = [&](sql_statement& statement, const std::string& column) {
    if (!scope.user_id) return std::string();
    parameter_list parameters(statement.parameters);
    return column + " IN (SELECT v.customer_id FROM conversations v WHERE v.user_id = " +
           parameters.add(*scope.user_id) + ")";
  };

  {
    auto& statement = result.source_counts;
    const auto visible = visible_customers(statement, "c.id");
    statement.text = "SELECT c.source, count(*) FROM customers c WHERE c.source IS NOT NULL AND c.source <> ''" +
                     (visible.empty() ? "" : " AND " + visible) + " GROUP BY c.source ORDER BY " +
                     text_order("c.source", dialect);
  }
  {
    auto& statement = result.tag_counts;
    const auto visible = visible_customers(statement, "ct.customer_id");
    statement.text = "SELECT t.id, t.name, count(*) FROM tags t JOIN customer_tags ct ON ct.tag_id = t.id" +
                     (visible.empty() ? "" : " WHERE " + visible) + " GROUP BY t.id, t.name ORDER BY " +
                     text_order("t.name", dialect);
  }
  {
    auto& statement = result.status_counts;
    parameter_list parameters(statement.parameters);
    statement.text =
        "SELECT v.status, count(DISTINCT v.customer_id) FROM conversations v"
        " WHERE v.status IS NOT NULL AND v.status <> ''" +
        visible_conversation(scope, parameters) + " GROUP BY v.status ORDER BY " + text_order("v.status", dialect);
  }
  {
    auto& statement = result.created_range;
    const auto visible = visible_customers(statement, "c.id");
    statement.text = "SELECT min(c.created_at), max(c.created_at) FROM customers c" +
                     (visible.empty() ? "" : " WHERE " + visible);
  }
  return result;
}

}  // namespace cws::storage
