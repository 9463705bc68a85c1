#!/usr/bin/env bash
# Brings up the real services Ripple's integration tests and local runs use,
# on 127.0.0.1 only, installing what is missing first:
#   infra/up.sh                  kafka nats s3 jaeger
#   infra/up.sh kafka nats       a subset
# Idempotent: a running service is left alone (and checked). Endpoints are
# printed and written as shell exports to infra/.run/env (source it).
# Stop with infra/down.sh. See infra/README.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ALL=(kafka nats s3 jaeger)
services=("$@")
((${#services[@]} == 0)) && services=("${ALL[@]}")
for s in "${services[@]}"; do
  [[ " ${ALL[*]} " == *" $s "* ]] || {
    echo "usage: infra/up.sh [${ALL[*]}]" >&2
    exit 2
  }
  source "$INFRA_DIR/$s.sh"
done

summary=()
for s in "${services[@]}"; do
  t0=$(now_ms)
  "${s}_install"
  t1=$(now_ms)
  SERVICE_PIDFILES=()
  "${s}_start"
  t2=$(now_ms)
  line=$(printf '%-7s install/check %6d ms  start %6d ms  rss %4d MiB' \
    "$s" $((t1 - t0)) $((t2 - t1)) "$(rss_mb "${SERVICE_PIDFILES[@]}")")
  log "$line"
  summary+=("$line")
done

# .run/env: the exports of every service that is up now (not only this call's).
{
  echo "# written by infra/up.sh at $(date -u +%FT%TZ); source it"
  for s in "${ALL[@]}"; do
    [[ -f $ENV_DIR/$s ]] && cat "$ENV_DIR/$s"
  done
} >"$RUN_DIR/env"

echo "infra up:"
printf '  %s\n' "${summary[@]}"
echo "endpoints (source infra/.run/env):"
grep '^export' "$RUN_DIR/env" | sed 's/^export /  /'
