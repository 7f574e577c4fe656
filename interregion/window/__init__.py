"""Back-channel identity for the cross-region windows: JWT identity assertions."""
