// PROTOCOL.md, HTTP endpoints on the same port (the web page, health,
// readiness, metrics).
#include <sstream>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "tests/integration/harness.hpp"

namespace cwsit {
namespace {

class Http : public MainServerTest {};

TEST_F(Http, HealthzIs200) {
  const auto r = http_get(port(), "/healthz");
  EXPECT_EQ(r.status, 200) << r.error << r.body;
}

TEST_F(Http, ReadyzIs200WhenReady) {
  const auto r = http_get(port(), "/readyz");
  EXPECT_EQ(r.status, 200) << r.error << r.body;
}

// One request written and read byte for byte (Connection: close, read until
// the server closes): unlike http_get it shows every header, and for HEAD
// whether anything follows the headers.
struct RawAnswer {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
  std::string error;
  // The value of the first header `name` (case-insensitive), "" when absent.
  std::string header(std::string name) const {
    auto lower = [](std::string s) {
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    name = lower(name) + ":";
    std::istringstream in(head);
    std::string line;
    while (std::getline(in, line)) {
      if (lower(line.substr(0, name.size())) != name) continue;
      auto value = line.substr(name.size());
      value.erase(0, value.find_first_not_of(' '));
      if (!value.empty() && value.back() == '\r') value.pop_back();
      return value;
    }
    return "";
  }
};

RawAnswer raw_request(int port, const std::string& method, const std::string& target) {
  namespace asio = boost::asio;
  RawAnswer out;
  asio::io_context ioc;
  boost::beast::tcp_stream stream(ioc);
  stream.expires_after(kReadTimeout);  // one deadline for connect, write and read
  const std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  std::string data;
  boost::system::error_code error;
  stream.async_connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)},
                       [&](boost::system::error_code ec) {
                         if (ec) return void(error = ec);
                         asio::async_write(stream, asio::buffer(request), [&](boost::system::error_code ec, std::size_t) {
                           if (ec) return void(error = ec);
                           asio::async_read(stream, asio::dynamic_buffer(data),
                                            [&](boost::system::error_code ec, std::size_t) { error = ec; });
                         });
                       });
  ioc.run();
  if (error && error != asio::error::eof) out.error = error.message();
  const auto end = data.find("\r\n\r\n");
  if (end == std::string::npos || data.rfind("HTTP/1.1 ", 0) != 0) {
    out.error += " no complete answer: " + shorten(data, 300);
    return out;
  }
  out.head = data.substr(0, end);
  out.body = data.substr(end + 4);
  out.status = std::stoi(data.substr(9, 3));
  return out;
}

// GET / is a page that lists customers through the WebSocket protocol: it
// must name the endpoint and the requests it uses, carry a CSP that lets only
// its own inline code run, and never turn server text into markup.
TEST_F(Http, RootServesTheWebPage) {
  for (const char* target : {"/", "/index.html", "/?token=x"}) {
    SCOPED_TRACE(target);
    const auto r = http_get(port(), target);
    ASSERT_EQ(r.status, 200) << r.error << shorten(r.body, 300);
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(r.body.rfind("<!doctype html>", 0), 0u) << shorten(r.body, 300);
    for (const char* needle : {"/ws/customers/", "filter_customers", "get_filter_options", "subscribe", "unsubscribe",
                               "request_id", "?token="})
      EXPECT_NE(r.body.find(needle), std::string::npos) << "the page lacks " << needle;
    EXPECT_EQ(r.body.find("innerHTML"), std::string::npos);
    EXPECT_EQ(r.body.find("src="), std::string::npos) << "the page loads nothing from elsewhere";
  }

  const auto get = raw_request(port(), "GET", "/");
  ASSERT_EQ(get.status, 200) << get.error << get.head;
  const auto csp = get.header("Content-Security-Policy");
  for (const char* directive : {"default-src 'none'", "script-src 'unsafe-inline'", "style-src 'unsafe-inline'",
                                "connect-src 'self' ws: wss:", "frame-ancestors 'none'"})
    EXPECT_NE(csp.find(directive), std::string::npos) << directive << " missing from: " << csp;
  EXPECT_EQ(get.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(get.header("Cache-Control"), "no-store");
  EXPECT_EQ(get.header("Content-Length"), std::to_string(get.body.size()));

  const auto head = raw_request(port(), "HEAD", "/");
  ASSERT_EQ(head.status, 200) << head.error << head.head;
  EXPECT_EQ(head.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(head.header("Content-Length"), std::to_string(get.body.size()));
  EXPECT_EQ(head.header("Content-Security-Policy"), csp);
  EXPECT_EQ(head.body, "") << "HEAD has no body";

  for (const char* method : {"POST", "PUT", "DELETE"}) {
    const auto other = raw_request(port(), method, "/");
    EXPECT_EQ(other.status, 405) << method << ": " << other.error << other.head;
    EXPECT_EQ(other.header("Allow"), "GET, HEAD") << method;
  }

  const auto metrics = http_get(port(), "/metrics");
  EXPECT_NE(metrics.body.find("route=\"/\",status=\"200\""), std::string::npos) << shorten(metrics.body, 3000);
  EXPECT_NE(metrics.body.find("route=\"/\",status=\"405\""), std::string::npos) << shorten(metrics.body, 3000);
}

TEST_F(Http, UnknownPathIs404) {
  for (const char* target : {"/nope", "/apix", "/metricsx", "/ws/other/"}) {
    const auto r = http_get(port(), target);
    EXPECT_EQ(r.status, 404) << target << ": " << r.error << shorten(r.body, 300);
  }
  // Under /api the token comes first: without an admin token configured the
  // whole write API, unknown paths included, answers 403.
  EXPECT_EQ(http_get(port(), "/api/nothing").status, 403);
}

// name{labels} -> value, for every sample of a counter (from "# TYPE x counter").
std::map<std::string, double> counters(const std::string& text) {
  std::set<std::string> names;
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> samples;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream l(line.substr(7));
      std::string name, type;
      l >> name >> type;
      if (type == "counter") names.insert(name);
    } else if (!line.empty() && line[0] != '#') {
      samples.push_back(line);
    }
  }
  for (const auto& s : samples) {
    std::string series, rest;
    const auto close = s.rfind('}');
    if (s.find('{') != std::string::npos && close != std::string::npos) {
      series = s.substr(0, close + 1);
      rest = s.substr(close + 1);
    } else {
      const auto sp = s.find(' ');
      if (sp == std::string::npos) continue;
      series = s.substr(0, sp);
      rest = s.substr(sp);
    }
    std::istringstream r(rest);
    std::string value;
    r >> value;  // a timestamp may follow
    const std::string name = series.substr(0, series.find('{'));
    std::string base = name;
    if (base.size() > 6 && base.compare(base.size() - 6, 6, "_total") == 0) base = base.substr(0, base.size() - 6);
    if (!names.count(name) && !names.count(base)) continue;
    try {
      out[series] = std::stod(value);
    } catch (...) {
    }
  }
  return out;
}

// The endpoint exists, but speaks WebSocket: a plain GET learns how to
// reach it instead of being told that nothing is there.
TEST_F(Http, PlainGetOfTheWebSocketPathAsksForAnUpgrade) {
  for (const char* target : {"/ws/customers/", "/ws/customers"}) {
    SCOPED_TRACE(target);
    const auto r = http_get(port(), target);
    EXPECT_EQ(r.status, 426);
  }
}

TEST_F(Http, MetricsArePrometheusTextWithGrowingCounters) {
  const auto before = http_get(port(), "/metrics");
  ASSERT_EQ(before.status, 200) << before.error;
  EXPECT_NE(before.body.find("# TYPE "), std::string::npos) << shorten(before.body, 1000);
  EXPECT_EQ(before.content_type.rfind("text/plain", 0), 0u) << "Content-Type: " << before.content_type;
  const auto c0 = counters(before.body);
  EXPECT_FALSE(c0.empty()) << "no counter in /metrics:\n" << shorten(before.body, 3000);

  {
    Session s = open_session(port());
    for (int i = 0; i < 3; ++i) s.request({{"type", "get_customers"}, {"filters", {{"page", i + 1}}}});
    s.request({{"type", "ping"}});
    s.request({{"type", "get_filter_options"}});
    s.request({{"type", "get_customers"}, {"filters", {{"page", 0}}}});
    s.ws->close();
  }
  const auto after = http_get(port(), "/metrics");
  ASSERT_EQ(after.status, 200) << after.error;
  const auto c1 = counters(after.body);
  std::vector<std::string> grown;
  for (const auto& [series, v] : c1) {
    auto it = c0.find(series);
    if (it == c0.end() ? v > 0 : v > it->second) grown.push_back(series);
  }
  EXPECT_FALSE(grown.empty()) << "no counter grew after WebSocket requests; counters now:\n" << shorten(after.body, 3000);
}

}  // namespace
}  // namespace cwsit
