"""The DataStore: tabular resources as SQL tables, queried through CKAN's datastore_* API."""
