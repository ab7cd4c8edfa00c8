# bench/kamailio/layout.sh - sourced by the bench scripts after bench/deployment.sh: gives Kamailio p_usrloc a copy of
# LocationActors' layout on MariaDB servers 3 and 4 of the deployment's folder (databases kam_*: locdb on server 3, the
# members of each group on servers 3 and 4), created by the same init as LocationActors' own. Needs LA_DB_INSTANCES=4
# and $data/mariadb/env sourced.
# Sets $kamailio_master_url.

kamailio_layout() {
  local db server name
  for db in "3 kam_master" "3 kam_g1" "4 kam_g1" "4 kam_g2" "3 kam_g2"; do
    read -r server name <<<"$db"
    LA_DB_DIR="$data/mariadb" scripts/mariadb.sh sql "$server" "CREATE DATABASE IF NOT EXISTS $name" >/dev/null
  done
  kamailio_master_url="$LA_MARIADB_3_URL/kam_master"
  LA_MASTER_DB_URL="$kamailio_master_url" dotnet exec "$PWD/src/LocationActors.Node/bin/Release/net10.0/LocationActors.Node.dll" init \
    --group "$LA_MARIADB_3_URL/kam_g1,$LA_MARIADB_4_URL/kam_g1" --group "$LA_MARIADB_4_URL/kam_g2,$LA_MARIADB_3_URL/kam_g2" >&2
}
