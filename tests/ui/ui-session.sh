#!/bin/sh
# Runs one UI test in a private X server, D-Bus session and home, so that
# nothing of the machine's own session (settings, keyring, data) leaks in.
#   ui-session.sh BUILD_DIR SCRIPT [ARGS…]
# With ASTRO_UI_DISPLAY=wayland the display is a headless Weston instead, as
# GNOME's own sessions are Wayland: for the benchmarks (the UI tests take
# their screenshots from X).
set -eu

build_dir=$(cd "$1" && pwd)
script=$2
shift 2

scratch=$(mktemp -d "${TMPDIR:-/tmp}/astro-ui-XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM

export HOME="$scratch/home"
export XDG_DATA_HOME="$scratch/data"
export XDG_CONFIG_HOME="$scratch/config"
export XDG_CACHE_HOME="$scratch/cache"
export XDG_RUNTIME_DIR="$scratch/run"
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

export ASTRO_BUILD_DIR="$build_dir"
export GSETTINGS_SCHEMA_DIR="$build_dir/data"
export GSETTINGS_BACKEND=keyfile
export GTK_A11Y=atspi
display_kind=${ASTRO_UI_DISPLAY:-x11}
export GDK_BACKEND=$display_kind
export GSK_RENDERER=${GSK_RENDERER:-cairo}
export NO_AT_BRIDGE=0
export LANG=C.UTF-8
# only read by builds with -Db_sanitize=address
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp}"
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY

# Xvfb picks a free display itself and says which once it accepts clients,
# so two sessions in a row never race for one. Weston's socket is in the
# session's own runtime folder.
if [ "$display_kind" = wayland ]; then
  weston --backend=headless-backend.so --socket=astro-wayland --width=1280 --height=800 \
         --idle-time=0 >"$scratch/xvfb.log" 2>&1 &
else
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$scratch/display" 2>"$scratch/xvfb.log" &
fi
xvfb=$!
# The document portal that an app start may wake mounts a FUSE file system in
# the runtime folder, and it can outlive the session by a moment: unmount it,
# and never let the clean-up decide the test's result.
cleanup() {
  kill $xvfb 2>/dev/null || true
  wait $xvfb 2>/dev/null || true
  if [ -d "$XDG_RUNTIME_DIR/doc" ]; then
    fusermount -uz "$XDG_RUNTIME_DIR/doc" 2>/dev/null || true
  fi
  rm -rf "$scratch" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
tries=0
until [ -s "$scratch/display" ] || [ -S "$XDG_RUNTIME_DIR/astro-wayland" ]; do
  tries=$((tries + 1))
  if [ $tries -gt 100 ] || ! kill -0 $xvfb 2>/dev/null; then
    echo "The display server did not start:" >&2
    cat "$scratch/xvfb.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ "$display_kind" = wayland ]; then
  export WAYLAND_DISPLAY=astro-wayland
else
  export DISPLAY=":$(cat "$scratch/display")"
fi

# A real secret service in the session, unlocked with a throw-away password,
# so signing in keeps its tokens the way it does on a desktop.
dbus-run-session -- sh -c '
  printf %s "throw-away" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  tries=0
  until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; do
    tries=$((tries + 1)); [ $tries -gt 100 ] && { echo "no secret service" >&2; exit 1; }
    sleep 0.1
  done
  exec /usr/bin/python3 "$@"' sh "$script" "$@"
