#!/bin/sh
# Runs a test with a real secret service: a private D-Bus session and home,
# and gnome-keyring unlocked with a throw-away password.
#   keyring-session.sh SCRIPT [ARGS…]
set -eu

scratch=$(mktemp -d "${TMPDIR:-/tmp}/astro-keyring-XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
export HOME="$scratch/home" XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config"
export XDG_CACHE_HOME="$scratch/cache" XDG_RUNTIME_DIR="$scratch/run"
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY ASTROLABE_TOKEN

exec dbus-run-session -- sh -c '
  printf %s "throw-away" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  tries=0
  until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; do
    tries=$((tries + 1)); [ $tries -gt 100 ] && { echo "no secret service" >&2; exit 1; }
    sleep 0.1
  done
  exec /usr/bin/python3 "$@"' sh "$@"
