# bench/run: turns the raw results (bench/results/run.json) into the summary
# (bench/results/run-summary.json): one row per scenario, customers and
# connection count, the real server beside the limit server.
#
# Throughput is every successful answer received in the measured window,
# divided by the window (the generator's completion_rate_rps): a server that
# answers slower than the window is long still gets counted for the work it
# does. Latency percentiles are those of the requests both sent and answered
# inside the window (null when there were none).

# S1's p99 target is checked at a fixed rate of a quarter of the limit's S1
# throughput (S1r): in the closed loop the mean latency is connections /
# throughput for any server. S5's is the live interval (250 ms) plus 100 ms.
def targets: {
  "S1": {connections: 1000, min_ratio: 0.25},
  "S1r": {connections: 1000, max_p99_ms: 50},
  "S5": {connections: 1000, max_write_to_push_p99_ms: 350},
  "S2": {connections: 1000, min_ratio: 0.25},
  "S3": {connections: 1000, min_ratio: 0.80},
  "S4": {connections: 10000, max_kib_per_connection: 16},
  "S6": {connections: 1000, min_ratio: 0.10}
};

def names: {
  "S1": "S1 mixed", "S1r": "S1 mixed at 25% of the limit's rate", "S5": "S5 live", "S2": "S2 typing", "S3": "S3 filter options", "S4": "S4 idle", "S6": "S6 mixed, 1M customers"
};

def measured:
  if . == null then null
  else
    .status as $status
    | .result as $r
    | if $r == null then {status: $status}
      else {
        status: $status,
        connections_open_at_end: $r.connections_open_at_end,
        errors: $r.errors.total,
        errors_by_kind: $r.errors.by_kind,
        server_cpu_s: $r.server.cpu_s,
        server_cpu_share: (if $r.server.cpu_s == null then null else $r.server.cpu_s / $r.window_s end),
        server_rss_kib: $r.server.rss_kib
      } + (if $r.mode == "live" then {
        writes_in_window: $r.live.writes_in_window,
        write_errors: $r.live.write_errors.total,
        write_answer_p50_ms: $r.live.write_answer_ms.p50,
        pushes_in_window: $r.live.pushes_in_window,
        samples: $r.live.samples,
        write_to_push_p50_ms: (if $r.live.samples > 0 then $r.live.write_to_push_ms.p50 else null end),
        write_to_push_p99_ms: (if $r.live.samples > 0 then $r.live.write_to_push_ms.p99 else null end)
      } elif $r.mode == "idle" then {
        rss_per_connection_kib: $r.rss_per_connection_kib,
        rss_anon_per_connection_kib: $r.rss_anon_per_connection_kib
      } else {
        offered_rps: $r.offered_rate_rps,
        throughput_rps: $r.completion_rate_rps,
        throughput_sent_in_window_rps: $r.throughput_rps,
        answered_in_window: $r.answered,
        p50_ms: (if $r.answered > 0 then $r.latency_ms.p50 else null end),
        p99_ms: (if $r.answered > 0 then $r.latency_ms.p99 else null end)
      } end)
      end
  end;

# Clean: ran to the end, no errors in the window, every connection open.
def clean($connections): . != null and .status == "ok" and .errors == 0 and .connections_open_at_end == $connections;

{measured_at, settings, machine} + {scenarios: (
.runs
| group_by([.scenario, .customers, .connections])
| map(
    (.[0] | {scenario, customers, connections}) as $key
    | (map(select(.server == "real"))[0] | measured) as $real
    | (map(select(.server == "limit"))[0] | measured) as $limit
    | (targets[$key.scenario] // {}) as $target
    | ($target.connections == $key.connections) as $primary
    | (if $real.throughput_rps != null and ($limit.throughput_rps // 0) > 0
       then $real.throughput_rps / $limit.throughput_rps else null end) as $ratio
    | $key + {
        name: names[$key.scenario],
        primary: $primary,
        target: (if $primary then $target | del(.connections) else null end),
        real: $real,
        limit: $limit,
        ratio: $ratio,
        met: (if $primary | not then null
              elif $target.max_write_to_push_p99_ms != null then
                ($real | clean($key.connections)) and $real.write_errors == 0 and ($real.samples // 0) > 0
                and $real.write_to_push_p99_ms <= $target.max_write_to_push_p99_ms
              elif $target.max_kib_per_connection != null then
                ($real | clean($key.connections)) and $real.rss_per_connection_kib != null
                and $real.rss_per_connection_kib <= $target.max_kib_per_connection
              elif $target.min_ratio == null then
                ($real | clean($key.connections)) and $real.p99_ms != null and $real.p99_ms <= $target.max_p99_ms
              else
                ($real | clean($key.connections)) and $ratio != null and $ratio >= $target.min_ratio
                and ($target.max_p99_ms == null or ($real.p99_ms != null and $real.p99_ms <= $target.max_p99_ms))
              end)
      })
| sort_by(.scenario, .connections)
)}
