#!/usr/bin/env bash
# A private, throwaway Ceph RADOS Gateway (a real S3 implementation) for tests.
#
#   bash scripts/rgw.sh start <dir> <port>   # prints S3_* settings (KEY=value lines) on stdout
#   bash scripts/rgw.sh stop <dir>
#
# A single-node Ceph cluster that lives entirely in <dir>: one monitor (a), one OSD (0) on the
# in-memory `memstore` backend (objects are kept in RAM: keep test files small), and one radosgw
# whose S3 endpoint is http://127.0.0.1:<port>. Every daemon binds 127.0.0.1 only (msgr v1; the
# monitor takes the first free port above <port>, the OSD the usual 6800–7300 range), with
# authentication off (`auth * required = none`) and pools of size 1: built for speed, not safety.
# An S3 user with fixed test keys is created; the S3_BUCKET it prints is a name only (no bucket is
# created: whoever uses it creates it, the tests their own). `stop` ends exactly the daemons whose PID files are
# in <dir>/run (checking that each PID still runs this cluster's config); no other process is touched.
#
# Needs Debian's `radosgw ceph-mon ceph-osd` (apt-get install -y --no-install-recommends ...).
set -euo pipefail

die() { echo "rgw: $*" >&2; exit 1; }
# The test stack removes its directory when it stops, logs included: show the gateway's last words.
die_with_log() {
  echo "rgw: the end of $dir/log/client.rgw.a.log:" >&2
  tail -n 30 "$dir/log/client.rgw.a.log" >&2 2>/dev/null || true
  die "$@"
}
usage() { die "usage: $0 start <dir> <port> | stop <dir>"; }
log() { [[ -z "${RGW_VERBOSE:-}" ]] || echo "rgw: $* ($((SECONDS - t0)) s)" >&2; }
t0=$SECONDS

ACCESS_KEY=parley-test-access-key
SECRET_KEY=parley-test-secret-key-not-secret-at-all
REGION=us-east-1   # radosgw accepts any region name for SigV4; the default zonegroup has no api_name

# Does an HTTP server on 127.0.0.1:<port> answer / with a status below 500?
http_ok() (
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  read -r -t 2 proto status _ <&3 || exit 1
  [[ "$proto" == HTTP/* && "$status" =~ ^[1-4][0-9][0-9]$ ]]
) 2>/dev/null

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The PID in <dir>/run/<name>.pid, only while that process still runs with this cluster's config.
our_pid() { # our_pid <dir> <name>
  local pid
  pid=$(cat "$1/run/$2.pid" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$1/ceph.conf" || return 1
  echo "$pid"
}

# Is <pid> running (a zombie, already dead but not yet reaped by its parent, is not)?
running() { local st; st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [[ -n "$st" && "$st" != Z ]]; }

# TERM each daemon, then KILL what still runs after 1 s: a clean shutdown buys nothing for a
# throwaway cluster whose objects live in RAM, and radosgw alone is slow to exit on TERM.
# Returns once none of them runs any more.
stop_daemons() { # stop_daemons <dir>
  local d=$1 name pid pids=() i alive
  for name in client.rgw.a osd.0 mon.a; do
    if pid=$(our_pid "$d" "$name"); then kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid"); fi
  done
  for ((i = 0; i < 30; i++)); do
    alive=()
    for pid in "${pids[@]}"; do if running "$pid"; then alive+=("$pid"); fi; done
    (( ${#alive[@]} > 0 )) || return 0
    pids=("${alive[@]}")
    if (( i == 10 )); then kill -KILL "${pids[@]}" 2>/dev/null || true; fi
    sleep 0.1
  done
  echo "rgw: still running after SIGKILL: ${pids[*]}" >&2
  return 1
}

cmd=${1:-}; dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || usage

case "$cmd" in
  start)
    port=${3:-}
    [[ "$port" =~ ^[0-9]+$ ]] || usage
    for b in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
      command -v "$b" >/dev/null || die "Ceph binaries ($b) not found.
  Install them, e.g. on Debian/Ubuntu: sudo apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd"
    done
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [[ ! -e "$dir/ceph.conf" ]] || die "$dir/ceph.conf already exists (stop and remove the old cluster first)"
    port_busy "$port" && die "port $port on 127.0.0.1 is in use"
    mon_port=$((port + 1))
    while port_busy "$mon_port"; do mon_port=$((mon_port + 1)); done
    mkdir -p "$dir/mon" "$dir/osd" "$dir/run" "$dir/log" "$dir/rgw"
    fsid=$(cat /proc/sys/kernel/random/uuid)
    # If anything below fails, leave no daemon behind.
    trap 'rc=$?; if (( rc != 0 )); then stop_daemons "$dir"; fi' EXIT

    # `$name` is Ceph's own metavariable (mon.a, osd.0, client.rgw.a), expanded by each daemon.
    cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr2 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = $dir/keyring
run dir = $dir/run
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
crash dir = $dir/crash
mon data = $dir/mon
mon cluster log file = $dir/log/cluster.log
# The monitor batches map changes for "paxos propose interval" (1 s by default), and radosgw's
# first start creates its pools one map epoch after another, each waiting out that interval: a
# short interval makes the first start several times quicker.
paxos propose interval = 0.05
paxos min wait = 0.01
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 1
mon data avail crit = 0
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
osd data = $dir/osd
osd objectstore = memstore
memstore device bytes = 1073741824
osd max object name len = 460
osd max object namespace len = 64
rgw data = $dir/rgw
rgw frontends = beast endpoint=127.0.0.1:$port
rgw dns name = 127.0.0.1
rgw enable usage log = false
rgw thread pool size = 64
EOF
    : >"$dir/keyring"
    c=(-c "$dir/ceph.conf")

    # Monitor.
    monmaptool --create --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" "$dir/monmap" >"$dir/log/mkfs.log" 2>&1 ||
      { cat "$dir/log/mkfs.log" >&2; die "monmaptool failed"; }
    ceph-mon "${c[@]}" --mkfs -i a --monmap "$dir/monmap" >>"$dir/log/mkfs.log" 2>&1 ||
      { cat "$dir/log/mkfs.log" >&2; die "ceph-mon --mkfs failed"; }
    timeout 60 ceph-mon "${c[@]}" -i a >>"$dir/log/mkfs.log" 2>&1 ||
      { cat "$dir/log/mkfs.log" >&2; die "ceph-mon failed to start (log: $dir/log/mon.a.log)"; }
    log "monitor started on 127.0.0.1:$mon_port"

    # OSD: register it once the monitor answers, then mkfs and start it. Right after its start the
    # monitor may not have settled yet (mkfs then fails, e.g. with "wrong fsid"): retry.
    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    for ((i = 0; ; i++)); do
      if osd_id=$(ceph "${c[@]}" --connect-timeout 5 osd new "$osd_uuid" 2>>"$dir/log/mkfs.log"); then break; fi
      (( i < 20 )) || { cat "$dir/log/mkfs.log" >&2; die "the monitor did not answer (log: $dir/log/mon.a.log)"; }
      sleep 0.5
    done
    [[ "$osd_id" == 0 ]] || die "unexpected OSD id '$osd_id'"
    log "monitor answers, osd.0 registered"
    # mkfs, or the OSD's own start ("mon_cmd_maybe_osd_create fail: 'wrong fsid'"), can still lose
    # that race: then start over with a fresh OSD folder.
    for ((i = 0; ; i++)); do
      if timeout 30 ceph-osd "${c[@]}" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$dir/log/mkfs.log" 2>&1 &&
        timeout 60 ceph-osd "${c[@]}" -i 0 >>"$dir/log/mkfs.log" 2>&1; then break; fi
      if pid=$(our_pid "$dir" osd.0); then kill -KILL "$pid" 2>/dev/null || true; fi
      (( i < 10 )) || { cat "$dir/log/mkfs.log" >&2; die "ceph-osd failed to start (log: $dir/log/osd.0.log)"; }
      log "osd.0 did not start, retrying"
      while [[ -n "${pid:-}" ]] && running "$pid"; do sleep 0.1; done
      rm -rf "${dir:?}/osd" "$dir/run/osd.0.pid" && mkdir -p "$dir/osd"
      sleep 0.2
    done
    log "osd.0 started"

    # Gateway: it creates its pools and the default zone on first start. Then the S3 user.
    timeout 60 radosgw "${c[@]}" -n client.rgw.a >>"$dir/log/mkfs.log" 2>&1 ||
      { cat "$dir/log/mkfs.log" >&2; die "radosgw failed to start (log: $dir/log/client.rgw.a.log)"; }
    for ((i = 0; ; i++)); do
      if http_ok "$port"; then break; fi
      (( i < 240 )) || die_with_log "radosgw does not answer on 127.0.0.1:$port after 60 s (log: $dir/log/client.rgw.a.log)"
      our_pid "$dir" client.rgw.a >/dev/null || [[ ! -f "$dir/run/client.rgw.a.pid" ]] ||
        die_with_log "radosgw exited (log: $dir/log/client.rgw.a.log)"
      sleep 0.25
    done
    log "radosgw answers on 127.0.0.1:$port"
    radosgw-admin "${c[@]}" user create --uid parley --display-name "Parley tests" \
      --access-key "$ACCESS_KEY" --secret "$SECRET_KEY" >>"$dir/log/mkfs.log" 2>&1 ||
      { cat "$dir/log/mkfs.log" >&2; die "radosgw-admin user create failed"; }
    log "S3 user created"

    cat <<EOF
S3_ENDPOINT=http://127.0.0.1:$port
S3_REGION=$REGION
S3_ACCESS_KEY_ID=$ACCESS_KEY
S3_SECRET_ACCESS_KEY=$SECRET_KEY
S3_BUCKET=parley-test
S3_FORCE_PATH_STYLE=true
EOF
    ;;
  stop)
    dir=$(cd "$dir" 2>/dev/null && pwd) || exit 0  # nothing there: nothing to stop
    stop_daemons "$dir"
    ;;
  *) usage ;;
esac
