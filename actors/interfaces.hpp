// Typed interfaces of every actor in the service: a message an actor does not
// handle is a compile error. Includes CAF, so only actors/ and the .cpp files
// that spawn or message actors include it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "protocol/errors.hpp"
#include "protocol/types.hpp"

namespace cws::actors {

// Atom names are at most 10 characters in CAF 0.17.
using fetch_page_atom = caf::atom_constant<caf::atom("fetchpage")>;
using fetch_options_atom = caf::atom_constant<caf::atom("fetchopts")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using options_atom = caf::atom_constant<caf::atom("options")>;
using warm_atom = caf::atom_constant<caf::atom("warm")>;
using health_atom = caf::atom_constant<caf::atom("health")>;
using check_atom = caf::atom_constant<caf::atom("check")>;
using migrate_atom = caf::atom_constant<caf::atom("migrate")>;
using demo_atom = caf::atom_constant<caf::atom("demo")>;
using users_atom = caf::atom_constant<caf::atom("users")>;
using frame_atom = caf::atom_constant<caf::atom("frame")>;
using binary_atom = caf::atom_constant<caf::atom("binary")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using start_atom = caf::atom_constant<caf::atom("start")>;

using steady_deadline = std::chrono::steady_clock::time_point;

// Answers carry either the value or the protocol error to send, so that a
// failed query is an ordinary reply and CAF's own errors (a timeout of the
// request itself, a dead actor) stay distinct.
using page_reply = std::variant<protocol::customer_page, protocol::protocol_error>;
using options_reply = std::variant<protocol::filter_options, protocol::protocol_error>;

// Owns one database connection; the only place where SOCI is called while the
// server runs. Spawned detached: its calls block.
using storage_actor = caf::typed_actor<
    caf::replies_to<fetch_page_atom, protocol::list_query, protocol::viewer_scope,
                    steady_deadline>::with<page_reply>,
    caf::replies_to<fetch_options_atom, protocol::viewer_scope>::with<options_reply>,
    caf::replies_to<users_atom, std::uint64_t>::with<std::vector<std::int64_t>>,
    caf::replies_to<health_atom>::with<bool>,
    caf::replies_to<migrate_atom>::with<std::int64_t>,
    caf::replies_to<demo_atom, std::int64_t, std::uint64_t>::with<std::int64_t>>;

// Runs list queries under the configured time limit and records their
// latency. The future home of an in-memory index.
using query_actor =
    caf::typed_actor<caf::replies_to<list_atom, protocol::list_query, protocol::viewer_scope>::with<page_reply>>;

// Filter options per scope, computed once and shared by every session.
using cache_actor = caf::typed_actor<
    caf::replies_to<options_atom, protocol::viewer_scope>::with<options_reply>,
    caf::replies_to<warm_atom, std::vector<protocol::viewer_scope>>::with<bool>>;

// One per WebSocket connection. The connection hands it every frame; the
// session answers through its connection_link.
using session_actor = caf::typed_actor<caf::reacts_to<start_atom>,
                                       caf::reacts_to<frame_atom, std::string>,
                                       caf::reacts_to<binary_atom>,
                                       caf::reacts_to<closed_atom>>;

// Keeps the readiness flags current by asking storage now and then.
using readiness_monitor_actor = caf::typed_actor<caf::reacts_to<check_atom>>;

}  // namespace cws::actors

// These types never leave the process (change events, which will cross nodes,
// get `inspect` overloads of their own), so CAF need not serialise them.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cws::protocol::list_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cws::protocol::viewer_scope)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cws::actors::steady_deadline)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cws::actors::page_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cws::actors::options_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<cws::protocol::viewer_scope>)
