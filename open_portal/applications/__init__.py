"""Data-use applications for conditionally open datasets, and who may have the data."""
