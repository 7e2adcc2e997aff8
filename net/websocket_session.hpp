// One WebSocket connection: owns the stream, runs one read loop, and keeps
// one write queue (Beast allows a single outstanding write per stream).
// Internal to net/: includes Beast.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "actors/interfaces.hpp"
#include "net/server_context.hpp"
#include "net/write_queue.hpp"

namespace cws::net {

class websocket_session : public std::enable_shared_from_this<websocket_session> {
 public:
  websocket_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<server_context> context);
  ~websocket_session();

  // Completes the upgrade that `request` asked for, then starts reading.
  void run(boost::beast::http::request<boost::beast::http::string_body> request);

  // Thread-safe: both hop onto the connection's strand. A `replaceable`
  // frame (a live update) gives way to a newer one while it waits.
  void post_text(std::string frame, bool replaceable);
  void post_close(std::uint16_t code, std::string reason);

 private:
  void on_accept(boost::beast::error_code error);
  void read_next();
  void on_read(boost::beast::error_code error, std::size_t bytes);
  void enqueue(std::string frame, bool replaceable);
  void write_next();
  void on_write(boost::beast::error_code error, std::size_t bytes);
  void request_close(std::uint16_t code, std::string reason);
  void drop();

  boost::beast::websocket::stream<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<server_context> context_;
  boost::beast::http::request<boost::beast::http::string_body> upgrade_request_;
  actors::session_actor actor_;
  bool accepted_ = false;
  // Once `closing_` is set nothing more is queued.
  write_queue queue_;
  bool closing_ = false;
  std::optional<boost::beast::websocket::close_reason> close_after_writes_;
};

}  // namespace cws::net
