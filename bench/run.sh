#!/usr/bin/env bash
# p2pshare side by side with what users would pick instead (issue 5), everything on 127.0.0.1:
#
#   1. one 2 GiB file: `p2pshare get` from one peer vs `curl -o` from nginx (sendfile on);
#   2. the same file held by 4 peers: `get --sources 4` vs 4 parallel `curl -r` range requests,
#      and `get --sources 4` vs `get --sources 1` from the same 4 peers;
#   3. 100 concurrent downloads of a 20 MiB file from one peer vs from nginx: aggregate MB/s,
#      errors, and the uploading peer's peak memory; the .NET downloader vs curl (3), and both
#      servers fetched by one small C client, bench/get-client.c (3b);
#   4. the directory: 10,000 simulated peers with 100 files each (1,000,000 entries) registered,
#      then searches from 50 connections, vs `redis-benchmark -c 50 -t get`: repeated queries
#      (the search cache's row), then on fresh servers a music catalogue with diverse queries and
#      an office catalogue with broad diverse queries, each beside redis GETs of values the size
#      of its mean answer;
#   5. flash crowd (issue 14): one 64 MiB file, 1 seeder + N = 1, 4, 8, 16 downloaders started
#      together, every upload limited to 8 MiB/s: menu-driven p2pshare peers vs aria2c over
#      BitTorrent with opentracker (bench/flash-crowd.sh, which also writes its own part of
#      BENCHMARKS.md and the plot bench/flash-crowd.svg; --quick: N = 1, 4 and 16 MiB);
#   6. small files (issue 16): one 1 MiB file, `get` vs `curl -o` (start-up included); and
#      1,000 files of 100 KiB from one peer, one `get --folder many/` vs one `curl --parallel`
#      of the same files from nginx;
#   7. writes (issue 16): one 1 GiB file, `get` (page cache and write-behind, the default) and
#      `get --direct-io` vs `curl -o`, into a folder on the VM's disk and on a disk slower than
#      the network (an ext4 loop device whose writes the kernel throttles to 150 MiB/s; needs
#      root, losetup and the cgroup v1 blkio controller, else the row says why it is missing).
#
# Usage (from anywhere; it finds the repository):
#
#   bench/run.sh                 # the full run, a few minutes; rewrites its section of BENCHMARKS.md
#   bench/run.sh --quick         # small sizes, 1 run each, for development (BENCHMARKS.md untouched)
#   bench/run.sh --only 1,4      # only some comparisons (BENCHMARKS.md untouched)
#   bench/run.sh --only 4        # the directory rows alone (4a-4e: three catalogues, ~4 minutes)
#   bench/run.sh --only 5        # the flash crowd alone (bench/flash-crowd.sh with this build)
#   bench/run.sh --only 7        # the writes alone (7a-7d, about four minutes)
#   bench/run.sh --write ...     # record a --quick/--only run in BENCHMARKS.md anyway
#
# It builds Release (the CLI, p2pshare.dll, and the load tool bench/P2PShare.LoadTest), publishes
# the CLI as the README installs it (Native AOT: about a minute and a half), writes its
# data into a `mktemp -d` folder that it removes at the end, installs nginx, curl, redis-server
# and redis-tools from Debian's packages when they are missing, and stops every process it
# started (by pid) when it ends, also on Ctrl-C. The table goes to stdout, progress to stderr.
set -euo pipefail

quick=0
only="1,2,3,4,5,6,7"
write=auto
command_line="bench/run.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only)
      only="${2:?--only needs a list such as 1,4}"
      shift
      ;;
    --write) write=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "bench/run.sh: unknown option $1 (see --help)" >&2
      exit 2
      ;;
  esac
  shift
done
[[ "$only" =~ ^[1-7](,[1-7])*$ ]] || {
  echo "bench/run.sh: --only takes comparison numbers 1-7 separated by commas, such as 1,4" >&2
  exit 2
}
if [ "$write" = auto ]; then
  if [ "$quick" = 0 ] && [ "$only" = "1,2,3,4,5,6,7" ]; then write=1; else write=0; fi
fi
wants() { [[ ",$only," == *",$1,"* ]]; }

if [ "$quick" = 1 ]; then
  BIG_MIB=64 RUNS=1 SMALL_MIB=2 CONCURRENT=100 CONCURRENT_RUNS=1 MANY_FILES=100 MANY_KIB=100 ONE_RUNS=3 WRITE_MIB=64
  DIR_PEERS=1000 DIR_FILES=100 DIR_CONNECTIONS=50 DIR_WARMUP=1 DIR_SECONDS=3 REDIS_REQUESTS=100000 REDIS_LARGE_REQUESTS=20000
else
  BIG_MIB=2048 RUNS=5 SMALL_MIB=20 CONCURRENT=100 CONCURRENT_RUNS=3 MANY_FILES=1000 MANY_KIB=100 ONE_RUNS=11 WRITE_MIB=1024
  DIR_PEERS=10000 DIR_FILES=100 DIR_CONNECTIONS=50 DIR_WARMUP=2 DIR_SECONDS=10 REDIS_REQUESTS=1000000 REDIS_LARGE_REQUESTS=200000
fi
readonly SWARM_PEERS=4
readonly SLOW_DISK_BPS=157286400 # comparison 7's slow disk: 150 MiB/s of writes

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/p2pshare-run-XXXXXX")
pids=()

log() { printf '%s\n' "$*" >&2; }
die() {
  log "bench/run.sh: $*"
  exit 1
}

# Stops one process: TERM, up to 5 s to exit, then KILL.
stop_pid() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    stop_pid "${pids[i]}"
  done
  remove_slow_disk
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

forget_pid() { # removes $1 from the pids to stop at exit (it has been stopped already)
  local kept=() pid
  for pid in "${pids[@]}"; do [ "$pid" = "$1" ] || kept+=("$pid"); done
  pids=("${kept[@]}")
}

# ---------------------------------------------------------------------------------------------
# Tools, build, data

ensure_tools() {
  local missing=()
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v curl >/dev/null || missing+=(curl)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-benchmark >/dev/null || missing+=(redis-tools)
  [ -x /usr/bin/time ] || missing+=(time)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  log "installing ${missing[*]} from Debian's packages..."
  "${sudo[@]}" apt-get update -qq
  # nginx-light is the small build (it has sendfile); Debian releases without it have nginx.
  if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >&2; then
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]/nginx-light/nginx}" >&2
  fi
  # The packages start their services; this benchmark starts its own instances.
  "${sudo[@]}" systemctl stop nginx redis-server 2>/dev/null || true
}

build() {
  log "building Release (CLI and load tool)..."
  local project
  for project in src/P2PShare.Cli bench/P2PShare.LoadTest; do
    dotnet build -c Release "$root/$project" -nologo -v quiet >"$work/build.log" 2>&1 || {
      cat "$work/build.log" >&2
      die "the build of $project failed"
    }
  done
  cli=(dotnet "$root/src/P2PShare.Cli/bin/Release/net10.0/p2pshare.dll")
  cli_form="plain Release build (both ReadyToRun publishes failed)"
  # The CLI as the README installs it: a plain Release publish, Native AOT (src/P2PShare.Cli's
  # csproj makes it the default), so that a process start is not mostly JIT. Falls back to a
  # self-contained composite ReadyToRun publish, then to a ReadyToRun publish on the installed
  # runtime, then to the plain build, when what these need cannot be had (a C toolchain for AOT,
  # packages). No publish shares intermediate files with the repository's ordinary build: each
  # gets its own --artifacts-path, and a composite publish always builds in obj/composite and
  # bin/composite (Directory.Build.props).
  local form
  for form in aot composite framework; do
    local options=(-r linux-x64 --self-contained false -p:PublishReadyToRun=true)
    [ "$form" = composite ] && options=(-r linux-x64 --self-contained true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true)
    [ "$form" = aot ] && options=()
    if dotnet publish -c Release "$root/src/P2PShare.Cli" "${options[@]}" --artifacts-path "$work/artifacts-$form" \
      -o "$work/p2pshare-$form" -nologo -v quiet >"$work/publish.log" 2>&1; then
      case "$form" in
        aot)
          cli=("$work/p2pshare-$form/p2pshare")
          cli_form="published as the README installs it, Native AOT (\`dotnet publish -c Release\`)"
          ;;
        composite)
          cli=("$work/p2pshare-$form/p2pshare")
          cli_form="published self-contained with composite ReadyToRun (\`dotnet publish -c Release -r linux-x64 --self-contained -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true\`; the Native AOT publish failed)"
          ;;
        *)
          cli=(dotnet "$work/p2pshare-$form/p2pshare.dll")
          cli_form="published with ReadyToRun (\`dotnet publish -c Release -r linux-x64 -p:PublishReadyToRun=true\`; the Native AOT and self-contained composite publishes failed)"
          ;;
      esac
      break
    fi
    log "$form publish failed (see below)"
    tail -n 5 "$work/publish.log" >&2
  done
  load=(dotnet "$root/bench/P2PShare.LoadTest/bin/Release/net10.0/p2pshare-loadtest.dll")
}

# A free TCP port on 127.0.0.1 (for nginx and redis; p2pshare takes port 0 and says which it got),
# below the kernel's ephemeral range: a port in that range that nobody listens on may still be
# the local end of one of the many connections the directory comparison opens, and a server
# started on it fails with "Address already in use".
free_port() {
  local port low span=30000
  low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  # An unusual range that starts near 10000 leaves nothing below it: take any port then.
  [ "${low:-0}" -gt 11000 ] && span=$((low - 10000))
  while true; do
    port=$((10000 + RANDOM % span))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

now() { date +%s.%N; }
elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.3f", a - b }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
json() { sed -n "s/.*\"$1\":\(\"[^\"]*\"\|[^,}]*\).*/\1/p" "$2" | tr -d '"'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# ---------------------------------------------------------------------------------------------
# Processes: directory server, peers, nginx, redis

start_server() { # sets server_pid and server (HOST:PORT)
  "${cli[@]}" server --listen 127.0.0.1:0 --log-level Warning --drain-timeout 1 "$@" >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  pids+=("$server_pid")
  local port="" i
  for i in $(seq 1 200); do
    # (With pipefail, a sed that runs before the server has created its output must not end the script.)
    port=$(sed -n 's/^p2pshare directory listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.out" 2>/dev/null | head -n 1 || true)
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] || {
    cat "$work/server.err" >&2
    die "the directory server did not start"
  }
  server="127.0.0.1:$port"
}

# Starts a directory server unless one is running: comparison 4 starts its own and stops the
# last one, and the comparisons after it need one again.
ensure_server() {
  if [ -z "${server_pid:-}" ] || ! kill -0 "$server_pid" 2>/dev/null; then
    start_server
  fi
}

peer_pids=()
start_peer() { # $1: label, $2: shared folder; the peer hashes its files, then adds them (see wait_listed)
  mkdir -p "$work/$1-downloads"
  # The state folder (hash cache) is shared: a file hashed by one peer is not hashed again by the next.
  "${cli[@]}" peer --server "$server" --port 0 --share "$2" --downloads "$work/$1-downloads" --state "$work/state" \
    --no-menu --log-level Warning --drain-timeout 1 >"$work/$1.out" 2>"$work/$1.err" &
  pids+=($!)
  peer_pids+=($!)
}

wait_listed() { # $1: file name, $2: number of peers that must list it in the directory
  local listed=0 i pid
  for i in $(seq 1 600); do
    listed=$("${cli[@]}" search "$1" --server "$server" --json 2>/dev/null | grep -c '"port"' || true)
    [ "$listed" -ge "$2" ] && return 0
    for pid in "${peer_pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || die "a peer exited before sharing $1: $(cat "$work"/*.err)"
    done
    sleep 0.3
  done
  die "only $listed of $2 peers list $1 after several minutes"
}

stop_peers() {
  local pid
  for pid in "${peer_pids[@]}"; do
    stop_pid "$pid"
    forget_pid "$pid"
  done
  peer_pids=()
}

start_nginx() { # serves $work/www on nginx_port, sendfile on, access log off
  nginx_port=$(free_port)
  mkdir -p "$work/nginx/logs"
  cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  sendfile on;
  tcp_nopush on;
  access_log off;
  default_type application/octet-stream;
  client_body_temp_path $work/nginx/client_body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
  }
}
EOF
  local nginx_bin
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  "$nginx_bin" -p "$work/nginx" -e "$work/nginx/logs/error.log" -c "$work/nginx/nginx.conf" 2>"$work/nginx/stderr" &
  nginx_pid=$!
  pids+=("$nginx_pid")
  local i
  for i in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && return 0
    sleep 0.1
  done
  cat "$work/nginx/stderr" "$work/nginx/logs/error.log" >&2 || true
  die "nginx did not start"
}

# ---------------------------------------------------------------------------------------------
# The comparisons. Each fills rows[] (the Markdown table) and notes[] (what exactly was measured).

rows=()
notes=()

# Empties a download folder and flushes what is still to be written, so that no run pays for the
# write-back of the one before.
fresh_folder() {
  rm -rf "$1" && mkdir -p "$1"
  sync
}

timed_get() { # $1: output folder, $2: --sources; prints the wall time of the whole `p2pshare get`
  local start t
  fresh_folder "$1"
  start=$(now)
  "${cli[@]}" get big.bin --server "$server" --output "$1" --sources "$2" >"$work/get.out" 2>"$work/get.err" || {
    cat "$work/get.out" "$work/get.err" >&2
    die "p2pshare get --sources $2 failed"
  }
  t=$(elapsed "$start")
  cmp -s "$work/www/big.bin" "$1/big.bin" || die "the p2pshare download differs from the original"
  echo "$t"
}

timed_curl() { # $1: output folder; prints the wall time of `curl -o`
  local start t
  fresh_folder "$1"
  start=$(now)
  curl -sf -o "$1/big.bin" "http://127.0.0.1:$nginx_port/big.bin" || die "curl failed"
  t=$(elapsed "$start")
  cmp -s "$work/www/big.bin" "$1/big.bin" || die "the curl download differs from the original"
  echo "$t"
}

timed_curl_ranges() { # $1: output folder; prints "RANGES_SECONDS WITH_CONCATENATION_SECONDS"
  local start t_ranges t_all size part i a b
  fresh_folder "$1"
  size=$(stat -c %s "$work/www/big.bin")
  part=$(((size + SWARM_PEERS - 1) / SWARM_PEERS))
  start=$(now)
  local curls=()
  for ((i = 0; i < SWARM_PEERS; i++)); do
    a=$((i * part))
    b=$(((i + 1) * part - 1))
    [ "$b" -lt "$size" ] || b=$((size - 1))
    curl -sf -r "$a-$b" -o "$1/part$i" "http://127.0.0.1:$nginx_port/big.bin" &
    curls+=($!)
  done
  for i in "${curls[@]}"; do wait "$i" || die "a curl range request failed"; done
  t_ranges=$(elapsed "$start")
  for ((i = 0; i < SWARM_PEERS; i++)); do cat "$1/part$i"; done >"$1/big.bin"
  t_all=$(elapsed "$start")
  cmp -s "$work/www/big.bin" "$1/big.bin" || die "the concatenated ranges differ from the original"
  echo "$t_ranges $t_all"
}

comparison_1() {
  log "1. one ${BIG_MIB} MiB file: p2pshare get from one peer vs curl from nginx (warm-up + $RUNS runs each, interleaved)"
  start_peer peer1 "$work/data"
  wait_listed big.bin 1
  local out="$work/out1" p=() c=() run
  timed_get "$out" 1 >/dev/null
  timed_curl "$out" >/dev/null
  for run in $(seq 1 "$RUNS"); do
    p+=("$(timed_get "$out" 1)")
    c+=("$(timed_curl "$out")")
    log "   run $run: p2pshare ${p[-1]} s, curl ${c[-1]} s"
  done
  rm -rf "$out"
  stop_peers
  local pm cm ratio goal
  pm=$(printf '%s\n' "${p[@]}" | median)
  cm=$(printf '%s\n' "${c[@]}" | median)
  ratio=$(calc %.2f "$pm / $cm")
  goal=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.1) ? "PASS" : "FAIL" }')
  rows+=("| 1 | one ${BIG_MIB} MiB file, one source | \`get\` $(calc '%.2f s (%.0f MiB/s)' "$pm, $BIG_MIB / $pm") | \`curl -o\` $(calc '%.2f s (%.0f MiB/s)' "$cm, $BIG_MIB / $cm") | ${ratio}× time | ≤ 1.1: **$goal** |")
  notes+=("1: wall time of the whole \`p2pshare get big.bin --sources 1\` process (start, search, transfer, chunk verification, write) vs the whole \`curl -s -o\`; both write into the same folder, emptied before each run; median of $RUNS interleaved runs after one untimed warm-up each; every copy checked with \`cmp\` outside the timing. Runs (p2pshare / curl): $(printf '%s ' "${p[@]}")/ $(printf '%s ' "${c[@]}")s.")
}

comparison_2() {
  log "2. the same file held by $SWARM_PEERS peers: get --sources 4 / --sources 1 vs $SWARM_PEERS curl ranges ($RUNS runs each, interleaved)"
  local i
  for i in $(seq 1 "$SWARM_PEERS"); do start_peer "swarm$i" "$work/data"; done
  wait_listed big.bin "$SWARM_PEERS"
  local out="$work/out2" s4=() s1=() cr=() ca=() run line
  timed_get "$out" "$SWARM_PEERS" >/dev/null
  timed_curl_ranges "$out" >/dev/null
  for run in $(seq 1 "$RUNS"); do
    s4+=("$(timed_get "$out" "$SWARM_PEERS")")
    s1+=("$(timed_get "$out" 1)")
    line=$(timed_curl_ranges "$out")
    cr+=("${line% *}")
    ca+=("${line#* }")
    log "   run $run: --sources $SWARM_PEERS ${s4[-1]} s, --sources 1 ${s1[-1]} s, curl ranges ${cr[-1]} s (${ca[-1]} s with concatenation)"
  done
  rm -rf "$out"
  stop_peers
  local m4 m1 mr ma goal
  m4=$(printf '%s\n' "${s4[@]}" | median)
  m1=$(printf '%s\n' "${s1[@]}" | median)
  mr=$(printf '%s\n' "${cr[@]}" | median)
  ma=$(printf '%s\n' "${ca[@]}" | median)
  goal=$(awk -v a="$m4" -v b="$m1" 'BEGIN { print (a < b) ? "PASS" : "FAIL" }')
  rows+=("| 2a | same file, $SWARM_PEERS sources | \`get --sources $SWARM_PEERS\` $(calc '%.2f s (%.0f MiB/s)' "$m4, $BIG_MIB / $m4") | $SWARM_PEERS × \`curl -r\` $(calc '%.2f s (%.0f MiB/s)' "$mr, $BIG_MIB / $mr") | $(calc %.2f "$m4 / $mr")× time | — |")
  rows+=("| 2b | swarm vs one source (same $SWARM_PEERS peers) | \`get --sources $SWARM_PEERS\` $(calc '%.2f s' "$m4") | \`get --sources 1\` $(calc '%.2f s' "$m1") | $(calc %.2f "$m4 / $m1")× time | swarm faster: **$goal** |")
  notes+=("2: $SWARM_PEERS peers share the same file; wall time of the whole \`get\` process vs $SWARM_PEERS parallel \`curl -s -r A-B -o partN\` processes, timed from the first start to the last exit (parts written, not joined; with the concatenation into one file the median is $(calc %.2f "$ma") s); median of $RUNS interleaved runs after one warm-up. Runs (--sources $SWARM_PEERS / --sources 1 / curl ranges): $(printf '%s ' "${s4[@]}")/ $(printf '%s ' "${s1[@]}")/ $(printf '%s ' "${cr[@]}")s.")
}

comparison_3() {
  log "3. $CONCURRENT concurrent downloads of a ${SMALL_MIB} MiB file: one peer vs nginx (warm-up + $CONCURRENT_RUNS runs each, interleaved)"
  start_peer uploader "$work/data3"
  wait_listed small.bin 1
  local uploader_pid=${peer_pids[-1]}
  local out="$work/out3" p_rates=() p_inside=() n_rates=() p_errors=0 n_errors=0 run i start t bad config="$work/curl3.conf"
  : >"$config"
  for ((i = 0; i < CONCURRENT; i++)); do
    printf 'url = "http://127.0.0.1:%s/small.bin"\noutput = "%s/%03d/small.bin"\n' "$nginx_port" "$out" "$i" >>"$config"
  done
  local bytes=$((CONCURRENT * SMALL_MIB * 1048576))
  for run in $(seq 0 "$CONCURRENT_RUNS"); do # run 0 is the untimed warm-up
    fresh_folder "$out"
    start=$(now)
    "${load[@]}" downloads --server "$server" --name small.bin --count "$CONCURRENT" --output "$out" >"$work/load3.json" 2>"$work/load3.err" || true
    t=$(elapsed "$start")
    bad=$(json failures "$work/load3.json")
    [ -n "$bad" ] || { cat "$work/load3.err" >&2; die "the load tool failed"; }
    for ((i = 0; i < CONCURRENT; i++)); do
      cmp -s "$work/data3/small.bin" "$out/$(printf %03d "$i")/small.bin" || bad=$((bad + 1))
    done
    [ "$run" = 0 ] || {
      p_errors=$((p_errors + bad))
      p_rates+=("$(calc %.1f "$bytes / 1e6 / $t")")
      p_inside+=("$(calc %.1f "$(json mb_per_s "$work/load3.json")")")
    }

    fresh_folder "$out"
    start=$(now)
    curl -s --parallel --parallel-immediate --parallel-max "$CONCURRENT" --create-dirs -K "$config" 2>"$work/curl3.err" || true
    t=$(elapsed "$start")
    local nbad=0
    for ((i = 0; i < CONCURRENT; i++)); do
      cmp -s "$work/data3/small.bin" "$out/$(printf %03d "$i")/small.bin" || nbad=$((nbad + 1))
    done
    [ "$run" = 0 ] || { n_errors=$((n_errors + nbad)); n_rates+=("$(calc %.1f "$bytes / 1e6 / $t")"); }
    [ "$run" = 0 ] || log "   run $run: p2pshare ${p_rates[-1]} MB/s ($bad errors), nginx ${n_rates[-1]} MB/s ($nbad errors)"
  done

  # Row 3b: the same crowd, both servers fetched by one small C client (bench/get-client.c),
  # so the row compares the servers rather than the .NET downloader with curl.
  local client="$work/get-client" c_p=() c_n=() c_perr=0 c_nerr=0 peer_port
  peer_port=$(sed -n 's/^p2pshare peer listening on port \([0-9]*\).*/\1/p' "$work/uploader.out" | head -n 1)
  cc -O2 -pthread -o "$client" "$root/bench/get-client.c" || die "could not compile bench/get-client.c (cc)"
  for run in $(seq 0 "$CONCURRENT_RUNS"); do
    local side
    for side in p2p http; do
      fresh_folder "$out"
      start=$(now)
      if [ "$side" = p2p ]; then
        "$client" p2p 127.0.0.1 "$peer_port" small.bin "$CONCURRENT" "$out" 2>>"$work/client3.err" && bad=0 || bad=$?
      else
        "$client" http 127.0.0.1 "$nginx_port" small.bin "$CONCURRENT" "$out" 2>>"$work/client3.err" && bad=0 || bad=$?
      fi
      t=$(elapsed "$start")
      for ((i = 0; i < CONCURRENT; i++)); do
        cmp -s "$work/data3/small.bin" "$out/$(printf %03d "$i")/small.bin" || bad=$((bad + 1))
      done
      [ "$run" = 0 ] && continue
      if [ "$side" = p2p ]; then
        c_perr=$((c_perr + bad))
        c_p+=("$(calc %.1f "$bytes / 1e6 / $t")")
      else
        c_nerr=$((c_nerr + bad))
        c_n+=("$(calc %.1f "$bytes / 1e6 / $t")")
      fi
    done
    [ "$run" = 0 ] || log "   run $run, C client: p2pshare ${c_p[-1]} MB/s, nginx ${c_n[-1]} MB/s"
  done
  rm -rf "$out"
  local memory rss hwm
  memory=$(grep -E '^Vm(RSS|HWM):' "/proc/$uploader_pid/status" | awk '{ printf "%s %.1f ", $1, $2 / 1024 }')
  hwm=$(echo "$memory" | sed -n 's/.*VmHWM: \([0-9.]*\).*/\1/p')
  rss=$(echo "$memory" | sed -n 's/.*VmRSS: \([0-9.]*\).*/\1/p')
  stop_peers
  local pm nm goal_errors goal_memory
  pm=$(printf '%s\n' "${p_rates[@]}" | median)
  nm=$(printf '%s\n' "${n_rates[@]}" | median)
  goal_errors=$([ "$p_errors" = 0 ] && echo PASS || echo FAIL)
  goal_memory=$(awk -v m="$hwm" 'BEGIN { print (m * 1.048576 < 300) ? "PASS" : "FAIL" }') # MiB vs MB (10^6 bytes)
  rows+=("| 3 | $CONCURRENT concurrent downloads of ${SMALL_MIB} MiB, one source | $pm MB/s, $p_errors errors, peer peak $hwm MiB | nginx $nm MB/s, $n_errors errors | $(calc %.2f "$pm / $nm")× MB/s | no errors: **$goal_errors**, peer memory < 300 MB (286.1 MiB): **$goal_memory** |")
  local cpm cnm
  cpm=$(printf '%s\n' "${c_p[@]}" | median)
  cnm=$(printf '%s\n' "${c_n[@]}" | median)
  rows+=("| 3b | the same, both fetched by one C client | $cpm MB/s, $c_perr errors | nginx $cnm MB/s, $c_nerr errors | $(calc %.2f "$cpm / $cnm")× MB/s | ≥ 0.95×: **$(awk -v a="$cpm" -v b="$cnm" -v e="$c_perr" 'BEGIN { print (a >= 0.95 * b && e == 0) ? "PASS" : "FAIL" }')**, peer memory as row 3: **$goal_memory** |")
  notes+=("3b: the same $CONCURRENT downloads, both servers fetched by \`bench/get-client.c\` (built with \`cc -O2 -pthread\`; one thread and one connection per download: the peer protocol's GET short form, or HTTP/1.0 GET; copies written, not verified, then compared with \`cmp\` outside the timing), aggregate MB/s over one client process; median of $CONCURRENT_RUNS interleaved pairs after one warm-up pair. Runs (p2pshare / nginx MB/s): $(printf '%s ' "${c_p[@]}")/ $(printf '%s ' "${c_n[@]}").")
  notes+=("3: aggregate MB/s = $CONCURRENT × ${SMALL_MIB} MiB / wall time of one process: the load tool (\`bench/P2PShare.LoadTest downloads\`: one directory search, then $CONCURRENT concurrent \`Downloader\` downloads in one process, each verified and saved in its own folder) vs one \`curl --parallel --parallel-immediate --parallel-max $CONCURRENT\` with $CONCURRENT URLs and outputs; median of $CONCURRENT_RUNS interleaved runs after one warm-up; errors are failed downloads plus copies that differ from the original (\`cmp\`, outside the timing), over all timed runs. Peer peak = VmHWM of the uploading peer process (VmRSS at the end: $rss MiB). Runs (p2pshare / nginx MB/s): $(printf '%s ' "${p_rates[@]}")/ $(printf '%s ' "${n_rates[@]}"); timed inside the load tool (without the .NET process start): $(printf '%s ' "${p_inside[@]}")MB/s.")
}

# Starts a fresh directory server (stopping the one before, if any), registers a catalogue and
# measures searches with the load tool. $1: JSON report, $2: catalogue (mixed, music, office),
# $3: queries (repeated, diverse); the rest: extra server options.
directory_load() {
  local report="$1" catalog="$2" queries="$3"
  shift 3
  if [ -n "${server_pid:-}" ] && kill -0 "$server_pid" 2>/dev/null; then
    stop_pid "$server_pid"
    forget_pid "$server_pid"
  fi
  log "   $catalog catalogue, $queries queries:"
  start_server "$@"
  # The load tool is the client side of this comparison, as redis-benchmark is of redis's: both
  # share the 2 cores with the server they measure. redis-benchmark is one event loop; the load
  # tool comes closest with its socket continuations run on the epoll threads instead of being
  # handed to the thread pool (0.6 rather than 0.7 of a core for the same searches). The server
  # keeps the default.
  DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 "${load[@]}" directory --server "$server" --server-pid "$server_pid" --peers "$DIR_PEERS" --files "$DIR_FILES" \
    --connections "$DIR_CONNECTIONS" --register-concurrency 64 --warmup "$DIR_WARMUP" --duration "$DIR_SECONDS" \
    --catalog "$catalog" --queries "$queries" >"$report" 2>"$report.err" || {
    cat "$report.err" >&2
    die "the directory load ($catalog catalogue, $queries queries) failed"
  }
  sed 's/^/     /' "$report.err" >&2
}

start_redis() { # sets redis_port and redis_pid
  redis_port=$(free_port)
  mkdir -p "$work/redis"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/redis" --daemonize no \
    >"$work/redis/out" 2>&1 &
  redis_pid=$!
  pids+=("$redis_pid")
  local i
  for i in $(seq 1 100); do
    redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "redis-server did not start: $(tail -n 3 "$work/redis/out")"
}

# redis-benchmark GETs of a value of $1 bytes, $2 requests from $DIR_CONNECTIONS connections; sets
# redis_rps, redis_p50 and redis_command. Without -r, redis-benchmark's GET asks for the one key
# "key:__rand_int__" (the name is taken literally), which `-t get` alone never sets: every GET
# would answer nil. The key is set first, by redis-benchmark's own SET of a $1-byte value, and the
# run must end with as many hits as GETs and no miss.
redis_get() {
  local size=$1 requests=$2 cli=(redis-cli -h 127.0.0.1 -p "$redis_port")
  "${cli[@]}" flushall >/dev/null
  redis-benchmark -h 127.0.0.1 -p "$redis_port" -c 1 -n 1 -t set -d "$size" -q >/dev/null 2>&1 ||
    die "redis-benchmark could not SET the value to GET"
  local stored
  stored=$("${cli[@]}" strlen 'key:__rand_int__')
  [ "$stored" = "$size" ] || die "redis holds a value of ${stored:-?} bytes, not $size, under key:__rand_int__"
  "${cli[@]}" config resetstat >/dev/null
  redis_command="redis-benchmark -c $DIR_CONNECTIONS -n $requests -t get -d $size -q"
  # redis-benchmark retries a lost server forever; a run that should take seconds gets 5 minutes.
  timeout 300 redis-benchmark -h 127.0.0.1 -p "$redis_port" -c "$DIR_CONNECTIONS" -n "$requests" -t get -d "$size" -q >"$work/redis/bench" 2>&1 ||
    die "redis-benchmark failed: $(tr '\r' '\n' <"$work/redis/bench" | tail -n 3)"
  local stats hits misses
  stats=$("${cli[@]}" info stats | tr -d '\r')
  hits=$(echo "$stats" | sed -n 's/^keyspace_hits://p')
  misses=$(echo "$stats" | sed -n 's/^keyspace_misses://p')
  [ "${misses:-1}" = 0 ] && [ "${hits:-0}" -ge "$requests" ] ||
    die "redis-benchmark's GETs did not all find the $size-byte value: $hits hits, $misses misses for $requests GETs"
  local line
  line=$(tr '\r' '\n' <"$work/redis/bench" | grep '^GET:' | tail -n 1 || true)
  redis_rps=$(echo "$line" | sed -n 's/^GET: \([0-9.]*\) requests per second.*/\1/p')
  redis_p50=$(echo "$line" | sed -n 's/.*p50=\([0-9.]*\) msec.*/\1/p')
  log "   redis-benchmark, $size-byte values: $line ($hits hits, $misses misses)"
}

# One goal row for searches of diverse queries beside redis GETs of values of the mean answer's
# size, measured right after them. $1: row, $2: catalogue, $3: JSON report, $4: redis GET/s,
# $5: redis p50, $6: value size, $7: p99 goal in ms, $8: what the queries are.
search_row() {
  local row=$1 catalog=$2 report=$3 rps=$4 rp50=$5 size=$6 p99_goal=$7 what=$8
  local sps p50 p99 max err entries distinct full empty searches
  sps=$(json searches_per_s "$report")
  p50=$(json search_p50_ms "$report")
  p99=$(json search_p99_ms "$report")
  max=$(json search_max_ms "$report")
  err=$(json search_errors "$report")
  entries=$(json search_mean_entries "$report")
  distinct=$(json search_distinct_share "$report")
  searches=$(json searches "$report")
  full=$(json search_full_answers "$report")
  empty=$(json search_empty_results "$report")
  local g_ratio g_p99
  g_ratio=$(awk -v a="$sps" -v b="${rps:-0}" -v e="$err" 'BEGIN { print (b > 0 && a / b >= 0.5 && e == 0) ? "PASS" : "FAIL" }')
  g_p99=$(awk -v p="$p99" -v g="$p99_goal" 'BEGIN { print (p < g) ? "PASS" : "FAIL" }')
  rows+=("| $row | directory: $catalog catalogue, $what, $DIR_CONNECTIONS connections | $(calc %.0f "$sps")/s, p50 $(calc %.3f "$p50") ms, p99 $(calc %.3f "$p99") ms, max $(calc %.1f "$max") ms, $err errors; answers $(calc %.1f "$entries") entries, $size bytes on average ($(calc %.1f "100 * $empty / ($searches > 0 ? $searches : 1)")% empty, $(calc %.1f "100 * $full / ($searches > 0 ? $searches : 1)")% full); $(calc %.1f "100 * $distinct")% of the queries distinct | redis GET of $size-byte values $(calc %.0f "${rps:-0}")/s, p50 ${rp50:-?} ms | $(calc %.2f "$sps / ${rps:-1}")× req/s | ≥ 0.5× redis: **$g_ratio**, p99 < $p99_goal ms: **$g_p99** |")
}

bytes_per_entry() { # $1: JSON report: server VmRSS after registering / entries registered
  calc %.0f "$(json server_rss_mib_after_register "$1") * 1048576 / $(json entries "$1")"
}

comparison_4() {
  log "4. directory: $DIR_PEERS peers × $DIR_FILES files, searches from $DIR_CONNECTIONS connections for ${DIR_SECONDS}s vs redis-benchmark GET"
  local report="$work/load4.json" music="$work/load4-music.json" office="$work/load4-office.json"
  # Each catalogue on a fresh server (its memory is that of this catalogue alone), each p2pshare
  # measurement followed at once by redis-benchmark GETs of values the size of its mean answer.
  directory_load "$report" mixed repeated
  start_redis
  redis_get 3 "$REDIS_REQUESTS"
  local redis_rps_b=$redis_rps redis_p50_b=$redis_p50 redis_command_b=$redis_command

  directory_load "$music" music diverse
  local music_size
  music_size=$(calc %.0f "$(json search_mean_payload_bytes "$music")")
  [ "$music_size" -gt 0 ] || die "the music searches got no answers"
  redis_get "$music_size" "$REDIS_REQUESTS"
  local redis_rps_d=$redis_rps redis_p50_d=$redis_p50 redis_command_d=$redis_command

  directory_load "$office" office diverse
  local office_size office_entries
  office_size=$(calc %.0f "$(json search_mean_payload_bytes "$office")")
  office_entries=$(json search_mean_entries "$office")
  [ "$office_size" -gt 0 ] || die "the office searches got no answers"
  # (With --quick's tenth of the peers, answers are a tenth as large.)
  [ "$quick" = 1 ] || awk -v e="$office_entries" 'BEGIN { exit !(e >= 100 && e < 1000) }' ||
    log "   note: the office answers hold $office_entries entries on average, not the few hundred they are made for"
  # Large values take redis longer per GET: fewer requests keep the run to seconds.
  redis_get "$office_size" "$REDIS_LARGE_REQUESTS"
  local redis_rps_e=$redis_rps redis_p50_e=$redis_p50 redis_command_e=$redis_command
  stop_pid "$server_pid"
  forget_pid "$server_pid"
  server_pid=""
  stop_pid "$redis_pid"
  forget_pid "$redis_pid"

  local reg reg_err sps p50 p99 max s_err entries rss1 hwm1 rss2 hwm2
  reg=$(json register_s "$report")
  reg_err=$(json register_errors "$report")
  sps=$(json searches_per_s "$report")
  p50=$(json search_p50_ms "$report")
  p99=$(json search_p99_ms "$report")
  max=$(json search_max_ms "$report")
  s_err=$(json search_errors "$report")
  entries=$(json search_mean_entries "$report")
  local client_cpu client_cpu_d client_cpu_e
  client_cpu=$(calc %.2f "$(json client_cpu_cores_during_search "$report")")
  client_cpu_d=$(calc %.2f "$(json client_cpu_cores_during_search "$music")")
  client_cpu_e=$(calc %.2f "$(json client_cpu_cores_during_search "$office")")
  rss1=$(calc %.1f "$(json server_rss_mib_after_register "$report")")
  hwm1=$(calc %.1f "$(json server_hwm_mib_after_register "$report")")
  rss2=$(calc %.1f "$(json server_rss_mib_after_search "$report")")
  hwm2=$(calc %.1f "$(json server_hwm_mib_after_search "$report")")
  local bpe bpe_d bpe_e
  bpe=$(bytes_per_entry "$report")
  bpe_d=$(bytes_per_entry "$music")
  bpe_e=$(bytes_per_entry "$office")
  local total=$((DIR_PEERS * DIR_FILES))
  local g_reg g_ratio g_p99 g_rss g_bpe
  g_reg=$(awk -v t="$reg" -v e="$reg_err" 'BEGIN { print (t < 10 && e == 0) ? "PASS" : "FAIL" }')
  g_ratio=$(awk -v a="$sps" -v b="${redis_rps_b:-0}" -v e="$s_err" 'BEGIN { print (b > 0 && a / b >= 0.5 && e == 0) ? "PASS" : "FAIL" }')
  g_p99=$(awk -v p="$p99" 'BEGIN { print (p < 5) ? "PASS" : "FAIL" }')
  g_rss=$(awk -v a="$rss1" -v b="$rss2" 'BEGIN { print (a * 1.048576 < 400 && b * 1.048576 < 400) ? "PASS" : "FAIL" }') # MiB vs MB (10^6 bytes)
  g_bpe=$(awk -v a="$bpe" -v b="$bpe_d" -v c="$bpe_e" 'BEGIN { print (a <= 250 && b <= 250 && c <= 250) ? "PASS" : "FAIL" }')
  rows+=("| 4a | directory: register $DIR_PEERS peers × $DIR_FILES files ($total entries) | $(calc %.2f "$reg") s, $reg_err errors | — | — | < 10 s: **$g_reg** |")
  rows+=("| 4b | directory: repeated queries, cache answers most, $DIR_CONNECTIONS connections | $(calc %.0f "$sps")/s, p50 $(calc %.3f "$p50") ms, p99 $(calc %.3f "$p99") ms, max $(calc %.1f "$max") ms, $s_err errors | redis GET $(calc %.0f "${redis_rps_b:-0}")/s, p50 ${redis_p50_b:-?} ms | $(calc %.2f "$sps / ${redis_rps_b:-1}")× req/s | ≥ 0.5× redis: **$g_ratio**, p99 < 5 ms: **$g_p99** |")
  rows+=("| 4c | directory server memory ($total entries) | VmRSS $rss1 MiB after registering ($bpe B per entry), $rss2 MiB after searching (VmHWM $hwm2 MiB); music catalogue $bpe_d B per entry, office $bpe_e B per entry | — | — | RSS < 400 MB (381.5 MiB): **$g_rss**, ≤ 250 B per entry (each catalogue): **$g_bpe** |")
  search_row 4d music "$music" "$redis_rps_d" "$redis_p50_d" "$music_size" 5 "diverse queries (artist and title, new ones)"
  search_row 4e office "$office" "$redis_rps_e" "$redis_p50_e" "$office_size" 10 "broad diverse queries (a few hundred entries an answer)"
  notes+=("4a-4c: \`p2pshare server --listen 127.0.0.1:0\` with default limits; the load tool (\`bench/P2PShare.LoadTest directory\`) registers $DIR_PEERS simulated peers, each over its own TCP connection from its own loopback address (127.1.x.y) that stays open and answers PINGs, with $DIR_FILES deterministic, realistic names each (\`--catalog mixed\`: music, TV episodes, photos, documents, plus popular films/ISOs held by many peers), timed from the first connect to the last OK (64 registrations in flight); then $DIR_CONNECTIONS connections send SEARCH one at a time (no pipelining) for ${DIR_WARMUP} s of warm-up and ${DIR_SECONDS} s measured, with queries of 2-3 words of a registered name (\`--queries repeated\`: 4,096 different queries, each asked many times, so the server's search cache answers most of them; $(calc %.1f "$entries") entries per answer on average; the load tool, with its socket continuations run inline on its epoll threads (\`DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1\`, the load tool only), itself used $client_cpu of the $(nproc) cores meanwhile). Server memory from /proc/PID/status (VmHWM after registering: $hwm1 MiB); B per entry = VmRSS after registering / entries registered, for each catalogue on its own fresh server. redis: \`$redis_command_b\` against \`redis-server --save '' --appendonly no\`, the 3-byte value set first (without it, \`-t get\` alone asks for a key nobody set and every GET answers nil).")
  notes+=("4d-4e: the same on a fresh server per catalogue, default options (search cache on), with diverse queries (\`--queries diverse\`: every request a fresh query drawn by its connection's seeded generator, so few repeat: $(calc %.1f "100 * $(json search_distinct_share "$music")")% and $(calc %.1f "100 * $(json search_distinct_share "$office")")% of the measured queries distinct, $(calc %.1f "100 * $(json search_new_share "$music")")% and $(calc %.1f "100 * $(json search_new_share "$office")")% never asked before in the run). 4d, \`--catalog music\`: names like \`artist123/album4/artist123 - title4567 live.mp3\` (artists Zipf-like of 20,000, titles of 100,000, a tenth of each peer's files popular tracks held by many), queries mostly \`artistN titleM\` (most answers small or empty, one-word queries for popular artists full). 4e, \`--catalog office\`: reports, project documents, meetings, lab runs and photos (\`reports/finance/2024/q3/budget-review emea v2 final.xlsx\`, \`lab/helix/runs/run-0042/data-03.csv\`), queries of 1-3 broad words (\`fin q3 2024\`, \`apollo specs\`, \`2023-07 minutes\`), $(calc %.0f "$office_entries") entries per answer on average (BENCHMARKS.md, \"The directory rows\", has the distributions). Bytes per answer = mean RESULTS payload (the frame without its 5-byte header); the redis GETs beside each row are of values that size, run right after the p2pshare measurement: \`$redis_command_d\` and \`$redis_command_e\`, each with its value set first and checked to hit on every GET. Load tool CPU: $client_cpu_d and $client_cpu_e cores.")
}

comparison_5() {
  log "5. flash crowd: 1 seeder + N downloaders, p2pshare vs aria2c + opentracker (bench/flash-crowd.sh)"
  local options=(--p2pshare "${cli[-1]}" --tsv "$work/flash.tsv")
  [ "$quick" = 1 ] && options+=(--n "1,4" --mib 16)
  [ "$write" = 1 ] && options+=(--write)
  # Its table goes to stderr with the progress; a failed run is a row of its own here.
  "$root/bench/flash-crowd.sh" "${options[@]}" >&2 || log "   bench/flash-crowd.sh reported failed runs"
  [ -s "$work/flash.tsv" ] || die "bench/flash-crowd.sh wrote no runs"
  # Medians of the successful runs: "TOOL N SECONDS SEEDER_BYTES".
  local medians
  medians=$(awk -F'\t' 'NR > 1 && $6 == "ok" { key = $1 " " $2; n[key]++; t[key, n[key]] = $4; u[key, n[key]] = $5 }
    function median(a, key, count,   i, j, v, x) {
      for (i = 1; i <= count; i++) v[i] = a[key, i]
      for (i = 2; i <= count; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
      return count % 2 ? v[(count + 1) / 2] : (v[count / 2] + v[count / 2 + 1]) / 2
    }
    END { for (key in n) printf "%s %.3f %.0f\n", key, median(t, key, n[key]), median(u, key, n[key]) }' "$work/flash.tsv")
  local size n_max
  size=$(($([ "$quick" = 1 ] && echo 16 || echo 64) * 1048576))
  n_max=$([ "$quick" = 1 ] && echo 4 || echo 16)
  pick() { echo "$medians" | awk -v t="$1" -v n="$2" -v f="$3" '$1 == t && $2 == n { print $f }'; }
  local pt at pu au p1 p8 a1 a8
  pt=$(pick p2pshare "$n_max" 3) at=$(pick aria2c "$n_max" 3) pu=$(pick p2pshare "$n_max" 4) au=$(pick aria2c "$n_max" 4)
  if [ -n "$pt" ] && [ -n "$at" ]; then
    rows+=("| 5a | flash crowd: $((size / 1048576)) MiB, 1 seeder + $n_max downloaders, uploads 8 MiB/s | $(calc '%.2f s, seeder sent %.2f× the file' "$pt, $pu / $size") | aria2c $(calc '%.2f s, seeder sent %.2f× the file' "$at, $au / $size") | $(calc %.2f "$pt / $at")× time | ≤ 1.0×: **$(awk -v a="$pt" -v b="$at" 'BEGIN { print (a <= b) ? "PASS" : "FAIL" }')**, seeder ≤ 2×: **$(awk -v u="$pu" -v s="$size" 'BEGIN { print (u <= 2 * s) ? "PASS" : "FAIL" }')** |")
  else
    rows+=("| 5a | flash crowd, 1 seeder + $n_max downloaders | ${pt:-failed} | ${at:-failed} | — | **FAIL** |")
  fi
  p1=$(pick p2pshare 1 3) p8=$(pick p2pshare 8 3) a1=$(pick aria2c 1 3) a8=$(pick aria2c 8 3)
  if [ -n "$p1" ] && [ -n "$p8" ] && [ -n "$a1" ] && [ -n "$a8" ]; then
    rows+=("| 5b | flash crowd: time for 8 downloaders / for 1 | $(calc '%.2f s / %.2f s = %.2f' "$p8, $p1, $p8 / $p1") | aria2c $(calc '%.2f s / %.2f s = %.2f' "$a8, $a1, $a8 / $a1") | — | ≤ 1.5: **$(awk -v a="$p8" -v b="$p1" 'BEGIN { print (a <= 1.5 * b) ? "PASS" : "FAIL" }')** |")
  fi
  notes+=("5: \`bench/flash-crowd.sh\` with this build (its section \"Flash crowd\" below has the table for every N, the runs and the plot): p2pshare server, a seeder peer and N menu-driven peers (\`2\` and the name on stdin), each with one folder as --share and --downloads, vs opentracker, a seeding aria2c and N aria2c (DHT and LPD off, PEX on) that seed on; every process's upload limited to 8388608 bytes/s; timed from the start of the N downloader processes until all N hold the file (each copy then checked by sha256); seeder bytes from its upload log lines (p2pshare) or its RPC uploadLength (aria2c).")
}

# The many files of comparison 6, timed: the whole `get --folder` process or the whole `curl
# --parallel` process into the emptied folder $1; every copy compared outside the timing.
timed_many_get() {
  local start t
  fresh_folder "$1"
  start=$(now)
  "${cli[@]}" get --folder many/ --server "$server" --output "$1" >"$work/get6.out" 2>"$work/get6.err" || {
    tail -n 5 "$work/get6.out" "$work/get6.err" >&2
    die "p2pshare get --folder many/ failed"
  }
  t=$(elapsed "$start")
  diff -rq "$work/data6/many" "$1/many" >/dev/null || die "the files p2pshare got differ from the originals"
  echo "$t"
}

timed_many_curl() {
  local start t
  fresh_folder "$1"
  mkdir -p "$1/many"
  start=$(now)
  curl -sf --no-progress-meter --parallel --parallel-max 50 -K "$work/curl6.conf" || die "curl --parallel failed"
  t=$(elapsed "$start")
  diff -rq "$work/data6/many" "$1/many" >/dev/null || die "the files curl got differ from the originals"
  echo "$t"
}

timed_one_get() {
  local start t
  fresh_folder "$1"
  start=$(now)
  "${cli[@]}" get one.bin --server "$server" --output "$1" >"$work/get6a.out" 2>"$work/get6a.err" || {
    cat "$work/get6a.out" "$work/get6a.err" >&2
    die "p2pshare get one.bin failed"
  }
  t=$(elapsed "$start")
  cmp -s "$work/data6/one.bin" "$1/one.bin" || die "the p2pshare copy of one.bin differs from the original"
  echo "$t"
}

timed_one_curl() {
  local start t
  fresh_folder "$1"
  start=$(now)
  curl -sf -o "$1/one.bin" "http://127.0.0.1:$nginx_port/one.bin" || die "curl of one.bin failed"
  t=$(elapsed "$start")
  cmp -s "$work/data6/one.bin" "$1/one.bin" || die "the curl copy of one.bin differs from the original"
  echo "$t"
}

comparison_6() {
  ensure_server
  log "6. $MANY_FILES files of $MANY_KIB KiB from one peer: get --folder vs curl --parallel from nginx (warm-up + $RUNS runs each, interleaved)"
  local out="$work/out6" i name p=() c=() run
  mkdir -p "$work/data6/many" "$work/www/many"
  for i in $(seq 1 "$MANY_FILES"); do
    name=$(printf 'f%04d.bin' "$i")
    head -c $((MANY_KIB * 1024)) /dev/urandom >"$work/data6/many/$name"
    ln "$work/data6/many/$name" "$work/www/many/$name"
    printf 'url = "http://127.0.0.1:%s/many/%s"\noutput = "%s/many/%s"\n' "$nginx_port" "$name" "$out" "$name"
  done >"$work/curl6.conf"
  chmod 755 "$work/www/many"
  chmod 644 "$work/www/many/"*
  start_peer many "$work/data6"
  wait_listed "$(printf 'many/f%04d.bin' "$MANY_FILES")" 1
  timed_many_get "$out" >/dev/null
  timed_many_curl "$out" >/dev/null
  for run in $(seq 1 "$RUNS"); do
    p+=("$(timed_many_get "$out")")
    c+=("$(timed_many_curl "$out")")
    log "   run $run: p2pshare ${p[-1]} s, curl ${c[-1]} s"
  done
  # One 1 MiB file alone, each way: what a script calling get once per file pays (fast start).
  head -c 1048576 /dev/urandom >"$work/data6/one.bin"
  ln "$work/data6/one.bin" "$work/www/one.bin"
  chmod 644 "$work/www/one.bin"
  wait_listed one.bin 1
  local p1=() c1=()
  timed_one_get "$out" >/dev/null
  timed_one_curl "$out" >/dev/null
  for run in $(seq 1 "$ONE_RUNS"); do
    p1+=("$(timed_one_get "$out")")
    c1+=("$(timed_one_curl "$out")")
  done
  log "   one 1 MiB file, $ONE_RUNS runs: p2pshare $(printf '%s ' "${p1[@]}")s, curl $(printf '%s ' "${c1[@]}")s"
  rm -rf "$out"
  stop_peers
  local pm cm pr cr ratio goal p1m c1m r1 g1
  p1m=$(printf '%s\n' "${p1[@]}" | median)
  c1m=$(printf '%s\n' "${c1[@]}" | median)
  r1=$(calc %.2f "$p1m / $c1m")
  g1=$(awk -v r="$r1" 'BEGIN { print (r <= 3) ? "PASS" : "FAIL" }')
  rows+=("| 6a | one 1 MiB file, one source (start-up included) | \`get\` $(calc '%.3f s' "$p1m") | \`curl -o\` $(calc '%.3f s' "$c1m") | ${r1}× time | ≤ 3 (aim 1.5): **$g1** |")
  notes+=("6a: wall time of one whole \`p2pshare get one.bin\` process (start, search, hash list, chunk, verification, rename) vs one whole \`curl -s -o\` of the same 1 MiB file from nginx, into the same emptied folder; median of $ONE_RUNS interleaved runs after one warm-up each, every copy compared with \`cmp\`. Runs (p2pshare / curl): $(printf '%s ' "${p1[@]}")/ $(printf '%s ' "${c1[@]}")s.")
  pm=$(printf '%s\n' "${p[@]}" | median)
  cm=$(printf '%s\n' "${c[@]}" | median)
  pr=$(calc %.0f "$MANY_FILES / $pm")
  cr=$(calc %.0f "$MANY_FILES / $cm")
  ratio=$(calc %.2f "$cm / $pm")
  goal=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.5) ? "PASS" : "FAIL" }')
  rows+=("| 6b | $MANY_FILES files of $MANY_KIB KiB, one source | \`get --folder\` $(calc '%.2f s' "$pm") ($pr files/s) | \`curl --parallel\` $(calc '%.2f s' "$cm") ($cr files/s) | ${ratio}× files/s | ≥ 0.5: **$goal** |")
  notes+=("6b: one peer shares a folder \`many/\` of $MANY_FILES random files of $MANY_KIB KiB (nginx serves the same files); wall time of one whole \`p2pshare get --folder many/\` process (one search, then the files $(sed -n 's/^downloading [0-9]* files, \([0-9]*\) at a time$/\1/p' "$work/get6.err") at a time over a connection each, each verified and renamed into place) vs one \`curl -s --parallel --parallel-max 50 -K LIST\` process (one \`url\`/\`output\` pair per file); both into the same folder, emptied and synced before each run; median of $RUNS interleaved runs after one warm-up each; every copy compared with \`diff -r\` outside the timing. Runs (p2pshare / curl): $(printf '%s ' "${p[@]}")/ $(printf '%s ' "${c[@]}")s.")
}

# Comparison 7's slow disk: an ext4 file system on a loop device (direct I/O to its backing file,
# so that the loop adds no page cache of its own) whose writes the blkio controller throttles to
# SLOW_DISK_BPS for every process, the kernel's flusher threads included. Sets slow_disk (the
# mount point) or slow_disk_missing (why not).
slow_disk="" slow_disk_device="" slow_disk_throttle=/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device slow_disk_missing=""
make_slow_disk() {
  if [ "$(id -u)" != 0 ]; then
    slow_disk_missing="not root"
  elif ! command -v losetup >/dev/null || ! command -v mkfs.ext4 >/dev/null; then
    slow_disk_missing="losetup or mkfs.ext4 missing"
  elif [ ! -w "$slow_disk_throttle" ]; then
    slow_disk_missing="no cgroup v1 blkio throttle ($slow_disk_throttle)"
  else
    truncate -s $((WRITE_MIB * 3 + 256))M "$work/slow.img"
    slow_disk_device=$(losetup --direct-io=on -f --show "$work/slow.img") || slow_disk_device=""
    if [ -z "$slow_disk_device" ] || ! mkfs.ext4 -q "$slow_disk_device" || ! mkdir -p "$work/slow" || ! mount "$slow_disk_device" "$work/slow"; then
      slow_disk_missing="the loop device could not be made and mounted"
      return
    fi
    slow_disk="$work/slow"
    echo "$(slow_disk_numbers) $SLOW_DISK_BPS" >"$slow_disk_throttle"
  fi
}
slow_disk_numbers() { printf '%d:%d' "0x$(stat -c %t "$slow_disk_device")" "0x$(stat -c %T "$slow_disk_device")"; }
remove_slow_disk() {
  [ -n "$slow_disk_device" ] || return 0
  echo "$(slow_disk_numbers) 0" >"$slow_disk_throttle" 2>/dev/null || true
  [ -z "$slow_disk" ] || umount "$slow_disk" 2>/dev/null || true
  losetup -d "$slow_disk_device" 2>/dev/null || true
  slow_disk="" slow_disk_device=""
}

# One timed download of comparison 7 into the emptied folder $1: $2 is get, direct or curl.
# Prints "SECONDS SYNC_SECONDS PEAK_RSS_KIB": the whole process, then the `sync` that puts what
# it left in the page cache on the disk (not timed in SECONDS), and the process's peak RSS.
timed_write() {
  local start t s rss command=()
  fresh_folder "$1"
  case "$2" in
    get) command=("${cli[@]}" get write.bin --server "$server" --output "$1") ;;
    direct) command=("${cli[@]}" get write.bin --server "$server" --output "$1" --direct-io) ;;
    curl) command=(curl -sf -o "$1/write.bin" "http://127.0.0.1:$nginx_port/write.bin") ;;
  esac
  start=$(now)
  /usr/bin/time -f %M -o "$work/rss7" "${command[@]}" >"$work/get7.out" 2>"$work/get7.err" || {
    cat "$work/get7.out" "$work/get7.err" >&2
    die "$2 of write.bin failed"
  }
  t=$(elapsed "$start")
  start=$(now)
  sync
  s=$(elapsed "$start")
  rss=$(tail -n 1 "$work/rss7")
  cmp -s "$work/data7/write.bin" "$1/write.bin" || die "the $2 copy of write.bin differs from the original"
  echo "$t $s $rss"
}

# Interleaved get / curl / get --direct-io into folder $1 (described as $2); adds rows $3 and $4.
write_rows() {
  local out="$1/out7" run kind g=() c=() d=() line
  declare -A sync_times=() rss=()
  for kind in get curl direct; do timed_write "$out" "$kind" >/dev/null; done
  for run in $(seq 1 "$RUNS"); do
    for kind in get curl direct; do
      line=$(timed_write "$out" "$kind")
      case "$kind" in
        get) g+=("${line%% *}") ;;
        curl) c+=("${line%% *}") ;;
        direct) d+=("${line%% *}") ;;
      esac
      sync_times[$kind]+="$(echo "$line" | cut -d' ' -f2) "
      rss[$kind]+="$(echo "$line" | cut -d' ' -f3) "
    done
    log "   $2, run $run: get ${g[-1]} s, curl ${c[-1]} s, get --direct-io ${d[-1]} s"
  done
  rm -rf "$out"
  local gm cm dm ratio goal dratio peak
  gm=$(printf '%s
' "${g[@]}" | median)
  cm=$(printf '%s
' "${c[@]}" | median)
  dm=$(printf '%s
' "${d[@]}" | median)
  ratio=$(calc %.2f "$gm / $cm")
  dratio=$(calc %.2f "$dm / $cm")
  goal=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.0) ? "PASS" : "FAIL" }')
  peak=$(printf '%s
' ${rss[get]} | sort -g | tail -n 1)
  rows+=("| $3 | one ${WRITE_MIB} MiB file, one source, $2 | \`get\` $(calc '%.2f s' "$gm"), peak RSS $(calc '%.0f MiB' "$peak / 1024") | \`curl -o\` $(calc '%.2f s' "$cm") | ${ratio}× time | ≤ 1.0: **$goal** |")
  rows+=("| $4 | the same with \`get --direct-io\` (the default before) | $(calc '%.2f s' "$dm") | \`curl -o\` $(calc '%.2f s' "$cm") | ${dratio}× time | — |")
  notes+=("$3-$4, $2: runs (get / curl / get --direct-io): $(printf '%s ' "${g[@]}")/ $(printf '%s ' "${c[@]}")/ $(printf '%s ' "${d[@]}")s; the \`sync\` right after each run took (get / curl / get --direct-io): ${sync_times[get]}/ ${sync_times[curl]}/ ${sync_times[direct]}s; peak RSS in KiB (get / curl / get --direct-io): ${rss[get]}/ ${rss[curl]}/ ${rss[direct]}.")
}

comparison_7() {
  ensure_server
  log "7. one ${WRITE_MIB} MiB file: get, curl -o and get --direct-io into a folder on the VM's disk and on a slow disk (warm-up + $RUNS runs each, interleaved)"
  mkdir -p "$work/data7"
  head -c $((WRITE_MIB * 1048576)) /dev/urandom >"$work/data7/write.bin"
  ln "$work/data7/write.bin" "$work/www/write.bin"
  chmod 644 "$work/www/write.bin"
  start_peer writes "$work/data7"
  wait_listed write.bin 1
  write_rows "$work" "into a folder on the VM's disk" 7a 7b
  make_slow_disk
  if [ -n "$slow_disk" ]; then
    write_rows "$slow_disk" "into a folder on a slow disk ($(calc %.0f "$SLOW_DISK_BPS / 1048576") MiB/s of writes)" 7c 7d
  else
    rows+=("| 7c | one ${WRITE_MIB} MiB file onto a slow disk | not measured: $slow_disk_missing | | | |")
  fi
  remove_slow_disk
  stop_peers
  notes+=("7: wall time of the whole \`p2pshare get write.bin\` (by default: writes through the page cache, with write-behind: a background thread starts each range's write-back and drops it from the cache once on disk), of the same with \`--direct-io\`, and of \`curl -s -o\` from nginx, interleaved, into the same folder, emptied and synced before each run; median of $RUNS runs after one warm-up each; every copy compared with \`cmp\` outside the timing. Neither \`get\` nor \`curl\` waits for the disk before it exits (\`get --fsync\` does): the \`sync\` after each run shows what each left to write. The slow disk is an ext4 file system on a loop device whose writes (the kernel's write-back included) the blkio controller throttles to $SLOW_DISK_BPS bytes/s.")
}

# ---------------------------------------------------------------------------------------------

ensure_tools
build

if wants 1 || wants 2 || wants 3 || wants 6 || wants 7; then
  mkdir -p "$work/data" "$work/data3" "$work/www"
  log "writing a ${BIG_MIB} MiB and a ${SMALL_MIB} MiB random file..."
  head -c $((BIG_MIB * 1048576)) /dev/urandom >"$work/data/big.bin"
  head -c $((SMALL_MIB * 1048576)) /dev/urandom >"$work/data3/small.bin"
  ln "$work/data/big.bin" "$work/www/big.bin"
  ln "$work/data3/small.bin" "$work/www/small.bin"
  # nginx's workers run as nobody when it is started by root: they must be able to read the files.
  chmod 755 "$work" "$work/www"
  chmod 644 "$work/www/"*.bin
  start_nginx
  start_server
fi

for n in 1 2 3 4 5 6 7; do
  if wants "$n"; then "comparison_$n"; fi
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
cores=$(nproc)
memory=$(awk '/^MemTotal:/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)
date_utc=$(date -u '+%Y-%m-%d %H:%M UTC')
table=$(
  echo "Machine: ${cpu:-unknown CPU}, $cores cores, $memory RAM, $(uname -sr); $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(curl --version | head -n 1 | cut -d' ' -f1-2), redis $(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p'), .NET SDK $(dotnet --version). Everything on 127.0.0.1. p2pshare: ${cli_form:-plain Release build}."
  echo
  echo "| # | comparison | p2pshare (median) | nginx + curl / redis / aria2c (median) | ratio | goals |"
  echo "|---|---|---|---|---:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "What exactly is measured:"
  echo
  printf -- '- %s\n' "${notes[@]}"
)

echo
echo "\`$command_line\` — $date_utc$([ "$quick" = 1 ] && echo " (--quick: small sizes, not the figures of the issue)")"
echo
echo "$table"

if [ "$write" = 1 ]; then
  section=$(
    echo "<!-- bench/run.sh results: begin -->"
    echo "## Side by side: latest \`bench/run.sh\`"
    echo
    echo "Written by \`bench/run.sh\` (do not edit between these markers; the script rewrites them). Command: \`$command_line\`, run $date_utc$([ "$quick" = 1 ] && echo " with --quick (small sizes)")."
    echo
    echo "$table"
    echo "<!-- bench/run.sh results: end -->"
  )
  doc="$root/BENCHMARKS.md"
  # A section already present is replaced where it is; otherwise it goes right under the title.
  if grep -q '^<!-- bench/run.sh results: begin -->$' "$doc"; then
    SECTION="$section" awk '
      /^<!-- bench\/run.sh results: begin -->$/ { skipping = 1; print ENVIRON["SECTION"]; next }
      /^<!-- bench\/run.sh results: end -->$/ { skipping = 0; next }
      !skipping { print }
    ' "$doc" >"$work/BENCHMARKS.md"
  else
    SECTION="$section" awk '
      { print }
      /^# / && !done { print ""; print ENVIRON["SECTION"]; done = 1 }
    ' "$doc" >"$work/BENCHMARKS.md"
  fi
  cat "$work/BENCHMARKS.md" >"$doc"
  log "BENCHMARKS.md updated"
else
  log "BENCHMARKS.md not updated (a --quick or --only run; add --write to record it)"
fi
