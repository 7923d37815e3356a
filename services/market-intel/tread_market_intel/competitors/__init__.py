"""Competitor products and their equivalence to own products."""
