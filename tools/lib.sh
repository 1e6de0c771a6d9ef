# Shared by the platform scripts in tools/. Sourced, never executed.
# shellcheck shell=bash

RCACHE_TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RCACHE_ROOT="$(cd "$RCACHE_TOOLS_DIR/.." && pwd)"
# shellcheck source=versions.env
source "$RCACHE_TOOLS_DIR/versions.env"

# Built binaries live outside the checkout so that every clone and every CI run
# on the machine reuses one cold build (~8 minutes on 2 cores).
RCACHE_CACHE_DIR="${RCACHE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rcache}"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    echo /usr/local/go/bin/go
  else
    return 1
  fi
}

k8s_component_dir() {
  case "$1" in
  kubernetes) echo "$RCACHE_CACHE_DIR/k8s/kubernetes-$KUBERNETES_VERSION" ;;
  etcd) echo "$RCACHE_CACHE_DIR/k8s/etcd-$ETCD_VERSION" ;;
  coredns) echo "$RCACHE_CACHE_DIR/k8s/coredns-$COREDNS_VERSION" ;;
  helm) echo "$RCACHE_CACHE_DIR/k8s/helm-$HELM_VERSION" ;;
  *) die "unknown component $1" ;;
  esac
}

# Which component provides a binary.
k8s_component_of() {
  case "$1" in
  kube-apiserver | kube-controller-manager | kube-scheduler | kubelet | kube-proxy | kubectl) echo kubernetes ;;
  etcd) echo etcd ;;
  coredns) echo coredns ;;
  helm) echo helm ;;
  *) die "unknown binary $1" ;;
  esac
}

# Path of a platform binary. KUBEBUILDER_ASSETS (the envtest layout) wins for
# the binaries it ships, so users who already have them skip that part of the build.
k8s_bin() {
  local name="$1"
  if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/$name" ]]; then
    case "$name" in
    kube-apiserver | etcd | kubectl)
      echo "$KUBEBUILDER_ASSETS/$name"
      return
      ;;
    esac
  fi
  echo "$(k8s_component_dir "$(k8s_component_of "$name")")/bin/$name"
}

# The container engine the image scripts use: RCACHE_ENGINE if set, else the
# first of docker and podman that answers.
container_engine() {
  if [[ -n "${RCACHE_ENGINE:-}" ]]; then
    echo "$RCACHE_ENGINE"
    return
  fi
  local e
  for e in docker podman; do
    if command -v "$e" >/dev/null 2>&1 && "$e" info >/dev/null 2>&1; then
      echo "$e"
      return
    fi
  done
  return 1
}

# Image builds and exports take turns on a machine (test runners build in
# several processes at once): a build that re-tags the image while another
# process exports it can leave the export without its name. Held until the
# calling script exits.
hold_image_lock() {
  mkdir -p "$RCACHE_CACHE_DIR"
  exec {RCACHE_IMAGE_LOCK_FD}>"$RCACHE_CACHE_DIR/image.lock"
  flock "$RCACHE_IMAGE_LOCK_FD"
}

# Podman reads CONTAINERS_CONF when it starts; set it before any podman call.
export CONTAINERS_CONF="${CONTAINERS_CONF:-$RCACHE_TOOLS_DIR/podman/containers.conf}"
