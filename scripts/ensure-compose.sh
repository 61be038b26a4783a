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
  echo "[compose] building docker compose $VERSION with Go into $cache (first time only, about 2 minutes)" >&2
  export GOTOOLCHAIN=local CGO_ENABLED=0
  # Compose's go.mod has exclude directives, so `go install pkg@version` refuses it: build inside
  # the downloaded module instead, where its go.mod applies as written.
  src=$(go mod download -json "github.com/docker/compose/v2@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  mkdir -p "$cache"
  (cd "$src" && GOFLAGS=-mod=mod go build -trimpath \
    -ldflags "-X github.com/docker/compose/v2/internal.Version=$VERSION" \
    -o "$cache/.docker-compose-$$" ./cmd)
  mv "$cache/.docker-compose-$$" "$cache/docker-compose"
fi
mkdir -p "$HOME/.docker/cli-plugins"
ln -sf "$cache/docker-compose" "$HOME/.docker/cli-plugins/docker-compose"
docker compose version >&2
