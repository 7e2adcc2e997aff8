// CLI.md: graceful stop on SIGTERM, and serve flags (--initial-list,
// --max-frame-bytes).
#include <signal.h>

#include "tests/integration/harness.hpp"

namespace cwsit {
namespace {

class Lifecycle : public ::testing::Test {};

TEST_F(Lifecycle, SigtermClosesWebSocketsWith1001AndExitsZero) {
  Server server("graceful", dataset_jsonl_path(), {});
  LogOnFailure log{server};
  const std::string err = server.start();
  ASSERT_TRUE(err.empty()) << err;
  Session a = open_session(server.port());
  Session b = open_session(server.port(), "/ws/customers?page=2");
  ASSERT_TRUE(a.error.empty() && b.error.empty());
  // b is in the middle of something.
  ASSERT_TRUE(b.ws->send_text(json{{"type", "ping"}}.dump()));
  server.send_signal(SIGTERM);
  for (Session* s : {&a, &b}) {
    WsEvent ev;
    for (int i = 0; i < 5; ++i) {  // skip answers still in flight (the pong)
      ev = s->ws->read(5000ms);
      if (ev.kind != WsEvent::Text) break;
    }
    EXPECT_EQ(ev.kind, WsEvent::Closed) << ev.describe();
    EXPECT_EQ(ev.close_code, 1001) << ev.describe();
  }
  const auto code = server.wait_exit(10000ms);
  ASSERT_TRUE(code.has_value()) << "still running 10 s after SIGTERM";
  EXPECT_EQ(*code, 0) << server.status_text();
  // And it no longer accepts connections.
  WsClient late;
  EXPECT_FALSE(late.connect(server.port()).empty());
}

TEST_F(Lifecycle, SigintAlsoStopsCleanly) {
  Server server("sigint", dataset_jsonl_path(), {});
  LogOnFailure log{server};
  const std::string err = server.start();
  ASSERT_TRUE(err.empty()) << err;
  Session a = open_session(server.port());
  server.send_signal(SIGINT);
  const WsEvent ev = a.ws->read(5000ms);
  EXPECT_EQ(ev.kind, WsEvent::Closed) << ev.describe();
  EXPECT_EQ(ev.close_code, 1001) << ev.describe();
  const auto code = server.wait_exit(10000ms);
  ASSERT_TRUE(code.has_value()) << "still running 10 s after SIGINT";
  EXPECT_EQ(*code, 0) << server.status_text();
}

TEST_F(Lifecycle, InitialListFalseAndMaxFrameBytes) {
  Server server("flags", dataset_jsonl_path(), {"--initial-list", "false", "--max-frame-bytes", "1024"});
  LogOnFailure log{server};
  const std::string err = server.start();
  ASSERT_TRUE(err.empty()) << err;
  {
    Session s = open_session(server.port(), "/ws/customers/", {}, /*initial_list=*/false);
    ASSERT_TRUE(s.error.empty());
    // The next message is the answer to our ping: no customers_list came first.
    const json r = s.request({{"type", "ping"}, {"request_id", 1}});
    EXPECT_EQ(r.value("type", ""), "pong") << shorten(r.dump());
    EXPECT_TRUE(ListMatchesFilters(s.request({{"type", "get_customers"}}), json::object()));
    // refresh without a previous list request: the default query.
    EXPECT_TRUE(ListMatchesFilters(s.request({{"type", "refresh_customers"}}), json::object()));

    const std::string head = R"({"type":"ping","request_id":"k")";
    const std::string ok = head + std::string(1024 - head.size() - 1, ' ') + "}";
    ASSERT_EQ(ok.size(), 1024u);
    ASSERT_TRUE(s.ws->send_text(ok));
    EXPECT_EQ(s.ws->recv().value("type", ""), "pong") << "a frame of exactly --max-frame-bytes is accepted";
    const std::string too_big = head + std::string(1025 - head.size() - 1, ' ') + "}";
    s.ws->send_raw_text_frame(too_big);
    const WsEvent ev = s.ws->read();
    EXPECT_EQ(ev.kind, WsEvent::Closed) << ev.describe();
    EXPECT_EQ(ev.close_code, 1009) << ev.describe();
  }
}

}  // namespace
}  // namespace cwsit
