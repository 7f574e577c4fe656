-- The region nodes' database: each node keeps its tables in a schema of its own
-- (node_310000 ... node_340000, created by the node on its first start), so one node
-- can move to a server of its own by changing only its DELTA_DATABASE_URL.
CREATE DATABASE nodes OWNER delta;
