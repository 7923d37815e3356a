"""Every table of the actionplans service, in one place for Alembic."""

from tread_actionplans.base import Base

__all__ = ["Base"]
