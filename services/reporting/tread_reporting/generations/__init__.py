"""Generations of the read models: every read-model row belongs to one, reads use the active one,
and a rebuild fills a new one before pointing the service at it in one transaction."""
