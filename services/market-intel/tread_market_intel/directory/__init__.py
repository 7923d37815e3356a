"""The local account directory (fed by account events): whose accounts an observation may name."""
