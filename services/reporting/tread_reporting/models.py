"""Every table of the reporting service, in one place for Alembic."""

from tread_reporting.base import Base
from tread_reporting.event_counts.models import EventTypeCount

__all__ = ["Base", "EventTypeCount"]
