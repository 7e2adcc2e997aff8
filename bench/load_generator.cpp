// A closed-loop load generator for the customer-list WebSocket protocol.
//
//   load_generator --port P [--path /ws/customers/?page_size=20] --connections N --mix FILE.json
//                  [--ramp-seconds 5] [--warmup-seconds 5] [--measure-seconds 20] [--threads 1]
//                  [--rate R] [--idle] [--server-pid PID] [--output FILE.json] [--label TEXT]
//                  [--live-writes R --admin-token T --write-conversations FILE.json]
//
// Connects to 127.0.0.1 only. Opens N connections spread evenly over the
// ramp; each keeps exactly one request outstanding and sends the next one as
// soon as the answer (the frame echoing its request_id) arrives. After the
// warm-up, latency and throughput are measured over a fixed window from the
// requests both sent and answered inside it. With --rate R the load is fixed
// instead (open loop): together the connections send R requests a second,
// each connection one every N/R seconds, and a request that could not go out
// on time (its connection still waited for an answer) counts its latency from
// when it was due, so a slow server cannot hide its queue. With --live-writes
// R each connection sends one request (mix entry i mod the mix's size) and
// then only listens, while a writer posts R customer messages a second
// through the write API, each with the content "s5 <number>"; the latency of
// a write is from its POST to the first push that shows it, per connection
// (a message moves its customer to the top of a list ordered by
// -last_activity, when the customer matches the filter). With --idle the connections only
// read (their initial frames, then any pushes) and the server's memory per
// connection is measured. Prints one JSON object; progress goes to stderr.
//
// Structure: a `session` is one WebSocket connection in the style of the
// Beast examples (an async read loop, at most one write in flight); a `slot`
// is one of the N logical connections: it owns the request sequence and
// opens a new session, a bounded number of times, when one fails. Every slot
// belongs to one `worker`: an io_context run by one thread, with its own
// statistics, merged at the end, so handlers never lock.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;
using clock_type = std::chrono::steady_clock;
using time_point = clock_type::time_point;

namespace {

constexpr const char* usage_text =
    "usage: load_generator --port P [--path /ws/customers/?page_size=20] --connections N --mix FILE.json\n"
    "                      [--ramp-seconds 5] [--warmup-seconds 5] [--measure-seconds 20] [--threads 1]\n"
    "                      [--rate R] [--idle] [--server-pid PID] [--output FILE.json] [--label TEXT]\n"
    "                      [--live-writes R --admin-token T --write-conversations FILE.json]\n";

constexpr const char* help_text =
    "\n"
    "Connects to 127.0.0.1 only. Each connection keeps one request outstanding (closed loop); requests\n"
    "come from the mix file. Latency and throughput count the requests sent and answered inside the\n"
    "measured window, which follows the ramp and the warm-up. With --rate R the connections together\n"
    "send R requests a second at fixed times (open loop); a request sent late is timed from when it\n"
    "was due. With --live-writes R each connection sends one request and then listens for pushes while\n"
    "R messages a second go to random conversations of FILE.json (an array of ids) through the write\n"
    "API; the time from each POST to the first push showing it is measured. With --idle the connections send nothing\n"
    "(--mix is then optional) and, with --server-pid, the server's memory per connection is reported.\n"
    "Exit status: 0 with results, 1 in --idle mode when not every connection was open at the end,\n"
    "2 on bad arguments or set-up failures.\n";

constexpr auto request_timeout = std::chrono::seconds(30);  // unanswered this long: an error, send the next
constexpr auto connect_timeout = std::chrono::seconds(5);
constexpr auto close_timeout = std::chrono::seconds(3);
constexpr auto stop_grace = std::chrono::seconds(5);  // after the window, then everything is cut off
constexpr int max_failures_per_connection = 5;        // failed opens plus lost connections, then give up

struct options {
  unsigned short port = 0;
  std::string path = "/ws/customers/?page_size=20";
  std::size_t connections = 0;
  std::string mix_file;
  double ramp_seconds = 5, warmup_seconds = 5, measure_seconds = 20;
  unsigned threads = 1;
  bool idle = false;
  double rate = 0;  // requests per second over all connections; 0: closed loop
  double live_writes = 0;  // write API messages per second; 0: no live measurement
  std::string admin_token, write_conversations_file;
  long server_pid = 0;
  std::string output, label;
};

[[noreturn]] void fail_setup(const std::string& message) {
  std::cerr << "load_generator: " << message << "\n";
  std::exit(2);
}

double to_number(const std::string& name, const std::string& text, double low, double high) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !std::isfinite(value) || value < low || value > high) {
    std::ostringstream message;
    message << name << " must be a number from " << low << " to " << high << ", not '" << text << "'";
    fail_setup(message.str());
  }
  return value;
}

options parse_options(int argc, char** argv) {
  options result;
  bool have_port = false;
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    if (name == "--help" || name == "-h") {
      std::cout << usage_text << help_text;
      std::exit(0);
    }
    if (name == "--idle") {
      result.idle = true;
      continue;
    }
    if (i + 1 >= argc) fail_setup(name + (name.rfind("--", 0) == 0 ? " needs a value" : ": unexpected argument") +
                                  "\n" + usage_text);
    std::string value = argv[++i];
    if (name == "--port") {
      result.port = static_cast<unsigned short>(to_number(name, value, 1, 65535));
      have_port = true;
    } else if (name == "--path") {
      if (value.empty() || value[0] != '/') fail_setup("--path must start with '/'");
      result.path = value;
    } else if (name == "--connections") {
      result.connections = static_cast<std::size_t>(to_number(name, value, 1, 1000000));
    } else if (name == "--mix") {
      result.mix_file = value;
    } else if (name == "--ramp-seconds") {
      result.ramp_seconds = to_number(name, value, 0, 3600);
    } else if (name == "--warmup-seconds") {
      result.warmup_seconds = to_number(name, value, 0, 3600);
    } else if (name == "--measure-seconds") {
      result.measure_seconds = to_number(name, value, 0.1, 36000);
    } else if (name == "--rate") {
      result.rate = to_number(name, value, 0.001, 10'000'000);
    } else if (name == "--live-writes") {
      result.live_writes = to_number(name, value, 0.001, 100'000);
    } else if (name == "--admin-token") {
      result.admin_token = value;
    } else if (name == "--write-conversations") {
      result.write_conversations_file = value;
    } else if (name == "--threads") {
      result.threads = static_cast<unsigned>(to_number(name, value, 1, 256));
    } else if (name == "--server-pid") {
      result.server_pid = static_cast<long>(to_number(name, value, 1, 4194304));
    } else if (name == "--output") {
      result.output = value;
    } else if (name == "--label") {
      result.label = value;
    } else {
      fail_setup("unknown option '" + name + "'\n" + usage_text);
    }
  }
  if (!have_port) fail_setup(std::string("--port is required\n") + usage_text);
  if (result.connections == 0) fail_setup(std::string("--connections is required\n") + usage_text);
  if (result.mix_file.empty() && !result.idle) fail_setup(std::string("--mix is required\n") + usage_text);
  if (result.live_writes > 0 && (result.admin_token.empty() || result.write_conversations_file.empty()))
    fail_setup("--live-writes needs --admin-token and --write-conversations");
  if (result.live_writes > 0 && (result.rate > 0 || result.idle))
    fail_setup("--live-writes does not go with --rate or --idle");
  return result;
}

// ---------------------------------------------------------------------------
// The request mix.

struct mix {
  std::string name;
  bool sequence = false;
  std::vector<std::string> bodies;  // each request serialised, without request_id
  std::vector<double> cumulative;   // running sums of the weights
};

mix load_mix(const std::string& file) {
  auto problem = [&](const std::string& what) { fail_setup("mix file " + file + ": " + what); };
  std::ifstream in(file);
  if (!in) problem("cannot be read");
  json document;
  try {
    document = json::parse(in);
  } catch (const json::parse_error& error) {
    problem(std::string("is not valid JSON: ") + error.what());
  }
  if (!document.is_object()) problem("the top level must be an object");
  for (const auto& [key, value] : document.items())
    if (key != "name" && key != "requests" && key != "sequence" && key != "description" && key != "comment")
      problem("unknown top-level key '" + key + "' (expected name, requests, sequence, description, comment)");
  mix result;
  if (!document.contains("name") || !document["name"].is_string() || document["name"].get<std::string>().empty())
    problem("\"name\" must be a non-empty string");
  result.name = document["name"].get<std::string>();
  if (document.contains("sequence")) {
    if (!document["sequence"].is_boolean()) problem("\"sequence\" must be true or false");
    result.sequence = document["sequence"].get<bool>();
  }
  if (!document.contains("requests") || !document["requests"].is_array() || document["requests"].empty())
    problem("\"requests\" must be a non-empty array");
  double total = 0;
  std::size_t index = 0;
  for (const auto& entry : document["requests"]) {
    std::string where = "requests[" + std::to_string(index++) + "]";
    if (!entry.is_object()) problem(where + " must be an object with \"request\" and \"weight\"");
    for (const auto& [key, value] : entry.items())
      if (key != "weight" && key != "request" && key != "name" && key != "comment")
        problem(where + ": unknown key '" + key + "' (expected weight, request, name, comment)");
    double weight = 1;
    if (entry.contains("weight")) {
      const auto& w = entry["weight"];
      if (!w.is_number() || !(w.get<double>() > 0) || !std::isfinite(w.get<double>()))
        problem(where + ": \"weight\" must be a positive number");
      weight = w.get<double>();
    } else if (!result.sequence) {
      problem(where + ": \"weight\" is required unless \"sequence\" is true");
    }
    if (!entry.contains("request") || !entry["request"].is_object())
      problem(where + ": \"request\" must be a JSON object (the message to send)");
    const auto& request = entry["request"];
    if (request.contains("request_id")) problem(where + ": \"request\" must not carry request_id (the generator adds it)");
    if (request.contains("type") && !request["type"].is_string()) problem(where + ": \"request.type\" must be a string");
    result.bodies.push_back(request.dump());
    total += weight;
    result.cumulative.push_back(total);
  }
  return result;
}

// ---------------------------------------------------------------------------
// Latency histogram: log-linear buckets as in HdrHistogram. Values below 256 µs
// are exact; above, each power of two is cut into 128 buckets, so a bucket's
// midpoint is within 0.4% of every value in it. Range 0 to 60 s.

class histogram {
 public:
  static constexpr std::uint64_t max_micros = 60'000'000;
  static constexpr int sub_bits = 7;
  static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;

  histogram() : counts_(index_of(max_micros) + 1, 0) {}

  void record(std::uint64_t micros) {
    micros = std::min(micros, max_micros);
    ++counts_[index_of(micros)];
    ++count_;
    sum_ += micros;
    max_ = std::max(max_, micros);
  }
  void merge(const histogram& other) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    max_ = std::max(max_, other.max_);
  }
  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }
  // The value at or below which `fraction` of the samples lie (a bucket's midpoint, never above the maximum).
  double percentile(double fraction) const {
    if (count_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(midpoint(i), static_cast<double>(max_));
    }
    return static_cast<double>(max_);
  }

 private:
  static std::size_t index_of(std::uint64_t value) {
    if (value < 2 * sub_count) return static_cast<std::size_t>(value);
    int shift = (63 - __builtin_clzll(value)) - sub_bits;  // >= 1
    return static_cast<std::size_t>((static_cast<std::uint64_t>(shift) + 1) * sub_count + ((value >> shift) - sub_count));
  }
  static double midpoint(std::size_t index) {
    if (index < 2 * sub_count) return static_cast<double>(index);
    std::uint64_t shift = index / sub_count - 1;
    std::uint64_t low = (index % sub_count + sub_count) << shift;
    return static_cast<double>(low) + static_cast<double>((std::uint64_t{1} << shift) - 1) / 2;
  }
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0, sum_ = 0, max_ = 0;
};

// ---------------------------------------------------------------------------
// Reading a frame: only a few top-level fields matter, so a SAX pass picks
// them out without building the document.

struct frame_info {
  std::string type, code, reason;
  bool has_id = false;
  std::uint64_t id = 0;  // meaningful when the id was a non-negative integer
  bool id_is_integer = false;
};

class frame_reader : public nlohmann::json_sax<json> {
 public:
  explicit frame_reader(frame_info& info) : info_(info) {}
  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t v) override {
    if (depth_ == 1 && key_ == "request_id") {
      info_.has_id = true;
      info_.id_is_integer = v >= 0;
      info_.id = static_cast<std::uint64_t>(v);
    }
    return value();
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (depth_ == 1 && key_ == "request_id") {
      info_.has_id = info_.id_is_integer = true;
      info_.id = v;
    }
    return value();
  }
  bool number_float(number_float_t, const string_t&) override {
    if (depth_ == 1 && key_ == "request_id") info_.has_id = true;
    return value();
  }
  bool string(string_t& v) override {
    if (depth_ == 1) {
      if (key_ == "type") info_.type = v;
      else if (key_ == "code") info_.code = v;
      else if (key_ == "reason") info_.reason = v;
      else if (key_ == "request_id") info_.has_id = true;  // not one of ours: ours are integers
    }
    return value();
  }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override { return nest(+1); }
  bool key(string_t& k) override {
    if (depth_ == 1) key_ = k;
    return true;
  }
  bool end_object() override { return nest(-1); }
  bool start_array(std::size_t) override { return nest(+1); }
  bool end_array() override { return nest(-1); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  bool value() { return true; }
  bool nest(int change) {
    depth_ += change;
    return true;
  }
  frame_info& info_;
  int depth_ = 0;
  std::string key_;
};

bool read_frame(const beast::flat_buffer& buffer, frame_info& info) {
  const auto data = buffer.data();
  const char* first = static_cast<const char*>(data.data());
  frame_reader reader{info};
  return json::sax_parse(first, first + data.size(), &reader) && !info.type.empty();
}

// A number in [0, 1) from splitmix64: the same sequence for the same seed on
// every platform, so a connection's requests repeat from run to run.
double next_uniform(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

// ---------------------------------------------------------------------------
// Shared run state and per-worker statistics.

struct run_state {
  options opts;
  mix requests;
  tcp::endpoint endpoint;
  std::string host;
  time_point window_start, window_end;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> next_request_id{1};
  // progress counters (read once a second by the main thread)
  std::atomic<long> open{0};
  std::atomic<std::uint64_t> answered{0}, errors{0}, opened{0}, gave_up{0};

  bool in_window(time_point t) const { return t >= window_start && t <= window_end; }

  // --live-writes: the conversations written to, and when write number n was
  // posted (nanoseconds of clock_type, 0 until then). Sized once, before the
  // threads start; the writer stops at its capacity.
  std::vector<std::int64_t> conversations;
  std::unique_ptr<std::atomic<std::int64_t>[]> write_posted_at;
  std::size_t write_capacity = 0;
  std::atomic<std::uint64_t> writes_posted{0};
};

std::int64_t nanoseconds(time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

struct statistics {
  histogram latency;  // µs, requests sent and answered inside the window
  // --live-writes: µs from a write's POST to the first push showing it, per
  // connection, for writes posted inside the window; and the POSTs' own answers.
  histogram push_latency, write_latency;
  std::uint64_t pushes_in_window = 0, writes_in_window = 0;
  std::map<std::string, std::uint64_t> write_errors;
  std::map<std::string, std::uint64_t> errors, window_errors, unsolicited, answers_by_type;
  std::uint64_t sent_total = 0, answered_total = 0;
  std::uint64_t received_in_window = 0;  // non-error answers received in the window, whenever sent
  std::uint64_t unfinished = 0;          // sent in the window, not answered by its end: left out of the latency

  void merge(const statistics& other) {
    latency.merge(other.latency);
    push_latency.merge(other.push_latency);
    write_latency.merge(other.write_latency);
    pushes_in_window += other.pushes_in_window;
    writes_in_window += other.writes_in_window;
    for (const auto& [k, v] : other.write_errors) write_errors[k] += v;
    for (const auto& [k, v] : other.errors) errors[k] += v;
    for (const auto& [k, v] : other.window_errors) window_errors[k] += v;
    for (const auto& [k, v] : other.unsolicited) unsolicited[k] += v;
    for (const auto& [k, v] : other.answers_by_type) answers_by_type[k] += v;
    sent_total += other.sent_total;
    answered_total += other.answered_total;
    received_in_window += other.received_in_window;
    unfinished += other.unfinished;
  }
};

class slot;

struct worker {
  explicit worker(run_state& r) : run(r) {}
  run_state& run;
  asio::io_context ctx{1};  // declared before the slots: their timers must go first
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(ctx);
  statistics stats;
  std::vector<std::shared_ptr<slot>> slots;
  std::thread thread;

  void count_error(const std::string& kind, time_point when) {
    ++stats.errors[kind];
    if (run.in_window(when)) ++stats.window_errors[kind];
    run.errors.fetch_add(1, std::memory_order_relaxed);
  }
};

// ---------------------------------------------------------------------------
// One WebSocket connection.

class session : public std::enable_shared_from_this<session> {
 public:
  session(worker& w, slot& owner) : worker_(w), slot_(owner), ws_(w.ctx), timeout_(w.ctx), pace_(w.ctx) {}
  void run();
  void stop();

 private:
  void on_connect(beast::error_code ec);
  void on_handshake(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t);
  void handle_frame(time_point received);
  void note_live_writes(time_point received, bool is_push);
  void send_next();
  void send_when_due();
  void on_write(beast::error_code ec, std::size_t);
  void on_timeout(beast::error_code ec, std::uint64_t id);
  void start_close();
  void mark_closed();
  void end(const char* kind);

  worker& worker_;
  slot& slot_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  asio::steady_timer timeout_;
  asio::steady_timer pace_;  // --rate: waits for the next due time
  std::string out_;
  std::uint64_t request_id_ = 0;
  time_point sent_at_;
  bool open_ = false, ended_ = false, stopping_ = false, writing_ = false, awaiting_ = false;
  bool send_after_write_ = false, close_after_write_ = false;
  std::uint64_t requests_sent_ = 0;
  std::unordered_set<std::uint64_t> writes_seen_;  // --live-writes: shown to this connection already
};

// One of the N logical connections: its request sequence survives reopens.
class slot : public std::enable_shared_from_this<slot> {
 public:
  slot(worker& w, std::size_t index, time_point start_at)
      : worker_(w), start_at_(start_at), timer_(w.ctx),
        rng_state_(0x5eed0000'00000000ULL + index), position_(index % w.run.requests.bodies.size()) {
    if (w.run.opts.rate > 0) {
      period_ = std::chrono::duration_cast<clock_type::duration>(
          std::chrono::duration<double>(static_cast<double>(w.run.opts.connections) / w.run.opts.rate));
      next_due_ = start_at;
    }
  }

  void start() {
    timer_.expires_at(start_at_);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->open();
    });
  }
  void stop() {
    stopped_ = true;
    timer_.cancel();
    if (auto s = session_.lock()) s->stop();
  }
  // A session ended; `kind` names the error, or is null when we closed it ourselves.
  void session_ended(const char* kind) {
    if (stopped_ || worker_.run.stopping.load()) return;
    if (kind) worker_.count_error(kind, clock_type::now());
    if (++failures_ > max_failures_per_connection) {
      worker_.run.gave_up.fetch_add(1);
      return;
    }
    auto backoff = std::chrono::milliseconds(250) * (1 << std::min(failures_ - 1, 3));  // 0.25 .. 2 s
    timer_.expires_after(backoff);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && !self->stopped_) self->open();
    });
  }
  // With --rate: when this connection's next request is due. Connection i of
  // N sends at times start + (i + k N) / R, k = 0, 1, ...; a due time that
  // passed while the connection waited is still the one its latency counts from.
  time_point take_due_time() {
    const time_point due = next_due_;
    next_due_ += period_;
    return due;
  }

  // The next message: the mix entry with a fresh request_id spliced in front.
  std::string next_message(std::uint64_t id) {
    const auto& m = worker_.run.requests;
    std::size_t choice;
    if (m.sequence || worker_.run.opts.live_writes > 0) {
      choice = position_;
      position_ = (position_ + 1) % m.bodies.size();
    } else {
      double r = uniform() * m.cumulative.back();
      choice = static_cast<std::size_t>(std::upper_bound(m.cumulative.begin(), m.cumulative.end(), r) - m.cumulative.begin());
      choice = std::min(choice, m.bodies.size() - 1);
    }
    const std::string& body = m.bodies[choice];  // a dumped object: starts with '{'
    std::string message = "{\"request_id\":" + std::to_string(id);
    if (body.size() > 2) message += ',';
    message.append(body, 1, std::string::npos);
    return message;
  }

 private:
  void open() {
    auto s = std::make_shared<session>(worker_, *this);
    session_ = s;
    s->run();
  }
  double uniform() { return next_uniform(rng_state_); }

  worker& worker_;
  time_point start_at_;
  asio::steady_timer timer_;
  std::weak_ptr<session> session_;
  std::uint64_t rng_state_;
  std::size_t position_;
  clock_type::duration period_{};
  time_point next_due_;
  int failures_ = 0;
  bool stopped_ = false;
};

void session::run() {
  auto& stream = beast::get_lowest_layer(ws_);
  stream.expires_after(connect_timeout);
  stream.async_connect(worker_.run.endpoint, [self = shared_from_this()](beast::error_code ec) { self->on_connect(ec); });
}

void session::on_connect(beast::error_code ec) {
  if (stopping_) return end(nullptr);
  if (ec) return end("connect_failed");
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
  beast::get_lowest_layer(ws_).expires_never();  // the websocket stream has its own timeouts from here
  websocket::stream_base::timeout limits{};
  limits.handshake_timeout = connect_timeout;
  limits.idle_timeout = websocket::stream_base::none();
  limits.keep_alive_pings = false;
  ws_.set_option(limits);
  ws_.async_handshake(worker_.run.host, worker_.run.opts.path,
                      [self = shared_from_this()](beast::error_code e) { self->on_handshake(e); });
}

void session::on_handshake(beast::error_code ec) {
  if (stopping_) return end(nullptr);
  if (ec) return end("handshake_failed");
  open_ = true;
  websocket::stream_base::timeout limits{};
  limits.handshake_timeout = close_timeout;  // bounds the closing handshake at the end
  limits.idle_timeout = websocket::stream_base::none();
  limits.keep_alive_pings = false;
  ws_.set_option(limits);
  worker_.run.open.fetch_add(1, std::memory_order_relaxed);
  worker_.run.opened.fetch_add(1, std::memory_order_relaxed);
  ws_.text(true);
  do_read();
  if (!worker_.run.opts.idle) send_when_due();  // requests flow as soon as the connection is up
}

void session::do_read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void session::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    if (stopping_) return mark_closed();
    return end(ec == websocket::error::closed ? "closed_by_server" : "connection_lost");
  }
  handle_frame(clock_type::now());
  buffer_.consume(buffer_.size());
  do_read();
}

void session::handle_frame(time_point received) {
  frame_info frame;
  auto& stats = worker_.stats;
  if (!read_frame(buffer_, frame)) return worker_.count_error("invalid_frame", received);
  const bool is_list = frame.type == "customers_list";
  if (worker_.run.opts.live_writes > 0 && is_list) note_live_writes(received, !frame.has_id && frame.reason == "update");
  if (!frame.has_id) {  // connection_established, the initial list, live pushes
    ++stats.unsolicited[is_list && frame.reason == "update" ? "customers_list_update" : frame.type];
    if (frame.type == "error") worker_.count_error(frame.code.empty() ? "error" : frame.code, received);
    return;
  }
  if (!awaiting_ || !frame.id_is_integer || frame.id != request_id_) {
    ++stats.unsolicited["late_answer"];  // the answer to a request already given up on
    return;
  }
  awaiting_ = false;
  timeout_.cancel();
  ++stats.answered_total;
  if (!stopping_ && sent_at_ >= worker_.run.window_start && sent_at_ <= worker_.run.window_end &&
      received > worker_.run.window_end)
    ++stats.unfinished;  // (stop() counts those still waiting then)
  if (frame.type == "error") {
    worker_.count_error(frame.code.empty() ? "error" : frame.code, received);
  } else {
    worker_.run.answered.fetch_add(1, std::memory_order_relaxed);
    if (worker_.run.in_window(received)) ++stats.received_in_window;
    if (sent_at_ >= worker_.run.window_start && received <= worker_.run.window_end) {
      auto micros = std::chrono::duration_cast<std::chrono::microseconds>(received - sent_at_).count();
      stats.latency.record(static_cast<std::uint64_t>(std::max<long long>(micros, 0)));
      ++stats.answers_by_type[frame.type];
    }
  }
  if (!stopping_) send_when_due();
}

// Every "s5 <n>" message content in the list; the first sight of write n on
// this connection, when a push brings it, is one latency sample. (What the
// answer to the connection's own request shows was there before it listened.)
void session::note_live_writes(time_point received, bool is_push) {
  static constexpr std::string_view marker = "\"content\":\"s5 ";
  const auto data = buffer_.data();
  const std::string_view text(static_cast<const char*>(data.data()), data.size());
  auto& run = worker_.run;
  auto& stats = worker_.stats;
  if (is_push && run.in_window(received)) ++stats.pushes_in_window;
  for (auto at = text.find(marker); at != std::string_view::npos; at = text.find(marker, at + 1)) {
    std::uint64_t number = 0;
    std::size_t digits = 0;
    for (auto position = at + marker.size(); position < text.size() && text[position] >= '0' && text[position] <= '9';
         ++position, ++digits)
      number = number * 10 + static_cast<std::uint64_t>(text[position] - '0');
    if (digits == 0 || number >= run.write_capacity || !writes_seen_.insert(number).second || !is_push) continue;
    const auto posted = run.write_posted_at[number].load(std::memory_order_relaxed);
    if (posted == 0) continue;
    const time_point posted_at{std::chrono::duration_cast<clock_type::duration>(std::chrono::nanoseconds(posted))};
    if (!run.in_window(posted_at)) continue;
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(received - posted_at).count();
    stats.push_latency.record(static_cast<std::uint64_t>(std::max<long long>(micros, 0)));
  }
}

void session::send_when_due() {
  if (worker_.run.opts.live_writes > 0) {  // one request, then only pushes
    if (requests_sent_ == 0) send_next();
    return;
  }
  if (worker_.run.opts.rate <= 0) return send_next();
  pace_.expires_at(slot_.take_due_time());
  pace_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec && !self->stopping_ && !self->ended_) self->send_next();
  });
}

void session::send_next() {
  if (writing_) {
    send_after_write_ = true;
    return;
  }
  request_id_ = worker_.run.next_request_id.fetch_add(1, std::memory_order_relaxed);
  out_ = slot_.next_message(request_id_);
  ++worker_.stats.sent_total;
  ++requests_sent_;
  awaiting_ = writing_ = true;
  // With --rate, timed from when it was due: the timer above fired then, or
  // at once when that moment had already passed.
  sent_at_ = worker_.run.opts.rate > 0 ? std::min(pace_.expiry(), clock_type::now()) : clock_type::now();
  ws_.async_write(asio::buffer(out_), [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_write(ec, n); });
  timeout_.expires_after(request_timeout);
  timeout_.async_wait([self = shared_from_this(), id = request_id_](beast::error_code e) { self->on_timeout(e, id); });
}

void session::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (ec) {
    if (stopping_) return mark_closed();
    return end("connection_lost");
  }
  if (close_after_write_) return start_close();
  if (send_after_write_ && !stopping_) {
    send_after_write_ = false;
    send_next();
  }
}

void session::on_timeout(beast::error_code ec, std::uint64_t id) {
  if (ec || ended_ || stopping_ || !awaiting_ || id != request_id_) return;
  awaiting_ = false;
  worker_.count_error("client_timeout", clock_type::now());
  send_when_due();
}

void session::stop() {
  if (stopping_ || ended_) return;
  stopping_ = true;
  timeout_.cancel();
  pace_.cancel();
  if (awaiting_ && sent_at_ >= worker_.run.window_start && sent_at_ <= worker_.run.window_end) ++worker_.stats.unfinished;
  if (!open_) {  // still connecting: cancel it
    beast::get_lowest_layer(ws_).cancel();
    return;
  }
  if (writing_) close_after_write_ = true;
  else start_close();
}

void session::start_close() {
  ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) { self->mark_closed(); });
}

// Closed on our side at the end of the run: not an error.
void session::mark_closed() {
  if (open_) worker_.run.open.fetch_sub(1, std::memory_order_relaxed);
  open_ = false;
  ended_ = true;
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

// The session failed (or was stopped while connecting): close it and tell the slot once.
void session::end(const char* kind) {
  if (ended_) return;
  mark_closed();
  timeout_.cancel();
  pace_.cancel();
  slot_.session_ended(stopping_ ? nullptr : kind);
}

// ---------------------------------------------------------------------------
// --live-writes: one HTTP connection posting customer messages at a fixed
// rate, one request at a time (a slow answer delays the next one).

class live_writer : public std::enable_shared_from_this<live_writer> {
 public:
  explicit live_writer(worker& w) : worker_(w), stream_(w.ctx), timer_(w.ctx) {
    period_ = std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double>(1.0 / w.run.opts.live_writes));
  }

  void start(time_point at) {
    next_due_ = at;
    timer_.expires_at(at);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->connect();
    });
  }
  void stop() {
    stopping_ = true;
    timer_.cancel();
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

 private:
  void connect() {
    if (stopping_) return;
    stream_.expires_after(connect_timeout);
    stream_.async_connect(worker_.run.endpoint, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->failed("write_connect_failed");
      beast::error_code ignored;
      self->stream_.socket().set_option(tcp::no_delay(true), ignored);
      self->wait_until_due();
    });
  }
  void wait_until_due() {
    if (stopping_) return;
    timer_.expires_at(next_due_);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->post();
    });
  }
  void post() {
    auto& run = worker_.run;
    const auto number = run.writes_posted.fetch_add(1, std::memory_order_relaxed);
    if (stopping_ || number >= run.write_capacity) return;
    next_due_ += period_;
    const auto conversation = run.conversations[static_cast<std::size_t>(uniform() * static_cast<double>(run.conversations.size()))];
    request_ = {http::verb::post, "/api/conversations/" + std::to_string(conversation) + "/messages", 11};
    request_.set(http::field::host, run.host);
    request_.set(http::field::authorization, "Bearer " + run.opts.admin_token);
    request_.set(http::field::content_type, "application/json");
    request_.keep_alive(true);
    request_.body() = "{\"content\":\"s5 " + std::to_string(number) + "\",\"type\":\"customer\"}";
    request_.prepare_payload();
    posted_at_ = clock_type::now();
    run.write_posted_at[number].store(nanoseconds(posted_at_), std::memory_order_relaxed);
    if (run.in_window(posted_at_)) ++worker_.stats.writes_in_window;
    stream_.expires_after(request_timeout);
    http::async_write(stream_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->failed("write_connection_lost");
      self->response_ = {};
      http::async_read(self->stream_, self->buffer_, self->response_, [self](beast::error_code e, std::size_t) {
        if (e) return self->failed("write_connection_lost");
        self->answered();
      });
    });
  }
  void answered() {
    const auto now = clock_type::now();
    if (response_.result() != http::status::created) {
      ++worker_.stats.write_errors["write_status_" + std::to_string(response_.result_int())];
    } else if (worker_.run.in_window(posted_at_)) {
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - posted_at_).count();
      worker_.stats.write_latency.record(static_cast<std::uint64_t>(std::max<long long>(micros, 0)));
    }
    if (!response_.keep_alive()) {
      beast::error_code ignored;
      stream_.socket().close(ignored);
      return connect();
    }
    wait_until_due();
  }
  void failed(const char* kind) {
    if (stopping_) return;
    ++worker_.stats.write_errors[kind];
    beast::error_code ignored;
    stream_.socket().close(ignored);
    next_due_ = clock_type::now() + std::chrono::milliseconds(250);
    timer_.expires_at(next_due_);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->connect();
    });
  }
  double uniform() { return next_uniform(rng_state_); }

  worker& worker_;
  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  clock_type::duration period_{};
  time_point next_due_, posted_at_;
  std::uint64_t rng_state_ = 0x5eed5eed'00000005ULL;
  bool stopping_ = false;
};

std::vector<std::int64_t> load_conversations(const std::string& file) {
  std::ifstream in(file);
  if (!in) fail_setup("--write-conversations " + file + ": cannot be read");
  json document;
  try {
    document = json::parse(in);
  } catch (const json::parse_error& error) {
    fail_setup("--write-conversations " + file + ": not valid JSON: " + error.what());
  }
  std::vector<std::int64_t> ids;
  if (document.is_array())
    for (const auto& id : document)
      if (id.is_number_integer()) ids.push_back(id.get<std::int64_t>());
  if (ids.empty() || ids.size() != document.size())
    fail_setup("--write-conversations " + file + ": must be a non-empty array of conversation ids");
  return ids;
}

// ---------------------------------------------------------------------------
// The server process, from /proc.

// VmRSS, or RssAnon: resident memory without file pages (the binary, SQLite's
// memory map of the database), which grow with the first queries, not with connections.
std::optional<long> server_memory_kib(long pid, const std::string& field = "VmRSS:") {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
  return std::nullopt;
}

std::optional<double> server_cpu_seconds(long pid) {  // utime + stime
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto paren = text.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(paren + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int n = 3; fields >> field && n <= 15; ++n) {  // field 3 is the state; 14 utime, 15 stime
    if (n == 14) utime = std::stoull(field);
    if (n == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void raise_file_limit(std::size_t connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) fail_setup("cannot read RLIMIT_NOFILE");
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  auto needed = static_cast<rlim_t>(connections) + 64;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed)
    fail_setup("open-file limit is " + std::to_string(limit.rlim_cur) + " (hard limit " + std::to_string(limit.rlim_max) +
               "), too low for " + std::to_string(connections) + " connections: need at least " + std::to_string(needed) +
               "; raise it (ulimit -Hn / limits.conf) or use fewer connections");
}

double round_to(double value, int digits) {
  double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

ordered_json counts_json(const std::map<std::string, std::uint64_t>& counts) {
  ordered_json result = ordered_json::object();
  for (const auto& [k, v] : counts) result[k] = v;
  return result;
}

ordered_json errors_json(const std::map<std::string, std::uint64_t>& counts) {
  std::uint64_t total = 0;
  for (const auto& [k, v] : counts) total += v;
  return {{"total", total}, {"by_kind", counts_json(counts)}};
}

template <class T>
ordered_json or_null(const std::optional<T>& value) {
  return value ? ordered_json(*value) : ordered_json(nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  run_state run;
  run.opts = parse_options(argc, argv);
  const options& opts = run.opts;
  if (!opts.mix_file.empty()) run.requests = load_mix(opts.mix_file);
  if (run.requests.bodies.empty()) run.requests.bodies.push_back("{}");  // --idle without a mix: never sent
  raise_file_limit(opts.connections);
  run.endpoint = tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), opts.port);
  run.host = "127.0.0.1:" + std::to_string(opts.port);

  auto seconds = [](double s) { return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s)); };
  if (opts.live_writes > 0) {
    run.conversations = load_conversations(opts.write_conversations_file);
    const double run_seconds = opts.ramp_seconds + opts.warmup_seconds + opts.measure_seconds + 10;
    run.write_capacity = static_cast<std::size_t>(std::ceil(opts.live_writes * run_seconds)) + 16;
    run.write_posted_at = std::make_unique<std::atomic<std::int64_t>[]>(run.write_capacity);
    for (std::size_t n = 0; n < run.write_capacity; ++n) run.write_posted_at[n].store(0);
  }
  std::optional<long> rss_baseline, anon_baseline, rss_loaded, anon_loaded, rss_end;
  if (opts.server_pid) {
    rss_baseline = server_memory_kib(opts.server_pid);
    anon_baseline = server_memory_kib(opts.server_pid, "RssAnon:");
    if (!rss_baseline) fail_setup("no process " + std::to_string(opts.server_pid) + " (--server-pid)");
  }

  // The schedule: connection i opens at start + ramp * i / N.
  const time_point start = clock_type::now() + std::chrono::milliseconds(50);
  const time_point ramp_end = start + seconds(opts.ramp_seconds);
  run.window_start = ramp_end + seconds(opts.warmup_seconds);
  run.window_end = run.window_start + seconds(opts.measure_seconds);

  std::vector<std::unique_ptr<worker>> workers;
  for (unsigned t = 0; t < opts.threads; ++t) workers.push_back(std::make_unique<worker>(run));
  for (std::size_t i = 0; i < opts.connections; ++i) {
    auto& w = *workers[i % workers.size()];
    auto at = start + seconds(opts.ramp_seconds * static_cast<double>(i) / static_cast<double>(opts.connections));
    w.slots.push_back(std::make_shared<slot>(w, i, at));
  }
  // Writes start once every connection had the ramp to open and ask for its list.
  std::shared_ptr<live_writer> writer;
  if (opts.live_writes > 0) {
    writer = std::make_shared<live_writer>(*workers.front());
    writer->start(ramp_end);
  }
  std::atomic<unsigned> running{static_cast<unsigned>(workers.size())};
  for (auto& w : workers) {
    for (auto& s : w->slots) s->start();
    w->thread = std::thread([&self = *w, &running] {
      self.ctx.run();
      running.fetch_sub(1);
    });
  }

  // The main thread keeps time: progress once a second, samples at the phase boundaries.
  // In --idle mode the loaded memory is sampled at the end of the warm-up when every
  // connection is open by then; otherwise half a second after the last one opens
  // (or at the end of the window, whatever is open then).
  std::optional<double> cpu_window_start, cpu_window_end;
  double own_cpu_start = 0, own_cpu_end = 0;
  long open_at_start = 0, open_at_end = 0, open_at_loaded = 0;
  double loaded_after_s = 0;  // when the loaded sample was taken, from the window start
  bool window_started = false, loaded_pending = opts.idle && opts.server_pid;
  std::optional<time_point> loaded_at;
  const auto all = static_cast<long>(opts.connections);
  std::uint64_t last_answered = 0;
  for (time_point tick = start + std::chrono::seconds(1);;) {
    time_point next = std::min(tick, window_started ? run.window_end : run.window_start);
    if (window_started && loaded_pending) next = std::min(next, loaded_at.value_or(clock_type::now() + std::chrono::milliseconds(100)));
    std::this_thread::sleep_until(next);
    auto now = clock_type::now();
    if (!window_started && now >= run.window_start) {
      window_started = true;
      open_at_start = run.open.load();
      own_cpu_start = own_cpu_seconds();
      if (opts.server_pid) cpu_window_start = server_cpu_seconds(opts.server_pid);
    }
    if (window_started && loaded_pending) {
      if (!loaded_at && run.open.load() == all)
        loaded_at = open_at_start == all ? now : now + std::chrono::milliseconds(500);
      if ((loaded_at && now >= *loaded_at) || now >= run.window_end) {
        open_at_loaded = run.open.load();
        rss_loaded = server_memory_kib(opts.server_pid);
        anon_loaded = server_memory_kib(opts.server_pid, "RssAnon:");
        loaded_after_s = std::chrono::duration<double>(now - run.window_start).count();
        loaded_pending = false;
        if (open_at_loaded != all)
          std::cerr << "load_generator: warning: memory sampled with only " << open_at_loaded << " of " << all
                    << " connections open\n";
      }
    }
    if (now >= run.window_end) {
      open_at_end = run.open.load();
      own_cpu_end = own_cpu_seconds();
      if (opts.server_pid) {
        cpu_window_end = server_cpu_seconds(opts.server_pid);
        rss_end = server_memory_kib(opts.server_pid);
      }
      break;
    }
    if (now >= tick) {
      auto answered = run.answered.load();
      const char* phase = now < ramp_end ? "ramp" : now < run.window_start ? "warmup" : "measure";
      std::cerr << "[" << std::chrono::duration_cast<std::chrono::seconds>(now - start).count() << "s " << phase
                << "] open " << run.open.load() << "/" << opts.connections << ", answered " << answered << " (+"
                << answered - last_answered << "), errors " << run.errors.load() << "\n";
      last_answered = answered;
      tick += std::chrono::seconds(1);
    }
  }

  // Stop: close every connection, give them a few seconds, then cut off whatever is left.
  run.stopping = true;
  if (writer) asio::post(workers.front()->ctx, [writer] { writer->stop(); });
  for (auto& w : workers) {
    asio::post(w->ctx, [&self = *w] {
      for (auto& s : self.slots) s->stop();
    });
    w->guard.reset();
  }
  for (auto deadline = clock_type::now() + stop_grace; running.load() > 0 && clock_type::now() < deadline;)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (running.load() > 0) std::cerr << "load_generator: some connections did not close in time; cutting them off\n";
  for (auto& w : workers) w->ctx.stop();
  for (auto& w : workers) w->thread.join();

  statistics total;
  for (auto& w : workers) total.merge(w->stats);
  const double window = opts.measure_seconds;
  ordered_json result;
  result["label"] = opts.label;
  result["mode"] = opts.idle ? "idle" : opts.live_writes > 0 ? "live" : opts.rate > 0 ? "fixed_rate" : "closed_loop";
  if (opts.rate > 0) result["offered_rate_rps"] = opts.rate;
  result["mix"] = opts.mix_file.empty() ? ordered_json(nullptr) : ordered_json(run.requests.name);
  result["connections"] = opts.connections;
  result["connections_open_at_window_start"] = open_at_start;
  result["connections_open_at_end"] = open_at_end;
  result["threads"] = opts.threads;
  result["ramp_s"] = opts.ramp_seconds;
  result["warmup_s"] = opts.warmup_seconds;
  result["window_s"] = window;
  if (opts.idle) {
    auto per_connection = [&](const std::optional<long>& before, const std::optional<long>& after) {
      return before && after && open_at_loaded > 0
                 ? ordered_json(round_to(static_cast<double>(*after - *before) / static_cast<double>(open_at_loaded), 2))
                 : ordered_json(nullptr);
    };
    result["rss_loaded_connections"] = open_at_loaded;  // open when the loaded sample was taken
    result["rss_loaded_after_s"] = round_to(loaded_after_s, 2);  // after the end of the warm-up
    result["rss_baseline_kib"] = or_null(rss_baseline);
    result["rss_loaded_kib"] = or_null(rss_loaded);
    result["rss_per_connection_kib"] = per_connection(rss_baseline, rss_loaded);
    result["rss_anon_baseline_kib"] = or_null(anon_baseline);
    result["rss_anon_loaded_kib"] = or_null(anon_loaded);
    result["rss_anon_per_connection_kib"] = per_connection(anon_baseline, anon_loaded);
  } else {
    const auto& h = total.latency;
    result["answered"] = h.count();
    result["throughput_rps"] = round_to(static_cast<double>(h.count()) / window, 1);
    result["latency_ms"] = {{"p50", round_to(h.percentile(0.50) / 1000, 3)},
                            {"p90", round_to(h.percentile(0.90) / 1000, 3)},
                            {"p99", round_to(h.percentile(0.99) / 1000, 3)},
                            {"p999", round_to(h.percentile(0.999) / 1000, 3)},
                            {"max", round_to(static_cast<double>(h.max()) / 1000, 3)},
                            {"mean", round_to(h.mean() / 1000, 3)}};
    // Counting only requests sent inside the window leaves out those in flight at
    // its start; when latency is a sizeable part of the window, this rate (every
    // answer received in the window) is the better estimate of what the server does.
    result["completion_rate_rps"] = round_to(static_cast<double>(total.received_in_window) / window, 1);
    result["sent_in_window_unanswered"] = total.unfinished;
    if (total.unfinished * 10 > h.count())
      std::cerr << "load_generator: warning: " << total.unfinished << " requests sent in the window were not answered in it ("
                << h.count() << " were): latency is long compared with the window, so the figures favour fast requests;"
                << " lengthen --measure-seconds\n";
    result["answers_by_type"] = counts_json(total.answers_by_type);
    result["requests_sent_total"] = total.sent_total;
  }
  if (opts.live_writes > 0) {
    auto milliseconds = [](const histogram& h) {
      return ordered_json{{"p50", round_to(h.percentile(0.50) / 1000, 3)}, {"p90", round_to(h.percentile(0.90) / 1000, 3)},
                          {"p99", round_to(h.percentile(0.99) / 1000, 3)}, {"max", round_to(static_cast<double>(h.max()) / 1000, 3)},
                          {"mean", round_to(h.mean() / 1000, 3)}};
    };
    result["live"] = {{"writes_per_second", opts.live_writes},
                      {"writes_in_window", total.writes_in_window},
                      {"write_errors", errors_json(total.write_errors)},
                      {"write_answer_ms", milliseconds(total.write_latency)},
                      {"pushes_in_window", total.pushes_in_window},
                      {"samples", total.push_latency.count()},
                      {"write_to_push_ms", milliseconds(total.push_latency)}};
  }
  result["errors"] = errors_json(total.window_errors);
  result["errors_whole_run"] = errors_json(total.errors);
  result["unsolicited_frames"] = counts_json(total.unsolicited);
  result["connections_opened_total"] = run.opened.load();
  result["connections_given_up"] = run.gave_up.load();
  result["generator_cpu_s"] = round_to(own_cpu_end - own_cpu_start, 3);
  if (opts.server_pid) {
    ordered_json server{{"pid", opts.server_pid}, {"rss_kib", or_null(rss_end)}};
    if (cpu_window_start && cpu_window_end) {
      double cpu = *cpu_window_end - *cpu_window_start;
      server["cpu_s"] = round_to(cpu, 3);
      if (!opts.idle && total.latency.count() > 0)
        server["cpu_ms_per_request"] = round_to(cpu * 1000 / static_cast<double>(total.latency.count()), 4);
    } else {
      server["cpu_s"] = nullptr;
    }
    result["server"] = server;
  }

  std::string text = result.dump(2);
  std::cout << text << std::endl;
  if (!opts.output.empty()) {
    std::ofstream out(opts.output);
    out << text << "\n";
    if (!out) {
      std::cerr << "load_generator: cannot write " << opts.output << "\n";
      return 2;
    }
  }
  if (opts.idle && open_at_end != static_cast<long>(opts.connections)) {
    std::cerr << "load_generator: only " << open_at_end << " of " << opts.connections << " connections were open at the end\n";
    return 1;
  }
  return 0;
}
