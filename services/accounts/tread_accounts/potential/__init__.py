"""Qualification on potential: the account's potential against its current result gives its
quadrant, which recommends a service level; the district manager validates it (docs/rules.md,
"Qualification")."""
