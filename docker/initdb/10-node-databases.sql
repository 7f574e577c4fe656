-- One database per region node: each node owns its state.
CREATE DATABASE node_310000 OWNER delta;
CREATE DATABASE node_320000 OWNER delta;
CREATE DATABASE node_330000 OWNER delta;
CREATE DATABASE node_340000 OWNER delta;
