"""Plans: scope, owner, stakeholders, period, budget lines, and their approval workflow."""
