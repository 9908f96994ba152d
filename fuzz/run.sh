#!/usr/bin/env bash
# Fuzzes p2pshare's frame reader and decoders with AFL++ and SharpFuzz (README, "Fuzzing").
#
#   fuzz/run.sh TARGET [SECONDS]   one target, 60 s by default
#   fuzz/run.sh all SECONDS        every target in turn, SECONDS each
#   fuzz/run.sh list               the targets and what their input is
#   fuzz/run.sh report             a Markdown table of every target's statistics in fuzz/out/findings
#
# Builds fuzz/P2PShare.Fuzz in Release into fuzz/out/bin, instruments P2PShare.Protocol.dll and
# P2PShare.Peer.dll there (the ordinary build outputs are not touched), replays the target's seeds
# from fuzz/corpus/TARGET, then runs one AFL++ worker. Findings go to fuzz/out/findings/TARGET; a
# later run of the same target resumes from them. Exits 1 when AFL++ saved a crash or a hang
# (replay one with `dotnet fuzz/out/bin/p2pshare-fuzz.dll replay TARGET FILE` for its stack trace).
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

usage() { echo "usage: fuzz/run.sh TARGET [SECONDS] | all SECONDS | list | report" >&2; exit 2; }
[ $# -ge 1 ] || usage
target=$1
seconds=${2:-60}
[[ $seconds =~ ^[0-9]+$ ]] || usage

build() {
  # Only when a source changed since the last instrumented build (a run of each target in turn
  # would otherwise spend a minute a target on it).
  if [ -f out/bin/.instrumented ] && [ -z "$(find P2PShare.Fuzz ../src ../Directory.Build.props ../Directory.Packages.props \
      -newer out/bin/.instrumented \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) -not -path '*/obj/*' -not -path '*/bin/*' -print -quit)" ]; then
    return
  fi
  rm -rf out/bin
  dotnet publish P2PShare.Fuzz -c Release -o out/bin -v quiet -nologo >&2
  dotnet tool restore >/dev/null
  for dll in P2PShare.Protocol.dll P2PShare.Peer.dll; do
    dotnet sharpfuzz "out/bin/$dll" >/dev/null
  done
  touch out/bin/.instrumented
}

install_afl() {
  command -v afl-fuzz >/dev/null && return
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq afl++ >&2
}

# Prints one line from AFL++'s statistics of a target, fails when it saved a crash or a hang.
report() {
  local name=$1 stats="out/findings/$1/default/fuzzer_stats"
  [ -f "$stats" ] || { echo "$name: no statistics (AFL++ did not start)" >&2; return 1; }
  local value
  value() { sed -n "s/^$1 *: *//p" "$stats"; }
  echo "$name: $(value execs_done) executions in $(value run_time) s ($(value execs_per_sec)/s), corpus $(value corpus_count), edges $(value edges_found), stability $(value stability), crashes $(value saved_crashes), hangs $(value saved_hangs)"
  [ "$(value saved_crashes)" = 0 ] && [ "$(value saved_hangs)" = 0 ]
}

fuzz() {
  local name=$1
  [ -d "corpus/$name" ] || { echo "no seeds in fuzz/corpus/$name ('fuzz/run.sh list' shows the targets)" >&2; exit 2; }
  dotnet out/bin/p2pshare-fuzz.dll replay "$name" "corpus/$name" 2>/dev/null
  mkdir -p "out/findings/$name"
  # The dotnet host is not an instrumented binary (SharpFuzz reports coverage from inside the
  # .NET process); the machine is shared, so no CPU binding and no core-dump or governor checks.
  AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_AUTORESUME=1 AFL_NO_UI=1 \
    afl-fuzz -i "corpus/$name" -o "out/findings/$name" -t 10000 -m none -V "$seconds" \
    -- dotnet out/bin/p2pshare-fuzz.dll "$name" >"out/findings/$name.log" 2>&1 || {
      echo "afl-fuzz failed on $name; its output is in fuzz/out/findings/$name.log:" >&2
      tail -n 20 "out/findings/$name.log" >&2
      return 1
    }
  report "$name"
}

# The statistics of every target fuzzed so far, as the FUZZING section of BENCHMARKS.md shows them.
table() {
  echo "| target | seconds | executions | per second | corpus | edges | stability | crashes | hangs |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
  local stats name
  for stats in out/findings/*/default/fuzzer_stats; do
    [ -f "$stats" ] || continue
    name=${stats#out/findings/}
    name=${name%%/*}
    awk -F' *: *' -v name="$name" '{ v[$1] = $2 } END {
      printf "| %s | %d | %d | %d | %d | %d | %s | %d | %d |\n", name, v["run_time"], v["execs_done"], v["execs_per_sec"],
        v["corpus_count"], v["edges_found"], v["stability"], v["saved_crashes"], v["saved_hangs"] }' "$stats"
  done
}

case $target in
  report)
    table
    ;;
  list)
    build
    dotnet out/bin/p2pshare-fuzz.dll list
    ;;
  all)
    [ $# -eq 2 ] || usage
    install_afl
    build
    failed=0
    for name in $(dotnet out/bin/p2pshare-fuzz.dll list | awk '{print $1}'); do
      fuzz "$name" || failed=1
    done
    exit $failed
    ;;
  *)
    install_afl
    build
    fuzz "$target"
    ;;
esac
