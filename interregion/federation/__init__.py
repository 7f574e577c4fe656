"""The node's view of the federation: who the members are, and the demo authority's duties."""
