# syntax=docker/dockerfile:1
# Parley's container image: the production build (.next/standalone, `npm run build`) on Node 22 and
# Debian 12 slim, run as the unprivileged `node` user, with the embedded database and documents in
# the /data volume unless DATABASE_URL and S3_* point elsewhere.
#
#   docker build -t parley .
#   docker run -d --name parley -v parley:/data -p 3000:3000 -e PUBLIC_URL=https://parley.example.org parley
#   docker logs parley        # prints the one-time link that creates the clinic's first admin
#
# Behind a registry mirror, hand the build your npm configuration as a secret; it reaches only the
# `npm ci` step and no layer keeps it (a build without it needs nothing); a private CA as npm_ca:
#   docker build --secret id=npmrc,src=$HOME/.npmrc [--secret id=npm_ca,src=ca.pem] -t parley .
# (with npm_ca, the npmrc says cafile=/usr/local/etc/npm-ca.pem)
# docs/deploy/container.md has the whole recipe; compose.yaml runs it with HTTPS, PostgreSQL, an
# S3-compatible store and TURN.

# Node 22 is the current LTS line Next 16 supports; bookworm-slim is the smallest Debian with the
# glibc that the prebuilt native packages (@node-rs/argon2, Next's SWC) are built for.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1 npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# Only what `npm ci` and its postinstall (prisma generate) read, so a source change reuses this layer.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma/schema.prisma prisma/schema.prisma
COPY scripts/prisma-generate.ts scripts/prisma-generate.ts
RUN --mount=type=secret,id=npmrc,target=/usr/local/etc/npmrc \
    --mount=type=secret,id=npm_ca,target=/usr/local/etc/npm-ca.pem \
    --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci

FROM deps AS build
COPY . .
# Next's compiler cache survives between builds of the image on one machine.
RUN --mount=type=cache,target=/app/.next/cache,sharing=locked \
    npm run build

FROM ${NODE_IMAGE}
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
WORKDIR /app
# Owned by root and read-only to the server: it runs with a read-only root filesystem too.
COPY --from=build /app/.next/standalone ./
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# Liveness only; /api/ready also asks the database and the store (for a load balancer).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/api/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "parley.mjs"]
