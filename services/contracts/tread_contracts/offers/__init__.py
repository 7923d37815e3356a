"""Offers: priced lines negotiated in revisions, discount approval, accept or reject."""
