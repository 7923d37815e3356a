from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

ImportMode = Literal["all_or_nothing", "valid_rows"]

COLUMNS = (
    "code",
    "kind",
    "brand",
    "range",
    "name",
    "width",
    "aspect_ratio",
    "rim",
    "load_index",
    "speed_index",
    "usage_types",
    "status",
    "list_price",
    "currency",
    "territory",
    "valid_from",
    "valid_to",
)
REQUIRED_COLUMNS = ("code", "kind", "brand", "name")


class RowError(BaseModel):
    """What is wrong with one cell (``row`` 1 is the header, so data starts at 2)."""

    row: int
    column: str
    message: str


class ImportReport(BaseModel):
    id: uuid.UUID
    file_sha256: str
    mode: ImportMode
    rows: int
    applied_rows: int
    products_created: int
    products_changed: int
    prices_set: int
    errors: list[RowError]
    imported_by: str
    imported_at: datetime
    replayed: bool = False
