#!/usr/bin/env bash
# Stops what infra/up.sh started, by the pids in infra/.run/*.pid (never by
# name): infra/down.sh [SERVICE...] [--wipe]. --wipe also deletes the data
# under infra/.run (Kafka logs, JetStream store, Ceph state).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ALL=(jaeger s3 nats kafka)
wipe=0
services=()
for a in "$@"; do
  case $a in
  --wipe) wipe=1 ;;
  kafka | nats | s3 | jaeger) services+=("$a") ;;
  *)
    echo "usage: infra/down.sh [kafka nats s3 jaeger] [--wipe]" >&2
    exit 2
    ;;
  esac
done
((${#services[@]} == 0)) && services=("${ALL[@]}")
for s in "${services[@]}"; do
  case $s in
  s3) for p in rgw ceph-osd ceph-mon; do stop_pid "$p"; done ;;
  *) stop_pid "$s" ;;
  esac
  rm -f "$ENV_DIR/$s"
  if ((wipe)); then
    case $s in
    kafka) rm -rf "$RUN_DIR/kafka" ;;
    nats) rm -rf "$RUN_DIR/nats" ;;
    s3) rm -rf "$RUN_DIR/ceph" ;;
    esac
  fi
done
{
  echo "# written by infra/down.sh at $(date -u +%FT%TZ); source it"
  cat "$ENV_DIR"/* 2>/dev/null || true
} >"$RUN_DIR/env"
