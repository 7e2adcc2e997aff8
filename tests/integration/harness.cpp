// The heavy half of the harness: processes, sockets (Beast/Asio), JWT.
#include "tests/integration/harness.hpp"

#include "protocol/text.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

extern char** environ;

namespace cwsit {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// ---- files --------------------------------------------------------------------

namespace {
std::string g_temp_root;
std::atomic<int> g_temp_counter{0};
}  // namespace

const std::string& temp_root() {
  if (g_temp_root.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cws-it-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) {
      std::cerr << "cannot create a temp dir: " << std::strerror(errno) << "\n";
      std::abort();
    }
    g_temp_root = buf.data();
  }
  return g_temp_root;
}

std::string make_temp_dir(const std::string& prefix) {
  const std::string dir = temp_root() + "/" + prefix + "-" + std::to_string(++g_temp_counter);
  std::filesystem::create_directories(dir);
  return dir;
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string shorten(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  return s.substr(0, max) + "... (" + std::to_string(s.size()) + " bytes)";
}

// ---- processes --------------------------------------------------------------------

namespace {

// Starts `command` (a program, found on PATH when it has no slash, and its
// arguments) without the CUSTOMER_WS_* environment; stdout+stderr to
// `out_path` (appended).
pid_t spawn_command(const std::vector<std::string>& command, const std::string& cwd, const std::string& out_path,
                    const std::string& stdin_path, std::string& error) {
  std::vector<std::string> argv_s(command);
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "CUSTOMER_WS_", 12) != 0) env_s.push_back(*e);
  std::vector<char*> envp;
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int in_fd = ::open(stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (out_fd < 0 || in_fd < 0) {
    error = "cannot open " + out_path + " or " + stdin_path;
    if (out_fd >= 0) ::close(out_fd);
    if (in_fd >= 0) ::close(in_fd);
    return -1;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    ::execvpe(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(in_fd);
  if (pid < 0) error = std::string("fork: ") + std::strerror(errno);
  return pid;
}

// Starts CWS_BINARY with `args` (see spawn_command).
pid_t spawn(const std::vector<std::string>& args, const std::string& cwd, const std::string& out_path,
            const std::string& stdin_path, std::string& error) {
  std::vector<std::string> command{CWS_BINARY};
  command.insert(command.end(), args.begin(), args.end());
  return spawn_command(command, cwd, out_path, stdin_path, error);
}

std::string describe_status(int st) {
  if (WIFEXITED(st)) return "exit " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return "signal " + std::to_string(WTERMSIG(st));
  return "status " + std::to_string(st);
}

// Waits up to `timeout` for `pid`; true when it ended (status in `st`).
bool wait_for(pid_t pid, std::chrono::milliseconds timeout, int& st) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) return true;
    if (r < 0) {
      st = -1;
      return true;
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  int port = 0;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    socklen_t len = sizeof a;
    if (::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0) port = ntohs(a.sin_port);
  }
  ::close(s);
  return port;
}

}  // namespace

// Waits for `pid` (killing it past `timeout`) and fills `r` with how it ended
// and what it wrote to `out`.
static void collect(pid_t pid, std::chrono::milliseconds timeout, const std::string& out, ProcessResult& r) {
  int st = 0;
  if (!wait_for(pid, timeout, st)) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &st, 0);
    r.timed_out = true;
  }
  if (!r.timed_out && WIFEXITED(st)) r.exit_code = WEXITSTATUS(st);
  if (WIFSIGNALED(st)) r.signal = WTERMSIG(st);
  r.output = read_file(out);
}

ProcessResult run_binary(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                         const std::string& stdin_path, const std::string& cwd) {
  ProcessResult r;
  const std::string dir = cwd.empty() ? make_temp_dir("run") : cwd;
  const std::string out = dir + "/run-" + std::to_string(++g_temp_counter) + ".out";
  std::string error;
  const pid_t pid = spawn(args, dir, out, stdin_path, error);
  if (pid < 0) {
    r.output = error;
    return r;
  }
  collect(pid, timeout, out, r);
  return r;
}

// ---- server ----------------------------------------------------------------------

Server::Server(std::string name, std::string jsonl, std::vector<std::string> extra_args, std::string db_url)
    : name_(std::move(name)), jsonl_(std::move(jsonl)), db_url_(std::move(db_url)), extra_args_(std::move(extra_args)) {}

void Server::send_signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> Server::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ < 0) return std::nullopt;
  int st = 0;
  if (!wait_for(pid_, timeout, st)) return std::nullopt;
  status_text_ = describe_status(st);
  pid_ = -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Server::~Server() { stop(); }

std::string Server::log_tail(size_t max_lines) const {
  const std::string all = read_file(log_path_);
  size_t pos = all.size();
  size_t lines = 0;
  while (pos > 0 && lines <= max_lines) {
    pos = all.rfind('\n', pos - 1);
    if (pos == std::string::npos) {
      pos = 0;
      break;
    }
    ++lines;
  }
  return shorten(all.substr(pos), 20000);
}

bool Server::running() {
  if (pid_ < 0) return false;
  int st = 0;
  const pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == 0) return true;
  status_text_ = r == pid_ ? describe_status(st) : "gone";
  pid_ = -1;
  return false;
}

std::string Server::start() {
  if (running()) return "";
  if (dir_.empty()) {
    dir_ = make_temp_dir(name_);
    log_path_ = dir_ + "/server.log";
  }
  if (!jsonl_.empty() && !imported_) {
    const auto r = run_binary({"import", "--db", db_url(), jsonl_}, 60000ms, "", dir_);
    if (r.exit_code != 0)
      return "import of " + jsonl_ + " failed (" + (r.timed_out ? "timeout" : "exit " + std::to_string(r.exit_code)) +
             "): " + shorten(r.output);
    imported_ = true;
  }
  std::string last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_port();
    std::vector<std::string> args = {"serve", "--db", db_url(), "--bind", "127.0.0.1", "--port", std::to_string(port_)};
    for (const auto& a : extra_args_) args.push_back(a);
    {
      std::ofstream log(log_path_, std::ios::app);
      log << "=== harness: start #" << ++starts_ << " of '" << name_ << "' on port " << port_ << " ===\n";
    }
    std::string error;
    pid_ = spawn(args, dir_, log_path_, "", error);
    if (pid_ < 0) return error;
    const auto deadline = Clock::now() + 20s;
    bool ready = false;
    while (Clock::now() < deadline) {
      if (!running()) break;
      const auto r = http_get(port_, "/readyz", 1000ms);
      if (r.status == 200) {
        ready = true;
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
    if (ready) return "";
    if (running()) {
      stop(2000ms);
      return "server '" + name_ + "' not ready (GET /readyz != 200) within 20 s; log:\n" + log_tail();
    }
    last_error = "server '" + name_ + "' exited during start (" + status_text_ + "); log:\n" + log_tail();
  }
  return last_error;
}

int Server::stop(std::chrono::milliseconds grace) {
  int code = -1;
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int st = 0;
    if (!wait_for(pid_, grace, st)) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &st, 0);
      status_text_ = "killed with SIGKILL after " + std::to_string(grace.count()) + " ms";
    } else {
      status_text_ = describe_status(st);
      if (WIFEXITED(st)) code = WEXITSTATUS(st);
    }
    pid_ = -1;
  }
  if (failed_) {
    std::cerr << "\n===== log of server '" << name_ << "' (" << log_path_ << ", " << status_text_
              << ") =====\n"
              << log_tail(120) << "\n===== end of log =====\n";
    failed_ = false;
  }
  return code;
}

// ---- shared data and servers ---------------------------------------------------

const Dataset& dataset() {
  static const Dataset d = generate_dataset(20231125, 300);
  return d;
}

const Reference& reference() {
  static const Reference r(dataset());
  return r;
}

const std::string& dataset_jsonl_path() {
  static const std::string path = [] {
    const std::string p = temp_root() + "/dataset.jsonl";
    write_file(p, to_jsonl(dataset()));
    return p;
  }();
  return path;
}

namespace {

struct Shared {
  std::unique_ptr<Server> server;
  std::string error;
  int starts = 0;
};
std::map<std::string, Shared>& shared_map() {
  static std::map<std::string, Shared> m;
  return m;
}

class HarnessEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    for (auto& [name, s] : shared_map())
      if (s.server) s.server->stop();
    shared_map().clear();
    if (!g_temp_root.empty()) {
      if (::testing::UnitTest::GetInstance()->Passed()) {
        std::error_code ec;
        std::filesystem::remove_all(g_temp_root, ec);
      } else {
        std::cerr << "integration tests: kept the temp dir " << g_temp_root << " (databases, logs)\n";
      }
    }
  }
};
[[maybe_unused]] ::testing::Environment* const g_env =
    ::testing::AddGlobalTestEnvironment(new HarnessEnvironment);

}  // namespace

Server& shared_server(const std::string& name) {
  Shared& s = shared_map()[name];
  if (!s.server) {
    std::vector<std::string> extra;
    if (name == "jwt") extra = {"--auth", "jwt", "--jwt-secret", kJwtSecret};
    s.server = std::make_unique<Server>(name, dataset_jsonl_path(), extra);
  }
  return shared_server(name, [] { return std::string(); }, {});
}

Server& shared_server(const std::string& name, const std::function<std::string()>& jsonl_path,
                      const std::vector<std::string>& extra_args) {
  Shared& s = shared_map()[name];
  if (!s.server) s.server = std::make_unique<Server>(name, jsonl_path(), extra_args);
  if (!s.server->running()) {
    if (s.starts > 0 && s.error.empty()) {
      std::cerr << "[harness] shared server '" << name << "' died (" << s.server->status_text()
                << "); restarting it. Log tail:\n"
                << s.server->log_tail(40) << "\n";
    }
    if (s.starts < 5) {
      ++s.starts;
      s.error = s.server->start();
    } else if (s.error.empty()) {
      s.error = "server '" + name + "' died too often; not restarted again";
    }
  }
  return *s.server;
}

std::string shared_server_error(const std::string& name) { return shared_map()[name].error; }

void SharedServerTest::SetUp() {
  shared_server(server_name());
  const std::string err = shared_server_error(server_name());
  if (!err.empty()) GTEST_FAIL() << "cannot start the server: " << err;
}

void SharedServerTest::TearDown() {
  if (HasFailure()) {
    auto it = shared_map().find(server_name());
    if (it != shared_map().end() && it->second.server) it->second.server->mark_failed();
  }
}

// ---- async with a deadline -----------------------------------------------------

namespace {

// Runs one asynchronous operation on `ioc` for at most `timeout`. On timeout,
// `cancel` is called (closing the socket) and false is returned.
template <class Start, class Cancel>
bool run_with_timeout(net::io_context& ioc, std::chrono::milliseconds timeout, boost::system::error_code& ec,
                      Start&& start, Cancel&& cancel) {
  auto done = std::make_shared<bool>(false);
  auto result = std::make_shared<boost::system::error_code>();
  start([done, result](boost::system::error_code e, auto&&...) {
    *result = e;
    *done = true;
  });
  ioc.restart();
  ioc.run_for(timeout);
  if (!*done) {
    cancel();
    ioc.restart();
    ioc.run_for(2000ms);
    ec = net::error::timed_out;
    return false;
  }
  ec = *result;
  return true;
}

}  // namespace

HttpResponse http_get(int port, const std::string& target, std::chrono::milliseconds timeout) {
  return http_request(port, "GET", target, "", {}, timeout);
}

// ---- HTTP with a method, a body and headers ------------------------------------------

namespace {

http::request<http::string_body> make_request(const std::string& method, const std::string& target,
                                              const std::string& body, const Headers& headers, int port,
                                              bool keep_alive) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::user_agent, "cws-integration-tests");
  bool has_type = false;
  for (const auto& [k, v] : headers) has_type = has_type || cws::protocol::ascii_iequals(k, "Content-Type");
  if (!body.empty() && !has_type) req.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.content_length(body.size());
  req.keep_alive(keep_alive);
  return req;
}

void fill_response(HttpResponse& out, const http::response<http::string_body>& res) {
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  out.content_type = std::string(res[http::field::content_type]);
  for (const auto& field : res) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (cws::protocol::ascii_iequals(k, name)) return v;
  return "";
}

json HttpResponse::json_body() const {
  try {
    return json::parse(body);
  } catch (const std::exception&) {
    return {{"<not JSON>", shorten(body, 1000)}};
  }
}

std::string HttpResponse::describe() const {
  if (status == 0) return "no answer: " + error;
  return "HTTP " + std::to_string(status) + " " + shorten(body, 1500);
}

HttpResponse http_request(int port, const std::string& method, const std::string& target, const std::string& body,
                          const Headers& headers, std::chrono::milliseconds timeout) {
  HttpResponse out;
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  auto cancel = [&] {
    boost::system::error_code ignored;
    stream.socket().close(ignored);
  };
  boost::system::error_code ec;
  const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  const auto deadline = Clock::now() + timeout;
  if (!run_with_timeout(ioc, timeout, ec, [&](auto h) { stream.async_connect(ep, std::move(h)); }, cancel) || ec) {
    out.error = "connect: " + ec.message();
    return out;
  }
  auto req = make_request(method, target, body, headers, port, false);
  // Write and read at the same time: the answer may come before the body
  // has been read (413), and the server may then stop reading.
  bool write_done = false, read_done = false;
  boost::system::error_code write_ec, read_ec;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64ull * 1024 * 1024);
  http::async_write(stream, req, [&](boost::system::error_code e, std::size_t) {
    write_ec = e;
    write_done = true;
  });
  http::async_read(stream, buffer, parser, [&](boost::system::error_code e, std::size_t) {
    read_ec = e;
    read_done = true;
  });
  ioc.restart();
  while (!read_done && Clock::now() < deadline) {
    ioc.run_one_for(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()) + 1ms);
  }
  if (!read_done) {
    cancel();
    ioc.restart();
    ioc.run_for(2000ms);
    out.error = "read: timed out after " + std::to_string(timeout.count()) + " ms" +
                (write_done ? (write_ec ? " (write failed: " + write_ec.message() + ")" : "") : " (still writing)");
    return out;
  }
  cancel();
  ioc.restart();
  ioc.run_for(2000ms);  // lets the write's handler run
  if (read_ec) {
    out.error = "read: " + read_ec.message() + (write_ec ? " (write: " + write_ec.message() + ")" : "");
    return out;
  }
  fill_response(out, parser.get());
  return out;
}

struct HttpClient::Impl {
  net::io_context ioc;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  int port = 0;
  void kill_socket() {
    boost::system::error_code ignored;
    if (stream) stream->socket().close(ignored);
  }
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {}
HttpClient::~HttpClient() { close(); }

std::string HttpClient::connect(int port) {
  auto& d = *impl_;
  d.stream = std::make_unique<beast::tcp_stream>(d.ioc);
  d.buffer.clear();
  d.port = port;
  boost::system::error_code ec;
  const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  if (!run_with_timeout(d.ioc, kReadTimeout, ec, [&](auto h) { d.stream->async_connect(ep, std::move(h)); },
                        [&] { d.kill_socket(); }) ||
      ec)
    return "connect: " + ec.message();
  return "";
}

bool HttpClient::send(const std::string& method, const std::string& target, const std::string& body,
                      const Headers& headers, std::string* error) {
  auto& d = *impl_;
  if (!d.stream) {
    if (error) *error = "not connected";
    return false;
  }
  auto req = make_request(method, target, body, headers, d.port, true);
  boost::system::error_code ec;
  if (!run_with_timeout(d.ioc, kReadTimeout, ec, [&](auto h) { http::async_write(*d.stream, req, std::move(h)); },
                        [&] { d.kill_socket(); }) ||
      ec) {
    if (error) *error = "write: " + ec.message();
    return false;
  }
  return true;
}

HttpResponse HttpClient::receive(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  HttpResponse out;
  if (!d.stream) {
    out.error = "not connected";
    return out;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(64ull * 1024 * 1024);
  boost::system::error_code ec;
  if (!run_with_timeout(d.ioc, timeout, ec, [&](auto h) { http::async_read(*d.stream, d.buffer, parser, std::move(h)); },
                        [&] { d.kill_socket(); }) ||
      ec) {
    out.error = "read: " + ec.message();
    return out;
  }
  fill_response(out, parser.get());
  return out;
}

HttpResponse HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                                 const Headers& headers, std::chrono::milliseconds timeout) {
  std::string error;
  if (!send(method, target, body, headers, &error)) {
    HttpResponse out;
    out.error = error;
    return out;
  }
  return receive(timeout);
}

void HttpClient::close() {
  if (impl_ && impl_->stream) {
    impl_->kill_socket();
    impl_->stream.reset();
  }
}

ProcessResult run_program(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  ProcessResult r;
  if (args.empty()) {
    r.output = "run_program: no program";
    return r;
  }
  const std::string dir = make_temp_dir("prog");
  const std::string out = dir + "/out";
  std::string error;
  const pid_t pid = spawn_command(args, dir, out, "", error);
  if (pid < 0) {
    r.output = error;
    return r;
  }
  collect(pid, timeout, out, r);
  return r;
}

std::string sqlite_path(const std::string& db_url) {
  const std::string prefix = "sqlite:";
  if (db_url.compare(0, prefix.size(), prefix) != 0) return "";
  return db_url.substr(prefix.size());
}

// ---- WebSocket client -------------------------------------------------------------

std::string WsEvent::describe() const {
  switch (kind) {
    case Text: return "text message: " + shorten(data, 500);
    case Binary: return "binary message (" + std::to_string(data.size()) + " bytes)";
    case Closed:
      return "connection closed (close code " + std::to_string(close_code) + ", reason '" + close_reason + "'" +
             (error.empty() ? "" : ", " + error) + ")";
    case Timeout: return "no message within the timeout";
    case Error: return "error: " + error;
  }
  return "?";
}

struct WsClient::Impl {
  net::io_context ioc;
  std::unique_ptr<websocket::stream<beast::tcp_stream>> ws;
  beast::flat_buffer buffer;
  bool open = false;

  void kill_socket() {
    boost::system::error_code ignored;
    if (ws) beast::get_lowest_layer(*ws).socket().close(ignored);
    open = false;
  }
  template <class Start>
  bool run(std::chrono::milliseconds timeout, boost::system::error_code& ec, Start&& start) {
    return run_with_timeout(ioc, timeout, ec, std::forward<Start>(start), [this] { kill_socket(); });
  }
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {}

WsClient::~WsClient() {
  try {
    close();
  } catch (...) {
  }
}

std::string WsClient::connect(int port, const std::string& target, const Headers& headers, int* http_status) {
  auto& d = *impl_;
  d.ws = std::make_unique<websocket::stream<beast::tcp_stream>>(d.ioc);
  d.open = false;
  if (http_status) *http_status = 0;
  boost::system::error_code ec;
  const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  if (!d.run(kReadTimeout, ec, [&](auto h) { beast::get_lowest_layer(*d.ws).async_connect(ep, std::move(h)); }) ||
      ec)
    return "TCP connect to port " + std::to_string(port) + ": " + ec.message();
  d.ws->set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    req.set(http::field::user_agent, "cws-integration-tests");
    for (const auto& [k, v] : headers) req.set(k, v);
  }));
  d.ws->auto_fragment(false);
  d.ws->read_message_max(64ull * 1024 * 1024);
  websocket::response_type res;
  const std::string host = "127.0.0.1:" + std::to_string(port);
  const bool finished =
      d.run(kReadTimeout, ec, [&](auto h) { d.ws->async_handshake(res, host, target, std::move(h)); });
  if (!finished) return "WebSocket handshake timed out";
  if (http_status)
    *http_status = !ec ? 101 : ec == websocket::error::upgrade_declined ? static_cast<int>(res.result_int()) : 0;
  if (ec) return "WebSocket handshake for " + target + ": " + ec.message() + " (HTTP " + std::to_string(res.result_int()) + ")";
  d.open = true;
  return "";
}

bool WsClient::send_text(const std::string& text, std::string* error) {
  auto& d = *impl_;
  if (!d.ws) {
    if (error) *error = "not connected";
    return false;
  }
  d.ws->text(true);
  boost::system::error_code ec;
  if (!d.run(kReadTimeout, ec, [&](auto h) { d.ws->async_write(net::buffer(text), std::move(h)); }) || ec) {
    if (error) *error = "write: " + ec.message();
    return false;
  }
  return true;
}

bool WsClient::send_binary(const std::string& data, std::string* error) {
  auto& d = *impl_;
  if (!d.ws) {
    if (error) *error = "not connected";
    return false;
  }
  d.ws->binary(true);
  boost::system::error_code ec;
  const bool ok = d.run(kReadTimeout, ec, [&](auto h) { d.ws->async_write(net::buffer(data), std::move(h)); }) && !ec;
  d.ws->text(true);
  if (!ok && error) *error = "write: " + ec.message();
  return ok;
}

bool WsClient::send_raw_text_frame(const std::string& payload, std::string* error) {
  auto& d = *impl_;
  if (!d.ws) {
    if (error) *error = "not connected";
    return false;
  }
  std::string frame;
  frame += static_cast<char>(0x81);  // FIN, text
  const std::uint64_t n = payload.size();
  if (n < 126) {
    frame += static_cast<char>(0x80 | n);
  } else if (n < 65536) {
    frame += static_cast<char>(0x80 | 126);
    frame += static_cast<char>((n >> 8) & 0xFF);
    frame += static_cast<char>(n & 0xFF);
  } else {
    frame += static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) frame += static_cast<char>((n >> (8 * i)) & 0xFF);
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  frame.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) frame += static_cast<char>(payload[i] ^ mask[i % 4]);
  boost::system::error_code ec;
  auto& socket = beast::get_lowest_layer(*d.ws).socket();
  if (!d.run(kReadTimeout, ec, [&](auto h) { net::async_write(socket, net::buffer(frame), std::move(h)); }) || ec) {
    if (error) *error = "raw write: " + ec.message();
    return false;
  }
  return true;
}

WsEvent WsClient::read(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  WsEvent ev;
  if (!d.ws) {
    ev.kind = WsEvent::Error;
    ev.error = "not connected";
    return ev;
  }
  d.buffer.clear();
  boost::system::error_code ec;
  if (!d.run(timeout, ec, [&](auto h) { d.ws->async_read(d.buffer, std::move(h)); })) {
    ev.kind = WsEvent::Timeout;
    ev.error = "no message within " + std::to_string(timeout.count()) + " ms";
    return ev;
  }
  if (ec == websocket::error::closed) {
    ev.kind = WsEvent::Closed;
    ev.close_code = static_cast<int>(d.ws->reason().code);
    ev.close_reason = std::string(d.ws->reason().reason.c_str());
    d.open = false;
    return ev;
  }
  if (ec) {
    // The TCP connection ended: without a close frame (code -1), or after
    // one whose answer could not be written (e.g. EPIPE), which Beast
    // reports as the write's error while keeping the peer's reason.
    ev.kind = WsEvent::Closed;
    ev.close_code = d.ws->reason().code == websocket::close_code::none ? -1 : static_cast<int>(d.ws->reason().code);
    ev.close_reason = std::string(d.ws->reason().reason.c_str());
    ev.error = ec.message();
    d.open = false;
    return ev;
  }
  ev.kind = d.ws->got_text() ? WsEvent::Text : WsEvent::Binary;
  ev.data = beast::buffers_to_string(d.buffer.data());
  return ev;
}

json WsClient::recv(std::chrono::milliseconds timeout) {
  const WsEvent ev = read(timeout);
  if (ev.kind != WsEvent::Text) return {{"type", "<no message>"}, {"__error", ev.describe()}};
  try {
    return json::parse(ev.data);
  } catch (const std::exception& e) {
    return {{"type", "<not JSON>"}, {"__error", std::string(e.what()) + ": " + shorten(ev.data, 500)}};
  }
}

json WsClient::request(const json& req, std::chrono::milliseconds timeout) {
  std::string error;
  if (!send_text(req.dump(), &error)) return {{"type", "<send failed>"}, {"__error", error}};
  return recv(timeout);
}

void WsClient::close() {
  auto& d = *impl_;
  if (!d.ws || !d.open) return;
  boost::system::error_code ec;
  d.run(1000ms, ec, [&](auto h) { d.ws->async_close(websocket::close_code::normal, std::move(h)); });
  d.kill_socket();
}

// ---- WebSocket client with a background reader ---------------------------------------

json WsListener::Event::message() const {
  if (event.kind != WsEvent::Text) return {{"type", "<no message>"}, {"__error", event.describe()}};
  try {
    return json::parse(event.data);
  } catch (const std::exception& e) {
    return {{"type", "<not JSON>"}, {"__error", std::string(e.what()) + ": " + shorten(event.data, 500)}};
  }
}

struct WsListener::Impl {
  net::io_context ioc;
  std::unique_ptr<websocket::stream<beast::tcp_stream>> ws;
  beast::flat_buffer buffer;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable arrived;
  std::deque<Event> queue;
  bool ended = false;  // the connection ended (an event says how)

  void push(Event e) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      queue.push_back(std::move(e));
    }
    arrived.notify_all();
  }

  void read_loop() {
    ws->async_read(buffer, [this](boost::system::error_code ec, std::size_t) {
      Event e;
      e.at = Clock::now();
      if (!ec) {
        e.event.kind = ws->got_text() ? WsEvent::Text : WsEvent::Binary;
        e.event.data = beast::buffers_to_string(buffer.data());
        buffer.consume(buffer.size());
        push(std::move(e));
        read_loop();
        return;
      }
      e.event.kind = WsEvent::Closed;
      e.event.close_code =
          ws->reason().code == websocket::close_code::none ? -1 : static_cast<int>(ws->reason().code);
      e.event.close_reason = std::string(ws->reason().reason.c_str());
      if (ec != websocket::error::closed) e.event.error = ec.message();
      {
        std::lock_guard<std::mutex> lock(mutex);
        ended = true;
      }
      push(std::move(e));
    });
  }

  // Runs `operation(handler)` on the io thread and waits for it.
  template <class Start>
  boost::system::error_code run_on_thread(std::chrono::milliseconds timeout, Start&& start) {
    auto promise = std::make_shared<std::promise<boost::system::error_code>>();
    auto future = promise->get_future();
    net::post(ioc, [start = std::forward<Start>(start), promise]() mutable {
      start([promise](boost::system::error_code ec, auto&&...) { promise->set_value(ec); });
    });
    if (future.wait_for(timeout) != std::future_status::ready) {
      net::post(ioc, [this] {
        boost::system::error_code ignored;
        beast::get_lowest_layer(*ws).socket().close(ignored);
      });
      future.wait_for(2000ms);
      return net::error::timed_out;
    }
    return future.get();
  }

  // Closes the socket, lets the read loop end, and stops the thread.
  void stop() {
    if (!thread.joinable()) return;
    net::post(ioc, [this] {
      boost::system::error_code ignored;
      if (ws) beast::get_lowest_layer(*ws).socket().close(ignored);
    });
    {
      std::unique_lock<std::mutex> lock(mutex);
      arrived.wait_for(lock, 1000ms, [&] { return ended; });
    }
    ioc.stop();
    thread.join();
  }
};

WsListener::WsListener() : impl_(std::make_unique<Impl>()) {}

WsListener::~WsListener() {
  try {
    close();
  } catch (...) {
  }
}

std::string WsListener::connect(int port, const std::string& target, const Headers& headers) {
  auto& d = *impl_;
  if (d.thread.joinable()) return "already connected";
  d.ws = std::make_unique<websocket::stream<beast::tcp_stream>>(d.ioc);
  boost::system::error_code ec;
  auto kill = [&] {
    boost::system::error_code ignored;
    beast::get_lowest_layer(*d.ws).socket().close(ignored);
  };
  const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  if (!run_with_timeout(d.ioc, kReadTimeout, ec,
                        [&](auto h) { beast::get_lowest_layer(*d.ws).async_connect(ep, std::move(h)); }, kill) ||
      ec)
    return "TCP connect to port " + std::to_string(port) + ": " + ec.message();
  d.ws->set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    req.set(http::field::user_agent, "cws-integration-tests");
    for (const auto& [k, v] : headers) req.set(k, v);
  }));
  d.ws->auto_fragment(false);
  d.ws->read_message_max(64ull * 1024 * 1024);
  websocket::response_type res;
  const std::string host = "127.0.0.1:" + std::to_string(port);
  if (!run_with_timeout(d.ioc, kReadTimeout, ec, [&](auto h) { d.ws->async_handshake(res, host, target, std::move(h)); },
                        kill))
    return "WebSocket handshake timed out";
  if (ec) return "WebSocket handshake for " + target + ": " + ec.message();
  d.ws->text(true);
  d.ioc.restart();
  d.read_loop();
  d.thread = std::thread([&d] {
    auto guard = net::make_work_guard(d.ioc);
    d.ioc.run();
  });
  return "";
}

bool WsListener::send_text(const std::string& text, std::string* error) {
  auto& d = *impl_;
  if (!d.thread.joinable()) {
    if (error) *error = "not connected";
    return false;
  }
  auto payload = std::make_shared<std::string>(text);
  const auto ec = d.run_on_thread(kReadTimeout, [&d, payload](auto handler) {
    d.ws->async_write(net::buffer(*payload), [payload, handler](boost::system::error_code e, std::size_t) { handler(e); });
  });
  if (ec) {
    if (error) *error = "write: " + ec.message();
    return false;
  }
  return true;
}

std::optional<WsListener::Event> WsListener::next(std::chrono::steady_clock::time_point deadline) {
  auto& d = *impl_;
  std::unique_lock<std::mutex> lock(d.mutex);
  if (!d.arrived.wait_until(lock, deadline, [&] { return !d.queue.empty(); })) return std::nullopt;
  Event e = std::move(d.queue.front());
  d.queue.pop_front();
  return e;
}

void WsListener::close() {
  auto& d = *impl_;
  if (!d.thread.joinable()) return;
  bool ended = false;
  {
    std::lock_guard<std::mutex> lock(d.mutex);
    ended = d.ended;
  }
  if (!ended) {
    d.run_on_thread(1000ms, [&d](auto handler) {
      d.ws->async_close(websocket::close_code::normal, [handler](boost::system::error_code e) { handler(e); });
    });
    // The read loop ends when the server's close frame arrives.
    std::unique_lock<std::mutex> lock(d.mutex);
    d.arrived.wait_for(lock, 1000ms, [&] { return d.ended; });
  }
  d.stop();
}

Session open_session(int port, const std::string& target, const Headers& headers, bool initial_list) {
  Session s;
  s.ws = std::make_unique<WsClient>();
  s.error = s.ws->connect(port, target, headers);
  if (!s.error.empty()) {
    ADD_FAILURE() << "connect to " << target << ": " << s.error;
    s.established = {{"type", "<not connected>"}};
    s.initial = {{"type", "<not connected>"}};
    return s;
  }
  s.established = s.ws->recv();
  EXPECT_EQ(s.established.value("type", ""), "connection_established") << shorten(s.established.dump());
  if (initial_list) {
    s.initial = s.ws->recv();
    EXPECT_EQ(s.initial.value("type", ""), "customers_list") << shorten(s.initial.dump());
  }
  return s;
}

// ---- JWT ----------------------------------------------------------------------------

std::string base64url(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += t[v & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
  }
  return out;
}

std::string hs256(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

std::string make_jwt(const json& header, const json& payload, const std::string& secret) {
  const std::string signing_input = base64url(header.dump()) + "." + base64url(payload.dump());
  if (header.value("alg", "") == "none") return signing_input + ".";
  return signing_input + "." + base64url(hs256(secret, signing_input));
}

json access_claims(const json& user_id, long long exp_in_seconds) {
  const long long now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  static std::mt19937_64 rng{std::random_device{}()};
  char jti[33];
  std::snprintf(jti, sizeof jti, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return {{"token_type", "access"}, {"exp", now + exp_in_seconds}, {"iat", now - 1}, {"jti", jti}, {"user_id", user_id}};
}

std::string access_token(const json& user_id, long long exp_in_seconds, const std::string& secret) {
  return make_jwt({{"alg", "HS256"}, {"typ", "JWT"}}, access_claims(user_id, exp_in_seconds), secret);
}

// ---- checks ---------------------------------------------------------------------------

namespace {

std::string ids_of(const std::vector<const Customer*>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]->id);
  return s + "]";
}

std::string ids_of(const json& customers) {
  std::string s = "[";
  bool first = true;
  for (const auto& c : customers) {
    s += (first ? "" : ",") + (c.is_object() && c.contains("id") ? c["id"].dump() : std::string("?"));
    first = false;
  }
  return s + "]";
}

}  // namespace

::testing::AssertionResult ListMatches(const json& a, const ExpectedList& e, Scope scope, const Reference* ref) {
  const Reference& model = ref ? *ref : reference();
  if (!a.is_object() || a.value("type", "") != "customers_list")
    return ::testing::AssertionFailure() << "expected a customers_list, got " << shorten(a.dump());
  std::vector<std::string> problems;
  for (const char* k : {"customers", "pagination", "filters", "count", "page_count", "warnings", "timestamp"})
    if (!a.contains(k)) problems.push_back(std::string("key '") + k + "' missing");
  if (!a.contains("customers") || !a["customers"].is_array())
    return ::testing::AssertionFailure() << "no customers array in " << shorten(a.dump());
  if (a.contains("warnings") && !a["warnings"].is_array()) problems.push_back("warnings is not an array");
  if (a.contains("filters") && !a["filters"].is_object()) problems.push_back("filters is not an object");
  const json& p = a.contains("pagination") ? a["pagination"] : json::object();
  for (const auto& [k, v] : e.pagination.items()) {
    if (!p.contains(k) || p[k] != v)
      problems.push_back("pagination." + k + " is " + (p.contains(k) ? p[k].dump() : "missing") + ", expected " +
                         v.dump());
  }
  if (a.value("count", json()) != e.pagination["count"])
    problems.push_back("count is " + a.value("count", json()).dump() + ", expected " + e.pagination["count"].dump());
  if (a.value("page_count", json()) != json(e.page.size()))
    problems.push_back("page_count is " + a.value("page_count", json()).dump() + ", expected " +
                       std::to_string(e.page.size()));
  const json& cs = a["customers"];
  bool ids_ok = cs.size() == e.page.size();
  for (size_t i = 0; ids_ok && i < cs.size(); ++i) ids_ok = cs[i].is_object() && cs[i].value("id", json()) == json(e.page[i]->id);
  if (!ids_ok) {
    problems.push_back("customer ids (in order) are " + shorten(ids_of(cs), 1500) + ", expected " +
                       shorten(ids_of(e.page), 1500));
  } else {
    int shown = 0;
    for (size_t i = 0; i < cs.size(); ++i) {
      const json want = model.customer_json(*e.page[i], scope);
      const json got = normalise_customer(cs[i]);
      if (got != want) {
        if (shown++ < 2)
          problems.push_back("customer " + std::to_string(e.page[i]->id) + " (position " + std::to_string(i) +
                             ") differs; JSON patch from expected to actual (times in ms): " +
                             shorten(json::diff(want, got).dump(), 1500) + "\n  expected: " + shorten(want.dump(), 1500) +
                             "\n  actual:   " + shorten(cs[i].dump(), 1500));
      }
    }
    if (shown > 2) problems.push_back(std::to_string(shown) + " customers differ in total");
  }
  if (problems.empty()) return ::testing::AssertionSuccess();
  auto f = ::testing::AssertionFailure();
  for (const auto& pr : problems) f << "\n  - " << pr;
  return f;
}

::testing::AssertionResult ListMatchesFilters(const json& actual, const json& filters, Scope scope,
                                              const Reference* ref) {
  ExpectedList e;
  try {
    e = (ref ? *ref : reference()).list(filters, scope);
  } catch (const std::exception& ex) {
    return ::testing::AssertionFailure() << "TEST BUG: " << ex.what();
  }
  auto r = ListMatches(actual, e, scope, ref);
  if (!r) return ::testing::AssertionFailure() << "for filters " << filters.dump() << ":" << r.message();
  return r;
}

::testing::AssertionResult WalkMatches(WsClient& ws, json filters, Scope scope, const Reference* ref) {
  if (!filters.contains("page_size")) filters["page_size"] = 100;
  ExpectedList all;
  try {
    all = (ref ? *ref : reference()).list(filters, scope);
  } catch (const std::exception& ex) {
    return ::testing::AssertionFailure() << "TEST BUG: " << ex.what();
  }
  std::vector<json> seen;
  for (int page = 1; page <= 60; ++page) {
    filters["page"] = page;
    const json resp = ws.request({{"type", "get_customers"}, {"filters", filters}});
    auto r = ListMatchesFilters(resp, filters, scope, ref);
    if (!r) return r;
    for (const auto& c : resp["customers"]) seen.push_back(c["id"]);
    if (!resp["pagination"].value("has_next", false)) break;
  }
  std::vector<json> want;
  for (const auto* c : all.all) want.push_back(c->id);
  if (seen != want)
    return ::testing::AssertionFailure() << "walk over all pages for " << filters.dump() << " gave "
                                         << shorten(json(seen).dump()) << ", expected " << shorten(json(want).dump());
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsError(const json& m, const std::string& code, const std::string& key) {
  if (!m.is_object() || m.value("type", "") != "error")
    return ::testing::AssertionFailure() << "expected an error '" << code << "', got " << shorten(m.dump());
  if (m.value("code", "") != code)
    return ::testing::AssertionFailure() << "expected error code '" << code << "', got " << shorten(m.dump());
  if (!m.contains("message") || !m["message"].is_string())
    return ::testing::AssertionFailure() << "error without a message string: " << shorten(m.dump());
  if (!m.contains("error") || m["error"] != m["message"])
    return ::testing::AssertionFailure() << "error.error is not the same text as error.message: " << shorten(m.dump());
  if (!m.contains("timestamp") || !m["timestamp"].is_string())
    return ::testing::AssertionFailure() << "error without a timestamp: " << shorten(m.dump());
  if (!key.empty() && m["message"].get<std::string>().find(key) == std::string::npos)
    return ::testing::AssertionFailure() << "error message does not name '" << key << "': " << shorten(m.dump());
  return ::testing::AssertionSuccess();
}

}  // namespace cwsit
