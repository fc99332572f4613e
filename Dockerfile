# syntax=docker/dockerfile:1
# Tally in one image: `tally serve` (HTTP API, WebSocket gateway, run workers) with the web app
# built in. Multi-stage: the build stage has every dependency (TypeScript, Vite, esbuild); the
# image has production dependencies only and runs as the unprivileged `node` user.
# Build: docker build -t tally .    Run: see docker-compose.yml and docs/OPERATIONS.md.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/client/package.json packages/client/
COPY packages/server/package.json packages/server/
COPY packages/web/package.json packages/web/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json ./
COPY packages ./packages
COPY scripts/build-server.mjs ./scripts/
# The web app (packages/web/dist) and the server bundled to JavaScript (packages/server/dist).
RUN npm run build -w @tally/web && node scripts/build-server.mjs

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/client/package.json packages/client/
COPY packages/server/package.json packages/server/
COPY packages/web/package.json packages/web/
# The server's production dependencies only: no TypeScript, tsx, Vite, test tools or web libraries.
RUN npm ci --omit=dev --workspace @tally/server --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    TALLY_HOST=0.0.0.0 \
    TALLY_PORT=8080 \
    TALLY_DATA_DIR=/data \
    TALLY_WEB_DIR=/app/web
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=deps --chown=root:root /app/packages/server/node_modules ./packages/server/node_modules
COPY --from=build --chown=root:root /app/packages/server/dist ./packages/server/dist
COPY --from=build --chown=root:root /app/packages/web/dist ./web
# The embedded engine's data folder (PGlite) when no TALLY_DATABASE_URL is set: the only place
# the process writes. The code itself stays root-owned and read-only to the server.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# Ready: migrations done, database reachable, not draining (GET /v1/health/ready).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.TALLY_PORT || 8080) + '/v1/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--enable-source-maps", "packages/server/dist/main.js"]
CMD ["serve"]
