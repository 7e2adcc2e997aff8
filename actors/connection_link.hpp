// What a session actor needs from its network connection. Implemented in net/
// by the WebSocket connection; kept free of Beast and CAF so both sides can
// include it cheaply.
#pragma once

#include <cstdint>
#include <string>

namespace cws::actors {

class connection_link {
 public:
  virtual ~connection_link() = default;
  // Queues a text frame. Thread-safe; frames leave in the order queued.
  virtual void send_text(std::string frame) = 0;
  // Queues a live update. A newer update replaces one still waiting in the
  // queue, so a client that stops reading holds at most one unsent update.
  virtual void send_update(std::string frame) = 0;
  // Closes the WebSocket with `code` after the frames already queued.
  virtual void close(std::uint16_t code, std::string reason) = 0;
};

}  // namespace cws::actors
