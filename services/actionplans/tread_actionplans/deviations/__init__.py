"""Deviations (an indicator's period amber or red, a contract at risk), their causes, corrective
actions and re-forecasts."""
