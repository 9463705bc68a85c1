#!/usr/bin/env bash
# A real single-node Kubernetes v1.36.3 on 127.0.0.1, every component a child
# process whose pid is recorded and stopped by pid:
#   infra/k8s/cluster.sh up      build/fetch what is missing, start etcd,
#                                containerd, apiserver, controller-manager,
#                                scheduler, kubelet; wait for node Ready
#   infra/k8s/cluster.sh load IMAGE...   docker save | ctr -n k8s.io images import -
#   infra/k8s/cluster.sh down    kill pods through containerd, stop all, wipe state
# Only hostNetwork pods work (no pod network, no kube-proxy, no CoreDNS).
# State under $STATE_DIR/k8s (outside the repository, see lib.sh); exports (KUBECONFIG, K8S_BIN) in infra/.run/k8s.env.
# Ports (shifted by INFRA_PORT_OFFSET): etcd 23790/23800, apiserver 16443,
# kubelet 10250 (healthz 10248), controller-manager 10257, scheduler 10259.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
HERE="$INFRA_DIR/k8s"
K=$STATE_DIR/k8s
KL=$K/logs
KR=$K/run
ENVF=$RUN_DIR/k8s.env
ETCD_PORT=$(port 23790) ETCD_PEER_PORT=$(port 23800) API_PORT=$(port 16443)
KUBELET_PORT=$(port 10250) KUBELET_HEALTHZ=$(port 10248) CM_PORT=$(port 10257) SCHED_PORT=$(port 10259)
PAUSE_REF=registry.k8s.io/pause:3.10
COMPONENTS=(kubelet kube-scheduler kube-controller-manager kube-apiserver containerd etcd)

el() { log "k8s: $* (+$((($(now_ms) - T0) / 1000)) s)"; }

ctr_() { ctr -a "$KR/containerd.sock" -n k8s.io "$@"; }

k8s_install() {
  apt_install etcd-server containerd runc containernetworking-plugins openssl
  K8S_BIN=$(bash "$HERE/build.sh")
}

# pause_image: the CRI sandbox image, a static C binary imported into containerd.
pause_image() {
  ctr_ images ls -q | grep -qx "$PAUSE_REF" && return 0
  local d=$K/pause
  mkdir -p "$d/rootfs"
  command -v gcc >/dev/null || apt_install gcc libc6-dev
  gcc -Os -static -o "$d/rootfs/pause" "$HERE/pause.c"
  strip "$d/rootfs/pause" 2>/dev/null || true
  python3 "$HERE/mkimage.py" "$d/rootfs" "$PAUSE_REF" "$d/pause.tar" --entrypoint '["/pause"]' >/dev/null
  ctr_ images import "$d/pause.tar" >/dev/null
}

kc() { "$K8S_BIN/kubectl" --kubeconfig "$K/pki/admin.kubeconfig" "$@"; }

k8s_up() {
  T0=$(now_ms)
  k8s_install
  el "binaries in $K8S_BIN"
  if pid_alive "$KR/kube-apiserver.pid"; then
    log "k8s: already running"
    return 0
  fi
  for p in $ETCD_PORT $API_PORT $KUBELET_PORT; do
    port_open "$p" && fail k8s /dev/null "port $p is taken by a process this script did not start"
  done
  mkdir -p "$KL" "$KR" "$K/cni/net.d" "$K/containerd/root" "$K/containerd/state" "$K/kubelet" "$K/podlogs"
  bash "$HERE/pki.sh" "$K/pki" "$API_PORT"
  el pki
  local cni_bin=/usr/lib/cni
  sed -e "s|@K@|$K|g" -e "s|@CNI_BIN@|$cni_bin|g" "$HERE/conf/containerd.toml" >"$K/containerd.toml"
  sed -e "s|@K@|$K|g" -e "s|@PORT@|$KUBELET_PORT|g" -e "s|@HEALTHZ@|$KUBELET_HEALTHZ|g" "$HERE/conf/kubelet.yaml.in" >"$K/kubelet.yaml"
  cp "$HERE/conf/10-hostnet.conflist" "$K/cni/net.d/"

  RUN_DIR=$KR start_bg etcd "$KL/etcd.log" etcd --name ripple-k8s --data-dir "$K/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "ripple-k8s=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync
  RUN_DIR=$KR start_bg containerd "$KL/containerd.log" containerd --config "$K/containerd.toml"
  wait_until etcd "$KL/etcd.log" 30 "$KR/etcd.pid" curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
  el "etcd healthy"
  local P=$K/pki
  RUN_DIR=$KR start_bg kube-apiserver "$KL/kube-apiserver.log" "$K8S_BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --secure-port="$API_PORT" --advertise-address=127.0.0.1 \
    --endpoint-reconciler-type=none \
    --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" --client-ca-file="$P/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction --allow-privileged=true \
    --kubelet-client-certificate="$P/kubelet-client.crt" --kubelet-client-key="$P/kubelet-client.key" \
    --kubelet-certificate-authority="$P/ca.crt" --kubelet-preferred-address-types=Hostname \
    --kubelet-port="$KUBELET_PORT" --profiling=false
  wait_until kube-apiserver "$KL/kube-apiserver.log" 90 "$KR/kube-apiserver.pid" kc get --raw /readyz
  el "apiserver ready"
  # they exit at once when the apiserver does not answer yet: start them after it
  RUN_DIR=$KR start_bg kube-controller-manager "$KL/kube-controller-manager.log" "$K8S_BIN/kube-controller-manager" \
    --kubeconfig="$P/admin.kubeconfig" --authentication-kubeconfig="$P/admin.kubeconfig" \
    --authorization-kubeconfig="$P/admin.kubeconfig" --bind-address=127.0.0.1 --secure-port="$CM_PORT" \
    --leader-elect=false --service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
    --cluster-signing-cert-file="$P/ca.crt" --cluster-signing-key-file="$P/ca.key" \
    --use-service-account-credentials=true --profiling=false
  RUN_DIR=$KR start_bg kube-scheduler "$KL/kube-scheduler.log" "$K8S_BIN/kube-scheduler" \
    --kubeconfig="$P/admin.kubeconfig" --authentication-kubeconfig="$P/admin.kubeconfig" \
    --authorization-kubeconfig="$P/admin.kubeconfig" --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" \
    --leader-elect=false --profiling=false
  wait_until containerd "$KL/containerd.log" 30 "$KR/containerd.pid" ctr_ version
  pause_image
  el "pause image imported"
  RUN_DIR=$KR start_bg kubelet "$KL/kubelet.log" "$K8S_BIN/kubelet" --config="$K/kubelet.yaml" \
    --kubeconfig="$P/node.kubeconfig" --root-dir="$K/kubelet" --hostname-override="$(hostname)"
  node_ready() { [[ $(kc get node "$(hostname | tr 'A-Z' 'a-z')" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
  wait_until kubelet "$KL/kubelet.log" 90 "$KR/kubelet.pid" node_ready
  el "node Ready"
  pid_alive "$KR/kube-scheduler.pid" || fail kube-scheduler "$KL/kube-scheduler.log" "exited"
  wait_until kube-controller-manager "$KL/kube-controller-manager.log" 60 "$KR/kube-controller-manager.pid" kc get serviceaccount default
  {
    echo "# written by infra/k8s/cluster.sh; source it"
    echo "export KUBECONFIG=$P/admin.kubeconfig"
    echo "export K8S_BIN=$K8S_BIN"
    echo "export KUBECTL=$K8S_BIN/kubectl"
  } >"$ENVF"
  local rss
  rss=$(rss_mb "$KR"/*.pid)
  el "cluster up, rss $rss MiB; source $ENVF"
}

k8s_load() {
  local ref t0
  for ref in "$@"; do
    t0=$(now_ms)
    DOCKER_HOST=${DOCKER_HOST:-$(sed -n 's/^export DOCKER_HOST=//p' "$RUN_DIR/docker.env")} \
      /usr/bin/docker save "$ref" | ctr_ images import - >/dev/null
    log "k8s: loaded $ref in $(($(now_ms) - t0)) ms"
  done
}

k8s_down() {
  local t0 t c m
  t0=$(now_ms)
  RUN_DIR=$KR stop_pid kubelet
  # pods die through containerd while it still runs (shims and app processes outlive it otherwise)
  if pid_alive "$KR/containerd.pid"; then
    for t in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s KILL "$t" >/dev/null 2>&1 || true; done
    sleep 1
    for t in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$t" >/dev/null 2>&1 || true; done
    for c in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers delete "$c" >/dev/null 2>&1 || true; done
  fi
  for c in kube-scheduler kube-controller-manager kube-apiserver containerd etcd; do RUN_DIR=$KR stop_pid "$c"; done
  # kubelet mounts (projected service-account tokens, overlay rootfs) and its cgroups
  if [[ -d $K ]]; then
    { grep -o " $K/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
  fi
  for c in /sys/fs/cgroup/*/kubepods; do [[ -d $c ]] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true; done
  rm -rf "$K" "$ENVF"
  log "k8s: down in $(($(now_ms) - t0)) ms"
}

case ${1:-} in
up) k8s_up ;;
load)
  shift
  k8s_load "$@"
  ;;
down) k8s_down ;;
*)
  echo "usage: infra/k8s/cluster.sh up|load IMAGE...|down" >&2
  exit 2
  ;;
esac
