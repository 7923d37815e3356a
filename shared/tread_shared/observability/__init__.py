"""Logs, metrics and health: what operators look at."""
