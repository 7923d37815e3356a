"""The local account directory (fed by account events): whose account an item is about."""
