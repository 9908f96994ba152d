#!/usr/bin/env bash
# Flash crowd (issue 14): one seeder and N downloaders that start together, all on 127.0.0.1,
# p2pshare side by side with aria2c over BitTorrent (opentracker as the tracker).
#
#   p2pshare: `p2pshare server`, one seeder `p2pshare peer --no-menu` whose folder holds the file,
#     then N `p2pshare peer` processes with empty folders, each driven through its menu on stdin
#     (`2`, then the file name). Every peer: `--share DIR --downloads DIR` (one folder) and
#     `--upload-limit LIMIT`.
#   aria2c: `opentracker` (HTTP on 127.0.0.1), one seeding aria2c, N downloading aria2c that keep
#     seeding once complete; every one with `--max-overall-upload-limit=LIMIT`.
#
# Each run is timed from the start of the N downloader processes until every downloader's folder
# holds the complete file (p2pshare: the file appears under its name, which happens only once it
# is complete and verified; aria2c: its --on-bt-download-complete hook has run). Every copy is
# then checked against the original's sha256 (outside the timing: a wrong copy fails the run).
# Seeder upload: p2pshare: the sum of the seeder's log lines `upload of NAME to PEER finished: N
# bytes` (and `failed after N bytes`), one per upload connection; aria2c: the seeder's own
# `uploadLength` (bytes of pieces sent), read over its JSON-RPC (127.0.0.1 only) before it stops.
#
# Usage (from anywhere; it finds the repository):
#
#   bench/flash-crowd.sh                      # N = 1 4 8 16, 1 round, 64 MiB, prints a table
#   bench/flash-crowd.sh --n 1,8 --rounds 3   # some N, median of 3 interleaved rounds
#   bench/flash-crowd.sh --p2pshare PATH      # measure that p2pshare (executable or .dll) instead
#                                             # of publishing this checkout
#   bench/flash-crowd.sh --write              # also record it in BENCHMARKS.md and bench/flash-crowd.svg
#
# Options: --n LIST (default 1,4,8,16), --rounds R (1), --mib M (file size, 64), --limit B (upload
# limit of every process, bytes/s, 8388608), --timeout S (longest a run may take, 300: it is then
# stopped and counted as failed), --only p2pshare|aria2c, --peer-args "..." (extra arguments for
# every p2pshare downloader, e.g. "--sources-per-address 16"), --tsv FILE (also copy the runs
# there), --write.
#
# Without --p2pshare it publishes the CLI as bench/run.sh does (self-contained, composite
# ReadyToRun; falls back to the plain Release build). It installs aria2, opentracker and mktorrent
# from Debian's packages when missing. The runs are written to bench/results/flash-crowd-TIME.tsv
# and the plot (completion time against N, both tools) to bench/results/flash-crowd-TIME.svg.
# Every process it starts is stopped by pid at the end (also on Ctrl-C) and its temporary folder
# removed. Progress goes to stderr, the table to stdout; it exits 1 when a run failed.
set -euo pipefail

counts="1,4,8,16"
rounds=1
mib=64
limit=8388608
run_timeout=300
only=both
peer_args=""
p2pshare=""
tsv_copy=""
write=0
command_line="bench/flash-crowd.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --n) counts="${2:?--n needs a list such as 1,4,8,16}"; shift ;;
    --rounds) rounds="${2:?--rounds needs a number}"; shift ;;
    --mib) mib="${2:?--mib needs a number}"; shift ;;
    --limit) limit="${2:?--limit needs bytes per second}"; shift ;;
    --timeout) run_timeout="${2:?--timeout needs seconds}"; shift ;;
    --only) only="${2:?--only needs p2pshare or aria2c}"; shift ;;
    --peer-args) peer_args="${2?--peer-args needs a string}"; shift ;;
    --p2pshare) p2pshare="${2:?--p2pshare needs a path}"; shift ;;
    --tsv) tsv_copy="${2:?--tsv needs a file}"; shift ;;
    --write) write=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "bench/flash-crowd.sh: unknown option $1 (see --help)" >&2
      exit 2
      ;;
  esac
  shift
done
[[ "$counts" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "bench/flash-crowd.sh: --n takes numbers separated by commas, such as 1,4,8,16" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]*$ && "$mib" =~ ^[1-9][0-9]*$ && "$limit" =~ ^[1-9][0-9]*$ && "$run_timeout" =~ ^[1-9][0-9]*$ ]] ||
  { echo "bench/flash-crowd.sh: --rounds, --mib, --limit and --timeout take positive whole numbers" >&2; exit 2; }
[[ "$only" =~ ^(both|p2pshare|aria2c)$ ]] || { echo "bench/flash-crowd.sh: --only takes p2pshare or aria2c" >&2; exit 2; }
IFS=, read -r -a ns <<<"$counts"
readonly NAME=big.bin

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/p2pshare-flash-XXXXXX")
pids=()

log() { printf '%s\n' "$*" >&2; }
die() {
  log "bench/flash-crowd.sh: $*"
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

stop_all() { # stops every process started so far, the last started first
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    stop_pid "${pids[i]}"
  done
  pids=()
}

cleanup() {
  stop_all
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.3f", a - b }'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# A free TCP port on 127.0.0.1, below the kernel's ephemeral range (as in bench/run.sh), and not
# one handed out before in this run.
used_ports=" "
free_port() {
  local port low span=30000
  low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "${low:-0}" -gt 11000 ] && span=$((low - 10000))
  while true; do
    port=$((10000 + RANDOM % span))
    [[ "$used_ports" == *" $port "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      used_ports+="$port "
      echo "$port"
      return
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# Tools, build, data

ensure_tools() {
  local missing=()
  if [ "$only" != p2pshare ]; then
    command -v aria2c >/dev/null || missing+=(aria2)
    command -v opentracker >/dev/null || missing+=(opentracker)
    command -v mktorrent >/dev/null || missing+=(mktorrent)
    command -v curl >/dev/null || missing+=(curl)
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  log "installing ${missing[*]} from Debian's packages..."
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >&2
  # The opentracker package starts a tracker on port 6969 where systemd runs; this benchmark
  # starts its own on 127.0.0.1.
  "${sudo[@]}" systemctl stop opentracker 2>/dev/null || true
}

cli=()
cli_form=""
build() {
  if [ -n "$p2pshare" ]; then
    [ -e "$p2pshare" ] || die "--p2pshare $p2pshare: no such file"
    case "$p2pshare" in
      *.dll) cli=(dotnet "$p2pshare") ;;
      *) cli=("$p2pshare") ;;
    esac
    cli_form="\`$p2pshare\` (given with --p2pshare)"
    return
  fi
  log "publishing the CLI (self-contained, composite ReadyToRun, as bench/run.sh does; about a minute)..."
  if dotnet publish -c Release "$root/src/P2PShare.Cli" -r linux-x64 --self-contained true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true \
    --artifacts-path "$work/artifacts" -o "$work/p2pshare" -nologo -v quiet >"$work/publish.log" 2>&1; then
    cli=("$work/p2pshare/p2pshare")
    cli_form="published self-contained with composite ReadyToRun (\`dotnet publish -c Release -r linux-x64 --self-contained -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true\`)"
  else
    log "the composite publish failed; using the plain Release build:"
    tail -n 5 "$work/publish.log" >&2
    dotnet build -c Release "$root/src/P2PShare.Cli" -nologo -v quiet >"$work/build.log" 2>&1 || {
      cat "$work/build.log" >&2
      die "the build failed"
    }
    cli=(dotnet "$root/src/P2PShare.Cli/bin/Release/net10.0/p2pshare.dll")
    cli_form="plain Release build (the composite ReadyToRun publish failed)"
  fi
}

# ---------------------------------------------------------------------------------------------
# Checks shared by both tools

file_sha=""
check_copies() { # $1: folder holding d1..dN, $2: N; prints nothing, returns 1 naming a bad copy
  local i sum
  for ((i = 1; i <= $2; i++)); do
    [ -f "$1/d$i/$NAME" ] || { log "   downloader $i has no $NAME"; return 1; }
    sum=$(sha256sum "$1/d$i/$NAME" | cut -d' ' -f1)
    [ "$sum" = "$file_sha" ] || { log "   downloader $i's copy differs from the original (sha256 $sum)"; return 1; }
  done
}

# Waits until marker files exist for all N downloaders. $1: run folder, $2: N, $3: start time,
# $4: the marker's path under d$i, $5...: pids that must stay alive. Sets done_at (seconds) or
# returns 1 with the reason in fail_reason.
wait_all() {
  local dir=$1 n=$2 start=$3 marker=$4
  shift 4
  local pending=() i pid t
  for ((i = 1; i <= n; i++)); do pending+=("$i"); done
  while true; do
    local still=()
    for i in "${pending[@]}"; do
      [ -e "$dir/d$i/$marker" ] || still+=("$i")
    done
    pending=("${still[@]}")
    t=$(elapsed "$start")
    if [ ${#pending[@]} -eq 0 ]; then
      done_at=$t
      return 0
    fi
    if awk -v t="$t" -v m="$run_timeout" 'BEGIN { exit !(t > m) }'; then
      fail_reason="timeout: ${#pending[@]} of $n downloaders not done after $run_timeout s"
      return 1
    fi
    for pid in "$@"; do
      kill -0 "$pid" 2>/dev/null || { fail_reason="process $pid exited during the run"; return 1; }
    done
    sleep 0.1
  done
}

# ---------------------------------------------------------------------------------------------
# p2pshare

run_p2pshare() { # $1: N; sets result_s, result_up (seeder bytes) or returns 1 with fail_reason
  local n=$1 dir="$work/p2p"
  rm -rf "$dir" && mkdir -p "$dir/seeder"
  ln "$work/data/$NAME" "$dir/seeder/$NAME"
  sync
  local run_pids=()

  "${cli[@]}" server --listen 127.0.0.1:0 --log-level Warning --drain-timeout 1 >"$dir/server.out" 2>"$dir/server.err" &
  local server_pid=$!
  pids+=("$server_pid")
  run_pids+=("$server_pid")
  local port="" i
  for i in $(seq 1 200); do
    port=$(sed -n 's/^p2pshare directory listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/server.out" 2>/dev/null | head -n 1 || true)
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$dir/server.err" >&2; die "the directory server did not start"; }
  local server="127.0.0.1:$port"

  # The seeder keeps its hash cache across runs: its file is not hashed again each time.
  "${cli[@]}" peer --server "$server" --port 0 --share "$dir/seeder" --downloads "$dir/seeder" --state "$work/seeder-state" \
    --upload-limit "$limit" --no-menu --log-level Information --drain-timeout 1 >"$dir/seeder.out" 2>"$dir/seeder.err" &
  local seeder_pid=$!
  pids+=("$seeder_pid")
  run_pids+=("$seeder_pid")
  local listed=0
  for i in $(seq 1 300); do
    listed=$("${cli[@]}" search "$NAME" --server "$server" --json 2>/dev/null | grep -c '"port"' || true)
    [ "$listed" -ge 1 ] && break
    kill -0 "$seeder_pid" 2>/dev/null || { cat "$dir/seeder.err" >&2; die "the seeder exited"; }
    sleep 0.2
  done
  [ "$listed" -ge 1 ] || die "the directory does not list the seeder's $NAME"

  # N downloaders, each reading its menu choices from a FIFO. Every process is started first (each
  # waits in the open of its FIFO), then the FIFOs are opened here for writing, so that no
  # downloader inherits another one's write end: closing them later is each one's end of input.
  local dl_pids=() fds=() fd start
  for ((i = 1; i <= n; i++)); do
    mkdir -p "$dir/d$i"
    mkfifo "$dir/menu$i"
  done
  start=$(now)
  for ((i = 1; i <= n; i++)); do
    # shellcheck disable=SC2086 # --peer-args is a list of words on purpose
    "${cli[@]}" peer --server "$server" --port 0 --share "$dir/d$i" --downloads "$dir/d$i" --state "$dir/state$i" \
      --upload-limit "$limit" --log-level Information --drain-timeout 1 $peer_args <"$dir/menu$i" >"$dir/d$i.out" 2>"$dir/d$i.err" &
    dl_pids+=($!)
    pids+=($!)
    run_pids+=($!)
  done
  for ((i = 1; i <= n; i++)); do
    exec {fd}<>"$dir/menu$i"
    fds+=("$fd")
    printf '2\n%s\n' "$NAME" >&"$fd"
  done

  local ok=1
  wait_all "$dir" "$n" "$start" "$NAME" "${dl_pids[@]}" "$seeder_pid" || ok=0
  [ "$ok" = 0 ] || result_s=$done_at
  local ready
  ready=$(for ((i = 1; i <= n; i++)); do head -n 1 "$dir/d$i.out"; done | grep -c '^p2pshare peer listening' || true)

  # End of input quits each downloader's menu (it unregisters and exits); then the seeder stops,
  # and every upload connection it had has logged its bytes.
  for fd in "${fds[@]}"; do exec {fd}>&-; done
  local pid
  for pid in "${dl_pids[@]}"; do
    for i in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  done
  for ((i = ${#run_pids[@]} - 1; i >= 0; i--)); do stop_pid "${run_pids[i]}"; done
  stop_all

  if [ "$ok" = 1 ]; then
    check_copies "$dir" "$n" || { ok=0; fail_reason="a copy is missing or differs from the original"; }
  fi
  # One line per upload connection: "... upload of big.bin to 127.0.0.1:P finished: N bytes in S s"
  # or "... upload of big.bin to 127.0.0.1:P failed after N bytes: REASON".
  result_up=$(sed -n -e "s/.*upload of $NAME to .* finished: \([0-9]*\) bytes.*/\1/p" -e "s/.*upload of $NAME to .* failed after \([0-9]*\) bytes.*/\1/p" "$dir/seeder.err" |
    awk '{ s += $1 } END { printf "%d", s }')
  result_conns=$(grep -c "upload of $NAME to .* \(finished\|failed after\)" "$dir/seeder.err" || true)
  if [ "$ok" = 0 ]; then
    log "   p2pshare failed: $fail_reason"
    tail -n 3 "$dir"/d*.err "$dir/seeder.err" 2>/dev/null | sed 's/^/     /' >&2 || true
  fi
  log "   ($ready of $n downloaders had started and registered by the end; the seeder logged $result_conns upload connections)"
  rm -rf "$dir"
  [ "$ok" = 1 ]
}

# ---------------------------------------------------------------------------------------------
# aria2c + opentracker

info_hash=""
make_torrent() { # $1: tracker port; writes $work/torrent/big.torrent for the data file
  rm -rf "$work/torrent" && mkdir -p "$work/torrent"
  # 1 MiB pieces (2^20), like p2pshare's chunks. The info dictionary does not hold the announce
  # address, so every run's torrent has the same info hash.
  mktorrent -a "http://127.0.0.1:$1/announce" -l 20 -o "$work/torrent/$NAME.torrent" "$work/data/$NAME" >"$work/torrent/mktorrent.log" 2>&1 ||
    { cat "$work/torrent/mktorrent.log" >&2; die "mktorrent failed"; }
  info_hash=$(aria2c -S "$work/torrent/$NAME.torrent" | sed -n 's/^Info Hash: \([0-9a-f]\{40\}\)$/\1/p')
  [ -n "$info_hash" ] || die "could not read the torrent's info hash"
}

aria2_common() { # the options of every aria2c process
  printf '%s\n' --no-conf --enable-dht=false --enable-dht6=false --bt-enable-lpd=false --enable-peer-exchange=true \
    --disable-ipv6=true --max-overall-upload-limit="$limit" --seed-ratio=0.0 --file-allocation=falloc \
    --console-log-level=warn --show-console-readout=false --summary-interval=0 --stop-with-process=$$
}

run_aria2c() { # $1: N; sets result_s, result_up or returns 1 with fail_reason
  local n=$1 dir="$work/aria"
  rm -rf "$dir" && mkdir -p "$dir/seeder" "$dir/tracker"
  ln "$work/data/$NAME" "$dir/seeder/$NAME"
  sync
  local run_pids=() i
  local tracker_port
  tracker_port=$(free_port)
  make_torrent "$tracker_port"
  local torrent="$work/torrent/$NAME.torrent"

  # Debian's opentracker serves only whitelisted info hashes (-w). It chroots into -d and runs as
  # nobody, so the whitelist lies in a folder of its own that nobody can read.
  echo "$info_hash" >"$dir/tracker/whitelist"
  chmod 755 "$dir" "$dir/tracker"
  chmod 644 "$dir/tracker/whitelist"
  opentracker -i 127.0.0.1 -p "$tracker_port" -d "$dir/tracker" -w /whitelist >"$dir/tracker.out" 2>&1 &
  local tracker_pid=$!
  pids+=("$tracker_pid")
  run_pids+=("$tracker_pid")
  local scrape
  scrape="http://127.0.0.1:$tracker_port/scrape?info_hash=$(echo "$info_hash" | sed 's/../%&/g')"
  for i in $(seq 1 100); do
    curl -sf -o /dev/null "$scrape" && break
    kill -0 "$tracker_pid" 2>/dev/null || { cat "$dir/tracker.out" >&2; die "opentracker exited"; }
    sleep 0.1
  done

  local common
  mapfile -t common < <(aria2_common)
  local rpc_port seed_port
  rpc_port=$(free_port)
  seed_port=$(free_port)
  aria2c "${common[@]}" --dir "$dir/seeder" --bt-seed-unverified=true --listen-port="$seed_port" \
    --enable-rpc --rpc-listen-port="$rpc_port" --rpc-listen-all=false "$torrent" >"$dir/seeder.out" 2>&1 &
  local seeder_pid=$!
  pids+=("$seeder_pid")
  run_pids+=("$seeder_pid")
  # Ready when the tracker counts it as a seeder.
  local seeded=0
  for i in $(seq 1 100); do
    curl -sf "$scrape" 2>/dev/null | grep -aq '8:completei[1-9]' && { seeded=1; break; }
    kill -0 "$seeder_pid" 2>/dev/null || { cat "$dir/seeder.out" >&2; die "the seeding aria2c exited"; }
    sleep 0.1
  done
  [ "$seeded" = 1 ] || die "opentracker does not list the seeding aria2c"

  # The hook marks a downloader's folder once its download is complete (before it starts seeding).
  # shellcheck disable=SC2016 # $3 is the hook's argument, not this script's
  printf '#!/bin/sh\n# $3: the path of the downloaded file\ntouch "$3.complete"\n' >"$dir/hook"
  chmod 755 "$dir/hook"
  local dl_pids=() start port
  for ((i = 1; i <= n; i++)); do
    mkdir -p "$dir/d$i"
    port=$(free_port)
    eval "port_$i=$port"
  done
  start=$(now)
  for ((i = 1; i <= n; i++)); do
    port="port_$i"
    aria2c "${common[@]}" --dir "$dir/d$i" --listen-port="${!port}" --on-bt-download-complete="$dir/hook" "$torrent" \
      >"$dir/d$i.out" 2>&1 &
    dl_pids+=($!)
    pids+=($!)
    run_pids+=($!)
  done

  local ok=1
  wait_all "$dir" "$n" "$start" "$NAME.complete" "${dl_pids[@]}" "$seeder_pid" || ok=0
  [ "$ok" = 0 ] || result_s=$done_at
  result_up=$(curl -sf "http://127.0.0.1:$rpc_port/jsonrpc" \
    -d '{"jsonrpc":"2.0","id":"flash","method":"aria2.tellActive","params":[["uploadLength"]]}' 2>/dev/null |
    sed -n 's/.*"uploadLength":"\([0-9]*\)".*/\1/p' || true)
  result_conns="-"
  for ((i = ${#run_pids[@]} - 1; i >= 0; i--)); do stop_pid "${run_pids[i]}"; done
  stop_all
  if [ "$ok" = 1 ]; then
    check_copies "$dir" "$n" || { ok=0; fail_reason="a copy is missing or differs from the original"; }
  fi
  [ -n "$result_up" ] || { log "   could not read the seeder's uploadLength over RPC"; result_up=nan; }
  if [ "$ok" = 0 ]; then
    log "   aria2c failed: $fail_reason"
    tail -n 3 "$dir"/d*.out "$dir/seeder.out" 2>/dev/null | sed 's/^/     /' >&2 || true
  fi
  rm -rf "$dir"
  [ "$ok" = 1 ]
}

# ---------------------------------------------------------------------------------------------
# The runs: for each N, R rounds, p2pshare and aria2c alternately.

ensure_tools
[ "$only" = aria2c ] || build

mkdir -p "$work/data" "$root/bench/results"
log "writing a ${mib} MiB random file..."
head -c $((mib * 1048576)) /dev/urandom >"$work/data/$NAME"
file_sha=$(sha256sum "$work/data/$NAME" | cut -d' ' -f1)
chmod 755 "$work" "$work/data"
chmod 644 "$work/data/$NAME"

stamp=$(date -u '+%Y%m%d-%H%M%S')
runs_tsv="$root/bench/results/flash-crowd-$stamp.tsv"
plot_svg="$root/bench/results/flash-crowd-$stamp.svg"
# The 1-minute load average before and after each run says how busy the machine was otherwise.
printf 'tool\tn\tround\tseconds\tseeder_bytes\tstatus\tload_before\tload_after\n' >"$runs_tsv"
failures=0
tools=()
[ "$only" = aria2c ] || tools+=(p2pshare)
[ "$only" = p2pshare ] || tools+=(aria2c)

for n in "${ns[@]}"; do
  for ((r = 1; r <= rounds; r++)); do
    for tool in "${tools[@]}"; do
      log "$tool, N = $n, round $r of $rounds..."
      result_s=nan result_up=nan fail_reason=""
      load_before=$(cut -d' ' -f1 /proc/loadavg)
      if "run_$tool" "$n"; then
        status=ok
        log "   $(calc '%.2f s, seeder uploaded %.1f MiB (%.2f× the file)' "$result_s, $result_up / 1048576, $result_up / ($mib * 1048576)")"
      else
        status="failed: $fail_reason"
        result_s=nan
        failures=$((failures + 1))
      fi
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$n" "$r" "$result_s" "$result_up" "$status" "$load_before" "$(cut -d' ' -f1 /proc/loadavg)" >>"$runs_tsv"
    done
  done
done
[ -z "$tsv_copy" ] || cp "$runs_tsv" "$tsv_copy"

# Medians per tool and N of the successful runs: "TOOL N SECONDS SEEDER_BYTES OK_RUNS".
medians=$(awk -F'\t' 'NR > 1 && $6 == "ok" { key = $1 " " $2; n[key]++; t[key, n[key]] = $4; u[key, n[key]] = $5 }
  NR > 1 { seen[$1 " " $2] = 1 }
  function median(a, key, count,   i, j, v, x) {
    for (i = 1; i <= count; i++) v[i] = a[key, i]
    for (i = 2; i <= count; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
    return count % 2 ? v[(count + 1) / 2] : (v[count / 2] + v[count / 2 + 1]) / 2
  }
  END { for (key in seen) if (n[key]) printf "%s %.3f %.0f %d\n", key, median(t, key, n[key]), median(u, key, n[key]), n[key]; else printf "%s nan nan 0\n", key }' "$runs_tsv")
value() { # $1: tool, $2: N, $3: field (3 seconds, 4 seeder bytes); prints it or nothing
  echo "$medians" | awk -v t="$1" -v n="$2" -v f="$3" '$1 == t && $2 == n && $f != "nan" { print $f }'
}

# ---------------------------------------------------------------------------------------------
# The plot: completion time against N, an SVG drawn here.

draw_plot() { # $1: output file
  local points=""
  for n in "${ns[@]}"; do
    points+="$n $(value p2pshare "$n" 3) $(value aria2c "$n" 3)"$'\n'
  done
  POINTS="$points" awk -v ideal="$(calc %.3f "$mib * 1048576 / $limit")" -v mib="$mib" -v limit="$limit" -v rounds="$rounds" 'BEGIN {
    W = 760; H = 440; L = 70; R = 210; T = 40; B = 60
    n = split(ENVIRON["POINTS"], lines, "\n")
    xmax = 1; ymax = ideal
    for (i = 1; i <= n; i++) {
      if (lines[i] == "") continue
      c = split(lines[i], f, " "); k++
      xs[k] = f[1]; p[k] = (c >= 2 && f[2] != "") ? f[2] : ""; a[k] = (c >= 3 && f[3] != "") ? f[3] : ""
      if (xs[k] > xmax) xmax = xs[k]
      if (p[k] != "" && p[k] + 0 > ymax) ymax = p[k]
      if (a[k] != "" && a[k] + 0 > ymax) ymax = a[k]
    }
    step = ymax > 200 ? 50 : ymax > 100 ? 20 : ymax > 40 ? 10 : 5
    ytop = (int(ymax / step) + 1) * step
    pw = W - L - R; ph = H - T - B
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\">\n", W, H, W, H
    printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
    printf "<text x=\"%d\" y=\"24\" font-size=\"15\" font-weight=\"bold\">Flash crowd: %d MiB, 1 seeder + N downloaders, every upload %.0f MiB/s</text>\n", L, mib, limit / 1048576
    for (y = 0; y <= ytop; y += step) {
      py = T + ph - y / ytop * ph
      printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, py, L + pw, py
      printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n", L - 8, py + 4, y
    }
    for (i = 1; i <= k; i++) {
      px = L + xs[i] / xmax * pw
      printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n", px, T, px, T + ph
      printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", px, T + ph + 18, xs[i]
    }
    printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, T + ph, L + pw, T + ph
    printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, T, L, T + ph
    printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">N downloaders (started together)</text>\n", L + pw / 2, H - 16
    printf "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">seconds until all N hold the file (median of %d)</text>\n", T + ph / 2, rounds
    py = T + ph - ideal / ytop * ph
    printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#888\" stroke-dasharray=\"6 4\"/>\n", L, py, L + pw, py
    series("p2pshare", p, "#1f6fd1", 1)
    series("aria2c + opentracker", a, "#e3741b", 2)
    ly = T + 10 + 2 * 22
    printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\" stroke-dasharray=\"6 4\"/>\n", L + pw + 12, ly, L + pw + 36, ly
    printf "<text x=\"%d\" y=\"%d\">one copy at the</text>\n", L + pw + 42, ly + 4
    printf "<text x=\"%d\" y=\"%d\">upload limit (%.1f s)</text>\n", L + pw + 42, ly + 20, ideal
    print "</svg>"
  }
  function series(name, v, colour, row,   i, path, px, py, ly) {
    path = ""
    for (i = 1; i <= k; i++) {
      if (v[i] == "") continue
      px = L + xs[i] / xmax * pw; py = T + ph - v[i] / ytop * ph
      path = path (path == "" ? "M" : " L") sprintf("%.1f %.1f", px, py)
      printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", px, py, colour
      printf "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-size=\"11\" text-anchor=\"middle\">%.1f</text>\n", px, py - 8, colour, v[i]
    }
    if (path != "") printf "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", path, colour
    ly = T + 10 + (row - 1) * 22
    printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>\n", L + pw + 12, ly, L + pw + 36, ly, colour
    printf "<text x=\"%d\" y=\"%d\">%s</text>\n", L + pw + 42, ly + 4, name
  }' >"$1"
}
draw_plot "$plot_svg"

# ---------------------------------------------------------------------------------------------
# The table

size=$((mib * 1048576))
cell_time() { [ -n "$1" ] && calc '%.2f' "$1" || echo "failed"; }
cell_up() { [ -n "$1" ] && calc '%.0f MiB (%.2f×)' "$1 / 1048576, $1 / $size" || echo "—"; }
goal() { awk "BEGIN { print ($1) ? \"PASS\" : \"FAIL\" }"; }
rows=()
for n in "${ns[@]}"; do
  pt=$(value p2pshare "$n" 3) at=$(value aria2c "$n" 3) pu=$(value p2pshare "$n" 4) au=$(value aria2c "$n" 4)
  ratio="—"
  [ -n "$pt" ] && [ -n "$at" ] && ratio="$(calc '%.2f' "$pt / $at")×"
  ratio_goal="—" up_goal="—"
  [ -n "$pt" ] && [ -n "$at" ] && ratio_goal="$(goal "$pt <= $at")"
  [ -n "$pu" ] && up_goal="$(goal "$pu <= 2 * $size")"
  rows+=("| $n | $(cell_time "$pt") | $(cell_time "$at") | $ratio | $(cell_up "$pu") | $(cell_up "$au") | ≤ 1.0×: **$ratio_goal**, seeder ≤ 2×: **$up_goal** |")
done
flat=""
for tool in p2pshare aria2c; do
  t1=$(value "$tool" 1 3) t8=$(value "$tool" 8 3)
  [ -n "$t1" ] && [ -n "$t8" ] && flat+="${flat:+; }$tool T(8)/T(1) = $(calc '%.2f' "$t8 / $t1")$([ "$tool" != p2pshare ] || echo " (≤ 1.5: **$(goal "$t8 <= 1.5 * $t1")**)")"
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
date_utc=$(date -u '+%Y-%m-%d %H:%M UTC')
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
aria2_version=$(aria2c --version 2>/dev/null | head -n 1 | sed 's/^aria2 version //' || true)
opentracker_version=$(dpkg-query -W -f '${Version}' opentracker 2>/dev/null || echo "?")
table=$(
  echo "Machine: ${cpu:-unknown CPU}, $(nproc) cores, $(awk '/^MemTotal:/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr). Everything on 127.0.0.1. p2pshare: ${cli_form:-not run} (checkout $commit); aria2c ${aria2_version:-?} (Debian), opentracker ${opentracker_version} (Debian)."
  echo
  echo "One ${mib} MiB file, 1 seeder + N downloaders started together, every process's upload limited to $limit bytes/s; median of $rounds round(s), p2pshare and aria2c alternately:"
  echo
  echo "| N | p2pshare s | aria2c s | ratio | p2pshare seeder uploaded | aria2c seeder uploaded | goals |"
  echo "|---:|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  [ -z "$flat" ] || echo "Flatness: $flat."
  echo
  echo "1-minute load average at the runs' starts and ends: $(awk -F'\t' 'NR > 1 { for (i = 7; i <= 8; i++) { if (min == "" || $i < min) min = $i; if ($i > max) max = $i } } END { printf "%s–%s", min, max }' "$runs_tsv") (the benchmark's own processes included; above ~2 on this $(nproc)-core machine, other work competed with it)."
)

echo
echo "\`$command_line\` — $date_utc"
echo
echo "$table"
echo
echo "Runs: ${runs_tsv#"$root"/}; plot: ${plot_svg#"$root"/}"

if [ "$write" = 1 ]; then
  cp "$plot_svg" "$root/bench/flash-crowd.svg"
  section=$(
    echo "<!-- bench/flash-crowd.sh results: begin -->"
    echo "### Latest \`bench/flash-crowd.sh\`"
    echo
    echo "Written by \`bench/flash-crowd.sh --write\` (do not edit between these markers; the script rewrites them). Command: \`$command_line\`, run $date_utc."
    echo
    echo "$table"
    echo
    echo "![completion time against N](bench/flash-crowd.svg)"
    echo
    echo "Runs (tool, N, round, seconds, seeder bytes, status, 1-minute load average before and after):"
    echo
    echo '```'
    tail -n +2 "$runs_tsv"
    echo '```'
    echo "<!-- bench/flash-crowd.sh results: end -->"
  )
  doc="$root/BENCHMARKS.md"
  if grep -q '^<!-- bench/flash-crowd.sh results: begin -->$' "$doc"; then
    SECTION="$section" awk '
      /^<!-- bench\/flash-crowd.sh results: begin -->$/ { skipping = 1; print ENVIRON["SECTION"]; next }
      /^<!-- bench\/flash-crowd.sh results: end -->$/ { skipping = 0; next }
      !skipping { print }
    ' "$doc" >"$work/BENCHMARKS.md"
  else
    # A first run: under the "Flash crowd" heading where there is one, else in a section of its
    # own right after bench/run.sh's.
    heading="## Flash crowd (issue 14)"
    HEADING="$heading" SECTION="$section" HAS_HEADING="$(grep -qxF "$heading" "$doc" && echo 1 || echo 0)" awk '
      { print }
      ENVIRON["HAS_HEADING"] == 1 && $0 == ENVIRON["HEADING"] && !done { print ""; print ENVIRON["SECTION"]; done = 1 }
      ENVIRON["HAS_HEADING"] == 0 && /^<!-- bench\/run.sh results: end -->$/ && !done { print ""; print ENVIRON["HEADING"]; print ""; print ENVIRON["SECTION"]; done = 1 }
      END { if (!done) { print ""; print ENVIRON["HEADING"]; print ""; print ENVIRON["SECTION"] } }
    ' "$doc" >"$work/BENCHMARKS.md"
  fi
  cat "$work/BENCHMARKS.md" >"$doc"
  log "BENCHMARKS.md and bench/flash-crowd.svg updated"
fi

[ "$failures" = 0 ] || { log "$failures run(s) failed"; exit 1; }
