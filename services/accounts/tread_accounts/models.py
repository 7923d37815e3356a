"""Every table of the accounts service, in one place for Alembic."""

from tread_accounts.base import Base

__all__ = ["Base"]
