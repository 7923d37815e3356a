"""The action-plans view: plans, indicators, deviations, corrective actions and resources per
territory and account manager, from the actionplans service's events alone."""
