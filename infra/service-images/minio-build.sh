#!/usr/bin/env bash
# Builds the MinIO server from the Go module proxy (MinIO publishes no release
# tags there: the version is the pseudo-version `@latest` resolved to) into a
# machine-wide cache keyed by version, $RIPPLE_MINIO_CACHE (default
# /var/cache/ripple/minio-<version>), like the Jaeger and Kubernetes builds, so
# a fresh clone on the same machine does not rebuild it. Static binary
# (CGO_ENABLED=0). Prints the binary's path. Cold: minutes of CPU (see
# docs/decisions/0011-testcontainers-provider.md); cached: instant.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
MINIO_VERSION=${RIPPLE_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}
MINIO_CACHE=${RIPPLE_MINIO_CACHE:-/var/cache/ripple/minio-$MINIO_VERSION}
MINIO_BIN=$MINIO_CACHE/minio
if [[ ! -x $MINIO_BIN ]]; then
  command -v go >/dev/null || apt_install golang-go
  mkdir -p "$MINIO_CACHE"
  t0=$(date +%s)
  log "minio: go install github.com/minio/minio@$MINIO_VERSION (minutes cold on 2 cores)"
  tmp=$(mktemp -d "$MINIO_CACHE/.build-XXXXXX")
  CGO_ENABLED=0 GOBIN=$tmp nice -n "${MINIO_BUILD_NICE:-10}" \
    go install -trimpath -ldflags '-s -w' "github.com/minio/minio@$MINIO_VERSION" >&2 ||
    fail minio /dev/null "go install github.com/minio/minio@$MINIO_VERSION failed"
  mv "$tmp/minio" "$MINIO_BIN"
  rm -rf "$tmp"
  log "minio: built in $(($(date +%s) - t0)) s into $MINIO_CACHE ($(du -m "$MINIO_BIN" | cut -f1) MB)"
fi
echo "$MINIO_BIN"
