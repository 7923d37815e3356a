"""The local account directory (fed by account events): who may see which plan."""
