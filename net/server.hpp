// The network front: one listening port for the WebSocket endpoint and the
// HTTP routes. Boost.Beast stays inside net/*.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/metrics.hpp"
#include "actors/readiness.hpp"
#include "actors/session_actor.hpp"

namespace cws::net {

struct server_settings {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 8000;  // 0 picks a free port; port() tells which
  std::size_t io_threads = 1;
  std::size_t max_frame_bytes = 65'536;
  // A client that stops reading is closed once this much is waiting for it.
  std::size_t max_queued_bytes = 8 << 20;
};

struct server_services {
  caf::actor_system* system = nullptr;
  actors::session_settings sessions;
  actors::session_services session_services;  // its metrics serve the network layer too
  std::shared_ptr<actors::readiness> readiness;
  // The write API: the storage actor that runs the writes, and the bearer
  // token it asks for (empty: the write API answers 403).
  actors::storage_actor writer;
  // Told after each write, so that its answer leaves only once the cache and
  // the live updates have heard of the change.
  actors::change_feed_actor change_feed;
  std::string admin_token;
};

class server {
 public:
  // Binds and listens; throws std::runtime_error with a one-line reason.
  server(server_settings settings, server_services services);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  std::uint16_t port() const;

  // Runs the network threads; returns at once.
  void start();
  // Blocks until SIGINT or SIGTERM (or shut_down()).
  void wait_for_stop_request();
  // Stops accepting, closes every WebSocket with 1001 (going away), waits a
  // bounded time for the closes to go out, then stops the network threads.
  void shut_down();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace cws::net
