"""Contracts: account, program version, tier, period, commitments; the signing lifecycle,
renewal, termination and expiry."""
