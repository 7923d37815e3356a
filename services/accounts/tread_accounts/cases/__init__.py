"""Transverse cases: credit, billing, supply and quality questions raised for a customer,
worked by the central office under an SLA, escalated when overdue."""
