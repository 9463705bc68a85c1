#!/usr/bin/env bash
# A private Docker engine for building and running Ripple's images:
#   infra/docker.sh up      install Debian docker.io if missing, start dockerd
#   infra/docker.sh down [--wipe]   stop it by its pid (containers first);
#                           --wipe also deletes its data root (images, layers)
#   infra/docker.sh env     print the exports (also in infra/.run/docker.env)
# dockerd runs with no bridge, no iptables, its own data root, exec root and
# unix socket under $STATE_DIR/docker (outside the repository, see lib.sh), a
# pid file in infra/.run (containers use --network host). Storage driver:
# overlay2 where the kernel allows it (measured: seconds per build instead of
# minutes), else vfs; RIPPLE_DOCKER_STORAGE=vfs|overlay2 forces one. It starts
# its own containerd as a child. Nothing here touches a system-wide Docker
# (no /var/run/docker.sock).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKER_DIR=$STATE_DIR/docker
DOCKER_SOCK=$DOCKER_DIR/docker.sock
DOCKER_LOG=$RUN_DIR/dockerd.log
DOCKER_PIDFILE=$RUN_DIR/dockerd.pid
DOCKER_ENV=$RUN_DIR/docker.env
# Debian's client: /usr/local/bin may hold an unrelated `docker`.
DOCKER_BIN=/usr/bin/docker

docker_install() {
  [[ -x /usr/sbin/dockerd && -x $DOCKER_BIN ]] || apt_install docker.io
}

dockerd_start() { # dockerd_start DRIVER
  rm -f "$DOCKER_SOCK" "$DOCKER_DIR/dockerd.pid"
  # dockerd's own pidfile is written by dockerd; ours records the same pid.
  start_bg dockerd "$DOCKER_LOG" /usr/sbin/dockerd \
    --data-root "$DOCKER_DIR/data" --exec-root "$DOCKER_DIR/exec" \
    --pidfile "$DOCKER_DIR/dockerd.pid" -H "unix://$DOCKER_SOCK" \
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \
    --storage-driver="$1" --oom-score-adjust=0 --log-level=warn
}

# docker_answers TIMEOUT_S: true once the daemon answers, false if it died or timed out.
docker_answers() {
  local deadline=$(($(date +%s) + $1))
  until "$DOCKER_BIN" -H "unix://$DOCKER_SOCK" version >/dev/null 2>&1; do
    pid_alive "$DOCKER_PIDFILE" || return 1
    (($(date +%s) < deadline)) || return 1
    sleep 0.2
  done
}

docker_up() {
  local t0
  t0=$(now_ms)
  docker_install
  mkdir -p "$DOCKER_DIR/data" "$DOCKER_DIR/exec"
  if pid_alive "$DOCKER_PIDFILE"; then
    log "docker: already running (pid $(<"$DOCKER_PIDFILE"))"
  else
    local driver=${RIPPLE_DOCKER_STORAGE:-}
    if [[ -z $driver ]]; then
      # the data root remembers its driver; a fresh one tries overlay2 first
      if [[ -d $DOCKER_DIR/data/vfs && ! -d $DOCKER_DIR/data/overlay2 ]]; then driver=vfs; else driver=overlay2; fi
    fi
    dockerd_start "$driver"
    if [[ -z ${RIPPLE_DOCKER_STORAGE:-} && $driver == overlay2 ]] && ! docker_answers 20; then
      log "docker: overlay2 refused here (see $DOCKER_LOG); falling back to vfs"
      stop_pid dockerd
      rm -rf "$DOCKER_DIR/data/overlay2"
      dockerd_start vfs
    fi
  fi
  wait_until docker "$DOCKER_LOG" 60 "$DOCKER_PIDFILE" "$DOCKER_BIN" -H "unix://$DOCKER_SOCK" version
  {
    echo "# written by infra/docker.sh; source it"
    echo "export DOCKER_HOST=unix://$DOCKER_SOCK"
    echo "export DOCKER_BUILDKIT=0"
    echo "export PATH=/usr/bin:\$PATH"
  } >"$DOCKER_ENV"
  log "docker: up in $(($(now_ms) - t0)) ms ($("$DOCKER_BIN" -H "unix://$DOCKER_SOCK" info -f '{{.Driver}}')), rss $(rss_mb "$DOCKER_PIDFILE") MiB; source $DOCKER_ENV"
}

docker_down() {
  if pid_alive "$DOCKER_PIDFILE"; then
    local ids
    ids=$("$DOCKER_BIN" -H "unix://$DOCKER_SOCK" ps -q 2>/dev/null || true)
    # shellcheck disable=SC2086
    [[ -z $ids ]] || "$DOCKER_BIN" -H "unix://$DOCKER_SOCK" kill $ids >/dev/null 2>&1 || true
  fi
  stop_pid dockerd
  # dockerd leaves its network-namespace mount behind
  { grep -o " $DOCKER_DIR/exec/[^ ]*" /proc/mounts || true; } | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
  rm -f "$DOCKER_ENV"
  if [[ ${1:-} == --wipe ]]; then
    rm -rf "$DOCKER_DIR"
    log "docker: wiped $DOCKER_DIR"
  fi
}

case ${1:-} in
up) docker_up ;;
down) docker_down "${2:-}" ;;
env) cat "$DOCKER_ENV" ;;
*)
  echo "usage: infra/docker.sh up|down [--wipe]|env" >&2
  exit 2
  ;;
esac
