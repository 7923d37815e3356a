"""The portfolio: accounts per owner and territory, by quadrant and status; activity investment
spent against what qualification planned; partnership coverage by tier."""
