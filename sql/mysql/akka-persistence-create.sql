-- Master database: the tables of Akka.Persistence.Sql (default table mapping), where cluster sharding remembers
-- which location groups run. Written by hand because the plugin's own table creation is broken on MariaDB
-- (255-byte message columns, no unique key). Column names and sizes follow the plugin's default mapping.

CREATE TABLE IF NOT EXISTS `journal` (
    `ordering` BIGINT NOT NULL AUTO_INCREMENT,
    `deleted` TINYINT(1) NOT NULL DEFAULT 0,
    `persistence_id` VARCHAR(255) NOT NULL,
    `sequence_number` BIGINT NOT NULL,
    `created` BIGINT NOT NULL,
    `manifest` VARCHAR(500) NULL,
    `message` LONGBLOB NOT NULL,
    `identifier` INT NULL,
    `writer_uuid` VARCHAR(128) NULL,
    PRIMARY KEY (`ordering`),
    UNIQUE KEY `journal_persistence_id_sequence_number` (`persistence_id`, `sequence_number`),
    KEY `journal_created` (`created`),
    KEY `journal_sequence_number` (`sequence_number`)
);

CREATE TABLE IF NOT EXISTS `tags` (
    `ordering_id` BIGINT NOT NULL,
    `tag` VARCHAR(64) NOT NULL,
    `persistence_id` VARCHAR(255) NOT NULL,
    `sequence_nr` BIGINT NOT NULL,
    PRIMARY KEY (`ordering_id`, `tag`),
    KEY `tags_persistence_id_sequence_nr` (`persistence_id`, `sequence_nr`),
    KEY `tags_tag` (`tag`)
);

CREATE TABLE IF NOT EXISTS `snapshot` (
    `persistence_id` VARCHAR(255) NOT NULL,
    `sequence_number` BIGINT NOT NULL,
    `created` BIGINT NOT NULL,
    `manifest` VARCHAR(500) NULL,
    `snapshot` LONGBLOB NOT NULL,
    `serializer_id` INT NULL,
    PRIMARY KEY (`persistence_id`, `sequence_number`)
);
