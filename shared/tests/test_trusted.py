"""Models built from values already valid answer exactly as validated ones."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel, PrivateAttr

from tread_shared.money import Money
from tread_shared.trusted import trusted


class Line(BaseModel):
    name: str
    total: Money
    note: str | None = None


def test_a_trusted_model_is_the_validated_one() -> None:
    total = trusted(Money, amount=Decimal("12.50"), currency="CNY")
    line = trusted(Line, name="tyres", total=total, note=None)

    validated = Line(name="tyres", total=Money.of("12.5", "CNY"))
    assert line == validated
    assert line.model_dump_json() == validated.model_dump_json()
    assert hash(total) == hash(validated.total)


def test_every_field_is_given_and_none_other() -> None:
    with pytest.raises(TypeError, match="exactly the fields"):
        trusted(Line, name="tyres", total=Money.of("1", "CNY"))
    with pytest.raises(TypeError, match="exactly the fields"):
        trusted(Money, amount=Decimal(1), currency="CNY", extra=1)


def test_a_model_with_private_attributes_is_refused() -> None:
    class Cached(BaseModel):
        name: str
        _seen: int = PrivateAttr(0)

    with pytest.raises(TypeError, match="private attributes"):
        trusted(Cached, name="x")
