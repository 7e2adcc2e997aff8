// The HTTP write API's writes (docs/api.md): each validated request runs as
// one transaction and is answered with the rows as stored. SOCI stays out of
// this header.
#pragma once

#include "protocol/write_request.hpp"
#include "storage/database.hpp"

namespace cws::storage {

// Runs `request` in one write transaction on `db` and returns the answer to
// send: 200/201 with the stored rows (protocol/write_response.hpp), or 404
// not_found (a row the request names is missing), 409 conflict (the id
// exists, the tag name is taken), 503 unavailable (the database is locked or
// unreachable), 500 internal. On any error nothing is written. Never throws.
//
// The derived values (unread counts, last messages, last activity, the change
// log) are kept by the schema's triggers; on top of them a new message moves
// its conversation's updated_at up to its created_at, and a reply (an agent
// message or an AI response) marks every unanswered customer message of its
// conversation answered, in the same transaction.
protocol::write_result apply_write(database& db, const protocol::write_request& request);

}  // namespace cws::storage
