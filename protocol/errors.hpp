// Error codes of the protocol's `error` message (PROTOCOL.md, Responses).
#pragma once

#include <string>
#include <string_view>

namespace cws::protocol {

enum class error_code {
  invalid_json,
  invalid_message,
  unknown_type,
  invalid_filter,
  timeout,
  rate_limited,
  unavailable,
  internal,
};

// The wire name, e.g. "invalid_filter".
std::string_view to_string(error_code code);

struct protocol_error {
  error_code code = error_code::internal;
  std::string message;
};

}  // namespace cws::protocol
