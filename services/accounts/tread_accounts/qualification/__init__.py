"""Qualification: what an account is expected to bring against what it needs, and the
portfolio analysis by quadrant."""
