# Shared helpers for infra/*.sh. Sourced, never run.
# Layout: infra/.cache/ holds downloaded jars and built binaries (kept between
# runs), infra/.run/ holds pids, logs, data and env fragments of the running set.

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="$INFRA_DIR/.cache"
RUN_DIR="$INFRA_DIR/.run"
ENV_DIR="$RUN_DIR/env.d"
mkdir -p "$CACHE_DIR" "$RUN_DIR" "$ENV_DIR"
# Bulky machine-local state (the Docker engine's data root, the Kubernetes
# node's containerd and kubelet dirs) lives outside the repository, so that
# linters and test globs never walk it; one directory per clone.
STATE_DIR=${RIPPLE_STATE_DIR:-/var/tmp/ripple-state/$(printf '%s' "$INFRA_DIR" | sha256sum | cut -c1-12)}

# INFRA_PORT_OFFSET (default 0) shifts every port, so a second set (another
# clone, a CI dry run) can run beside the usual one on the same machine.
PORT_OFFSET=${INFRA_PORT_OFFSET:-0}
[[ $PORT_OFFSET =~ ^[0-9]+$ ]] || {
  echo "INFRA_PORT_OFFSET must be a non-negative integer, got '$PORT_OFFSET'" >&2
  exit 2
}
port() { echo $(($1 + PORT_OFFSET)); }

log() { printf '[infra %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

now_ms() { date +%s%3N; }

# fail NAME LOGFILE MESSAGE: print the tail of the service's log and exit.
fail() {
  local name=$1 logfile=$2
  shift 2
  log "ERROR: $name: $*"
  if [[ -f $logfile ]]; then
    echo "----- last 40 lines of $logfile -----" >&2
    tail -n 40 "$logfile" >&2
    echo "-----" >&2
  fi
  exit 1
}

# pid_alive PIDFILE: true when the pid file names a live process.
pid_alive() {
  local f=$1 pid
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

# start_bg NAME LOGFILE CMD...: start CMD detached, record its pid in
# .run/NAME.pid. The process gets its own session so it outlives this shell and
# can be stopped by pid alone.
start_bg() {
  local name=$1 logfile=$2
  shift 2
  setsid "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until NAME LOGFILE TIMEOUT_S PIDFILE CMD...: poll CMD every 0.2 s until
# it succeeds; fail with the log tail on timeout or when the process died.
wait_until() {
  local name=$1 logfile=$2 timeout=$3 pidfile=$4
  shift 4
  local deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null 2>&1; do
    if [[ -n $pidfile ]] && ! pid_alive "$pidfile"; then
      fail "$name" "$logfile" "process exited before it was ready"
    fi
    if (($(date +%s) >= deadline)); then
      fail "$name" "$logfile" "not ready after ${timeout}s"
    fi
    sleep 0.2
  done
}

# rss_mb PIDFILE...: summed resident set size of the processes, in MiB.
rss_mb() {
  local total=0 f kb
  for f in "$@"; do
    pid_alive "$f" || continue
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$(<"$f")/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  echo $((total / 1024))
}

# stop_pid NAME: stop the process recorded in .run/NAME.pid (TERM, then KILL
# after 15 s) and remove the pid file.
stop_pid() {
  local name=$1 f="$RUN_DIR/$1.pid" pid i
  [[ -f $f ]] || return 0
  pid=$(<"$f")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 75; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) ignored TERM for 15 s: KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$f"
}

# apt_install PKG...: install Debian packages that are missing (apt-get update
# once per machine, marked in .cache).
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ ! -f $CACHE_DIR/apt-updated ]]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    touch "$CACHE_DIR/apt-updated"
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# use_engine: sets DOCKER to the client of the engine infra/docker.sh runs
# (started here if it is not running; its env sourced), or of your own engine
# when DOCKER_HOST or RIPPLE_USE_SYSTEM_DOCKER is set.
use_engine() {
  if [[ -n ${DOCKER_HOST:-} || -n ${RIPPLE_USE_SYSTEM_DOCKER:-} ]]; then
    DOCKER=$(command -v docker)
  else
    [[ -f $RUN_DIR/docker.env ]] && pid_alive "$RUN_DIR/dockerd.pid" || bash "$INFRA_DIR/docker.sh" up
    # shellcheck source=/dev/null
    source "$RUN_DIR/docker.env"
    # Debian's client: /usr/local/bin may hold an unrelated `docker`
    DOCKER=/usr/bin/docker
  fi
}

# write_env NAME LINES...: the service's exports, gathered into .run/env by up.sh.
write_env() {
  local name=$1
  shift
  printf '%s\n' "$@" >"$ENV_DIR/$name"
}
