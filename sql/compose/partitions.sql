-- Partition databases of one MariaDB container in docker-compose.yml: one database per location group this host
-- holds a member of (each group has its members on different containers). Run by the image's init on first start.
CREATE DATABASE IF NOT EXISTS loc_g1;
USE loc_g1;
SOURCE /schema/location-create.sql;

CREATE DATABASE IF NOT EXISTS loc_g2;
USE loc_g2;
SOURCE /schema/location-create.sql;

GRANT ALL PRIVILEGES ON `loc\_g%`.* TO 'locationactors'@'%';
