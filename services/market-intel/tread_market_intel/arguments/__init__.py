"""Selling arguments: written, validated by central, shown to the field."""
