# NATS with JetStream, Debian's nats-server. Sourced by up.sh; defines
# nats_install and nats_start. JetStream data lives in infra/.run/nats/.

NATS_PORT=$(port 4222)
NATS_MONITOR_PORT=$(port 8222)
NATS_LOG="$RUN_DIR/nats.log"

nats_install() {
  command -v nats-server >/dev/null || apt_install nats-server
}

nats_healthy() { curl -fsS "http://127.0.0.1:$NATS_MONITOR_PORT/healthz?js-enabled-only=true"; }

nats_start() {
  local pidfile="$RUN_DIR/nats.pid"
  if pid_alive "$pidfile"; then
    log "nats: already running (pid $(<"$pidfile"))"
  else
    if port_open $NATS_PORT; then
      fail nats "$NATS_LOG" "port $NATS_PORT is taken by a process up.sh did not start"
    fi
    mkdir -p "$RUN_DIR/nats"
    start_bg nats "$NATS_LOG" nats-server -a 127.0.0.1 -p $NATS_PORT -m $NATS_MONITOR_PORT \
      -js -sd "$RUN_DIR/nats" -n ripple-local
  fi
  # The monitor endpoint binds the -a address too; /healthz says JetStream is up.
  wait_until nats "$NATS_LOG" 30 "$pidfile" nats_healthy
  write_env nats "export NATS_URL=nats://127.0.0.1:$NATS_PORT"
  SERVICE_PIDFILES=("$pidfile")
}
