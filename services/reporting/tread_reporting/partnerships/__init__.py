"""Partnership per account: program, tier, contract status and period, signatures, renewal due,
audits and their gaps, commitments against sell-in, facilitations, open cases."""
