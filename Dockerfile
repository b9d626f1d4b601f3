# syntax=docker/dockerfile:1
# The chat bot's image: one image for every role. ROLE=bot runs the chat adapters and the router,
# ROLE=worker runs the job workers (scale them out), ROLE=all runs both in one process.
# The bot never renders video itself (NemoVideo does), so the image carries no ffmpeg.

# --- build: compile TypeScript to dist/ ---
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY adapters ./adapters
COPY jobs ./jobs
RUN npm run build

# --- runtime: production dependencies and the compiled code only ---
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    ROLE=all \
    HTTP_PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The NemoVideo emulator is for the demo and the tests; production never loads it.
RUN rm -rf dist/src/emulator
# The code stays root-owned and read-only to the process; only the export folder is writable.
RUN mkdir -p /app/exports && chown node:node /app/exports
USER node

EXPOSE 8080
# Workers finish or hand back their jobs on SIGTERM (BullMQ picks them up again after a restart).
STOPSIGNAL SIGTERM
# Slim images have no curl: node asks /healthz (200 when Redis and the chat connections are up).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:${HTTP_PORT:-8080}/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# V8 flags: src/ops/node-flags.ts says why (test/deploy checks the two agree).
CMD ["node", "--heap-growing-percent=25", "dist/src/main.js"]
