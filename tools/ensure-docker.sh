#!/usr/bin/env bash
# Makes sure a Docker daemon answers: starts Debian's dockerd in the background
# when none does (these machines have no systemd), then waits for it.
# Exits non-zero with a reason when it cannot.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if docker info >/dev/null 2>&1; then exit 0; fi
command -v dockerd >/dev/null || die "no Docker daemon answers and dockerd is not installed (apt-get install docker.io)"
[[ $(id -u) -eq 0 ]] || die "no Docker daemon answers; starting dockerd needs root"
log "starting dockerd (log: /var/log/rcache-dockerd.log)"
# setsid: the daemon must outlive the shell or test runner that started it.
setsid dockerd >>/var/log/rcache-dockerd.log 2>&1 </dev/null &
for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then
    log "dockerd is up"
    exit 0
  fi
  sleep 0.5
done
tail -n 20 /var/log/rcache-dockerd.log >&2 || true
die "dockerd did not answer within 60 s"
