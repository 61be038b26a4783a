# One image for both server roles; docker-compose.yml picks the role with `command`.
# Node 24 LTS. The one place for its version: .ci/run runs the suite on this same release
# (scripts/ensure-node.mjs reads the line below); the code also runs on Node 20.19+ (engines).
ARG NODE_VERSION=24.22.3

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
# Scripts were skipped above (the sources were not there yet); the one patch still applies.
RUN npx patch-package
# The workflow code is bundled once, here, so a container's worker starts without webpack
# (WORKFLOW_BUNDLE_PATH below). Then only production dependencies stay: the embedded Postgres
# of npm start and the tests is a development dependency, and goes.
RUN npm run build \
 && node dist/scripts/build-workflow-bundle.js dist/workflow-bundle.js \
 && npm prune --omit=dev --ignore-scripts

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The pages' templates and stylesheet are read at run time (web/render.ts finds them beside dist/).
COPY --from=build /app/web/views ./web/views
COPY --from=build /app/web/static ./web/static
COPY package.json ./
USER node
# 9464: the worker's metrics port (METRICS_PORT).
EXPOSE 3000 2525 9464
CMD ["node", "dist/api/main.js"]
