#!/bin/sh
# Creates or upgrades Temporal's two stores on Postgres with the release's SQL tool, whose schemas
# are built into it. Each step is idempotent: a database that exists is kept, a schema at the
# release's version is left as it is, a partly applied upgrade is finished. Run by the local
# cluster (runtime/temporal-cluster.ts, the tool built by npm run setup:cluster) and by
# docker-compose's temporal-schema job (temporalio/admin-tools of the same release), both with the
# settings of ops/temporal/cluster.env and the server's own connection variables.
set -eu
tool="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"
: "${DB:?DB is not set (ops/temporal/cluster.env)}"
: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is not set}"
: "${POSTGRES_USER:?POSTGRES_USER is not set}"
# The tool's own variables, from the names the server's config template reads.
export SQL_PLUGIN="$DB" SQL_HOST="$POSTGRES_SEEDS" SQL_PORT="${DB_PORT:-5432}" SQL_USER="$POSTGRES_USER" SQL_PASSWORD="${POSTGRES_PWD:-}"

for store in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  db="${store%%:*}"
  schema="postgresql/v12/${store#*:}"
  "$tool" --db "$db" create-database
  "$tool" --db "$db" setup-schema -v 0.0
  "$tool" --db "$db" update-schema --schema-name "$schema"
done
