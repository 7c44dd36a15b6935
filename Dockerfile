# monitorlift as a container job.
#   docker build -t monitorlift .
#   docker run --rm -v "$PWD/config:/config:ro" monitorlift export --once
# The config is read from $MONITORLIFT_CONFIG (/config/monitorlift.json): mount it, never bake it in.
# Secrets come from the environment (${env:NAME} in the config) or from a managed / workload identity.
# test/image.test.ts repeats these steps (production install, --version, a one-shot export) in a clean copy.

# Stage 1: production dependencies only (no install scripts: none of them needs one).
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# Stage 2: the runtime — sources (no tests, no test helpers), queries, schema; non-root.
FROM node:24-slim
ENV NODE_ENV=production \
    MONITORLIFT_CONFIG=/config/monitorlift.json
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json README.md config.schema.json config.example.json ./
COPY bin ./bin
COPY src ./src
COPY queries ./queries
USER node
ENTRYPOINT ["node", "/app/bin/monitorlift.js"]
CMD ["export"]
