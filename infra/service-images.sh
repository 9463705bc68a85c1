#!/usr/bin/env bash
# Builds local images of the services the integration suites need, for the
# testcontainers provider (tests/integration/providers/) where no image
# registry is reachable: the same services as the official images it runs
# elsewhere, with the same command-line/environment interface.
#   ripple/kafka:3.9.1-local    Apache Kafka 3.9.1 jars (Maven Central) on OpenJDK 17
#   ripple/nats:2.9-local       Debian's nats-server
#   ripple/minio:local          MinIO built from the Go module proxy (service-images/minio-build.sh)
#   ripple/jaeger:2.13.0-local  the Jaeger v2 binary of infra/jaeger.sh (module v1.76.0)
# All four share one base layer, ripple/services-base:bookworm (mmdebstrap
# --variant=essential bookworm + openjdk-17-jre-headless + nats-server, a
# uid 1000 user), whose rootfs tarball is cached machine-wide in
# $RIPPLE_IMAGE_CACHE (default /var/cache/ripple/images) like the Node base.
# The Kafka jars, the MinIO and the Jaeger binaries come from machine-wide
# caches too (built or fetched there when missing). Each image adds one layer.
# Needs a running engine (infra/docker.sh up). Prints one JSON line per image
# (size, build time) and the exports for the provider:
#   source infra/.run/service-images.env   # KAFKA_IMAGE, NATS_IMAGE, MINIO_IMAGE, JAEGER_IMAGE
# Usage: infra/service-images.sh [kafka] [nats] [minio] [jaeger]
#        infra/service-images.sh --prepare   only the slow cached parts (base
#          rootfs tarball, MinIO build), no engine needed: .ci/run starts it early
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SD=$INFRA_DIR/service-images
CACHE=${RIPPLE_IMAGE_CACHE:-/var/cache/ripple/images}
SUITE=bookworm
BASE_PACKAGES=openjdk-17-jre-headless,nats-server
# bump BASE_REV when the base recipe changes (it is part of the cache key)
BASE_REV=1
BASE_REF=ripple/services-base:$SUITE
BASE_TAR=$CACHE/services-base-$SUITE-r$BASE_REV.tar
KAFKA_VERSION=3.9.1
KAFKA_LIBS_CACHE=${RIPPLE_KAFKA_LIBS_CACHE:-/var/cache/ripple/kafka-$KAFKA_VERSION/libs}
ALL=(kafka nats minio jaeger)
PREPARE=0
[[ ${1:-} == --prepare ]] && PREPARE=1 && shift
want=("$@")
((${#want[@]} == 0)) && want=("${ALL[@]}")

base_rootfs() {
  [[ -s $BASE_TAR ]] && return 0
  apt_install mmdebstrap
  mkdir -p "$CACHE"
  local work t0
  t0=$(now_ms)
  work=$(mktemp -d "$CACHE/.services-XXXXXX")
  log "service images: mmdebstrap --variant=essential $SUITE + $BASE_PACKAGES (minutes cold)"
  # (the JRE's postinst registers alternatives with man pages: man1 must exist
  # even though man pages are excluded)
  nice -n 10 mmdebstrap --variant=essential --include="$BASE_PACKAGES" \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/gconv/*' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --setup-hook='mkdir -p "$1/usr/share/man/man1"' \
    --customize-hook="echo 'ripple:x:1000:1000::/home/ripple:/bin/sh' >> \"\$1/etc/passwd\" && echo 'ripple:x:1000:' >> \"\$1/etc/group\" && echo 'ripple:!:1::::::' >> \"\$1/etc/shadow\" && mkdir -p \"\$1/home/ripple\" && chown 1000:1000 \"\$1/home/ripple\"" \
    --customize-hook="rm -rf \"\$1/var/cache/apt\" \"\$1/var/lib/apt/lists\" \"\$1/var/log\"/* \"\$1/usr/share/doc\"/*/changelog*" \
    "$SUITE" "$work/rootfs.tar" >&2 || {
    rm -rf "$work"
    fail service-images /dev/null "mmdebstrap failed"
  }
  mv "$work/rootfs.tar" "$BASE_TAR"
  rm -rf "$work"
  log "service images: base rootfs $BASE_TAR ($(du -m "$BASE_TAR" | cut -f1) MB) in $(($(now_ms) - t0)) ms"
}

base_image() {
  local t0 label="org.ripple.base-rev=$BASE_REV"
  if [[ $("$DOCKER" image inspect -f '{{index .Config.Labels "org.ripple.base-rev"}}' "$BASE_REF" 2>/dev/null) == "$BASE_REV" ]]; then
    return 0
  fi
  t0=$(now_ms)
  base_rootfs
  "$DOCKER" import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c "LABEL $label" -m "Debian $SUITE essential + $BASE_PACKAGES" "$BASE_TAR" "$BASE_REF" >/dev/null
  log "service images: $BASE_REF imported in $(($(now_ms) - t0)) ms"
}

kafka_libs() {
  local own=$CACHE_DIR/kafka-$KAFKA_VERSION/libs
  if [[ -f $own/.complete ]]; then echo "$own"; return; fi
  if [[ ! -f $KAFKA_LIBS_CACHE/.complete ]]; then
    command -v mvn >/dev/null || apt_install maven
    log "service images: Apache Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS_CACHE"
    rm -rf "$KAFKA_LIBS_CACHE"
    mvn -q -B -Dstyle.color=never -f "$INFRA_DIR/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS_CACHE" >&2 ||
      fail service-images /dev/null "mvn dependency:copy-dependencies failed"
    touch "$KAFKA_LIBS_CACHE/.complete"
  fi
  echo "$KAFKA_LIBS_CACHE"
}

image_ref() {
  case $1 in
  kafka) echo "ripple/kafka:$KAFKA_VERSION-local" ;;
  nats) echo "ripple/nats:2.9-local" ;;
  minio) echo "ripple/minio:local" ;;
  jaeger) echo "ripple/jaeger:2.13.0-local" ;;
  esac
}

# context SERVICE DIR: fill DIR with what the image adds
context() {
  local s=$1 dir=$2
  cp "$SD/$s-entrypoint.sh" "$dir/entrypoint"
  case $s in
  kafka)
    cp -r "$(kafka_libs)" "$dir/libs"
    rm -f "$dir/libs/.complete"
    cp "$INFRA_DIR/kafka/log4j.properties" "$dir/"
    ;;
  minio) cp "$(bash "$SD/minio-build.sh")" "$dir/minio" ;;
  jaeger)
    (
      source "$INFRA_DIR/jaeger.sh"
      jaeger_install
      cp "$JAEGER_BIN" "$dir/jaeger"
    )
    ;;
  esac
}

if ((PREPARE)); then
  base_rootfs
  bash "$SD/minio-build.sh" >/dev/null
  exit 0
fi
use_engine
base_image
for s in "${want[@]}"; do
  [[ " ${ALL[*]} " == *" $s "* ]] || {
    echo "usage: infra/service-images.sh [${ALL[*]}]" >&2
    exit 2
  }
  t0=$(now_ms)
  ctx=$(mktemp -d "$RUN_DIR/.service-image-XXXXXX")
  ref=$(image_ref "$s")
  context "$s" "$ctx"
  out=$RUN_DIR/service-image-$s.build.log
  if ! nice -n 5 "$DOCKER" build --network host -f "$SD/service.Dockerfile" --build-arg "SERVICES_BASE=$BASE_REF" \
    --label "org.opencontainers.image.title=$s (local build for Ripple's integration suites)" \
    -t "$ref" "$ctx" >"$out" 2>&1; then
    rm -rf "$ctx"
    fail service-images "$out" "docker build of $s failed"
  fi
  rm -rf "$ctx"
  secs=$(((($(now_ms) - t0) + 500) / 1000))
  size=$("$DOCKER" image inspect -f '{{.Size}}' "$ref")
  base_size=$("$DOCKER" image inspect -f '{{.Size}}' "$BASE_REF")
  printf '{"bench":"service-image","service":"%s","ref":"%s","size_mb":%d,"own_layer_mb":%d,"build_s":%d}\n' \
    "$s" "$ref" $((size / 1000000)) $(((size - base_size) / 1000000)) "$secs"
done
# every local service image present now (not only this call's)
{
  echo "# written by infra/service-images.sh; source it before RIPPLE_SERVICES=containers pnpm test:integration"
  for s in "${ALL[@]}"; do
    ref=$(image_ref "$s")
    if "$DOCKER" image inspect "$ref" >/dev/null 2>&1; then echo "export ${s^^}_IMAGE=$ref"; fi
  done
} >"$RUN_DIR/service-images.env"
