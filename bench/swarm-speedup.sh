#!/usr/bin/env bash
# Swarm download speed-up: a 200 MiB file held by 4 peers on 127.0.0.1, fetched with
# `get --sources 1` and with `get --sources 4`, 3 runs each (median), first with every peer's
# upload limited to 10 MiB/s, then without limits. Prints a Markdown table.
#
#   bench/swarm-speedup.sh            # from the repository root (or anywhere: it finds it)
#
# Everything it starts is killed on exit (also on Ctrl-C), and its temporary folder removed.
# Takes about 2 minutes; the limited --sources 1 runs (about 20 s each) dominate.
set -euo pipefail

readonly SIZE_MIB=200
readonly PEERS=4
readonly RUNS=3
readonly LIMIT=10485760 # 10 MiB/s

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/p2pshare-bench-XXXXXX")
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }

log "building Release..."
dotnet build -c Release "$root/src/P2PShare.Cli" -nologo -v quiet >"$work/build.log" 2>&1 || {
  cat "$work/build.log" >&2
  exit 1
}
cli=("dotnet" "$root/src/P2PShare.Cli/bin/Release/net10.0/p2pshare.dll")

log "writing a ${SIZE_MIB} MiB random file and ${PEERS} copies..."
mkdir -p "$work/original"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$work/original/big.bin"
for i in $(seq 1 "$PEERS"); do
  mkdir -p "$work/peer$i/share"
  cp "$work/original/big.bin" "$work/peer$i/share/"
done

# The peer's hash cache goes into the temporary folder too, when this version has one.
state_option=0
if "${cli[@]}" peer --help 2>/dev/null | grep -q -- '--state'; then
  state_option=1
fi

"${cli[@]}" server --listen 127.0.0.1:0 >"$work/server.out" 2>"$work/server.err" &
pids+=($!)
for _ in $(seq 1 100); do
  port=$(sed -n 's/^p2pshare directory listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.out" | head -n 1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "${port:-}" ] || { log "the server did not start"; cat "$work/server.err" >&2; exit 1; }
server="127.0.0.1:$port"

peer_pids=()
start_peers() { # $1: extra peer arguments (e.g. the upload limit), may be empty
  local i args
  for i in $(seq 1 "$PEERS"); do
    args=(peer --server "$server" --port 0 --share "$work/peer$i/share" --downloads "$work/peer$i/downloads" --no-menu)
    [ "$state_option" = 1 ] && args+=(--state "$work/state$i")
    # shellcheck disable=SC2206 # $1 is a list of words on purpose
    args+=($1)
    "${cli[@]}" "${args[@]}" >"$work/peer$i.out" 2>"$work/peer$i.err" &
    pids+=($!)
    peer_pids+=($!)
  done
  # Wait until the directory lists the file from every peer (they hash it first).
  local listed=0
  for _ in $(seq 1 300); do
    listed=$("${cli[@]}" search big.bin --server "$server" --json 2>/dev/null | grep -o '"port"' | wc -l || true)
    [ "$listed" -ge "$PEERS" ] && return 0
    sleep 0.2
  done
  log "only $listed of $PEERS peers were listed"
  exit 1
}

stop_peers() {
  local pid
  for pid in "${peer_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  peer_pids=()
}

# One download; prints "WALL_SECONDS TRANSFER_SECONDS" (transfer = what `get` reports).
fetch() { # $1: --sources value
  local out="$work/out" start end saved
  rm -rf "$out" && mkdir -p "$out"
  start=$(date +%s.%N)
  "${cli[@]}" get big.bin --server "$server" --output "$out" --sources "$1" >"$work/get.out" 2>"$work/get.err" || {
    log "get --sources $1 failed:"
    cat "$work/get.out" "$work/get.err" >&2
    exit 1
  }
  end=$(date +%s.%N)
  cmp -s "$work/original/big.bin" "$out/big.bin" || { log "the download differs from the original"; exit 1; }
  saved=$(sed -n 's/^saved .* in \([0-9.]*\) s)$/\1/p' "$work/get.out")
  printf '%s %s\n' "$(awk -v a="$end" -v b="$start" 'BEGIN { printf "%.3f", a - b }')" "${saved:-nan}"
}

median() { sort -n | sed -n "$(((RUNS + 1) / 2))p"; }

declare -A result
measure() { # $1: label, $2: --sources value
  local run line walls=() transfers=()
  for run in $(seq 1 "$RUNS"); do
    line=$(fetch "$2")
    walls+=("${line%% *}")
    transfers+=("${line##* }")
    log "  $1, --sources $2, run $run: $(printf '%.2f' "${line%% *}") s wall, ${line##* } s transfer"
  done
  result["$1,$2,wall"]=$(printf '%s\n' "${walls[@]}" | median)
  result["$1,$2,transfer"]=$(printf '%s\n' "${transfers[@]}" | median)
}

log "peers limited to $LIMIT bytes/s each:"
start_peers "--upload-limit $LIMIT"
measure limited 1
measure limited 4
stop_peers

log "peers without upload limit:"
start_peers ""
measure unlimited 1
measure unlimited 4
stop_peers

row() { # $1: label, $2: description
  local w1=${result["$1,1,wall"]} w4=${result["$1,4,wall"]} t1=${result["$1,1,transfer"]} t4=${result["$1,4,transfer"]}
  awk -v label="$2" -v size="$SIZE_MIB" -v w1="$w1" -v w4="$w4" -v t1="$t1" -v t4="$t4" 'BEGIN {
    printf "| %s | %.2f s (%.1f MiB/s) | %.2f s (%.1f MiB/s) | %.2f× | %.2f s / %.2f s |\n", label, w1, size / w1, w4, size / w4, w1 / w4, t1, t4
  }'
}

echo
echo "${SIZE_MIB} MiB file, ${PEERS} peers on 127.0.0.1, median of ${RUNS} runs (wall time of \`p2pshare get\`, verification included):"
echo
echo "| upload limit per peer | \`--sources 1\` | \`--sources 4\` | speed-up | transfer time reported by \`get\` (1 / 4) |"
echo "|---|---:|---:|---:|---:|"
row limited "10 MiB/s (\`--upload-limit $LIMIT\`)"
row unlimited "none"
