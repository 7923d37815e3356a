"""The weekly market digest of each subscriber."""
