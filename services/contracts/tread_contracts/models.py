"""Every table of the contracts service, in one place for Alembic."""

from tread_contracts.base import Base

__all__ = ["Base"]
