# One image for both server roles; docker-compose.yml picks the role with `command`.
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
# Scripts were skipped above (the sources were not there yet); the one patch still applies.
RUN npx patch-package
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20.20-bookworm-slim
ENV NODE_ENV=production
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
