"""Indicators: a target path per period, control thresholds, measurements and period status."""
