"""Cross-region interchange: one federation node per region."""
