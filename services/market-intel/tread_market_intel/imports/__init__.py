"""Catalogue imports from CSV: validated row by row, all-or-nothing or valid rows only,
idempotent by file hash."""
