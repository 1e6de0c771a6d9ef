#!/usr/bin/env bash
# A real single-node Kubernetes cluster on this machine, for the e2e tests and
# the quick start: etcd, kube-apiserver, controller-manager, scheduler,
# containerd (its own root, state and socket), the CNI bridge, kubelet,
# kube-proxy (iptables) and CoreDNS, all as host processes. Linux and root only.
#
#   tools/cluster.sh up                 build what is missing, start, wait until ready
#   tools/cluster.sh down               remove everything `up` made (idempotent)
#   tools/cluster.sh status             exit 0 when up and healthy
#   tools/cluster.sh kubeconfig         print the admin kubeconfig's path
#   tools/cluster.sh load-image IMAGE   copy an image from docker/podman into the node
#   tools/cluster.sh kubectl ARGS...    kubectl against the cluster
#   tools/cluster.sh restart-apiserver  stop and start kube-apiserver (cuts every watch; for tests)
#
# Env: RCACHE_CLUSTER_DIR (default /var/lib/rcache-cluster) holds all state.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STATE="${RCACHE_CLUSTER_DIR:-/var/lib/rcache-cluster}"
BRIDGE=rcbr0
# Locally administered (02:...), "rc" in its second and third bytes.
BRIDGE_MAC=02:72:63:00:00:01
NODE_IP=10.214.0.1
POD_CIDR=10.214.0.0/24
SERVICE_CIDR=10.96.0.0/16
API_SERVICE_IP=10.96.0.1
NODE_NAME=rcache-node
CLUSTER_DOMAIN=cluster.local
CNI_NETWORK=rcache-cluster
# Every iptables rule this script adds carries this comment, so `down` finds them.
RULE_TAG=rcache-cluster
# Ports chosen away from the usual defaults so a cluster already running on the
# machine (or its leftovers) is detected rather than silently shared.
ETCD_CLIENT_PORT=12379
ETCD_PEER_PORT=12380
APISERVER_PORT=16443
KCM_PORT=20257
SCHEDULER_PORT=20259
KUBELET_PORT=20250
KUBELET_HEALTHZ_PORT=20248
PROXY_HEALTHZ_PORT=20256
PROXY_METRICS_PORT=20249
COREDNS_HEALTH_PORT=20180
COREDNS_READY_PORT=20181
# Start order; `down` stops them in reverse.
COMPONENTS=(etcd kube-apiserver containerd kube-controller-manager kube-scheduler kubelet kube-proxy coredns)

PKI="$STATE/pki"
PIDS="$STATE/pids"
LOGS="$STATE/logs"
CONTAINERD_SOCK="$STATE/containerd/containerd.sock"
ADMIN_KUBECONFIG="$STATE/admin.kubeconfig"

ctr_() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }
kubectl_() { "$(k8s_bin kubectl)" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

# ---------------------------------------------------------------- checks

require_root_linux() {
  [[ "$(uname -s)" == Linux ]] || die "the local cluster runs only on Linux (this is $(uname -s)); point RCACHE_KUBECONFIG or KUBECONFIG at an existing cluster instead"
  [[ $(id -u) -eq 0 ]] || die "the local cluster needs root (it runs kubelet, containerd and iptables); run as root, or point RCACHE_KUBECONFIG or KUBECONFIG at an existing cluster instead"
}

check_packages() {
  local missing=() cmd
  for cmd in containerd ctr runc iptables ip6tables conntrack ip ss openssl; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
  done
  local p
  for p in bridge portmap host-local loopback; do
    [[ -x "/usr/lib/cni/$p" ]] || missing+=("/usr/lib/cni/$p")
  done
  command -v cc >/dev/null 2>&1 || missing+=(cc)
  if ((${#missing[@]})); then
    die "missing: ${missing[*]}
  install them with: apt-get install -y containerd runc iptables conntrack iproute2 openssl containernetworking-plugins gcc libc6-dev"
  fi
}

check_ports() {
  local busy=() port
  for port in $ETCD_CLIENT_PORT $ETCD_PEER_PORT $APISERVER_PORT $KCM_PORT $SCHEDULER_PORT $KUBELET_PORT \
    $KUBELET_HEALTHZ_PORT $PROXY_HEALTHZ_PORT $PROXY_METRICS_PORT $COREDNS_HEALTH_PORT $COREDNS_READY_PORT; do
    if [[ -n "$(ss -Htln "sport = :$port")" ]]; then busy+=("$port"); fi
  done
  if ((${#busy[@]})); then
    die "port(s) ${busy[*]} already in use (the cluster needs TCP $ETCD_CLIENT_PORT-$COREDNS_READY_PORT listed in tools/cluster.sh):
$(ss -Htlnp | grep -E ":($(
      IFS='|'
      echo "${busy[*]}"
    )) " || true)"
  fi
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    die "network interface $BRIDGE already exists but no cluster of ours is recorded in $STATE; remove it (ip link del $BRIDGE) or run: tools/cluster.sh down"
  fi
}

# A killed process stays a zombie until its parent (init, once this script has
# exited) reaps it; it holds nothing, so it counts as gone.
running() {
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z ]]
}

pid_alive() {
  local name="$1" pid
  [[ -f "$PIDS/$name.pid" ]] || return 1
  pid="$(cat "$PIDS/$name.pid")"
  [[ -n "$pid" ]] && running "$pid" || return 1
  # Guard against a recycled PID: it must still be the binary we started.
  [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$(cat "$PIDS/$name.exe" 2>/dev/null)" ]]
}

any_recorded() { [[ -d "$PIDS" ]] && compgen -G "$PIDS/*.pid" >/dev/null; }

any_alive() {
  local c
  for c in "${COMPONENTS[@]}"; do pid_alive "$c" && return 0; done
  return 1
}

# ---------------------------------------------------------------- setup pieces

start_proc() {
  local name="$1" bin="$2"
  shift 2
  log "starting $name"
  # setsid: the components outlive this script and any test runner that called it.
  setsid "$bin" "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PIDS/$name.pid"
  readlink -f "$bin" >"$PIDS/$name.exe"
}

wait_for() {
  local what="$1" timeout="$2" name="$3"
  shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$name" ]] && ! pid_alive "$name"; then
      tail -n 30 "$LOGS/$name.log" >&2 || true
      die "$name exited while waiting for $what (log: $LOGS/$name.log)"
    fi
    if ((SECONDS >= deadline)); then
      [[ -n "$name" ]] && { tail -n 30 "$LOGS/$name.log" >&2 || true; }
      die "timed out after ${timeout}s waiting for $what${name:+ (log: $LOGS/$name.log)}"
    fi
    sleep 0.2
  done
}

make_pki() {
  mkdir -p "$PKI"
  local o="openssl"
  $o genrsa -out "$PKI/ca.key" 2048 2>/dev/null
  $o req -x509 -new -key "$PKI/ca.key" -subj "/CN=rcache-local-ca" -days 3650 -out "$PKI/ca.crt" 2>/dev/null
  # Serving cert of the apiserver: every name pods and the host use for it.
  cat >"$PKI/apiserver.ext" <<EOF
subjectAltName=IP:$NODE_IP,IP:$API_SERVICE_IP,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN,DNS:localhost
extendedKeyUsage=serverAuth
EOF
  sign_cert apiserver "/CN=kube-apiserver" "$PKI/apiserver.ext"
  # The apiserver's identity towards kubelets (logs, exec, port-forward).
  printf 'extendedKeyUsage=clientAuth\n' >"$PKI/client.ext"
  sign_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$PKI/client.ext"
  $o genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  $o rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  chmod 0600 "$PKI"/*.key
}

sign_cert() {
  local name="$1" subj="$2" ext="$3"
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
}

# Static bearer tokens (--token-auth-file): one per component, random per cluster.
make_tokens() {
  : >"$PKI/tokens.csv"
  chmod 0600 "$PKI/tokens.csv"
  local entry user groups tok name
  for entry in "admin|kubernetes-admin|system:masters" \
    "kube-controller-manager|system:kube-controller-manager|" \
    "kube-scheduler|system:kube-scheduler|" \
    "kubelet|system:node:$NODE_NAME|system:nodes" \
    "kube-proxy|system:kube-proxy|" \
    "coredns|system:rcache-coredns|"; do
    IFS='|' read -r name user groups <<<"$entry"
    tok="$(openssl rand -hex 24)"
    echo "$tok,$user,$user,\"$groups\"" >>"$PKI/tokens.csv"
    write_kubeconfig "$STATE/$name.kubeconfig" "$user" "$tok"
  done
}

write_kubeconfig() {
  local file="$1" user="$2" token="$3"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: rcache-local
  cluster:
    server: https://$NODE_IP:$APISERVER_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: $user
  user:
    token: $token
contexts:
- name: rcache-local
  context:
    cluster: rcache-local
    user: $user
    namespace: default
current-context: rcache-local
EOF
  chmod 0600 "$file"
}

setup_network() {
  # Pods reach the apiserver, CoreDNS and each other through the node; the node
  # IP cannot be loopback (pods would reach their own lo), so it is the bridge's
  # gateway address, made before anything binds to it.
  # A fixed MAC: a bridge left to choose takes the lowest MAC among its ports, so
  # it changes whenever a pod comes or goes, and every pod's ARP entry for the
  # gateway (CoreDNS and every Service route through it) points at nothing for
  # the 5-10 s the kernel takes to find out: lookups stall, Services seem down.
  ip link add "$BRIDGE" address "$BRIDGE_MAC" type bridge
  ip addr add "$NODE_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  sysctl -qw net.ipv4.ip_forward=1
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null ||
    die "net.bridge.bridge-nf-call-iptables is unavailable: load the br_netfilter kernel module (modprobe br_netfilter)"
  # dockerd sets the FORWARD policy to DROP; let pod traffic through.
  iptables -I FORWARD 1 -i "$BRIDGE" -j ACCEPT -m comment --comment "$RULE_TAG"
  iptables -I FORWARD 1 -o "$BRIDGE" -j ACCEPT -m comment --comment "$RULE_TAG"
  mkdir -p "$STATE/cni/net.d" "$STATE/cni/ipam"
  cat >"$STATE/cni/net.d/10-rcache.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$STATE/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR", "rangeStart": "10.214.0.10", "rangeEnd": "10.214.0.250", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

write_containerd_config() {
  mkdir -p "$STATE/containerd"
  cat >"$STATE/containerd/config.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$STATE/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$CONTAINERD_SOCK"

[ttrpc]
  address = "$STATE/containerd/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # The kubelet asks oom_score_adj -998 for sandboxes; this machine forbids
  # lowering it and runc then fails with "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  # Keep pod network namespaces under our state dir rather than /var/run/netns.
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$STATE/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
EOF
}

pause_image() {
  # A one-layer image holding a static /pause, written as a docker-archive
  # tarball by hand so the cluster needs no image engine of its own.
  local dir="$STATE/pause-image"
  rm -rf "$dir"
  mkdir -p "$dir/rootfs" "$dir/archive"
  cc -static -Os -s -o "$dir/rootfs/pause" "$RCACHE_TOOLS_DIR/pause/pause.c"
  tar -C "$dir/rootfs" --numeric-owner --owner=0 --group=0 --mtime=@0 -cf "$dir/archive/layer.tar" pause
  local diff_id cfg cfg_id
  diff_id="sha256:$(sha256sum "$dir/archive/layer.tar" | cut -d' ' -f1)"
  cfg="{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/pause\"],\"User\":\"65535:65535\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"$diff_id\"]}}"
  printf '%s' "$cfg" >"$dir/archive/config.json"
  cfg_id="$(sha256sum "$dir/archive/config.json" | cut -d' ' -f1)"
  mv "$dir/archive/config.json" "$dir/archive/$cfg_id.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$cfg_id" "$PAUSE_IMAGE" >"$dir/archive/manifest.json"
  tar -C "$dir/archive" -cf "$dir/pause.tar" .
  ctr_ images import "$dir/pause.tar" >/dev/null
}

write_kubelet_config() {
  mkdir -p "$STATE/kubelet" "$STATE/pod-logs"
  # Pods with dnsPolicy Default get this; there is no upstream resolver here.
  printf 'nameserver %s\n' "$NODE_IP" >"$STATE/kubelet/resolv.conf"
  cat >"$STATE/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDNS: [$NODE_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $STATE/kubelet/resolv.conf
podLogsDir: $STATE/pod-logs
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization:
  mode: Webhook
# The disk is shared with builds and caches: evict only when truly out of room.
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
registerNode: true
protectKernelDefaults: false
makeIPTablesUtilChains: true
EOF
}

write_proxy_config() {
  cat >"$STATE/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $STATE/kube-proxy.kubeconfig
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
# kube-proxy rejects ":0" here; real, out-of-the-way ports.
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$PROXY_METRICS_PORT
conntrack:
  maxPerCore: 0
EOF
}

write_corefile() {
  cat >"$STATE/Corefile" <<EOF
.:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:$COREDNS_HEALTH_PORT
    ready 127.0.0.1:$COREDNS_READY_PORT
    kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $STATE/coredns.kubeconfig
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 5
}
EOF
}

# What CoreDNS's kubernetes plugin reads; bound to its static-token user.
apply_coredns_rbac() {
  kubectl_ apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "rcache:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "rcache:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "rcache:coredns"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:rcache-coredns"}
EOF
}

https_ok() { curl -sf --cacert "$PKI/ca.crt" "$@"; }
http_ok() { curl -sf "$@"; }

node_ready() {
  [[ "$(kubectl_ get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

# ---------------------------------------------------------------- commands

cmd_up() {
  require_root_linux
  if any_recorded; then
    if cmd_status >/dev/null 2>&1; then
      echo "error: a local cluster is already up (kubeconfig: $ADMIN_KUBECONFIG); use it as is, or run 'tools/cluster.sh down' first" >&2
      exit 3
    fi
    if any_alive; then
      die "a previous cluster left state in $STATE and some of its processes still run, but it is not healthy; see 'tools/cluster.sh status', then run 'tools/cluster.sh down'"
    fi
    # None of its processes survive (the machine restarted, or they were
    # killed): nothing can be in use, so clear what they left and start anew.
    log "a previous cluster left state in $STATE but none of its processes run: clearing it first"
    cmd_down
  fi
  check_packages
  command -v curl >/dev/null || die "missing: curl (apt-get install -y curl)"
  check_ports
  local b
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy coredns kubectl; do
    if [[ ! -x "$(k8s_bin "$b")" ]]; then
      log "Kubernetes binaries are not built yet: building them (about 8 minutes on 2 cores, once per machine)"
      "$RCACHE_TOOLS_DIR/k8s-build.sh" kubernetes etcd coredns
      break
    fi
  done
  local t0=$SECONDS
  # From here on a failure leaves partial state: `down` cleans it, so say so.
  trap 'rc=$?; ((rc == 0)) || echo "cluster start failed; clean up with: tools/cluster.sh down (logs in $LOGS)" >&2' EXIT
  mkdir -p "$STATE" "$PIDS" "$LOGS"
  date -u +%FT%TZ >"$STATE/created"
  setup_network
  make_pki
  make_tokens
  write_containerd_config
  write_kubelet_config
  write_proxy_config
  write_corefile

  start_proc etcd "$(k8s_bin etcd)" --name rcache --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "rcache=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level warn
  start_proc containerd "$(command -v containerd)" --config "$STATE/containerd/config.toml"
  wait_for "etcd" 30 etcd http_ok "http://127.0.0.1:$ETCD_CLIENT_PORT/health"
  start_proc kube-apiserver "$(k8s_bin kube-apiserver)" \
    --etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address "$NODE_IP" --advertise-address "$NODE_IP" --secure-port "$APISERVER_PORT" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" --token-auth-file "$PKI/tokens.csv" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --allow-privileged=true --profiling=false --v=1
  wait_for "containerd" 30 containerd ctr --address "$CONTAINERD_SOCK" version
  pause_image
  wait_for "kube-apiserver /readyz" 60 kube-apiserver https_ok -H "Authorization: Bearer $(token_of admin)" "https://$NODE_IP:$APISERVER_PORT/readyz"

  start_proc kube-controller-manager "$(k8s_bin kube-controller-manager)" \
    --kubeconfig "$STATE/kube-controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --leader-elect=false \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --use-service-account-credentials=true --service-cluster-ip-range "$SERVICE_CIDR" \
    --cluster-name rcache-local --profiling=false --v=1
  start_proc kube-scheduler "$(k8s_bin kube-scheduler)" \
    --kubeconfig "$STATE/kube-scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" --leader-elect=false --profiling=false --v=1
  start_proc kubelet "$(k8s_bin kubelet)" --config "$STATE/kubelet/config.yaml" \
    --kubeconfig "$STATE/kubelet.kubeconfig" --root-dir "$STATE/kubelet" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v=1
  start_proc kube-proxy "$(k8s_bin kube-proxy)" --config "$STATE/kube-proxy.yaml"
  apply_coredns_rbac
  start_proc coredns "$(k8s_bin coredns)" -conf "$STATE/Corefile"

  wait_for "node $NODE_NAME Ready" 90 kubelet node_ready
  wait_for "kube-proxy" 30 kube-proxy http_ok "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"
  wait_for "CoreDNS" 30 coredns http_ok "http://127.0.0.1:$COREDNS_READY_PORT/ready"
  # Pods cannot be created in a namespace before its default ServiceAccount exists.
  wait_for "the default ServiceAccount" 60 kube-controller-manager kubectl_ get serviceaccount default -n default
  trap - EXIT
  log "cluster up in $((SECONDS - t0)) s; kubeconfig: $ADMIN_KUBECONFIG"
  echo "$ADMIN_KUBECONFIG"
}

token_of() { sed -n 's/^[[:space:]]*token: //p' "$STATE/$1.kubeconfig"; }

# Stops the named components together: TERM to all, up to 5 s for all of them
# to exit, then KILL. Only PIDs this script recorded, and only while they still
# run the binary it started.
stop_procs() {
  local name pids=()
  for name in "$@"; do
    [[ -f "$PIDS/$name.pid" ]] || continue
    if pid_alive "$name"; then
      pids+=("$(cat "$PIDS/$name.pid")")
    fi
  done
  if ((${#pids[@]})); then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local _ p left
    for _ in $(seq 1 50); do
      left=0
      for p in "${pids[@]}"; do running "$p" && left=1; done
      ((left)) || break
      sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
  for name in "$@"; do rm -f "$PIDS/$name.pid" "$PIDS/$name.exe"; done
}

# Pod containers run under containerd-shim processes that outlive containerd;
# kill their tasks and the shims themselves before containerd goes away.
stop_pod_tasks() {
  if pid_alive containerd; then
    local t
    for t in $(ctr_ tasks ls -q 2>/dev/null); do
      ctr_ tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
    done
    local _
    for _ in $(seq 1 30); do
      ctr_ tasks ls 2>/dev/null | awk '$3 == "RUNNING" {found=1} END {exit !found}' || break
      sleep 0.2
    done
    for t in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$t" >/dev/null 2>&1 || true; done
  fi
  # Any shim still serving our containerd (it has our state dir on its command line).
  local pid
  for pid in $(pgrep -f "containerd-shim.*-address $CONTAINERD_SOCK" 2>/dev/null || true); do
    kill -KILL "$pid" 2>/dev/null || true
  done
}

unmount_under() {
  local dir="$1" m
  # Deepest first, so parents are no longer busy when their turn comes.
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r)
}

# Deletes, from each table, rules tagged with our comment and every KUBE-*
# chain (kubelet and kube-proxy made them; nothing else on the machine does).
clean_iptables() {
  local ipt table
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    for table in filter nat mangle; do
      "$ipt" -t "$table" -S >/dev/null 2>&1 || continue
      # Rules in built-in chains that jump to KUBE-* chains or carry our tag.
      local rule
      while read -r rule; do
        [[ -n "$rule" ]] || continue
        eval "\"\$ipt\" -t \"\$table\" ${rule/-A /-D }" 2>/dev/null || true
      done < <("$ipt" -t "$table" -S | grep -E '^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) ' |
        grep -E -- "-j KUBE-|--comment \"?$RULE_TAG\"? " || true)
      local chain
      for chain in $("$ipt" -t "$table" -S | sed -n 's/^-N \(KUBE-[^ ]*\)$/\1/p'); do
        "$ipt" -t "$table" -F "$chain" 2>/dev/null || true
      done
      for chain in $("$ipt" -t "$table" -S | sed -n 's/^-N \(KUBE-[^ ]*\)$/\1/p'); do
        "$ipt" -t "$table" -X "$chain" 2>/dev/null || true
      done
    done
  done
}

# The CNI plugins add chains for host ports (portmap: CNI-HOSTPORT-*, CNI-DN-*)
# and per-pod chains tagged with our network's name; remove those of our network.
clean_cni_iptables() {
  local table rule
  for table in nat filter; do
    while read -r rule; do
      eval "iptables -t \"\$table\" ${rule/-A /-D }" 2>/dev/null || true
    done < <(iptables -t "$table" -S | grep -E '^-A ' | grep -F "\"name: \\\"$CNI_NETWORK\\\"" || true)
  done
}

# Last resort for pod processes whose shim is gone (they would be re-parented
# to init and live on): everything left in the kubelet's pod cgroups.
kill_pod_cgroup_procs() {
  local f pid
  for f in /sys/fs/cgroup/*/kubepods; do
    [[ -d "$f" ]] || continue
    while read -r pid; do
      if [[ -n "$pid" ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
    done < <(find "$f" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
  done
}

remove_kubelet_cgroups() {
  local sub dir
  for sub in /sys/fs/cgroup/*/; do
    dir="${sub}kubepods"
    [[ -d "$dir" ]] || continue
    # Children first; rmdir only succeeds on empty cgroups, which they are once
    # every pod process is gone.
    find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

cmd_down() {
  require_root_linux
  local had_state=0
  [[ -d "$STATE" ]] && had_state=1
  if ((had_state == 0)) && ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    echo "no local cluster to remove (nothing in $STATE)"
    return 0
  fi
  log "stopping the local cluster"
  # Controllers and kubelet first so nothing recreates pods while they are killed.
  stop_procs kube-controller-manager kube-scheduler kubelet
  stop_pod_tasks
  stop_procs kube-proxy coredns containerd
  kill_pod_cgroup_procs
  # The apiserver's graceful shutdown stalls without etcd: stop it first.
  stop_procs kube-apiserver
  stop_procs "${COMPONENTS[@]}"
  # Pod network namespaces (kept under our state dir) and container mounts.
  if [[ -d "$STATE" ]]; then
    unmount_under "$STATE"
  fi
  clean_cni_iptables
  clean_iptables
  # Conntrack entries of pod and service traffic would otherwise linger.
  conntrack -D -s "$POD_CIDR" >/dev/null 2>&1 || true
  conntrack -D -d "$POD_CIDR" >/dev/null 2>&1 || true
  conntrack -D -d "$SERVICE_CIDR" >/dev/null 2>&1 || true
  ip link del "$BRIDGE" 2>/dev/null || true
  kill_pod_cgroup_procs
  sleep 0.2
  remove_kubelet_cgroups
  rm -rf "$STATE"
  [[ -d "$STATE" ]] && die "could not remove $STATE"
  log "local cluster removed"
}

cmd_status() {
  [[ -d "$PIDS" ]] || {
    echo "down"
    return 1
  }
  local c bad=0
  for c in "${COMPONENTS[@]}"; do
    if pid_alive "$c"; then
      echo "$c: running (pid $(cat "$PIDS/$c.pid"))"
    else
      echo "$c: NOT running"
      bad=1
    fi
  done
  if ((bad == 0)) && node_ready; then
    echo "node $NODE_NAME: Ready"
    echo "kubeconfig: $ADMIN_KUBECONFIG"
    return 0
  fi
  echo "cluster is not healthy (logs: $LOGS)"
  return 1
}

cmd_load_image() {
  local image="${1:-}"
  [[ -n "$image" ]] || die "usage: tools/cluster.sh load-image IMAGE"
  pid_alive containerd || die "the local cluster is not up"
  local engine
  engine="$(container_engine)" || die "no container engine answers to export $image from"
  hold_image_lock
  log "loading $image into the node ($engine save | ctr import)"
  "$engine" save "$image" | ctr_ images import - >/dev/null
  local names
  names="$(ctr_ images ls -q)"
  grep -qxF "$image" <<<"$names" || die "$image is not in the node after import (the node has: $(tr '\n' ' ' <<<"$names"))"
}

# Restarts kube-apiserver with the very arguments it runs with: every client's
# watch connection is cut, which is what the operator's resilience tests need.
cmd_restart_apiserver() {
  pid_alive kube-apiserver || die "kube-apiserver is not running"
  local args=()
  mapfile -d '' args <"/proc/$(cat "$PIDS/kube-apiserver.pid")/cmdline"
  stop_procs kube-apiserver
  start_proc kube-apiserver "${args[@]}"
  wait_for "kube-apiserver /readyz" 60 kube-apiserver https_ok -H "Authorization: Bearer $(token_of admin)" "https://$NODE_IP:$APISERVER_PORT/readyz"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
kubeconfig)
  [[ -f "$ADMIN_KUBECONFIG" ]] || die "no local cluster (run tools/cluster.sh up)"
  echo "$ADMIN_KUBECONFIG"
  ;;
load-image)
  shift
  require_root_linux
  cmd_load_image "$@"
  ;;
kubectl)
  shift
  kubectl_ "$@"
  ;;
restart-apiserver)
  require_root_linux
  cmd_restart_apiserver
  ;;
*)
  sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'
  [[ -z "${1:-}" || "${1:-}" == -h || "${1:-}" == --help ]] || exit 2
  ;;
esac
