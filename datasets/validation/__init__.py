"""Checking what publishers upload: content sniffing at upload time, then (after the
upload commits) encoding conversion and Table Schema validation with frictionless."""
