// The service's Prometheus metrics. prometheus-cpp stays behind the pimpl;
// every method is thread-safe (network threads and actors share one object).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace cws::actors {

class service_metrics {
 public:
  service_metrics();
  ~service_metrics();
  service_metrics(const service_metrics&) = delete;
  service_metrics& operator=(const service_metrics&) = delete;

  void connection_opened();
  void connection_closed();
  // `type` is the request's wire type; unknown types are counted as "unknown"
  // so that clients cannot grow the number of series.
  void request_received(std::string_view type);
  void error_sent(std::string_view code);
  // `kind` is "list" or "filter_options".
  void query_finished(std::string_view kind, std::chrono::steady_clock::duration took);
  void http_request(std::string_view route, unsigned status);
  // Live updates: change events from the feed, live queries run again, and
  // customers_list pushes sent.
  void change_event_received();
  void live_query_run();
  void live_push_sent();
  // The in-memory index: a reload of everything (`everything`) or of the
  // customers a change touched, and how many customers it then holds.
  void index_reloaded(bool everything, std::chrono::steady_clock::duration took, std::size_t customers);
  // Rows of a page the index had cached, and those read from the database.
  void rows_served(std::size_t cached, std::size_t read);

  // The Prometheus text exposition format (version 0.0.4).
  std::string render() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace cws::actors
