// Serialisation of the server's messages (PROTOCOL.md, Responses).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/errors.hpp"
#include "protocol/types.hpp"

namespace cws::protocol {

std::string connection_established_json(timestamp_ms now);

enum class list_reason { request, update };

// A customers_list. `reason == update` adds "reason":"update" (live pushes,
// which never carry a request_id).
std::string customers_list_json(const list_query& query, const customer_page& page,
                                const std::vector<std::string>& warnings,
                                const std::optional<request_id>& id, timestamp_ms now,
                                list_reason reason = list_reason::request);

// A digest of what a customers_list for this answer says (customers,
// pagination, filters), leaving out what changes between two sends of the
// same answer (timestamp, request_id, warnings). Live updates push only when
// it differs from the last list sent.
std::uint64_t list_fingerprint(const list_query& query, const customer_page& page);

std::string filter_options_json(const filter_options& options, const std::optional<request_id>& id,
                                timestamp_ms now);

std::string error_json(const protocol_error& error, const std::optional<request_id>& id,
                       timestamp_ms now);

std::string pong_json(const std::optional<request_id>& id, timestamp_ms now);

std::string subscription_json(bool live, const std::optional<request_id>& id, timestamp_ms now);

// error_code is "AUTH_REQUIRED" or "INVALID_TOKEN".
std::string authentication_error_json(std::string_view error_code, std::string_view message,
                                      timestamp_ms now);

}  // namespace cws::protocol
