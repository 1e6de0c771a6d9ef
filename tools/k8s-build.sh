#!/usr/bin/env bash
# Builds the Kubernetes binaries, etcd, CoreDNS and helm from the Go module proxy
# at the versions pinned in tools/versions.env, into the user's cache dir.
#   tools/k8s-build.sh            build whatever is missing (all components)
#   tools/k8s-build.sh COMPONENT  only kubernetes | etcd | coredns | helm
#   tools/k8s-build.sh path NAME  print where binary NAME is (or would be)
#   tools/k8s-build.sh check      exit 0 when everything is built
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
ALL_BINARIES=("${K8S_BINARIES[@]}" etcd coredns helm)

is_built() {
  local comp="$1" dir
  dir="$(k8s_component_dir "$comp")"
  # For components partly supplied by KUBEBUILDER_ASSETS we still need the rest
  # (kubelet, kube-proxy, ...), so "built" always means our own complete build,
  # except etcd which envtest ships whole.
  if [[ "$comp" == etcd && -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/etcd" ]]; then
    return 0
  fi
  [[ -f "$dir/.complete" ]]
}

go_env() {
  export CGO_ENABLED=0
  export GOFLAGS="-mod=mod -buildvcs=false"
  export GOTOOLCHAIN=local
  # No network other than the module proxy: never fall back to direct VCS fetches,
  # and skip the checksum DB only if the user already turned it off.
  export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
  [[ "$GOPROXY" == *direct* ]] && GOPROXY="${GOPROXY%%,direct}"
  return 0
}

# A throwaway module that requires MODULE@VERSION, so that its own replace
# directives (which `go install pkg@version` refuses) do not matter.
new_wrapper() {
  local work="$1"
  rm -rf "$work"
  mkdir -p "$work"
  (cd "$work" && "$GO" mod init rcache.local/build >/dev/null 2>&1)
}

build_kubernetes() {
  local dir work gomod
  dir="$(k8s_component_dir kubernetes)"
  work="$dir.work"
  new_wrapper "$work"
  log "kubernetes $KUBERNETES_VERSION: resolving staging modules"
  gomod="$(cd "$work" && "$GO" mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -f "$gomod" ]] || die "could not download k8s.io/kubernetes@$KUBERNETES_VERSION's go.mod"
  # Kubernetes' go.mod maps its staging modules to ./staging/src/...; those paths
  # do not exist in the module zip, so point each at its published release.
  # Modules pinned to pseudo-versions (k8s.io/utils, kube-openapi) are real
  # requirements and are left alone.
  local staging
  staging="$(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/src/.*#\1#p' "$gomod")"
  [[ -n "$staging" ]] || die "found no staging modules in $gomod"
  {
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo "replace ("
    local m
    for m in $staging; do echo "	$m => $m $KUBERNETES_STAGING_VERSION"; done
    echo ")"
  } >>"$work/go.mod"
  local pkgs=() b
  for b in "${K8S_BINARIES[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  log "kubernetes $KUBERNETES_VERSION: resolving dependencies"
  # Every package pinned: a bare path would let `go get` move k8s.io/kubernetes
  # to its latest release.
  (cd "$work" && "$GO" get "${pkgs[@]/%/@$KUBERNETES_VERSION}")
  log "kubernetes $KUBERNETES_VERSION: compiling ${K8S_BINARIES[*]} (several minutes)"
  local v="${KUBERNETES_VERSION#v}" major minor
  major="${v%%.*}"
  minor="${v#*.}"
  minor="${minor%%.*}"
  local ld="-s -w"
  ld+=" -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
  ld+=" -X k8s.io/component-base/version.gitMajor=$major -X k8s.io/component-base/version.gitMinor=$minor"
  ld+=" -X k8s.io/component-base/version.gitTreeState=clean"
  ld+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION"
  mkdir -p "$work/bin"
  (cd "$work" && "$GO" build -trimpath -ldflags "$ld" -o bin/ "${pkgs[@]}")
  finish "$dir" "$work"
}

# Builds one main package of a module through a wrapper module.
build_simple() {
  local comp="$1" module="$2" version="$3" pkg="$4" out="$5" ld="${6:-}"
  local dir work
  dir="$(k8s_component_dir "$comp")"
  work="$dir.work"
  new_wrapper "$work"
  log "$comp $version: resolving dependencies"
  (cd "$work" && "$GO" get "$module@$version" && "$GO" get "$pkg@$version")
  log "$comp $version: compiling"
  mkdir -p "$work/bin"
  (cd "$work" && "$GO" build -trimpath -ldflags "-s -w $ld" -o "bin/$out" "$pkg")
  finish "$dir" "$work"
}

finish() {
  local dir="$1" work="$2"
  rm -rf "$dir"
  mkdir -p "$dir"
  mv "$work/bin" "$dir/bin"
  rm -rf "$work"
  date -u +%FT%TZ >"$dir/.complete"
  log "built $(ls "$dir/bin" | tr '\n' ' ')into $dir/bin"
}

build_component() {
  case "$1" in
  kubernetes) build_kubernetes ;;
  etcd) build_simple etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3 etcd ;;
  coredns) build_simple coredns github.com/coredns/coredns "$COREDNS_VERSION" github.com/coredns/coredns coredns ;;
  helm)
    build_simple helm helm.sh/helm/v4 "$HELM_VERSION" helm.sh/helm/v4/cmd/helm helm \
      "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION"
    ;;
  *) die "unknown component '$1' (kubernetes, etcd, coredns, helm)" ;;
  esac
}

main() {
  case "${1:-all}" in
  path)
    [[ -n "${2:-}" ]] || die "usage: $0 path NAME"
    k8s_bin "$2"
    return
    ;;
  check)
    local c
    for c in kubernetes etcd coredns helm; do is_built "$c" || return 1; done
    return 0
    ;;
  -h | --help)
    sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'
    return
    ;;
  esac
  GO="$(find_go)" || die "Go is needed to build the Kubernetes binaries: install Go >= 1.24 (https://go.dev/dl) or put it on PATH"
  go_env
  mkdir -p "$RCACHE_CACHE_DIR/k8s"
  # One build at a time per cache dir: two checkouts building at once would
  # otherwise race on the same work directories.
  exec 9>"$RCACHE_CACHE_DIR/k8s/.build.lock"
  flock 9
  local comps=("$@") c start
  [[ ${#comps[@]} -eq 0 || "${comps[0]}" == all ]] && comps=(kubernetes etcd coredns helm)
  for c in "${comps[@]}"; do
    if is_built "$c"; then continue; fi
    start=$(date +%s)
    build_component "$c"
    log "$c took $(($(date +%s) - start)) s"
  done
  for c in "${ALL_BINARIES[@]}"; do
    [[ -x "$(k8s_bin "$c")" ]] || [[ " ${comps[*]} " != *" $(k8s_component_of "$c") "* ]] || die "missing $(k8s_bin "$c") after build"
  done
}

main "$@"
