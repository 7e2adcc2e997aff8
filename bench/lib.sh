# Shared steps of the bench/run-* scripts (sourced, not run).

# Builds the Release binaries into build-release/.
build_release() {
  scripts/install-dependencies
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCWS_BUILD_TESTS=OFF >/dev/null
  cmake --build build-release --parallel "$(nproc)"
}

# Installs the Debian packages of the commands that are missing, given as
# COMMAND:PACKAGE pairs (e.g. gnuplot:gnuplot-nox). Calls apt-get only when
# something is missing, like scripts/install-dependencies.
install_commands() {
  local pair missing=() run_as_root=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "run as root (or install sudo) to install: ${missing[*]}" >&2; return 1; }
    run_as_root=(sudo)
  fi
  echo "installing ${missing[*]}" >&2
  "${run_as_root[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${run_as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
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
# caller stops it with stop_server. When server_cpus is set (e.g. "0"), the
# server runs pinned to those CPUs (taskset -c).
start_server() {
  start_listening build-release/customer-ws serve --bind 127.0.0.1 --port 0 "$@"
}

# The same for the limit server (bench/limit_server.cpp): the real network
# path with canned answers read from the database $1.
start_limit_server() {
  local database="$1"
  shift
  start_listening build-release/bench/limit_server --db "sqlite:$database" --port 0 "$@"
}

# Runs the given command in the background and waits for its line
# "ready: listening on 127.0.0.1:PORT".
start_listening() {
  local pin=()
  [ -z "${server_cpus:-}" ] || pin=(taskset -c "$server_cpus")
  server_log=$(mktemp)
  "${pin[@]}" "$@" >"$server_log" 2>&1 &
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
