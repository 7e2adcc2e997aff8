#include "net/websocket_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/metrics.hpp"
#include "protocol/request.hpp"

namespace cws::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;

namespace {

// The session actor's way back to this connection. Holds it weakly: a
// connection that is gone simply drops what is sent to it.
class websocket_link final : public actors::connection_link {
 public:
  explicit websocket_link(std::weak_ptr<websocket_session> session) : session_(std::move(session)) {}
  void send_text(std::string frame) override {
    if (auto session = session_.lock()) session->post_text(std::move(frame), false);
  }
  void send_update(std::string frame) override {
    if (auto session = session_.lock()) session->post_text(std::move(frame), true);
  }
  void close(std::uint16_t code, std::string reason) override {
    if (auto session = session_.lock()) session->post_close(code, std::move(reason));
  }

 private:
  std::weak_ptr<websocket_session> session_;
};

std::optional<std::string> bearer_token(const http::request<http::string_body>& request) {
  auto header = request[http::field::authorization];
  constexpr std::string_view prefix = "Bearer ";
  if (header.size() <= prefix.size() || !beast::iequals(header.substr(0, prefix.size()), prefix))
    return std::nullopt;
  return std::string{header.substr(prefix.size())};
}

}  // namespace

websocket_session::websocket_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<server_context> context)
    : stream_(std::move(socket)), context_(std::move(context)) {}

websocket_session::~websocket_session() {
  context_->websockets.remove(this);
  if (!accepted_) return;
  context_->services.session_services.metrics->connection_closed();
  caf::anon_send(actor_, actors::closed_atom::value);
}

void websocket_session::run(http::request<http::string_body> request) {
  upgrade_request_ = std::move(request);
  stream_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  stream_.read_message_max(context_->settings.max_frame_bytes);
  // One frame per message: Beast would otherwise split answers into 4 KiB
  // fragments, which is legal but trips simple clients.
  stream_.auto_fragment(false);
  stream_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(http::field::server, "customer-ws"); }));
  stream_.async_accept(upgrade_request_, beast::bind_front_handler(&websocket_session::on_accept, shared_from_this()));
}

void websocket_session::on_accept(beast::error_code error) {
  if (error) return;  // the client went away during the handshake
  accepted_ = true;
  context_->websockets.add(shared_from_this());
  context_->services.session_services.metrics->connection_opened();

  auto target = std::string_view{upgrade_request_.target()};
  auto question_mark = target.find('?');
  actors::connection_request request;
  if (question_mark != std::string_view::npos)
    request.parameters = protocol::parse_connection_parameters(target.substr(question_mark + 1));
  request.bearer_token = bearer_token(upgrade_request_);
  upgrade_request_ = {};  // not needed any more

  auto link = std::make_shared<websocket_link>(weak_from_this());
  actor_ = actors::spawn_session_actor(*context_->services.system, std::move(link), std::move(request),
                                       context_->services.sessions, context_->services.session_services);
  caf::anon_send(actor_, actors::start_atom::value);
  if (context_->stopping) request_close(static_cast<std::uint16_t>(websocket::close_code::going_away), "server shutting down");
  read_next();
}

void websocket_session::read_next() {
  stream_.async_read(buffer_, beast::bind_front_handler(&websocket_session::on_read, shared_from_this()));
}

void websocket_session::on_read(beast::error_code error, std::size_t) {
  // Beast has already answered a too-large message with close code 1009,
  // and invalid UTF-8 in a text frame with 1007 (RFC 6455 requires both).
  if (error) return;
  if (stream_.got_text())
    caf::anon_send(actor_, actors::frame_atom::value, beast::buffers_to_string(buffer_.data()));
  else
    caf::anon_send(actor_, actors::binary_atom::value);
  buffer_.consume(buffer_.size());
  read_next();
}

void websocket_session::post_text(std::string frame, bool replaceable) {
  boost::asio::post(stream_.get_executor(), [self = shared_from_this(), frame = std::move(frame), replaceable]() mutable {
    self->enqueue(std::move(frame), replaceable);
  });
}

void websocket_session::post_close(std::uint16_t code, std::string reason) {
  boost::asio::post(stream_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
    self->request_close(code, std::move(reason));
  });
}

void websocket_session::enqueue(std::string frame, bool replaceable) {
  if (closing_ || close_after_writes_) return;
  queue_.push(std::move(frame), replaceable);
  if (queue_.bytes() > context_->settings.max_queued_bytes) {
    // The client stopped reading. A close frame could not get past the
    // stalled writes either, so the connection is dropped.
    spdlog::warn("closing a WebSocket connection that stopped reading ({} bytes waiting)", queue_.bytes());
    drop();
    return;
  }
  if (!queue_.writing()) write_next();
}

void websocket_session::write_next() {
  stream_.text(true);
  stream_.async_write(boost::asio::buffer(queue_.start_write()),
                      beast::bind_front_handler(&websocket_session::on_write, shared_from_this()));
}

void websocket_session::on_write(beast::error_code error, std::size_t) {
  queue_.finish_write();
  if (error) {
    queue_.clear();
    return;  // the read loop sees the failure too and ends the connection
  }
  if (!queue_.empty()) {
    write_next();
  } else if (close_after_writes_) {
    auto reason = *close_after_writes_;
    close_after_writes_.reset();
    closing_ = true;
    stream_.async_close(reason, [self = shared_from_this()](beast::error_code) {});
  }
}

void websocket_session::request_close(std::uint16_t code, std::string reason) {
  if (closing_ || close_after_writes_ || !accepted_) return;
  websocket::close_reason close_reason{static_cast<websocket::close_code>(code), reason};
  if (queue_.writing()) {
    close_after_writes_ = close_reason;  // queued frames go out first
    return;
  }
  closing_ = true;
  stream_.async_close(close_reason, [self = shared_from_this()](beast::error_code) {});
}

void websocket_session::drop() {
  closing_ = true;
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(stream_).socket().close(ignored);
}

}  // namespace cws::net
