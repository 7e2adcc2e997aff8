#include "protocol/errors.hpp"

namespace cws::protocol {

std::string_view to_string(error_code code) {
  switch (code) {
    case error_code::invalid_json: return "invalid_json";
    case error_code::invalid_message: return "invalid_message";
    case error_code::unknown_type: return "unknown_type";
    case error_code::invalid_filter: return "invalid_filter";
    case error_code::timeout: return "timeout";
    case error_code::rate_limited: return "rate_limited";
    case error_code::unavailable: return "unavailable";
    case error_code::internal: return "internal";
  }
  return "internal";
}

}  // namespace cws::protocol
