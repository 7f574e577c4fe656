"""Harvesting other catalogues into ours: CKAN sites (Action API) and DCAT sources (RDF)."""
