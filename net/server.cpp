#include "net/server.hpp"

#include <condition_variable>
#include <stdexcept>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "net/http_session.hpp"
#include "net/server_context.hpp"
#include "net/websocket_session.hpp"

namespace cws::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// ---- websocket_registry ----------------------------------------------------

void websocket_registry::add(const std::shared_ptr<websocket_session>& session) {
  std::lock_guard lock{mutex_};
  sessions_.emplace(session.get(), session);
}

void websocket_registry::remove(const websocket_session* session) {
  std::lock_guard lock{mutex_};
  sessions_.erase(session);
}

std::vector<std::shared_ptr<websocket_session>> websocket_registry::snapshot() {
  std::lock_guard lock{mutex_};
  std::vector<std::shared_ptr<websocket_session>> alive;
  for (auto& [key, weak] : sessions_)
    if (auto session = weak.lock()) alive.push_back(std::move(session));
  return alive;
}

std::size_t websocket_registry::size() {
  std::lock_guard lock{mutex_};
  return sessions_.size();
}

// ---- listener --------------------------------------------------------------

namespace {

// Accepts connections; each gets its own strand so its handlers never run
// concurrently, whatever the number of network threads.
class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(asio::io_context& io, tcp::endpoint endpoint, std::shared_ptr<server_context> context)
      : io_(io), acceptor_(asio::make_strand(io)), context_(std::move(context)) {
    boost::system::error_code error;
    acceptor_.open(endpoint.protocol(), error);
    if (!error) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
    if (!error) acceptor_.bind(endpoint, error);
    if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
    // on_accept takes the connections already waiting without blocking.
    if (!error) acceptor_.non_blocking(true, error);
    if (error)
      throw std::runtime_error("cannot listen on " + endpoint.address().to_string() + ":" +
                               std::to_string(endpoint.port()) + ": " + error.message());
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void start() { accept_next(); }

  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void accept_next() {
    acceptor_.async_accept(asio::make_strand(io_),
                           boost::beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }

  void on_accept(boost::system::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
    // Other errors (e.g. out of file descriptors) concern one connection only.
    if (!error) serve(std::move(socket));
    // One accept per pass through a long queue of handlers admitted about 70
    // connections a second under load; take those already waiting, a
    // bounded number at a time so that reads and writes keep their turn.
    for (int taken = 0; taken < accepts_per_pass && acceptor_.is_open(); ++taken) {
      tcp::socket waiting(asio::make_strand(io_));
      boost::system::error_code none_waiting;
      acceptor_.accept(waiting, none_waiting);
      if (none_waiting) break;  // would_block, or an error the next async_accept meets too
      serve(std::move(waiting));
    }
    accept_next();
  }

  void serve(tcp::socket socket) {
    // Answers are written whole and at once; without this, Nagle's
    // algorithm holds the tail of every multi-segment answer until the
    // client's delayed ACK (about 40 ms).
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<http_session>(std::move(socket), context_)->run();
  }

  static constexpr int accepts_per_pass = 64;

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::shared_ptr<server_context> context_;
};

// How long a shutdown waits for the WebSocket closes to go out.
constexpr std::chrono::seconds close_grace{5};
// As long as the write API waits for one write (net/write_api.cpp), and a little more.
constexpr std::chrono::seconds write_answer_grace{35};

}  // namespace

// ---- server ----------------------------------------------------------------

struct server::impl {
  asio::io_context io;
  std::shared_ptr<server_context> context = std::make_shared<server_context>();
  std::shared_ptr<listener> acceptor;
  asio::signal_set signals{io, SIGINT, SIGTERM};
  std::vector<std::thread> threads;
  std::mutex stop_mutex;
  std::condition_variable stop_signalled;
  bool stop_wanted = false;

  explicit impl(std::size_t threads_hint) : io(static_cast<int>(threads_hint)) {}

  void request_stop() {
    {
      std::lock_guard lock{stop_mutex};
      stop_wanted = true;
    }
    stop_signalled.notify_all();
  }
};

server::server(server_settings settings, server_services services)
    : impl_(std::make_unique<impl>(std::max<std::size_t>(1, settings.io_threads))) {
  impl_->context->settings = std::move(settings);
  impl_->context->services = std::move(services);
  boost::system::error_code error;
  auto address = asio::ip::make_address(impl_->context->settings.bind_address, error);
  if (error) throw std::runtime_error("invalid --bind address '" + impl_->context->settings.bind_address + "'");
  impl_->acceptor = std::make_shared<listener>(impl_->io, tcp::endpoint{address, impl_->context->settings.port},
                                               impl_->context);
  impl_->signals.async_wait([this](boost::system::error_code error, int) {
    if (!error) impl_->request_stop();
  });
}

server::~server() {
  if (!impl_->threads.empty()) shut_down();
}

std::uint16_t server::port() const { return impl_->acceptor->port(); }

void server::start() {
  impl_->acceptor->start();
  for (std::size_t i = 0; i < std::max<std::size_t>(1, impl_->context->settings.io_threads); ++i)
    impl_->threads.emplace_back([this] { impl_->io.run(); });
}

void server::wait_for_stop_request() {
  std::unique_lock lock{impl_->stop_mutex};
  impl_->stop_signalled.wait(lock, [this] { return impl_->stop_wanted; });
}

void server::shut_down() {
  impl_->request_stop();
  impl_->context->stopping = true;
  impl_->acceptor->stop();
  for (auto& session : impl_->context->websockets.snapshot())
    session->post_close(static_cast<std::uint16_t>(boost::beast::websocket::close_code::going_away),
                        "server shutting down");
  auto give_up = std::chrono::steady_clock::now() + close_grace;
  while (impl_->context->websockets.size() > 0 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // Writes already handed to the writer commit whatever happens; wait (as
  // long as a write may take) until their answers are written too.
  give_up = std::chrono::steady_clock::now() + write_answer_grace;
  while (impl_->context->writes_in_flight > 0 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  impl_->io.stop();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

}  // namespace cws::net
