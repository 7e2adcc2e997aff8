# Shared steps of the bench/run-* scripts (sourced, not run).

# Builds the Release binaries into build-release/.
build_release() {
  scripts/install-dependencies
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCWS_BUILD_TESTS=OFF >/dev/null
  cmake --build build-release --parallel "$(nproc)"
}

# Prints the path of a demo database of $1 customers, writing it first when
# it does not exist yet (seed 42, so every run measures the same data).
demo_database() {
  local customers="$1" database="data/bench-$1.db"
  mkdir -p data
  if [ ! -f "$database" ]; then
    build-release/customer-ws demo --db "sqlite:$database" --seed 42 "$customers" >&2
  fi
  echo "$database"
}

# Starts the server on a free loopback port with the given serve options and
# waits for its ready line. Sets server_pid, server_port and server_log; the
# caller stops it with stop_server.
start_server() {
  server_log=$(mktemp)
  build-release/customer-ws serve --bind 127.0.0.1 --port 0 "$@" >"$server_log" 2>&1 &
  server_pid=$!
  server_port=""
  for _ in $(seq 1 6000); do
    server_port=$(sed -n 's/.*ready: listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$server_log")
    [ -n "$server_port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$server_log" >&2; return 1; }
    sleep 0.1
  done
  echo "the server did not become ready" >&2
  cat "$server_log" >&2
  return 1
}

stop_server() {
  [ -n "${server_pid:-}" ] || return 0
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -f "$server_log"
  server_pid=""
}
