"""A sample service, built only from the shared library: the reference for how a domain uses it
(and what the library's own tests run against). Notes an account manager keeps for themself."""

from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
