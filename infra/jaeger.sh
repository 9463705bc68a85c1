# Jaeger v2 (all-in-one with in-memory storage), built from the Go module proxy.
# Sourced by up.sh; defines jaeger_install and jaeger_start.
# `go install module/cmd/jaeger@version` is refused because Jaeger's go.mod has
# replace directives, so the module is downloaded (`go mod download`, which
# also fills $GOMODCACHE) and built as the main module. The binary is cached
# machine-wide, keyed by version, in $RIPPLE_JAEGER_CACHE (default
# /var/cache/ripple/jaeger-<version>, like the Kubernetes build), so a fresh
# clone on the same machine does not rebuild it (~17 min cold on 2 cores).

# Jaeger tags each v2 release with a v1 module tag as well: v1.76.0 is Jaeger v2.13.0.
JAEGER_MODULE_VERSION=v1.76.0
JAEGER_CACHE=${RIPPLE_JAEGER_CACHE:-/var/cache/ripple/jaeger-$JAEGER_MODULE_VERSION}
JAEGER_BIN="$JAEGER_CACHE/jaeger"
JAEGER_LOG="$RUN_DIR/jaeger.log"
# Ports, passed to infra/jaeger/config.yaml through the environment.
export JAEGER_OTLP_HTTP_PORT=$(port 4318) JAEGER_OTLP_GRPC_PORT=$(port 4317) JAEGER_QUERY_HTTP_PORT=$(port 16686)
export JAEGER_QUERY_GRPC_PORT=$(port 16685) JAEGER_HEALTH_PORT=$(port 13133)

jaeger_install() {
  [[ -x $JAEGER_BIN ]] && return 0
  # a clone that built it before the cache moved: reuse that binary
  local old="$CACHE_DIR/jaeger-$JAEGER_MODULE_VERSION/jaeger"
  if [[ -x $old ]]; then
    mkdir -p "$JAEGER_CACHE" && cp "$old" "$JAEGER_BIN.tmp.$$" && mv "$JAEGER_BIN.tmp.$$" "$JAEGER_BIN"
    log "jaeger: cached $old in $JAEGER_CACHE"
    return 0
  fi
  command -v go >/dev/null || apt_install golang-go
  log "jaeger: building github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION (several minutes on 2 cores)"
  local dir
  dir=$(go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n $dir && -d $dir ]] || fail jaeger /dev/null "go mod download github.com/jaegertracing/jaeger failed"
  mkdir -p "$(dirname "$JAEGER_BIN")"
  local t0
  t0=$(date +%s)
  (cd "$dir" && nice -n "${JAEGER_BUILD_NICE:-10}" go build -o "$JAEGER_BIN.tmp.$$" ./cmd/jaeger) >&2 ||
    fail jaeger /dev/null "go build ./cmd/jaeger failed"
  mv "$JAEGER_BIN.tmp.$$" "$JAEGER_BIN"
  log "jaeger: built in $(($(date +%s) - t0)) s into $JAEGER_CACHE"
}

jaeger_healthy() {
  curl -fsS "http://127.0.0.1:$JAEGER_HEALTH_PORT/status" && curl -fsS "http://127.0.0.1:$JAEGER_QUERY_HTTP_PORT/api/services"
}

jaeger_start() {
  local pidfile="$RUN_DIR/jaeger.pid"
  if pid_alive "$pidfile"; then
    log "jaeger: already running (pid $(<"$pidfile"))"
  else
    if port_open "$JAEGER_OTLP_HTTP_PORT" || port_open "$JAEGER_QUERY_HTTP_PORT"; then
      fail jaeger "$JAEGER_LOG" "port $JAEGER_OTLP_HTTP_PORT or $JAEGER_QUERY_HTTP_PORT is taken by a process up.sh did not start"
    fi
    start_bg jaeger "$JAEGER_LOG" "$JAEGER_BIN" --config "file:$INFRA_DIR/jaeger/config.yaml"
  fi
  wait_until jaeger "$JAEGER_LOG" 60 "$pidfile" jaeger_healthy
  write_env jaeger \
    "export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$JAEGER_OTLP_HTTP_PORT" \
    "export JAEGER_QUERY_URL=http://127.0.0.1:$JAEGER_QUERY_HTTP_PORT"
  SERVICE_PIDFILES=("$pidfile")
}
