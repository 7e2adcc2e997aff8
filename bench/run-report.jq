# bench/run: the markdown tables of docs/benchmarks.md (between the
# "bench/run" markers), from bench/results/run-summary.json. jq -r.

def commas: (round | tostring) as $s | ($s | length) as $n
  | reduce range(0; $n) as $i (""; . + (if $i > 0 and (($n - $i) % 3) == 0 and $s[$i - 1:$i] != "-" then "," else "" end) + $s[$i:$i + 1]);
def dec1: (. * 10 | round) as $t | "\($t / 10 | floor).\($t % 10)";
def rps: if . == null then "–" elif . < 10 then dec1 else commas end;
def ms: if . == null then "–" elif . < 10 then dec1 else commas end;
def kib: if . == null then "–" else dec1 end;
def percent: if . == null then "–" else "\(. * 100 | round)%" end;
def count: if . == null then "–" else commas end;
def pair(f): "\(.real | f) / \(.limit | f)";
def status_note: if . == null then "not run" elif .status == "ok" then null else .status end;
def yes_no: if . == null then "" elif . then "yes" else "**no**" end;
def target_text:
  if .target == null then ""
  elif .target.max_kib_per_connection != null then "≤ \(.target.max_kib_per_connection) KiB"
  elif .target.max_write_to_push_p99_ms != null then "p99 ≤ \(.target.max_write_to_push_p99_ms) ms"
  elif .target.min_ratio == null then "p99 ≤ \(.target.max_p99_ms) ms at \(.real.offered_rps | rps)/s"
  else "≥ \(.target.min_ratio * 100 | round)%" + (if .target.max_p99_ms != null then ", p99 ≤ \(.target.max_p99_ms) ms" else "" end)
  end;
def errors_cell: pair(.errors // null | count)
  + ([.real, .limit] | map(.errors_by_kind // {} | keys[]) + map(status_note | select(. != null)) | unique
     | if length > 0 then " (" + join(", ") + ")" else "" end);
# The connection count, and how many were open at the end when not all were.
def connections_cell: .connections as $n | ($n | commas)
  + (if [.real, .limit] | any(.connections_open_at_end != null and .connections_open_at_end < $n)
     then " (open at the end: \(pair(.connections_open_at_end | count)))" else "" end);

.settings as $settings
| .scenarios as $rows
| ($rows | map(select(.primary and .scenario != "S4" and .scenario != "S5"))) as $primary
| ($rows | map(select(.scenario == "S5"))) as $live
| ($rows | map(select(.scenario == "S4"))) as $idle
| ($rows | map(select(.scenario == "S1" or .scenario == "S3"))) as $sweep
| [
    "Measured \(.measured_at[0:10]) on \(.machine.cpu) (\(.machine.cores) cores), server on CPU \($settings.server_cpu), load generator on CPU \($settings.generator_cpu); ramp \($settings.ramp_s) s, warm-up \($settings.warmup_s) s, measured window \($settings.measure_s) s" + (if $settings.quick then " (`--quick`: indicative only)" else "" end) + ". Raw results: `bench/results/run.json`, summary: `bench/results/run-summary.json`.",
    "",
    "| scenario | connections | customers | throughput real | limit | real / limit | target | p50 ms real / limit | p99 ms real / limit | errors real / limit | server CPU real / limit | met |",
    "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|",
    ($primary[] | "| \(.name) | \(connections_cell) | \(.customers | commas) | \(.real.throughput_rps | rps) | \(.limit.throughput_rps | rps) | \(.ratio | percent) | \(target_text) | \(pair(.p50_ms | ms)) | \(pair(.p99_ms | ms)) | \(errors_cell) | \(pair(.server_cpu_share | percent)) | \(.met | yes_no) |"),
    "",
    "| scenario | idle connections | customers | server memory per connection, real / limit | without file pages, real / limit | target | errors real / limit | met |",
    "|---|---:|---:|---:|---:|---|---:|---|",
    ($idle[] | "| \(.name) | \(connections_cell) | \(.customers | commas) | \(pair(.rss_per_connection_kib | kib)) KiB | \(pair(.rss_anon_per_connection_kib | kib)) KiB | \(target_text) | \(errors_cell) | \(.met | yes_no) |"),
    "",
    "| scenario | connections | customers | writes in the window | samples | write to push p50 ms | p99 ms | write answer p50 ms | errors (lists / writes) | target | met |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ($live[] | "| \(.name) | \(.connections | commas) | \(.customers | commas) | \(.real.writes_in_window | count) | \(.real.samples | count) | \(.real.write_to_push_p50_ms | ms) | \(.real.write_to_push_p99_ms | ms) | \(.real.write_answer_p50_ms | ms) | \(.real.errors | count) / \(.real.write_errors | count) | \(target_text) | \(.met | yes_no) |"),
    "",
    "Against the number of connections (100,000 customers; the plot `bench/results/throughput-p99.png`):",
    "",
    "| scenario | connections | throughput real | limit | real / limit | p50 ms real / limit | p99 ms real / limit | errors real / limit | server CPU real / limit |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ($sweep[] | "| \(.name) | \(connections_cell) | \(.real.throughput_rps | rps) | \(.limit.throughput_rps | rps) | \(.ratio | percent) | \(pair(.p50_ms | ms)) | \(pair(.p99_ms | ms)) | \(errors_cell) | \(pair(.server_cpu_share | percent)) |")
  ]
| .[]
