// One plain HTTP connection: answers requests in a keep-alive loop and hands
// the socket to a websocket_session when a request asks for the upgrade.
// Internal to net/: includes Beast.
#pragma once

#include <memory>
#include <optional>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "net/server_context.hpp"

namespace cws::net {

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<server_context> context);
  void run();

 private:
  void read_next();
  void on_read(boost::beast::error_code error, std::size_t bytes);
  void send(boost::beast::http::message_generator message, bool keep_alive);
  void on_write(bool keep_alive, boost::beast::error_code error, std::size_t bytes);
  void close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<server_context> context_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  // Held while a write-API answer is being written (see writes_in_flight).
  std::shared_ptr<void> answer_in_flight_;
};

}  // namespace cws::net
