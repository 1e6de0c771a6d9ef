#!/usr/bin/env bash
# `npm run image`: builds localhost/rcache:<package.json version> with docker
# (else podman). The host prepares everything the image holds (compiled JS,
# production node_modules, launchers) in a staging dir that becomes the build
# context, so the build runs no command and needs no network.
#   image/build.sh [--no-compile]   --no-compile: reuse dist/ as it is
# Env: NODE_IMAGE  base image (default: node:24-bookworm-slim when present
#                  locally, else the seeded localhost/rcache-node-base:24)
#      RCACHE_IMAGE_TAG  overrides the tag; RCACHE_ENGINE forces docker|podman
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tools/lib.sh"
cd "$RCACHE_ROOT"

ENGINE="$(container_engine)" || die "no container engine answers: start dockerd (tools/ensure-docker.sh, as root) or install podman"
version="$(node -p 'require("./package.json").version' 2>/dev/null || sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' package.json | head -1)"
tag="${RCACHE_IMAGE_TAG:-localhost/rcache:$version}"
hold_image_lock

if [[ "${1:-}" != --no-compile ]]; then
  log "compiling TypeScript"
  npm run --silent build
fi
[[ -f dist/cli.js ]] || die "dist/cli.js is missing: run npm run build first"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
app="$stage/app"
mkdir -p "$app" "$stage/data"
cp package.json "$app/"
cp -r dist "$app/dist"
find "$app/dist" -name '*.map' -delete

# Production dependencies exactly as installed here (no registry needed): npm
# lists their directories; dev-only packages are not among them.
while read -r dir; do
  rel="${dir#"$RCACHE_ROOT"/}"
  [[ "$rel" == node_modules/* ]] || continue
  mkdir -p "$app/$(dirname "$rel")"
  cp -r "$dir" "$app/$rel"
done < <(npm ls --omit=dev --all --parseable 2>/dev/null)
# Type declarations, source maps and docs are never loaded at run time and are
# most of the dependencies' size.
find "$app/node_modules" -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
  -o -iname '*.md' -o -name '*.tsbuildinfo' \) -delete
find "$app/node_modules" -name .bin -type d -prune -exec rm -rf {} +
[[ -d "$app/node_modules" ]] || mkdir -p "$app/node_modules"

# One launcher per program (bin/ holds shell wrappers, which the image cannot run).
make_launcher() {
  sed "s#__TARGET__#/opt/rcache/$2#" image/launcher.js >"$stage/$1"
  chmod 0755 "$stage/$1"
}
make_launcher rcache-server dist/cli.js
make_launcher rcache-operator dist/operator/main.js
cp image/Dockerfile "$stage/Dockerfile"

base="${NODE_IMAGE:-}"
if [[ -z "$base" ]]; then
  if "$ENGINE" image inspect node:24-bookworm-slim >/dev/null 2>&1; then
    base=node:24-bookworm-slim
  else
    # No registry is reachable from these machines: use (and make) the offline base.
    "$RCACHE_ROOT/image/seed-node-base.sh"
    base="$NODE_BASE_IMAGE"
  fi
fi

log "building $tag on $base with $ENGINE"
start=$(date +%s)
build_args=(--build-arg "NODE_IMAGE=$base" --build-arg "VERSION=$version" -t "$tag" -f "$stage/Dockerfile")
if [[ "$ENGINE" == docker ]]; then
  # The legacy builder is what Debian's docker.io has (no buildx); it never
  # pulls a base that is already present.
  DOCKER_BUILDKIT=0 docker build -q "${build_args[@]}" "$stage" >/dev/null
else
  "$ENGINE" build -q --pull=never "${build_args[@]}" "$stage" >/dev/null
fi
size="$("$ENGINE" image inspect -f '{{.Size}}' "$tag")"
log "built $tag in $(($(date +%s) - start)) s: $((size / 1000000)) MB"
echo "$tag"
