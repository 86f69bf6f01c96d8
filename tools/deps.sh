#!/bin/sh
# Installs, with apt-get, every Debian 12 package Astrolabe needs to build,
# test and run its demo, and nothing when they are all there already.
set -eu

packages="
  build-essential meson ninja-build pkg-config gettext git
  libglib2.0-dev libgtk-4-dev libadwaita-1-dev libsoup-3.0-dev libjson-glib-dev
  libsqlite3-dev libgit2-dev libsecret-1-dev
  appstream desktop-file-utils
  sqlite3 python3 openssh-client
  xvfb xauth dbus dbus-x11 at-spi2-core gnome-keyring libsecret-tools weston
  python3-gi gir1.2-atspi-2.0 python3-pyatspi imagemagick xdotool openbox x11-utils
  adwaita-icon-theme librsvg2-common fonts-cantarell
  clang libclang-rt-14-dev
"

missing=""
for package in $packages; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing="$missing $package"
done

# Node.js runs the official Electric client in the conformance test. A Node
# installed another way is fine; only install Debian's when there is none.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing="$missing nodejs npm"
fi

[ -n "$missing" ] || exit 0

echo "Installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  echo "These packages are missing and I am not root:$missing" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
