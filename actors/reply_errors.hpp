// The errors actors answer with when a query cannot be answered: one wording
// per cause, wherever the cause is noticed (storage, query pool, session).
#pragma once

#include <caf/fwd.hpp>

#include "protocol/errors.hpp"

namespace cws::actors {

protocol::protocol_error query_timeout_error();
protocol::protocol_error database_unavailable_error();

// A request to another actor that failed: `timeout` when it ran out of time,
// `unavailable` otherwise (the actor is gone or failed).
protocol::protocol_error request_failure_error(const caf::error& error);

}  // namespace cws::actors
