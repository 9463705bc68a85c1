# One image per Ripple app (apps/<APP>), built from the repository root:
#   docker build -f infra/images/node-app.Dockerfile --build-arg APP=worker \
#     --label org.opencontainers.image.version=0.1.0 \
#     --label org.opencontainers.image.revision=$(git rev-parse HEAD) -t ripple/worker .
# `pnpm images` builds every app listed in infra/images/apps.txt this way and
# sets the version/revision labels. Classic-builder compatible (no BuildKit
# syntax), so DOCKER_BUILDKIT=0 works. Few instructions on purpose: with the
# vfs storage driver every committed step copies the whole filesystem.
# Elsewhere the base is the official node:24-bookworm-slim; on machines without
# an image registry infra/base-image.sh builds an equivalent local base.
ARG BASE_IMAGE=node:24-bookworm-slim

# --- only the package manifests: this stage's output changes only when a
# manifest or the lockfile changes, so the install layer below is reused.
FROM ${BASE_IMAGE} AS manifests
COPY . /src
RUN cd /src && mkdir -p /m/scripts \
 && cp package.json pnpm-lock.yaml pnpm-workspace.yaml /m/ \
 && cp scripts/check-node.cjs /m/scripts/ \
 && for f in apps/*/package.json packages/*/package.json; do mkdir -p "/m/${f%/package.json}" && cp "$f" "/m/$f"; done \
 && if [ -f infra/images/.build-ca.pem ]; then cp infra/images/.build-ca.pem /m/.build-ca.pem; fi

# --- dependencies of every workspace package (shared by all apps), then the build.
# --ignore-scripts: the `node` devDependency would fetch a second Node binary.
# .build-ca.pem (written by infra/images.sh from the host's trust store) lets
# npm/pnpm through a TLS-intercepting proxy; it never reaches the runtime image.
FROM ${BASE_IMAGE} AS build
COPY --from=manifests /m/ /src/
RUN cd /src && if [ -s .build-ca.pem ]; then export NODE_EXTRA_CA_CERTS=/src/.build-ca.pem; fi \
 && npm install --global --no-audit --no-fund pnpm@10.34.9 \
 && pnpm install --frozen-lockfile --ignore-scripts
COPY . /src
# Every app at once, so that the images of all apps share this stage:
# tsc -b emits runnable JS (relative .ts imports are rewritten to .js) and
# `pnpm deploy --prod` gathers each app, its production dependencies and its
# workspace packages' built dist/ into /out/<app>; /out/<app>/app is what the
# app itself adds; node_modules/.modules.yaml goes (it holds a timestamp, which
# would make the node_modules layer differ on every build). (`--legacy`: the non-legacy deploy needs
# inject-workspace-packages; the legacy one resolves versions again, from the
# registry, within the package.json ranges.)
RUN cd /src && if [ -s .build-ca.pem ]; then export NODE_EXTRA_CA_CERTS=/src/.build-ca.pem; fi \
 && apps=$(for d in apps/*/; do [ -f "$d/src/main.ts" ] && basename "$d"; done) \
 && pnpm exec tsc -b $(for a in $apps; do echo "apps/$a"; done) \
 && for a in $apps; do \
      pnpm --filter "./apps/$a" deploy --prod --legacy --ignore-scripts --prefer-offline "/out/$a/deploy" \
      && mkdir -p "/out/$a/app" && mv "/out/$a/deploy/node_modules" "/out/$a/node_modules" \
      && cp "/out/$a/deploy/package.json" "/out/$a/app/" && cp -r "/out/$a/deploy/dist" "/out/$a/app/dist" \
      && rm -rf "/out/$a/app/dist/test" "/out/$a/app/dist/tsconfig.tsbuildinfo" "/out/$a/deploy" \
      && rm -f "/out/$a/node_modules/.modules.yaml" || exit 1; \
    done

# --- runtime settings first (cached per app), then two content layers:
# production node_modules (reused while the dependencies do not change) and the app.
FROM ${BASE_IMAGE} AS runtime
ARG APP
RUN test -n "${APP}" || { echo "--build-arg APP=<directory under apps/> is required" >&2; exit 2; }
ARG HEALTH_PORT=9100
ARG METRICS_PORT=9102
ENV NODE_ENV=production RIPPLE_HEALTH_PORT=${HEALTH_PORT} RIPPLE_METRICS_PORT=${METRICS_PORT}
LABEL org.opencontainers.image.title="ripple-${APP}" org.opencontainers.image.description="Ripple ${APP}" \
      org.opencontainers.image.source="https://github.com/ripple/ripple" org.opencontainers.image.licenses="UNLICENSED"
WORKDIR /app
USER node
EXPOSE ${HEALTH_PORT} ${METRICS_PORT}
# /health answers 200 while the process is alive and not failed (no curl in the image: Node's fetch).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.RIPPLE_HEALTH_PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node is PID 1 (no shell in between): SIGTERM from `docker stop` / the kubelet reaches the app, which drains.
# --import @ripple/telemetry/register: the OpenTelemetry HTTP, AWS SDK and Kafka instrumentation (ESM
# needs the loader hook before the app's modules load), as the apps' `start` scripts do.
ENTRYPOINT ["node", "--import", "@ripple/telemetry/register", "dist/src/main.js"]

FROM runtime
ARG APP
COPY --from=build /out/${APP}/node_modules /app/node_modules
COPY --from=build /out/${APP}/app/ /app/
