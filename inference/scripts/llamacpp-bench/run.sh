#!/usr/bin/env bash
# Decode and prefill tokens/s of Ledgermind's engine beside llama.cpp's on the same GGUF files and thread
# counts, measured in the same run, alternating (one Ledgermind run, then one llama.cpp run, per round),
# and their ratios (medians over the rounds). Replay is Ledgermind's only: llama.cpp has no replay.
# llama.cpp is node-llama-cpp 3.22.1's prebuilt CPU build, installed in a scratch folder outside the
# repository (LEDGERMIND_SCRATCH, default $TMPDIR/ledgermind-llamacpp-bench). Not part of the Maven build.
#
#   inference/scripts/llamacpp-bench/run.sh [--threads "1 2"] [--rounds 3] [--repeats 3] [--prompt-tokens 128]
#       [--decode-tokens 32] [--profiles "binary32 int8-q8"] FILE.gguf...
# --profiles: Ledgermind's compute profiles to measure (default binary32); each round runs one Ledgermind process per
# profile, then llama.cpp, and every profile gets its own row against the same llama.cpp runs.
# Each round starts one process per engine; each process runs one unmeasured warm-up and then --repeats measured
# runs (their median is the round's figure): the steady state of a long-running node, for both engines alike
# (Ledgermind's JIT compiler is still busy during its first run after start-up). --repeats 0: each engine's first
# run in a fresh process instead (Ledgermind still has its warm-up run; llama.cpp none).
# With no FILE, writes Llama-3.2-1B-shaped synthetic q8_0, q4_0 and q4_k_m files (`ledgermind model synth
# --shape 1b`) into the scratch folder and measures those.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
scratch="${LEDGERMIND_SCRATCH:-${TMPDIR:-/tmp}/ledgermind-llamacpp-bench}"
threads="1 2"; rounds=3; repeats=3; prompt=128; decode=32; profiles="binary32"; files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --prompt-tokens) prompt="$2"; shift 2 ;;
    --decode-tokens) decode="$2"; shift 2 ;;
    --profiles) profiles="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
  esac
done
for tool in node npm; do command -v "$tool" >/dev/null || { echo "run.sh: '$tool' is not on the PATH" >&2; exit 1; }; done
mkdir -p "$scratch"
if [ ! -f "$scratch/node_modules/node-llama-cpp/package.json" ]; then
  cp "$here/package.json" "$scratch/"
  (cd "$scratch" && npm install --no-audit --no-fund --no-save node-llama-cpp@3.22.1 >&2)
fi
if [ ${#files[@]} -eq 0 ]; then
  for type in q8_0 q4_0 q4_k_m; do
    f="$scratch/synth-1b-$type.gguf"
    [ -f "$f" ] || "$repo/ledgermind" model synth --shape 1b --type "$type" --out "$f" >&2
    files+=("$f")
  done
fi
cpu="$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
flags="$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512_vnni|avx512bw|avx_vnni)$' | tr '\n' ' ')"
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $cpu, $(nproc) cores, $flags"
echo "# $prompt prompt tokens, $decode decoded tokens, $rounds alternating rounds of one process per engine, $repeats measured runs a process after a warm-up; medians"
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# the value of one field of a JSON document on stdin (Ledgermind prints one pretty document, llama.cpp one line)
field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s.slice(s.indexOf("{")));console.log(o[process.argv[1]])})' "$1"; }
printf '%-24s %7s %9s %12s %12s %7s %12s %12s %7s %10s %13s\n' file threads profile "lm decode" "cpp decode" ratio "lm prefill" "cpp prompt" ratio "lm replay" "lm RSS-file"
for f in "${files[@]}"; do
  for t in $threads; do
    declare -A ld=() lp=() lr=() rss=()
    cd=(); cp=()
    for ((r = 1; r <= rounds; r++)); do
      for p in $profiles; do
        out="$("$repo/ledgermind" bench decoder --json --model "$f" --threads "$t" --prompt-tokens "$prompt" \
               --decode-tokens "$decode" --repeats "$(( repeats > 0 ? repeats : 1 ))" --profile "$p" 2>/dev/null)"
        ld[$p]+="$(echo "$out" | field decodeTokensPerSecond) "
        lp[$p]+="$(echo "$out" | field prefillTokensPerSecond) "
        lr[$p]+="$(echo "$out" | field replayTokensPerSecond) "
        x="$(echo "$out" | field peakRssOverFileBytes)"; [ "$x" -gt "${rss[$p]:-0}" ] && rss[$p]=$x
      done
      out="$(node "$here/llamacpp.mjs" --modules "$scratch/node_modules" --model "$f" --threads "$t" \
             --prompt-tokens "$prompt" --decode-tokens "$decode" --repeats "$repeats")"
      cd+=("$(echo "$out" | field decodeTokensPerSecond)")
      cp+=("$(echo "$out" | field prefillTokensPerSecond)")
    done
    mcd=$(printf '%s\n' "${cd[@]}" | median); mcp=$(printf '%s\n' "${cp[@]}" | median)
    for p in $profiles; do
      mld=$(printf '%s\n' ${ld[$p]} | median); mlp=$(printf '%s\n' ${lp[$p]} | median); mlr=$(printf '%s\n' ${lr[$p]} | median)
      printf '%-24s %7s %9s %12.2f %12.2f %6.2fx %12.2f %12.2f %6.2fx %10.2f %10d MB\n' "$(basename "$f")" "$t" "$p" "$mld" "$mcd" \
        "$(awk "BEGIN {print $mld / $mcd}")" "$mlp" "$mcp" "$(awk "BEGIN {print $mlp / $mcp}")" "$mlr" "$((${rss[$p]} / 1000000))"
    done
    unset ld lp lr rss
  done
done
