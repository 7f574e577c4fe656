"""Builders for the bundled sample catalog; ``datasets/samples/_generate.py`` runs them."""
