#!/usr/bin/env bash
# A private Docker engine for building and running Ripple's images:
#   infra/docker.sh up      install Debian docker.io if missing, start dockerd
#   infra/docker.sh down    stop it by its pid (containers first)
#   infra/docker.sh env     print the exports (also in infra/.run/docker.env)
# dockerd runs with vfs storage, no bridge, no iptables, its own data root,
# exec root, pid file and unix socket under infra/.run/docker/ (containers use
# --network host). It starts its own containerd as a child. Nothing here
# touches a system-wide Docker (no /var/run/docker.sock).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKER_DIR=${RIPPLE_DOCKER_DIR:-$RUN_DIR/docker}
DOCKER_SOCK=$DOCKER_DIR/docker.sock
DOCKER_LOG=$RUN_DIR/dockerd.log
DOCKER_PIDFILE=$RUN_DIR/dockerd.pid
DOCKER_ENV=$RUN_DIR/docker.env
# Debian's client: /usr/local/bin may hold an unrelated `docker`.
DOCKER_BIN=/usr/bin/docker

docker_install() {
  [[ -x /usr/sbin/dockerd && -x $DOCKER_BIN ]] || apt_install docker.io
}

docker_up() {
  local t0
  t0=$(now_ms)
  docker_install
  mkdir -p "$DOCKER_DIR/data" "$DOCKER_DIR/exec"
  if pid_alive "$DOCKER_PIDFILE"; then
    log "docker: already running (pid $(<"$DOCKER_PIDFILE"))"
  else
    rm -f "$DOCKER_SOCK" "$DOCKER_DIR/dockerd.pid"
    # dockerd's own pidfile is written by dockerd; ours records the same pid.
    start_bg dockerd "$DOCKER_LOG" /usr/sbin/dockerd \
      --data-root "$DOCKER_DIR/data" --exec-root "$DOCKER_DIR/exec" \
      --pidfile "$DOCKER_DIR/dockerd.pid" -H "unix://$DOCKER_SOCK" \
      --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \
      --storage-driver=vfs --oom-score-adjust=0 --log-level=warn
  fi
  wait_until docker "$DOCKER_LOG" 60 "$DOCKER_PIDFILE" "$DOCKER_BIN" -H "unix://$DOCKER_SOCK" version
  {
    echo "# written by infra/docker.sh; source it"
    echo "export DOCKER_HOST=unix://$DOCKER_SOCK"
    echo "export DOCKER_BUILDKIT=0"
    echo "export PATH=/usr/bin:\$PATH"
  } >"$DOCKER_ENV"
  log "docker: up in $(($(now_ms) - t0)) ms, rss $(rss_mb "$DOCKER_PIDFILE") MiB; source $DOCKER_ENV"
}

docker_down() {
  if pid_alive "$DOCKER_PIDFILE"; then
    local ids
    ids=$("$DOCKER_BIN" -H "unix://$DOCKER_SOCK" ps -q 2>/dev/null || true)
    # shellcheck disable=SC2086
    [[ -z $ids ]] || "$DOCKER_BIN" -H "unix://$DOCKER_SOCK" kill $ids >/dev/null 2>&1 || true
  fi
  stop_pid dockerd
  rm -f "$DOCKER_ENV"
}

case ${1:-} in
up) docker_up ;;
down) docker_down ;;
env) cat "$DOCKER_ENV" ;;
*)
  echo "usage: infra/docker.sh up|down|env" >&2
  exit 2
  ;;
esac
