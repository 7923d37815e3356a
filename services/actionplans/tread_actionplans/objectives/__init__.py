"""Objectives of a plan: quantitative (bound to an indicator) or qualitative (a statement and a
scale), evaluated at follow-up meetings."""
