#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and
# kubectl v1.36.3 from the Go module proxy through the wrapper module beside
# this file (go.mod/go.sum committed, so no `go mod tidy` here).
# Output and Go caches live in a machine-wide cache keyed by version,
# $RIPPLE_K8S_CACHE (default /var/cache/ripple/k8s-v1.36.3), so a fresh clone on
# the same machine reuses them. Prints the bin directory on stdout.
# Usage: infra/k8s/build.sh   (idempotent; ~15 min cold on 2 cores, seconds warm)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
K8S_VERSION=1.36.3
CACHE=${RIPPLE_K8S_CACHE:-/var/cache/ripple/k8s-v$K8S_VERSION}
BIN=$CACHE/bin
CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)
log() { printf '[k8s-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

have_all() {
  local c
  for c in "${CMDS[@]}"; do [[ -x $BIN/$c ]] || return 1; done
  # a binary from a different go.mod (another version) must not be reused
  [[ -f $BIN/.stamp ]] && [[ $(<"$BIN/.stamp") == "$(sha256sum "$HERE/go.mod" "$HERE/go.sum" | sha256sum | cut -c1-16)" ]]
}

if have_all; then
  log "cached: $BIN"
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null || {
  log "go not found; installing Debian golang-go is too old for Kubernetes 1.36 (needs go >= 1.26)"
  exit 1
}
mkdir -p "$BIN"
export GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gocache GOFLAGS="-buildvcs=false -mod=mod" CGO_ENABLED=0
LD="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LD+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=36"
done
LD+=" -X k8s.io/component-base/version.gitTreeState=clean"
pkgs=()
for c in "${CMDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
t0=$(date +%s)
log "building ${CMDS[*]} v$K8S_VERSION into $BIN (GOCACHE $GOCACHE)"
(cd "$HERE" && nice -n "${K8S_BUILD_NICE:-10}" go build -trimpath -ldflags "$LD" -o "$BIN/" "${pkgs[@]}") >&2
sha256sum "$HERE/go.mod" "$HERE/go.sum" | sha256sum | cut -c1-16 >"$BIN/.stamp"
log "built in $(($(date +%s) - t0)) s"
echo "$BIN"
