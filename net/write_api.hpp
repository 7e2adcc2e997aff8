// The write API's HTTP side (docs/api.md): the admin token, then routing and
// validation (protocol/write_request.hpp), then the write itself on the
// writer storage actor. Internal to net/: includes Beast.
#pragma once

#include <functional>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "net/server_context.hpp"

namespace cws::net {

using write_responder = std::function<void(boost::beast::http::response<boost::beast::http::string_body>)>;

// Answers a request whose path is under /api. `respond` is called exactly
// once, on the calling thread when the request is refused before the write,
// else on an actor thread: it must hop to the connection's strand itself.
void answer_write_request(const boost::beast::http::request<boost::beast::http::string_body>& request,
                          server_context& context, write_responder respond);

// The answer to a request whose body is over the limit (413).
boost::beast::http::response<boost::beast::http::string_body> body_too_large_response(
    const boost::beast::http::request<boost::beast::http::string_body>& request);

}  // namespace cws::net
