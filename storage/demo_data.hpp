// Deterministic, realistic demo data.
#pragma once

#include <cstdint>

#include "storage/database.hpp"

namespace cws::storage {

struct demo_summary {
  std::int64_t customers = 0;
  std::int64_t conversations = 0;
  std::int64_t messages = 0;
};

// Writes `count` customers (ids after the highest existing one) with tags,
// conversations owned by a handful of users, and messages, in one
// transaction. The same `seed` and `count` on an empty database always give
// the same rows.
demo_summary write_demo_data(database& db, std::int64_t count, std::uint64_t seed);

}  // namespace cws::storage
