// Shared by the storage tests: temporary database files, and a raw SQLite
// connection that plays "another program writing the same file".
#pragma once

#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "storage/database.hpp"

namespace cws::storage::testing {

// A fresh folder under the system's temp folder, removed at the end.
class temp_folder {
 public:
  temp_folder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cws-storage-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_folder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_folder(const temp_folder&) = delete;
  temp_folder& operator=(const temp_folder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A migrated database in its own temp file.
struct temp_database {
  temp_folder folder;
  std::string file = (folder.path() / "test.db").string();
  database db{database_location{backend::sqlite, file}};
  temp_database() { db.migrate(); }
};

using raw_value = std::variant<std::nullptr_t, std::int64_t, std::string>;

// A plain sqlite3 connection, without the service's functions.
class raw_connection {
 public:
  explicit raw_connection(const std::string& file) {
    if (sqlite3_open(file.c_str(), &handle_) != SQLITE_OK) throw std::runtime_error("sqlite3_open failed");
    sqlite3_busy_timeout(handle_, 5000);
    exec("PRAGMA foreign_keys=ON");
  }
  ~raw_connection() { sqlite3_close(handle_); }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  void exec(const std::string& sql, const std::vector<raw_value>& values = {}) { rows(sql, values); }

  std::vector<std::vector<raw_value>> rows(const std::string& sql, const std::vector<raw_value>& values = {}) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(handle_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK)
      throw std::runtime_error("prepare: " + std::string(sqlite3_errmsg(handle_)) + " in " + sql);
    for (std::size_t index = 0; index < values.size(); ++index) {
      const int position = static_cast<int>(index + 1);
      if (const auto* integer = std::get_if<std::int64_t>(&values[index]))
        sqlite3_bind_int64(statement, position, *integer);
      else if (const auto* text = std::get_if<std::string>(&values[index]))
        sqlite3_bind_text(statement, position, text->c_str(), static_cast<int>(text->size()), SQLITE_TRANSIENT);
      else
        sqlite3_bind_null(statement, position);
    }
    std::vector<std::vector<raw_value>> result;
    int status;
    while ((status = sqlite3_step(statement)) == SQLITE_ROW) {
      std::vector<raw_value> row;
      for (int column = 0; column < sqlite3_column_count(statement); ++column) {
        switch (sqlite3_column_type(statement, column)) {
          case SQLITE_NULL: row.emplace_back(nullptr); break;
          case SQLITE_INTEGER: row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(statement, column))); break;
          default:
            row.emplace_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(statement, column)),
                                         static_cast<std::size_t>(sqlite3_column_bytes(statement, column))));
        }
      }
      result.push_back(std::move(row));
    }
    const std::string error = sqlite3_errmsg(handle_);
    sqlite3_finalize(statement);
    if (status != SQLITE_DONE) throw std::runtime_error("step: " + error + " in " + sql);
    return result;
  }

  std::optional<std::int64_t> integer(const std::string& sql, const std::vector<raw_value>& values = {}) {
    const auto result = rows(sql, values);
    if (result.empty() || result[0].empty()) throw std::runtime_error("no row: " + sql);
    if (const auto* value = std::get_if<std::int64_t>(&result[0][0])) return *value;
    return std::nullopt;
  }

 private:
  sqlite3* handle_ = nullptr;
};

inline raw_value optional_value(const std::optional<std::string>& text) {
  if (text) return *text;
  return nullptr;
}
inline raw_value optional_value(const std::optional<std::int64_t>& number) {
  if (number) return *number;
  return nullptr;
}

}  // namespace cws::storage::testing
