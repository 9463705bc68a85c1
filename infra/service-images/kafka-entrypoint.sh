#!/bin/bash
# Apache Kafka in KRaft mode, configured like the official apache/kafka image:
# every KAFKA_<NAME> variable becomes the property <name> ('_' -> '.',
# '__' -> '_', '___' -> '-'), except the JVM option variables, which the
# official image also passes to the JVM; CLUSTER_ID formats the storage once.
set -euo pipefail
LIBS=/opt/ripple/libs
props=${KAFKA_CONFIG_FILE:-/tmp/kafka-server.properties}
: >"$props"
while IFS='=' read -r name value; do
  case $name in
  KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_OPTS | KAFKA_JMX_OPTS | KAFKA_GC_LOG_OPTS | KAFKA_CONFIG_FILE | KAFKA_VERSION) continue ;;
  esac
  key=${name#KAFKA_}
  key=${key,,}
  key=${key//___/-}
  key=${key//__/@}
  key=${key//_/.}
  key=${key//@/_}
  printf '%s=%s\n' "$key" "$value" >>"$props"
done < <(env | grep '^KAFKA_' || true)
grep -q '^process.roles=' "$props" || {
  echo "kafka entrypoint: KAFKA_PROCESS_ROLES (and the other KRaft settings) must be set" >&2
  exit 2
}
java_opts=(${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  -Dlog4j.configuration=file:/opt/ripple/log4j.properties ${KAFKA_OPTS:-})
cluster=${CLUSTER_ID:-$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null)}
java -Xmx128m -cp "$LIBS/*" -Dlog4j.configuration=file:/opt/ripple/log4j.properties \
  kafka.tools.StorageTool format -t "$cluster" -c "$props" --ignore-formatted
exec java "${java_opts[@]}" -cp "$LIBS/*" kafka.Kafka "$props"
