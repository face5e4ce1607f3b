# syntax=docker/dockerfile:1
# One image per RxBridge app, chosen with the APP build argument:
#   docker build --build-arg APP=order-service -t rxbridge/order-service .
# APP is an app directory under apps/ (gateway, order-service, inventory-service, shipping-service,
# rxscale-sandbox) or tools/simulator's package (pharmacy-simulator). The image holds only that app's pruned
# workspace (turbo prune --docker), production dependencies only, and runs as an unprivileged user under
# tini, so SIGTERM reaches Node and the service drains (readiness 503, then in-flight work, then exit).
# A precise tag (the Node.js the workspace is developed and tested with), not a floating 20.x.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS tools
# The versions the workspace pins (package.json packageManager, devDependencies.turbo).
RUN npm install -g --no-audit --no-fund pnpm@12.21.0 turbo@2.11.11
ENV TURBO_TELEMETRY_DISABLED=1
WORKDIR /repo

FROM tools AS prune
ARG APP
COPY . .
RUN test -n "$APP" || (echo "build with --build-arg APP=<app>" >&2; exit 1) \
 && turbo prune "@rxbridge/${APP}" --docker

FROM tools AS build
ARG APP
# Dependencies first (cached while only sources change), then the sources.
COPY --from=prune /repo/out/json/ ./
COPY --from=prune /repo/out/pnpm-lock.yaml ./pnpm-lock.yaml
RUN pnpm install --frozen-lockfile --reporter=silent
COPY --from=prune /repo/out/full/ ./
# turbo prune leaves out the root files the packages' tsconfig extend
COPY --from=prune /repo/tsconfig.base.json ./
RUN pnpm exec turbo run build --filter="@rxbridge/${APP}..." --output-logs=errors-only \
 && pnpm --filter "@rxbridge/${APP}" deploy --prod --legacy /app \
 && rm -rf /app/src /app/test /app/*.spec.* /app/tsconfig*.json /app/jest.config.js

FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0
WORKDIR /app
# Owned by root and not writable by the app's user: the root filesystem can be mounted read-only.
COPY --from=build /app ./
# docker-compose.yml's setup writes each app's env into a volume mounted here; a fresh volume takes
# this directory's owner, so the apps' user can write and read it.
RUN mkdir -p /run/rxbridge && chown 1000:1000 /run/rxbridge && chmod 0700 /run/rxbridge
# node (uid 1000) exists in the official Node images.
USER 1000:1000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
