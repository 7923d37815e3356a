"""Transverse cases: open cases by category, age and SLA breach."""
