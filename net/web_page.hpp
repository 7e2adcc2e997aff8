// The browser page served at GET /: one self-contained HTML document that
// lists and filters customers through the WebSocket protocol
// (docs/protocol.md). Compiled in, so the binary stays the whole deployment.
#pragma once

#include <string_view>

namespace cws::net {

// The page: inline CSS and JavaScript, no external resources.
std::string_view web_page_html();

// Sent with the page: only its own inline style and script run, it loads
// nothing, and it may open WebSocket connections ('self' does not cover ws:
// and wss: in every browser, hence both schemes). It may not be framed.
inline constexpr std::string_view web_page_content_security_policy =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self' ws: wss:; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace cws::net
