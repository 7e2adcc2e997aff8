#include "net/http_routes.hpp"

#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "actors/metrics.hpp"
#include "net/web_page.hpp"

namespace cws::net {

namespace http = boost::beast::http;

http::response<http::string_body> make_response(const http::request<http::string_body>& request, http::status status,
                                                std::string_view content_type, std::string body) {
  http::response<http::string_body> response{status, request.version()};
  response.set(http::field::server, "customer-ws");
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = request.method() == http::verb::head ? std::string{} : std::move(body);
  response.prepare_payload();
  if (request.method() == http::verb::head) response.content_length(body.size());
  return response;
}

namespace {

std::string json_error(std::string_view message) { return nlohmann::json{{"error", message}}.dump(); }

}  // namespace

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

bool is_websocket_path(std::string_view target) {
  auto path = path_of(target);
  return path == "/ws/customers/" || path == "/ws/customers";
}

http::message_generator answer_http_request(const http::request<http::string_body>& request, server_context& context) {
  auto path = path_of(request.target());
  auto& metrics = *context.services.session_services.metrics;
  auto reply = [&](std::string_view route, http::status status, std::string_view type, std::string body) {
    metrics.http_request(route, static_cast<unsigned>(status));
    return http::message_generator{make_response(request, status, type, std::move(body))};
  };
  if (is_websocket_path(path) && !context.services.readiness->started) {
    auto response = make_response(request, http::status::service_unavailable, "application/json",
                                  json_error("the server is starting: try again shortly"));
    response.set(http::field::retry_after, "1");
    metrics.http_request("/ws/customers/", 503);
    return http::message_generator{std::move(response)};
  }
  if (is_websocket_path(path)) {
    auto response = make_response(request, http::status::upgrade_required, "application/json",
                                  json_error("this endpoint speaks WebSocket: send an upgrade request"));
    response.set(http::field::upgrade, "websocket");
    metrics.http_request("/ws/customers/", 426);
    return http::message_generator{std::move(response)};
  }
  bool page = path == "/" || path == "/index.html";
  bool known = page || path == "/healthz" || path == "/readyz" || path == "/metrics";
  if (!known) return reply("not_found", http::status::not_found, "application/json", json_error("not found"));
  std::string_view route = page ? "/" : path;
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    auto response = make_response(request, http::status::method_not_allowed, "application/json",
                                  json_error("only GET and HEAD are allowed here"));
    response.set(http::field::allow, "GET, HEAD");
    metrics.http_request(route, 405);
    return http::message_generator{std::move(response)};
  }
  if (page) {
    auto response =
        make_response(request, http::status::ok, "text/html; charset=utf-8", std::string{web_page_html()});
    response.set("Content-Security-Policy", web_page_content_security_policy);
    response.set("X-Content-Type-Options", "nosniff");
    response.set("Referrer-Policy", "no-referrer");
    metrics.http_request(route, 200);
    return http::message_generator{std::move(response)};
  }
  if (path == "/healthz") return reply(path, http::status::ok, "application/json", R"({"status":"ok"})");
  if (path == "/readyz") {
    const auto& flags = *context.services.readiness;
    nlohmann::json body{{"ready", flags.ready()},
                        {"database_reachable", flags.database_reachable.load()},
                        {"cache_warm", flags.cache_warm.load()}};
    return reply(path, flags.ready() ? http::status::ok : http::status::service_unavailable, "application/json",
                 body.dump());
  }
  return reply(path, http::status::ok, "text/plain; version=0.0.4; charset=utf-8", metrics.render());
}

}  // namespace cws::net
