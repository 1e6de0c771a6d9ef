#!/usr/bin/env bash
# The quick start: from a fresh clone to a running 3-node ReplicatedCache.
#   - uses RCACHE_KUBECONFIG / KUBECONFIG when given, else brings up the local cluster (tools/cluster.sh)
#   - builds the image and loads it into the local node
#   - helm installs charts/rcache and applies examples/replicatedcache.yaml
#   - waits until the cache is Ready and prints what to try next
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

kubeconfig="${RCACHE_KUBECONFIG:-${KUBECONFIG:-}}"
if [[ -z "$kubeconfig" ]]; then
  if ! bash tools/cluster.sh status >/dev/null 2>&1; then
    step "Starting the local Kubernetes cluster (the first run builds Kubernetes from source: about 8 minutes on 2 cores)"
    bash tools/cluster.sh up
  else
    step "Reusing the local cluster that is already up"
  fi
  kubeconfig=$(bash tools/cluster.sh kubeconfig)
  local_cluster=1
else
  step "Using the cluster of $kubeconfig"
  local_cluster=0
fi
kubectl=$(command -v kubectl || bash tools/k8s-build.sh path kubectl)
helm=$(command -v helm || bash tools/k8s-build.sh path helm)
k() { "$kubectl" --kubeconfig "$kubeconfig" "$@"; }

step "Building the rcache image"
image=$(bash image/build.sh | tail -n 1)
if [[ $local_cluster == 1 ]]; then
  step "Loading $image into the node"
  bash tools/cluster.sh load-image "$image"
fi

step "Installing the operator (helm install rcache charts/rcache)"
"$helm" --kubeconfig "$kubeconfig" upgrade --install rcache charts/rcache \
  --namespace rcache-system --create-namespace \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" --wait --timeout 5m

step "Creating the example cache (examples/replicatedcache.yaml)"
k apply -f examples/replicatedcache.yaml
start=$(date +%s)
until [[ "$(k get rcache demo -o jsonpath='{.status.phase}' 2>/dev/null)" == Ready ]]; do
  if (( $(date +%s) - start > 300 )); then
    echo "demo did not become Ready within 5 minutes:" >&2
    k get rcache demo -o yaml >&2
    exit 1
  fi
  printf '.'
  sleep 2
done
echo
k get rcache demo

# The local cluster's kubectl is not on PATH: name the one that works.
kubectl_hint=kubectl
command -v kubectl >/dev/null || kubectl_hint="$kubectl"

cat <<NEXT

rcache is running. Try:
  export KUBECONFIG=$kubeconfig
  $kubectl_hint get rcache                 # replicas, ready, master, status
  # write through the master Service "demo" from inside the cluster (the image has node):
  $kubectl_hint exec demo-1 -- node -e "const s=require('net').connect(6379,'demo',()=>s.write('SET hello world\\r\\nGET hello\\r\\n'));let o='';s.on('data',d=>{o+=d;if(o.includes('world')){process.stdout.write(o);s.end()}})"
  $kubectl_hint scale rcache demo --replicas=5
  $kubectl_hint delete pod \$($kubectl_hint get rcache demo -o jsonpath='{.status.master.pod}')   # the master
  $kubectl_hint get rcache demo -o yaml    # status: master, epoch, per-node role/link/offset/lag
  npm run cluster -- down                  # remove the local cluster
NEXT
