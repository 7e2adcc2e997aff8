// Loading JSON Lines files (DATA.md, Import format).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace cws::storage {

struct import_problem {
  std::int64_t line = 0;  // 1-based
  std::string message;
};

struct import_report {
  std::int64_t lines = 0;  // non-blank lines read
  std::int64_t customers = 0;
  std::int64_t tags = 0;
  std::int64_t conversations = 0;
  std::int64_t messages = 0;
  std::vector<import_problem> problems;  // the first `max_reported_problems`
  std::int64_t problem_count = 0;        // all of them
  bool committed() const { return problem_count == 0; }
};

// Streams `input` line by line into `db` in one transaction: when any line
// is bad nothing is written, and the report names the bad lines. Re-importing
// the same file leaves the database as it was (upsert by id).
import_report import_json_lines(database& db, std::istream& input,
                                std::size_t max_reported_problems = 100);

}  // namespace cws::storage
