-- Master database for the embedded (SQLite) default: the same tables as mysql/master-create.sql.

CREATE TABLE IF NOT EXISTS version (
    id INTEGER PRIMARY KEY NOT NULL,
    table_name VARCHAR(32) NOT NULL,
    table_version INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT version_table_name_idx UNIQUE (table_name)
);

INSERT INTO version (table_name, table_version)
    SELECT 'version', 1 WHERE NOT EXISTS (SELECT 1 FROM version WHERE table_name = 'version');

CREATE TABLE IF NOT EXISTS locdb (
    id INTEGER NOT NULL DEFAULT 0,
    no INTEGER NOT NULL DEFAULT 0,
    url VARCHAR(255) NOT NULL DEFAULT '',
    status TINYINT NOT NULL DEFAULT 1,
    errors INTEGER NOT NULL DEFAULT 0,
    failover TIMESTAMP WITHOUT TIME ZONE NOT NULL DEFAULT '1900-01-01 00:00:01',
    spare TINYINT NOT NULL DEFAULT 0,
    rg INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (id, no)
);

CREATE INDEX IF NOT EXISTS locdb_no_idx ON locdb (no);
