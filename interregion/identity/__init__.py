"""The home identity provider: accounts, levels of assurance, attributes, pairwise IDs."""
