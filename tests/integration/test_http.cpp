// PROTOCOL.md, HTTP endpoints on the same port (health, readiness, metrics).
#include <sstream>

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
