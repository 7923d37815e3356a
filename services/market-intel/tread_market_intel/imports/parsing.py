"""Reading a catalogue CSV into products and prices, every error with its row and column.

One product per code; several rows of one code set several prices (territories, periods) and
must describe the product the same way. ``usage_types`` are separated by ``;``. A row without
``list_price`` only describes the product."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from tread_market_intel.imports.schemas import COLUMNS, REQUIRED_COLUMNS, RowError
from tread_market_intel.products.schemas import PriceIn, ProductIn
from tread_shared.errors import Unprocessable

SPEC_COLUMNS = ("width", "aspect_ratio", "rim", "load_index", "speed_index")
# C0 control characters but tab, line feed and carriage return, and DEL: refused as in every
# JSON body (shared request limits), so that no stored product or report carries one.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PRICE_COLUMNS = {"list_price": "list_price", "valid_from": "valid_from", "valid_to": "valid_to"}


@dataclass
class CatalogueRow:
    number: int
    product: ProductIn
    price: PriceIn | None


def _cells(row: dict[str, str | None]) -> dict[str, str]:
    return {k: (v or "").strip() for k, v in row.items() if k is not None}


def _product_body(cells: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        name: cells[name] for name in ("code", "kind", "brand", "name") if name in cells
    }
    if cells.get("range"):
        body["range"] = cells["range"]
    if cells.get("status"):
        body["status"] = cells["status"]
    if cells.get("usage_types"):
        body["usage_types"] = [u.strip() for u in cells["usage_types"].split(";") if u.strip()]
    spec = {name: cells[name] for name in SPEC_COLUMNS if cells.get(name)}
    if spec:
        body["spec"] = spec
    return body


def _price_body(cells: dict[str, str]) -> dict[str, Any] | None:
    if not cells.get("list_price"):
        return None
    body: dict[str, Any] = {
        "list_price": {"amount": cells["list_price"], "currency": cells.get("currency", "")},
        "valid_from": cells.get("valid_from") or None,
    }
    if cells.get("territory"):
        body["territory"] = cells["territory"]
    if cells.get("valid_to"):
        body["valid_to"] = cells["valid_to"]
    return body


def _column_of(location: tuple[int | str, ...], fallback: str) -> str:
    names = [str(part) for part in location if isinstance(part, str)]
    if not names:
        return fallback
    if names[0] == "spec":
        return names[1] if len(names) > 1 else "width"
    if names[0] == "list_price":
        return "currency" if names[-1] == "currency" else "list_price"
    return names[0]


def _errors(number: int, exc: ValidationError, fallback: str) -> list[RowError]:
    errors = []
    for error in exc.errors():
        column = _column_of(tuple(error["loc"]), fallback)
        message = str(error["msg"]).removeprefix("Value error, ")
        if column == "list_price" and "currency" in message:
            column = "currency"
        errors.append(RowError(row=number, column=column, message=message))
    return errors


def read_catalogue(content: bytes) -> tuple[int, list[CatalogueRow], list[RowError]]:
    """The number of data rows, the valid ones, and every error found."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unprocessable("The file is not UTF-8 text.", slug="invalid-csv") from None
    control = _CONTROL_CHARACTER.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        raise Unprocessable(
            f"Line {line} of the file holds a control character (NUL, escape…); only tab, line"
            " feed and carriage return are accepted.",
            slug="invalid-csv",
            line=line,
        )
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [name.strip() for name in reader.fieldnames or []]
    except csv.Error as exc:
        raise Unprocessable(f"The file is not valid CSV: {exc}.", slug="invalid-csv") from None
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        raise Unprocessable(
            "The header must name the catalogue's columns.",
            slug="invalid-csv-header",
            missing_columns=missing,
            unknown_columns=unknown,
            columns=list(COLUMNS),
        )
    reader.fieldnames = header
    rows: list[CatalogueRow] = []
    errors: list[RowError] = []
    first_of: dict[str, CatalogueRow] = {}
    count = 0
    try:
        for number, raw in enumerate(reader, start=2):
            count += 1
            cells = _cells(raw)
            if None in raw:
                errors.append(RowError(row=number, column="*", message="more cells than columns"))
                continue
            try:
                product = ProductIn.model_validate(_product_body(cells))
            except ValidationError as exc:
                errors.extend(_errors(number, exc, "code"))
                product = None
            price = None
            price_body = _price_body(cells)
            if price_body is not None:
                try:
                    price = PriceIn.model_validate(price_body)
                except ValidationError as exc:
                    errors.extend(_errors(number, exc, "valid_to"))
                    product = None
            if product is None:
                continue
            first = first_of.get(product.code)
            if first is not None and first.product != product:
                errors.append(
                    RowError(
                        row=number,
                        column="code",
                        message=f"{product.code} is described otherwise on row {first.number}",
                    )
                )
                continue
            row = CatalogueRow(number, product, price)
            first_of.setdefault(product.code, row)
            rows.append(row)
    except csv.Error as exc:
        raise Unprocessable(f"The file is not valid CSV: {exc}.", slug="invalid-csv") from None
    return count, rows, errors
