// Measures the latency of the requests agents make most, one at a time over
// one WebSocket connection (no concurrency: this is the floor a user sees).
//
//   latency_bench PORT [ITERATIONS] [SECONDS_PER_SCENARIO]
//
// Connects to 127.0.0.1 only. Every scenario stops after ITERATIONS requests
// or SECONDS_PER_SCENARIO seconds, whichever comes first. Prints one JSON
// object with the median, p90 and p99 of each scenario, in milliseconds.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = boost::asio::ip::tcp;
using json = nlohmann::json;

namespace {

class client {
 public:
  explicit client(unsigned short port) : stream_(io_) {
    tcp::resolver resolver{io_};
    boost::asio::connect(stream_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    stream_.next_layer().set_option(tcp::no_delay(true));
    stream_.handshake("127.0.0.1", "/ws/customers/?page_size=20");
    receive();  // connection_established
    receive();  // the initial list
  }
  json request(const json& message) {
    stream_.write(boost::asio::buffer(message.dump()));
    return receive();
  }

 private:
  json receive() {
    beast::flat_buffer buffer;
    stream_.read(buffer);
    return json::parse(beast::buffers_to_string(buffer.data()));
  }
  boost::asio::io_context io_;
  websocket::stream<tcp::socket> stream_;
};

double percentile(std::vector<double> values, double fraction) {
  std::sort(values.begin(), values.end());
  auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: latency_bench PORT [ITERATIONS] [SECONDS_PER_SCENARIO]\n";
    return 2;
  }
  auto port = static_cast<unsigned short>(std::stoi(argv[1]));
  int iterations = argc > 2 ? std::stoi(argv[2]) : 200;
  double seconds_per_scenario = argc > 3 ? std::stod(argv[3]) : 20;
  client connection{port};

  // "Recent active customers" asks for the last month of the data set, so
  // derive the date from the data instead of the quick reference's 2023.
  auto options = connection.request({{"type", "get_filter_options"}});
  std::string newest = options["options"]["created_at_range"]["max"].get<std::string>();
  int year = std::stoi(newest.substr(0, 4)), month = std::stoi(newest.substr(5, 2));
  if (--month == 0) month = 12, --year;
  char month_ago[32];
  std::snprintf(month_ago, sizeof month_ago, "%04d-%02d-01", year, month);

  struct scenario {
    std::string name;
    json message;
  };
  std::vector<scenario> scenarios{
      {"vip_with_email", {{"type", "filter_customers"}, {"filters", {{"tags", {"VIP"}}, {"has_email", "true"}}}}},
      {"telegram_needing_response",
       {{"type", "filter_customers"}, {"filters", {{"source", "telegram"}, {"has_unread", "true"}}}}},
      {"without_contact_info",
       {{"type", "filter_customers"}, {"filters", {{"has_email", "false"}, {"has_phone", "false"}}}}},
      {"recent_active",
       {{"type", "filter_customers"},
        {"filters", {{"last_activity_from", month_ago}, {"conversation_status", "active"}, {"order_by", "-updated_at"}}}}},
      {"search", {{"type", "search_customers"}, {"search_term", "ivan"}}},
      {"get_filter_options", {{"type", "get_filter_options"}}},
  };

  json results = json::object();
  for (const auto& each : scenarios) {
    connection.request(each.message);  // warm-up: first use of statements and pages
    std::vector<double> milliseconds;
    json last;
    auto scenario_started = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) {
      auto started = std::chrono::steady_clock::now();
      last = connection.request(each.message);
      auto took = std::chrono::steady_clock::now() - started;
      milliseconds.push_back(std::chrono::duration<double, std::milli>(took).count());
      if (std::chrono::steady_clock::now() - scenario_started > std::chrono::duration<double>(seconds_per_scenario))
        break;
    }
    if (last["type"] == "error") {
      std::cerr << each.name << ": " << last.dump() << "\n";
      return 1;
    }
    results[each.name] = {{"requests", milliseconds.size()},
                          {"matches", last.contains("count") ? last["count"] : json(nullptr)},
                          {"median_ms", percentile(milliseconds, 0.5)},
                          {"p90_ms", percentile(milliseconds, 0.9)},
                          {"p99_ms", percentile(milliseconds, 0.99)}};
  }
  std::cout << results.dump(2) << "\n";
  return 0;
}
