"""Database: engines, sessions, column types and model conventions for SQLite and PostgreSQL."""
