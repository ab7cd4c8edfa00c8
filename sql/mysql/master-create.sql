-- Master database: Kamailio's `version` table and p_usrloc's `locdb`, the layout of the location groups.
-- `locdb` is exactly p_usrloc's p_usrloc.sql (Kamailio 5.6), so Kamailio nodes and LocationActors share it.

CREATE TABLE IF NOT EXISTS `version` (
    `id` INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    `table_name` VARCHAR(32) NOT NULL,
    `table_version` INT UNSIGNED DEFAULT 0 NOT NULL,
    CONSTRAINT table_name_idx UNIQUE (`table_name`)
);

INSERT INTO `version` (table_name, table_version)
    SELECT 'version', 1 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM `version` WHERE table_name = 'version');

-- id: location group 1..N; no: member number (the first rows by `no` are the members, later ones spares);
-- status: 0 = off (retried automatically), 1 = on, 2 = maintenance (operator only);
-- errors: cumulative error count; failover: time of the last off/on/spare switch;
-- spare: 1 = may replace a failed member; rg: risk group (a spare must come from another one).
CREATE TABLE IF NOT EXISTS `locdb` (
  `id` int(11) NOT NULL default '0',
  `no` int(11) NOT NULL default '0',
  `url` varchar(255) NOT NULL default '',
  `status` tinyint(4) NOT NULL default '1',
  `errors` int(11) NOT NULL default '0',
  `failover` datetime NOT NULL default '1900-01-01 00:00:01',
  `spare` tinyint(4) NOT NULL default '0',
  `rg` int(11) NOT NULL default '0',
  PRIMARY KEY  (`id`,`no`),
  KEY `no` (`no`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1;
