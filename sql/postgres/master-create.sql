-- Master database on PostgreSQL: Kamailio's `version` table and p_usrloc's `locdb`. Kamailio ships p_usrloc.sql for
-- MySQL only; this is the same table in PostgreSQL's types, as Kamailio's own PostgreSQL scripts translate theirs
-- (tinyint as SMALLINT, datetime as TIMESTAMP WITHOUT TIME ZONE).

CREATE TABLE IF NOT EXISTS version (
    id SERIAL PRIMARY KEY NOT NULL,
    table_name VARCHAR(32) NOT NULL,
    table_version INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT version_table_name_idx UNIQUE (table_name)
);

INSERT INTO version (table_name, table_version)
    SELECT 'version', 1 WHERE NOT EXISTS (SELECT 1 FROM version WHERE table_name = 'version');

-- id: location group 1..N; no: member number (the first rows by no are the members, later ones spares);
-- status: 0 = off (retried automatically), 1 = on, 2 = maintenance (operator only);
-- errors: cumulative error count; failover: time of the last off/on/spare switch;
-- spare: 1 = may replace a failed member; rg: risk group (a spare must come from another one).
CREATE TABLE IF NOT EXISTS locdb (
    id INTEGER NOT NULL DEFAULT 0,
    no INTEGER NOT NULL DEFAULT 0,
    url VARCHAR(255) NOT NULL DEFAULT '',
    status SMALLINT NOT NULL DEFAULT 1,
    errors INTEGER NOT NULL DEFAULT 0,
    failover TIMESTAMP WITHOUT TIME ZONE NOT NULL DEFAULT '1900-01-01 00:00:01',
    spare SMALLINT NOT NULL DEFAULT 0,
    rg INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (id, no)
);

CREATE INDEX IF NOT EXISTS locdb_no_idx ON locdb (no);
