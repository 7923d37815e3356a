"""Inbox items: decisions awaiting someone and alerts, made from other services' events."""
