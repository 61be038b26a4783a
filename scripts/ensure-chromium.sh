#!/usr/bin/env bash
# The browser tests drive Debian's chromium (playwright-core never downloads a browser). Install it
# when it is missing and we may: as root with apt-get (CI, a fresh machine), else with sudo.
# Without it the browser tests skip with a message on a laptop, and fail in CI (CI=true).
set -euo pipefail
path="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ ! -x "$path" ] && command -v apt-get >/dev/null 2>&1; then
  as_root=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root="sudo"; fi
  fi
  if [ "$(id -u)" = 0 ] || [ -n "$as_root" ]; then
    echo "[chromium] installing Debian's chromium (apt-get)…"
    $as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq chromium >/dev/null
  fi
fi

if [ -x "$path" ]; then
  echo "[chromium] $("$path" --headless --no-sandbox --version 2>/dev/null || echo 'present') at $path"
  exit 0
fi
echo "[chromium] no chromium at $path and no way to install it: the browser tests will skip"
if [ -n "${CI:-}" ]; then exit 1; fi
