#!/usr/bin/env bash
# Validates compose.yaml with Debian's docker-compose (1.29): the file as
# shipped, and with every image overridden from the environment (as a machine
# without Docker Hub would run it). Fails on any error or a missing service.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT=$(cd "$INFRA_DIR/.." && pwd)
command -v docker-compose >/dev/null || apt_install docker-compose
cd "$ROOT"
want="checkpointer coordinator-0 coordinator-1 grafana jaeger kafka kafka-init minio minio-init nats prometheus worker-0 worker-1 worker-2"
got=$(docker-compose -f compose.yaml config --services | sort | tr '\n' ' ')
[[ "$got" == "$want " ]] || fail compose /dev/null "services: got '$got', want '$want'"
docker-compose -f compose.yaml config -q
over=$(KAFKA_IMAGE=local/kafka:ci RIPPLE_WORKER_IMAGE=local/worker:ci docker-compose -f compose.yaml config)
grep -q 'image: local/kafka:ci' <<<"$over" || fail compose /dev/null "KAFKA_IMAGE override not applied"
grep -q 'image: local/worker:ci' <<<"$over" || fail compose /dev/null "RIPPLE_WORKER_IMAGE override not applied"
log "compose.yaml valid ($(docker-compose version --short)): ${want// /, }"
# the CI override (tests/deploy/compose.deploy.test.ts) with the variables it requires
KAFKA_BROKERS=127.0.0.1:9092 NATS_URL=nats://127.0.0.1:4222 S3_ENDPOINT=http://127.0.0.1:7480 \
  S3_ACCESS_KEY_ID=k S3_SECRET_ACCESS_KEY=s RIPPLE_CI_CLUSTER=c RIPPLE_INPUT_TOPIC=i RIPPLE_OUTPUT_TOPIC=o \
  RIPPLE_DLQ_TOPIC=d RIPPLE_S3_PREFIX=p docker-compose -f compose.yaml -f infra/compose/ci.yaml config -q
log "infra/compose/ci.yaml (CI override: host network, images of the Ripple apps) valid"
