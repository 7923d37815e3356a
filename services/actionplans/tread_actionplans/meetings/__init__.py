"""Follow-up meetings of a plan: participants, agenda, minutes, objective evaluations and
decisions that become corrective actions."""
