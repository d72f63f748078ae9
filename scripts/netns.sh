#!/usr/bin/env bash
# Run a command inside a private network namespace:
#
#   bash scripts/netns.sh <command> [args...]        e.g.  bash scripts/netns.sh ip -br addr
#
# Inside, `lo` is up and a veth pair (parley0/parley1) carries 127.1.0.1/32. Chromium never gathers
# loopback ICE candidates, so this gives WebRTC a host candidate (127.1.0.1) that still cannot leave
# the machine: the namespace has no route to anything outside it. Everything the command starts
# (app servers, PostgreSQL, browsers) shares the namespace; it disappears when they have all exited.
# PARLEY_NETNS=1 is set inside; when it is already set, the command is simply exec'ed.
#
# As root: `unshare --net`. As another user: `unshare --net --map-root-user` (needs unprivileged user
# namespaces) to set up the links as the namespace's root, then a nested user namespace maps the
# caller's own uid/gid back, so the command runs under its usual ids (PostgreSQL refuses uid 0).
# Limits of that fallback: other users' files look owned by `nobody`, supplementary groups are
# lost, and setuid helpers (sudo, runuser) do not work inside.
set -euo pipefail

if [[ "${PARLEY_NETNS:-}" == 1 ]]; then exec "$@"; fi
(( $# > 0 )) || { echo "usage: $0 <command> [args...]" >&2; exit 2; }

if [[ "${PARLEY_NETNS_STAGE:-}" == inside ]]; then
  # Second stage, running as (possibly mapped) root inside the fresh namespace.
  unset PARLEY_NETNS_STAGE
  ip link set lo up
  ip link add parley0 type veth peer name parley1
  ip link set parley0 addrgenmode none   # no IPv6 link-local addresses: 127.1.0.1 is the only one
  ip link set parley1 addrgenmode none
  ip addr add 127.1.0.1/32 dev parley0
  ip link set parley0 up
  ip link set parley1 up
  export PARLEY_NETNS=1
  if [[ -n "${PARLEY_NETNS_UID:-}" ]]; then
    uid=$PARLEY_NETNS_UID gid=$PARLEY_NETNS_GID
    unset PARLEY_NETNS_UID PARLEY_NETNS_GID
    exec unshare --user --map-user="$uid" --map-group="$gid" -- "$@"
  fi
  exec "$@"
fi

if ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
  echo "netns: needs unshare (util-linux) and ip (iproute2): apt-get install -y iproute2" >&2; exit 1
fi
self=$(readlink -f "${BASH_SOURCE[0]}")
export PARLEY_NETNS_STAGE=inside
if (( EUID == 0 )); then
  exec unshare --net --fork --kill-child=SIGTERM -- bash "$self" "$@"
fi
# Unprivileged fallback (see above).
PARLEY_NETNS_GID=$(id -g)
export PARLEY_NETNS_UID=$EUID PARLEY_NETNS_GID
unshare --net --map-root-user --fork --kill-child=SIGTERM -- true 2>/dev/null || {
  echo "netns: cannot create a network namespace as $(id -un): run as root, or enable" \
    "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)" >&2
  exit 1
}
exec unshare --net --map-root-user --fork --kill-child=SIGTERM -- bash "$self" "$@"
