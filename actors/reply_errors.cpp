#include "actors/reply_errors.hpp"

#include <caf/error.hpp>
#include <caf/sec.hpp>

namespace cws::actors {

protocol::protocol_error query_timeout_error() {
  return {protocol::error_code::timeout, "the query took longer than the configured limit"};
}

protocol::protocol_error database_unavailable_error() {
  return {protocol::error_code::unavailable, "the database cannot be reached right now"};
}

protocol::protocol_error request_failure_error(const caf::error& error) {
  return error == caf::sec::request_timeout ? query_timeout_error() : database_unavailable_error();
}

}  // namespace cws::actors
