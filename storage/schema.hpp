// The versioned schema: each migration is a list of statements (one SQL
// statement each) that database::migrate applies in its own transaction.
#pragma once

#include <string>
#include <vector>

#include "storage/sql_builder.hpp"

namespace cws::storage {

struct migration {
  int version = 0;
  std::string description;
  std::vector<std::string> statements;
};

// The current time as stored (milliseconds since the epoch), in SQL, for
// rows that triggers write.
inline constexpr const char* sql_now_ms = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

// Ascending by version, starting at 1 without gaps.
const std::vector<migration>& migrations(sql_dialect dialect);

}  // namespace cws::storage
