"""Users, organisation membership and API tokens."""
