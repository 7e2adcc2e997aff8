// Verification of the HS256 tokens issued by djangorestframework-simplejwt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/types.hpp"

namespace cws::protocol {

struct authentication_failure {
  std::string error_code;  // "AUTH_REQUIRED" (no token) or "INVALID_TOKEN"
  std::string message;
};

// The user a token names, or why it is refused: missing (empty token),
// malformed, not HS256, wrongly signed, expired at `now` (`exp` is required),
// or without a usable `user_id` (an integer, or a string of digits).
std::variant<std::int64_t, authentication_failure> verify_token(std::string_view token,
                                                                std::string_view secret,
                                                                timestamp_ms now);

}  // namespace cws::protocol
