"""Reporting's own account directory, kept from account events: names for the reports, and the
owner, territory and key account manager that decide who sees what."""
