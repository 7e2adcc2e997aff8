// Integration test harness: runs the real customer-ws binary and talks to it
// through real sockets. Kept free of Beast/Asio so that the test files compile
// quickly; harness.cpp holds the heavy parts.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/types.h>

#include "tests/integration/reference.hpp"

#ifndef CWS_BINARY
#define CWS_BINARY "build/customer-ws"
#endif

namespace cwsit {

using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr auto kReadTimeout = 5000ms;

// ---- files and processes --------------------------------------------------------

// A per-run temporary directory (created on first use, removed at exit when
// every test passed).
const std::string& temp_root();
// A fresh directory under temp_root().
std::string make_temp_dir(const std::string& prefix);
void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  int signal = 0;
  bool timed_out = false;
  std::string output;  // stdout and stderr together
};

// Runs CWS_BINARY with `args`, in `cwd` (a temp dir, so that no configuration
// file is picked up), with the CUSTOMER_WS_* environment removed.
ProcessResult run_binary(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 60000ms,
                         const std::string& stdin_path = "", const std::string& cwd = "");

// ---- a server under test ---------------------------------------------------------

class Server {
 public:
  // `jsonl`: the data to import first (empty: import nothing). `db_url`:
  // empty for DIR/test.db in the server's own temp dir.
  Server(std::string name, std::string jsonl, std::vector<std::string> extra_args, std::string db_url = "");
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Imports (once) and starts the server; waits for /readyz. Returns "" or an error.
  std::string start();
  // SIGTERM, then SIGKILL after `grace`. Returns the exit code (-1: killed by signal).
  int stop(std::chrono::milliseconds grace = 5000ms);
  bool running();
  // Sends `sig` to the process (nothing else).
  void send_signal(int sig);
  // Waits up to `timeout` for the process to end; its exit code, -1 when it
  // was killed by a signal, nullopt when it still runs.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // The exit status once the process has ended ("exit 0", "signal 11"...).
  std::string status_text() const { return status_text_; }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string db_url() const { return db_url_.empty() ? "sqlite:" + dir_ + "/test.db" : db_url_; }
  const std::string& log_path() const { return log_path_; }
  std::string log_tail(size_t max_lines = 80) const;

  // Called by fixtures when a test failed: the log is printed at stop().
  void mark_failed() { failed_ = true; }

 private:
  std::string name_, jsonl_, db_url_, dir_, log_path_;
  std::vector<std::string> extra_args_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool imported_ = false;
  bool failed_ = false;
  std::string status_text_;
  int starts_ = 0;
};

// Shared servers, started on first use and stopped at the end of the run.
// "main": the generated data set, auth none. "jwt": same data, --auth jwt.
Server& shared_server(const std::string& name);
// A shared server with its own data and options, started on first use and
// stopped at the end of the run like the named ones (restarted when it died).
// `jsonl_path` is called once, when the server is first needed, and gives
// the file to import ("" for none). With --gtest_repeat the server (and its
// data, as the earlier repetitions left it) is kept for the whole run.
Server& shared_server(const std::string& name, const std::function<std::string()>& jsonl_path,
                      const std::vector<std::string>& extra_args);
// The error of the last start attempt of a shared server, "" when it runs.
std::string shared_server_error(const std::string& name);

constexpr const char* kJwtSecret = "integration-test-secret-0123456789";

// The generated data set and its reference model.
const Dataset& dataset();
const Reference& reference();
const std::string& dataset_jsonl_path();

// ---- clients ----------------------------------------------------------------

struct HttpResponse {
  int status = 0;  // 0: no answer (see error)
  std::string body;
  std::string content_type;
  std::string error;
  Headers headers;  // every header of the answer, in order (http_request, HttpClient)
  // The first header named `name` (case-insensitive), "" when absent.
  std::string header(const std::string& name) const;
  // The body as JSON; on a parse failure {"<not JSON>": body}.
  nlohmann::json json_body() const;
  // "HTTP 201 {...}" or the error, for assertion messages.
  std::string describe() const;
};
HttpResponse http_get(int port, const std::string& target, std::chrono::milliseconds timeout = kReadTimeout);

// One request with any method, body and headers on a new connection
// (Connection: close). A non-empty body gets Content-Type application/json
// unless `headers` sets one; Content-Length is always set. The answer is read
// while the body is still being written, so a server that answers early
// (413) and stops reading is seen.
HttpResponse http_request(int port, const std::string& method, const std::string& target,
                          const std::string& body = "", const Headers& headers = {},
                          std::chrono::milliseconds timeout = kReadTimeout);

// A keep-alive HTTP/1.1 connection: request() writes one request and reads its
// answer; send() and receive() split the two, so that requests can be
// pipelined (several sent before the first answer is read).
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // "" on success, else the error.
  std::string connect(int port);
  bool send(const std::string& method, const std::string& target, const std::string& body = "",
            const Headers& headers = {}, std::string* error = nullptr);
  HttpResponse receive(std::chrono::milliseconds timeout = kReadTimeout);
  HttpResponse request(const std::string& method, const std::string& target, const std::string& body = "",
                       const Headers& headers = {}, std::chrono::milliseconds timeout = kReadTimeout);
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs any program (found through PATH) with `args` (args[0] is the program),
// stdin from /dev/null; its stdout and stderr together in `output`.
ProcessResult run_program(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 60000ms);

// The file of a "sqlite:PATH" database URL ("" for any other URL).
std::string sqlite_path(const std::string& db_url);

struct WsEvent {
  enum Kind { Text, Binary, Closed, Timeout, Error } kind = Error;
  std::string data;       // a message's payload
  int close_code = -1;    // Closed: the peer's close code (-1: no close frame / none)
  std::string close_reason;
  std::string error;      // Error/Closed: what happened
  std::string describe() const;
};

class WsClient {
 public:
  WsClient();
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // "" on success; otherwise the error. `http_status` gets the handshake's
  // HTTP status (101 on success, e.g. 404 when declined).
  std::string connect(int port, const std::string& target = "/ws/customers/", const Headers& headers = {},
                      int* http_status = nullptr);
  bool send_text(const std::string& text, std::string* error = nullptr);
  bool send_binary(const std::string& data, std::string* error = nullptr);
  // Writes one masked text frame straight to the TCP socket, bypassing the
  // WebSocket stream's state, so that a failed write (the server closing
  // early) does not stop a later read() from seeing what the server sent.
  bool send_raw_text_frame(const std::string& payload, std::string* error = nullptr);
  WsEvent read(std::chrono::milliseconds timeout = kReadTimeout);

  // The next message as JSON; on anything else an object
  // {"type": "<no message>", "__error": "..."} so that assertions print why.
  nlohmann::json recv(std::chrono::milliseconds timeout = kReadTimeout);
  nlohmann::json request(const nlohmann::json& req, std::chrono::milliseconds timeout = kReadTimeout);
  // Sends a close frame (1000) and waits briefly for the peer's.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A WebSocket connection read all the time by a background thread: every
// message is stamped with the time it arrived and queued, so that waiting
// for a message with a timeout never disturbs the connection (WsClient's
// read() closes the socket when its timeout expires).
class WsListener {
 public:
  struct Event {
    WsEvent event;  // Text, Binary, Closed or Error (never Timeout)
    std::chrono::steady_clock::time_point at;
    // A Text event's JSON; otherwise {"type": "<no message>" or "<not JSON>", "__error": ...}.
    nlohmann::json message() const;
  };

  WsListener();
  ~WsListener();
  WsListener(const WsListener&) = delete;
  WsListener& operator=(const WsListener&) = delete;

  // "" on success, else the error; the reading starts at once.
  std::string connect(int port, const std::string& target = "/ws/customers/", const Headers& headers = {});
  bool send_text(const std::string& text, std::string* error = nullptr);
  // The next message (or the end of the connection) that arrived, waiting
  // until `deadline`; nullopt when nothing came by then.
  std::optional<Event> next(std::chrono::steady_clock::time_point deadline);
  std::optional<Event> next(std::chrono::milliseconds timeout) { return next(std::chrono::steady_clock::now() + timeout); }
  // Sends a close frame (1000), waits briefly, and stops the thread.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Connects and reads connection_established and (if `initial_list`) the
// initial customers_list, failing the current test when they do not come.
struct Session {
  std::unique_ptr<WsClient> ws;
  nlohmann::json established;
  nlohmann::json initial;
  std::string error;  // non-empty when connecting failed
  nlohmann::json request(const nlohmann::json& r) { return ws->request(r); }
};
Session open_session(int port, const std::string& target = "/ws/customers/", const Headers& headers = {},
                     bool initial_list = true);

// ---- JWT ----------------------------------------------------------------------

std::string base64url(const std::string& bytes);
std::string hs256(const std::string& key, const std::string& data);
// header.payload.signature, signed with HS256 (or unsigned when alg is "none").
std::string make_jwt(const nlohmann::json& header, const nlohmann::json& payload, const std::string& secret);
// simplejwt-like access token claims; `user_id` may be a number or a string.
nlohmann::json access_claims(const nlohmann::json& user_id, long long exp_in_seconds = 300);
std::string access_token(const nlohmann::json& user_id, long long exp_in_seconds = 300,
                         const std::string& secret = kJwtSecret);

// ---- checks --------------------------------------------------------------------

// Compares one customers_list answer with the reference: type, customers (full
// objects), pagination, top-level count/page_count, warnings array present.
// `ref`: the reference of another data set (default: the shared one).
::testing::AssertionResult ListMatches(const nlohmann::json& actual, const ExpectedList& expected,
                                       Scope scope = std::nullopt, const Reference* ref = nullptr);
// Compares a customers_list with the reference answer for `filters`.
::testing::AssertionResult ListMatchesFilters(const nlohmann::json& actual, const nlohmann::json& filters,
                                              Scope scope = std::nullopt, const Reference* ref = nullptr);
// Sends get_customers for `filters` on every page (page_size 100, or the
// given one) until the end, compares each page with the reference and that
// the union is exactly the reference's full list in order.
::testing::AssertionResult WalkMatches(WsClient& ws, nlohmann::json filters, Scope scope = std::nullopt,
                                       const Reference* ref = nullptr);

// Marks `server` as failed (its log is printed when it stops) when the
// current test has failed by the end of the scope.
struct LogOnFailure {
  Server& server;
  ~LogOnFailure() {
    if (::testing::Test::HasFailure()) server.mark_failed();
  }
};

// True when `error` is an error answer with `code` whose message names `key`.
::testing::AssertionResult IsError(const nlohmann::json& msg, const std::string& code, const std::string& key = "");

std::string shorten(const std::string& s, size_t max = 2000);

// ---- fixtures -------------------------------------------------------------------

// Tests against the shared server `name`; restarts it when it died.
class SharedServerTest : public ::testing::Test {
 protected:
  virtual const char* server_name() const = 0;
  void SetUp() override;
  void TearDown() override;
  Server& server() { return shared_server(server_name()); }
  int port() { return server().port(); }
  const Reference& ref() { return reference(); }
};

class MainServerTest : public SharedServerTest {
 protected:
  const char* server_name() const override { return "main"; }
};

// A main-server test with one open WebSocket session, `s_`.
class MainSessionTest : public MainServerTest {
 protected:
  void SetUp() override {
    MainServerTest::SetUp();
    if (HasFatalFailure()) return;
    s_ = open_session(port());
    ASSERT_TRUE(s_.error.empty());
  }
  Session s_;
};

class JwtServerTest : public SharedServerTest {
 protected:
  const char* server_name() const override { return "jwt"; }
};

}  // namespace cwsit
