#!/usr/bin/env bash
# `pnpm images`: builds ripple/<app>:<version> (and :latest) for every app in
# infra/images/apps.txt that exists under apps/, through the engine that
# infra/docker.sh starts (started here if it is not running), or through your
# own engine when DOCKER_HOST or RIPPLE_USE_SYSTEM_DOCKER=1 is set. Without
# BASE_IMAGE in the environment the local base from infra/base-image.sh is
# used (no image registry here); set BASE_IMAGE=node:24-bookworm-slim elsewhere.
# Prints one JSON line per image: app, ref, size_mb, build_s, layers reused.
# Usage: infra/images.sh [app...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT=$(cd "$INFRA_DIR/.." && pwd)
use_engine
BASE=${BASE_IMAGE:-$(bash "$INFRA_DIR/base-image.sh")}
REVISION=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || REVISION="$REVISION-dirty"
# A TLS-intercepting proxy on the way to the npm registry: hand the host's CA
# bundle to the build stage (never to the runtime image). RIPPLE_BUILD_CA overrides.
ca=${RIPPLE_BUILD_CA:-${NODE_EXTRA_CA_CERTS:-}}
[[ -n $ca && -f $ca ]] || ca=/etc/ssl/certs/ca-certificates.crt
if [[ -f $ca ]]; then cp "$ca" "$INFRA_DIR/images/.build-ca.pem"; else : >"$INFRA_DIR/images/.build-ca.pem"; fi
want=("$@")
built=0
while read -r app health metrics; do
  [[ -z $app || $app == \#* ]] && continue
  ((${#want[@]} == 0)) || [[ " ${want[*]} " == *" $app "* ]] || continue
  if [[ ! -f $ROOT/apps/$app/package.json ]]; then
    log "images: apps/$app does not exist yet: skipped"
    continue
  fi
  version=$(node -p "require('$ROOT/apps/$app/package.json').version")
  ref=ripple/$app:$version
  t0=$(now_ms)
  out=$RUN_DIR/image-$app.build.log
  if ! nice -n 5 "$DOCKER" build --network host -f "$INFRA_DIR/images/node-app.Dockerfile" \
    --build-arg "BASE_IMAGE=$BASE" --build-arg "APP=$app" \
    --build-arg "HEALTH_PORT=$health" --build-arg "METRICS_PORT=$metrics" \
    --label "org.opencontainers.image.version=$version" --label "org.opencontainers.image.revision=$REVISION" \
    -t "$ref" -t "ripple/$app:latest" "$ROOT" >"$out" 2>&1; then
    fail "images" "$out" "docker build of $app failed"
  fi
  secs=$(((($(now_ms) - t0) + 500) / 1000))
  size=$("$DOCKER" image inspect -f '{{.Size}}' "$ref")
  cached=$(grep -c 'Using cache' "$out" || true)
  steps=$(grep -c '^Step ' "$out" || true)
  printf '{"bench":"image","app":"%s","ref":"%s","base":"%s","size_mb":%d,"build_s":%d,"steps":%d,"steps_cached":%d}\n' \
    "$app" "$ref" "$BASE" $((size / 1000000)) "$secs" "$steps" "$cached"
  built=$((built + 1))
done <"$INFRA_DIR/images/apps.txt"
((built > 0)) || fail images /dev/null "no image built (no app of infra/images/apps.txt under apps/, or none of: ${want[*]})"
