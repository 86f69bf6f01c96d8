#!/bin/sh
# Builds the remote URL normalizer's libFuzzer target with clang and runs it.
#
#   tests/fuzz/run-fuzz.sh [SECONDS] [BUILD_DIR]
#
# SECONDS defaults to 600 (the long run); the test suite runs it for 20.
# BUILD_DIR is meson's build directory, for config.h (default: _build).
# Exits 77 (skipped) when clang or libFuzzer is missing.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
seconds=${1:-600}
build_dir=${2:-$source_dir/_build}
work=${ASTRO_FUZZ_DIR:-$build_dir/fuzz-remote-url}
cc=${CLANG:-clang}

if ! command -v "$cc" >/dev/null 2>&1; then
  echo "clang is not installed: skipping" >&2
  exit 77
fi
if ! pkg-config --exists glib-2.0; then
  echo "glib-2.0 development files are missing: skipping" >&2
  exit 77
fi

mkdir -p "$work/corpus" "$work/include"

# A probe: clang without libclang-rt (libFuzzer) cannot link this.
printf 'int LLVMFuzzerTestOneInput (const char *d, unsigned long s) { return 0; }\n' > "$work/probe.c"
if ! "$cc" -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" >/dev/null 2>&1; then
  echo "libFuzzer is not available to $cc: skipping" >&2
  exit 77
fi

# The normalizer only needs GETTEXT_PACKAGE from config.h.
if [ -f "$build_dir/config.h" ]; then
  cp "$build_dir/config.h" "$work/include/config.h"
else
  printf '#define GETTEXT_PACKAGE "astrolabe"\n' > "$work/include/config.h"
fi

# shellcheck disable=SC2046
"$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74 \
  -I"$work/include" -I"$source_dir/src/git" $(pkg-config --cflags glib-2.0) \
  "$here/fuzz-remote-url.c" "$source_dir/src/git/astro-remote-url.c" \
  $(pkg-config --libs glib-2.0) -o "$work/fuzz-remote-url"

# Seeds: every input of the vector file, one file each.
i=0
tail -n +2 "$source_dir/tests/data/git-remote-vectors.tsv" | cut -f1 | while IFS= read -r input; do
  i=$((i + 1))
  printf '%s' "$input" > "$work/corpus/vector-$i"
done

cd "$work"
# libFuzzer's own failure status is 77, which meson would read as "skipped".
exec ./fuzz-remote-url -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 corpus
