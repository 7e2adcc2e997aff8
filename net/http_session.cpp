#include "net/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "actors/metrics.hpp"
#include "net/http_routes.hpp"
#include "net/websocket_session.hpp"
#include "net/write_api.hpp"
#include "protocol/write_request.hpp"

namespace cws::net {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {
// A request body larger than this is refused (413); the write API's limit
// is the largest any route needs.
constexpr std::uint64_t max_request_body_bytes = protocol::max_write_body_bytes;
constexpr std::chrono::seconds request_timeout{30};
}  // namespace

http_session::http_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<server_context> context)
    : stream_(std::move(socket)), context_(std::move(context)) {}

void http_session::run() {
  boost::asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&http_session::read_next, shared_from_this()));
}

void http_session::read_next() {
  parser_.emplace();
  parser_->body_limit(max_request_body_bytes);
  stream_.expires_after(request_timeout);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code error, std::size_t) {
  if (error == http::error::end_of_stream) return close();
  if (error == http::error::body_limit) {
    auto response = body_too_large_response(parser_->get());
    return send(http::message_generator{std::move(response)}, false);
  }
  if (error) return;  // timeout or a broken request: drop the connection
  auto request = parser_->release();
  if (beast::websocket::is_upgrade(request)) {
    if (is_websocket_path(request.target()) && !context_->stopping && context_->services.readiness->started) {
      stream_.expires_never();  // the WebSocket sets its own timeouts
      std::make_shared<websocket_session>(stream_.release_socket(), context_)->run(std::move(request));
      return;
    }
  }
  if (protocol::is_write_api_path(request.target())) {
    // Counted until its answer is written (or the connection is gone).
    ++context_->writes_in_flight;
    std::shared_ptr<void> in_flight(nullptr, [context = context_](void*) { --context->writes_in_flight; });
    // The answer may come from an actor thread: it hops onto this stream's
    // executor before it is written.
    answer_write_request(request, *context_,
                         [self = shared_from_this(), in_flight](http::response<http::string_body> response) mutable {
                           // Moved on: whoever keeps this callback no longer counts as in flight.
                           boost::asio::post(self->stream_.get_executor(),
                                             [self, in_flight = std::move(in_flight),
                                              response = std::move(response)]() mutable {
                                               bool keep_alive = response.keep_alive();
                                               self->answer_in_flight_ = std::move(in_flight);
                                               self->send(http::message_generator{std::move(response)}, keep_alive);
                                             });
                         });
    return;
  }
  auto message = answer_http_request(request, *context_);
  bool keep_alive = message.keep_alive();
  send(std::move(message), keep_alive);
}

void http_session::send(http::message_generator message, bool keep_alive) {
  keep_alive = keep_alive && !context_->stopping;
  // The read's deadline may have passed while a write waited for the
  // database; the answer gets a deadline of its own.
  stream_.expires_after(request_timeout);
  beast::async_write(stream_, std::move(message),
                     beast::bind_front_handler(&http_session::on_write, shared_from_this(), keep_alive));
}

void http_session::on_write(bool keep_alive, beast::error_code error, std::size_t) {
  answer_in_flight_.reset();
  if (error) return;
  if (!keep_alive) return close();
  read_next();
}

void http_session::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace cws::net
