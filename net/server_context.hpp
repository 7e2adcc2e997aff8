// State shared by the listener and every connection of one server.
// Internal to net/: includes Beast.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <map>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "net/server.hpp"

namespace cws::net {

class websocket_session;

// Invariant: holds every WebSocket session between its accept and its
// destruction, so a shutdown can reach each of them.
class websocket_registry {
 public:
  void add(const std::shared_ptr<websocket_session>& session);
  void remove(const websocket_session* session);
  std::vector<std::shared_ptr<websocket_session>> snapshot();
  std::size_t size();

 private:
  std::mutex mutex_;
  std::map<const websocket_session*, std::weak_ptr<websocket_session>> sessions_;
};

struct server_context {
  server_settings settings;
  server_services services;
  websocket_registry websockets;
  std::atomic<bool> stopping{false};
  // Write-API requests handed to the writer whose answer is not written yet;
  // a shutdown waits for them, so that a committed write is also answered.
  std::atomic<int> writes_in_flight{0};
};

}  // namespace cws::net
