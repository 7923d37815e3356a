"""Attestations: evidence that a tier's other requirement or a contract's ``other`` commitment
is met, counted in compliance (docs/rules.md, "Compliance")."""
