"""The catalogue of own products and services, and their price books."""
