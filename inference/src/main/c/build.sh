#!/usr/bin/env bash
# Compiles every *.c in this directory (ledgermind_kernels.c: Q8_0/Q4_0; ledgermind_kquants.c: the K-quants; ...)
# into the one library OUT/native/linux-x86_64/libledgermind_kernels.so (run by the inference
# module's build, exec-maven-plugin, phase process-classes). Never fails the build: without gcc, or on another
# platform, it prints one line and the Java kernels run (same results; NativeKernels.status() says so).
#
# Flags: -ffp-contract=off (gcc never fuses a multiply and an add the source did not write as an fma) and no
# -ffast-math / -Ofast (no reassociation, no reciprocal tricks, no flush-to-zero start-up code): the kernels are
# the canonical operations exactly. The AVX-512 code sits in functions with a target attribute, so the library
# loads on any x86-64 and lm_native_supported() decides at run time. To read the generated code:
#   gcc -O2 -std=c11 -ffp-contract=off -S -o - inference/src/main/c/ledgermind_kernels.c | less   (or any other .c)
set -u
out="${1:?usage: build.sh OUTPUT_DIRECTORY}"
here="$(cd "$(dirname "$0")" && pwd)"
srcs=("$here"/*.c)
deps=("$here"/*.c "$here"/*.h)
dir="$out/native/linux-x86_64"
if [ "$(uname -s)" != Linux ] || [ "$(uname -m)" != x86_64 ]; then
  echo "[ledgermind] native kernels: not built ($(uname -s) $(uname -m) is not linux-x86_64); the Java kernels run"
  exit 0
fi
cc="${CC:-gcc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "[ledgermind] native kernels: not built ($cc not found); the Java kernels run (same results)"
  exit 0
fi
# Fresh: newer than this script and every source, and built from the same set of files (a deleted or renamed
# source makes it stale too: the names are kept beside the library).
names="$(cd "$here" && ls -1 ./*.c ./*.h | tr '\n' ' ')"
fresh=0
if [ -f "$dir/libledgermind_kernels.so" ] && [ "$dir/libledgermind_kernels.so" -nt "$0" ] \
   && [ "$(cat "$dir/libledgermind_kernels.sources" 2>/dev/null)" = "$names" ]; then
  fresh=1
  for s in "${deps[@]}"; do
    [ "$dir/libledgermind_kernels.so" -nt "$s" ] || fresh=0
  done
fi
[ "$fresh" = 1 ] && exit 0
mkdir -p "$dir"
if "$cc" -O2 -std=c11 -fPIC -shared -ffp-contract=off -fno-fast-math -Wall -Werror \
     -o "$dir/libledgermind_kernels.so.tmp" "${srcs[@]}" 2>"$dir/build.log"; then
  mv -f "$dir/libledgermind_kernels.so.tmp" "$dir/libledgermind_kernels.so"
  printf '%s' "$names" > "$dir/libledgermind_kernels.sources"
  rm -f "$dir/build.log"
  echo "[ledgermind] native kernels: built $dir/libledgermind_kernels.so ($("$cc" -dumpfullversion 2>/dev/null || echo "$cc"))"
else
  rm -f "$dir/libledgermind_kernels.so.tmp"
  echo "[ledgermind] native kernels: not built ($cc failed: $(head -c 300 "$dir/build.log" | tr '\n' ' ')); the Java kernels run"
  rm -f "$dir/build.log"
fi
exit 0
