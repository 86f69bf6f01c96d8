#!/bin/sh
# run-shape-parser-fuzz.sh: build the shape body parser's libFuzzer target with
# clang (ASan + UBSan) and run it for a while.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: run-shape-parser-fuzz.sh [SECONDS [WORK_DIR [-- LIBFUZZER_ARGS...]]]
#   SECONDS   how long to fuzz (default 60)
#   WORK_DIR  where the binary, the growing corpus and any crash files go
#             (default: a new temporary directory)
# Exits 77 (skipped, for meson) when clang or libFuzzer is not available.
# CC_FUZZ picks another clang.

set -eu

seconds=${1:-60}
work=${2:-}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../src" && pwd)
cc=${CC_FUZZ:-clang}

if ! command -v "$cc" >/dev/null 2>&1; then
  echo "SKIP: $cc not found"
  exit 77
fi
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists gio-2.0; then
  echo "SKIP: pkg-config or gio-2.0 development files not found"
  exit 77
fi

if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/shape-parser-fuzz-XXXXXX")
fi
mkdir -p "$work/corpus" "$work/include"

# libFuzzer ships with clang but as a separate package on some systems
probe="$work/probe.c"
printf '%s\n' '#include <stdint.h>' '#include <stddef.h>' \
  'int LLVMFuzzerTestOneInput (const uint8_t *d, size_t n);' \
  'int LLVMFuzzerTestOneInput (const uint8_t *d, size_t n) { (void) d; (void) n; return 0; }' > "$probe"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe" -o "$work/probe" >/dev/null 2>&1; then
  echo "SKIP: $cc cannot link -fsanitize=fuzzer,address,undefined"
  exit 77
fi

# The sources include the build's config.h; none of them needs anything in it.
: > "$work/include/config.h"

# shellcheck disable=SC2046
"$cc" -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wall -Wno-unused-parameter -Werror \
  -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74 \
  -I"$work/include" -I"$src/store" -I"$src/sync" $(pkg-config --cflags gio-2.0) \
  "$here/fuzz-shape-parser.c" \
  "$src/sync/astro-shape-parser.c" \
  "$src/store/astro-batch.c" \
  "$src/store/astro-table.c" \
  "$src/store/astro-shape-state.c" \
  $(pkg-config --libs gio-2.0) \
  -o "$work/fuzz-shape-parser"

cp "$here"/shape-parser-corpus/* "$work/corpus/"

# GSlice (GLib 2.74) would hide allocations from ASan
export G_SLICE=always-malloc
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

cd "$work"
echo "fuzzing for ${seconds}s in $work"
exec ./fuzz-shape-parser \
  -max_total_time="$seconds" \
  -dict="$here/shape-parser.dict" \
  -max_len=4096 \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 \
  -artifact_prefix="$work/" \
  "$@" \
  corpus
