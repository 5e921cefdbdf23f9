#!/usr/bin/env bash
# Runs once, when the Postgres volume is first created: the warehouse gets its own
# database and owner, separate from Airflow's metadata database. The owner may create roles
# (createrole) so the nightly DAG can create and grant the read-only bi_reader login.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v pw="$SALESOPS_DB_PASSWORD" <<'SQL'
create role salesops login createrole password :'pw';
create database salesops owner salesops;
SQL
