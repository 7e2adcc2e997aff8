#include "actors/metrics.hpp"

#include <array>
#include <map>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace cws::actors {

namespace {

constexpr std::array known_request_types{
    "get_customers", "filter_customers", "refresh_customers", "search_customers",
    "get_filter_options", "ping", "subscribe", "unsubscribe"};

constexpr std::array known_error_codes{
    "invalid_json", "invalid_message", "unknown_type", "invalid_filter",
    "timeout", "rate_limited", "unavailable", "internal"};

// Query latency buckets in seconds: from 0.5 ms (an indexed page) to 10 s
// (the default query time limit).
const prometheus::Histogram::BucketBoundaries latency_buckets{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

}  // namespace

struct service_metrics::impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Gauge& connections_open;
  prometheus::Counter& connections_total;
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Counter>& errors;
  prometheus::Family<prometheus::Histogram>& query_latency;
  prometheus::Family<prometheus::Counter>& http_requests;
  std::map<std::string, prometheus::Counter*, std::less<>> request_counters;
  std::map<std::string, prometheus::Counter*, std::less<>> error_counters;
  prometheus::Histogram& list_latency;
  prometheus::Histogram& options_latency;
  prometheus::Counter& change_events;
  prometheus::Counter& live_query_runs;
  prometheus::Counter& live_pushes;
  prometheus::Family<prometheus::Histogram>& index_reload_latency;
  prometheus::Histogram& index_full_reloads;
  prometheus::Histogram& index_customer_reloads;
  prometheus::Gauge& index_customers;
  prometheus::Family<prometheus::Counter>& page_rows;
  prometheus::Counter& cached_rows;
  prometheus::Counter& read_rows;

  impl()
      : connections_open(prometheus::BuildGauge()
                             .Name("customer_ws_connections_open")
                             .Help("WebSocket connections currently open")
                             .Register(*registry)
                             .Add({})),
        connections_total(prometheus::BuildCounter()
                              .Name("customer_ws_connections_total")
                              .Help("WebSocket connections accepted since start")
                              .Register(*registry)
                              .Add({})),
        requests(prometheus::BuildCounter()
                     .Name("customer_ws_requests_total")
                     .Help("WebSocket requests received, by type")
                     .Register(*registry)),
        errors(prometheus::BuildCounter()
                   .Name("customer_ws_errors_total")
                   .Help("error messages sent, by code")
                   .Register(*registry)),
        query_latency(prometheus::BuildHistogram()
                          .Name("customer_ws_query_duration_seconds")
                          .Help("time from a query's dispatch to its answer, by kind")
                          .Register(*registry)),
        http_requests(prometheus::BuildCounter()
                          .Name("customer_ws_http_requests_total")
                          .Help("plain HTTP requests, by route and status")
                          .Register(*registry)),
        list_latency(query_latency.Add({{"kind", "list"}}, latency_buckets)),
        options_latency(query_latency.Add({{"kind", "filter_options"}}, latency_buckets)),
        change_events(prometheus::BuildCounter()
                          .Name("customer_ws_change_events_total")
                          .Help("change events read from the change log")
                          .Register(*registry)
                          .Add({})),
        live_query_runs(prometheus::BuildCounter()
                            .Name("customer_ws_live_query_runs_total")
                            .Help("live queries run again after a change")
                            .Register(*registry)
                            .Add({})),
        live_pushes(prometheus::BuildCounter()
                        .Name("customer_ws_live_pushes_total")
                        .Help("customers_list updates pushed to connections")
                        .Register(*registry)
                        .Add({})),
        index_reload_latency(prometheus::BuildHistogram()
                                 .Name("customer_ws_index_reload_duration_seconds")
                                 .Help("time the in-memory index took to read changes, by scope")
                                 .Register(*registry)),
        index_full_reloads(index_reload_latency.Add({{"scope", "everything"}}, latency_buckets)),
        index_customer_reloads(index_reload_latency.Add({{"scope", "customers"}}, latency_buckets)),
        index_customers(prometheus::BuildGauge()
                            .Name("customer_ws_index_customers")
                            .Help("customers held by the in-memory index")
                            .Register(*registry)
                            .Add({})),
        page_rows(prometheus::BuildCounter()
                      .Name("customer_ws_page_rows_total")
                      .Help("customers shown on list pages, by where their rows came from")
                      .Register(*registry)),
        cached_rows(page_rows.Add({{"from", "cache"}})),
        read_rows(page_rows.Add({{"from", "database"}})) {
    // Every series exists from the start, so dashboards see zeros, not gaps,
    // and the maps are never written after construction (lock-free reads).
    for (const char* type : known_request_types)
      request_counters.emplace(type, &requests.Add({{"type", type}}));
    request_counters.emplace("unknown", &requests.Add({{"type", "unknown"}}));
    for (const char* code : known_error_codes)
      error_counters.emplace(code, &errors.Add({{"code", code}}));
  }
};

service_metrics::service_metrics() : impl_(std::make_unique<impl>()) {}
service_metrics::~service_metrics() = default;

void service_metrics::connection_opened() {
  impl_->connections_open.Increment();
  impl_->connections_total.Increment();
}

void service_metrics::connection_closed() { impl_->connections_open.Decrement(); }

void service_metrics::request_received(std::string_view type) {
  auto found = impl_->request_counters.find(type);
  if (found == impl_->request_counters.end()) found = impl_->request_counters.find("unknown");
  found->second->Increment();
}

void service_metrics::error_sent(std::string_view code) {
  if (auto found = impl_->error_counters.find(code); found != impl_->error_counters.end())
    found->second->Increment();
}

void service_metrics::query_finished(std::string_view kind, std::chrono::steady_clock::duration took) {
  auto seconds = std::chrono::duration<double>(took).count();
  (kind == "list" ? impl_->list_latency : impl_->options_latency).Observe(seconds);
}

void service_metrics::http_request(std::string_view route, unsigned status) {
  // Routes come from the server's fixed table, so the label set stays small;
  // Family::Add is thread-safe and returns the existing series when present.
  impl_->http_requests.Add({{"route", std::string{route}}, {"status", std::to_string(status)}}).Increment();
}

void service_metrics::change_event_received() { impl_->change_events.Increment(); }
void service_metrics::index_reloaded(bool everything, std::chrono::steady_clock::duration took,
                                     std::size_t customers) {
  (everything ? impl_->index_full_reloads : impl_->index_customer_reloads)
      .Observe(std::chrono::duration<double>(took).count());
  impl_->index_customers.Set(static_cast<double>(customers));
}

void service_metrics::rows_served(std::size_t cached, std::size_t read) {
  impl_->cached_rows.Increment(static_cast<double>(cached));
  impl_->read_rows.Increment(static_cast<double>(read));
}

void service_metrics::live_query_run() { impl_->live_query_runs.Increment(); }
void service_metrics::live_push_sent() { impl_->live_pushes.Increment(); }

std::string service_metrics::render() const {
  return prometheus::TextSerializer{}.Serialize(impl_->registry->Collect());
}

}  // namespace cws::actors
