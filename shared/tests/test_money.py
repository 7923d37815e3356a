"""Money carries a currency in use: a code that only looks like one is refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tread_shared.money import Money


@pytest.mark.parametrize("code", ["ZZZ", "ABC", "XXX"])
def test_a_code_that_is_not_an_iso_4217_currency_is_refused(code: str) -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money.of("10", code)


def test_currencies_in_use_are_taken() -> None:
    assert [Money.of("10", code).currency for code in ("CNY", "EUR", "USD")] == [
        "CNY",
        "EUR",
        "USD",
    ]
