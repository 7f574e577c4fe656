"""Cross-region window cases (长三角"一网通办"专窗): matters, intake, the exchange, statistics."""
