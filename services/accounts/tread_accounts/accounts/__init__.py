"""The portfolio: dealer and end-user accounts, their groups, owners and reassignments."""
