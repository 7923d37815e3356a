-- Run once by the postgres image, on an empty data volume (/docker-entrypoint-initdb.d/).
-- One database per service: services never share tables. The owner is POSTGRES_USER; to give
-- each service a role of its own, see docs/runbook.md ("PostgreSQL").
CREATE DATABASE tread_accounts;
CREATE DATABASE tread_actionplans;
CREATE DATABASE tread_contracts;
CREATE DATABASE tread_market_intel;
CREATE DATABASE tread_reporting;
CREATE DATABASE tread_inbox;
