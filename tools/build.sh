#!/bin/sh
# Configures (once) and builds Astrolabe in _build/.
set -eu
cd "$(dirname "$0")/.."

"$PWD/tools/deps.sh"

if [ ! -f _build/build.ninja ]; then
  meson setup _build >/dev/null
fi
meson compile -C _build >/dev/null
