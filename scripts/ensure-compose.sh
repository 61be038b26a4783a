#!/usr/bin/env bash
# Makes `docker compose` available so CI can check docker-compose.yml with `docker compose config`.
# No Docker engine is needed for that. Where the plugin is missing and Go is present, builds the
# pinned release once into a per-user cache (outside the clone) and links it as a CLI plugin.
set -euo pipefail
VERSION=v2.40.3
if docker compose version >/dev/null 2>&1; then exit 0; fi
if ! command -v docker >/dev/null 2>&1 || ! command -v go >/dev/null 2>&1; then
  echo "[compose] docker CLI or Go missing; cannot provide docker compose" >&2
  exit 1
fi
cache="${XDG_CACHE_HOME:-$HOME/.cache}/last-call-sla/docker-compose-$VERSION"
if [ ! -x "$cache/docker-compose" ]; then
  echo "[compose] building docker compose $VERSION with Go into $cache (first time only)" >&2
  staging="$cache/.build-$$"
  mkdir -p "$staging"
  GOTOOLCHAIN=local GOBIN="$staging" CGO_ENABLED=0 go install "github.com/docker/compose/v2/cmd@$VERSION"
  mv "$staging/cmd" "$cache/docker-compose"
  rm -rf "$staging"
fi
mkdir -p "$HOME/.docker/cli-plugins"
ln -sf "$cache/docker-compose" "$HOME/.docker/cli-plugins/docker-compose"
docker compose version >&2
