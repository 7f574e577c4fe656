"""Catalog search: one backend protocol, an embedded SQLite FTS5 backend and an
Elasticsearch backend sharing one text analysis and one CKAN/Solr query parser.

Imports only ``standards``; it knows nothing of FastAPI or the portal database.
"""
