"""Every table of the market-intel service, in one place for Alembic."""

from tread_market_intel.arguments.models import Argument, ArgumentVersion
from tread_market_intel.base import Base
from tread_market_intel.competitors.models import CompetitorProduct, Equivalence
from tread_market_intel.digests.models import Digest
from tread_market_intel.directory.models import AccountDirectory
from tread_market_intel.imports.models import CatalogueImport
from tread_market_intel.observations.models import Observation
from tread_market_intel.positioning.models import PositioningBand
from tread_market_intel.products.models import PriceEntry, Product
from tread_market_intel.subscriptions.models import Subscription

__all__ = [
    "AccountDirectory",
    "Argument",
    "ArgumentVersion",
    "Base",
    "CatalogueImport",
    "CompetitorProduct",
    "Digest",
    "Equivalence",
    "Observation",
    "PositioningBand",
    "PriceEntry",
    "Product",
    "Subscription",
]
