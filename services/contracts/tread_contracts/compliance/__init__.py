"""Compliance: a contract's commitments and tier requirements against actuals (sell-in kept
from the accounts service's events, and the latest audit)."""
