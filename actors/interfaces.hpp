// Typed interfaces of every actor in the service: a message an actor does not
// handle is a compile error. Includes CAF, so only actors/ and the .cpp files
// that spawn or message actors include it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/change_event.hpp"
#include "protocol/errors.hpp"
#include "protocol/types.hpp"
#include "protocol/write_request.hpp"
#include "storage/customer_index.hpp"

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
using changes_atom = caf::atom_constant<caf::atom("changes")>;
using poll_atom = caf::atom_constant<caf::atom("poll")>;
using watch_atom = caf::atom_constant<caf::atom("watch")>;
using unwatch_atom = caf::atom_constant<caf::atom("unwatch")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using update_atom = caf::atom_constant<caf::atom("update")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using write_atom = caf::atom_constant<caf::atom("write")>;
using sync_atom = caf::atom_constant<caf::atom("sync")>;
using fetch_rows_atom = caf::atom_constant<caf::atom("fetchrows")>;
using select_atom = caf::atom_constant<caf::atom("select")>;
using load_atom = caf::atom_constant<caf::atom("load")>;
using remember_atom = caf::atom_constant<caf::atom("remember")>;

using steady_deadline = std::chrono::steady_clock::time_point;
using steady_time = std::chrono::steady_clock::time_point;

// Answers carry either the value or the protocol error to send, so that a
// failed query is an ordinary reply and CAF's own errors (a timeout of the
// request itself, a dead actor) stay distinct.
using page_reply = std::variant<protocol::customer_page, protocol::protocol_error>;
using options_reply = std::variant<protocol::filter_options, protocol::protocol_error>;
// The index's answer to a list query: which customers, in order, the rows of
// those it has cached (as the query's scope sees them; empty for the others),
// and the index's generation (how many changes it has taken in), which rows
// read for the others must be remembered with.
struct index_answer {
  storage::index_selection selection;
  std::vector<std::optional<protocol::customer_view>> rows;  // by position in selection.ids
  std::uint64_t generation = 0;
};
using selection_reply = std::variant<index_answer, protocol::protocol_error>;

// Owns one database connection; the only place where SOCI is called while the
// server runs. Spawned detached: its calls block. The write API's writes go to
// one storage actor of their own (SQLite has a single writer anyway), so that
// reads never queue behind them.
using storage_actor = caf::typed_actor<
    caf::replies_to<fetch_page_atom, protocol::list_query, protocol::viewer_scope,
                    steady_deadline>::with<page_reply>,
    caf::replies_to<fetch_rows_atom, std::vector<std::int64_t>, protocol::viewer_scope,
                    steady_deadline>::with<page_reply>,
    caf::replies_to<fetch_options_atom, protocol::viewer_scope>::with<options_reply>,
    caf::replies_to<users_atom, std::uint64_t>::with<std::vector<std::int64_t>>,
    caf::replies_to<health_atom>::with<bool>,
    caf::replies_to<migrate_atom>::with<std::int64_t>,
    caf::replies_to<demo_atom, std::int64_t, std::uint64_t>::with<std::int64_t>,
    caf::replies_to<write_atom, protocol::write_request>::with<protocol::write_result>>;

// Whatever can compute filter options: a storage actor (SQL) or the index.
using options_source =
    caf::typed_actor<caf::replies_to<fetch_options_atom, protocol::viewer_scope>::with<options_reply>>;

// Holds the in-memory customer index (storage/customer_index.hpp) and keeps
// it current: it hears every change event before anyone else (the change
// feed tells its listeners in order), so that a query asked after an event
// arrived sees the change (or "unavailable" while a failed reload waits for
// its retry). `load_atom` reads everything (answered with the
// number of customers); `select_atom` answers which customers a list query
// shows, with the rows it has cached (storage/row_cache.hpp); `remember_atom`
// brings rows read for everyone from storage, to cache unless a change came
// since the generation they were asked at; `poll_atom` retries a reload that
// failed.
using index_actor = caf::typed_actor<
    caf::replies_to<load_atom>::with<std::uint64_t>,
    caf::replies_to<select_atom, protocol::list_query, protocol::viewer_scope>::with<selection_reply>,
    caf::replies_to<fetch_options_atom, protocol::viewer_scope>::with<options_reply>,
    caf::reacts_to<remember_atom, std::vector<protocol::customer_view>, std::uint64_t>,
    caf::reacts_to<changes_atom, change_event>,
    caf::reacts_to<poll_atom>>;

// Runs list queries under the configured time limit and records their
// latency: through the index when there is one, else in SQL.
using query_actor =
    caf::typed_actor<caf::replies_to<list_atom, protocol::list_query, protocol::viewer_scope>::with<page_reply>>;

// Whatever must hear of committed changes (the change feed tells them).
using change_listener = caf::typed_actor<caf::reacts_to<changes_atom, change_event>>;

// Filter options per scope, computed once and shared by every session until a
// change reaches the scope.
using cache_actor = caf::typed_actor<
    caf::replies_to<options_atom, protocol::viewer_scope>::with<options_reply>,
    caf::replies_to<warm_atom, std::vector<protocol::viewer_scope>>::with<bool>,
    caf::reacts_to<changes_atom, change_event>>;

// The answer of one live query, serialised once and shared by every session
// watching that query.
struct live_list {
  std::string query_key;    // live_query_key of the query and scope
  std::string json;         // the customers_list push, "reason": "update"
  std::uint64_t fingerprint = 0;  // protocol::list_fingerprint of the answer
};
using live_list_pointer = std::shared_ptr<const live_list>;

// One per WebSocket connection. The connection hands it every frame; the
// session answers through its connection_link. `update_atom` brings a live
// query's new answer, `flush_atom` sends a push held back by the interval.
using session_actor = caf::typed_actor<caf::reacts_to<start_atom>,
                                       caf::reacts_to<frame_atom, std::string>,
                                       caf::reacts_to<binary_atom>,
                                       caf::reacts_to<closed_atom>,
                                       caf::reacts_to<update_atom, live_list_pointer>,
                                       caf::reacts_to<flush_atom>>;

// Groups the subscribed sessions by (scope, query), runs each group's query
// again when a change reaches its scope (at most once per live interval) and
// hands the answer to every member. `watch` carries when the session's query
// started, so that a change that arrived meanwhile is not missed. `run_atom`
// is its own timer.
using live_updates_actor = caf::typed_actor<
    caf::reacts_to<watch_atom, session_actor, protocol::list_query, protocol::viewer_scope, steady_time>,
    caf::reacts_to<unwatch_atom, session_actor>,
    caf::reacts_to<changes_atom, change_event>,
    caf::reacts_to<run_atom, std::string>>;

// Tails the change log and tells its listeners. `start_atom` connects, fixes
// the starting point (answered with the last change id before it) and starts
// polling; `sync_atom` reads what is committed right now and answers once the
// listeners have been told (false when the log cannot be read); `poll_atom` is
// its own timer.
using change_feed_actor = caf::typed_actor<caf::replies_to<start_atom>::with<std::int64_t>,
                                           caf::replies_to<sync_atom>::with<bool>,
                                           caf::reacts_to<poll_atom>>;

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
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cws::actors::selection_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<cws::protocol::customer_view>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<cws::protocol::viewer_scope>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cws::actors::live_list_pointer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cws::protocol::write_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cws::protocol::write_result)
