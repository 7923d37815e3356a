"""What happened when: the dated milestones of contracts, cases and facilitations that the
periodic reports count (signed in the period, resolved in the period, spent in the period…)."""
