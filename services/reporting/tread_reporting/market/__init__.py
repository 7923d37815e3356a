"""The market view: observations per territory and kind, price positioning per range and
territory, the largest positioning moves; fed only by market-intel events."""
