#!/usr/bin/env bash
# A private, throwaway coturn TURN server for tests (the real one a clinic would run).
#
#   bash scripts/turn.sh start <dir> <port> [deny-peers]   # prints TURN_URLS=… and TURN_SECRET=…
#   bash scripts/turn.sh stop <dir>
#
# Listens and relays on 127.0.0.1 only (UDP and TCP on <port>, relay ports 49160–49200), with
# TURN REST credentials (--use-auth-secret) from a secret kept in <dir>/secret, so a stop and a
# start again (what the network-drop tests do mid-call) serve the same credentials. With
# `deny-peers` it grants allocations but relays to no peer (a relay that came back misconfigured):
# calls through it get candidates and never connect, which is how the tests make ICE really fail. No TLS here:
# deployments put TURN over TLS on 443 (README, "Deploying TURN"). `stop` ends exactly the process
# whose PID file is in <dir> (checking it still runs this config); no other process is touched.
#
# Needs Debian's `coturn` (apt-get install -y --no-install-recommends coturn).
set -euo pipefail

die() { echo "turn: $*" >&2; exit 1; }
usage() { die "usage: $0 start <dir> <port> [deny-peers] | stop <dir>"; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

our_pid() { # our_pid <dir>
  local pid
  pid=$(cat "$1/turnserver.pid" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$1/turnserver.pid" || return 1
  echo "$pid"
}

cmd=${1:-}; dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || usage

case "$cmd" in
  start)
    port=${3:-}
    [[ "$port" =~ ^[0-9]+$ ]] || usage
    extra=()
    case "${4:-}" in
      "") ;;
      deny-peers) extra+=(--denied-peer-ip=0.0.0.0-255.255.255.255) ;;
      *) usage ;;
    esac
    command -v turnserver >/dev/null || die "coturn (turnserver) not found.
  Install it, e.g. on Debian/Ubuntu: sudo apt-get install -y --no-install-recommends coturn"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if our_pid "$dir" >/dev/null; then die "a TURN server of $dir is already running"; fi
    port_busy "$port" && die "port $port on 127.0.0.1 is in use"
    [[ -s "$dir/secret" ]] || head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$dir/secret"
    secret=$(cat "$dir/secret")
    echo "$port" >"$dir/port"
    turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port="$port" \
      --min-port=49160 --max-port=49200 --use-auth-secret --static-auth-secret="$secret" \
      --realm=parley.test --allow-loopback-peers --no-multicast-peers --no-cli --no-tls --no-dtls \
      --fingerprint --userdb="$dir/turndb" --pidfile="$dir/turnserver.pid" --log-file="$dir/turnserver.log" --simple-log \
      ${extra[@]+"${extra[@]}"} \
      >/dev/null 2>&1 &
    pid=$!
    for ((i = 0; i < 100; i++)); do
      if port_busy "$port"; then break; fi
      kill -0 "$pid" 2>/dev/null || die "turnserver exited at start (log: $dir/turnserver.log)"
      sleep 0.05
    done
    port_busy "$port" || { kill "$pid" 2>/dev/null || true; die "turnserver did not listen on 127.0.0.1:$port"; }
    # turnserver writes its PID file itself; make sure it is there for `stop`.
    for ((i = 0; i < 40; i++)); do [[ -s "$dir/turnserver.pid" ]] && break; sleep 0.05; done
    [[ -s "$dir/turnserver.pid" ]] || echo "$pid" >"$dir/turnserver.pid"
    echo "TURN_URLS=turn:127.0.0.1:$port?transport=udp,turn:127.0.0.1:$port?transport=tcp"
    echo "TURN_SECRET=$secret"
    ;;
  stop)
    [[ -d "$dir" ]] || exit 0
    dir=$(cd "$dir" && pwd)
    pid=$(our_pid "$dir") || exit 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$dir/turnserver.pid"
    ;;
  *) usage ;;
esac
