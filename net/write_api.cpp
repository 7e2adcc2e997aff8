#include "net/write_api.hpp"

#include <boost/beast/http.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/metrics.hpp"
#include "net/http_routes.hpp"
#include "protocol/time.hpp"

namespace cws::net {

namespace http = boost::beast::http;

namespace {

// Time allowed for one write, waiting for a lock included (the storage
// actor's busy timeout is 5 s): past it the answer is 503.
constexpr std::chrono::seconds write_timeout{30};
// How long a committed write's answer waits for the change feed to read it.
constexpr std::chrono::seconds feed_sync_timeout{5};

http::response<http::string_body> to_response(const http::request<http::string_body>& request,
                                              const protocol::write_result& result) {
  auto response = make_response(request, static_cast<http::status>(protocol::http_status(result.status)),
                                "application/json", result.body);
  if (result.status == protocol::write_status::method_not_allowed) response.set(http::field::allow, result.allowed_methods);
  if (result.status == protocol::write_status::unauthorized) response.set(http::field::www_authenticate, "Bearer");
  return response;
}

}  // namespace

http::response<http::string_body> body_too_large_response(const http::request<http::string_body>& request) {
  auto response = to_response(request, protocol::body_too_large_result());
  response.keep_alive(false);  // the rest of the body was never read
  return response;
}

void answer_write_request(const http::request<http::string_body>& request, server_context& context,
                          write_responder respond) {
  auto& metrics = *context.services.session_services.metrics;
  auto refuse = [&](const protocol::write_result& result) {
    metrics.http_request("/api", static_cast<unsigned>(protocol::http_status(result.status)));
    respond(to_response(request, result));
  };
  if (auto refusal = protocol::check_admin_token(request[http::field::authorization], context.services.admin_token))
    return refuse(*refusal);
  if (!context.services.readiness->started)
    return refuse(protocol::write_error(protocol::write_status::unavailable, "unavailable", "",
                                        "the server is starting: try again shortly"));
  auto parsed = protocol::parse_write_request(request.method_string(), request.target(), request.body(),
                                              protocol::now_ms());
  if (auto result = std::get_if<protocol::write_result>(&parsed)) return refuse(*result);
  auto write = std::get<protocol::write_request>(std::move(parsed));
  // A short-lived actor carries the request to the writer and the answer
  // back, so that no network thread waits for the database.
  auto header = std::make_shared<http::request<http::string_body>>(request.base(), std::string{});
  header->version(request.version());
  auto metrics_pointer = context.services.session_services.metrics;
  context.services.system->spawn([writer = context.services.writer, feed = context.services.change_feed,
                                  write = std::move(write), header, metrics_pointer,
                                  respond = std::move(respond)](caf::event_based_actor* self) {
    auto answer = [=](const protocol::write_result& result) {
      metrics_pointer->http_request("/api", static_cast<unsigned>(protocol::http_status(result.status)));
      respond(to_response(*header, result));
    };
    self->request(writer, write_timeout, actors::write_atom::value, write)
        .then([self, feed, answer](protocol::write_result& result) {
                bool wrote = result.status == protocol::write_status::ok ||
                             result.status == protocol::write_status::created;
                if (!wrote) return answer(result);
                // Invariant: once the client has the answer, the change has
                // reached the cache, so its next get_filter_options sees it.
                self->request(feed, feed_sync_timeout, actors::sync_atom::value)
                    .then([answer, result](bool) { answer(result); },
                          [answer, result](caf::error&) { answer(result); });
              },
              [answer](caf::error&) {
                answer(protocol::write_error(protocol::write_status::unavailable, "unavailable", "",
                                             "the write did not finish in time; it may or may not have been applied"));
              });
  });
}

}  // namespace cws::net
