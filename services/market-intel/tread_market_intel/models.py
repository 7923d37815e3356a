"""Every table of the market-intel service, in one place for Alembic."""

from tread_market_intel.base import Base

__all__ = ["Base"]
