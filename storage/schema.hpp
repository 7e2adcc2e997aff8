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

// Ascending by version, starting at 1 without gaps.
const std::vector<migration>& migrations(sql_dialect dialect);

}  // namespace cws::storage
