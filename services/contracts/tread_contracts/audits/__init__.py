"""Partnership audits: a score per LP criterion, the overall score, and the gaps against what
the contract's tier (and its commitments) require."""
