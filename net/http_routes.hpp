// Plain HTTP requests on the service port: the web page, health, readiness,
// metrics.
// Internal to net/: includes Beast.
#pragma once

#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/string_body.hpp>

#include "net/server_context.hpp"

namespace cws::net {

// True for the WebSocket endpoint's path (with or without the trailing slash).
bool is_websocket_path(std::string_view target);

// The path of a request target, without its query string.
std::string_view path_of(std::string_view target);

// A complete answer to `request` (keep-alive as the request asked; no body
// for HEAD).
boost::beast::http::response<boost::beast::http::string_body> make_response(
    const boost::beast::http::request<boost::beast::http::string_body>& request, boost::beast::http::status status,
    std::string_view content_type, std::string body);

boost::beast::http::message_generator answer_http_request(
    const boost::beast::http::request<boost::beast::http::string_body>& request, server_context& context);

}  // namespace cws::net
