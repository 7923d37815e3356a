"""Every table of the sample service, in one place for Alembic."""

from tread_notes.base import Base
from tread_notes.notes.models import Note

__all__ = ["Base", "Note"]
