#!/bin/bash
# Master database of docker-compose.yml: create locdb and describe 2 groups x 2 members, each group's members on
# different containers (risk group = container). Run by the MariaDB image's init on first start only.
set -euo pipefail

# locdb URLs carry the password (Kamailio's form); escape it for an SQL string literal.
pw="${MARIADB_PASSWORD//\\/\\\\}"
pw="${pw//\'/\'\'}"
url() { printf "mysql://locationactors:%s@%s:3306/%s" "$pw" "$1" "$2"; }

mariadb -uroot -p"${MARIADB_ROOT_PASSWORD}" "${MARIADB_DATABASE}" < /schema/master-create.sql
mariadb -uroot -p"${MARIADB_ROOT_PASSWORD}" "${MARIADB_DATABASE}" <<SQL
INSERT IGNORE INTO locdb (id, no, url, status, errors, spare, rg) VALUES
  (1, 1, '$(url db-a loc_g1)', 1, 0, 0, 1),
  (1, 2, '$(url db-b loc_g1)', 1, 0, 0, 2),
  (2, 1, '$(url db-b loc_g2)', 1, 0, 0, 2),
  (2, 2, '$(url db-a loc_g2)', 1, 0, 0, 1);
SQL
