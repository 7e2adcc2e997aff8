#include "app/commands.hpp"

#include <fstream>
#include <iostream>
#include <limits>
#include <set>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "actors/cache_actor.hpp"
#include "actors/change_feed_actor.hpp"
#include "actors/index_actor.hpp"
#include "actors/live_updates_actor.hpp"
#include "actors/metrics.hpp"
#include "actors/query_actor.hpp"
#include "actors/readiness_monitor.hpp"
#include "actors/session_actor.hpp"
#include "actors/storage_actor.hpp"
#include "app/options.hpp"
#include "net/server.hpp"
#include "storage/database.hpp"
#include "storage/demo_data.hpp"
#include "storage/import.hpp"

namespace cws::app {

namespace {

constexpr const char* default_config_file = "conf/customer-ws.conf";

std::string cores() { return std::to_string(std::max(1u, std::thread::hardware_concurrency())); }

option_spec database_option() {
  return {"db", "sqlite:data/customers.db",
          "database URL: sqlite:PATH or postgresql://USER:PASSWORD@HOST:PORT/DBNAME"};
}

std::vector<option_spec> serve_options() {
  return {
      database_option(),
      {"bind", "127.0.0.1", "listen address"},
      {"port", "8000", "listen port (0 picks a free one)"},
      {"demo", "0", "when the database holds no customer, first write this many demo customers"},
      {"seed", "42", "seed of the demo data"},
      {"auth", "none", "authentication: none or jwt"},
      {"jwt-secret", "", "HS256 key of the tokens, required with --auth jwt"},
      {"initial-list", "true", "send a customers_list right after connection_established", true},
      {"admin-token", "", "bearer token of the write API; without it the write API answers 403"},
      {"live-min-interval-ms", "250", "least time between two live pushes to one connection"},
      {"query-timeout-ms", "10000", "a list query that takes longer is answered with error code timeout"},
      {"max-frame-bytes", "65536", "larger incoming frames close the connection with 1009"},
      {"rate-limit", "200", "requests per second one connection may send (sustained)"},
      {"rate-limit-burst", "1000", "requests one connection may send at once"},
      {"warm-users", "all",
       "with --auth jwt: warm the filter options of every user with conversations ('all') or of this many "
       "(most conversations first)"},
      {"change-poll-interval-ms", "20", "how often the change feed asks the database whether another connection wrote"},
      {"change-log-retention-s", "3600", "change-log rows older than this are deleted"},
      {"query-engine", "index",
       "index: answer list queries and filter options from an in-memory index kept current by the change feed; "
       "sql: run them in the database"},
      {"io-threads", cores(), "network threads"},
      {"db-connections", cores(), "database connections for queries (one storage actor each)"},
      {"log-level", "info", "trace, debug, info, warn, error or off"},
  };
}

std::vector<option_spec> import_options() { return {database_option()}; }

std::vector<option_spec> demo_options() { return {database_option(), {"seed", "42", "seed of the demo data"}}; }

std::vector<option_spec> migrate_options() { return {database_option()}; }

void set_up_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("customer-ws");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") throw option_error("--log-level: '" + level + "' is unknown");
  spdlog::set_level(parsed);
}

storage::database_location database_from(const option_values& options) {
  try {
    return storage::parse_database_url(options.text("db"));
  } catch (const std::invalid_argument& error) {
    throw option_error(std::string{"--db: "} + error.what());
  }
}

// ---- serve -------------------------------------------------------------------

// The reason an actor gave, without CAF's rendering around it.
std::string describe(caf::actor_system& system, const caf::error& error) {
  const auto& context = error.context();
  if (context.match_elements<std::string>()) return context.get_as<std::string>(0);
  return system.render(error);
}

// Sends one start-up request and waits for it; an error stops the start.
template <class Reply, class Handle, class... Arguments>
Reply ask(caf::scoped_actor& self, const Handle& actor, Arguments&&... arguments) {
  Reply reply{};
  std::string failure;
  self->request(actor, caf::infinite, std::forward<Arguments>(arguments)...)
      .receive([&](Reply& value) { reply = std::move(value); },
               [&](caf::error& error) { failure = describe(self->system(), error); });
  if (!failure.empty()) throw std::runtime_error(failure);
  return reply;
}

int serve(const option_values& options) {
  set_up_logging(options.text("log-level"));
  auto location = database_from(options);
  actors::session_settings sessions;
  auto auth = options.choice("auth", {"none", "jwt"});
  sessions.auth = auth == "jwt" ? actors::auth_mode::jwt : actors::auth_mode::none;
  sessions.jwt_secret = options.text("jwt-secret");
  if (sessions.auth == actors::auth_mode::jwt && sessions.jwt_secret.empty())
    throw option_error("--auth jwt needs --jwt-secret");
  sessions.initial_list = options.boolean("initial-list");
  sessions.query_timeout = std::chrono::milliseconds{options.integer("query-timeout-ms", 1, 3'600'000)};
  sessions.rate_limit_per_second = static_cast<double>(options.integer("rate-limit", 1, 1'000'000));
  sessions.rate_limit_burst = static_cast<double>(options.integer("rate-limit-burst", 1, 1'000'000));
  net::server_settings network;
  network.bind_address = options.text("bind");
  network.port = static_cast<std::uint16_t>(options.integer("port", 0, 65535));
  network.io_threads = static_cast<std::size_t>(options.integer("io-threads", 1, 256));
  network.max_frame_bytes = static_cast<std::size_t>(options.integer("max-frame-bytes", 128, 64 << 20));
  sessions.live_min_interval = std::chrono::milliseconds{options.integer("live-min-interval-ms", 0, 3'600'000)};
  actors::live_updates_settings live{sessions.live_min_interval, sessions.query_timeout};
  actors::change_feed_settings feed;
  feed.poll_interval = std::chrono::milliseconds{options.integer("change-poll-interval-ms", 1, 60'000)};
  feed.retention = std::chrono::seconds{options.integer("change-log-retention-s", 60, 365 * 86'400)};
  auto demo_count = options.integer("demo", 0, 100'000'000);
  auto demo_seed = static_cast<std::uint64_t>(options.integer("seed", 0, INT64_MAX));
  auto connections = static_cast<std::size_t>(options.integer("db-connections", 1, 64));
  // Live re-runs leave one query connection to the requests agents wait for
  // (with a single connection they take turns with them).
  live.max_concurrent_runs = std::max<std::size_t>(1, connections - 1);
  const bool use_index = options.choice("query-engine", {"index", "sql"}) == "index";
  auto warm_users = options.text("warm-users") == "all"
                        ? std::numeric_limits<std::uint64_t>::max()
                        : static_cast<std::uint64_t>(options.integer("warm-users", 0, 100'000'000));

  caf::actor_system_config config;
  caf::actor_system system{config};
  auto metrics = std::make_shared<actors::service_metrics>();
  auto readiness = std::make_shared<actors::readiness>();
  auto storage = actors::spawn_storage_pool(system, location, connections);
  // Its own connection, so a slow user query never delays the health check.
  auto health_storage = actors::spawn_storage_actor(system, location);
  actors::index_actor index;
  if (use_index) index = actors::spawn_index_actor(system, location, metrics);
  auto queries = actors::spawn_query_pool(system, storage, index, actors::query_settings{sessions.query_timeout},
                                          metrics, connections);
  // The write API's own connection: a write never waits behind reads.
  auto writer = actors::spawn_storage_actor(system, location);
  auto options_cache = use_index ? actors::spawn_cache_actor(system, index, metrics)
                                 : actors::spawn_cache_actor(system, storage, metrics);
  auto live_updates = actors::spawn_live_updates_actor(system, queries, live, metrics);
  // Idle until started below, once the schema is migrated.
  // The index hears each change first: a query that anyone asks after
  // hearing of a change then waits in the index's mailbox behind it.
  std::vector<actors::change_listener> listeners{options_cache, live_updates};
  if (use_index) listeners.insert(listeners.begin(), index);
  auto change_feed = actors::spawn_change_feed(system, location, feed, listeners, metrics);
  auto stop_actors = [&] {
    for (auto actor : {caf::actor_cast<caf::actor>(storage), caf::actor_cast<caf::actor>(health_storage),
                       caf::actor_cast<caf::actor>(queries), caf::actor_cast<caf::actor>(options_cache),
                       caf::actor_cast<caf::actor>(live_updates), caf::actor_cast<caf::actor>(change_feed),
                       caf::actor_cast<caf::actor>(writer), caf::actor_cast<caf::actor>(index)})
      if (actor) caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  };

  std::unique_ptr<net::server> server;
  caf::actor monitor;
  try {
    net::server_services services{&system, sessions, {queries, options_cache, live_updates, metrics}, readiness,
                                  writer, change_feed, options.text("admin-token")};
    server = std::make_unique<net::server>(network, services);
    server->start();
    caf::scoped_actor self{system};
    auto version = ask<std::int64_t>(self, health_storage, actors::migrate_atom::value);
    spdlog::info("database schema at version {}", version);
    monitor = caf::actor_cast<caf::actor>(
        actors::spawn_readiness_monitor(system, health_storage, readiness, std::chrono::seconds{2}));
    if (demo_count > 0) {
      auto written = ask<std::int64_t>(self, health_storage, actors::demo_atom::value, demo_count, demo_seed);
      if (written > 0) spdlog::info("wrote {} demo customers (seed {})", written, demo_seed);
    }
    // From here on every committed change reaches the cache and the live
    // updates, so the warm answers below cannot miss one.
    ask<std::int64_t>(self, change_feed, actors::start_atom::value);
    if (use_index) {
      auto load_started = std::chrono::steady_clock::now();
      auto customers = ask<std::uint64_t>(self, index, actors::load_atom::value);
      spdlog::info("index: {} customers loaded in {} ms", customers,
                   std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - load_started).count());
    }
    std::vector<protocol::viewer_scope> scopes{protocol::viewer_scope{}};
    if (sessions.auth == actors::auth_mode::jwt && warm_users > 0)
      for (auto user : ask<std::vector<std::int64_t>>(self, health_storage, actors::users_atom::value, warm_users))
        scopes.push_back(protocol::viewer_scope{user});
    auto warm_started = std::chrono::steady_clock::now();
    if (!ask<bool>(self, options_cache, actors::warm_atom::value, scopes))
      throw std::runtime_error("the filter options could not be computed");
    readiness->cache_warm = true;
    readiness->started = true;
    spdlog::info("filter options warm for {} scope(s) in {} ms", scopes.size(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - warm_started).count());
  } catch (const std::exception& error) {
    spdlog::error("cannot start: {}", error.what());
    if (server) server->shut_down();
    if (monitor) caf::anon_send_exit(monitor, caf::exit_reason::user_shutdown);
    stop_actors();
    return 1;
  }
  spdlog::info("ready: listening on {}:{} (ws://{}:{}/ws/customers/)", network.bind_address, server->port(),
               network.bind_address, server->port());
  server->wait_for_stop_request();
  spdlog::info("stopping: closing connections");
  server->shut_down();
  {
    // The writer answers in mailbox order: once this reply arrives, every
    // write accepted before the shutdown has committed.
    caf::scoped_actor self{system};
    self->request(writer, std::chrono::seconds{30}, actors::health_atom::value).receive([](bool) {}, [](caf::error&) {});
  }
  caf::anon_send_exit(monitor, caf::exit_reason::user_shutdown);
  stop_actors();
  spdlog::info("stopped");
  return 0;
}

// ---- import, demo, migrate -------------------------------------------------
// One-shot commands: no actor system, the storage functions are called
// directly on this thread's own connection.

int import_file(const option_values& options) {
  if (options.positional.size() != 1) throw option_error("import takes one FILE ('-' reads standard input)");
  auto location = database_from(options);
  const auto& path = options.positional.front();
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) throw option_error("cannot read " + path);
  }
  storage::database db{location};
  db.migrate();
  auto report = storage::import_json_lines(db, path == "-" ? std::cin : file);
  if (!report.committed()) {
    for (const auto& problem : report.problems)
      std::cerr << path << ":" << problem.line << ": " << problem.message << "\n";
    if (report.problem_count > static_cast<std::int64_t>(report.problems.size()))
      std::cerr << "... and " << report.problem_count - static_cast<std::int64_t>(report.problems.size())
                << " more problems\n";
    std::cerr << "import failed: " << report.problem_count << " bad line(s) in " << report.lines
              << " line(s); nothing was written\n";
    return 1;
  }
  std::cout << "imported " << report.lines << " line(s): " << report.customers << " customers, " << report.tags
            << " tags, " << report.conversations << " conversations, " << report.messages << " messages\n";
  return 0;
}

int write_demo(const option_values& options) {
  if (options.positional.size() != 1) throw option_error("demo takes the number of customers N");
  std::int64_t count = 0;
  try {
    std::size_t used = 0;
    count = std::stoll(options.positional.front(), &used);
    if (used != options.positional.front().size() || count < 1) throw std::invalid_argument("");
  } catch (const std::exception&) {
    throw option_error("demo: N must be a whole number >= 1, not '" + options.positional.front() + "'");
  }
  auto location = database_from(options);
  auto seed = static_cast<std::uint64_t>(options.integer("seed", 0, INT64_MAX));
  storage::database db{location};
  db.migrate();
  auto started = std::chrono::steady_clock::now();
  auto summary = storage::write_demo_data(db, count, seed);
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "wrote " << summary.customers << " customers, " << summary.conversations << " conversations, "
            << summary.messages << " messages in " << took << " s (seed " << seed << ")\n";
  return 0;
}

int migrate(const option_values& options) {
  storage::database db{database_from(options)};
  auto before = db.schema_version();
  db.migrate();
  std::cout << "schema at version " << db.schema_version() << " (was " << before << ")\n";
  return 0;
}

struct subcommand {
  std::string name;
  std::string synopsis;
  std::string summary;
  std::vector<option_spec> (*options)();
  int (*run)(const option_values&);
};

const std::vector<subcommand>& subcommands() {
  static const std::vector<subcommand> all{
      {"serve", "customer-ws serve [options]", "Runs the service.", serve_options, serve},
      {"import", "customer-ws import [--db URL] FILE",
       "Loads a JSON Lines file of customers ('-' reads standard input): all or nothing, upsert by id.",
       import_options, import_file},
      {"demo", "customer-ws demo [--db URL] [--seed S] N",
       "Writes N realistic demo customers, the same ones for the same seed.", demo_options, write_demo},
      {"migrate", "customer-ws migrate [--db URL]", "Creates or upgrades the schema, then exits.", migrate_options,
       migrate},
  };
  return all;
}

std::string overview() {
  std::string text = "usage: customer-ws COMMAND [options]\n\ncommands:\n";
  for (const auto& command : subcommands()) text += "  " + command.synopsis + "\n";
  text += "\n'customer-ws COMMAND --help' lists the options of a command.\n";
  return text;
}

}  // namespace

int run_command_line(int argc, char** argv) {
  std::vector<std::string> arguments(argv + 1, argv + argc);
  if (arguments.empty() || arguments.front() == "--help" || arguments.front() == "-h" ||
      arguments.front() == "help") {
    std::cout << overview();
    return arguments.empty() ? 2 : 0;
  }
  auto found = std::find_if(subcommands().begin(), subcommands().end(),
                            [&](const subcommand& command) { return command.name == arguments.front(); });
  if (found == subcommands().end()) {
    std::cerr << "customer-ws: unknown command '" << arguments.front() << "'\n" << overview();
    return 2;
  }
  arguments.erase(arguments.begin());
  try {
    auto specs = found->options();
    std::set<std::string> known_keys;
    for (const auto& command : subcommands())
      for (const auto& spec : command.options()) known_keys.insert(spec.name);
    auto options = parse_options(arguments, specs, default_config_file, known_keys);
    if (options.help_requested) {
      std::cout << usage(found->synopsis, found->summary, specs);
      return 0;
    }
    if (found->name != "import" && found->name != "demo" && !options.positional.empty())
      throw option_error("unexpected argument '" + options.positional.front() + "'");
    return found->run(options);
  } catch (const option_error& error) {
    std::cerr << "customer-ws " << found->name << ": " << error.what() << "\n";
    return 2;
  } catch (const storage::storage_error& error) {
    std::cerr << "customer-ws " << found->name << ": " << error.what() << "\n";
    return 1;
  } catch (const std::exception& error) {
    std::cerr << "customer-ws " << found->name << ": " << error.what() << "\n";
    return 1;
  }
}

}  // namespace cws::app
