"""The node's audit log: append-only, hash-chained, every record signed."""
