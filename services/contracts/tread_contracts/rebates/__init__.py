"""Rebates: what a contract earned once its period is over and judged (docs/rules.md,
"Rebates")."""
