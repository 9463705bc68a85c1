# Apache Kafka, KRaft combined mode (broker + controller, node 1), from the
# Maven Central jars. Sourced by up.sh; defines kafka_install and kafka_start.
# Data survives a restart (infra/.run/kafka/data); down.sh --wipe removes it.

KAFKA_VERSION=3.9.1
KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
KAFKA_DIR="$RUN_DIR/kafka"
KAFKA_LOG="$RUN_DIR/kafka.log"
KAFKA_PORT=$(port 9092)
KAFKA_CONTROLLER_PORT=$(port 9093)
KAFKA_TOPICS=(trades:8 vwap-output:8 trades-dlq:8)

kafka_install() {
  command -v javac >/dev/null || apt_install openjdk-17-jdk-headless
  [[ -f $KAFKA_LIBS/.complete ]] && return 0
  command -v mvn >/dev/null || apt_install maven
  log "kafka: fetching Apache Kafka $KAFKA_VERSION jars from Maven Central"
  rm -rf "$KAFKA_LIBS"
  mvn -q -B -f "$INFRA_DIR/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS" >&2 ||
    fail kafka /dev/null "mvn dependency:copy-dependencies failed"
  touch "$KAFKA_LIBS/.complete"
}

kafka_java() {
  java -Xmx512m -Xms128m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$INFRA_DIR/kafka/log4j.properties" -cp "$KAFKA_LIBS/*" "$@"
}

kafka_write_config() {
  mkdir -p "$KAFKA_DIR/data"
  cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=8
default.replication.factor=1
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=268435456
EOF
}

kafka_start() {
  local pidfile="$RUN_DIR/kafka.pid"
  if pid_alive "$pidfile"; then
    log "kafka: already running (pid $(<"$pidfile"))"
  else
    if port_open $KAFKA_PORT || port_open $KAFKA_CONTROLLER_PORT; then
      fail kafka "$KAFKA_LOG" "port $KAFKA_PORT or $KAFKA_CONTROLLER_PORT is taken by a process up.sh did not start"
    fi
    kafka_write_config
    if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
      local cluster_id
      cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$KAFKA_LOG")
      kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
        >>"$KAFKA_LOG" 2>&1 || fail kafka "$KAFKA_LOG" "StorageTool format failed"
    fi
    start_bg kafka "$KAFKA_LOG" java -Xmx512m -Xms256m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -Djava.awt.headless=true -Dlog4j.configuration="file:$INFRA_DIR/kafka/log4j.properties" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties"
  fi
  wait_until kafka "$KAFKA_LOG" 90 "$pidfile" port_open $KAFKA_PORT
  # A metadata request answered, then the topics (idempotent). The helper is
  # compiled once into the cache: the single-file source launcher recompiles
  # on every run, which costs seconds on 2 cores.
  local admin_dir="$CACHE_DIR/kafka-admin"
  if [[ ! -f $admin_dir/KafkaAdmin.class || $INFRA_DIR/kafka/KafkaAdmin.java -nt $admin_dir/KafkaAdmin.class ]]; then
    mkdir -p "$admin_dir"
    javac -nowarn -d "$admin_dir" -cp "$KAFKA_LIBS/*" "$INFRA_DIR/kafka/KafkaAdmin.java" >>"$KAFKA_LOG" 2>&1 ||
      fail kafka "$KAFKA_LOG" "javac KafkaAdmin.java failed"
  fi
  java -Xmx128m -XX:TieredStopAtLevel=1 -Dlog4j.configuration="file:$INFRA_DIR/kafka/log4j.properties" \
    -cp "$admin_dir:$KAFKA_LIBS/*" KafkaAdmin "127.0.0.1:$KAFKA_PORT" 60 "${KAFKA_TOPICS[@]}" \
    >>"$KAFKA_LOG" 2>&1 || fail kafka "$KAFKA_LOG" "broker did not answer or topic creation failed"
  write_env kafka "export KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
  SERVICE_PIDFILES=("$pidfile")
}
