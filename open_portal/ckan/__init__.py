"""The CKAN Action API adapter: one dispatcher, a registry of actions, CKAN's envelope."""
