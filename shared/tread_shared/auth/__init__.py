"""Authentication (RS256 JWT) and the caller's identity."""
