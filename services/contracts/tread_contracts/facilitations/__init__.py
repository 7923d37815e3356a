"""Facilitations: guidelines written by key account managers, requests by account managers
checked against eligibility and the yearly cap, approval above a threshold, spending."""
