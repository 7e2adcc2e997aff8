// The limit server: the ceiling of what the network path allows on this
// machine, for bench/run to express the real server's figures against.
//
//   limit_server --db sqlite:PATH [--port 0] [--io-threads N] [--query-actors N]
//                [--rate-limit R] [--rate-limit-burst B] [--max-frame-bytes N]
//                [--initial-list true|false] [--log-level info]
//
// It is the real server with the database taken out: the real net::server
// (Beast threads, HTTP routes, WebSocket sessions, write queues), real session
// actors (JSON parsing, validation, rate limiting, serialisation of every
// answer) and the real live-updates actor, on the same CAF scheduler. Only two
// actors are stand-ins: the query actors answer every list query at once with
// one canned page, and the cache answers get_filter_options with canned
// options. Both are read once at start from a real database (the default
// query's first page of 20 customers, and the unscoped filter options), so the
// answers have the size and content of real ones; the page keeps its
// total_count, so pagination looks real too.
//
// Left out: the database (no storage actors, no change feed: nothing ever
// changes, so no live push is sent), authentication (no --auth: every
// connection sees everything), and the write API (no admin token: /api/
// answers 403). It listens on 127.0.0.1 only and stops on SIGINT or SIGTERM.
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <caf/actor_cast.hpp>
#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "actors/interfaces.hpp"
#include "actors/live_updates_actor.hpp"
#include "actors/metrics.hpp"
#include "actors/readiness.hpp"
#include "actors/session_actor.hpp"
#include "net/server.hpp"
#include "protocol/request.hpp"
#include "storage/database.hpp"

using namespace cws;

namespace {

using canned_page = std::shared_ptr<const protocol::customer_page>;
using canned_options = std::shared_ptr<const protocol::filter_options>;

// A query actor that never asks a database.
actors::query_actor::behavior_type canned_query(actors::query_actor::pointer, canned_page page) {
  return {
      [page](actors::list_atom, protocol::list_query&, protocol::viewer_scope&) -> actors::page_reply {
        return *page;
      },
  };
}

// A filter-option cache that is always warm and never changes.
actors::cache_actor::behavior_type canned_cache(actors::cache_actor::pointer, canned_options options) {
  return {
      [options](actors::options_atom, const protocol::viewer_scope&) -> actors::options_reply { return *options; },
      [](actors::warm_atom, const std::vector<protocol::viewer_scope>&) { return true; },
      [](actors::changes_atom, const actors::change_event&) {},
  };
}

// --name value pairs; every name must be one of `defaults`.
std::map<std::string, std::string> parse_arguments(int argc, char** argv, std::map<std::string, std::string> values) {
  for (int index = 1; index < argc; index += 2) {
    std::string name = argv[index];
    if (name.rfind("--", 0) != 0 || !values.count(name.substr(2)))
      throw std::invalid_argument("unknown option '" + name + "'");
    if (index + 1 >= argc) throw std::invalid_argument(name + " needs a value");
    values[name.substr(2)] = argv[index + 1];
  }
  return values;
}

long integer(const std::map<std::string, std::string>& values, const std::string& name, long low, long high) {
  const auto& text = values.at(name);
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < low || value > high)
    throw std::invalid_argument("--" + name + ": '" + text + "' is not a whole number in " + std::to_string(low) +
                                ".." + std::to_string(high));
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cores = std::to_string(std::max(1u, std::thread::hardware_concurrency()));
  std::map<std::string, std::string> options;
  try {
    options = parse_arguments(argc, argv,
                              {{"db", ""}, {"port", "0"}, {"io-threads", cores}, {"query-actors", cores},
                               {"rate-limit", "200"}, {"rate-limit-burst", "1000"}, {"max-frame-bytes", "65536"},
                               {"initial-list", "true"}, {"log-level", "info"}});
    if (options["db"].empty()) throw std::invalid_argument("--db sqlite:PATH is required");
    if (options["initial-list"] != "true" && options["initial-list"] != "false")
      throw std::invalid_argument("--initial-list: true or false");
  } catch (const std::invalid_argument& error) {
    std::cerr << "limit_server: " << error.what() << "\n";
    return 2;
  }

  auto logger = spdlog::stderr_color_mt("limit-server");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(options["log-level"]));

  actors::session_settings sessions;  // auth none, default time limit and live interval, like serve
  net::server_settings network;
  std::size_t query_actors = 1;
  try {
    sessions.initial_list = options["initial-list"] == "true";
    sessions.rate_limit_per_second = static_cast<double>(integer(options, "rate-limit", 1, 1'000'000));
    sessions.rate_limit_burst = static_cast<double>(integer(options, "rate-limit-burst", 1, 1'000'000));
    network.bind_address = "127.0.0.1";
    network.port = static_cast<std::uint16_t>(integer(options, "port", 0, 65535));
    network.io_threads = static_cast<std::size_t>(integer(options, "io-threads", 1, 256));
    network.max_frame_bytes = static_cast<std::size_t>(integer(options, "max-frame-bytes", 128, 64 << 20));
    query_actors = static_cast<std::size_t>(integer(options, "query-actors", 1, 64));
  } catch (const std::invalid_argument& error) {
    std::cerr << "limit_server: " << error.what() << "\n";
    return 2;
  }

  // The canned answers: what a real server sends for the default query and
  // for get_filter_options, read once.
  canned_page page;
  canned_options filter_options;
  try {
    storage::database_options read_only;
    read_only.create_if_missing = false;
    storage::database db{storage::parse_database_url(options["db"]), read_only};
    std::vector<std::string> warnings;
    protocol::connection_defaults defaults;
    defaults.page_size = protocol::default_page_size;
    auto parsed = protocol::parse_filters("{}", defaults, warnings);
    auto query = std::get<protocol::list_query>(parsed);
    page = std::make_shared<protocol::customer_page>(db.fetch_customers(query, protocol::viewer_scope{}));
    filter_options = std::make_shared<protocol::filter_options>(db.fetch_filter_options(protocol::viewer_scope{}));
  } catch (const std::exception& error) {
    spdlog::error("cannot read the canned answers: {}", error.what());
    return 1;
  }
  spdlog::info("canned answers: a page of {} customers of {}, filter options with {} tags", page->customers.size(),
               page->total_count, filter_options->tags.size());

  caf::actor_system_config config;
  caf::actor_system system{config};
  auto metrics = std::make_shared<actors::service_metrics>();
  auto readiness = std::make_shared<actors::readiness>();
  auto factory = [&system, page] { return caf::actor_cast<caf::actor>(system.spawn(canned_query, page)); };
  auto queries = caf::actor_cast<actors::query_actor>(
      caf::actor_pool::make(system.dummy_execution_unit(), query_actors, factory, caf::actor_pool::round_robin()));
  auto cache = system.spawn(canned_cache, filter_options);
  actors::live_updates_settings live{sessions.live_min_interval, sessions.query_timeout};
  auto live_updates = actors::spawn_live_updates_actor(system, queries, live, metrics);
  auto stop_actors = [&] {
    for (auto actor : {caf::actor_cast<caf::actor>(queries), caf::actor_cast<caf::actor>(cache),
                       caf::actor_cast<caf::actor>(live_updates)})
      caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  };

  std::unique_ptr<net::server> server;
  try {
    // No writer, no change feed, no admin token: the write API answers 403.
    net::server_services services{&system, sessions, {queries, cache, live_updates, metrics}, readiness, {}, {}, ""};
    server = std::make_unique<net::server>(network, services);
    server->start();
  } catch (const std::exception& error) {
    spdlog::error("cannot start: {}", error.what());
    stop_actors();
    return 1;
  }
  readiness->database_reachable = true;
  readiness->cache_warm = true;
  readiness->started = true;
  spdlog::info("ready: listening on {}:{} (ws://{}:{}/ws/customers/, canned answers)", network.bind_address,
               server->port(), network.bind_address, server->port());
  server->wait_for_stop_request();
  spdlog::info("stopping: closing connections");
  server->shut_down();
  stop_actors();
  spdlog::info("stopped");
  return 0;
}
