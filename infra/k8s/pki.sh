#!/usr/bin/env bash
# Minimal PKI for the local single-node cluster (openssl only): pki.sh DIR APISERVER_PORT
set -euo pipefail
D=$1 PORT=$2
mkdir -p "$D"
cd "$D"
host=$(hostname | tr 'A-Z' 'a-z')
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=ripple-local-k8s-ca" 2>/dev/null
sign() { # name CN O [SANs]
  local n=$1 cn=$2 o=$3 san=${4:-}
  openssl req -newkey rsa:2048 -nodes -keyout "$n.key" -out "$n.csr" -subj "/CN=$cn${o:+/O=$o}" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=digitalSignature,keyEncipherment"
    if [[ -n $san ]]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$san"
    else echo "extendedKeyUsage=clientAuth"; fi
  } >"$n.ext"
  openssl x509 -req -in "$n.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$n.crt" -days 30 -extfile "$n.ext" 2>/dev/null
  rm -f "$n.csr" "$n.ext"
}
sign apiserver kube-apiserver "" "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:$(hostname),IP:127.0.0.1,IP:10.96.0.1"
sign admin admin system:masters
sign kubelet-client kube-apiserver-kubelet-client system:masters
sign node "system:node:$host" system:nodes
sign kubelet-serving "system:node:$host" system:nodes "DNS:localhost,DNS:$(hostname),IP:127.0.0.1"
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
kc() { # file user cert
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: ripple-local
  cluster: {server: "https://127.0.0.1:$PORT", certificate-authority: $D/ca.crt}
users:
- name: $2
  user: {client-certificate: $D/$3.crt, client-key: $D/$3.key}
contexts:
- name: ripple-local
  context: {cluster: ripple-local, user: $2}
current-context: ripple-local
KC
}
kc admin.kubeconfig admin admin
kc node.kubeconfig node node
